"""Demo: 陈志华, who gave to 东港村 (for a project, when one is open for gifts) and to 桃源村
in another township, and has an email address and a mobile number, so the portal shows
receipts of two funds. Sign in at /portal/ with chen.zhihua@example.cn (the link is in the
outbox folder when no MAIL_SERVER is set), or with 13800138000 and the code on a receipt (that
receipt's fund only)."""

from datetime import timedelta

from sqlalchemy import select

from app.clock import local_today
from app.donations import services as donations
from app.donors import services as donors
from app.extensions import db
from app.governance.models import Proposal
from app.receipts import services as receipts
from tenants import fund_scope, using

NAME, EMAIL, PHONE = "陈志华", "chen.zhihua@example.cn", "13800138000"


def seed(demo) -> None:
    for prefix, amount in (("DGC", "500"), ("TYC", "200")):
        fund = demo.funds[prefix]
        with using(fund_scope(fund.id)):
            project = db.session.scalar(select(Proposal).where(
                Proposal.designation_id.is_not(None)).order_by(Proposal.id))
            donor = donors.create_donor(donors.DonorInput(name=NAME, email=EMAIL, phone=PHONE))
            gift = donations.record_offline(donations.DonationInput(
                amount=amount, channel="cash", received_on=local_today() - timedelta(days=3),
                donor_id=donor.id, designation_id=project.designation_id if project else None,
            ), None)
            receipts.issue(gift)
