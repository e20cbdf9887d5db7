"""Donor forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Form, IntegerField

from .models import Anonymity, DonorKind

KIND_CHOICES = DonorKind.choices(words={
    DonorKind.PERSON: _l("Person"),
    DonorKind.ORGANISATION: _l("Organisation (shop, firm)"),
})
ANONYMITY_CHOICES = Anonymity.choices(words={
    Anonymity.SHOW: _l("Show my name in public"),
    Anonymity.CARING: _l("Show me as 爱心人士 (the fund knows who I am)"),
    Anonymity.ANONYMOUS: _l("Fully anonymous in public"),
})
LOCALE_CHOICES = [SelectChoice("zh_Hans", "中文"), SelectChoice("en", "English")]


class DonorForm(Form):
    kind = SelectField(_l("Donor type"), choices=KIND_CHOICES, default="person")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    id_number = StringField(_l("ID or registration number"),
                            validators=[Optional(), Length(max=30)])
    anonymity = SelectField(_l("Name in public"), choices=ANONYMITY_CHOICES, default="show")
    locale = SelectField(_l("Language for receipts"), choices=LOCALE_CHOICES, default="zh_Hans")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=500)])
    create_anyway = BooleanField(_l("This is a different donor: create it anyway"))


class MergeForm(Form):
    other = IntegerField(_l("Donor number to merge into this one"), lo=1,
                         validators=[DataRequired()])
