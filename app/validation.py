"""Bad input found by a service, named by field, so the form can show it beside the field."""

import re


class Invalid(ValueError):
    """shown: the messages already stand beside their fields (a form refused its own input)."""

    def __init__(self, errors: dict[str, str], shown: bool = False):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.shown = shown

    def text(self) -> str:
        """The messages as one line, where no field stands beside them (a flash, a note)."""
        return " ".join(str(m) for m in self.errors.values())


def attach(form, error: Invalid) -> None:
    """Put a service's messages on the form's fields (or on the form when no field matches)."""
    if error.shown:
        return
    for name, message in error.errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


REFUSED = object()  # what attempt() returns when the service said no


def attempt(form, action):
    """Check a submitted form, then run the service call. When the form or the service refuses
    (Invalid), nothing written is kept and the messages stand beside the fields; the result is
    then REFUSED."""
    from app.extensions import db

    try:
        form.check()
        return action()
    except Invalid as error:
        db.session.rollback()
        attach(form, error)
        return REFUSED


def attempt_flash(action):
    """attempt() for a button that has no fields: a refusal keeps nothing, and its message is
    flashed above the page."""
    from flask import flash

    from app.extensions import db

    try:
        return action()
    except Invalid as error:
        db.session.rollback()
        flash(error.text(), "error")
        return REFUSED


MAX_ID = 2**31 - 1  # an INTEGER column: a bigger number is no row, not a crash
# ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and int() takes "٣".
_NUMBER = re.compile(r"[0-9]{1,10}")


def int_or_none(value, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """The one reader of an id, a page, a year or a count typed into a URL or a form: plain
    ASCII digits from lo to hi, or None."""
    text = str(value) if value is not None else ""
    if _NUMBER.fullmatch(text) is None:
        return None
    number = int(text)
    return number if lo <= number <= hi else None


# Control characters have no place in what a person types: a NUL fails on PostgreSQL, and a
# bidi override makes "gnp.exe" read as "exe.png". Tabs and line breaks are text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def control_characters(value) -> bool:
    return isinstance(value, str) and CONTROL.search(value) is not None
