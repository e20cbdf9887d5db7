"""The wishes pages' tests share these: the wall's address, the fund's scope, the last SMS code."""

from sqlalchemy import func, select

from app.extensions import db
from app.funds.models import Fund
from app.notify.models import Notice
from tenants import fund_scope, using

FUND = "donggangcun"
BASE = f"/f/{FUND}/wishes"


def in_fund(app, fn):
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            try:
                return fn()
            finally:
                db.session.remove()


def last_code(app, phone: str) -> str:
    """The code the log channel kept in its notice (there is no SMS account in these tests)."""
    return in_fund(app, lambda: db.session.scalar(
        select(Notice.params).where(Notice.template == "phone_code", Notice.recipient == phone)
        .order_by(Notice.id.desc()))[1])


def count(app, model, *where) -> int:
    return in_fund(app, lambda: db.session.scalar(
        select(func.count()).select_from(model).where(*where)))
