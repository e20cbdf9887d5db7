"""微心愿: collecting within the cap, screening by a second person, claims (expiring on read,
made durable by the job, cancelled, revoked), fulfilment by goods and by money, counts."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.db_types import utcnow
from app.donations.models import Donation
from app.extensions import db
from app.jobs.services import run_every_minute
from app.notify.models import Notice
from app.payouts import services as payouts
from app.payouts.models import Payout
from app.receipts.models import Receipt
from app.validation import Invalid
from app.wishes import counts, services
from app.wishes.models import Wish, WishClaim

from .helpers import person
from .wish_setup import FUND, claimed, count, published, wish_input


def test_a_wish_above_the_cap_is_refused_beside_the_value_and_nothing_is_written(fund):
    before = count(Wish)
    with pytest.raises(Invalid) as refused, force_locale("zh_Hans"):
        services.collect(fund.id, wish_input(value="500.01"), person("social_worker"))
    with force_locale("zh_Hans"):
        assert "500.00" in str(refused.value.errors["value"])
    db.session.rollback()
    assert count(Wish) == before


def test_the_recipient_is_ciphertext_in_the_database(fund):
    wish = published(fund, recipient_name="欧阳小满", situation="父母离异，跟外公生活")
    db.session.commit()
    raw = db.session.execute(text("SELECT recipient_name, situation FROM wish WHERE id = :id"),
                             {"id": wish.id}).one()
    assert "欧阳" not in raw[0] and raw[0].startswith("v1:")
    assert "外公" not in raw[1]
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).recipient_name == "欧阳小满"


def test_the_collector_cannot_screen_their_own_wish_and_a_return_needs_a_reason(fund):
    wish = services.collect(fund.id, wish_input(), person("chair"))
    with pytest.raises(Invalid):
        services.screen(wish, person("chair"), True)
    with pytest.raises(Invalid):
        services.screen(wish, person("supervisor"), False, "  ")
    services.screen(wish, person("supervisor"), False, "请补充家庭情况")
    assert wish.status == "returned" and wish.return_reason == "请补充家庭情况"
    with pytest.raises(Invalid):
        services.screen(wish, person("supervisor"), True)  # only a pending wish


def test_a_wish_without_screening_is_not_on_the_wall_nor_claimable(fund, app):
    wish = services.collect(fund.id, wish_input(title="没有审核的心愿"), person("social_worker"))
    db.session.commit()
    assert wish.id not in {s.wish.id for s in services.wall()}
    with pytest.raises(Invalid):
        services.claim(fund, wish, services.ClaimInput("张伟", "13800000001", "123456"))
    db.session.rollback()
    assert app.test_client().get(f"/f/{FUND}/wishes/{wish.id}").status_code == 404


# --- claims ------------------------------------------------------------------------------

def test_one_active_claim_per_wish_is_held_by_the_database(fund):
    wish = published(fund)
    claimed(fund, wish)
    db.session.commit()
    db.session.add(WishClaim(fund_id=fund.id, wish_id=wish.id, name="李四", phone="13800000002",
                             status="active", expires_at=utcnow() + timedelta(days=3),
                             token_hash="x" * 64))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_claim_with_a_number_that_is_not_mainland_mobile_is_refused(fund):
    wish = published(fund)
    for phone in ("0512-58881234", "+85291234567", "1380000000"):
        with pytest.raises(Invalid) as refused:
            services.claim(fund, wish, services.ClaimInput("张伟", phone, "123456"))
        assert "phone" in refused.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WishClaim).where(
        WishClaim.wish_id == wish.id)) == 0


def test_a_claim_expires_on_read_and_the_job_makes_it_durable(fund, app):
    wish = published(fund)
    claim = claimed(fund, wish, at=utcnow() - timedelta(days=15))  # 14 days by default
    db.session.commit()
    assert claim.status == "active" and services.is_expired(claim)
    assert services.live_claim(wish) is None
    assert services.shown_of(wish).state == "open"  # back on the wall for every reader
    claim_id = claim.id
    run_every_minute()
    assert db.session.get(WishClaim, claim_id).status == "expired"


def test_an_expired_claim_cannot_be_fulfilled_and_nothing_is_written(fund):
    wish = published(fund)
    claimed(fund, wish, at=utcnow() - timedelta(days=20))
    db.session.commit()
    gifts = count(Donation)
    with pytest.raises(Invalid) as refused, force_locale("zh_Hans"):
        services.handover(wish, services.HandoverInput(
            handed_over_on=utcnow().date(), confirmed_by="recipient"), person("social_worker"))
    with force_locale("zh_Hans"):
        assert "过期" in str(refused.value.errors["handed_over_on"])
    db.session.rollback()
    assert count(Donation) == gifts
    assert db.session.get(Wish, wish.id).status == "open"


def test_the_claimer_cancels_and_the_social_worker_revokes_with_a_reason(fund):
    wish = published(fund)
    first = claimed(fund, wish)
    services.cancel(first)
    assert first.status == "cancelled" and services.live_claim(wish) is None
    second = claimed(fund, wish, phone="13800000002")
    with pytest.raises(Invalid):
        services.revoke(second, person("social_worker"), "")
    services.revoke(second, person("social_worker"), "联系不上")
    assert second.status == "revoked" and services.shown_of(wish).state == "open"
    with pytest.raises(Invalid):
        services.cancel(second)


# --- fulfilling ------------------------------------------------------------------------------

def test_a_hand_over_is_an_in_kind_gift_with_its_receipt_and_the_donor_is_thanked(fund):
    wish = published(fund)
    claim = claimed(fund, wish, phone="13800000009", shown_as="caring")
    gift = services.handover(wish, services.HandoverInput(
        handed_over_on=utcnow().date(), confirmed_by="guardian", note="妈妈代收"),
        person("social_worker"))
    db.session.commit()
    assert gift.channel == "in_kind" and gift.amount_fen == 120_00 and gift.status == "confirmed"
    assert gift.donor.phone == "13800000009" and gift.donor.anonymity == "caring"
    assert db.session.scalar(select(Receipt).where(Receipt.donation_id == gift.id)) is not None
    assert wish.status == "fulfilled" and wish.fulfilled_via == "goods"
    assert claim.status == "fulfilled"
    assert services.donor_shown(claim) == "爱心人士"
    thanks = db.session.scalar(select(Notice).where(Notice.template == "wish_thanks")
                               .order_by(Notice.id.desc()))
    assert thanks.recipient == "13800000009" and "一个新书包" in thanks.text


def test_money_is_a_designated_gift_and_the_wish_is_fulfilled_when_the_payout_is_paid(fund):
    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish, at=utcnow() - timedelta(days=13))
    treasurer = person("treasurer")
    gift = services.record_money(wish, services.MoneyInput(
        amount="200", channel="wechat", received_on=utcnow().date(), reference="WX-T-1"),
        treasurer)
    project = services.wish_project()
    assert gift.designation_id == project.designation_id and claim.expires_at is None
    with pytest.raises(Invalid):
        services.handover(wish, services.HandoverInput(utcnow().date(), "recipient"), treasurer)
    payout = services.buy(wish, services.BuyInput(amount="200", payee="镇上家电商店"), treasurer)
    with pytest.raises(Invalid):
        services.buy(wish, services.BuyInput(amount="200", payee="另一家"), treasurer)
    payouts.approve(payout, person("chair"))
    payouts.approve(payout, person("supervisor"))
    db.session.commit()
    assert services.shown_of(wish).state == "claimed"
    payouts.mark_paid(payout, treasurer, "BANK-WISH-1", utcnow().date())
    db.session.commit()
    assert services.shown_of(wish).state == "fulfilled"  # on read, before the job
    assert wish.status == "open"
    ids = wish.id, claim.id, payout.id
    run_every_minute(utcnow() + timedelta(days=30))  # a paid claim never expires
    wish = db.session.get(Wish, ids[0])
    assert wish.status == "fulfilled" and wish.fulfilled_via == "money"
    assert db.session.get(WishClaim, ids[1]).status == "fulfilled"
    assert db.session.get(Payout, ids[2]).status == "paid"


def test_the_season_counts_what_was_collected_claimed_fulfilled_and_expired(fund):
    year = utcnow().year
    before = counts.season_counts(year).get(fund.id, {})
    wish = published(fund)
    claimed(fund, wish, at=utcnow() - timedelta(days=15))
    other = published(fund, title="棉衣")
    claimed(fund, other, phone="13800000003")
    services.handover(other, services.HandoverInput(utcnow().date(), "recipient"),
                      person("social_worker"))
    after = counts.season_counts(year)[fund.id]
    assert after["collected"] - before.get("collected", 0) == 2
    assert after["claimed"] - before.get("claimed", 0) == 2
    assert after["fulfilled"] - before.get("fulfilled", 0) == 1
    assert after["expired"] - before.get("expired", 0) >= 1


def test_the_demo_has_a_season_of_wishes_in_every_village_fund(app):
    from tenants import SYSTEM, using

    with app.app_context(), using(SYSTEM):
        from app.funds.models import Fund

        for fund in db.session.scalars(select(Fund).where(Fund.kind == "village")):
            claims = {c.status for c in db.session.scalars(
                select(WishClaim).where(WishClaim.fund_id == fund.id))}
            wishes = {w.status for w in db.session.scalars(
                select(Wish).where(Wish.fund_id == fund.id))}
            assert {"active", "expired", "revoked", "fulfilled"} <= claims, fund.name
            assert {"pending", "returned", "open", "fulfilled"} <= wishes, fund.name


def test_every_step_is_on_the_audit_trail_without_the_private_fields(fund):
    from app.audit.models import AuditEntry

    wish = published(fund, recipient_name="慕容秋月", situation="独居")
    claim = claimed(fund, wish, phone="13800000077")
    services.revoke(claim, person("social_worker"), "联系不上")
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.subject_table.in_(("wish", "wish_claim"))).order_by(AuditEntry.id)).all()
    actions = [e.action for e in entries if e.subject_id in (wish.id, claim.id)]
    assert {"wish.created", "wish.open", "wish_claim.created", "wish_claim.revoked"} <= set(
        actions)
    written = " ".join(repr(e.before) + repr(e.after) for e in entries)
    assert "慕容秋月" not in written and "独居" not in written and "13800000077" not in written
    assert "token_hash" not in written


def test_the_annual_report_carries_the_years_wishes(fund):
    from app.clock import local_today
    from app.disclosure.reports import ReportData, compute, period

    year = local_today().year
    data = compute(fund, period("annual", year))
    assert data.wishes == counts.season_counts(year)[fund.id]
    assert data.wishes["collected"] > 0
    assert ReportData.from_json(data.to_json()).wishes == data.wishes
