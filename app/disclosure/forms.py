"""The report form: which period, the donor threshold, and a correction's note."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import Form, IntegerField

from .models import ReportKind

QUARTER_CHOICES = [SelectChoice("", "—")] + [SelectChoice(str(q), f"Q{q}") for q in range(1, 5)]


class ReportForm(Form):
    kind = SelectField(_l("Report"), validate_choice=False,
                       choices=ReportKind.choices([ReportKind.ANNUAL, ReportKind.QUARTERLY]))
    year = IntegerField(_l("Year"), validators=[Optional()])
    quarter = SelectField(_l("Quarter"), choices=QUARTER_CHOICES, validate_choice=False)
    threshold = StringField(_l("List donors from (yuan)"), validators=[Optional(),
                                                                       Length(max=30)])
    correction_note = TextAreaField(_l("Correction note (更正说明), for a new version"),
                                    validators=[Optional(), Length(max=1000)])
