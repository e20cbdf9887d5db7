"""The notices' words: one short template per kind of notice, as Babel strings.

An SMS provider sends only an approved template filled with parameters, so each template
names its parameters in the provider's order (``params``); the same words, filled in here, are
what an email or the log says and what the notices page shows. The deployment registers each
template with its provider in Chinese, e.g. vote_opened as
``{1}：“{2}”表决已开始，请于{3}前投票 {4}``, and gives its id in SMS_TEMPLATES.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Template:
    params: tuple[str, ...]  # "fund" is always the fund's name; the caller gives the others
    subject: LazyString  # an email's subject
    text: LazyString  # the message itself
    # The text holds a secret (a one-time code): the notices page shows the subject instead.
    private: bool = False


TEMPLATES: dict[str, Template] = {
    "vote_opened": Template(
        ("fund", "title", "deadline", "link"),
        _l("%(fund)s: voting on “%(title)s” has started"),
        _l("%(fund)s: voting on “%(title)s” has started; please vote by %(deadline)s %(link)s")),
    "vote_reminder": Template(
        ("fund", "title", "deadline", "link"),
        _l("%(fund)s: your vote on “%(title)s” is awaited"),
        _l("%(fund)s: you have not voted on “%(title)s” yet; voting closes at %(deadline)s "
           "%(link)s")),
    "payout_to_approve": Template(
        ("fund", "title", "amount", "link"),
        _l("%(fund)s: a payout awaits your approval"),
        _l("%(fund)s: the payout “%(title)s” of %(amount)s yuan awaits your approval %(link)s")),
    "objection_decided": Template(
        ("fund", "title", "link"),
        _l("%(fund)s: your objection has been decided"),
        _l("%(fund)s: your objection to “%(title)s” has been decided; see %(link)s")),
    "invitation": Template(
        ("fund", "role", "link"),
        _l("%(fund)s: you are appointed %(role)s"),
        _l("%(fund)s: you are appointed %(role)s. Open %(link)s within 7 days to set your "
           "password."),
        private=True),
    "wish_claimed": Template(
        ("fund", "title", "days", "link"),
        _l("%(fund)s: you claimed a small wish"),
        _l("%(fund)s: thank you for claiming the wish “%(title)s”. Please fulfil it within "
           "%(days)s days; the social worker will contact you. Your claim: %(link)s"),
        private=True),  # the link lets its holder cancel the claim
    "wish_claimed_money": Template(
        ("fund", "title", "days", "pay", "link"),
        _l("%(fund)s: you claimed a small wish"),
        _l("%(fund)s: thank you for claiming the wish “%(title)s”. Please fulfil it within "
           "%(days)s days: bring it, or give the money for it here: %(pay)s Your claim: "
           "%(link)s"),
        private=True),  # the claim's link lets its holder cancel the claim
    "wish_thanks": Template(
        ("fund", "title"),
        _l("%(fund)s: your small wish is fulfilled"),
        _l("%(fund)s: the wish “%(title)s” you claimed has been fulfilled. Thank you for "
           "your kindness.")),
    "campaign_thanks": Template(
        ("fund", "title", "amount"),
        _l("%(fund)s: thank you for your gift"),
        _l("%(fund)s: thank you for giving %(amount)s yuan in “%(title)s”. The campaign has "
           "closed; its report is on the fund's public notice board.")),
    "phone_code": Template(
        ("fund", "code", "minutes"),
        _l("%(fund)s: your verification code"),
        _l("%(fund)s: your verification code is %(code)s, valid for %(minutes)s minutes. "
           "Do not give it to anyone."),
        private=True),
}


def when(moment: datetime) -> str:
    """A deadline as a short message says it, in the funds' time: 12月9日18:00."""
    return format_datetime(moment, _("MMM d, HH:mm"))
