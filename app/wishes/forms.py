"""The forms of 微心愿: collecting, screening, claiming, ending a claim, fulfilling, settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.donations.models import Channel
from app.donors.models import Anonymity
from app.forms import Form, IntegerField

from .models import Confirmer, FulfilBy


class WishForm(Form):
    title = StringField(_l("What is wished"), validators=[Length(max=100)],
                        description=_l("For example 一个新书包, 一台血糖仪, 冬天的棉衣"))
    details = TextAreaField(_l("Details for the donor (size, colour, why)"),
                            validators=[Optional(), Length(max=500)])
    value = StringField(_l("Estimated value (yuan)"), validators=[Length(max=30)])
    fulfil_by = SelectField(_l("How it may be fulfilled"), choices=FulfilBy.choices(),
                            default="either")
    village_group = StringField(_l("Village group (shown)"), validators=[Length(max=40)])
    recipient_name = StringField(_l("Who it is for: full name (kept private)"),
                                 validators=[Length(max=50)])
    recipient_age = IntegerField(_l("Age (shown)"), validators=[Optional()], lo=0, hi=120)
    situation = TextAreaField(_l("Situation (kept private)"),
                              validators=[Optional(), Length(max=1000)])
    photo = FileField(_l("Photo of the thing (optional, no faces)"))


class ScreenForm(Form):
    reason = StringField(_l("Reason (needed to return it)"),
                         validators=[Optional(), Length(max=300)])


class ClaimForm(Form):
    name = StringField(_l("Your name"), validators=[Length(max=50)])
    phone = StringField(_l("Mobile number"), validators=[Length(max=20)])
    code = StringField(_l("Code from the SMS"), validators=[Optional(), Length(max=10)])
    shown_as = RadioField(_l("On the wall, name me as"), default="show",
                          choices=Anonymity.choices(words={
                              Anonymity.SHOW: _l("My name"),
                              Anonymity.CARING: _l("爱心人士"),
                              Anonymity.ANONYMOUS: _l("Nobody: leave it blank")}))


class ReasonForm(Form):
    reason = StringField(_l("Why is the claim revoked?"), validators=[Length(max=300)])


class HandoverForm(Form):
    handed_over_on = DateField(_l("Handed over on"), validators=[Optional()])
    confirmed_by = SelectField(_l("Confirmed by"), choices=Confirmer.choices())
    value = StringField(_l("Value of what was given (yuan)"), validators=[Length(max=30)])
    note = StringField(_l("Note (what the recipient said, who was there)"),
                       validators=[Optional(), Length(max=300)])
    photo = FileField(_l("Photo of the hand-over (optional, no faces)"))


class MoneyForm(Form):
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=30)])
    channel = SelectField(_l("How the money came in"), choices=Channel.choices(
        (Channel.WECHAT, Channel.ALIPAY, Channel.BANK, Channel.CASH)))
    reference = StringField(_l("Transfer serial number"), validators=[Optional(),
                                                                      Length(max=100)])
    received_on = DateField(_l("Received on"), validators=[Optional()])


class BuyForm(Form):
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=30)])
    payee = StringField(_l("Payee (the shop)"), validators=[Length(max=100)])
    payee_account = StringField(_l("Payee's bank account"), validators=[Optional(),
                                                                         Length(max=60)])


class SettingsForm(Form):
    cap = StringField(_l("Highest value of one wish (yuan)"), validators=[Length(max=30)])
    claim_days = IntegerField(_l("Days a claim lasts"), validators=[Optional()], lo=0, hi=999)
