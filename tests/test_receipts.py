"""Receipts as a donor and a treasurer see them: numbers, the PDF's words and QR code, voiding,
reissuing, the public check, and the rules that keep issued receipts unchanged."""

import hashlib
import io
import re
import subprocess
import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app import common_font, pdf
from app.clock import local_today
from app.donations import services as donations
from app.donations.models import Donation
from app.donors import services as donors
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.receipts import render, services
from app.receipts.models import Receipt, ReceiptCounter, ReceiptGift
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import DB_KIND, LOGINS

RARE = "欧阳䶮喆堃玥燊昇"


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _fund(prefix="DGC") -> Fund:
    return db.session.scalar(select(Fund).where(Fund.receipt_prefix == prefix))


def _gift(amount="1050", name="张三丰", locale="zh_Hans", **kw) -> Donation:
    donor = donors.create_donor(donors.DonorInput(name=name, locale=locale))
    return donations.record_offline(donations.DonationInput(
        amount=amount, channel="cash", received_on=local_today(), donor_id=donor.id, **kw), None)


def _next(fund) -> int:
    year = local_today().year
    last = db.session.scalar(select(ReceiptCounter.last_number).where(
        ReceiptCounter.year == year)) or 0
    return last + 1


# --- issuing ---------------------------------------------------------------------------------

def test_receipt_states_number_donor_and_amount_in_figures_and_capitals(fund_in_request, tmp_path):
    expected = _next(fund_in_request)
    receipt = services.issue(_gift("1050"))
    year = local_today().year
    assert receipt.number == f"DGC-{year}-{expected:06d}"
    words = _pdf_text(services.file(receipt).data, tmp_path)
    assert receipt.number in words
    assert "张三丰" in words
    assert "1,050.00" in words
    assert "人民币壹仟零伍拾元整" in words.replace(" ", "")
    assert "捐赠收据" in words.replace(" ", "")


def test_amount_in_words_uses_capital_numerals():
    assert render.amount_in_words(105000) == "人民币壹仟零伍拾元整"
    assert render.amount_in_words(123456) == "人民币壹仟贰佰叁拾肆元伍角陆分"
    assert render.amount_in_words(5) == "人民币伍分"


def test_fonts_are_embedded_and_rare_name_characters_render(fund_in_request, tmp_path):
    receipt = services.issue(_gift("88", name=RARE))
    path = tmp_path / "r.pdf"
    path.write_bytes(services.file(receipt).data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    assert RARE in _pdf_text(path.read_bytes(), tmp_path)
    # Each character has a real glyph in a font the receipt's stylesheet names (not a box).
    families = ("WenQuanYi Micro Hei", "Noto Sans CJK SC")
    for char in RARE:
        covering = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"],
                                  capture_output=True, text=True, check=True).stdout
        assert any(f in covering for f in families), char


def _embedded_fonts(data: bytes, tmp_path) -> list[str]:
    (tmp_path / "f.pdf").write_bytes(data)
    lines = subprocess.run(["pdffonts", str(tmp_path / "f.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    return [line.split()[0].split("+")[-1] for line in lines]


def test_an_everyday_name_needs_only_the_common_cut_and_a_rare_one_the_full_font(
        fund_in_request, tmp_path):
    assert common_font.path() is not None  # WenQuanYi is installed here (make test does it)
    everyday = services.issue(_gift("30", name="王建华"))
    assert _embedded_fonts(services.file(everyday).data, tmp_path) == ["Shanlin-Common"]
    rare = services.file(services.issue(_gift("31", name=RARE))).data
    assert "WenQuanYi-Micro-Hei" in _embedded_fonts(rare, tmp_path)
    assert RARE in _pdf_text(rare, tmp_path)


def test_the_common_cut_covers_gb2312_and_leaves_rarer_characters_to_the_full_font():
    from fontTools.ttLib import TTFont

    with TTFont(str(common_font.path()), lazy=True) as font:
        covered = set(font.getBestCmap())
    assert {ord(c) for c in "捐赠收据人民币壹仟零伍拾元整¥·，。：（）—"} <= covered
    assert not {ord(c) for c in "喆䶮"} & covered


def _forget_fonts() -> None:
    common_font.path.cache_clear()
    pdf._forget_fonts()


def test_receipts_render_with_the_full_font_when_the_cut_cannot_be_made(fund_in_request, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(common_font, "_source", lambda: None)
    _forget_fonts()
    try:
        data = services.file(services.issue(_gift("32", name="王建华"))).data
        assert _embedded_fonts(data, tmp_path) == ["WenQuanYi-Micro-Hei"]
        assert "王建华" in _pdf_text(data, tmp_path)
    finally:
        monkeypatch.undo()
        _forget_fonts()


@pytest.mark.config(PUBLIC_URL="https://shanlin.example")
def test_qr_code_decodes_to_the_public_verification_page(fund_in_request, tmp_path):
    receipt = services.issue(_gift("20"))
    (tmp_path / "r.pdf").write_bytes(services.file(receipt).data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page-1.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == f"https://shanlin.example/r/{receipt.token}"


def test_english_donor_gets_an_english_receipt(fund_in_request, tmp_path):
    receipt = services.issue(_gift("66", name="Li Lei", locale="en"))
    words = _pdf_text(services.file(receipt).data, tmp_path)
    assert "Donation receipt" in words and "Li Lei" in words
    assert "人民币陆拾陆元整" in words.replace(" ", "")  # the capitals stay: the law wants them


def test_a_firm_may_have_its_full_name_printed(fund_in_request, tmp_path):
    receipt = services.issue(_gift("500", name="王老板"), name="芦湾镇东港五金有限公司")
    assert receipt.name == "芦湾镇东港五金有限公司"
    assert "芦湾镇东港五金有限公司" in _pdf_text(services.file(receipt).data, tmp_path)


def test_only_confirmed_unwaived_gifts_without_a_receipt_get_one(fund_in_request):
    gift = _gift("10")
    services.issue(gift)
    with pytest.raises(Invalid, match="已有有效收据"):
        services.issue(gift)
    waived = _gift("11")
    services.waive(waived)
    with pytest.raises(Invalid, match="不需要"):
        services.issue(waived)
    box = donations.record_offline(donations.DonationInput(
        amount="5", channel="cash", received_on=local_today()), None)
    with pytest.raises(Invalid, match="收据抬头"):
        services.issue(box)  # no donor: the name must be given
    assert services.issue(box, name="一位村民").name == "一位村民"


def test_downloading_again_returns_the_same_bytes(app, client, auth):
    auth.login(LOGINS["treasurer"])
    with app.app_context(), using(SYSTEM):
        receipt = db.session.scalar(select(Receipt).join(Fund, Fund.id == Receipt.fund_id)
                                    .where(Fund.receipt_prefix == "DGC",
                                           Receipt.status == "valid"))
        rid, digest = receipt.id, receipt.pdf_sha256
    first = client.get(f"/f/donggangcun/receipts/{rid}/pdf")
    second = client.get(f"/f/donggangcun/receipts/{rid}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data
    assert hashlib.sha256(first.data).hexdigest() == digest


def test_a_failure_while_issuing_leaves_no_gap(fund_in_request, monkeypatch):
    gift, other = _gift("30"), _gift("31")
    db.session.commit()
    expected = _next(fund_in_request)

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    with monkeypatch.context() as patch:
        patch.setattr(render, "receipt_pdf", broken)
        with pytest.raises(RuntimeError):
            services.issue(gift)
    db.session.rollback()
    assert services.issue(other).sequence == expected


# --- void and reissue ------------------------------------------------------------------------

def test_void_keeps_the_original_and_stores_a_stamped_copy(fund_in_request, tmp_path):
    receipt = services.issue(_gift("200"))
    original = services.file(receipt).data
    with pytest.raises(Invalid, match="作废的原因"):
        services.void(receipt, "  ")
    services.void(receipt, "金额写错")
    assert receipt.is_void and receipt.void_reason == "金额写错"
    assert services.file(receipt).data == original
    assert hashlib.sha256(original).hexdigest() == receipt.pdf_sha256
    stamped = services.current_pdf(receipt)
    assert stamped.variant == "void"
    words = _pdf_text(stamped.data, tmp_path)
    # The stamp is set at an angle, so its two characters come out on separate lines.
    assert {"V", "O", "I", "D", "作", "废"} <= set(words)
    assert receipt.number in words
    assert "VOID" not in _pdf_text(original, tmp_path).replace(" ", "")


def test_reissue_gets_a_new_number_that_refers_to_the_old(fund_in_request, tmp_path):
    old = services.issue(_gift("300"))
    with pytest.raises(Invalid, match="请先作废"):
        services.reissue(old)
    services.void(old, "名字写错")
    new = services.reissue(old, name="张三丰（更正）")
    assert new.number != old.number and new.sequence == old.sequence + 1
    assert new.replaces_id == old.id and new.donation_id == old.donation_id
    assert old.number in _pdf_text(services.file(new).data, tmp_path)
    with pytest.raises(Invalid, match="已经重开"):
        services.reissue(old)


def test_the_database_refuses_to_change_or_delete_an_issued_receipt(fund_in_request):
    receipt = services.issue(_gift("40"))
    db.session.commit()
    services.void(receipt, "测试")
    db.session.commit()
    for sql in ("UPDATE receipt SET amount_fen = 1 WHERE id = :id",
                "UPDATE receipt SET name = 'x' WHERE id = :id",
                "UPDATE receipt SET status = 'valid' WHERE id = :id",
                "UPDATE receipt SET period_end = '2099-01-01' WHERE id = :id",
                "DELETE FROM receipt WHERE id = :id",
                "UPDATE receipt_file SET data = :blob WHERE receipt_id = :id",
                "DELETE FROM receipt_file WHERE receipt_id = :id"):
        with pytest.raises(Exception, match="cannot change|immutable|never deleted"):
            db.session.execute(text(sql), {"id": receipt.id, "blob": b"x"})
        db.session.rollback()


def test_void_and_reissue_through_the_pages(app, client, auth):
    auth.login(LOGINS["treasurer"])
    with app.app_context(), using(SYSTEM):
        receipt = db.session.scalar(select(Receipt).join(Fund, Fund.id == Receipt.fund_id).where(
            Fund.receipt_prefix == "DGC", Receipt.status == "valid").order_by(Receipt.id))
        rid, token = receipt.id, receipt.token
    page = client.post(f"/f/donggangcun/receipts/{rid}/void", data={"reason": ""})
    assert page.status_code == 422
    assert "请说明作废的原因" in page.text or "Say why" in page.text
    assert client.post(f"/f/donggangcun/receipts/{rid}/void",
                       data={"reason": "重复开具"}).status_code == 302
    assert "作废" in client.get(f"/r/{token}").text
    done = client.post(f"/f/donggangcun/receipts/{rid}/reissue", data={"name": ""})
    assert done.status_code == 302
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/f/donggangcun/receipts/{new_id}").status_code == 200


def test_a_member_cannot_void_and_a_social_worker_cannot_either(app, client, auth):
    with app.app_context(), using(SYSTEM):
        rid = db.session.scalar(select(Receipt.id).join(Fund, Fund.id == Receipt.fund_id)
                                .where(Fund.receipt_prefix == "DGC", Receipt.status == "valid"))
    for who in ("member", "social_worker"):
        auth.login(LOGINS[who])
        answer = client.post(f"/f/donggangcun/receipts/{rid}/void", data={"reason": "x"})
        assert answer.status_code == 403, who
        auth.logout()


def test_issue_page_for_a_donation(app, client, auth):
    auth.login(LOGINS["treasurer"])
    with app.test_request_context(), using(fund_scope(_fund().id)):
        gift = _gift("77", name="赵敏")
        db.session.commit()
        gift_id = gift.id
    assert "签发收据" in client.get(f"/f/donggangcun/donations/{gift_id}").text
    answer = client.post(f"/f/donggangcun/receipts/issue/{gift_id}", data={"name": ""})
    assert answer.status_code == 302
    again = client.post(f"/f/donggangcun/receipts/issue/{gift_id}", data={"name": ""})
    assert again.status_code == 422 and "已有有效收据" in again.text


# --- the public check ------------------------------------------------------------------------

def test_verification_page_shows_only_masked_facts(app, client):
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        gift = _gift("1050", name="张三丰")
        donor = gift.donor
        donor.phone = "13812345678"
        receipt = services.issue(gift)
        db.session.commit()
        token, number = receipt.token, receipt.number
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "张*丰" in page.text and "张三丰" not in page.text
    assert number in page.text and "1,050.00" in page.text and "东港村社区慈善基金" in page.text
    assert "13812345678" not in page.text and "有效" in page.text
    assert client.get("/r/not-a-real-token").status_code == 404
    assert client.get("/r/" + "x" * 500).status_code == 404


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_verification_page_is_rate_limited(client):
    answers = [client.get("/r/guessing-tokens").status_code for _ in range(40)]
    assert 404 in answers and answers[-1] == 429


def test_another_funds_receipt_is_not_reachable_through_this_funds_urls(app, client, auth):
    with app.app_context(), using(SYSTEM):
        other = db.session.scalar(select(Receipt.id).join(Fund, Fund.id == Receipt.fund_id)
                                  .where(Fund.receipt_prefix == "NTC"))
    auth.login(LOGINS["treasurer"])  # 东港村's treasurer, asking for a 南塘村 receipt
    for url in (f"/f/donggangcun/receipts/{other}", f"/f/donggangcun/receipts/{other}/pdf"):
        assert client.get(url).status_code == 404
    assert client.post(f"/f/donggangcun/receipts/{other}/void",
                       data={"reason": "x"}).status_code == 404
    assert client.get(f"/f/nantangcun/receipts/{other}").status_code == 403


# --- settings, the seal and the renderer's limits -------------------------------------------

def _png(size=(1, 1)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", size, (200, 0, 0, 255)).save(out, "PNG")
    return out.getvalue()


PNG_1PX = _png()  # a whole, decodable PNG: the seal check decodes what it is given


def test_seal_must_be_a_png_and_is_printed(app, client, auth, tmp_path):
    auth.login(LOGINS["treasurer"])
    bad = client.post("/f/donggangcun/receipts/settings", data={
        "issue_mode": "manual", "thanks": "",
        "seal": (io.BytesIO(b"GIF89a..."), "seal.png")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "PNG" in bad.text

    good = client.post("/f/donggangcun/receipts/settings", data={
        "issue_mode": "manual", "thanks": "谢谢乡亲！",
        "seal": (io.BytesIO(PNG_1PX), "seal.png")}, content_type="multipart/form-data")
    assert good.status_code == 302
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        receipt = services.issue(_gift("12"))
        data = services.file(receipt).data
    (tmp_path / "r.pdf").write_bytes(data)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "r.pdf")],
                            capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert len(images) >= 2  # the QR code and the seal
    assert "谢谢乡亲！" in _pdf_text(data, tmp_path)


def test_renderer_fetches_nothing_outside_static(app):
    with app.test_request_context():
        for src in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "/static/../../etc/hosts"):
            with pytest.raises(pdf.FetchRefused):
                pdf.document(f'<p>图</p><img src="{src}">').write_pdf()
        assert pdf.document('<img src="/static/vendor/../css/app.css"><p>图</p>').write_pdf()


def test_rendering_refuses_without_a_chinese_font(app, fund_in_request, monkeypatch):
    monkeypatch.setattr(pdf, "cjk_font_families", lambda: ())
    with pytest.raises(pdf.FontMissing, match="fonts-noto-cjk"):
        services.issue(_gift("9"))


def test_the_page_says_which_font_package_is_missing(app, client, auth, monkeypatch):
    monkeypatch.setattr(pdf, "cjk_font_families", lambda: ())
    auth.login(LOGINS["treasurer"])
    with app.test_request_context(), using(fund_scope(_fund().id)):
        gift_id = _gift("8").id
        db.session.commit()
    answer = client.post(f"/f/donggangcun/receipts/issue/{gift_id}", data={"name": ""})
    assert answer.status_code == 503 and "fonts-noto-cjk" in answer.text


# --- numbers under concurrency (PostgreSQL) ----------------------------------------------------

@pytest.mark.skipif(DB_KIND != "postgresql", reason="row locks are PostgreSQL's")
def test_200_receipts_from_concurrent_workers_are_gapless(app):
    with app.test_request_context(), using(SYSTEM):
        fund = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "TYC"))
        fund_id = fund.id
        year = local_today().year
        start = db.session.scalar(select(ReceiptCounter.last_number).where(
            ReceiptCounter.fund_id == fund_id, ReceiptCounter.year == year)) or 0
    with app.test_request_context(), using(fund_scope(fund_id)):
        ids = [donations.record_offline(donations.DonationInput(
            amount=str(10 + i), channel="cash", received_on=local_today()), None).id
            for i in range(200)]
        db.session.commit()
    errors = []

    def worker(chunk):
        with app.test_request_context(), using(fund_scope(fund_id)):
            try:
                for donation_id in chunk:
                    services.issue(db.session.get(Donation, donation_id), name="村民")
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(ids[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context(), using(fund_scope(fund_id)):
        numbers = db.session.scalars(select(Receipt.sequence).where(
            Receipt.donation_id.in_(ids))).all()
        assert sorted(numbers) == list(range(start + 1, start + 201))
        names = db.session.scalars(select(Receipt.number).where(Receipt.donation_id.in_(ids)))
        assert all(re.fullmatch(rf"TYC-{year}-\d{{6}}", n) for n in names)
        assert db.session.scalar(select(func.count()).select_from(Receipt).where(
            Receipt.donation_id.in_(ids))) == 200


# --- annual receipts and print runs (background jobs) -------------------------------------------

def test_annual_receipt_lists_every_counted_gift_of_the_year(fund_in_request, tmp_path):
    donor = donors.create_donor(donors.DonorInput(name="李四"))
    last_year = local_today().year - 1
    for amount, day in (("100", date(last_year, 2, 1)), ("250.50", date(last_year, 9, 9))):
        donations.record_offline(donations.DonationInput(
            amount=amount, channel="cash", received_on=day, donor_id=donor.id), None)
    donations.record_offline(donations.DonationInput(
        amount="999", channel="cash", received_on=date(last_year - 1, 5, 5),
        donor_id=donor.id), None)
    assert donor.id in services.annual_donor_ids(last_year)
    receipt = services.issue_annual(donor, last_year)
    assert receipt.kind == "annual" and receipt.amount_fen == 35050
    words = _pdf_text(services.file(receipt).data, tmp_path)
    assert "年度捐赠汇总收据" in words.replace(" ", "") and "李四" in words
    assert "100.00" in words and "250.50" in words and "350.50" in words and "999" not in words
    assert "人民币叁佰伍拾元伍角" in words.replace(" ", "")
    assert donor.id not in services.annual_donor_ids(last_year)
    with pytest.raises(Invalid, match="没有尚未开具有效收据的捐赠"):
        services.issue_annual(donor, last_year)
    services.void(receipt, "漏了一笔")
    again = services.reissue(receipt)
    assert again.kind == "annual" and again.replaces_id == receipt.id


def _gifts_of(donor, *amounts_and_days) -> list[Donation]:
    return [donations.record_offline(donations.DonationInput(
        amount=amount, channel="cash", received_on=day, donor_id=donor.id), None)
        for amount, day in amounts_and_days]


def _links(donation_id: int) -> list[tuple[str, bool]]:
    return db.session.execute(select(Receipt.number, ReceiptGift.valid).join(
        Receipt, Receipt.id == ReceiptGift.receipt_id).where(
        ReceiptGift.donation_id == donation_id).order_by(ReceiptGift.id)).all()


def test_a_gift_with_its_own_receipt_is_not_on_the_annual_receipt(fund_in_request, tmp_path):
    """¥66 and ¥100 receipted one by one reappeared on the donor's annual receipt: the same
    money acknowledged twice. The annual receipt now sums up only the rest, says so, and
    prints the period of the gifts it lists, not the whole year."""
    donor = donors.create_donor(donors.DonorInput(name="王五"))
    year = local_today().year - 1
    first, second, rest, later = _gifts_of(
        donor, ("66", date(year, 1, 20)), ("100", date(year, 3, 3)),
        ("250.50", date(year, 4, 8)), ("30", date(year, 6, 9)))
    services.issue(first)
    services.issue(second)
    receipt = services.issue_annual(donor, year)
    assert receipt.amount_fen == 28050
    assert (receipt.period_start, receipt.period_end) == (date(year, 4, 8), date(year, 6, 9))
    assert [link.donation_id for link in services.listed_gifts(receipt)] == [rest.id, later.id]
    words = _pdf_text(services.file(receipt).data, tmp_path)
    flat = words.replace(" ", "")
    assert "本收据汇总下列未单独开具收据的捐赠" in flat
    assert "250.50" in words and "30.00" in words and "280.50" in words
    assert "66.00" not in words and "100.00" not in words
    assert f"{year}年4月8日至{year}年6月9日" in flat
    assert "1月1日" not in flat and "12月31日" not in flat
    with pytest.raises(Invalid, match="已有有效收据"):
        services.issue(rest)  # and the other way round: a listed gift gets no single receipt


def test_an_english_annual_receipt_says_what_it_covers(fund_in_request, tmp_path):
    donor = donors.create_donor(donors.DonorInput(name="Li Lei", locale="en"))
    year = local_today().year - 1
    _gifts_of(donor, ("12", date(year, 5, 1)))
    words = _pdf_text(services.file(services.issue_annual(donor, year)).data, tmp_path)
    assert "for which no separate receipt was issued" in " ".join(words.split())


def test_the_verification_page_of_an_annual_receipt_lists_its_gifts(app, client):
    year = local_today().year - 1
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        donor = donors.create_donor(donors.DonorInput(name="赵六六"))
        receipted, *_ = _gifts_of(donor, ("66", date(year, 2, 2)), ("88.80", date(year, 7, 7)),
                                  ("20", date(year, 9, 1)))
        services.issue(receipted)
        token = services.issue_annual(donor, year).token
        db.session.commit()
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "年度汇总收据" in page.text and "本收据汇总下列未单独开具收据的捐赠" in page.text
    assert f"{year}年7月7日" in page.text and f"{year}年9月1日" in page.text
    assert "88.80" in page.text and "20.00" in page.text and "108.80" in page.text
    assert f"{year}年2月2日" not in page.text and "66.00" not in page.text
    assert "赵*六" in page.text and "赵六六" not in page.text


def test_the_treasurers_page_of_an_annual_receipt_links_its_gifts(app, client, auth):
    year = local_today().year - 1
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        donor = donors.create_donor(donors.DonorInput(name="钱七七"))
        receipted, later = _gifts_of(donor, ("66", date(year, 2, 2)), ("88.80", date(year, 7, 7)))
        services.issue(receipted)
        receipt_id, ids = services.issue_annual(donor, year).id, (receipted.id, later.id)
        db.session.commit()
    auth.login(LOGINS["treasurer"])
    page = client.get(f"/f/donggangcun/receipts/{receipt_id}").text
    listed = page[page.index('id="receipt-gifts"'):]
    assert f"/donations/{ids[1]}" in listed and f"{year}年7月7日" in listed and "88.80" in listed
    assert f"/donations/{ids[0]}" not in listed  # receipted on its own: not on this one


def test_a_gifts_page_names_its_annual_receipt_and_offers_no_second(app, client, auth):
    year = local_today().year - 1
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        donor = donors.create_donor(donors.DonorInput(name="吴十"))
        gift_id = _gifts_of(donor, ("55", date(year, 10, 10)))[0].id
        number = services.issue_annual(donor, year).number
        db.session.commit()
    auth.login(LOGINS["treasurer"])
    page = client.get(f"/f/donggangcun/donations/{gift_id}")
    assert number in page.text
    assert f"/receipts/issue/{gift_id}" not in page.text


def test_the_database_refuses_a_gift_on_two_valid_receipts(fund_in_request):
    """Whatever a service checks, the database holds: a gift is on one valid receipt at most,
    single or annual, and a link changes only when its receipt is voided."""
    donor = donors.create_donor(donors.DonorInput(name="钱七"))
    year = local_today().year - 1
    single_gift, annual_gift = _gifts_of(donor, ("10", date(year, 1, 5)), ("20", date(year, 2, 5)))
    single = services.issue(single_gift)
    annual = services.issue_annual(donor, year)
    db.session.commit()
    link = {"fund_id": fund_in_request.id, "receipt_id": annual.id, "donation_id": single_gift.id,
            "received_on": single_gift.received_on, "amount_fen": 1000, "valid": True}
    with pytest.raises(IntegrityError, match="(?i)unique"):
        db.session.add(ReceiptGift(**link))
        db.session.flush()
    db.session.rollback()
    for sql in ("UPDATE receipt_gift SET valid = false WHERE receipt_id = :id",
                "UPDATE receipt_gift SET amount_fen = 1 WHERE receipt_id = :id",
                "UPDATE receipt_gift SET donation_id = :other WHERE receipt_id = :id",
                "DELETE FROM receipt_gift WHERE receipt_id = :id"):
        with pytest.raises(Exception, match="follows its receipt"):
            db.session.execute(text(sql), {"id": single.id, "other": annual_gift.id})
        db.session.rollback()
    assert _links(single_gift.id) == [(single.number, True)]


def test_voiding_frees_the_gifts_and_the_reissue_takes_them(fund_in_request):
    donor = donors.create_donor(donors.DonorInput(name="孙八"))
    year = local_today().year - 1
    one, two = _gifts_of(donor, ("40", date(year, 3, 1)), ("60", date(year, 8, 1)))
    annual = services.issue_annual(donor, year)
    db.session.commit()
    services.void(annual, "捐赠人要求逐笔开具")
    db.session.commit()
    assert _links(one.id) == [(annual.number, False)]
    single = services.issue(one)  # freed by the void
    again = services.reissue(annual)
    db.session.commit()
    assert again.amount_fen == 6000 and again.replaces_id == annual.id
    assert _links(one.id) == [(annual.number, False), (single.number, True)]
    assert _links(two.id) == [(annual.number, False), (again.number, True)]
    services.void(single, "重开")
    db.session.commit()
    assert services.reissue(single).donation_id == one.id


def test_a_single_and_an_annual_receipt_at_once_take_the_gift_once(app):
    """A treasurer issues a gift's receipt while the annual run reaches its donor."""
    year = local_today().year - 1
    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        donor = donors.create_donor(donors.DonorInput(name="周九"))
        gift_id, donor_id = _gifts_of(donor, ("75", date(year, 5, 5)))[0].id, donor.id
        db.session.commit()
    outcomes = []
    barrier = threading.Barrier(2)

    def press(action):
        barrier.wait()  # before either transaction begins: on SQLite the first one waits
        with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
            try:
                action(db.session.get(Donation, gift_id), db.session.get(Donor, donor_id))
                db.session.commit()
                outcomes.append("issued")
            except Exception as error:  # noqa: BLE001 - the refusal is what we count
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press, args=(action,)) for action in (
        lambda gift, donor: services.issue(gift),
        lambda gift, donor: services.issue_annual(donor, year))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("issued") == 1, outcomes
    with app.app_context(), using(fund_scope(_fund().id)):
        assert [valid for _, valid in _links(gift_id)] == [True]


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_annual_receipts_for_all_donors_run_as_a_job(app, client, auth):
    auth.login(LOGINS["treasurer"])
    year = local_today().year
    page = client.get(f"/f/donggangcun/receipts/annual?year={year}")
    assert page.status_code == 200
    answer = client.post("/f/donggangcun/receipts/annual", data={"year": str(year)})
    assert answer.status_code == 302 and "/jobs/" in answer.headers["Location"]
    job_page = client.get(answer.headers["Location"])
    assert 'data-status="done"' in job_page.text, job_page.text
    with app.app_context(), using(fund_scope(_fund().id)):
        assert services.annual_donor_ids(year) == []
        assert db.session.scalar(select(func.count()).select_from(Receipt).where(
            Receipt.kind == "annual")) > 0
    assert client.post("/f/donggangcun/receipts/annual",
                       data={"year": "1999"}).status_code == 422


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_print_run_joins_the_stored_receipts_of_a_date_range(app, client, auth, tmp_path):
    auth.login(LOGINS["treasurer"])
    today = local_today()
    with app.app_context(), using(fund_scope(_fund().id)):
        ids = services.print_run_ids(start=today, end=today)
        numbers = [db.session.get(Receipt, i).number for i in ids]
    assert numbers, "the demo issues receipts today"
    assert client.post("/f/donggangcun/receipts/print", data={"batch_id": ""}).status_code == 422
    answer = client.post("/f/donggangcun/receipts/print", data={
        "batch_id": "", "start": today.isoformat(), "end": today.isoformat()})
    assert answer.status_code == 302
    job_url = answer.headers["Location"]
    merged = client.get(job_url + "/file")
    assert merged.status_code == 200 and merged.mimetype == "application/pdf"
    words = _pdf_text(merged.data, tmp_path)
    assert all(number in words for number in numbers)
    assert words.count("\f") == len(numbers)  # one page per receipt


def test_funds_that_issue_automatically_receipt_new_gifts_only(app):
    from app.receipts import bulk

    with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
        old = db.session.scalar(select(Donation).where(
            Donation.status == "confirmed", Donation.donor_id.is_not(None),
            Donation.id.not_in(select(Receipt.donation_id).where(
                Receipt.donation_id.is_not(None)))))
        named, waived = _gift("120"), _gift("130")
        services.waive(waived)
        box = donations.record_offline(donations.DonationInput(
            amount="5", channel="cash", received_on=local_today()), None)
        db.session.commit()
        ids = {"old": old.id, "named": named.id, "waived": waived.id, "box": box.id}
    with app.test_request_context(method="POST"), using(SYSTEM):
        assert bulk.issue_automatically(services.utcnow()) >= 1  # 东港村 issues automatically
        db.session.commit()
    with app.app_context(), using(fund_scope(_fund().id)):
        receipted = set(db.session.scalars(select(Receipt.donation_id)))
    assert ids["named"] in receipted
    assert not {ids["old"], ids["waived"], ids["box"]} & receipted


def test_the_same_gift_issued_twice_at_once_gets_one_receipt(app):
    """Two people (or the automatic run and a person) pressing issue together: SQLite takes
    no row locks, so the database's own unique index must refuse the second receipt."""
    with app.test_request_context(), using(fund_scope(_fund().id)):
        gift_id = _gift("60").id
        db.session.commit()
    outcomes = []
    barrier = threading.Barrier(2)

    def press():
        barrier.wait()  # before either transaction begins: on SQLite the first one waits
        with app.test_request_context(method="POST"), using(fund_scope(_fund().id)):
            try:
                services.issue(db.session.get(Donation, gift_id), name="同时")
                db.session.commit()
                outcomes.append("issued")
            except Exception as error:  # noqa: BLE001 - the refusal is what we count
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("issued") == 1, outcomes
    with app.app_context(), using(fund_scope(_fund().id)):
        assert db.session.scalar(select(func.count()).select_from(Receipt).where(
            Receipt.donation_id == gift_id, Receipt.status == "valid")) == 1


def test_an_id_beyond_any_database_integer_is_not_found(client, auth):
    auth.login(LOGINS["treasurer"])
    for url in ("/f/donggangcun/receipts/99999999999999999999",
                "/f/donggangcun/receipts/99999999999999999999/pdf",
                "/f/donggangcun/donations/2147483648"):
        assert client.get(url).status_code == 404, url
