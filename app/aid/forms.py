"""Forms of 关爱发放."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.forms import Form, IdSelectField

from .models import AidKind, Collector, Frequency, ReviewDecision
from .services import CATEGORIES


class ProgrammeForm(Form):
    title = StringField(_l("Name of the programme"), validators=[Length(max=100)])
    category = SelectField(_l("Category"), validate_choice=False, choices=[])
    kind = SelectField(_l("What is given"), choices=AidKind.choices(), validate_choice=False)
    value = StringField(_l("Amount or value per person per period (yuan)"),
                        validators=[Length(max=30)])
    goods = StringField(_l("Goods (what is given)"), validators=[Optional(), Length(max=200)])
    frequency = SelectField(_l("How often"), choices=Frequency.choices(), validate_choice=False)
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day (empty: until the committee ends it)"),
                        validators=[Optional()])
    rule = TextAreaField(_l("Who is eligible (the rule in words)"),
                         validators=[Length(max=2000)])
    budget = StringField(_l("Budget (yuan)"), validators=[Length(max=30)])
    designation_id = IdSelectField(_l("Spends from (purpose)"))
    public_names = BooleanField(_l("The board may show masked names (王*英) of people who "
                                   "consent"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.governance.models import Category

        self.category.choices = Category.choices(CATEGORIES)


class PersonForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=40)])
    id_number = StringField(_l("Resident ID number"), validators=[Length(max=30)])
    village_group = StringField(_l("Village group"), validators=[Length(max=40)])
    household = StringField(_l("Household (address, who lives there)"),
                            validators=[Optional(), Length(max=200)])
    situation = TextAreaField(_l("Situation"), validators=[Length(max=1000)])
    proxy_name = StringField(_l("Guardian or proxy who may collect"),
                             validators=[Optional(), Length(max=40)])
    proxy_phone = StringField(_l("Proxy's mobile number"), validators=[Optional(), Length(max=20)])
    name_consent = BooleanField(_l("Consents to a masked name (王*英) on the notice board"))
    starts_on = DateField(_l("Enrolled from"), validators=[Optional()])
    ends_on = DateField(_l("Enrolled until (at most a year; empty: a year)"),
                        validators=[Optional()])


class PeriodForm(Form):
    period = StringField(_l("Period"), validators=[Length(max=7)])


class SignatureForm(Form):
    collector = RadioField(_l("Who collects"), choices=Collector.choices(),
                           validate_choice=False, default="self")
    signature = HiddenField(_l("Signature"))


class PaperForm(Form):
    photo = FileField(_l("Photo of the signed paper roster (JPEG or PNG)"))
    entitlements = SelectMultipleField(_l("Who signed on paper"), choices=[],
                                       validate_choice=False)


class ShopForm(Form):
    name = StringField(_l("Shop"), validators=[Length(max=100)])
    payee_account = StringField(_l("Shop's bank account"), validators=[Optional(),
                                                                      Length(max=60)])


class RedeemForm(Form):
    voucher = StringField(_l("Voucher number or scanned code"), validators=[Length(max=200)])


class SettleForm(Form):
    shop_id = IdSelectField(_l("Shop"))


class ChangeForm(Form):
    """New terms of a running programme, for the committee's vote."""

    value = StringField(_l("Amount or value per person per period (yuan)"),
                        validators=[Length(max=30)])
    frequency = SelectField(_l("How often"), choices=Frequency.choices(), validate_choice=False)
    ends_on = DateField(_l("Last day (empty: until the committee ends it)"),
                        validators=[Optional()])
    rule = TextAreaField(_l("Who is eligible (the rule in words)"),
                         validators=[Length(max=2000)])
    budget = StringField(_l("Budget (yuan)"), validators=[Length(max=30)])
    reason = TextAreaField(_l("Why it should change"), validators=[Length(max=2000)])


class ReviewForm(Form):
    decision = RadioField(_l("Decision"), choices=ReviewDecision.choices(),
                          validate_choice=False)
    reason = TextAreaField(_l("What the review found (the reason)"),
                           validators=[Length(max=2000)])
