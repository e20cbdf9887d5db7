"""The public donation form and the treasurer's refund form."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app.donors.models import Anonymity
from app.forms import Form

PRESET_YUAN = ("50", "100", "200", "500")
OTHER = "other"


class DonateForm(Form):
    # Choices are checked by the service, which names the field in its message.
    amount = RadioField(_l("Amount"), validate_choice=False, default="100",
                        choices=[*(SelectChoice(y, f"¥{y}") for y in PRESET_YUAN),
                                 SelectChoice(OTHER, _l("Another amount"))])
    other_amount = StringField(_l("Another amount (yuan)"), validators=[Length(max=20)])
    designation = SelectField(_l("Give to"), coerce=int)
    name = StringField(_l("Your name"), validators=[Length(max=200)])
    phone = TelField(_l("Mobile number"), validators=[Length(max=30)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    anonymity = RadioField(_l("How we name you in public"), validate_choice=False,
                           default="show", choices=Anonymity.choices(words={
                               Anonymity.SHOW: _l("Show my name"),
                               Anonymity.CARING: _l("Only as “a caring person” (爱心人士)"),
                               Anonymity.ANONYMOUS: _l("Fully anonymous"),
                           }))
    message = TextAreaField(_l("A message to the fund (optional)"),
                            validators=[Length(max=500)])
    # Checked by the view against the gateways offered in this browser.
    method = RadioField(_l("Pay with"), validate_choice=False)
    point = HiddenField()  # the donation point whose poster the donor scanned
    wish = HiddenField()  # the 微心愿 whose claimer's link this is (app/wishes: link_gift)

    def __init__(self, designations, gateways=(), **kwargs):
        super().__init__(**kwargs)
        self.designation.choices = [SelectChoice(0, _l("The fund in general"))] + [
            SelectChoice(d.id, d.name) for d in designations]
        self.method.choices = [SelectChoice(gw.name, gw.label) for gw in gateways]

    @property
    def amount_text(self) -> str:
        """What the donor chose: a preset amount, or what they typed beside "another"."""
        if self.amount.data == OTHER:
            return self.other_amount.data or ""
        return self.amount.data or ""


class RefundForm(Form):
    amount = StringField(_l("Amount to refund (yuan)"), validators=[Length(max=20)])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
