"""微心愿 set-ups shared by the wishes tests: a wish's input, a published wish, a claim."""

from sqlalchemy import func, select

from app.db_types import utcnow
from app.extensions import db
from app.wishes import services
from app.wishes.models import Wish

from .helpers import person

FUND = "donggangcun"


def wish_input(**changes) -> services.WishInput:
    values = dict(title="一个新书包", value="120", fulfil_by="goods", village_group="三组",
                  recipient_name="王小明", recipient_age=8, situation="跟奶奶生活")
    return services.WishInput(**{**values, **changes})


def published(fund, **changes) -> Wish:
    wish = services.collect(fund.id, wish_input(**changes), person("social_worker"))
    return services.screen(wish, person("chair"), True)


def claimed(fund, wish, phone="13800000001", at=None, shown_as="show"):
    return services.place_claim(wish, "张伟", phone, shown_as, at or utcnow())[0]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- collecting and screening -------------------------------------------------------------
