"""Forms of committees, proposals, votes, objections and rounds."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.auth.roles import COMMITTEE_ROLES, Role
from app.forms import Form, IdSelectField, IntegerField
from app.validation import int_or_none

from .models import (
    Category,
    FileKind,
    MeetingKind,
    MotionKind,
    Quorum,
    Threshold,
    VoteChoice,
)


class ProposalForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=100)])
    category = SelectField(_l("Category"), choices=Category.choices(), validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    beneficiaries = StringField(_l("Who benefits"), validators=[Optional(), Length(max=500)])
    requested = StringField(_l("Amount requested (yuan)"), validators=[Length(max=30)])
    budget = TextAreaField(_l("Budget lines (one per line: item, then amount in yuan)"),
                           validators=[Optional(), Length(max=3000)])
    photo = FileField(_l("Photo or quote (JPEG, PNG or PDF, at most 5 MB)"))


class VillagerProposalForm(ProposalForm):
    proposer_name = StringField(_l("Your name"), validators=[Length(max=100)])
    proposer_phone = StringField(_l("Your mobile number"), validators=[Length(max=20)])


class UploadForm(Form):
    kind = SelectField(_l("What is it"), choices=FileKind.choices([FileKind.PHOTO, FileKind.QUOTE]),
                       validate_choice=False)
    file = FileField(_l("File (JPEG, PNG or PDF, at most 5 MB)"))


class CommentForm(Form):
    body = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class OpenMotionForm(Form):
    # Enrolments are put to the vote from the aid programme's page, with the people listed.
    kind = SelectField(_l("The vote is about"), choices=MotionKind.choices(
        [MotionKind.PROPOSAL, MotionKind.BUDGET_CHANGE, MotionKind.ACCEPTANCE]),
        validate_choice=False)
    amount = StringField(_l("New budget (yuan, budget changes only)"),
                         validators=[Optional(), Length(max=30)])
    hours = IntegerField(_l("Voting period (hours; empty: the committee's default)"),
                         validators=[Optional()])


class MeetingForm(Form):
    """How the vote was held, as the resolution states it (app/governance/meetings.py)."""

    kind = SelectField(_l("Held as"), choices=MeetingKind.choices(), validate_choice=False)
    at = DateTimeLocalField(_l("Meeting time (Beijing time; meetings only)"),
                            validators=[Optional()])
    place = StringField(_l("Place (meetings only)"), validators=[Optional(), Length(max=200)])
    host_id = IdSelectField(_l("Chaired by (主持人)"))
    recorder_id = IdSelectField(_l("Record kept by (记录人)"))


class VoteForm(Form):
    choice = RadioField(_l("Your vote"), choices=VoteChoice.choices(), validate_choice=False)


class RecuseForm(Form):
    reason = StringField(_l("Your personal interest"), validators=[Length(max=500)])


class OfflineBallotForm(Form):
    member_id = IdSelectField(_l("Member"))
    choice = SelectField(_l("Their vote"), choices=VoteChoice.choices(), validate_choice=False)
    evidence = FileField(_l("Photo of the minutes (JPEG, PNG or PDF)"))


class RulesForm(Form):
    quorum = SelectField(_l("Quorum: how many must vote"), choices=Quorum.choices(),
                         validate_choice=False)
    threshold = SelectField(_l("A motion passes with"), choices=Threshold.choices(),
                            validate_choice=False)
    two_thirds_above = StringField(_l("Two thirds needed above this amount (yuan; empty: "
                                      "never)"), validators=[Optional(), Length(max=30)])
    casting_vote = BooleanField(_l("The chair's vote decides a tie"))
    live_results = BooleanField(_l("Show the counts while the vote is open"))
    period_hours = IntegerField(_l("Default voting period (hours)"), validators=[Optional()])
    notice_days = IntegerField(_l("Public notice period (days)"), validators=[Optional()])


class AppointForm(Form):
    login = StringField(_l("Mobile number or email"), validators=[Length(max=254)])
    name = StringField(_l("Name (only for a new account)"),
                       validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=Role.choices(COMMITTEE_ROLES), validate_choice=False)
    start = DateField(_l("Term starts"), validators=[Optional()])
    end = DateField(_l("Term ends (optional)"), validators=[Optional()])
    replaces = IdSelectField(_l("Replaces (their term ends yesterday)"))


class ObjectionForm(Form):
    name = StringField(_l("Your name"), validators=[Length(max=100)])
    phone = StringField(_l("Your mobile number"), validators=[Length(max=20)])
    body = TextAreaField(_l("Your objection"), validators=[Length(max=2000)])


class RoundForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=100)])
    budget = StringField(_l("Budget cap (yuan)"), validators=[Length(max=30)])
    # int_or_none: a value that cannot be an id becomes None, which the service refuses.
    proposal_ids = SelectMultipleField(_l("Proposals in the round"), coerce=int_or_none,
                                       validate_choice=False)


class ApproveForm(Form):
    proposal_ids = SelectMultipleField(_l("Proposals you approve"), coerce=int_or_none,
                                       validate_choice=False)
