"""Volunteering forms: the registry, activities, sign-up, corrections, the time bank, and a
volunteer's mobile number proved by an SMS code."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import Form, IdSelectField, IntegerField


class VolunteerForm(Form):
    name = StringField(_l("Name (as on the ID card)"), validators=[Length(max=100)])
    phone = StringField(_l("Mobile number"), validators=[Length(max=20)])
    id_number = StringField(_l("Resident ID number"), validators=[Length(max=30)])
    skills = StringField(_l("Skills (optional)"), validators=[Length(max=200)])
    guardian_name = StringField(_l("Guardian's name (under 18 only)"),
                                validators=[Length(max=100)])
    guardian_phone = StringField(_l("Guardian's mobile number (under 18 only)"),
                                 validators=[Length(max=20)])
    show_name = BooleanField(_l("Agrees to be named on the public notice board"))


class ActivityForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[Optional()])
    needed = IntegerField(_l("Volunteers needed"), validators=[Optional()], lo=1, hi=1000)
    min_hours = IntegerField(_l("Hours already served, at least (optional)"),
                             validators=[Optional()], lo=0, hi=10000)
    minors_allowed = BooleanField(_l("A group activity: volunteers under 18 may join"))
    leader_id = IdSelectField(_l("Leader on site"))
    leader_volunteer_id = IdSelectField(_l("Or a volunteer leads on site"))
    # The place on the map (optional): typed, or filled by "use my current location".
    latitude = StringField(_l("Latitude of the place (optional)"), validators=[Length(max=20)])
    longitude = StringField(_l("Longitude of the place (optional)"),
                            validators=[Length(max=20)])
    radius_m = IntegerField(_l("Check-in radius (metres)"), validators=[Optional()], lo=50,
                            hi=5000)


class SignupForm(Form):
    volunteer_id = IdSelectField(_l("Volunteer"))


class CorrectionForm(Form):
    entry_id = IdSelectField(_l("Entry to correct"))
    hours = StringField(_l("Hours to add (negative to take away)"), validators=[Length(max=10)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=300)])


class TransferForm(Form):
    source_id = IdSelectField(_l("From"))
    target_id = IdSelectField(_l("To"))
    hours = StringField(_l("Hours"), validators=[Length(max=10)])
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])


class ResidentForm(Form):
    holder = StringField(_l("Resident's name"), validators=[Length(max=100)])
    max_hours = IntegerField(_l("Most hours the account may hold (optional)"),
                             validators=[Optional()], lo=1, hi=10000)


class PhoneForm(Form):
    phone = StringField(_l("Your mobile number"), validators=[Length(max=20)])


class CodeForm(Form):
    phone = HiddenField()
    code = StringField(_l("Code from the SMS"), validators=[Length(max=10)])
