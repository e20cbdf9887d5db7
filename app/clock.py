"""What day it is for the funds. Times are stored in UTC; a day (a gift received, a receipt
issued, a term begun) is the day in Asia/Shanghai, whatever zone the server runs in: at 07:00
in a village it is still yesterday in UTC."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.db_types import utcnow

LOCAL = ZoneInfo("Asia/Shanghai")


def local_day(moment: datetime) -> date:
    """The day a moment falls on in the funds' zone: 2026-11-30 17:00 UTC is 2026-12-01."""
    return moment.astimezone(LOCAL).date()


def local_today(now: datetime | None = None) -> date:
    return local_day(now or utcnow())
