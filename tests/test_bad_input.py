"""Bad input from outside: numbers and ids that are not plain ASCII digits in range, and days
no gift, batch or payout can have. Never a 500, never a stored record; a form says why beside
the field."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.donations.models import Batch, Donation
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.validation import MAX_ID, int_or_none
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD, Auth

FUND = "/f/donggangcun"
TOWNSHIP = "/t/luwan"
# '²' passes str.isdigit() but not int(); '٣' passes int() (an Arabic-Indic 3); the long one
# passes both and overflows an INTEGER column.
BAD_NUMBERS = ["²", "٣", "-1", "0", "99999999999999999999999", "abc", " 1", "1.5"]

# (who, URL, its query parameter that holds a number or an id)
QUERY_NUMBERS = [
    ("treasurer", f"{FUND}/donations/", "page"),
    ("treasurer", f"{FUND}/donations/", "designation"),
    ("treasurer", f"{FUND}/donations/", "donor"),
    ("treasurer", f"{FUND}/donations/", "batch"),
    ("treasurer", f"{FUND}/donations/export.csv", "designation"),
    ("treasurer", f"{FUND}/donations/export.xlsx", "batch"),
    ("treasurer", f"{FUND}/donations/new", "donor_id"),
    ("treasurer", f"{FUND}/receipts/", "page"),
    ("treasurer", f"{FUND}/receipts/", "year"),
    ("treasurer", f"{FUND}/receipts/annual", "year"),
    ("treasurer", f"{FUND}/donors/", "page"),
    ("chair", f"{FUND}/audit", "page"),
    ("treasurer", f"{FUND}/payouts/new", "proposal"),
    ("treasurer", f"{FUND}/reports/", "year"),
    ("treasurer", f"{FUND}/reports/preview.csv", "year"),
    ("this_township_admin", f"{TOWNSHIP}/", "page"),
    ("this_township_admin", f"{TOWNSHIP}/audit", "page"),
    ("this_township_admin", f"{TOWNSHIP}/audit", "fund"),
    ("this_township_admin", f"{TOWNSHIP}/annual.xlsx", "year"),
]


@pytest.mark.parametrize("value", ["1", "42", str(MAX_ID)])
def test_plain_ascii_ids_are_read(value):
    assert int_or_none(value) == int(value)


@pytest.mark.parametrize("value", [*BAD_NUMBERS, "", None, str(MAX_ID + 1), "１"])
def test_anything_else_is_no_id(value):
    assert int_or_none(value) is None


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("who, url, name", QUERY_NUMBERS)
def test_a_bad_number_in_a_query_string_is_ignored_or_refused(reading_app, who, url, name,
                                                              value):
    client = reading_app.test_client()
    Auth(client).login(LOGINS[who])
    response = client.get(url, query_string={name: value})
    assert response.status_code in (200, 404, 422), response.status_code


# (who, form URL or a function of the batch URL, the fields of a valid submission, the field)
def _form_posts(batch_url: str):
    today = local_today().isoformat()
    gift = {"donor_name": "", "amount": "10", "channel": "cash", "received_on": today}
    return [
        ("treasurer", f"{FUND}/donations/new", gift, "donor_id"),
        ("treasurer", f"{FUND}/donations/new", gift, "designation_id"),
        ("treasurer", f"{FUND}/donations/new", gift, "point_id"),
        ("treasurer", f"{batch_url}/rows", {"amount": "10"}, "donor_id"),
        ("treasurer", f"{batch_url}/rows", {"amount": "10"}, "designation_id"),
        ("treasurer", f"{FUND}/batches/", {"title": "坏批次", "channel": "cash",
                                            "received_on": today, "counted_total": "10"},
         "point_id"),
    ]


@pytest.fixture
def batch_url(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post(f"{FUND}/batches/", data={
        "title": "村民大会", "channel": "cash", "received_on": local_today().isoformat(),
        "counted_total": "250"})
    assert response.status_code == 302
    return response.location


def _gifts(client) -> int:
    with client.application.app_context(), using(SYSTEM):
        return db.session.scalar(select(func.count()).select_from(Donation))


def _batches(client) -> int:
    with client.application.app_context(), using(SYSTEM):
        return db.session.scalar(select(func.count()).select_from(Batch))


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("case", range(6))
def test_a_bad_id_in_a_form_is_refused_beside_the_field(client, batch_url, case, value):
    _who, url, data, name = _form_posts(batch_url)[case]
    before = _gifts(client), _batches(client)
    response = client.post(url, data={**data, name: value})
    assert response.status_code == 422, response.status_code
    body = response.get_data(as_text=True)
    # A picked donor is a hidden field: its message stands above the form.
    assert "请选择本基金的捐赠人" in body if name == "donor_id" else f'id="{name}-error"' in body
    assert (_gifts(client), _batches(client)) == before


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_typed_donor_number_that_is_no_number_is_refused_beside_the_field(client, auth,
                                                                             value):
    auth.login(LOGINS["treasurer"])
    merged = select(func.count()).where(Donor.merged_into_id.is_not(None))
    with client.application.app_context(), using(SYSTEM):
        keep = db.session.scalar(select(Donor.id).join(Fund, Fund.id == Donor.fund_id).where(
            Fund.receipt_prefix == "DGC").order_by(Donor.id.desc()))
        before = db.session.scalar(merged)
    response = client.post(f"{FUND}/donors/{keep}/merge", data={"other": value})
    assert response.status_code == 422 and 'id="other-error"' in response.get_data(as_text=True)
    with client.application.app_context(), using(SYSTEM):
        assert db.session.scalar(merged) == before


@pytest.mark.parametrize("number", ["987654", "99999999999", "0"])
def test_a_batch_row_for_a_donor_of_no_fund_is_refused(client, batch_url, number):
    before = _gifts(client)
    response = client.post(f"{batch_url}/rows", data={"amount": "10", "donor_id": number})
    assert response.status_code == 422
    assert "请选择本基金的捐赠人" in response.get_data(as_text=True)
    assert _gifts(client) == before


BAD_DAYS = ["0001-01-01", "0050-12-13", "1999-12-31"]


def _tomorrow() -> str:
    return (local_today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("day", [*BAD_DAYS, "tomorrow"])
def test_a_gift_on_an_impossible_day_is_refused(client, auth, day):
    auth.login(LOGINS["treasurer"])
    day = _tomorrow() if day == "tomorrow" else day
    before = _gifts(client)
    response = client.post(f"{FUND}/donations/new", data={
        "amount": "10", "channel": "cash", "received_on": day})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="received_on-error"' in body
    assert "2000" in body or "晚于今天" in body
    assert _gifts(client) == before


@pytest.mark.parametrize("day", [*BAD_DAYS, "tomorrow"])
def test_a_batch_on_an_impossible_day_is_refused(client, auth, day):
    auth.login(LOGINS["treasurer"])
    day = _tomorrow() if day == "tomorrow" else day
    before = _batches(client)
    response = client.post(f"{FUND}/batches/", data={
        "title": "远古批次", "channel": "cash", "received_on": day, "counted_total": "10"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="received_on-error"' in body
    assert _batches(client) == before


def test_the_first_day_of_2000_is_a_possible_day(client, auth):
    auth.login(LOGINS["treasurer"])
    response = client.post(f"{FUND}/donations/new", data={
        "amount": "10", "channel": "cash", "received_on": date(2000, 1, 1).isoformat()})
    assert response.status_code == 302


@pytest.mark.parametrize("code", ["²²²²²²", "١٢٣٤٥٦"])
def test_a_sign_in_code_in_other_digits_is_refused(app, client, code):
    from .helpers import ADMIN, enrol

    enrol(app, client)
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    response = client.post("/auth/code", data={"code": code})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)
