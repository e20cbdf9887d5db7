"""Words for the governance codes (proposal states, categories, votes), in the current
language; templates call gov_label("status", code) and event_note(event)."""

from flask_babel import lazy_gettext as _l

from .models import (
    BallotAction,
    Category,
    EventNote,
    MotionKind,
    ObjectionStatus,
    ProposalStatus,
    RoundStatus,
    Threshold,
    VoteChoice,
)

# The button that moves a proposal to a state (the states' own words are ProposalStatus').
MOVE = {
    "submitted": _l("Submit"), "discussion": _l("Open the discussion"),
    "withdrawn": _l("Withdraw"), "notice": _l("Publish for public notice"),
    "in_progress": _l("Start the project"), "completed": _l("Mark completed"),
    "closed": _l("Close"),
}
_TABLES = {
    "status": ProposalStatus, "action": BallotAction, "category": Category,
    "choice": VoteChoice, "kind": MotionKind, "threshold": Threshold,
    "objection": ObjectionStatus, "round": RoundStatus,
}


def gov_label(table: str, code) -> str:
    if table == "move":
        return str(MOVE.get(code, code or ""))
    return _TABLES[table].label_of(code)


def event_note(event) -> str:
    """A history note in words: (motion, 12) -> 第 12 号表决; none -> ""."""
    if event.note_code is None:
        return ""
    return str(EventNote(event.note_code).label) % {"id": event.note_ref}
