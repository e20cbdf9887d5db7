"""Importing a bank statement or a donation list: read in any encoding a bank or Excel
writes, previewed row by row with every problem in words, committed all together or not at
all, and never counted twice."""

import html
import io
import re
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, or_, select, update

from app.clock import local_today
from app.donations import services as donations
from app.donations.models import Designation, Donation
from app.donors.models import Donor
from app.donors.services import DonorInput, create_donor
from app.extensions import db
from app.imports import cells, reading, storage
from app.ledger.models import LedgerEntry
from app.validation import Invalid
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, no_sideways_scroll, shot
from .helpers import bank_statement_gbk

TODAY = local_today()
NAMES = ["王秀英", "李大伯", "陈小红", "王建平", "李秀梅", "赵明", "周小兵", "王芳",
         "苏州东港机械有限公司"]
PHONES = ["13811110001", "13911112222"]


def donation_list_xlsx() -> bytes:
    """A list typed up after a village assembly (rows 2 to 16), with the usual slips."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "捐款名单"
    sheet.append(["序号", "捐赠人", "手机号", "捐赠金额", "日期", "用途", "方式", "备注"])
    assembly = datetime(2026, 1, 20)
    rows = [
        ["王秀英", 13811110001, 500, assembly, "敬老助餐", "现金", ""],  # 2: by phone
        ["李大伯", None, 200, 46043, "", "", ""],  # 3: by name; an Excel day number
        ["陈小红", "139-1111-2222", 100, "2026/1/20", "敬老助餐", "", ""],  # 4: new donor
        ["", None, 100, assembly, "", "", ""],  # 5: anonymous
        ["匿名", None, 100, assembly, "", "", ""],  # 6: anonymous too, a second 100
        ["张伟", None, 12.345, assembly, "", "", ""],  # 7
        ["刘芳", None, 300, datetime.combine(TODAY + timedelta(days=30), datetime.min.time()),
         "", "", ""],  # 8
        ["钱进", None, 0, assembly, "", "", ""],  # 9
        ["孙强", None, 100, assembly, "修桥", "", ""],  # 10: 南塘村's purpose, not ours
        ["吴敏", None, 100, assembly, "", "刷卡", ""],  # 11
        ["郑华", "0512-6321", 100, assembly, "", "", ""],  # 12
        ["冯军", None, -50, assembly, "", "", ""],  # 13
        ["何丽", None, 100, assembly, "", "微信", ""],  # 14: a transfer without a serial
        ["爱心人士", None, 800, assembly, "", "实物", "大米 20 袋"],  # 15: in kind
        ["许刚", None, 1e9, assembly, "", "", ""],  # 16
    ]
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def fund_with_donors(app, fund_ids):
    """`fund_ids`; 东港村 with a purpose, two donors and a bank transfer already recorded,
    南塘村 with a purpose of its own."""
    with app.app_context(), using(fund_scope(fund_ids.id)):
        # The demo's random donors must not be the people of these files.
        db.session.execute(update(Donor).where(or_(Donor.name.in_(NAMES),
                                                   Donor.phone.in_(PHONES)))
                           .values(name=Donor.name + "（演示）", phone=None))
        db.session.add_all([Designation(name="敬老助餐"), Designation(name="助学", active=False)])
        create_donor(DonorInput(name="王秀英", phone="13811110001"))
        create_donor(DonorInput(name="李大伯"))
        donations.record_offline(donations.DonationInput(
            amount="300", channel="bank", received_on=date(2026, 1, 15),
            reference="NS20260115005"), None)
        db.session.commit()
    with app.app_context(), using(fund_scope(fund_ids.other_id)):
        db.session.add(Designation(name="修桥"))
        db.session.commit()
    return fund_ids


@pytest.fixture
def treasurer(client, auth):
    """The 东港村 treasurer, reading the pages in English (the msgids) for stable wording."""
    auth.login(LOGINS["treasurer"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    return client


def upload(client, data: bytes, filename: str, channel: str = "bank", day: str = "",
           **kwargs):
    return client.post("/f/donggangcun/imports", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "channel": channel,
                             "received_on": day}, **kwargs)


def token_of(response) -> str:
    return re.search(r"/imports/([\w-]{32})/commit", response.get_data(as_text=True)).group(1)


def row(response, line: int) -> str:
    """The text of one preview row, tags stripped."""
    body = response.get_data(as_text=True)
    found = re.search(rf'<tr id="row-{line}" data-status="(\w+)">(.*?)</tr>', body, re.S)
    assert found, f"no row {line} in the preview"
    text = html.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))
    return f"[{found.group(1)}] " + " ".join(text.split())


def last_donation_id(app, fund_id: int) -> int:
    with app.app_context(), using(fund_scope(fund_id)):
        return db.session.scalar(select(func.max(Donation.id))) or 0


def counts(app, fund_id: int) -> dict:
    with app.app_context(), using(fund_scope(fund_id)):
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Donation, Donor, LedgerEntry)}


def test_bank_statement_in_gbk_is_previewed_row_by_row(app, fund_with_donors, treasurer):
    before = counts(app, fund_with_donors.id)
    response = upload(treasurer, bank_statement_gbk(), "明细.csv", channel="bank")
    assert response.status_code == 200
    assert row(response, 4).startswith("[valid] 4 Ready 王建平 new donor 1,000.00")
    assert "NS20260105001" in row(response, 4) and "网银转入；捐东港村慈善基金" in row(response, 4)
    assert row(response, 5).startswith("[valid] 5 Ready 苏州东港机械有限公司 new donor 5,000.00")
    assert "Money paid out, not a donation: left out." in row(response, 6)
    assert row(response, 6).startswith("[skipped]")
    assert row(response, 7).startswith("[valid]")
    assert "The same serial number is also in row 7." in row(response, 8)
    assert row(response, 8).startswith("[invalid]")
    assert row(response, 9).startswith("[duplicate]")
    assert "Already recorded in this fund: skipped." in row(response, 9)
    assert "Enter the transfer's serial number, so it is never counted twice." in row(response, 10)
    assert row(response, 11).startswith("[skipped]") and "A total line" in row(response, 11)
    body = response.get_data(as_text=True)
    assert "Import the ready rows (3)" in body and "¥6,200.00" in body
    assert counts(app, fund_with_donors.id) == before  # nothing is written before the commit


def test_donation_list_xlsx_names_every_problem_in_words(app, fund_with_donors, treasurer):
    response = upload(treasurer, donation_list_xlsx(), "名单.xlsx", channel="cash")
    assert response.status_code == 200
    assert row(response, 2).startswith("[valid] 2 Ready 王秀英 matched by mobile number 500.00")
    assert "敬老助餐" in row(response, 2)
    assert row(response, 3).startswith("[valid] 3 Ready 李大伯 matched by name 200.00")
    assert "21 Jan 2026" in row(response, 3)  # the Excel day number 46043
    assert row(response, 4).startswith("[valid] 4 Ready 陈小红 new donor 100.00")
    assert row(response, 5).startswith("[valid] 5 Ready Anonymous 100.00")
    assert row(response, 6).startswith("[valid] 6 Ready Anonymous 100.00")
    problems = {
        7: "An amount has at most two decimals (fen).",
        8: "The date cannot be in the future.",
        9: "The amount must be more than zero.",
        10: "This fund has no purpose named “修桥”.",
        11: "Unknown channel “刷卡”",
        12: "“0512-6321” is not an 11-digit mobile number.",
        13: "The amount must be more than zero.",
        14: "Enter the transfer's serial number",
        16: "This amount is too large for one donation",
    }
    for line, message in problems.items():
        assert row(response, line).startswith("[invalid]"), row(response, line)
        assert message in row(response, line)
    assert row(response, 15).startswith("[valid] 15 Ready Anonymous 800.00")
    assert "In kind" in row(response, 15)


def test_commit_records_every_valid_row_with_its_ledger_entry(app, fund_with_donors, treasurer):
    token = token_of(upload(treasurer, donation_list_xlsx(), "名单.xlsx", channel="cash"))
    before, last_id = counts(app, fund_with_donors.id), last_donation_id(app, fund_with_donors.id)
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert response.status_code == 302 and response.location == "/f/donggangcun/"
    page = treasurer.get(response.location).get_data(as_text=True)
    assert "Donations imported: 6. Duplicates skipped: 0." in page
    with app.app_context(), using(fund_scope(fund_with_donors.id)):
        imported = db.session.scalars(select(Donation).where(Donation.id > last_id)
                                      .order_by(Donation.id)).all()
        assert [d.amount_fen for d in imported] == [50000, 20000, 10000, 10000, 10000, 80000]
        assert {d.status for d in imported} == {"confirmed"}
        for donation in imported:
            entry = db.session.scalar(select(LedgerEntry).where(
                LedgerEntry.donation_id == donation.id))
            assert entry.amount_fen == donation.amount_fen
            assert entry.designation_id == donation.designation_id
        wang, li, chen, anonymous, anonymous_too, rice = imported
        assert wang.donor.name == "王秀英" and wang.designation.name == "敬老助餐"
        assert li.donor.name == "李大伯" and li.received_on == date(2026, 1, 21)
        assert chen.donor.name == "陈小红" and chen.donor.phone == "13911112222"
        assert anonymous.donor_id is None and anonymous_too.donor_id is None
        assert anonymous.reference != anonymous_too.reference  # two gifts, not one twice
        assert rice.channel == "in_kind" and rice.item_description == "大米 20 袋"
    assert counts(app, fund_with_donors.id) == {"Donation": before["Donation"] + 6,
                                    "Donor": before["Donor"] + 1,
                                    "LedgerEntry": before["LedgerEntry"] + 6}
    # The file with donors' phone numbers is gone.
    assert storage.claim(fund_with_donors.id, token) is None
    assert not storage.is_busy(fund_with_donors.id, token)


def test_bank_statement_commit_creates_donors_once_and_skips_the_recorded_serial(
        app, fund_with_donors, treasurer):
    token = token_of(upload(treasurer, bank_statement_gbk(), "明细.csv", channel="bank"))
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit", follow_redirects=True)
    assert "Donations imported: 3. Duplicates skipped: 1." in response.get_data(as_text=True)
    with app.app_context(), using(fund_scope(fund_with_donors.id)):
        firm = db.session.scalar(select(Donor).where(Donor.name == "苏州东港机械有限公司"))
        assert firm.kind == "organisation"
        serials = db.session.scalars(select(Donation.reference).where(
            Donation.reference.startswith("NS2026")).order_by(Donation.reference)).all()
        assert serials == ["NS20260105001", "NS20260108002", "NS20260112004", "NS20260115005"]


@pytest.mark.parametrize("make, filename, channel", [
    (bank_statement_gbk, "明细.csv", "bank"), (donation_list_xlsx, "名单.xlsx", "cash")])
def test_the_same_file_twice_is_all_duplicates_the_second_time(
        app, fund_with_donors, treasurer, make, filename, channel):
    first = upload(treasurer, make(), filename, channel=channel)
    ready = [line for line in range(2, 17) if f'id="row-{line}" data-status="valid"'
             in first.get_data(as_text=True)]
    treasurer.post(f"/f/donggangcun/imports/{token_of(first)}/commit")
    before = counts(app, fund_with_donors.id)

    again = upload(treasurer, make(), filename, channel=channel)
    assert again.status_code == 200
    for line in ready:
        assert row(again, line).startswith("[duplicate]"), row(again, line)
    body = again.get_data(as_text=True)
    assert 'data-status="valid"' not in body and "No row is ready to import." in body
    assert "/commit" not in body
    assert counts(app, fund_with_donors.id) == before


def test_a_failure_mid_commit_leaves_the_database_as_it_was(
        app, fund_with_donors, treasurer, monkeypatch):
    token = token_of(upload(treasurer, donation_list_xlsx(), "名单.xlsx", channel="cash"))
    before = counts(app, fund_with_donors.id)
    record = donations.record_offline
    calls = []

    def third_fails(data, user, **kwargs):
        calls.append(data)
        if len(calls) == 3:
            raise Invalid({"reference": "A donation with this reference is already recorded."})
        return record(data, user, **kwargs)

    monkeypatch.setattr(donations, "record_offline", third_fails)
    response = treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert response.status_code == 409
    body = html.unescape(response.get_data(as_text=True))
    assert "Row 4 could not be recorded" in body and "Nothing was imported." in body
    # Neither the first two gifts nor 陈小红 stayed.
    assert counts(app, fund_with_donors.id) == before

    monkeypatch.setattr(donations, "record_offline", record)  # the cause is gone: try again
    assert treasurer.post(f"/f/donggangcun/imports/{token}/commit").status_code == 302
    assert counts(app, fund_with_donors.id)["Donation"] == before["Donation"] + 6


def test_an_unexpected_error_mid_commit_also_keeps_nothing(
        app, fund_with_donors, treasurer, monkeypatch):
    token = token_of(upload(treasurer, bank_statement_gbk(), "明细.csv", channel="bank"))
    before = counts(app, fund_with_donors.id)
    record = donations.record_offline
    calls = []

    def second_breaks(data, user, **kwargs):
        calls.append(data)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return record(data, user, **kwargs)

    monkeypatch.setattr(donations, "record_offline", second_breaks)
    assert treasurer.post(f"/f/donggangcun/imports/{token}/commit").status_code == 500
    assert counts(app, fund_with_donors.id) == before
    monkeypatch.setattr(donations, "record_offline", record)
    assert treasurer.post(f"/f/donggangcun/imports/{token}/commit").status_code == 302


def test_a_second_click_while_committing_records_nothing_twice(app, fund_with_donors, treasurer):
    token = token_of(upload(treasurer, bank_statement_gbk(), "明细.csv"))
    assert storage.claim(fund_with_donors.id, token)  # the first click's request, still at work
    before = counts(app, fund_with_donors.id)
    second = treasurer.post(f"/f/donggangcun/imports/{token}/commit", follow_redirects=True)
    assert "This file is being imported" in second.get_data(as_text=True)
    assert counts(app, fund_with_donors.id) == before


def test_a_debit_credit_flag_leaves_out_money_paid_out(fund_with_donors, treasurer):
    text = ("记账日期,流水号,户名,金额,借贷标志\n"
            "2026-01-05,A1,王建平,100.00,贷\n2026-01-06,A2,东港供电所,50.00,借\n")
    response = upload(treasurer, text.encode("gbk"), "flag.csv")
    assert row(response, 2).startswith("[valid]")
    assert row(response, 3).startswith("[skipped]") and "Money paid out" in row(response, 3)


def test_a_list_without_dates_takes_the_date_from_the_form(fund_with_donors, treasurer):
    text = "姓名,金额\n王建平,100\n".encode()
    dated = upload(treasurer, text, "assembly.csv", channel="cash", day="2026-01-20")
    assert row(dated, 2).startswith("[valid]") and "20 Jan 2026" in row(dated, 2)
    undated = upload(treasurer, text, "assembly.csv", channel="cash")
    assert "Enter the date the money was received." in row(undated, 2)


def test_donors_with_the_same_name_need_a_mobile_number_to_tell_apart(
        app, fund_with_donors, treasurer):
    with app.app_context(), using(fund_scope(fund_with_donors.id)):
        for phone in ("13855550001", "13855550002"):
            create_donor(DonorInput(name="王芳", phone=phone))
        db.session.commit()
    text = ("日期,姓名,手机,金额\n2026-01-20,王芳,,100\n2026-01-20,王芳,13855550002,100\n"
            "2026-01-20,王芳,13855550003,100\n2026-01-20,王芳,13855550003,50\n")
    response = upload(treasurer, text.encode(), "list.csv", channel="cash")
    assert "2 donors are named 王芳: add their mobile numbers" in row(response, 2)
    assert row(response, 3).startswith("[valid] 3 Ready 王芳 matched by mobile number")
    # A third 王芳 with her own number is a new donor, once for both her gifts.
    assert row(response, 4).startswith("[valid] 4 Ready 王芳 new donor")
    token = token_of(response)
    before = counts(app, fund_with_donors.id)
    treasurer.post(f"/f/donggangcun/imports/{token}/commit")
    assert counts(app, fund_with_donors.id)["Donor"] == before["Donor"] + 1


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return out.getvalue()


@pytest.mark.parametrize("data, filename, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "照片.csv",
     "This is not a CSV or Excel (.xlsx) file."),
    (_zip(["word/document.xml", "[Content_Types].xml"]), "名单.xlsx",
     "This is not a CSV or Excel (.xlsx) file."),
    (_zip(["xl/workbook.xml"]), "坏的.xlsx", "The Excel file could not be read"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧.xls", "old Excel file (.xls)"),
    (b"", "empty.csv", "The file is empty."),
    ("捐款感谢信\n感谢各位乡亲\n".encode(), "信.csv", "No header row found"),
])
def test_a_file_that_is_not_a_statement_or_list_is_refused_beside_the_field(
        fund_with_donors, treasurer, data, filename, message):
    response = upload(treasurer, data, filename)
    assert response.status_code == 422
    body = html.unescape(response.get_data(as_text=True))
    assert 'id="file-error"' in body and message in body


def test_no_file_chosen_is_refused(fund_with_donors, treasurer):
    response = treasurer.post("/f/donggangcun/imports", data={"channel": "bank"})
    assert response.status_code == 422
    assert "Choose the file to import." in response.get_data(as_text=True)


def test_too_large_a_file_is_refused(fund_with_donors, treasurer, monkeypatch):
    # A small limit keeps the upload in memory: the test client leaks its temporary file
    # for bodies above 500 KB. The real limit is read in the test below.
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    response = upload(treasurer, "金额\n".encode() + b"1\n" * 1000, "big.csv")
    assert response.status_code == 422
    assert "The file is larger than 5 MB" in response.get_data(as_text=True)


def test_the_limit_is_five_megabytes():
    header = "日期,金额\n".encode()
    with pytest.raises(reading.UploadError, match="larger than 5 MB"):
        reading.read(header + b"x" * (5 * 1024 * 1024))
    assert len(reading.read(header + b"2026-01-20,1\n" * 10)) == 10


def test_an_xlsx_that_inflates_too_far_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNZIPPED", 1000)
    with pytest.raises(reading.UploadError, match="too large once unpacked"):
        reading.read(donation_list_xlsx())


def test_too_many_rows_are_refused(fund_with_donors, treasurer):
    data = ("日期,金额\n" + "2026-01-20,10\n" * (reading.MAX_ROWS + 1)).encode()
    response = upload(treasurer, data, "many.csv", channel="cash")
    assert response.status_code == 422
    assert f"more than {reading.MAX_ROWS} rows" in response.get_data(as_text=True)


def test_htmx_gets_the_preview_or_the_form_as_a_fragment(fund_with_donors, treasurer):
    partial = {"HX-Request-Type": "partial"}
    response = upload(treasurer, bank_statement_gbk(), "明细.csv", headers=partial)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="import">')
    assert "<html" not in body and 'id="row-4"' in body
    refused = upload(treasurer, b"\x00\x01", "x.csv", headers=partial)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)


def test_the_upload_form_works_for_the_social_worker(client, auth, fund_with_donors):
    auth.login(LOGINS["social_worker"])
    page = client.get("/f/donggangcun/imports")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(
        as_text=True)


@pytest.mark.parametrize("who", ["other_fund_member", "member", "this_township_admin"])
def test_people_who_do_not_record_money_here_get_403(client, auth, fund_with_donors, who):
    auth.login(LOGINS[who])
    assert client.get("/f/donggangcun/imports").status_code == 403
    response = upload(client, bank_statement_gbk(), "明细.csv")
    assert response.status_code == 403 and "王建平" not in response.get_data(as_text=True)


def test_another_funds_token_is_404(app, client, auth, fund_with_donors):
    auth.login(LOGINS["treasurer"])
    token = token_of(upload(client, bank_statement_gbk(), "明细.csv"))
    theirs = counts(app, fund_with_donors.other_id)
    auth.logout()
    auth.login(LOGINS["other_fund_member"])  # 南塘村's treasurer, with 南塘村's own URL
    theirs_commit = f"/f/{fund_with_donors.other_slug}/imports/{token}/commit"
    assert client.post(theirs_commit).status_code == 404
    assert counts(app, fund_with_donors.other_id) == theirs
    auth.logout()
    auth.login(LOGINS["treasurer"])
    for wrong in ("0" * 32, "..", token[:-1]):
        assert client.post(f"/f/donggangcun/imports/{wrong}/commit").status_code == 404
    assert client.post(f"/f/donggangcun/imports/{token}/commit").status_code == 302
    # Committed: the token is spent, a second click finds nothing to record twice.
    assert client.post(f"/f/donggangcun/imports/{token}/commit").status_code == 404


def test_the_upload_waits_outside_static(app, fund_with_donors, treasurer):
    token = token_of(upload(treasurer, bank_statement_gbk(), "明细.csv"))
    folder = storage.VAR_DIR / "imports" / str(fund_with_donors.id) / token
    assert (folder / "upload").read_bytes() == bank_statement_gbk()
    assert "static" not in folder.parts


# Reading files: encodings, separators, headers and dates, without the web.

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_and_banks_write(encoding):
    text = "日期,姓名,金额,备注\n2026-01-20,王秀英,100,敬老\n"
    rows = reading.read(text.encode(encoding))
    assert [r.cells for r in rows] == [
        {"date": "2026-01-20", "name": "王秀英", "amount": "100", "notes": "敬老"}]


def test_english_headers_tabs_and_quoted_serials():
    text = ('Date\tName\tAmount (CNY)\tReference\tChannel\n'
            '2026-01-20\tLi Ming\t88.50\t="007"\tWeChat\n')
    rows = reading.read(text.encode())
    assert rows[0].line == 2
    assert rows[0].cells == {"date": "2026-01-20", "name": "Li Ming", "amount": "88.50",
                                   "reference": "007", "channel": "WeChat"}


def test_the_payer_column_wins_over_the_account_holder():
    text = "户名,对方户名,金额\n苏州市吴江区慈善总会,王建平,100\n"
    assert reading.read(text.encode("gbk"))[0].cells["name"] == "王建平"


@pytest.mark.parametrize("value, expected", [
    ("2026-01-20", date(2026, 1, 20)), ("2026/1/20", date(2026, 1, 20)),
    ("20260120", date(2026, 1, 20)), (20260120, date(2026, 1, 20)),
    ("2026年1月20日", date(2026, 1, 20)), ("2026-01-20 10:23:11", date(2026, 1, 20)),
    (46042, date(2026, 1, 20)), (datetime(2026, 1, 20, 9, 30), date(2026, 1, 20)),
    (None, None), ("", None),
])
def test_dates_as_people_and_spreadsheets_write_them(value, expected):
    assert cells.received_on(value) == expected


def test_spreadsheet_numbers_read_as_excel_shows_them():
    assert [cells.text(v) for v in (100.1 + 200.2, 12.345, 1e9, 13912345678.0, None)] == [
        "300.3", "12.345", "1000000000", "13912345678", ""]


@pytest.mark.parametrize("value", ["20/01/2026", "2026-02-30", "昨天", 5, "46042元"])
def test_unreadable_dates_are_named(value):
    with pytest.raises(cells.CellError):
        cells.received_on(value)


@pytest.mark.browser
def test_treasurer_imports_a_statement_on_a_phone(live_server, browser, fund_with_donors, tmp_path):
    """Real Chromium, real htmx: the upload swaps in the preview, the commit lands in the
    workspace, and the wide table scrolls inside its box, not the page."""
    statement = tmp_path / "明细.csv"
    statement.write_bytes(bank_statement_gbk())
    page = browser.new_page(viewport=PHONE, locale="en")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("手机号或邮箱").fill(LOGINS["treasurer"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(f"{live_server}/f/donggangcun/imports")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#file-error")
    assert page.get_by_text("Choose the file to import.").is_visible()
    shot(page, "imports-upload-error-phone")
    page.get_by_label("Bank statement or donation list").set_input_files(str(statement))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#row-4")
    assert page.url.endswith("/f/donggangcun/imports")
    assert page.get_by_text("The same serial number is also in row 7.").is_visible()
    assert no_sideways_scroll(page)
    shot(page, "imports-preview-phone")
    page.get_by_role("button", name="Import the ready rows (3)").click()
    page.wait_for_url(f"{live_server}/f/donggangcun/")
    assert page.get_by_text("Donations imported: 3. Duplicates skipped: 1.").is_visible()
