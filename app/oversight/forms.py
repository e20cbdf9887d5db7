"""The new-fund wizard, a fund's status change, anomaly reviews (one, or several with one
note) and the township's large-cash threshold."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as RowForm
from wtforms.validators import Length, Optional

from app.auth.roles import FUND_ROLES, Role
from app.forms import Form
from app.funds.models import FundKind

SEATS = 7  # rows shown for the first people; more are appointed later on the staff page

# Every role a fund needs, the township appoints: the committee, treasurers, social workers.
ROLE_CHOICES = Role.choices(FUND_ROLES)


class SeatForm(RowForm):  # one row of the FieldList, inside the wizard's form
    login = StringField(_l("Mobile number"), validators=[Optional(), Length(max=254)])
    name = StringField(_l("Name (only for a new account)"), validators=[Optional(),
                                                                        Length(max=100)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class FundForm(Form):
    name = StringField(_l("Name of the fund"), validators=[Length(max=100)])
    slug = StringField(_l("Web address (empty: from the name's pinyin)"),
                       validators=[Optional(), Length(max=80)])
    village = StringField(_l("Village or community"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=FundKind.choices(), validate_choice=False)
    host_charity = StringField(_l("Host charity"), validators=[Length(max=200)])
    receipt_prefix = StringField(_l("Receipt number prefix"), validators=[Length(max=12)])
    committee = FieldList(FormField(SeatForm), min_entries=SEATS, max_entries=SEATS)


class StaffForm(Form):
    """An appointment on the fund's staff page."""

    login = StringField(_l("Mobile number or email"), validators=[Length(max=254)])
    name = StringField(_l("Name (only for a new account)"),
                       validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)
    start = DateField(_l("Term starts"), validators=[Optional()])
    end = DateField(_l("Term ends (optional)"), validators=[Optional()])


class StatusForm(Form):
    action = HiddenField()


class ReviewForm(Form):
    fund_id = HiddenField()
    kind = HiddenField()
    subject = HiddenField()
    note = TextAreaField(_l("What did you find?"), validators=[Length(max=1000)])


class BulkReviewForm(Form):
    # The ticked anomalies ("fund id:kind:subject", anomalies.pick_of); the service checks
    # each against what is listed now, so no choices here.
    picks = SelectMultipleField(_l("Anomalies"), choices=[], validate_choice=False)
    note = TextAreaField(_l("What did you find?"), validators=[Length(max=1000)])


class ThresholdForm(Form):
    large_cash = StringField(_l("A cash gift is listed here from (yuan)"))
