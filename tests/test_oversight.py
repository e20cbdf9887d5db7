"""Township oversight: the workspace table's figures, sorting and filters, the monthly ledger
summary kept by a trigger, the annual export, the fund lifecycle, and who may see it all."""

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text, update

from app.auth import services as accounts
from app.auth.models import Membership
from app.auth.roles import Role
from app.clock import local_today
from app.db_types import utcnow
from app.donations.models import Donation
from app.extensions import db
from app.funds import services as funds
from app.funds.models import Fund
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.oversight import deadlines, summary
from app.oversight.models import LedgerMonth
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, PASSWORD

ADMIN = "13700000001"  # 青石镇's township admin, made below
NOW = utcnow()
THIS_YEAR = datetime(NOW.year, 1, 15, 4, tzinfo=UTC)
LAST_YEAR = datetime(NOW.year - 1, 6, 1, 4, tzinfo=UTC)


def _gift(fund_id: int, fen: int, channel: str, when: datetime, n: list) -> Donation:
    n.append(1)
    gift = Donation(fund_id=fund_id, amount_fen=fen, channel=channel, status="confirmed",
                    received_on=when.date(), reference=f"ref-{len(n)}")
    db.session.add(gift)
    db.session.flush()
    db.session.add(LedgerEntry(fund_id=fund_id, kind="donation", amount_fen=fen,
                               reference=f"donation:{gift.id}", donation_id=gift.id,
                               created_at=when))
    db.session.flush()
    return gift


def _payout(fund_id: int, fen: int, when: datetime, ref: str) -> LedgerEntry:
    entry = LedgerEntry(fund_id=fund_id, kind="payout", amount_fen=-fen, reference=ref,
                        created_at=when)
    db.session.add(entry)
    db.session.flush()
    return entry


@pytest.fixture
def qingshi(app):
    """青石镇 with three funds whose books are known to the fen:

    上河村: last year cash 1,000 and a payout of 300; this year bank 500, cash 200, a payout
    of 100, and one of 50 reversed.  => balance 1,300, income 700, spending 100
    下河村: this year WeChat 80.  => balance 80, income 80, spending 0
    中桥村: nothing, suspended.
    """
    with app.app_context(), using(SYSTEM):
        town = funds.create_township("青石镇", slug="qingshi")
        upper = funds.create_fund(town, "上河村社区慈善基金", host_charity="吴中区慈善基金会",
                                  receipt_prefix="SHC", village="上河村")
        lower = funds.create_fund(town, "下河村社区慈善基金", host_charity="吴中区慈善基金会",
                                  receipt_prefix="XHC", village="下河村")
        middle = funds.create_fund(town, "中桥村社区慈善基金", host_charity="吴中区慈善基金会",
                                   receipt_prefix="ZQC", village="中桥村")
        middle.status = "suspended"
        admin = accounts.create_user("钱镇长", PASSWORD, phone=ADMIN)
        accounts.add_membership(admin, Role.TOWNSHIP_ADMIN, township=town)
        chair = accounts.create_user("上河主任", PASSWORD, phone="13700000002")
        accounts.add_membership(chair, Role.CHAIR, fund=upper)
        n = []
        _gift(upper.id, 100000, "cash", LAST_YEAR, n)
        _payout(upper.id, 30000, LAST_YEAR, "payout:1:general")
        _gift(upper.id, 50000, "bank", THIS_YEAR, n)
        _gift(upper.id, 20000, "cash", THIS_YEAR, n)
        _payout(upper.id, 10000, THIS_YEAR, "payout:2:general")
        wrong = _payout(upper.id, 5000, THIS_YEAR, "payout:3:general")
        ledger.reverse(wrong, "booked twice")
        _gift(lower.id, 8000, "wechat", THIS_YEAR, n)
        db.session.commit()
        ids = {"upper": upper.id, "lower": lower.id, "middle": middle.id}
    return ids


def _login(client, login=ADMIN):
    response = client.post("/auth/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302


def _row(html: str, village: str) -> str:
    match = re.search(r"<tr>(?:(?!</tr>).)*" + village + r"(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"no row for {village}"
    return re.sub(r"\s+", " ", match.group(0))


def _cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   row_html, re.S)]


# --- the table ------------------------------------------------------------------------------

def test_workspace_shows_each_funds_figures_as_summed_by_hand(client, qingshi):
    _login(client)
    html = client.get("/t/qingshi/").get_data(as_text=True)
    upper = _cells(_row(html, "上河村"))
    assert upper[2:5] == [["1,300.00"], ["700.00"], ["100.00"]]  # balance, income, spending
    lower = _cells(_row(html, "下河村"))
    assert lower[2:5] == [["80.00"], ["80.00"], ["0.00"]]
    middle = _cells(_row(html, "中桥村"))
    assert middle[2:5] == [["0.00"], ["0.00"], ["0.00"]]
    # Totals: the township's balance and this year's income and spending.
    foot = re.sub(r"\s+", " ", html.split("<tfoot>")[1].split("</tfoot>")[0])
    assert "1,380.00" in foot and "780.00" in foot and "100.00" in foot
    # Each fund links to its workspace, which the township admin may read.
    assert 'href="/f/shanghecun/"' in html
    assert client.get("/f/shanghecun/").status_code == 200
    assert "svg" in html  # the monthly chart, drawn on the server


def test_workspace_sorts_and_filters(client, qingshi):
    _login(client)

    def order(query):
        html = client.get("/t/qingshi/" + query).get_data(as_text=True)
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        return re.findall(r"(上河村|下河村|中桥村)</span>", body)

    assert order("?sort=balance&dir=desc") == ["上河村", "下河村", "中桥村"]
    assert order("?sort=balance") == ["中桥村", "下河村", "上河村"]
    assert order("?sort=income&dir=desc")[0] == "上河村"
    assert order("?status=suspended") == ["中桥村"]
    assert order("?q=下河") == ["下河村"]
    assert order("?sort=nonsense") == order("?sort=name")  # unknown columns sort by name
    # htmx asks for the table alone.
    partial = client.get("/t/qingshi/?sort=donors", headers={"HX-Request": "true",
                                                              "HX-Request-Type": "partial"})
    text_ = partial.get_data(as_text=True)
    assert "<table" in text_ and "<h1>" not in text_


def test_overdue_filter_finds_funds_with_a_missing_annual_report(app, client, qingshi):
    with app.app_context(), using(SYSTEM):
        upper = db.session.get(Fund, qingshi["upper"])
        upper.created_at = datetime(NOW.year - 2, 3, 1, tzinfo=UTC)  # it existed last year
        db.session.commit()
    _login(client)
    html = client.get("/t/qingshi/?overdue=1").get_data(as_text=True)
    body = html.split("<tbody>")[1]
    today = local_today()
    if today > date(today.year, 5, 31):
        assert "上河村" in body and "下河村" not in body
    else:  # before 31 May the annual report is due, not late
        assert "上河村" not in body


# --- deadlines ------------------------------------------------------------------------------

def test_annual_report_is_due_by_31_may_of_the_next_year():
    old = date(2020, 1, 1)
    before = deadlines.due_reports(date(2026, 5, 31), old, set(), None)
    assert [(d.kind, d.year, d.due, d.overdue) for d in before] == [
        ("annual", 2025, date(2026, 5, 31), False)]
    after = deadlines.due_reports(date(2026, 6, 1), old, set(), None)
    assert after[0].overdue
    done = deadlines.due_reports(date(2026, 6, 1), old, {("annual", 2025, 0)}, None)
    assert [(d.year, d.overdue) for d in done] == [(2026, False)]
    # A fund founded this year owes no report for last year.
    assert not deadlines.due_reports(date(2026, 6, 1), date(2026, 2, 1), set(), None)[0].overdue


def test_long_projects_need_a_quarterly_report_a_month_after_the_quarter():
    old = date(2020, 1, 1)
    published = {("annual", 2025, 0)}
    # Started 2025-12-01: by the end of Q2 2026 it runs over six months.
    found = deadlines.due_reports(date(2026, 8, 1), old, published, date(2025, 12, 1))
    assert (found[0].kind, found[0].year, found[0].quarter, found[0].due, found[0].overdue) == (
        "quarterly", 2026, 2, date(2026, 7, 31), True)
    found = deadlines.due_reports(date(2026, 7, 20), old, published, date(2025, 12, 1))
    assert found[0].quarter == 2 and not found[0].overdue
    # A project started in May is not long by the end of Q2 nor Q3.
    short = deadlines.due_reports(date(2026, 8, 1), old, published, date(2026, 5, 1))
    assert [d.kind for d in short] == ["annual"]


# --- the monthly summary and its trigger -----------------------------------------------------

def _summed(fund_id, totals=False):
    """The fund's month rows (or, with totals, its year and all-time rows)."""
    rows = db.session.scalars(select(LedgerMonth).where(LedgerMonth.fund_id == fund_id)).all()
    return {(r.month, r.flow, r.channel): (r.amount_fen, r.entry_count) for r in rows
            if (r.month % 100 == 0) == totals}


def test_trigger_counts_orm_and_bulk_inserts_and_rebuild_finds_no_difference(app, qingshi):
    with app.app_context():
        with using(fund_scope(qingshi["lower"])):
            month = summary.month_of(THIS_YEAR)
            before = _summed(qingshi["lower"])
            assert before == {(month, "in", ""): (8000, 1)}
            ledger.post("refund", -3000, "refund:x", donation_id=db.session.scalar(
                select(Donation.id)))
            db.session.execute(insert(LedgerEntry), [
                dict(kind="payout", amount_fen=-100, reference=f"bulk:{i}", created_at=THIS_YEAR)
                for i in range(3)])
            db.session.commit()
            after = _summed(qingshi["lower"])
            now_month = summary.month_of(utcnow())
            assert after[(month, "out", "")] == (-300, 3)
            totals = _summed(qingshi["lower"], totals=True)
            assert totals[(0, "out", "")] == totals[(month // 100 * 100, "out", "")] == (-300, 3)
            assert totals[(0, "in", "")] == (5000, 2)
            assert totals[(month // 100 * 100, "in", "wechat")] == (5000, 2)  # year, by channel
            if now_month == month:
                assert after[(month, "in", "")] == (5000, 2)
            else:
                assert after[(now_month, "in", "")] == (-3000, 1)
        with using(SYSTEM):
            assert summary.differences() == []  # the demo's ledger and these entries agree
    result = app.test_cli_runner().invoke(args=["oversight", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    assert "agrees" in result.output


def test_rebuild_finds_and_repairs_a_tampered_summary(app, qingshi):
    with app.app_context(), using(SYSTEM):
        db.session.execute(update(LedgerMonth).where(LedgerMonth.fund_id == qingshi["lower"],
                                                     LedgerMonth.month % 100 != 0)
                           .values(amount_fen=LedgerMonth.amount_fen + 1))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["oversight", "rebuild", "--check"])
    assert result.exit_code == 1
    assert "1 difference" in result.output and "summary 8001 fen" in result.output, result.output
    result = runner.invoke(args=["oversight", "rebuild"])
    assert result.exit_code == 1 and "now corrected" in result.output
    result = runner.invoke(args=["oversight", "rebuild", "--check"])
    assert result.exit_code == 0, result.output


def test_a_month_is_counted_in_beijing_time():
    assert summary.month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == 202611
    assert summary.month_of(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == 202612


def test_an_entry_booked_at_beijing_midnight_goes_to_the_new_month(app, qingshi):
    with app.app_context(), using(fund_scope(qingshi["middle"])):
        db.session.add(LedgerEntry(kind="payout", amount_fen=-1, reference="midnight",
                                   created_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC)))
        db.session.commit()
        assert _summed(qingshi["middle"]) == {(202612, "out", ""): (-1, 1)}


# --- the annual export ------------------------------------------------------------------------

def test_annual_export_sums_match_the_books(client, qingshi):
    _login(client)
    year = NOW.year
    response = client.get(f"/t/qingshi/annual.xlsx?year={year}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[2]
    upper = dict(zip(header, next(r for r in rows if r[0] == "上河村社区慈善基金"), strict=True))
    money = [float(v) for v in list(upper.values())[4:-3]]
    opening, by_channel, total_in, spending, closing = (money[0], money[1:-3], money[-3],
                                                         money[-2], money[-1])
    assert opening == 700.0  # 1,000 in, 300 out last year
    assert sorted(v for v in by_channel if v) == [200.0, 500.0]  # cash and bank this year
    assert (total_in, spending, closing) == (700.0, 100.0, 1300.0)
    assert opening + total_in - spending == closing
    total = rows[-1]
    assert total[0] in ("Total", "合计") and float(total[-4]) == 1300.0 + 80.0
    last = client.get(f"/t/qingshi/annual.xlsx?year={year - 1}")
    sheet = load_workbook(io.BytesIO(last.data)).active
    upper = next([c.value for c in r] for r in sheet.iter_rows()
                 if r[0].value == "上河村社区慈善基金")
    assert float(upper[4]) == 0 and float(upper[-4]) == 700.0  # closing of last year


def test_export_keeps_formula_like_names_as_text(app, client, qingshi):
    with app.app_context(), using(SYSTEM):
        db.session.get(Fund, qingshi["lower"]).village = "=HYPERLINK(1)"
        db.session.commit()
    _login(client)
    sheet = load_workbook(io.BytesIO(client.get("/t/qingshi/annual.xlsx").data)).active
    assert any(c.value == "'=HYPERLINK(1)" for row in sheet.iter_rows() for c in row)


# --- the fund's life -------------------------------------------------------------------------

def test_wizard_creates_a_fund_with_slug_from_pinyin_and_its_chair(app, client, qingshi):
    _login(client)
    hint = client.get("/t/qingshi/funds/slug?name=东桥村社区慈善基金")
    assert "/f/dongqiaocun/" in hint.get_data(as_text=True)
    form = {"name": "东桥村社区慈善基金", "village": "东桥村", "kind": "village",
            "host_charity": "吴中区慈善基金会", "receipt_prefix": "dqc",
            "committee-0-login": "13700000009", "committee-0-name": "东桥主任",
            "committee-0-role": "chair", "committee-1-login": "13700000002",
            "committee-1-role": "member"}
    response = client.post("/t/qingshi/funds/new", data=form)
    with app.app_context(), using(SYSTEM):
        fund = db.session.scalar(select(Fund).where(Fund.slug == "dongqiaocun"))
        # On to the new fund's people, where each one's invitation is shown.
        assert response.status_code == 302
        assert response.location.endswith(f"/t/qingshi/funds/{fund.id}/staff")
        assert fund.receipt_prefix == "DQC" and fund.township.slug == "qingshi"
        seats = {(m.user.phone, m.role) for m in db.session.scalars(
            select(Membership).where(Membership.fund_id == fund.id))}
        assert seats == {("13700000009", "chair"), ("13700000002", "member")}
    # The same prefix again, and no chair: both said at once, nothing written.
    again = client.post("/t/qingshi/funds/new", data={**form, "name": "东桥村二号基金",
                                                       "committee-0-role": "member"})
    assert again.status_code == 422
    body = again.get_data(as_text=True)
    assert "DQC" in body or "prefix" in body or "前缀" in body
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Fund).where(Fund.name == "东桥村二号基金")) is None


def test_the_wizard_posted_by_htmx_loads_the_staff_page_instead_of_swapping_it_in(
        app, client, qingshi):
    """fetch() follows a redirect, and htmx swapped the whole staff page into the form."""
    _login(client)
    form = {"name": "南桥村社区慈善基金", "kind": "village", "host_charity": "吴中区慈善基金会",
            "receipt_prefix": "NQC", "committee-0-login": "13700000029",
            "committee-0-name": "南桥主任", "committee-0-role": "chair"}
    response = client.post("/t/qingshi/funds/new", data=form,
                           headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    with app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.name == "南桥村社区慈善基金"))
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/t/qingshi/funds/{fund_id}/staff")


def test_wizard_refuses_a_control_character_in_a_seat_row_beside_it(app, client, qingshi):
    """The wizard's service would take the name; the form's own refusal must stop it."""
    _login(client)
    form = {"name": "西桥村社区慈善基金", "village": "西桥村", "kind": "village",
            "host_charity": "吴中区慈善基金会", "receipt_prefix": "XQC",
            "committee-0-login": "13700000019", "committee-0-name": "西桥\x00主任",
            "committee-0-role": "chair"}
    response = client.post("/t/qingshi/funds/new", data=form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="committee-0-name-error"' in body
    # The name's message is read with its hint: both ids, in the order shown.
    empty = client.post("/t/qingshi/funds/new", data={
        **form, "name": "", "committee-0-name": "西桥主任"}).get_data(as_text=True)
    assert 'aria-describedby="slug-hint name-error"' in empty and 'id="name-error"' in empty
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Fund).where(Fund.name == "西桥村社区慈善基金")) is None


def test_suspended_fund_is_read_only_and_its_board_says_so(app, client, qingshi):
    _login(client)
    assert client.post(f"/t/qingshi/funds/{qingshi['upper']}/status",
                       data={"action": "suspend"}).status_code == 302
    public = client.get("/f/shanghecun/public").get_data(as_text=True)
    assert "suspended" in public or "暂停" in public
    chair = client.application.test_client()
    _login(chair, "13700000002")
    assert chair.get("/f/shanghecun/").status_code == 200  # still readable
    assert chair.post("/f/shanghecun/committee/rules", data={}).status_code == 403
    # Suspended cannot be suspended again; archive, then reactivate.
    assert client.post(f"/t/qingshi/funds/{qingshi['upper']}/status",
                       data={"action": "suspend"}).status_code == 422
    client.post(f"/t/qingshi/funds/{qingshi['upper']}/status", data={"action": "archive"})
    with app.app_context():
        assert db.session.get(Fund, qingshi["upper"]).status == "archived"
    client.post(f"/t/qingshi/funds/{qingshi['upper']}/status", data={"action": "reactivate"})
    with app.app_context():
        assert db.session.get(Fund, qingshi["upper"]).status == "active"
    assert chair.post("/f/shanghecun/committee/rules", data={}).status_code != 403


# --- who may see it ---------------------------------------------------------------------------

def test_a_fund_of_another_township_cannot_be_suspended_from_here(app, client, qingshi):
    _login(client)
    with app.app_context():
        dgc = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
    assert client.post(f"/t/qingshi/funds/{dgc}/status",
                       data={"action": "suspend"}).status_code == 404
    with app.app_context():
        assert db.session.get(Fund, dgc).status == "active"


def test_demo_township_workspace_renders(client):
    _login(client, LOGINS["this_township_admin"])
    html = client.get("/t/luwan/").get_data(as_text=True)
    assert "东港村社区慈善基金" in html and "<tfoot>" in html
    assert client.get("/t/luwan/annual.xlsx").status_code == 200


def test_raw_sql_tampering_check_uses_the_database(app, qingshi):
    """The summary is the trigger's work, not the ORM's: a plain SQL insert is counted too."""
    with app.app_context(), using(fund_scope(qingshi["middle"])):
        db.session.execute(text(
            "INSERT INTO ledger_entry (fund_id, kind, amount_fen, reference, reason, created_at) "
            "VALUES (:f, 'payout', -7, 'raw', '', :t)"),
            {"f": qingshi["middle"], "t": datetime(2026, 3, 3, 3)})
        db.session.commit()
        assert _summed(qingshi["middle"]) == {(202603, "out", ""): (-7, 1)}
