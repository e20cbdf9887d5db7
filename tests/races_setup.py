"""Two clicks at once: people signed in on the live server, firing the same form together,
and counting who won."""

import contextlib

import requests
from sqlalchemy import select

from app.extensions import db
from app.funds.models import Fund
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, page_csrf_token
from .helpers import fire_calls

N = 6  # clicks fired together
FUND = "donggangcun"


@contextlib.contextmanager
def dgc(app):
    """东港村's scope in an app context, its session gone afterwards: no transaction of the
    test may be open while the server works."""
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        with using(fund_scope(fund_id)):
            try:
                yield db.session
            finally:
                db.session.remove()


class Person:
    """Someone signed in on the live server: their cookies and their page's CSRF token."""

    def __init__(self, server: str, key: str):
        self.server = server
        with requests.Session() as s:
            token = page_csrf_token(s.get(f"{server}/auth/login").text)
            signed_in = s.post(f"{server}/auth/login", allow_redirects=False, data={
                "login": LOGINS[key], "password": PASSWORD, "csrf_token": token})
            assert signed_in.status_code == 302, f"login as {key} failed"
            self.token = page_csrf_token(s.get(f"{server}/f/{FUND}/").text)
            self.cookies = s.cookies.get_dict()

    def post(self, path: str, data: dict) -> requests.Response:
        with requests.Session() as s:  # a connection of its own, like a second tab
            s.cookies.update(self.cookies)
            return s.post(f"{self.server}{path}", data={**data, "csrf_token": self.token},
                          allow_redirects=False, timeout=120)


def fire(*clicks: tuple[Person, str, dict]) -> list[int]:
    """Send every (person, path, form) at the same moment; the statuses, none of them 500."""
    return fire_calls([lambda who=who, path=path, data=data: who.post(path, data)
                       for who, path, data in clicks], timeout=180)


def done(statuses: list[int]) -> int:
    """How many clicks did it: a redirect (or an htmx 200) is success, 422/409 a refusal."""
    return sum(s in (200, 302, 303) for s in statuses)
