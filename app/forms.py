"""The base of every form: what no field may hold, refused in one place with a message beside
the field."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation

from app.validation import Invalid, control_characters

CONTROL_MESSAGE = _l("Remove the invisible control characters from this field.")


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
