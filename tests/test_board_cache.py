"""The notice board's content is cached per process: whatever changes what it shows must
show at once, the next visitor after a change sees it, and each visitor's page keeps its own
session (CSRF token) around the shared content."""


from sqlalchemy import select

from app.auth.models import User
from app.clock import local_today
from app.donations import services as donations
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from tenants import fund_scope, using

from .conftest import LOGINS, page_csrf_token

BOARD = "/f/donggangcun/public"


def _in_fund(app, fn):
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(fund.id)):
            result = fn(fund)
            db.session.commit()
            return result


def _named_gift(name: str, amount: str):
    """A gift by a new donor who lets the name be shown, recorded by the treasurer."""
    def record(fund) -> int:
        treasurer = db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))
        donor = Donor(name=name, anonymity="show", kind="person", fund_id=fund.id)
        db.session.add(donor)
        db.session.flush()
        donations.record_offline(donations.DonationInput(
            amount=amount, channel="cash", received_on=local_today(), donor_id=donor.id),
            treasurer)
        return donor.id

    return record


def test_a_new_gift_is_on_the_board_at_the_next_visit(client, app):
    assert "看板缓存的新捐赠人" not in client.get(BOARD).get_data(as_text=True)
    _in_fund(app, _named_gift("看板缓存的新捐赠人", "66"))
    assert "看板缓存的新捐赠人" in client.get(BOARD).get_data(as_text=True)


def test_a_donor_who_asks_to_stay_unnamed_leaves_the_board_at_once(client, app):
    donor_id = _in_fund(app, _named_gift("后来不愿露名的人", "77"))
    assert "后来不愿露名的人" in client.get(BOARD).get_data(as_text=True)

    def hide(fund):
        db.session.get(Donor, donor_id).anonymity = "anonymous"  # audited: the chain grows

    _in_fund(app, hide)
    assert "后来不愿露名的人" not in client.get(BOARD).get_data(as_text=True)


def test_each_visitor_gets_their_own_page_around_the_shared_board(app):
    tokens = set()
    bodies = []
    for _ in range(2):
        page = app.test_client().get(BOARD).get_data(as_text=True)
        tokens.add(page_csrf_token(page))
        bodies.append(page[page.index('id="totals"'):])
    assert len(tokens) == 2 and bodies[0] == bodies[1]
