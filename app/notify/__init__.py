"""Notices to people by SMS, email or the log: ``notify(person_or_address, template, ...)``.

See services.py for the rules, sms.py for the SMS provider, messages.py for the words.
"""

from .services import init_app, notify

__all__ = ["init_app", "notify"]
