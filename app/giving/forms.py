"""The collection code upload, a donor's report of a gift paid by code, the bill import and a
match made by hand."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app.forms import Form, IdSelectField

from .models import CodeKind

IMAGE_ACCEPT = "image/jpeg,image/png"
BILL_ACCEPT = ".csv,text/csv"


class CodeForm(Form):
    kind = SelectField(_l("Which app"), choices=CodeKind.choices())
    payee = StringField(_l("The name it shows when scanned"), validators=[Length(max=100)])
    image = FileField(_l("Photo of the code (JPEG or PNG, at most 5 MB)"),
                      render_kw={"accept": IMAGE_ACCEPT})


class ReportForm(Form):
    # Checked by the service against the fund's codes, which names the field in its message.
    kind = RadioField(_l("The code you paid"), validate_choice=False)
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=20)])
    name = StringField(_l("Your name, as written in the note"), validators=[Length(max=100)])
    # The browser's date and time pickers (no maxlength: not allowed on them); the service
    # reads the text.
    paid_on = StringField(_l("Day paid"), render_kw={"type": "date"})
    paid_time = StringField(_l("Time paid (about)"), render_kw={"type": "time"})
    phone_last4 = StringField(_l("Last four digits of your mobile number (optional)"),
                              validators=[Length(max=4)])
    designation = IdSelectField(_l("Give to"))
    message = TextAreaField(_l("A message to the fund (optional)"),
                            validators=[Length(max=500)])
    wish = HiddenField()  # the 微心愿 whose claimer's link this is (app/wishes: link_gift)

    def __init__(self, codes, designations, **kwargs):
        super().__init__(**kwargs)
        self.kind.choices = [SelectChoice(c.kind, CodeKind.label_of(c.kind)) for c in codes]
        self.designation.choices = [SelectChoice("", _l("The fund in general"))] + [
            SelectChoice(str(d.id), d.name) for d in designations]


class BillForm(Form):
    kind = SelectField(_l("Whose bill"), choices=CodeKind.choices())
    file = FileField(_l("The bill exported from the app (CSV)"),
                     render_kw={"accept": BILL_ACCEPT})


class MatchForm(Form):
    donation = IdSelectField(_l("The reported gift it pays"))
