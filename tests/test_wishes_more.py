"""微心愿, the rest of issue 20: a photo only without faces (OpenCV's cascade on a real face
photo, NASA's astronaut portrait), money given online for a wish through the donate page (and
paying no longer once refunded or reversed), the SMS the claimer gets through the gateway, and
the season's counts in the report's spreadsheets."""

import io
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from app.config import VAR_DIR
from app.db_types import utcnow
from app.donations.models import Donation
from app.extensions import db
from app.funds.models import Fund
from app.jobs.services import run_every_minute
from app.ledger.models import LedgerEntry
from app.notify.models import Notice
from app.payments import services as payments
from app.payments.gateway import REFUNDED, SUCCEEDED, Checkout, Event, Payment
from app.payouts import services as payouts
from app.validation import Invalid
from app.wishes import photos, services
from app.wishes.models import Wish, WishClaim, WishGift

from .conftest import LOGINS, TEMPLATES, received
from .helpers import person
from .wish_pages import BASE, FUND, count, in_fund, last_code
from .wish_setup import claimed, published, wish_input


def bag_jpeg() -> bytes:
    """A drawn school bag, no face: taken sideways (EXIF orientation 6) by a phone that wrote
    its make into the file."""
    image = Image.new("RGB", (640, 480), (236, 230, 218))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((200, 140, 440, 420), radius=30, fill=(40, 90, 200))
    draw.rectangle((270, 90, 370, 150), outline=(30, 30, 30), width=10)
    draw.rectangle((240, 300, 400, 380), fill=(30, 70, 170))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn it upright
    exif[0x010F] = "VillagePhone"  # the camera's make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def face_png() -> bytes:
    """A real photograph of a face: NASA's portrait of Eileen Collins (public domain, as
    scikit-image ships it as data.astronaut), cut to 256 px in tests/data; no face is drawn
    here for the cascade to find."""
    out = io.BytesIO()
    Image.open(Path(__file__).parent / "data" / "astronaut.jpg").save(out, "PNG")
    return out.getvalue()


def files(fund_id: int) -> int:
    folder = VAR_DIR / "wishes" / str(fund_id)
    return len(list(folder.iterdir())) if folder.exists() else 0


def fund_id(app) -> int:
    return in_fund(app, lambda: db.session.scalar(select(Fund.id).where(Fund.slug == FUND)))


# --- photos -------------------------------------------------------------------------------------


def test_a_face_is_found_in_a_real_photo_and_none_in_a_drawn_bag():
    with pytest.raises(Invalid) as refused:
        photos.checked(face_png(), "photo")
    assert set(refused.value.errors) == {"photo"}
    kept = photos.checked(bag_jpeg(), "photo")
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG" and image.size == (480, 640)  # turned upright
        assert not image.getexif()  # no make, no position, nothing of the phone's
    assert b"VillagePhone" not in kept


def test_a_wish_photo_with_a_face_is_refused_beside_the_field_and_nothing_is_written(
    app, client, auth
):
    auth.login(LOGINS["social_worker"])
    form = {
        "title": "一个书包",
        "value": "80",
        "fulfil_by": "goods",
        "village_group": "七组",
        "recipient_name": "诸葛小花",
        "recipient_age": "9",
        "situation": "留守",
    }
    wishes, kept = count(app, Wish), files(fund_id(app))
    refused = client.post(
        f"{BASE}/new", data={**form, "photo": (io.BytesIO(face_png()), "child.png")}
    )
    assert refused.status_code == 422
    assert 'id="photo-error"' in refused.text and "人脸" in refused.text
    assert count(app, Wish) == wishes and files(fund_id(app)) == kept
    not_a_photo = client.post(
        f"{BASE}/new", data={**form, "photo": (io.BytesIO(b"\x89PNG\r\n\x1a\n<html>"), "x.png")}
    )
    assert not_a_photo.status_code == 422 and 'id="photo-error"' in not_a_photo.text
    assert count(app, Wish) == wishes and files(fund_id(app)) == kept


def test_a_photo_without_faces_is_public_only_after_screening(app, client, auth):
    auth.login(LOGINS["social_worker"])
    made = client.post(
        f"{BASE}/new",
        data={
            "title": "一个书包",
            "value": "80",
            "fulfil_by": "goods",
            "village_group": "七组",
            "recipient_name": "诸葛小花",
            "recipient_age": "9",
            "photo": (io.BytesIO(bag_jpeg()), "bag.jpg"),
        },
    )
    assert made.status_code == 302, made.text
    wish_id = int(made.headers["Location"].split("/wishes/")[1].split("/")[0])
    staff = client.get(f"{BASE}/{wish_id}/photo")  # the fund's people see it to screen it
    assert staff.status_code == 200 and staff.mimetype == "image/jpeg"
    assert "sandbox" in staff.headers["Content-Security-Policy"]
    assert f"/wishes/{wish_id}/photo" in client.get(f"{BASE}/{wish_id}/manage").text
    auth.logout()
    assert client.get(f"{BASE}/{wish_id}/photo").status_code == 404  # waiting for screening
    auth.login(LOGINS["chair"])
    client.post(f"{BASE}/{wish_id}/screen", data={"decision": "approve"})
    auth.logout()
    public = client.get(f"{BASE}/{wish_id}/photo")
    assert public.status_code == 200 and public.data[:3] == b"\xff\xd8\xff"
    assert f"/wishes/{wish_id}/photo" in client.get(f"{BASE}/").text
    assert f"/wishes/{wish_id}/photo" in client.get(f"{BASE}/{wish_id}").text


def test_the_hand_over_photo_is_refused_with_a_face_and_kept_without(fund):
    wish = published(fund, title="一件棉衣")
    claimed(fund, wish)
    db.session.commit()
    worker, donations = (
        person("social_worker"),
        db.session.scalar(select(func.count()).select_from(Donation)),
    )
    with pytest.raises(Invalid) as refused:
        services.handover(
            wish, services.HandoverInput(utcnow().date(), "guardian", photo=face_png()), worker
        )
    assert set(refused.value.errors) == {"photo"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Donation)) == donations
    wish = db.session.get(Wish, wish.id)
    assert wish.status == "open" and wish.handover_photo_name is None
    services.handover(
        wish, services.HandoverInput(utcnow().date(), "guardian", photo=bag_jpeg()), worker
    )
    assert wish.status == "fulfilled" and photos.load(fund.id, wish.handover_photo_name)


def test_a_photo_is_checked_in_the_service_as_on_the_page(fund):
    with pytest.raises(Invalid) as refused:
        services.collect(fund.id, wish_input(photo=face_png(), value=""), person("social_worker"))
    assert {"photo", "value"} <= set(refused.value.errors)  # every message at once


# --- money given online for a wish ------------------------------------------------------------


class FakeGateway:
    """A card gateway that takes the payment on a page of its own."""

    name, channel, online, label = "stripe", "card", True, "银行卡"

    def start(self, donation, payer=None) -> Payment:
        return Payment(ref=f"pi_wish_{donation.id}")

    def checkout(self, payment, return_url=""):
        return Checkout(redirect=f"https://pay.example.test/{payment.ref}")


def gateway_says(donation: Donation, event_id: str, kind: str, name: str, **values) -> str:
    """The fake gateway's notification about this gift, handled as a real one."""
    return payments.handle_event(
        FakeGateway(),
        Event(id=event_id, type=name, kind=kind, fund_id=donation.fund_id,
              payment_ref=donation.gateway_ref, **values),
    )


def confirm(donation: Donation, event_id: str) -> str:
    return gateway_says(donation, event_id, SUCCEEDED, "payment_intent.succeeded",
                        amount_fen=donation.amount_fen)


def give_online(fund, wish, designation_id, amount="200") -> Donation:
    donation, _payment = payments.start_gift(
        payments.GiftInput(
            amount=amount, name="张伟", phone="13800000001", designation_id=designation_id
        ),
        FakeGateway(),
    )
    services.link_gift(donation, wish.id)
    return donation


def test_the_claimer_of_a_money_wish_gets_the_donate_link_on_the_page_and_by_sms(
    app, client, monkeypatch
):
    monkeypatch.setattr("app.payments.views.online_gateways", lambda *a, **k: [FakeGateway()])

    def setup():
        wish = published(fund_of(app), fulfil_by="money", title="一个电饭煲", value="200")
        db.session.commit()
        return wish.id, services.donate_args(wish)

    wish_id, args = in_fund(app, setup)
    assert args is not None
    client.post(
        f"{BASE}/{wish_id}/claim",
        data={"step": "code", "name": "钱多多", "phone": "13900007788", "shown_as": "caring"},
    )
    done = client.post(
        f"{BASE}/{wish_id}/claim",
        data={
            "step": "claim",
            "name": "钱多多",
            "phone": "13900007788",
            "shown_as": "caring",
            "code": last_code(app, "13900007788"),
        },
    )
    assert done.status_code == 302
    link = f"/f/{FUND}/donate?designation={args['designation']}&amp;wish={wish_id}"
    assert link in client.get(done.headers["Location"]).text
    sms = in_fund(
        app,
        lambda: db.session.scalar(
            select(Notice).where(
                Notice.template == "wish_claimed_money", Notice.recipient == "13900007788"
            )
        ),
    )
    assert f"/f/{FUND}/donate?designation={args['designation']}&wish={wish_id}" in sms.text
    # The donate page opens with the project chosen and the wish named in the form.
    page = client.get(link.replace("&amp;", "&"))
    assert re.search(rf'<input[^>]*name="wish"[^>]*value="{wish_id}"', page.text)
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{args["designation"]}"|'
        rf'<option[^>]*value="{args["designation"]}"[^>]*selected',
        page.text,
    )



@pytest.mark.config(HUEY_IMMEDIATE=True, HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_the_claimer_of_a_money_wish_is_texted_through_the_sms_gateway(sms_app, fake_sms, client):
    """The SMS itself, not only the notice: without a template id it would go to the log."""
    sms_app.config["SMS_TEMPLATES"] = {**TEMPLATES, "wish_claimed_money": "2000008"}

    def setup():
        wish = published(fund_of(sms_app), fulfil_by="money", title="一个电饭煲", value="200")
        db.session.commit()
        return wish.id, services.donate_args(wish)

    wish_id, args = in_fund(sms_app, setup)
    claimer = {"name": "钱多多", "phone": "13900007789", "shown_as": "caring"}
    client.post(f"{BASE}/{wish_id}/claim", data={"step": "code", **claimer})
    [code] = [m["params"][1] for m in received(fake_sms)
              if m["template_id"] == TEMPLATES["phone_code"]]
    done = client.post(f"{BASE}/{wish_id}/claim", data={"step": "claim", "code": code, **claimer})
    assert done.status_code == 302
    [text] = [m for m in received(fake_sms) if m["template_id"] == "2000008"]
    fund, title, days, pay, link = text["params"]  # the template's parameters, in its order
    assert (text["phone"], fund, title, days) == ("+8613900007789", "东港村社区慈善基金",
                                                  "一个电饭煲", "14")
    assert pay.endswith(f"/f/{FUND}/donate?designation={args['designation']}&wish={wish_id}")
    assert f"{BASE}/claims/" in link


def fund_of(app) -> Fund:
    return db.session.scalar(select(Fund).where(Fund.slug == FUND))


def test_a_gift_paid_online_pays_for_the_wish_and_its_payout_spends_that_designation(
    app, client, monkeypatch
):
    monkeypatch.setattr("app.payments.views.online_gateways", lambda *a, **k: [FakeGateway()])

    def setup():
        wish = published(fund_of(app), fulfil_by="money", title="一个电饭煲", value="200")
        claim = claimed(fund_of(app), wish, at=utcnow() - timedelta(days=13))
        db.session.commit()
        return wish.id, claim.id, services.donate_args(wish)["designation"]

    wish_id, claim_id, designation = in_fund(app, setup)
    paid = client.post(
        f"/f/{FUND}/donate",
        data={
            "amount": "other",
            "other_amount": "200",
            "designation": str(designation),
            "wish": str(wish_id),
            "name": "张伟",
            "phone": "13800000001",
            "anonymity": "caring",
            "method": "stripe",
        },
    )
    assert paid.status_code == 302 and "pay.example.test" in paid.headers["Location"]

    def pending():
        link = db.session.scalar(select(WishGift).where(WishGift.wish_id == wish_id))
        donation = db.session.get(Donation, link.donation_id)
        wish = db.session.get(Wish, wish_id)
        assert donation.status == "pending" and donation.designation_id == designation
        assert not services.shown_of(wish).funded  # pending money pays for nothing
        assert confirm(donation, "evt_wish_1") == "confirmed"
        db.session.commit()
        return donation.id

    donation_id = in_fund(app, pending)
    assert "善款已到" in client.get(f"{BASE}/{wish_id}").text  # on read, before the job

    def paid_for():
        wish = db.session.get(Wish, wish_id)
        assert services.shown_of(wish).funded and services.shown_of(wish).state == "claimed"
        with pytest.raises(Invalid):  # the money is in: the claimer cannot walk away
            services.cancel(db.session.get(WishClaim, claim_id))
        db.session.rollback()

    in_fund(app, paid_for)
    with app.app_context():  # paid in time: the claim never lapses
        run_every_minute(utcnow() + timedelta(days=30))

    def bought():
        wish = db.session.get(Wish, wish_id)
        claim = db.session.get(WishClaim, claim_id)
        assert wish.donation_id == donation_id and claim.status == "active"
        assert claim.expires_at is None
        treasurer = person("treasurer")
        payout = services.buy(
            wish, services.BuyInput(amount="200", payee="镇上家电商店"), treasurer
        )
        payouts.approve(payout, person("chair"))
        payouts.approve(payout, person("supervisor"))
        entries = payouts.mark_paid(payout, treasurer, "BANK-WISH-ONLINE", utcnow().date())
        db.session.commit()
        assert [(e.designation_id, e.amount_fen) for e in entries] == [(designation, -200_00)]
        assert (
            db.session.scalar(
                select(LedgerEntry.designation_id).where(LedgerEntry.donation_id == donation_id)
            )
            == designation
        )
        return payout.id

    in_fund(app, bought)
    with app.app_context():
        run_every_minute(utcnow() + timedelta(days=30, minutes=1))
    assert in_fund(app, lambda: db.session.get(Wish, wish_id).status) == "fulfilled"


def test_a_gift_confirmed_after_the_claim_lapsed_stays_a_gift_to_the_project(fund):
    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish, at=utcnow() - timedelta(days=13))
    designation = services.donate_args(wish)["designation"]
    donation = give_online(fund, wish, designation)
    claim.expires_at = utcnow() - timedelta(minutes=1)  # the days ran out before the money
    assert confirm(donation, "evt_wish_late") == "confirmed"
    assert services.funding([wish]) == {}
    shown = services.shown_of(wish)
    assert shown.state == "open" and not shown.funded
    assert donation.designation_id == designation and donation.status == "confirmed"


def test_a_gift_to_another_purpose_or_for_a_goods_wish_is_not_tied_to_it(fund):
    links = db.session.scalar(select(func.count()).select_from(WishGift))
    money = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claimed(fund, money)
    assert give_online(fund, money, None) is not None  # the gift itself is made
    goods = published(fund, fulfil_by="goods", title="一件棉衣")
    claimed(fund, goods, phone="13800000002")
    assert services.donate_args(goods) is None
    give_online(fund, goods, services.donate_args(money)["designation"])
    assert db.session.scalar(select(func.count()).select_from(WishGift)) == links


def test_money_recorded_on_the_wish_page_follows_the_same_rule(fund):
    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claimed(fund, wish)
    gift = services.record_money(
        wish,
        services.MoneyInput(amount="200", channel="cash", received_on=utcnow().date()),
        person("treasurer"),
    )
    link = db.session.scalar(select(WishGift).where(WishGift.wish_id == wish.id))
    assert link.donation_id == gift.id == wish.donation_id
    assert services.shown_of(wish).funded


# --- a gift for a wish given back: refunded, or reversed as booked by mistake ----------------


def refund(donation: Donation, event_id: str, total_fen: int) -> str:
    """The gateway's word that this much of the gift has been given back so far."""
    return gateway_says(donation, event_id, REFUNDED, "charge.refunded",
                        refunded_total_fen=total_fen)


def test_a_refunded_gift_no_longer_pays_for_the_wish_and_the_claim_gets_its_days_back(fund):
    from app.audit.models import AuditEntry

    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish, at=utcnow() - timedelta(days=2))
    donation = give_online(fund, wish, services.donate_args(wish)["designation"])
    assert confirm(donation, "evt_wish_refunded_1") == "confirmed"
    services.settle_wishes(utcnow())
    assert wish.donation_id == donation.id and claim.expires_at is None

    assert refund(donation, "evt_wish_refunded_2", 200_00) == "refund_booked"
    shown = services.shown_of(wish)  # on read, before the job
    assert donation.status == "refunded" and not shown.funded and shown.state == "claimed"
    services.settle_wishes(utcnow())
    assert wish.donation_id is None and claim.status == "active"
    assert claim.expires_at == claim.claimed_at + timedelta(days=14)  # its days, not more
    with pytest.raises(Invalid):  # nothing to buy it with
        services.buy(wish, services.BuyInput(amount="200", payee="镇上家电商店"),
                     person("treasurer"))
    services.cancel(claim)  # no money of theirs is held: the claimer may let it go
    db.session.commit()
    changes = [
        (json.loads(e.before).get("donation_id"), json.loads(e.after).get("donation_id"))
        for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.subject_table == "wish", AuditEntry.subject_id == wish.id))
    ]
    assert (None, donation.id) in changes and (donation.id, None) in changes


def test_a_partial_refund_below_the_value_unpays_the_wish_until_more_money_comes(fund):
    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish)
    designation = services.donate_args(wish)["designation"]
    first = give_online(fund, wish, designation, amount="250")
    confirm(first, "evt_wish_partly_1")
    refund(first, "evt_wish_partly_2", 50_00)
    assert services.funding([wish]) == {wish.id: (first.id, claim)}  # ¥200 left: enough
    refund(first, "evt_wish_partly_3", 100_00)
    assert first.status == "partially_refunded" and services.funding([wish]) == {}
    assert not services.shown_of(wish).funded
    second = give_online(fund, wish, designation, amount="50")  # still takes money
    confirm(second, "evt_wish_partly_4")
    assert services.funding([wish]) == {wish.id: (second.id, claim)}  # ¥150 + ¥50


def record_cash(wish) -> Donation:
    return services.record_money(
        wish,
        services.MoneyInput(amount="200", channel="cash", received_on=utcnow().date()),
        person("treasurer"),
    )


def test_money_booked_by_mistake_and_reversed_no_longer_pays_and_the_claim_lapses(fund):
    from app.donations import services as donations

    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish, at=utcnow() - timedelta(days=2))
    gift = record_cash(wish)
    assert wish.donation_id == gift.id and claim.expires_at is None
    donations.reverse(gift, "金额记错，重新录入", person("treasurer"))
    later = utcnow() + timedelta(days=13)  # past the claim's 14 days
    assert services.shown_of(wish, later).state == "open"  # on read, before the job
    services.settle_wishes(later)
    assert (wish.donation_id, claim.status) == (None, "expired")


def test_a_wish_the_fund_is_buying_keeps_its_gift_until_the_payout_ends(fund):
    from app.donations import services as donations

    wish = published(fund, fulfil_by="money", title="一个电饭煲", value="200")
    claim = claimed(fund, wish)
    gift = record_cash(wish)
    treasurer = person("treasurer")
    payout = services.buy(wish, services.BuyInput(amount="200", payee="镇上家电商店"), treasurer)
    donations.reverse(gift, "金额记错，重新录入", treasurer)
    assert services.funding([wish]) == {wish.id: (gift.id, claim)}  # signed on that money
    payouts.withdraw(payout, treasurer)
    assert services.funding([wish]) == {}
    services.settle_funding(wish)
    assert wish.donation_id is None and claim.expires_at is not None


# --- counts in the report's spreadsheets ------------------------------------------------------


def test_the_reports_csv_and_xlsx_carry_the_seasons_wishes(fund):
    from openpyxl import load_workbook

    from app.clock import local_today
    from app.disclosure import services as disclosure
    from app.disclosure.reports import compute, period

    data = compute(fund, period("annual", local_today().year))
    assert data.wishes["collected"] > 0
    text = disclosure.as_csv(data).decode("utf-8-sig")
    for label, key in (
        ("征集", "collected"),
        ("认领", "claimed"),
        ("实现", "fulfilled"),
        ("过期", "expired"),
    ):
        assert any(
            label in line and f",{data.wishes[key]}," in line for line in text.splitlines()
        ), (label, text)
    sheet = load_workbook(io.BytesIO(disclosure.as_xlsx(data))).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert str(data.wishes["collected"]) in cells


def test_the_board_shows_the_seasons_counts(client):
    board = client.get(f"/f/{FUND}/public")
    assert board.status_code == 200 and 'id="season"' in board.text


def test_a_gift_reported_for_a_collection_code_is_tied_to_the_wish_and_pays_once_matched(
    app, client
):
    """Without an online gateway the donate link opens the fund's collection codes; the
    donor's report carries the wish, and the bill's line confirming it pays for the wish."""
    from app.clock import LOCAL
    from app.donations import services as donations

    def setup():
        wish = published(fund_of(app), fulfil_by="money", title="一台血糖仪", value="150")
        claimed(fund_of(app), wish, phone="13800000055")
        db.session.commit()
        return wish.id, services.donate_args(wish)["designation"]

    wish_id, designation = in_fund(app, setup)
    offline = client.get(f"/f/{FUND}/donate?designation={designation}&wish={wish_id}")
    assert f"wish={wish_id}" in offline.text  # the report link keeps the wish
    form = client.get(f"/f/{FUND}/donate/report?designation={designation}&wish={wish_id}")
    assert re.search(rf'<input[^>]*name="wish"[^>]*value="{wish_id}"', form.text)
    paid = (utcnow() - timedelta(hours=1)).astimezone(LOCAL)
    kind = re.search(r'name="kind"[^>]*value="(\w+)"', form.text).group(1)
    reported = client.post(
        f"/f/{FUND}/donate/report",
        data={
            "kind": kind,
            "name": "张伟",
            "amount": "150",
            "paid_on": paid.date().isoformat(),
            "paid_time": paid.strftime("%H:%M"),
            "designation": str(designation),
            "wish": str(wish_id),
        },
    )
    assert reported.status_code == 200, reported.text

    def matched():
        link = db.session.scalar(select(WishGift).where(WishGift.wish_id == wish_id))
        donation = db.session.get(Donation, link.donation_id)
        wish = db.session.get(Wish, wish_id)
        assert donation.status == "pending" and not services.shown_of(wish).funded
        donations.confirm(donation, person("treasurer"))  # what the bill's matching line does
        assert services.shown_of(wish).funded
        services.settle_funding(wish)
        assert wish.donation_id == donation.id

    in_fund(app, matched)
