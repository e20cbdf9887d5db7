"""The matching rule (app/campaigns/matching.py) and its bookings: caps never overrun, a
match is two entries summing to zero, a refund gives the match back, once per gift."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.campaigns import services as campaigns
from app.campaigns.matching import Terms, kept_after_refund, match
from app.campaigns.models import Limit, MatchAllocation, MatchPledge
from app.db_types import utcnow
from app.donors.models import Donor
from app.extensions import db
from app.ledger.models import LedgerEntry
from tenants import SYSTEM, fund_scope, using

from .campaign_setup import SPONSOR, fund_money, funds, give, make_campaign, refund

ONE_TO_ONE = Terms(1, 1, cap_fen=1_000_000, per_gift_fen=50_000)


# --- the pure rule --------------------------------------------------------------------------

def test_a_gift_above_the_per_gift_limit_is_matched_to_the_limit():
    decided = match(ONE_TO_ONE, 80_000, used_fen=0, donor_day_fen=None)
    assert (decided.wanted_fen, decided.matched_fen, decided.limited_by) == \
        (80_000, 50_000, Limit.PER_GIFT)


def test_a_nearly_used_cap_gives_what_is_left():
    decided = match(ONE_TO_ONE, 30_000, used_fen=990_000, donor_day_fen=None)
    assert (decided.matched_fen, decided.limited_by) == (10_000, Limit.CAP)
    assert match(ONE_TO_ONE, 30_000, 1_000_000, None).matched_fen == 0


def test_the_donors_daily_limit_counts_what_the_day_already_matched():
    terms = Terms(1, 1, cap_fen=1_000_000, per_donor_day_fen=20_000)
    assert match(terms, 15_000, 0, donor_day_fen=10_000).matched_fen == 10_000
    assert match(terms, 15_000, 0, donor_day_fen=None).matched_fen == 15_000  # anonymous


def test_ratio_rounds_down_to_the_fen():
    assert match(Terms(1, 2, cap_fen=10_000), 101, 0, None).matched_fen == 50
    assert match(Terms(2, 1, cap_fen=10_000), 101, 0, None).matched_fen == 202


def test_a_refund_keeps_no_more_match_than_the_rest_of_the_gift_earns():
    assert kept_after_refund(ONE_TO_ONE, 50_000, 80_000 - 20_000) == 50_000
    assert kept_after_refund(ONE_TO_ONE, 50_000, 80_000 - 50_000) == 30_000
    assert kept_after_refund(ONE_TO_ONE, 50_000, 0) == 0


terms_strategy = st.builds(
    Terms, ratio_num=st.integers(1, 3), ratio_den=st.integers(1, 3),
    cap_fen=st.integers(1, 200_000), per_gift_fen=st.none() | st.integers(1, 50_000),
    per_donor_day_fen=st.none() | st.integers(1, 80_000))
# A gift: (amount, donor or None, day); a refund: (which gift, share of what is left in %).
steps_strategy = st.lists(st.one_of(
    st.tuples(st.just("gift"), st.integers(1, 100_000), st.none() | st.integers(1, 4),
              st.integers(0, 2)),
    st.tuples(st.just("refund"), st.integers(0, 40), st.integers(1, 100))), max_size=40)


@given(terms=terms_strategy, steps=steps_strategy)
def test_random_gifts_and_refunds_never_overrun_a_cap(terms, steps):
    gifts = []  # [amount, net, matched, returned, donor, day]
    used = 0
    for step in steps:
        if step[0] == "gift":
            _, amount, donor, day = step
            day_used = None if donor is None else sum(
                g[2] - g[3] for g in gifts if g[4] == donor and g[5] == day)
            decided = match(terms, amount, used, day_used)
            assert 0 <= decided.matched_fen <= decided.wanted_fen
            gifts.append([amount, amount, decided.matched_fen, 0, donor, day])
            used += decided.matched_fen
        elif gifts:
            gift = gifts[step[1] % len(gifts)]
            gift[1] -= max(1, gift[1] * step[2] // 100) if gift[1] else 0
            keep = kept_after_refund(terms, gift[2] - gift[3], gift[1])
            back = gift[2] - gift[3] - keep
            assert back >= 0
            gift[3] += back
            used -= back
        assert used == sum(g[2] - g[3] for g in gifts) <= terms.cap_fen
        for _amount, net, matched, returned, _donor, _day in gifts:
            if terms.per_gift_fen is not None:
                assert matched <= terms.per_gift_fen
            assert matched - returned <= net * terms.ratio_num // terms.ratio_den
        if terms.per_donor_day_fen is not None:
            for donor in {g[4] for g in gifts if g[4] is not None}:
                for day in range(3):
                    assert sum(g[2] - g[3] for g in gifts if g[4] == donor and g[5] == day) \
                        <= terms.per_donor_day_fen


# --- the bookings ---------------------------------------------------------------------------

@pytest.fixture
def township(app):
    """An app context in the system scope with money in the township fund to match from."""
    with app.app_context(), using(SYSTEM):
        fund_money(SPONSOR, 5_000_000)
        yield


def sponsor_moves(pledge) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                 .where(LedgerEntry.fund_id == pledge.fund_id,
                                        LedgerEntry.kind.in_(("match", "match_return")))))


def allocations(pledge) -> list[MatchAllocation]:
    return list(db.session.scalars(select(MatchAllocation).where(
        MatchAllocation.pledge_id == pledge.id).order_by(MatchAllocation.id)))


def pledge_of(campaign) -> MatchPledge:
    return db.session.scalar(select(MatchPledge).where(MatchPledge.campaign_id == campaign.id))


def test_an_800_yuan_gift_is_matched_500_from_the_sponsor_to_the_village(township):
    campaign = make_campaign()
    gift = give(campaign, "DGC", 80_000)
    pledge = pledge_of(campaign)
    [allocation] = allocations(pledge)
    assert (allocation.matched_fen, allocation.limited_by) == (50_000, "per_gift")
    debit = db.session.get(LedgerEntry, allocation.sponsor_entry_id)
    credit = db.session.get(LedgerEntry, allocation.entry_id)
    assert (debit.fund_id, credit.fund_id) == (pledge.fund_id, gift.fund_id)
    assert debit.amount_fen + credit.amount_fen == 0 and credit.amount_fen == 50_000
    assert credit.designation_id == gift.designation_id
    assert pledge.used_fen == 50_000 == -sponsor_moves(pledge)


def test_matching_a_gift_twice_books_it_once(township):
    campaign = make_campaign()
    gift = give(campaign, "NTC", 10_000)
    again = campaigns.allocate(campaign, db.session.scalar(
        select(campaigns.CampaignFund).where(campaigns.CampaignFund.designation_id
                                             == gift.designation_id)), gift)
    assert len(allocations(pledge_of(campaign))) == 1 and again.matched_fen == 10_000
    assert pledge_of(campaign).used_fen == 10_000


def test_a_refund_gives_the_match_back_and_frees_the_cap(township):
    campaign = make_campaign(cap=60_000)
    first = give(campaign, "DGC", 50_000)
    second = give(campaign, "XBC", 30_000)
    pledge = pledge_of(campaign)
    assert [a.matched_fen for a in allocations(pledge)] == [50_000, 10_000]
    assert second.fund_id and pledge.used_fen == pledge.cap_fen
    refund(first, 20_000, "refund-1")  # 300 left of the gift: 300 of match kept
    pledge = pledge_of(campaign)  # the fund's scope of the refund let go of the sponsor's row
    assert pledge.used_fen == 40_000 == -sponsor_moves(pledge)
    refund(first, 30_000, "refund-2")
    pledge = pledge_of(campaign)
    assert [a.net_fen for a in allocations(pledge)] == [0, 10_000]
    assert pledge.used_fen == 10_000 == -sponsor_moves(pledge)
    third = give(campaign, "NTC", 80_000)
    assert allocations(pledge_of(campaign))[-1].matched_fen == 50_000 and third.id


def test_offline_and_out_of_window_gifts_are_explained_not_matched(township):
    now = utcnow()
    campaign = make_campaign(window=(now + timedelta(hours=1), now + timedelta(hours=5)))
    give(campaign, "DGC", 10_000)
    other = make_campaign(purpose="第二场", offline_counts=False)
    give(other, "DGC", 10_000, online=False)
    assert [a.limited_by for a in allocations(pledge_of(campaign))] == ["window"]
    assert [(a.matched_fen, a.limited_by) for a in allocations(pledge_of(other))] == \
        [(0, "offline")]


def test_the_donors_daily_limit_spans_the_days_gifts(township):
    campaign = make_campaign(per_gift=None, per_donor_day=30_000)
    fund = funds()["DGC"]
    with using(fund_scope(fund.id)):
        donor = Donor(name="王秀英")
        db.session.add(donor)
        db.session.flush()
    give(campaign, "DGC", 20_000, donor_id=donor.id)
    give(campaign, "DGC", 20_000, donor_id=donor.id)
    give(campaign, "DGC", 20_000)  # anonymous: no daily limit
    assert [a.matched_fen for a in allocations(pledge_of(campaign))] == [20_000, 10_000, 20_000]


def test_the_figures_show_each_village_and_the_match_used_up(township):
    campaign = make_campaign(cap=30_000)
    give(campaign, "DGC", 20_000)
    give(campaign, "NTC", 20_000)
    give(campaign, "NTC", 5_000)
    figures = campaigns.figures(campaign)
    by_prefix = {p.fund_id: p for p in figures.parts}
    dgc, ntc = by_prefix[funds()["DGC"].id], by_prefix[funds()["NTC"].id]
    assert (dgc.raised_fen, dgc.matched_fen, dgc.donors) == (20_000, 20_000, 1)
    assert (ntc.raised_fen, ntc.matched_fen, ntc.donors) == (25_000, 10_000, 2)
    assert figures.match_used_up and figures.total_fen == 75_000
    assert [p.fund_id for p in figures.by_donors()][0] == ntc.fund_id


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(
    st.tuples(st.just("gift"), st.sampled_from(["DGC", "NTC", "XBC"]), st.integers(1, 90_000)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100))), max_size=12))
def test_random_bookings_keep_the_sponsors_debits_equal_to_the_matches(township, steps):
    campaign = make_campaign(cap=100_000)
    gifts = []
    try:
        for n, step in enumerate(steps):
            if step[0] == "gift":
                gifts.append(give(campaign, step[1], step[2]))
            elif gifts:
                index = step[1] % len(gifts)
                with using(fund_scope(gifts[index].fund_id)):
                    net = db.session.get(type(gifts[index]), gifts[index].id).net_fen
                if net:
                    gifts[index] = refund(gifts[index], max(1, net * step[2] // 100), f"r-{n}")
            pledge = pledge_of(campaign)
            rows = allocations(pledge)
            assert pledge.used_fen == sum(a.net_fen for a in rows) == -sponsor_moves(pledge)
            assert pledge.used_fen <= pledge.cap_fen
            assert all(a.matched_fen <= 50_000 for a in rows)
            village = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
                                        .where(LedgerEntry.fund_id != pledge.fund_id,
                                               LedgerEntry.kind.in_(("match", "match_return"))))
            assert village == pledge.used_fen  # every match is two entries summing to zero
    finally:
        db.session.rollback()
