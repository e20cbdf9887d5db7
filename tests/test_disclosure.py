"""The public notice board, disclosure reports (PDF, XLSX, CSV) with published versions and
corrections, and the donor's question from the portal and the receipt check."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.auth.models import User
from app.clock import local_today
from app.disclosure import reports, services
from app.disclosure.models import Report
from app.donations import services as donations
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.money import yuan
from app.payouts.models import Payout
from tenants import fund_scope, using

from .conftest import ARTIFACTS, LOGINS

BOARD = "/f/donggangcun/public"


def in_fund(app, fn):
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            result = fn(dgc)
            db.session.commit()
            return result


def test_the_board_needs_no_login_and_shows_income_spending_projects_and_reports(client):
    response = client.get(BOARD)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for section in ('id="totals"', 'id="chart"', "<svg", 'id="spending"', 'id="funded-projects"',
                    'id="income"', 'id="reports"', 'id="projects"'):  # the last: governance's
        assert section in body
    assert "/f/donggangcun/public/files/" in body  # evidence thumbnails of paid money
    assert "更正说明" in body or "Correction note" in body


def test_donor_names_follow_their_anonymity_choice(client, app):
    def three_gifts(fund):
        treasurer = db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))
        names = {}
        for choice, name in (("show", "公开的王大伯"), ("caring", "不露名的李阿姨"),
                             ("anonymous", "完全匿名的赵先生")):
            donor = Donor(name=name, anonymity=choice, kind="person", fund_id=fund.id)
            db.session.add(donor)
            db.session.flush()
            donations.record_offline(donations.DonationInput(
                amount="88", channel="cash", received_on=local_today(), donor_id=donor.id),
                treasurer)
            names[choice] = name
        return names

    names = in_fund(app, three_gifts)
    body = client.get(BOARD).get_data(as_text=True)
    income = body[body.index('id="income"'):]
    assert names["show"] in income
    assert names["caring"] not in body and "爱心人士" in income
    assert names["anonymous"] not in body


def test_only_paid_payouts_evidence_is_public(client, app):
    def evidence(fund):
        from app.payouts.models import Evidence

        rows = db.session.execute(select(Evidence.id, Payout.status).join(
            Payout, Payout.id == Evidence.payout_id)).all()
        return {status: eid for eid, status in rows}

    ids = in_fund(app, evidence)
    assert client.get(f"{BOARD}/files/{ids['paid']}").status_code == 200
    for hidden in ("requested", "rejected", "reversed"):
        assert client.get(f"{BOARD}/files/{ids[hidden]}").status_code == 404
    assert client.get(f"/f/nantangcun/public/files/{ids['paid']}").status_code == 404


def test_publishing_puts_the_report_on_the_board_and_a_correction_keeps_the_old(client, auth,
                                                                               app):
    auth.login(LOGINS["treasurer"])
    year = local_today().year
    form = {"kind": "quarterly", "year": str(year), "quarter": "1", "threshold": "100"}
    page = client.get("/f/donggangcun/reports/", query_string=form)
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    assert client.post("/f/donggangcun/reports/publish", data=form).status_code == 302
    again = client.post("/f/donggangcun/reports/publish", data=form)
    assert again.status_code == 422  # a second version must say what it corrects
    assert 'id="correction_note-error"' in again.get_data(as_text=True)
    idle = client.post("/f/donggangcun/reports/publish",
                       data={**form, "correction_note": "补录一笔三月的现金捐赠"})
    assert idle.status_code == 422  # ... and must correct something
    assert 'id="correction_note-error"' in idle.get_data(as_text=True)

    def late_cash_gift(fund):
        from datetime import date

        treasurer = db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))
        donations.record_offline(donations.DonationInput(
            amount="1234.5", channel="cash", received_on=date(year, 3, 30)), treasurer)

    in_fund(app, late_cash_gift)
    fixed = client.post("/f/donggangcun/reports/publish",
                        data={**form, "correction_note": "补录一笔三月的现金捐赠"})
    assert fixed.status_code == 302

    def versions(fund):
        return [(r.version, r.correction_note, r.id, reports.ReportData.from_json(r.data))
                for r in services.versions(reports.Period("quarterly", year, 1))]

    (v2, note, new_id, after), (v1, _blank, old_id, before) = in_fund(app, versions)
    assert (v2, v1, note) == (2, 1, "补录一笔三月的现金捐赠")
    assert after.income_fen - before.income_fen == 1234_50
    auth.logout()
    board = client.get(BOARD).get_data(as_text=True)
    assert f"/public/reports/{new_id}.pdf" in board and f"/public/reports/{old_id}.pdf" in board
    assert "补录一笔三月的现金捐赠" in board
    old = client.get(f"{BOARD}/reports/{old_id}.pdf")
    assert old.status_code == 200 and old.data.startswith(b"%PDF")
    first_page = PdfReader(io.BytesIO(client.get(f"{BOARD}/reports/{new_id}.pdf").data)) \
        .pages[0].extract_text()
    assert "补录一笔三月的现金捐赠" in first_page
    for fen in (before.income_fen, after.income_fen, 1234_50,
                before.closing_fen, after.closing_fen):
        assert yuan(fen) in first_page


def test_a_report_can_be_published_only_by_treasurer_or_chair(client, auth):
    auth.login(LOGINS["supervisor"])
    response = client.post("/f/donggangcun/reports/publish",
                           data={"kind": "annual", "year": "2025"})
    assert response.status_code == 403


def test_the_annual_report_pdf_xlsx_and_csv_carry_the_same_figures(client, app):
    def published(fund):
        report = db.session.scalar(select(Report).where(Report.kind == "annual")
                                   .order_by(Report.version.desc()))
        return report.id, reports.ReportData.from_json(report.data)

    report_id, data = in_fund(app, published)
    assert data.reconciles
    pdf = client.get(f"{BOARD}/reports/{report_id}.pdf").data
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "annual-report.pdf").write_bytes(pdf)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "东港村社区慈善基金" in text and "更正说明" in text
    assert yuan(data.closing_fen) in text and yuan(data.income_fen) in text
    sheet = load_workbook(io.BytesIO(client.get(f"{BOARD}/reports/{report_id}.xlsx").data)).active
    rows = list(csv.reader(io.StringIO(
        client.get(f"{BOARD}/reports/{report_id}.csv").data.decode("utf-8-sig"))))
    sheet_rows = list(sheet.iter_rows())
    assert len(sheet_rows) == len(rows)
    amounts = 0
    for cells, row in zip(sheet_rows, rows, strict=True):
        assert len(cells) == len(row) == 5  # section, item, amount, income, spending
        for cell, text in zip(cells, row, strict=True):
            if isinstance(cell.value, int | float):  # every amount is a number an auditor sums
                assert cell.column >= 3 and cell.number_format == services.YUAN_FORMAT
                assert Decimal(text) == Decimal(str(cell.value))
                assert Decimal(text).as_tuple().exponent == -2  # "1204.50" in the CSV
                amounts += 1
            else:
                assert ("" if cell.value is None else cell.value) == text
                assert cell.row == 1 or cell.column < 3 or text == ""  # no amount as text
    assert amounts > 20
    closing = next(r for r in rows if r[0] in ("期末余额", "Closing balance"))
    assert Decimal(closing[2]) == Decimal(data.closing_fen) / 100
    month = next(r for r in rows if r[1] == data.months[-1][0])  # income, spending side by side
    assert [Decimal(v) * 100 for v in month[3:]] == data.months[-1][1:]


def test_a_negative_figure_is_a_negative_number_never_text(app):
    data = reports.ReportData(fund="东港村社区慈善基金", kind="annual", year=2025, quarter=0,
                              start="2025-01-01", end="2025-12-31", income_fen=-500,
                              closing_fen=-500, unrestricted_fen=-500,
                              income_by_channel={"card": -500}, months=[["2025-03", -500, 0]])
    with app.test_request_context():
        sheet = load_workbook(io.BytesIO(services.as_xlsx(data))).active
        text = services.as_csv(data).decode("utf-8-sig")
    income = [c for row in sheet.iter_rows() for c in row if c.value == -5]
    assert len(income) == 5 and {c.number_format for c in income} == {services.YUAN_FORMAT}
    assert "'-5.00" not in text and ",-5.00" in text


def test_the_demo_correction_shows_what_it_changed_on_its_first_page(client, app):
    def both(fund):
        return [(r.id, reports.ReportData.from_json(r.data)) for r in db.session.scalars(
            select(Report).where(Report.kind == "annual").order_by(Report.version))]

    (old_id, before), (new_id, after) = in_fund(app, both)
    in_kind = [data.income_by_channel.get("in_kind", 0) for data in (before, after)]
    assert in_kind[1] - in_kind[0] == 3600_00
    assert client.get(f"{BOARD}/reports/{old_id}.csv").data != \
        client.get(f"{BOARD}/reports/{new_id}.csv").data
    pdf = client.get(f"{BOARD}/reports/{new_id}.pdf").data
    (ARTIFACTS / "corrected-report.pdf").write_bytes(pdf)
    first_page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "更正说明" in first_page and "物资捐赠的估值" in first_page
    for fen in (before.income_fen, after.income_fen, before.closing_fen, after.closing_fen,
                3600_00):
        assert yuan(fen) in first_page


def test_the_receipt_check_answers_what_the_designated_project_did(client, app):
    def designated_receipt(fund):
        from app.payouts import demo
        from app.receipts import services as receipts

        payout = db.session.get(Payout, demo.sample("payout_id"))
        treasurer = db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))
        donor = Donor(name="问用途的孙先生", anonymity="show", kind="person", fund_id=fund.id)
        db.session.add(donor)
        db.session.flush()
        gift = donations.record_offline(donations.DonationInput(
            amount="200", channel="cash", received_on=local_today(), donor_id=donor.id,
            designation_id=payout.proposal.designation_id), treasurer)
        receipt = receipts.issue(gift, user=treasurer)
        return receipt.token, payout.proposal.title

    token, title = in_fund(app, designated_receipt)
    body = client.get(f"/r/{token}").get_data(as_text=True)
    assert title in body and 'class="gift-use' in body
