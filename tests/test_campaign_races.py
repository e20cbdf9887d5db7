"""Gifts confirmed at the same moment in different villages never overrun the match's cap:
each allocation holds the pledge's row (lock()) until its transaction commits. Threads with
their own sessions, on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (SELECT … FOR UPDATE)."""

import threading

from sqlalchemy import func, select

from app.campaigns.models import Campaign, MatchAllocation, MatchPledge
from app.clock import local_today
from app.donations import services as donations
from app.extensions import db
from app.ledger.models import LedgerEntry
from tenants import SYSTEM, fund_scope, using

from .campaign_setup import SPONSOR, fund_money, funds, make_campaign, part

N = 6  # gifts confirmed together
VILLAGES = ["DGC", "NTC", "XBC"]


def confirm_together(app, campaign_id: int, gifts: list[tuple[str, int]]) -> list[str]:
    start = threading.Barrier(len(gifts))
    errors = []

    def one(prefix: str, fen: int) -> None:
        try:
            with app.app_context():
                with using(SYSTEM):
                    campaign = db.session.get(Campaign, campaign_id)
                    fund_id = funds()[prefix].id
                    designation_id = part(campaign, prefix).designation_id
                    db.session.commit()
                start.wait(timeout=30)
                with using(fund_scope(fund_id)):
                    gift = donations.start_online(
                        fen, gateway="wechatpay", donor_id=None, designation_id=designation_id,
                        message="", received_on=local_today(), channel="wechat")
                    donations.confirm(gift)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported by the test, not lost in a thread)
            errors.append(repr(error))

    threads = [threading.Thread(target=one, args=gift) for gift in gifts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_gifts_confirmed_at_once_share_the_last_of_the_cap(app):
    with app.app_context(), using(SYSTEM):
        fund_money(SPONSOR, 1_000_000)
        campaign_id = make_campaign(purpose="并发测试", cap=100_000).id
        db.session.commit()
        db.session.remove()
    gifts = [(VILLAGES[n % 3], 30_000) for n in range(N)]  # 6 × 300 yuan against a 1,000 cap
    errors = confirm_together(app, campaign_id, gifts)
    assert not errors, errors
    with app.app_context(), using(SYSTEM):
        pledge = db.session.scalar(select(MatchPledge).where(
            MatchPledge.campaign_id == campaign_id))
        matched = sorted(db.session.scalars(select(MatchAllocation.matched_fen).where(
            MatchAllocation.pledge_id == pledge.id)))
        debits = db.session.scalar(select(func.sum(LedgerEntry.amount_fen)).where(
            LedgerEntry.fund_id == pledge.fund_id, LedgerEntry.id.in_(
                select(MatchAllocation.sponsor_entry_id).where(
                    MatchAllocation.pledge_id == pledge.id))))
        assert len(matched) == N
        assert matched == [0, 0, 10_000, 30_000, 30_000, 30_000]
        assert pledge.used_fen == 100_000 == -debits
