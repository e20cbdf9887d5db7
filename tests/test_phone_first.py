"""Phone first without a browser (issue 17): what a person sees right after acting (the
objection count, the vote's tally, the receipt issued meanwhile), one date format per
language, the audit trail in words, charts that show every month, and 打印公示 on one A4 page.
The layout itself is checked in Chromium: test_phone_first_browser.py."""

import io
import re
import subprocess
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from app.auth.models import User
from app.disclosure import charts
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Motion, Proposal
from app.receipts.models import Receipt
from tenants import fund_scope, using

from .conftest import LOGINS
from .helpers import FUND, client_for

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts" / "phone-first"


def _in_fund(app, fn):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            value = fn()
        db.session.remove()
    return value


def test_after_an_objection_the_count_moves_and_the_person_is_told(app):
    pid = _in_fund(app, lambda: db.session.scalar(
        select(Proposal.id).where(Proposal.status == "notice")))
    client = app.test_client()
    before = client.get(f"/f/{FUND}/projects/{pid}").get_data(as_text=True)
    count = int(re.search(r'id="objection-count">已收到 (\d+) 条异议', before).group(1))
    answer = client.post(f"/f/{FUND}/projects/{pid}/objection", headers=HTMX, data={
        "name": "钱师傅", "phone": "13987654321", "body": "预算偏高"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.lstrip().startswith('<div id="objection">')
    assert f"已收到 {count + 1} 条异议" in html
    assert 'role="status"' in html  # the confirmation, beside a fresh form


def test_after_a_vote_the_tally_moves_in_the_same_answer(app):
    motion_id = _in_fund(app, lambda: db.session.scalar(
        select(Motion.id).where(Motion.status == "open").order_by(Motion.id)))
    member = client_for(app, "member")
    html = member.post(f"/f/{FUND}/motions/{motion_id}/vote", data={"choice": "yes"},
                       headers=HTMX).get_data(as_text=True)
    assert 'id="ballot"' in html
    tally = re.search(r'<section id="tally"[^>]*>', html).group(0)
    assert 'data-hx-swap-oob="true"' in tally  # swapped out of band, beside the ballot
    page = member.get(f"/f/{FUND}/motions/{motion_id}").get_data(as_text=True)
    line = re.search(r'<section id="tally".*?<p>(.*?)</p>', page, re.S).group(1)
    assert line in html  # the count the page shows now is the one the vote's answer showed


def test_the_issue_page_links_to_a_receipt_issued_meanwhile(app):
    receipt_id, donation_id, number = _in_fund(app, lambda: db.session.execute(
        select(Receipt.id, Receipt.donation_id, Receipt.number).where(
            Receipt.status == "valid", Receipt.donation_id.is_not(None)).order_by(Receipt.id)
    ).first())
    treasurer = client_for(app, "treasurer")
    for answer in (treasurer.get(f"/f/{FUND}/receipts/issue/{donation_id}"),
                   treasurer.post(f"/f/{FUND}/receipts/issue/{donation_id}", data={"name": ""})):
        html = answer.get_data(as_text=True)
        assert f'href="/f/{FUND}/receipts/{receipt_id}">{number}</a>' in html
        assert "<form method=\"post\" action=\"/f/" + FUND + "/receipts/issue" not in html


def test_one_date_format_per_language(app):
    from app.i18n import show_date, show_datetime, show_month

    moment = datetime.fromisoformat("2026-12-06T17:05:00+00:00")  # 7 December in Beijing
    with app.test_request_context():
        assert (show_date(date(2026, 12, 6)), show_datetime(moment),
                show_month(date(2026, 12, 1))) == ("2026年12月6日", "2026年12月7日 01:05",
                                                    "2026年12月")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert (show_date(date(2026, 12, 6)), show_datetime(moment)) == (
            "6 Dec 2026", "7 Dec 2026 01:05")


def test_the_audit_trail_speaks_in_words_yuan_and_local_time(app):
    from app.audit.services import Change
    from app.audit.words import in_words

    with app.test_request_context():
        said = in_words("payout", [
            Change("fund_id", 1, 1, True, True),
            Change("amount_fen", None, -300000, False, True),
            Change("status", "approved", "paid", True, True),
            Change("paid_at", None, "2026-12-06T17:05:00+00:00", False, True)])
    words = {s.field: (s.before, s.after) for s in said}
    assert "fund_id" not in words
    assert words["金额"] == (None, "−¥3,000.00")
    assert words["状态"][1] == "已付款"
    assert words["付款时间"] == (None, "2026年12月7日 01:05")


def test_a_chart_draws_a_negative_month_and_a_small_spending():
    months = [("2026-01", 800_000_00, 1_00), ("2026-02", 0, -500_00)]
    with _request():
        svg = str(charts.monthly_rows(months, title="t", income_label="收入",
                                      spending_label="支出"))
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="11"', svg)
    widths = [float(w) for _x, w in bars]
    assert all(w >= charts.MIN_BAR for w in widths[1:] if w)  # ¥1 beside ¥800,000 shows
    assert float(bars[1][1]) >= charts.MIN_BAR and float(bars[3][1]) > 0  # the negative month
    assert float(bars[3][0]) < float(bars[0][0])  # drawn left of zero
    assert 'font-size="14"' in svg and "单位：元" in svg


def _request():
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_request_context()


def test_the_printed_notice_is_one_a4_page(app):
    client = app.test_client()
    answer = client.get(f"/f/{FUND}/public/print.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "notice.pdf").write_bytes(answer.data)  # to look at: pdftoppm -png -r 80
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=answer.data,
                          capture_output=True, check=True).stdout.decode()
    words = re.sub(r"\s+", "", text)

    def facts():
        notice = db.session.scalar(select(Proposal).where(Proposal.status == "notice"))
        supervisor = db.session.scalar(select(User.name).where(
            User.phone == LOGINS["supervisor"]))
        return notice.title, supervisor

    title, supervisor = _in_fund(app, facts)
    assert "东港村社区慈善基金" in words and "公示" in words
    assert re.sub(r"\s+", "", title) in words and supervisor in words
    assert "异议截止" in words and "本季度收入" in words and "余额" in words
    # The code a villager scans leads to the fund's board, read off the printed page.
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(ARTIFACTS / "notice.pdf"),
                    str(ARTIFACTS / "notice")], check=True)
    scanned = subprocess.run(["zbarimg", "--quiet", "--raw", str(ARTIFACTS / "notice.png")],
                             capture_output=True, check=True).stdout.decode().strip()
    assert scanned == f"{app.config['PUBLIC_URL']}/f/{FUND}/public"
