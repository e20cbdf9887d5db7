"""Payout, signature, payment, reversal, progress and rules forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    MultipleFileField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form, IdSelectField, IntegerField


class PayoutForm(Form):
    budget_line_id = IdSelectField(_l("Budget line"))
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=30)])
    payee = StringField(_l("Payee"), validators=[Length(max=100)])
    payee_account = StringField(_l("Payee's bank account"), validators=[Optional(),
                                                                         Length(max=60)])
    purpose = TextAreaField(_l("What the money pays for"), validators=[Length(max=500)])
    files = MultipleFileField(_l("Evidence: invoices, photos, PDF (up to 5 MB each)"))


class SignForm(Form):
    note = StringField(_l("Note (a refusal needs one)"), validators=[Optional(), Length(max=500)])


class PaidForm(Form):
    bank_reference = StringField(_l("Bank reference of the payment"),
                                 validators=[Length(max=100)])
    paid_on = DateField(_l("Paid on"), validators=[Optional()])


class ReverseForm(Form):
    reason = StringField(_l("Why is this payout reversed?"), validators=[Length(max=500)])


class UpdateForm(Form):
    body = TextAreaField(_l("What happened"), validators=[Length(max=5000)])
    percent = IntegerField(_l("Done (%)"), validators=[Optional(), NumberRange(0, 100)])
    files = MultipleFileField(_l("Photos or PDF (up to 5 MB each)"))


class AcceptanceForm(Form):
    body = TextAreaField(_l("Acceptance note (验收意见)"), validators=[Length(max=5000)])


class RulesForm(Form):
    roles = SelectMultipleField(_l("Who signs payouts"), widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput(), validate_choice=False)
    needed = IntegerField(_l("Signatures needed"), validators=[Optional()])
