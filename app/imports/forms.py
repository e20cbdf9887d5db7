"""The upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from app.donations.models import OFFLINE_CHANNELS, Channel
from app.forms import Form

from .reading import MAX_MB

ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(Form):
    file = FileField(_l("Bank statement or donation list (CSV or Excel .xlsx, at most "
                        "%(size)d MB)", size=MAX_MB),
                     validators=[FileRequired(_l("Choose the file to import."))],
                     render_kw={"accept": ACCEPT})
    channel = SelectField(_l("How the money came in, for rows that do not say"),
                          choices=Channel.choices(OFFLINE_CHANNELS),
                          default="bank")
    received_on = DateField(_l("Date received, for rows without a date"),
                            validators=[Optional()])
