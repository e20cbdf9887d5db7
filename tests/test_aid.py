"""关爱发放: programmes decided by votes with recusal, entitlements made once, hand-outs signed
once, vouchers redeemed once, and what names each person may see."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.aid import services
from app.aid.models import Entitlement, Handout, Programme, Voucher
from app.clock import local_today
from app.extensions import db
from app.governance import motions
from app.governance.demo import tiny_png
from app.governance.models import Motion
from app.validation import Invalid
from tenants import fund_scope, using

from .aid_setup import VALID_IDS, enrol, running_programme
from .conftest import LOGINS
from .helpers import person


def test_each_village_fund_runs_two_programmes(app, system):
    from app.funds.models import Fund

    for fund in system.scalars(select(Fund).where(Fund.kind == "village")):
        count = system.scalar(select(func.count()).select_from(Programme).where(
            Programme.fund_id == fund.id))
        assert count == 2, fund.name


def test_a_batch_vote_with_a_recusal_enrols_three_and_entitlements_are_made_once(fund):
    programme = running_programme()
    member = person("member")
    motion = enrol(programme, recuse=member)
    assert motion.kind == "enrolment" and motion.passed
    recused = [e for e in motions.electorate(motion) if e.recused]
    assert [e.user_id for e in recused] == [member.id]
    assert {services.enrolment_state(e) for e in services.enrolments(programme)} == {"approved"}
    period = services.periods.period_of("monthly", local_today())
    assert services.make_entitlements(programme, period) == 3
    assert services.make_entitlements(programme, period) == 0  # nothing new the second time
    assert db.session.scalar(select(func.count()).select_from(Voucher).join(
        Entitlement, Entitlement.id == Voucher.entitlement_id).where(
        Entitlement.programme_id == programme.id)) == 3
    assert services.summary(programme).per_period_fen == 3 * 8000


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_nothing_is_written(fund):
    programme = running_programme()
    with pytest.raises(Invalid) as refused:
        services.propose(programme, services.PersonInput(
            name="王秀英", id_number="110105194912240018", village_group="一组",
            household="", situation="独居"), person("social_worker"))
    assert "id_number" in refused.value.errors
    assert services.enrolments(programme) == []


def test_an_entitlement_outside_the_enrolment_is_refused(fund):
    programme = running_programme()
    enrol(programme, VALID_IDS[:1])
    enrolment = services.enrolments(programme)[0]
    enrolment.ends_on = enrolment.starts_on  # a one-day enrolment this month
    db.session.flush()
    later = (local_today().replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    with pytest.raises(Invalid) as refused:
        services.entitle(enrolment, programme, later)
    assert "纳入期限" in str(refused.value.errors["period"])  # outside the enrolment
    assert db.session.scalar(select(func.count()).select_from(Entitlement).where(
        Entitlement.enrolment_id == enrolment.id)) == 0


def test_a_hand_out_twice_and_a_voucher_redeemed_twice_are_refused(fund):
    programme = running_programme()
    enrol(programme, VALID_IDS[:1])
    period = services.periods.period_of("monthly", local_today())
    services.make_entitlements(programme, period)
    row = services.sheet(programme, period)[0]
    shop = services.add_shop("惠民超市")
    with pytest.raises(Invalid, match="尚未发放"):
        services.redeem(shop, row.voucher.serial)
    services.hand_out(row.entitlement, person("social_worker"), signature=tiny_png())
    with pytest.raises(Invalid, match="已经发放过"):
        services.hand_out(row.entitlement, person("social_worker"), signature=tiny_png())
    assert services.redeem(shop, row.voucher.code).shop_id == shop.id
    with pytest.raises(Invalid, match="已核销过"):
        services.redeem(shop, row.voucher.serial)
    assert db.session.scalar(select(func.count()).select_from(Handout).where(
        Handout.entitlement_id == row.entitlement.id)) == 1


def test_a_proxy_collects_only_when_one_is_recorded(fund):
    programme = running_programme()
    enrol(programme, VALID_IDS[:1])
    period = services.periods.period_of("monthly", local_today())
    services.make_entitlements(programme, period)
    row = services.sheet(programme, period)[0]
    with pytest.raises(Invalid, match="没有登记代领人"):
        services.hand_out(row.entitlement, person("social_worker"), signature=tiny_png(),
                          collector="proxy")


def test_spending_goes_through_a_payout_with_two_keys_and_reconciles(fund):
    from app.payouts import services as payouts

    programme = running_programme()
    enrol(programme)
    period = services.periods.period_of("monthly", local_today())
    services.make_entitlements(programme, period)
    shop = services.add_shop("惠民超市", "6222020000001234")
    for row in services.sheet(programme, period)[:2]:
        services.hand_out(row.entitlement, person("social_worker"), signature=tiny_png())
        services.redeem(shop, row.voucher.serial)
    payout = services.settle(programme, person("social_worker"), shop)
    assert payout.amount_fen == 16000 and payout.payee == "惠民超市"
    with pytest.raises(Invalid, match="没有待付款"):
        services.settle(programme, person("social_worker"), shop)
    payouts.approve(payout, person("chair"))
    payouts.approve(payout, person("supervisor"))
    assert payout.status == "approved"
    payouts.mark_paid(payout, person("treasurer"), "BANK-AID-1", local_today())
    money = services.reconcile(programme)
    assert money.balanced and money.items_paid_fen == money.ledger_fen == 16000
    assert services.summary(programme).spent_fen == 16000


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(given_out=st.lists(st.sampled_from(["none", "handed", "shop_a", "shop_b"]),
                          min_size=3, max_size=3),
       fates=st.lists(st.sampled_from(["paid", "approved", "rejected", "withdrawn"]),
                      min_size=1, max_size=4))
def test_hand_outs_payouts_and_the_ledger_reconcile(fund, given_out, fates):
    """Whatever is handed out, redeemed, settled, refused, withdrawn or paid: every item is on
    one standing payout at most, a paid payout is exactly its items, and the ledger booked
    exactly the paid payouts."""
    from app.payouts import services as payouts
    from app.payouts.models import Payout

    try:
        programme = running_programme()
        enrol(programme)
        period = services.periods.period_of("monthly", local_today())
        services.make_entitlements(programme, period)
        shops = {"shop_a": services.add_shop("惠民超市"), "shop_b": services.add_shop("便民店")}
        worker = person("social_worker")
        for row, what in zip(services.sheet(programme, period), given_out, strict=True):
            if what != "none":
                services.hand_out(row.entitlement, worker, signature=tiny_png())
            if what in shops:
                services.redeem(shops[what], row.voucher.serial)
        for number, fate in enumerate(fates):
            for shop in shops.values():
                try:
                    payout = services.settle(programme, worker, shop)
                except Invalid:
                    continue
                if fate == "withdrawn":
                    payouts.withdraw(payout, worker)
                    continue
                if fate == "rejected":
                    payouts.reject(payout, person("chair"), "核对有误")
                    continue
                payouts.approve(payout, person("chair"))
                payouts.approve(payout, person("supervisor"))
                if fate == "paid":
                    payouts.mark_paid(payout, person("treasurer"), f"AID-{number}-{shop.id}",
                                      local_today())
            money = services.reconcile(programme)
            assert money.balanced, money
            standing = {p.id: p for p in db.session.scalars(select(Payout).where(
                Payout.proposal_id == programme.proposal_id,
                Payout.status.in_(("requested", "approved", "paid"))))}
            items = list(db.session.scalars(select(Entitlement).where(
                Entitlement.programme_id == programme.id, Entitlement.payout_id.in_(standing))))
            for payout_id, payout in standing.items():
                assert payout.amount_fen == sum(e.amount_fen for e in items
                                                if e.payout_id == payout_id)
            redeemed = sum(1 for w in given_out if w in shops) * 8000
            assert money.handed_fen == redeemed
    finally:
        db.session.rollback()


# --- pages: who sees names, the roster PDF, bad input beside the field ----------------------

def demo_programme() -> Programme:
    return db.session.scalar(select(Programme).where(Programme.kind == "voucher"))


def test_only_the_social_worker_chair_and_supervisor_see_names(fund, client, auth):
    programme = demo_programme()
    names = [e.beneficiary.name for e in services.enrolments(programme)]
    path = f"/f/{fund.slug}/aid/{programme.id}"
    for role, sees in (("social_worker", True), ("chair", True), ("supervisor", True),
                       ("member", False), ("treasurer", False)):
        auth.login(LOGINS[role])
        page = client.get(path).get_data(as_text=True)
        assert all(name in page for name in names) is sees, role
        assert "已通过: 3" in page  # everyone sees the counts
        auth.logout()


def test_the_roster_is_an_a4_pdf_with_masked_ids_and_a_signature_column(fund, client, auth):
    import subprocess

    from app.privacy import mask_id_number

    from .conftest import ARTIFACTS

    programme = demo_programme()
    period = services.periods.period_of("monthly", local_today())
    ids = [row.person.id_number for row in services.sheet(programme, period)]
    auth.login(LOGINS["social_worker"])
    response = client.get(f"/f/{fund.slug}/aid/{programme.id}/sheet/{period}/roster.pdf")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "aid-roster.pdf").write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data,
                          capture_output=True, check=True).stdout.decode()
    for id_number in ids:
        assert id_number not in text and mask_id_number(id_number) in text
    assert "签名" in text and "发放签收表" in text


def test_a_period_that_is_not_the_programmes_is_refused_beside_the_field(fund, client, auth):
    programme = demo_programme()
    before = db.session.scalar(select(func.count()).select_from(Entitlement))
    auth.login(LOGINS["social_worker"])
    response = client.post(f"/f/{fund.slug}/aid/{programme.id}/entitlements",
                           data={"period": "2020-13"})
    assert response.status_code == 422
    assert "这不是本项目的发放期" in response.get_data(as_text=True)
    with using(fund_scope(fund.id)):
        assert db.session.scalar(select(func.count()).select_from(Entitlement)) == before


def test_an_enrolment_vote_is_not_opened_from_the_project_page_without_its_people(
        fund, client, auth):
    proposal_id = demo_programme().proposal_id
    auth.login(LOGINS["chair"])
    response = client.post(f"/f/{fund.slug}/proposals/{proposal_id}/motions",
                           data={"kind": "enrolment"})
    assert response.status_code == 422
    with using(fund_scope(fund.id)):
        assert db.session.scalar(select(func.count()).select_from(Motion).where(
            Motion.proposal_id == proposal_id, Motion.status == "open")) == 0
