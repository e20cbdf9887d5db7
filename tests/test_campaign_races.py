"""Gifts confirmed at the same moment in different villages never overrun the match's cap:
each allocation holds the pledge's row (lock()) until its transaction commits. Two sponsors
pledging to one campaign at the same moment leave one pledge (a unique index). Threads with
their own sessions, on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (SELECT … FOR UPDATE)."""

import threading
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.campaigns import services as campaigns
from app.campaigns.models import Campaign, MatchAllocation, MatchPledge
from app.clock import local_today
from app.db_types import utcnow
from app.donations import services as donations
from app.extensions import db
from app.funds.models import Fund
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


def test_two_sponsors_pledging_at_once_leave_one_pledge(app):
    """The second click's pledge, from another sponsor fund, is refused by the database even
    though neither transaction saw the other's row."""
    sponsors = ["BSSQ", "DGC"]
    with app.app_context(), using(SYSTEM):
        campaign_id = make_campaign(purpose="一个配捐", cap=100_000).id
        db.session.execute(MatchPledge.__table__.delete().where(
            MatchPledge.campaign_id == campaign_id))
        sponsor_ids = [funds()[p].id for p in sponsors]
        db.session.commit()
        db.session.remove()
    start = threading.Barrier(len(sponsors))
    outcomes = []

    def pledge(sponsor_id: int) -> None:
        try:
            with app.app_context(), using(SYSTEM):
                now = utcnow()
                data = campaigns.PledgeInput(
                    sponsor_fund_id=sponsor_id, sponsor_name="", ratio_num=1, ratio_den=1,
                    cap_fen=50_000, per_gift_fen=None, per_donor_day_fen=None,
                    starts_at=now, ends_at=now + timedelta(days=1), offline_counts=False)
                start.wait(timeout=30)  # no transaction open: SQLite's would hold the other
                campaign = db.session.get(Campaign, campaign_id)
                campaigns.add_pledge(campaign, data, db.session.get(Fund, sponsor_id))
                try:
                    db.session.commit()
                    outcomes.append("pledged")
                except IntegrityError:
                    db.session.rollback()
                    outcomes.append("refused")
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            outcomes.append(repr(error))

    threads = [threading.Thread(target=pledge, args=(s,)) for s in sponsor_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["pledged", "refused"], outcomes
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(func.count()).select_from(MatchPledge).where(
            MatchPledge.campaign_id == campaign_id)) == 1
