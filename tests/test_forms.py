"""The form base (app.forms) and the views' one way to run a service for a form
(app.validation.attempt): a form's own refusal stops the service, a service's refusal keeps
nothing, and every message stands beside its field."""

import pytest
from flask import get_flashed_messages
from sqlalchemy import select
from wtforms import FieldList, FormField, StringField
from wtforms import Form as RowForm
from wtforms.validators import Length, Optional

from app.extensions import db
from app.forms import CONTROL_MESSAGE, Form
from app.funds.models import Fund
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants import SYSTEM, using


class Row(RowForm):
    name = StringField(validators=[Optional(), Length(max=10)])


class Wizard(Form):
    title = StringField(validators=[Optional(), Length(max=10)])
    rows = FieldList(FormField(Row), min_entries=2)


@pytest.mark.parametrize("text", ["a\x00b", "\x0b", "\u202egnp.exe", "x\x7f"])
def test_a_control_character_is_refused_beside_the_field(app, text):
    with app.test_request_context(method="POST", data={"title": text}):
        form = Wizard()
        with pytest.raises(Invalid) as refused:
            form.check()
        assert form.title.errors == [str(CONTROL_MESSAGE)]
    assert refused.value.shown and list(refused.value.errors) == ["title"]


def test_a_row_of_a_field_list_is_checked_too(app):
    rows = {"rows-0-name": "张三", "rows-1-name": "王\x00五"}
    with app.test_request_context(method="POST", data=rows):
        form = Wizard()
        with pytest.raises(Invalid) as refused:
            form.check()
    assert form.rows[1].form.name.errors and not form.rows[0].form.name.errors
    assert list(refused.value.errors) == ["rows"]


def test_line_breaks_and_tabs_pass(app):
    with app.test_request_context(method="POST", data={"title": "一\r\n二\t三"}):
        Wizard().check()


def test_a_refused_form_never_reaches_the_service(app):
    called = []
    with app.test_request_context(method="POST", data={"title": "x" * 11}):
        form = Wizard()
        assert attempt(form, lambda: called.append(1)) is REFUSED
    assert called == [] and form.title.errors


def test_a_refused_service_keeps_nothing_and_its_message_stands_beside_the_field(app):
    with app.test_request_context(method="POST", data={"title": "东港"}), using(SYSTEM):
        fund = db.session.scalars(select(Fund).order_by(Fund.id)).first()
        name = fund.name
        form = Wizard()

        def rename():
            fund.name = "改了名"
            db.session.flush()
            raise Invalid({"title": "这个名称已被使用。", "elsewhere": "整张表有问题。"})

        assert attempt(form, rename) is REFUSED
        assert db.session.get(Fund, fund.id).name == name
        assert form.title.errors == ["这个名称已被使用。"]
        assert form.form_errors == ["整张表有问题。"]
        db.session.remove()


def test_what_the_service_returns_comes_back(app):
    with app.test_request_context(method="POST", data={"title": "好"}):
        assert attempt(Wizard(), lambda: 42) == 42


def test_a_button_without_fields_has_its_refusal_flashed(app):
    with app.test_request_context(method="POST"):
        def refuse():
            raise Invalid({"close": "投票还没有结束。"})

        assert attempt_flash(refuse) is REFUSED
        assert get_flashed_messages(with_categories=True) == [("error", "投票还没有结束。")]
        assert attempt_flash(lambda: "ok") == "ok"
