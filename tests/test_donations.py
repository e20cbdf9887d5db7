"""Recording money: the rules of donations, batches, refunds, corrections and the ledger,
and the pages a treasurer uses."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from app.clock import local_today
from app.donations import batches, services
from app.donations.models import Batch, Designation, Donation
from app.donors import services as donors
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.money import AmountError, parse_amount, yuan
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS


def _cash(amount="100", **kw) -> services.DonationInput:
    return services.DonationInput(amount=amount, channel=kw.pop("channel", "cash"),
                                  received_on=kw.pop("received_on", local_today()), **kw)


# --- amounts -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, fen", [("100", 10000), ("1,050.5", 105050), ("88.88", 8888),
                                        ("¥ 20 元", 2000), ("0.01", 1)])
def test_amounts_are_parsed_into_fen(typed, fen):
    assert parse_amount(typed) == fen


@pytest.mark.parametrize("typed", ["", "0", "0.00", "-5", "12.345", "abc", "1e3", "20000000"])
def test_bad_amounts_are_refused(typed):
    with pytest.raises(AmountError):
        parse_amount(typed)


def test_yuan_shows_fen_as_yuan():
    assert yuan(105050) == "1,050.50" and yuan(-500) == "-5.00" and yuan(0) == "0.00"


# --- single donations and the ledger --------------------------------------------------------

def test_recorded_cash_is_confirmed_and_booked_once(fund):
    before = ledger.balances().total_fen
    donation = services.record_offline(_cash("200"), None)
    assert donation.status == "confirmed"
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.donation_id == donation.id)).all()
    assert [(e.kind, e.amount_fen) for e in entries] == [("donation", 20000)]
    assert ledger.balances().total_fen == before + 20000
    with pytest.raises(Invalid):
        services.confirm(donation)


def test_restricted_money_is_kept_apart(fund):
    purpose = db.session.scalar(select(Designation).where(Designation.name == "微心愿"))
    before = ledger.balances()
    services.record_offline(_cash("300", designation_id=purpose.id), None)
    after = ledger.balances()
    assert after.restricted_fen[purpose.id] == before.restricted_fen.get(purpose.id, 0) + 30000
    assert after.unrestricted_fen == before.unrestricted_fen


@pytest.mark.parametrize("field, data", [
    ("amount", _cash("0")),
    ("amount", _cash("-5")),
    ("amount", _cash("1.234")),
    ("amount", _cash("99999999")),
    ("received_on", _cash(received_on=local_today() + timedelta(days=1))),
    ("channel", _cash(channel="bitcoin")),
    ("reference", _cash(channel="bank")),  # a transfer needs its serial
    ("item_description", _cash(channel="in_kind")),
])
def test_bad_input_names_the_field_and_writes_nothing(fund, field, data):
    count = db.session.scalar(select(db.func.count()).select_from(Donation))
    with pytest.raises(Invalid) as error:
        services.record_offline(data, None)
    assert field in error.value.errors
    assert db.session.scalar(select(db.func.count()).select_from(Donation)) == count


def test_the_same_transfer_is_never_counted_twice(fund):
    services.record_offline(_cash(channel="wechat", reference="4200001234"), None)
    with pytest.raises(Invalid) as error:
        services.record_offline(_cash(channel="wechat", reference="4200001234"), None)
    assert "reference" in error.value.errors
    # The same serial on another channel is another transfer.
    services.record_offline(_cash(channel="alipay", reference="4200001234"), None)


def test_refunds_are_booked_once_and_never_exceed_the_gift(fund):
    donation = services.record_offline(_cash("500"), None)
    services.record_refund(donation, 20000, "re_1")
    assert donation.status == "partially_refunded" and donation.net_fen == 30000
    assert services.record_refund(donation, 20000, "re_1") is None  # the webhook, again
    assert donation.refunded_fen == 20000
    with pytest.raises(Invalid):
        services.record_refund(donation, 40000, "re_2")
    services.record_refund_total(donation, 50000, "re_3")
    assert donation.status == "refunded" and donation.refunded_fen == 50000
    refunds = db.session.scalars(select(LedgerEntry.amount_fen).where(
        LedgerEntry.donation_id == donation.id, LedgerEntry.kind == "refund")).all()
    assert sorted(refunds) == [-30000, -20000]


def test_a_correction_is_a_reversing_entry(fund):
    before = ledger.balances().total_fen
    donation = services.record_offline(_cash("1000"), None)
    with pytest.raises(Invalid):
        services.reverse(donation, "  ")
    reversal = services.reverse(donation, "金额录错，应为100元")
    assert reversal.amount_fen == -100000 and reversal.reason == "金额录错，应为100元"
    assert donation.status == "reversed"
    assert ledger.balances().total_fen == before
    with pytest.raises(Invalid):
        services.reverse(donation, "again")


def test_ledger_entries_cannot_be_changed_or_deleted(fund):
    donation = services.record_offline(_cash("100"), None)
    db.session.commit()
    entry_id = db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.donation_id == donation.id))
    for sql in ("UPDATE ledger_entry SET amount_fen = 1 WHERE id = :id",
                "DELETE FROM ledger_entry WHERE id = :id"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql), {"id": entry_id})
        db.session.rollback()


def test_balance_equals_the_sum_of_entries(fund):
    total = db.session.scalar(select(db.func.sum(LedgerEntry.amount_fen)))
    assert ledger.balances().total_fen == total > 0


# --- donors ---------------------------------------------------------------------------------

def test_donor_search_by_name_phone_and_pinyin_initials(fund):
    donor = donors.create_donor(donors.DonorInput(name="欧阳明月", phone="13812340000"))
    assert donor.initials == "oymy"
    assert donor in donors.search("欧阳")
    assert donor in donors.search("1234")
    assert donor in donors.search("oym")
    assert donors.search("") == []


def test_likely_duplicates_are_found(fund):
    donor = donors.create_donor(donors.DonorInput(name="钱多多", phone="13711110000"))
    assert donor in donors.likely_duplicates(donors.DonorInput(name="钱多多"))
    assert donor in donors.likely_duplicates(donors.DonorInput(name="别人", phone="13711110000"))
    with pytest.raises(Invalid) as error:
        donors.create_donor(donors.DonorInput(name="别人", phone="137 1111 0000"))
    assert "phone" in error.value.errors


def test_merge_keeps_every_gift(fund):
    a = donors.create_donor(donors.DonorInput(name="周大福"))
    b = donors.create_donor(donors.DonorInput(name="周大福 ", phone="13600000000"))
    services.record_offline(_cash("100", donor_id=a.id), None)
    services.record_offline(_cash("200", donor_id=b.id), None)
    donors.merge(a, b)
    assert b.merged_into_id == a.id and a.phone == "13600000000"
    amounts = db.session.scalars(select(Donation.amount_fen).where(Donation.donor_id == a.id))
    assert sorted(amounts) == [10000, 20000]
    assert donors.totals_by_year(a) == [(local_today().year, 2, 30000)]
    with pytest.raises(Invalid):
        donors.merge(a, a)


# --- batches --------------------------------------------------------------------------------

def _batch(counted="300") -> Batch:
    return batches.open_batch(batches.BatchInput(
        title="2026年重阳节村民大会募捐", channel="cash", received_on=local_today(),
        counted_total=counted), None)


def test_batch_closes_only_when_entered_equals_counted(fund):
    batch = _batch("300")
    batches.add_row(batch, batches.RowInput(amount="100", donor_name="新来的王阿姨"), None)
    batches.add_row(batch, batches.RowInput(amount="150"), None)  # the donation box: anonymous
    assert batches.totals(batch).difference_fen == 5000
    with pytest.raises(Invalid):
        batches.close_batch(batch, None)
    rows = db.session.scalars(select(Donation).where(Donation.batch_id == batch.id)).all()
    assert {r.status for r in rows} == {"pending"}
    before = ledger.balances().total_fen
    batches.add_row(batch, batches.RowInput(amount="50"), None)
    batches.close_batch(batch, None)
    assert batch.status == "closed"
    assert {r.status for r in rows} == {"confirmed"}
    assert ledger.balances().total_fen == before + 30000
    assert db.session.scalar(select(Donor).where(Donor.name == "新来的王阿姨")) is not None
    with pytest.raises(Invalid):
        batches.add_row(batch, batches.RowInput(amount="1"), None)


def test_batch_row_with_bad_amount_writes_nothing(fund):
    batch = _batch()
    with pytest.raises(Invalid) as error:
        batches.add_row(batch, batches.RowInput(amount="12.345", donor_name="不该创建"), None)
    assert "amount" in error.value.errors
    assert db.session.scalar(select(Donor).where(Donor.name == "不该创建")) is None


def test_closing_an_empty_batch_is_refused(fund):
    with pytest.raises(Invalid):
        batches.close_batch(_batch(), None)


# --- pages ----------------------------------------------------------------------------------

def test_treasurer_records_a_batch_in_the_browser_forms(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post("/f/donggangcun/batches/", data={
        "title": "村民大会", "channel": "cash", "received_on": local_today().isoformat(),
        "counted_total": "250"})
    assert response.status_code == 302
    batch_url = response.location
    partial = {"HX-Request": "true", "HX-Request-Type": "partial"}
    row = client.post(f"{batch_url}/rows", data={"donor_name": "张三丰", "amount": "200"},
                      headers=partial)
    body = row.get_data(as_text=True)
    assert row.status_code == 200 and body.lstrip().startswith('<div id="entry">')
    assert "张三丰" in body and "¥200.00" in body
    bad = client.post(f"{batch_url}/rows", data={"amount": "0"}, headers=partial)
    assert bad.status_code == 422 and "金额必须大于零" in bad.get_data(as_text=True)
    refused = client.post(f"{batch_url}/close")
    assert refused.status_code == 422
    client.post(f"{batch_url}/rows", data={"amount": "50"}, headers=partial)
    closed = client.post(f"{batch_url}/close")
    assert closed.status_code == 302
    assert "每一笔都已确认" in client.get(batch_url).get_data(as_text=True)


def test_record_a_single_donation_and_see_it_in_the_list(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post("/f/donggangcun/donations/new", data={
        "donor_name": "李慈善", "amount": "1,288", "channel": "bank",
        "received_on": local_today().isoformat(), "reference": "BANK-777"})
    assert response.status_code == 302
    detail = client.get(response.location).get_data(as_text=True)
    assert "1,288.00" in detail and "李慈善" in detail and "已确认" in detail
    listing = client.get("/f/donggangcun/donations/?channel=bank").get_data(as_text=True)
    assert "李慈善" in listing
    cash_only = client.get("/f/donggangcun/donations/?channel=cash").get_data(as_text=True)
    assert "李慈善" not in cash_only


def test_invalid_donation_form_answers_422_beside_the_fields(client, auth):
    auth.login(LOGINS["treasurer"])
    future = (local_today() + timedelta(days=3)).isoformat()
    response = client.post("/f/donggangcun/donations/new", data={
        "donor_name": "不该出现", "amount": "12.345", "channel": "wechat", "received_on": future})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="amount-error"' in body and 'id="received_on-error"' in body
    assert 'id="reference-error"' in body
    with client.application.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Donor).where(Donor.name == "不该出现")) is None


def test_donations_list_filters_and_totals(client, auth):
    auth.login(LOGINS["chair"])
    everything = client.get("/f/donggangcun/donations/")
    assert everything.status_code == 200
    cash = client.get("/f/donggangcun/donations/?channel=cash",
                      headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    body = cash.get_data(as_text=True)
    assert "<html" not in body and "银行转账" not in body.split("</thead>")[1]


def test_exports_in_csv_and_xlsx(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.get("/f/donggangcun/donations/export.csv?channel=wechat")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["收款日期", "捐赠人", "金额（元）"]
    assert len(rows) > 1 and {r[4] for r in rows[1:]} == {"微信转账"}
    xlsx = client.get("/f/donggangcun/donations/export.xlsx?channel=wechat")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == len(rows)


def test_committee_member_cannot_see_donor_data(client, auth):
    auth.login(LOGINS["member"])
    assert client.get("/f/donggangcun/donors/").status_code == 403
    assert client.get("/f/donggangcun/donations/").status_code == 403


def test_township_admin_reads_but_cannot_record(client, auth):
    auth.login(LOGINS["this_township_admin"])
    assert client.get("/f/donggangcun/donations/").status_code == 200
    response = client.post("/f/donggangcun/donations/new", data={"amount": "10"})
    assert response.status_code == 403


def test_another_funds_donation_is_not_found(app, client, auth):
    with app.app_context():
        ntc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "NTC"))
        with using(fund_scope(ntc.id)):
            other = db.session.scalar(select(Donation.id).limit(1))
    auth.login(LOGINS["treasurer"])
    assert client.get(f"/f/donggangcun/donations/{other}").status_code == 404


# --- found in review: each a way money or data could go wrong --------------------------------

def test_a_form_sent_twice_records_one_donation(client, auth):
    auth.login(LOGINS["treasurer"])
    form = {"donor_name": "双击的王大爷", "amount": "100", "channel": "cash",
            "received_on": local_today().isoformat(), "submission_key": "a" * 32}
    assert client.post("/f/donggangcun/donations/new", data=form).status_code == 302
    again = client.post("/f/donggangcun/donations/new", data=form)
    assert again.status_code == 422 and "已经提交过" in again.get_data(as_text=True)
    with client.application.app_context(), using(SYSTEM):
        gifts = db.session.scalars(select(Donation).join(Donor, Donation.donor_id == Donor.id)
                                   .where(Donor.name == "双击的王大爷")).all()
    assert len(gifts) == 1


def test_card_gifts_are_not_recorded_by_hand(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post("/f/donggangcun/donations/new", data={
        "amount": "100", "channel": "card", "received_on": local_today().isoformat()})
    assert response.status_code == 422 and 'id="channel-error"' in response.get_data(as_text=True)


def test_offline_gifts_have_no_public_status_page(app, client):
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            cash = db.session.scalar(select(Donation.id).where(Donation.channel == "cash"))
    assert client.get(f"/f/donggangcun/donate/{cash}/status").status_code == 404


def test_huge_numbers_in_urls_are_no_crash(client, auth):
    auth.login(LOGINS["treasurer"])
    huge = "9" * 20
    assert client.get(f"/f/donggangcun/donations/?page={huge}&donor={huge}").status_code == 200
    assert client.get(f"/f/donggangcun/donors/?page={huge}").status_code == 200
    assert client.get(f"/f/donggangcun/donations/new?donor_id={huge}").status_code == 200


def test_exports_keep_formulas_as_text(fund, client, auth):
    donor = donors.create_donor(donors.DonorInput(name="=HYPERLINK(\"http://x\")"))
    services.record_offline(_cash("1", donor_id=donor.id), None)
    db.session.commit()
    auth.login(LOGINS["treasurer"])
    body = client.get("/f/donggangcun/donations/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_online_gifts_are_corrected_by_refund_not_reversal(fund):
    donation = services.start_online(5000, gateway="stripe", donor_id=None, designation_id=None,
                                     message="", received_on=local_today())
    services.confirm(donation)
    with pytest.raises(Invalid):
        services.reverse(donation, "录错了")


def test_merging_a_merged_donor_keeps_the_chain_short(fund):
    a, b, c = (donors.create_donor(donors.DonorInput(name=n)) for n in ("甲", "乙", "丙"))
    donors.merge(b, c)
    donors.merge(a, b)
    assert (b.merged_into_id, c.merged_into_id) == (a.id, a.id)


def test_messages_without_a_visible_field_are_shown(client, auth, app):
    """A bad picked donor (a hidden field) and two donors of one name both get a message."""
    with app.app_context():
        ntc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "NTC"))
        with using(fund_scope(ntc.id)):
            foreign = db.session.scalar(select(Donor.id))
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            for _ in range(2):
                donors.create_donor(donors.DonorInput(name="同名同姓"))
            db.session.commit()
    auth.login(LOGINS["treasurer"])
    base = {"amount": "10", "channel": "cash", "received_on": local_today().isoformat()}
    other = client.post("/f/donggangcun/donations/new", data={**base, "donor_id": str(foreign)})
    assert other.status_code == 422 and "请选择本基金的捐赠人" in other.get_data(as_text=True)
    twins = client.post("/f/donggangcun/donations/new", data={**base, "donor_name": "同名同姓"})
    assert twins.status_code == 422 and "有多位同名捐赠人" in twins.get_data(as_text=True)
