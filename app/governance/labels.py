"""Words for the governance codes (proposal states, categories, votes), in the current
language; templates call gov_label("status", code)."""

import re

from flask_babel import lazy_gettext as _l

from .forms import CATEGORY_CHOICES, CHOICE_CHOICES, KIND_CHOICES, THRESHOLD_CHOICES

STATUS = {
    "draft": _l("Draft"), "submitted": _l("Submitted"), "discussion": _l("In discussion"),
    "voting": _l("Voting"), "approved": _l("Approved"), "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"), "notice": _l("On public notice"), "final": _l("Final"),
    "in_progress": _l("In progress"), "completed": _l("Completed"),
    "accepted": _l("Accepted (验收)"), "closed": _l("Closed"),
}
MOVE = {
    "submitted": _l("Submit"), "discussion": _l("Open the discussion"),
    "withdrawn": _l("Withdraw"), "notice": _l("Publish for public notice"),
    "in_progress": _l("Start the project"), "completed": _l("Mark completed"),
    "closed": _l("Close"),
}
ACTION = {"cast": _l("voted"), "change": _l("changed the vote"),
          "offline": _l("recorded at a meeting"), "confirm": _l("confirmed"),
          "recuse": _l("recused; ballot withdrawn")}
_TABLES = {
    "status": STATUS, "move": MOVE, "action": ACTION,
    "category": {c.value: c.label for c in CATEGORY_CHOICES},
    "choice": {c.value: c.label for c in CHOICE_CHOICES},
    "kind": {c.value: c.label for c in KIND_CHOICES},
    "threshold": {c.value: c.label for c in THRESHOLD_CHOICES},
}


def gov_label(table: str, code) -> str:
    return _TABLES[table].get(code, code or "")


# The notes the system writes on a proposal's history ("motion #12"), stored in English as
# codes and put into words in the reader's language when shown.
_NOTES = [
    (re.compile(r"motion #(\d+)"), _l("vote no. %(id)s")),
    (re.compile(r"round #(\d+)"), _l("project round no. %(id)s")),
    (re.compile(r"payout #(\d+)"), _l("payout no. %(id)s")),
    (re.compile(r"objection #(\d+) upheld"), _l("objection no. %(id)s upheld")),
    (re.compile(r"notice period over"), _l("the public notice period is over")),
    (re.compile(r"progress reported"), _l("progress reported")),
]


def event_note(note: str | None) -> str:
    """A history note in words: "motion #12" -> 第 12 号表决; any other note as written."""
    for pattern, words in _NOTES:
        if match := pattern.fullmatch(note or ""):
            return str(words) % {"id": match.group(1)} if match.groups() else str(words)
    return note or ""
