"""What day it is for the funds. Times are stored in UTC; a day (a gift received, a receipt
issued, a term begun) is the day in Asia/Shanghai, whatever zone the server runs in: at 07:00
in a village it is still yesterday in UTC."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.db_types import utcnow

LOCAL = ZoneInfo("Asia/Shanghai")
# No fund's books go back further (the funds began in the 2010s): an earlier day is a slip of
# the keyboard, 0050-12-13 for 2025-12-13, that would stand on a receipt.
EARLIEST_DAY = date(2000, 1, 1)


def local_day(moment: datetime) -> date:
    """The day a moment falls on in the funds' zone: 2026-11-30 17:00 UTC is 2026-12-01."""
    return moment.astimezone(LOCAL).date()


def local_today(now: datetime | None = None) -> date:
    return local_day(now or utcnow())


def day_refused(day: date, today: date | None = None):
    """Why money cannot have moved on this day (a gift received, a batch collected, a payout
    paid), or None when it can: from EARLIEST_DAY to today."""
    if day < EARLIEST_DAY:
        return _l("The date cannot be before %(year)d.", year=EARLIEST_DAY.year)
    if day > (today or local_today()):
        return _l("The date cannot be in the future.")
    return None
