"""The private data of the people helped: sealed at rest under DATA_KEY, opened only with the
purpose it was sealed for, found by a keyed hash, checked on entry, masked for the public."""

import base64
import threading

import pytest
from cryptography.exceptions import InvalidTag
from flask_babel import force_locale
from sqlalchemy import select

from app import privacy
from app.extensions import db
from app.funds.models import Fund
from app.notify import codes
from app.notify.models import PhoneCode
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, received

FUND = "donggangcun"


def test_a_sealed_value_opens_only_for_its_purpose_and_never_twice_the_same(app):
    with app.app_context():
        one = privacy.seal("王秀英", "wish.recipient")
        two = privacy.seal("王秀英", "wish.recipient")
        assert one != two and "王" not in one  # a fresh nonce: equal names are not equal rows
        assert privacy.unseal(one, "wish.recipient") == "王秀英"
        with pytest.raises(InvalidTag):
            privacy.unseal(one, "volunteer.id_number")


def test_another_key_cannot_open_it(app):
    with app.app_context():
        sealed = privacy.seal("13912345678", "wish.phone")
        app.config["DATA_KEY"] = base64.urlsafe_b64encode(b"k" * 32).decode()
        with pytest.raises(InvalidTag):
            privacy.unseal(sealed, "wish.phone")


def test_a_lookup_hash_is_stable_keyed_and_bound_to_its_purpose(app):
    with app.app_context():
        first = privacy.lookup_hash("11010519491231002X", "volunteer.id_number")
        assert first == privacy.lookup_hash("11010519491231002X", "volunteer.id_number")
        assert first != privacy.lookup_hash("11010519491231002X", "aid.id_number")
        app.config["DATA_KEY"] = base64.urlsafe_b64encode(b"k" * 32).decode()
        assert first != privacy.lookup_hash("11010519491231002X", "volunteer.id_number")


@pytest.mark.parametrize("typed", ["110105194912310021", "11010519491231002", "ABC", "",
                                   "110105194913310029"])
def test_a_wrong_id_number_is_refused_beside_its_field(app, typed):
    with app.test_request_context(), force_locale("zh_Hans"):
        with pytest.raises(Invalid) as refused:
            privacy.clean_id_number(typed, field="id")
        assert "校验码" in str(refused.value.errors["id"])


def test_a_right_id_number_is_kept_in_capitals_without_spaces(app):
    with app.test_request_context():
        assert privacy.clean_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_masks():
    assert privacy.mask_name("张三丰") == "张*丰"
    assert privacy.mask_name("张三") == "张*"
    assert privacy.mask_name("欧阳䶮喆") == "欧**喆"
    assert privacy.mask_name("芦湾镇东港五金有限公司") == "芦******司"
    assert privacy.mask_surname("王秀英") == "王*"
    assert privacy.mask_id_number("320584199001011234") == "3205**********1234"


# --- one-time codes by SMS ------------------------------------------------------------------

def _send(app, phone: str, purpose: str = "wish.claim") -> None:
    with app.test_request_context("/", method="POST"):
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            codes.send_code(fund, phone, purpose)
            db.session.commit()


def _check(app, phone: str, typed: str, purpose: str = "wish.claim") -> str | None:
    """The proved number, or None when refused (rolled back, as attempt() would)."""
    with app.test_request_context("/", method="POST"):
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            try:
                proved = codes.check_code(fund, phone, purpose, typed)
            except Invalid:
                db.session.rollback()
                return None
            db.session.commit()
            return proved


def _code_from(fake_sms) -> str:
    [message] = received(fake_sms)
    assert message["template_id"] == "2000005"
    return message["params"][1]


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_code_reaches_the_phone_proves_it_once_and_is_never_shown_on_the_notices_page(
        sms_app, fake_sms, client, auth):
    _send(sms_app, "139 1234 5678")
    code = _code_from(fake_sms)
    assert _check(sms_app, "13912345678", "000000" if code != "000000" else "111111") is None
    assert _check(sms_app, "13912345678", code, purpose="volunteer.checkin") is None
    assert _check(sms_app, "13912345678", code) == "13912345678"
    assert _check(sms_app, "13912345678", code) is None  # spent
    with sms_app.app_context(), using(SYSTEM):
        stored = db.session.scalar(select(PhoneCode.code_hash))
        assert code not in stored
    auth.login(LOGINS["secretary"])
    page = client.get(f"/f/{FUND}/notices/")
    assert page.status_code == 200 and "验证码" in page.text and code not in page.text


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_a_second_code_within_a_minute_and_a_number_that_is_not_mobile_are_refused(
        sms_app, fake_sms):
    _send(sms_app, "13912345678")
    with pytest.raises(Invalid) as soon:
        _send(sms_app, "13912345678")
    with pytest.raises(Invalid) as landline:
        _send(sms_app, "0512-5888 1234")
    with sms_app.test_request_context(), force_locale("zh_Hans"):
        assert "一分钟" in str(soon.value.errors["phone"])
        assert "手机号" in str(landline.value.errors["phone"])
    assert len(received(fake_sms)) == 1


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_an_expired_code_is_refused(sms_app, fake_sms):
    _send(sms_app, "13912345678")
    code = _code_from(fake_sms)
    with sms_app.app_context(), using(SYSTEM):
        row = db.session.scalar(select(PhoneCode))
        row.expires_at = row.created_at
        db.session.commit()
    assert _check(sms_app, "13912345678", code) is None


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_two_uses_of_one_code_at_once_prove_the_number_once(sms_app, fake_sms):
    _send(sms_app, "13912345678")
    code = _code_from(fake_sms)
    start, results = threading.Barrier(2), []

    def use():
        start.wait()
        results.append(_check(sms_app, "13912345678", code))

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results, key=str) == sorted(["13912345678", None], key=str)
