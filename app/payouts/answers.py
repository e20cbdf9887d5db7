"""The donor's question (Charity Law art. 42): what did the project my gift was designated to
do? Its status, what it has spent, and its progress updates, as the public may see them."""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from tenants import fund_scope, using

SHOWN_STATES = ("final", "in_progress", "completed", "accepted", "closed")


@dataclass
class Answer:
    fund_slug: str
    proposal_id: int
    title: str
    status: str
    budget_fen: int
    paid_fen: int
    percent_paid: int
    updates: list = field(default_factory=list)  # (day, text, percent)


def for_project(fund_id: int, proposal_id: int | None = None,
                designation_id: int | None = None) -> Answer | None:
    """Read in that fund's scope (the donor portal and the receipt check have none)."""
    from app.funds.models import Fund
    from app.governance.models import Proposal

    from . import progress

    with using(fund_scope(fund_id)):
        if proposal_id is not None:
            proposal = db.session.get(Proposal, proposal_id)
        elif designation_id is not None:
            proposal = db.session.scalar(select(Proposal).where(
                Proposal.designation_id == designation_id).order_by(Proposal.id))
        else:
            proposal = None
        if proposal is None or proposal.status not in SHOWN_STATES:
            return None
        spent = progress.spending(proposal, public=True)
        fund = db.session.get(Fund, fund_id)
        return Answer(
            fund_slug=fund.slug, proposal_id=proposal.id, title=proposal.title,
            status=proposal.status, budget_fen=spent.money.budget_fen,
            paid_fen=spent.money.paid_fen, percent_paid=spent.percent_paid,
            updates=[(u.created_at, u.body, u.percent)
                     for u in progress.updates_of([proposal.id], limit=3)])


def for_receipt(token: str) -> Answer | None:
    """The designated project of the gift a receipt was issued for (the verification page)."""
    from app.donations.models import Donation
    from app.receipts import services as receipts
    from tenants import SYSTEM

    with using(SYSTEM):
        receipt = receipts.by_token(token) if token and len(token) <= 40 else None
        if receipt is None or not receipt.donation_id:
            return None
        donation = db.session.get(Donation, receipt.donation_id)
        if donation is None or donation.designation_id is None:
            return None
        fund_id, designation_id = donation.fund_id, donation.designation_id
    return for_project(fund_id, designation_id=designation_id)


def register(app) -> None:
    app.add_template_global(for_project, "gift_use")
    app.add_template_global(for_receipt, "receipt_gift_use")
