"""联合劝募: township-wide campaigns in which village funds raise money together and a
sponsor matches their gifts. See services.py for the rules, matching.py for the match."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)


@bp.record_once
def _match_what_is_booked(_state) -> None:
    from app.ledger.services import POSTED

    from .services import after_posting

    if after_posting not in POSTED:
        POSTED.append(after_posting)


from . import views  # noqa: E402,F401  (its routes join bp)
