"""Code sets (statuses, channels, kinds): each one StrEnum whose members carry their words, so
a column's CHECK constraint, a form's choices, the labels shown and a list's filter come from
one place and cannot drift apart."""

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy import CheckConstraint
from wtforms import SelectChoice


class Code(StrEnum):
    """Members are written ``PAID = "paid", _l("Paid")``. A member equals its value as a string,
    so stored values, templates comparing ``p.status == 'paid'`` and JSON keep working."""

    label: str

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls, members: Iterable["Code"] | None = None) -> tuple[str, ...]:
        """The stored values, in the order written (a list's filter checks against these)."""
        return tuple(member.value for member in (cls if members is None else members))

    @classmethod
    def choices(cls, members: Iterable["Code"] | None = None,
                words: Mapping["Code", str] | None = None) -> list[SelectChoice]:
        """A form's choices: the members (all, or those given, in that order) with their label,
        or with the form's own wording of each (which must then cover every member offered)."""
        members = cls if members is None else members
        return [SelectChoice(m.value, m.label if words is None else words[m]) for m in members]

    @classmethod
    def check(cls, column: str, members: Iterable["Code"] | None = None) -> CheckConstraint:
        """CHECK (column IN ('a', 'b')) named after the column, in the very SQL the tuples wrote
        before, so the migrations already hold it. info names the set for the schema test."""
        values = cls.values(members)
        return CheckConstraint(f"{column} IN {values}", name=column,
                               info={"code": cls, "values": values})

    @classmethod
    def label_of(cls, code) -> str:
        """The words for a stored code, in the current language; an unknown code as written."""
        try:
            return str(cls(code).label)
        except ValueError:
            return code or ""
