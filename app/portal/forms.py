"""Donor portal forms: ask for a sign-in link, or sign in with a receipt's code."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.forms import Form


class LinkForm(Form):
    email = StringField(_l("Email address"), validators=[DataRequired(), Length(max=254)])


class CodeForm(Form):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20)])
    code = StringField(_l("Verification code on the receipt"),
                       validators=[DataRequired(), Length(max=20)],
                       description=_l("8 letters and digits, printed at the foot of the "
                                      "receipt, such as ABCD-EF23."))


class ConfirmForm(Form):
    """A button and its CSRF token: opening a link, signing out."""
