"""The base of every form: what no field may hold, refused in one place with a message beside
the field."""

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation

from app.validation import MAX_ID, Invalid, control_characters, int_or_none

CONTROL_MESSAGE = _l("Remove the invisible control characters from this field.")
CHOICE_MESSAGE = _l("Choose one of the list.")
NUMBER_MESSAGE = _l("Enter a whole number in digits 0–9.")


def optional_id(value) -> int | None:
    """The coerce= of a field naming a row by its id: empty is none chosen, and anything that
    is not an id is refused, never read as "none" (a gift would be filed as anonymous)."""
    if value is None or value == "":
        return None
    number = int_or_none(value)
    if number is None:
        raise ValueError(CHOICE_MESSAGE)
    return number


class IdSelectField(wtforms.SelectField):
    """A choice among the fund's rows (a purpose, a donation point, a budget line): the service
    checks the row is the fund's; here a value that is no id at all is refused beside it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", CHOICE_MESSAGE)
        super().__init__(label, validators, coerce=optional_id, validate_choice=False, **kwargs)


class IdHiddenField(wtforms.HiddenField):
    """A row picked by script (a donor from the suggestions), with the same rule as above."""

    def process_formdata(self, valuelist):
        try:
            self.data = optional_id(valuelist[0]) if valuelist else None
        except ValueError as error:
            raise ValueError(self.invalid_value_message or CHOICE_MESSAGE) from error


class IntegerField(wtforms.IntegerField):
    """A count or a year a person types: ASCII digits from lo to hi. WTForms' own reads with
    int(), which takes "٣" and numbers no column holds."""

    def __init__(self, label=None, validators=None, lo: int = 0, hi: int = MAX_ID, **kwargs):
        kwargs.setdefault("invalid_value_message", NUMBER_MESSAGE)
        super().__init__(label, validators, **kwargs)
        self.lo, self.hi = lo, hi

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = int_or_none(valuelist[0].strip(), self.lo, self.hi)
        if self.data is None:  # Optional() clears this for an empty field
            raise ValueError(self.invalid_value_message)


def _leaves(field):
    """The inputs of a field: itself, or those in the rows of a FieldList or a FormField."""
    inner = getattr(field, "entries", None) or getattr(field, "form", None)
    if inner is None:
        yield field
        return
    for child in inner:
        yield from _leaves(child)


def _no_control_characters(form, field) -> None:
    if any(control_characters(value) for value in field.raw_data or ()):
        raise StopValidation(CONTROL_MESSAGE)


class Form(FlaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # First in every chain (Optional() would take "\x0b" for empty), in every row the form
        # was built with: a row added later by append_entry() would need it too.
        for field in self:
            for leaf in _leaves(field):
                leaf.validators = [_no_control_characters, *leaf.validators]

    def check(self) -> None:
        """validate(), raising Invalid when a field is refused, so that the view's one
        `except Invalid` keeps nothing; the messages already stand beside their fields."""
        if self.validate():
            return
        errors = {}
        for field in self:
            messages = [m for leaf in _leaves(field) for m in leaf.errors]
            if messages:
                errors[field.name] = str(messages[0])
        raise Invalid(errors or {"": str(next(iter(self.form_errors), ""))}, shown=True)
