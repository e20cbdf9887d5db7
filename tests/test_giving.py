"""Giving beyond the gateways: 我要捐赠 buttons, the donate page naming the host charity, a
fund's collection code with gifts reported by donors and confirmed by importing the fund's
WeChat or Alipay bill (matched by amount, time and note, the rest by hand on one screen), and
the QR posters of donation points and projects."""

import io
import re
import subprocess
from contextlib import contextmanager
from datetime import datetime, timedelta

import requests
import segno
from sqlalchemy import select

from app.clock import LOCAL
from app.db_types import utcnow
from app.donations.models import Designation, Donation, DonationPoint
from app.extensions import db
from app.funds.models import Fund
from app.giving.models import BillLine, GiftReport
from app.governance.models import Proposal
from app.ledger.models import LedgerEntry
from tenants import fund_scope, using

from .conftest import ARTIFACTS, LOGINS, PASSWORD
from .helpers import fire_calls
from .payment_fakes import WECHAT, looking

FUND = "donggangcun"


@contextmanager
def in_fund(app):
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            yield fund
        db.session.remove()


def qr_png() -> bytes:
    out = io.BytesIO()
    segno.make("wxp://f2f0shanlin-test-code").save(out, kind="png", scale=8)
    return out.getvalue()


def upload_codes(client, auth):
    auth.login(LOGINS["treasurer"])
    for kind, payee in (("wechat", "东港村村委会"), ("alipay", "东港村村委会")):
        response = client.post(f"/f/{FUND}/giving/codes", data={
            "kind": kind, "payee": payee, "image": (io.BytesIO(qr_png()), "code.png")},
            content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()


def beijing(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL)


def report(client, **form):
    data = {"kind": "wechat", "amount": "100", "name": "王秀英", "paid_on": "",
            "paid_time": "", "phone_last4": "1234", "designation": "", **form}
    return client.post(f"/f/{FUND}/donate/report", data=data)


def wechat_bill(*lines: tuple[datetime, str, str, str, str]) -> bytes:
    """A 微信支付账单明细 export: summary lines, then 交易时间 … 备注, amounts as ¥."""
    head = ["微信支付账单明细,,,,,,,,,,", "微信昵称：[东港村村委会],,,,,,,,,,",
            "起始时间：[2026-12-01 00:00:00] 终止时间：[2026-12-07 23:59:59],,,,,,,,,,",
            f"共{len(lines)}笔记录,,,,,,,,,,", ",,,,,,,,,,",
            "----------------------微信支付账单明细列表--------------------,,,,,,,,,,",
            "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注"]
    rows = [f"{at:%Y-%m-%d %H:%M:%S},二维码收款,{payer},/,收入,¥{amount},/,已存入零钱,"
            f"{serial}\t,/,{note}" for at, payer, amount, serial, note in lines]
    rows.append(f"{lines[0][0]:%Y-%m-%d %H:%M:%S},零钱提现,招商银行,/,/,¥50.00,/,提现已到账,"
                "1000000000000099,/,/")
    return ("\ufeff" + "\n".join(head + rows) + "\n").encode()


def alipay_bill(*lines) -> bytes:
    """A 支付宝交易明细 export, in GBK as Alipay writes it."""
    rule = "-" * 24
    head = [rule * 3, "导出信息：", "姓名：东港村村委会", f"共{len(lines)}笔记录", "",
            f"{rule}支付宝（中国）网络技术有限公司  电子客户回单{rule}",
            "交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,"
            "商家订单号,备注,"]
    rows = [f"{at:%Y-%m-%d %H:%M:%S},转账红包,{payer},abc***@qq.com,收钱码收款,收入,{amount},"
            f",交易成功,{serial}\t,,{note}," for at, payer, amount, serial, note in lines]
    return ("\n".join(head + rows) + "\n").encode("gb18030")


def import_bill(client, kind: str, data: bytes):
    return client.post(f"/f/{FUND}/giving/bills", data={
        "kind": kind, "file": (io.BytesIO(data), "bill.csv")}, content_type="multipart/form-data")


# ---- buttons and the donate page --------------------------------------------------------------

def test_give_buttons_on_the_board_the_projects_and_the_fund_cards(app, client):
    board = client.get(f"/f/{FUND}/public").get_data(as_text=True)
    assert f'href="/f/{FUND}/donate"' in board and "我要捐赠" in board
    with looking(app) as session:
        fund_id = session.scalar(select(Fund.id).where(Fund.slug == FUND))
        project = session.scalar(select(Proposal).where(
            Proposal.fund_id == fund_id, Proposal.designation_id.is_not(None)))
        open_gifts = session.get(Designation, project.designation_id).active
        project_id, designation_id = project.id, project.designation_id
    page = client.get(f"/f/{FUND}/public/projects/{project_id}").get_data(as_text=True)
    link = f'/f/{FUND}/donate?designation={designation_id}'
    assert (link in page) == open_gifts and (link in board) == open_gifts
    landing = client.get("/").get_data(as_text=True)
    assert f'href="/f/{FUND}/donate"' in landing


def test_the_donate_page_says_the_host_charity_receives_the_money(client):
    body = client.get(f"/f/{FUND}/donate").get_data(as_text=True)
    assert "善款由苏州市吴江区慈善总会接收" in body


def test_a_posters_project_or_point_is_chosen_on_the_form_and_kept(app, client, wechatpay):
    with in_fund(app):
        designation_id = db.session.scalar(select(Designation.id).where(Designation.active))
        point_id = db.session.scalar(select(DonationPoint.id).where(DonationPoint.active))
    body = client.get(f"/f/{FUND}/donate?designation={designation_id}&point={point_id}") \
        .get_data(as_text=True)
    assert f'<option selected value="{designation_id}">' in body
    assert f'name="point" type="hidden" value="{point_id}"' in body
    client.post(f"/f/{FUND}/donate", data={
        "amount": "50", "name": "吴芳", "phone": "13812340002", "anonymity": "show",
        "designation": str(designation_id), "point": str(point_id), "method": "wechatpay"})
    with in_fund(app):
        gift = db.session.scalar(select(Donation).order_by(Donation.id.desc()))
        assert (gift.designation_id, gift.point_id, gift.status) == (designation_id, point_id,
                                                                     "pending")


# ---- the collection code, reported gifts and the bill --------------------------------------------

def test_a_reported_gift_is_confirmed_by_the_wechat_bill(app, client, auth):
    upload_codes(client, auth)
    page = client.get(f"/f/{FUND}/donate").get_data(as_text=True)
    assert f"/f/{FUND}/donate/code/wechat" in page and "东港村+" in page
    image = client.get(f"/f/{FUND}/donate/code/wechat")
    assert image.status_code == 200 and image.data == qr_png()
    assert "sandbox" in image.headers["Content-Security-Policy"]

    now = utcnow().astimezone(LOCAL).replace(second=0, microsecond=0)
    paid = now - timedelta(hours=2)
    bad = report(client, amount="0", name="", paid_on="2020-01-01", paid_time="9点")
    assert bad.status_code == 422
    for field in ("amount", "name", "paid_time"):
        assert f'id="{field}-error"' in bad.get_data(as_text=True)
    thanks = report(client, paid_on=f"{paid:%Y-%m-%d}", paid_time=f"{paid:%H:%M}")
    assert thanks.status_code == 200 and "report-form" not in thanks.get_data(as_text=True)
    # Two people gave ¥100 around the same time; only the note tells them apart.
    report(client, name="李明", phone_last4="", paid_on=f"{paid:%Y-%m-%d}",
           paid_time=f"{paid:%H:%M}")
    with in_fund(app):
        reported = {r.name: r.donation_id for r in db.session.scalars(
            select(GiftReport).where(GiftReport.name.in_(["王秀英", "李明"])))}
        assert len(reported) == 2
        assert all(db.session.get(Donation, d).status == "pending" for d in reported.values())

    auth.login(LOGINS["treasurer"])
    minutes = [paid + timedelta(minutes=m) for m in (3, 9, 20)]
    bill = wechat_bill((minutes[0], "王**", "100.00", "4200000001", "东港村+王秀英"),
                       (minutes[1], "李*", "100.00", "4200000002", ""),
                       (minutes[2], "张*", "30.00", "4200000003", "东港村"))
    imported = import_bill(client, "wechat", bill)
    assert imported.status_code == 302
    with in_fund(app):
        wang = db.session.get(Donation, reported["王秀英"])
        assert (wang.status, wang.reference, wang.donor.name) == ("confirmed", "4200000001",
                                                                  "王秀英")
        # 李明's gift: no note, but no other pending ¥100 gift is left: matched too.
        assert db.session.get(Donation, reported["李明"]).status == "confirmed"
        lines = {line.serial: line.donation_id for line in db.session.scalars(select(BillLine))}
        assert lines["4200000003"] is None and "1000000000000099" not in lines  # 提现: not in
    again = import_bill(client, "wechat", bill)  # the same bill twice adds nothing
    assert again.status_code == 302
    with in_fund(app):
        assert len(db.session.scalars(select(BillLine).where(
            BillLine.serial.like("420000000%"))).all()) == 3

    # The ¥30 nobody reported waits on the screen; the treasurer records it as a gift.
    screen = client.get(f"/f/{FUND}/giving/bills").get_data(as_text=True)
    assert "4200000003" in screen
    with in_fund(app):
        line_id = db.session.scalar(select(BillLine.id).where(BillLine.serial == "4200000003"))
    assert client.post(f"/f/{FUND}/giving/bills/{line_id}/record").status_code == 302
    with in_fund(app):
        gift = db.session.scalar(select(Donation).where(Donation.reference == "4200000003"))
        assert (gift.status, gift.channel, gift.amount_fen) == ("confirmed", "wechat", 3000)
        assert db.session.scalar(select(LedgerEntry.amount_fen).where(
            LedgerEntry.donation_id == gift.id)) == 3000


def test_ambiguous_lines_wait_for_the_treasurer_who_matches_by_hand(app, client, auth):
    upload_codes(client, auth)
    paid = utcnow().astimezone(LOCAL).replace(second=0, microsecond=0) - timedelta(hours=1)
    for name in ("周一", "周二"):
        report(client, kind="alipay", amount="88", name=name, phone_last4="",
               paid_on=f"{paid:%Y-%m-%d}", paid_time=f"{paid:%H:%M}")
    auth.login(LOGINS["treasurer"])
    bill = alipay_bill((paid + timedelta(minutes=1), "周*", "88.00", "2026120122001", "捐款"))
    assert import_bill(client, "alipay", bill).status_code == 302
    with in_fund(app):
        line = db.session.scalar(select(BillLine).where(BillLine.serial == "2026120122001"))
        assert line.donation_id is None and line.kind == "alipay"  # two fit: nobody guesses
        reports = {r.name: r.donation_id for r in db.session.scalars(select(GiftReport))}
    screen = client.get(f"/f/{FUND}/giving/bills").get_data(as_text=True)
    assert "周一" in screen and "周二" in screen and "2026120122001" in screen
    wrong = client.post(f"/f/{FUND}/giving/bills/{line.id}/match",
                        data={f"line{line.id}-donation": ""})
    assert wrong.status_code == 422
    chosen = client.post(f"/f/{FUND}/giving/bills/{line.id}/match",
                         data={f"line{line.id}-donation": str(reports["周二"])})
    assert chosen.status_code == 302
    twice = client.post(f"/f/{FUND}/giving/bills/{line.id}/match",
                        data={f"line{line.id}-donation": str(reports["周一"])})
    assert twice.status_code in (404, 422)
    assert client.post(f"/f/{FUND}/giving/reports/{reports['周一']}/reject").status_code == 302
    with in_fund(app):
        assert db.session.get(Donation, reports["周二"]).status == "confirmed"
        assert db.session.get(Donation, reports["周一"]).status == "failed"


def test_a_bill_that_is_not_one_is_refused_beside_the_field(client, auth):
    auth.login(LOGINS["treasurer"])
    response = import_bill(client, "wechat", "姓名,金额\n王,1\n".encode())
    assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)


def test_an_uploaded_code_must_be_a_photo(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post(f"/f/{FUND}/giving/codes", data={
        "kind": "wechat", "payee": "东港村", "image": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="image-error"' in response.get_data(as_text=True)


# ---- posters and share cards ----------------------------------------------------------------

def test_a_poster_for_a_donation_point_is_one_a4_page_with_its_qr(app, client, auth, tmp_path):
    with in_fund(app):
        point = db.session.scalar(select(DonationPoint).where(DonationPoint.active))
        point_id, point_name = point.id, point.name
    auth.login(LOGINS["chair"])
    response = client.get(f"/f/{FUND}/giving/poster.pdf?point={point_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "东港村社区慈善基金" in text and point_name in text and "扫码捐赠" in text
    assert "苏州市吴江区慈善总会" in text and f"donate?point={point_id}" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info


def test_share_cards_name_the_fund_on_the_board_donate_page_and_projects(app, client):
    for path in (f"/f/{FUND}/public", f"/f/{FUND}/donate"):
        body = client.get(path, headers={"User-Agent": WECHAT}).get_data(as_text=True)
        assert '<meta property="og:title"' in body and "东港村" in body
        assert '<meta property="og:image"' in body


# ---- a receipt as a picture inside WeChat --------------------------------------------------

def test_in_wechat_the_portal_shows_each_receipt_as_a_picture_of_its_pdf(app, client, tmp_path):
    from PIL import Image

    from app.clock import local_today
    from app.donations import services as donations
    from app.donors import services as donors
    from app.receipts import services as receipts

    with in_fund(app):
        donor = donors.create_donor(donors.DonorInput(name="陈俊", phone="13812345678"))
        gift = donations.record_offline(donations.DonationInput(
            amount="200", channel="cash", received_on=local_today(), donor_id=donor.id), None)
        receipt = receipts.issue(gift)
        receipt_id, pdf = receipt.id, receipts.file(receipt).data
        db.session.commit()
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True).stdout
    code = re.search(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b", text).group(1)
    assert client.post("/portal/code", data={"phone": "13812345678", "code": code}) \
        .status_code == 302

    plain = client.get("/portal/receipts").get_data(as_text=True)
    assert f"/portal/receipts/{receipt_id}/png" not in plain  # elsewhere the PDF is enough
    page = client.get("/portal/receipts", headers={"User-Agent": WECHAT}).get_data(as_text=True)
    assert f'src="/portal/receipts/{receipt_id}/png"' in page and "长按图片" in page
    assert f"/portal/receipts/{receipt_id}/pdf" in page  # the PDF stays the record
    picture = client.get(f"/portal/receipts/{receipt_id}/png", headers={"User-Agent": WECHAT})
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    image = Image.open(io.BytesIO(picture.data))
    assert image.width == 1080 and image.height > 500  # the receipt's page, sharp on a phone
    shot = ARTIFACTS / "screenshots"
    shot.mkdir(parents=True, exist_ok=True)
    (shot / "giving-receipt-picture.png").write_bytes(picture.data)
    assert client.get(f"/portal/receipts/{receipt_id + 999}/png").status_code == 404


# ---- two at once, on SQLite and PostgreSQL --------------------------------------------------

def _treasurer_cookies(server: str) -> dict:
    with requests.Session() as session:
        session.post(f"{server}/auth/login", data={"login": LOGINS["treasurer"],
                                                   "password": PASSWORD})
        return session.cookies.get_dict()


def test_one_bill_imported_twice_at_once_and_one_line_matched_twice_count_once(
        app, client, auth, live_server):
    upload_codes(client, auth)
    paid = utcnow().astimezone(LOCAL).replace(second=0, microsecond=0) - timedelta(hours=1)
    for name in ("钱一", "钱二"):
        report(client, amount="77", name=name, phone_last4="",
               paid_on=f"{paid:%Y-%m-%d}", paid_time=f"{paid:%H:%M}")
    cookies = _treasurer_cookies(live_server)
    bill = wechat_bill((paid, "钱*", "77.00", "4200007701", "捐款"),
                       (paid, "孙*", "12.00", "4200007702", ""))

    def send_bill():
        return requests.post(f"{live_server}/f/{FUND}/giving/bills", cookies=cookies,
                             files={"file": ("bill.csv", bill)}, data={"kind": "wechat"},
                             allow_redirects=False, timeout=60)

    assert fire_calls([send_bill] * 4) == [302] * 4
    with in_fund(app):
        lines = db.session.scalars(select(BillLine).where(
            BillLine.serial.in_(["4200007701", "4200007702"]))).all()
        assert len(lines) == 2 and all(line.donation_id is None for line in lines)
        line_id = next(line.id for line in lines if line.serial == "4200007701")
        reports = [r.donation_id for r in db.session.scalars(
            select(GiftReport).where(GiftReport.name.in_(["钱一", "钱二"])))]

    def match(donation_id):
        return lambda: requests.post(
            f"{live_server}/f/{FUND}/giving/bills/{line_id}/match", cookies=cookies,
            data={f"line{line_id}-donation": str(donation_id)}, allow_redirects=False,
            timeout=60)

    statuses = fire_calls([match(reports[0]), match(reports[1])] * 2)
    assert statuses.count(302) == 1 and set(statuses) <= {302, 422}, statuses
    with in_fund(app):
        confirmed = db.session.scalars(select(Donation).where(
            Donation.id.in_(reports), Donation.status == "confirmed")).all()
        assert len(confirmed) == 1
        assert db.session.get(BillLine, line_id).donation_id == confirmed[0].id
        assert len(db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.donation_id.in_(reports))).all()) == 1
