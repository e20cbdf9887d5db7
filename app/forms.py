"""The base of every form: what no field may hold, refused in one place with a message beside
the field."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.validation import control_characters


class Form(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if any(control_characters(value) for value in field.raw_data or ()):
                field.errors = [*field.errors, _l(
                    "Remove the invisible control characters from this field.")]
                valid = False
        return valid
