"""The township's form for a new campaign: the campaign, each fund's goal, the match pledge."""

from datetime import UTC

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import Form as RowForm
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.clock import LOCAL
from app.forms import Form, IdSelectField
from app.money import AmountError, parse_amount
from app.validation import int_or_none

from .services import CampaignInput, PledgeInput

RATIOS = {"1:1": (1, 1), "2:1": (2, 1), "1:2": (1, 2)}  # gift : match is 1 : num/den


def amount(form, field) -> None:
    """An amount in yuan, kept in fen on the field (``field.fen``); empty is none."""
    field.fen = None
    if not (field.data or "").strip():
        return
    try:
        field.fen = parse_amount(field.data)
    except AmountError as error:
        raise ValidationError(error.args[0]) from error


class GoalForm(RowForm):  # one taking-part fund: which, and its goal
    fund_id = HiddenField()
    goal = StringField(_l("Goal (yuan; empty: not taking part)"), validators=[amount],
                       render_kw={"inputmode": "decimal"})


class CampaignForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    story = TextAreaField(_l("Story"), validators=[Optional(), Length(max=4000)])
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    host_charity = StringField(_l("Host charity receiving the money"),
                               validators=[DataRequired(), Length(max=200)])
    purpose = StringField(_l("Purpose each fund's campaign gifts are given to"),
                          validators=[DataRequired(), Length(max=100)])
    goals = FieldList(FormField(GoalForm), min_entries=0, max_entries=60)
    sponsor_fund_id = IdSelectField(_l("Matching from the fund"), validators=[Optional()])
    sponsor_name = StringField(_l("Sponsor (the township, or a firm)"),
                               validators=[Optional(), Length(max=120)])
    ratio = SelectField(_l("Match ratio (gift : match)"), choices=list(RATIOS))
    cap = StringField(_l("Total match cap (yuan; empty: no match)"), validators=[amount],
                      render_kw={"inputmode": "decimal"})
    per_gift = StringField(_l("At most per gift (yuan)"), validators=[amount],
                           render_kw={"inputmode": "decimal"})
    per_donor_day = StringField(_l("At most per donor per day (yuan)"), validators=[amount],
                                render_kw={"inputmode": "decimal"})
    match_starts_at = DateTimeLocalField(_l("Match starts"), validators=[Optional()])
    match_ends_at = DateTimeLocalField(_l("Match ends"), validators=[Optional()])
    offline_counts = BooleanField(_l("Offline gifts (cash, transfers) are matched too"))

    def fill_goals(self, funds) -> None:
        """One row per fund of the township, in the township's order (a GET's empty form)."""
        while len(self.goals):
            self.goals.pop_entry()
        for fund in funds:
            self.goals.append_entry({"fund_id": str(fund.id), "goal": ""})

    def validate_cap(self, field) -> None:
        if field.fen is None:
            return
        if self.sponsor_fund_id.data is None:
            raise ValidationError(_l("Choose the fund the match is paid from."))
        if self.match_starts_at.data is None or self.match_ends_at.data is None:
            raise ValidationError(_l("Give the match window's start and end."))

    def to_input(self) -> CampaignInput:
        goals = {}
        for row in self.goals:
            fund_id = int_or_none(row.form.fund_id.data)
            if fund_id is not None and row.form.goal.fen:
                goals[fund_id] = row.form.goal.fen
        pledge = None
        if self.cap.fen is not None:
            num, den = RATIOS[self.ratio.data]
            pledge = PledgeInput(
                sponsor_fund_id=self.sponsor_fund_id.data, sponsor_name=self.sponsor_name.data,
                ratio_num=num, ratio_den=den, cap_fen=self.cap.fen,
                per_gift_fen=self.per_gift.fen, per_donor_day_fen=self.per_donor_day.fen,
                starts_at=_utc(self.match_starts_at.data), ends_at=_utc(self.match_ends_at.data),
                offline_counts=self.offline_counts.data)
        return CampaignInput(
            title=self.title.data.strip(), story=(self.story.data or "").strip(),
            starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            host_charity=self.host_charity.data.strip(), purpose=self.purpose.data.strip(),
            goals=goals, pledge=pledge)


def _utc(moment):
    """A time typed on the page is Beijing time."""
    return moment.replace(tzinfo=LOCAL).astimezone(UTC)
