"""Receipt forms: issue (the name printed), void, reissue, the official receipt, settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import Form, IdSelectField, IntegerField

from .models import IssueMode


class IssueForm(Form):
    name = StringField(_l("Name on the receipt"), validators=[Length(max=200)],
                       description=_l("Empty: the donor's name. A firm gives its full name."))


class VoidForm(Form):
    reason = TextAreaField(_l("Why is it voided?"), validators=[Length(max=300)])


class ReissueForm(Form):
    name = StringField(_l("Name on the new receipt"), validators=[Length(max=200)])


class OfficialForm(Form):
    official_code = StringField(_l("Official receipt code (票据代码)"), validators=[Length(max=40)])
    official_number = StringField(_l("Official receipt number (票据号码)"),
                                  validators=[Length(max=40)])


class SettingsForm(Form):
    issue_mode = SelectField(_l("Issuing"),
                             choices=IssueMode.choices([IssueMode.MANUAL, IssueMode.AUTO]))
    thanks = StringField(_l("Thank-you line"), validators=[Length(max=200)],
                         description=_l("Empty: the standard thank-you line."))
    seal = FileField(_l("Seal image (PNG, at most 1 MB)"))
    checker_id = IdSelectField(_l("Checked by (复核人)"), choices=[],
                               description=_l("Empty: the chair."))
    separate_signers = BooleanField(_l("The issuer (开票人) and the checker (复核人) are two "
                                       "people"))


class AnnualForm(Form):
    year = IntegerField(_l("Year"), validators=[Optional()])


class PrintForm(Form):
    batch_id = IdSelectField(_l("Batch"), choices=[])
    start = DateField(_l("Issued from"), validators=[Optional()])
    end = DateField(_l("Issued until"), validators=[Optional()])
