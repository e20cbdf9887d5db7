"""Donation, batch, correction and filter forms."""

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Form, IdHiddenField, IdSelectField

from .models import OFFLINE_CHANNELS, Channel

DONOR_MESSAGE = _l("Choose a donor of this fund.")


class DonationForm(Form):
    # One key per form shown: sent twice (a double tap, a resend), it records one donation.
    submission_key = HiddenField(default=lambda: uuid.uuid4().hex)
    donor_name = StringField(_l("Donor (empty: anonymous)"), validators=[Length(max=200)])
    donor_id = IdHiddenField(invalid_value_message=DONOR_MESSAGE)
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=30)])
    channel = SelectField(_l("Channel"), choices=Channel.choices(OFFLINE_CHANNELS),
                          validate_choice=False)
    received_on = DateField(_l("Date received"), validators=[Optional()])
    reference = StringField(_l("Bank or transfer serial number"),
                            validators=[Optional(), Length(max=100)])
    designation_id = IdSelectField(_l("Purpose"))
    point_id = IdSelectField(_l("Donation point"))
    item_description = StringField(_l("What was given (in kind)"),
                                   validators=[Optional(), Length(max=200)])
    item_quantity = StringField(_l("Quantity (in kind)"), validators=[Optional(), Length(max=50)])
    valuation_basis = StringField(_l("How the value was set (in kind)"),
                                  validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=500)])


class BatchForm(Form):
    title = StringField(_l("Collection"), validators=[Length(max=200)])
    channel = SelectField(_l("Channel"), choices=Channel.choices(OFFLINE_CHANNELS),
                          validate_choice=False)
    point_id = IdSelectField(_l("Donation point"))
    received_on = DateField(_l("Date received"), validators=[Optional()])
    counted_total = StringField(_l("Counted total (yuan)"), validators=[Length(max=30)])


class RowForm(Form):
    donor_name = StringField(_l("Donor (empty: anonymous)"), validators=[Length(max=200)])
    donor_id = IdHiddenField(invalid_value_message=DONOR_MESSAGE)
    amount = StringField(_l("Amount (yuan)"), validators=[Length(max=30)])
    reference = StringField(_l("Serial number"), validators=[Optional(), Length(max=100)])
    designation_id = IdSelectField(_l("Purpose"))
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=500)])


class ReverseForm(Form):
    reason = StringField(_l("Why is this donation corrected?"),
                         validators=[DataRequired(), Length(max=500)])


class NamedForm(Form):
    """A designation (purpose) or a donation point: a name, and an address for points."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
