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

# The button that moves a proposal to a state: a verb, where ProposalStatus' own words name the
# state ("Submit" moves to "Submitted"). tests/test_code_sets.py holds it to proposals.MANUAL.
MOVE = {
    ProposalStatus.SUBMITTED: _l("Submit"),
    ProposalStatus.DISCUSSION: _l("Open the discussion"),
    ProposalStatus.WITHDRAWN: _l("Withdraw"),
    ProposalStatus.NOTICE: _l("Publish for public notice"),
    ProposalStatus.IN_PROGRESS: _l("Start the project"),
    ProposalStatus.COMPLETED: _l("Mark completed"),
    ProposalStatus.CLOSED: _l("Close"),
}
# The moves drawn as the page's main button: the way a proposal normally goes on.
FORWARD = (ProposalStatus.SUBMITTED, ProposalStatus.DISCUSSION, ProposalStatus.NOTICE)
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
