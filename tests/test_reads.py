"""A GET never writes: every GET route of the URL map, asked by each kind of person and by no
one, leaves every table (the audit chains included) as it was, even when a vote is past its
deadline, a notice period is over, a wish's claim is out of days and the committee's rules
were never saved."""

import hashlib
from datetime import timedelta

from sqlalchemy import create_engine, delete, select, text

from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import CommitteeRules, Motion, Proposal
from app.wishes.models import WishClaim
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD
from .helpers import FUND, app_rules, sample_url

PEOPLE = [None, "platform_admin", "this_township_admin", "chair", "member", "supervisor",
          "secretary", "treasurer", "social_worker", "other_fund_member"]


def _fingerprint(app) -> dict[str, str]:
    """Each table's rows, hashed, read as the tables' owner (past row-level security)."""
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    prints = {}
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            prints[table.name] = hashlib.sha256(
                "\n".join(sorted(repr(tuple(row)) for row in rows)).encode()).hexdigest()
    engine.dispose()
    return prints


def _make_things_due(app) -> None:
    """A vote past its deadline, a notice period over, rules never saved: each was once
    written by the page that showed it."""
    with app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        past = utcnow() - timedelta(hours=1)
        motion = db.session.scalar(select(Motion).where(
            Motion.fund_id == fund_id, Motion.status == "open").order_by(Motion.id))
        motion.deadline = past
        notice = db.session.scalar(select(Proposal).where(
            Proposal.fund_id == fund_id, Proposal.status == "notice").order_by(Proposal.id))
        notice.notice_until = past
        db.session.execute(delete(CommitteeRules).where(CommitteeRules.fund_id == fund_id))
        claim = db.session.scalar(select(WishClaim).where(
            WishClaim.fund_id == fund_id, WishClaim.status == "active").order_by(WishClaim.id))
        claim.expires_at = past  # a claim out of days: expired on read, written by the job
        db.session.commit()


def test_no_get_route_writes_anything(app):
    _make_things_due(app)
    urls = [sample_url(app, rule) for rule in app_rules(app, "GET")]  # samples may write: first
    clients = []
    for who in PEOPLE:  # signing in writes (the trail): before the fingerprint
        client = app.test_client()
        if who:
            response = client.post("/auth/login", data={"login": LOGINS[who],
                                                         "password": PASSWORD})
            assert response.status_code == 302, who
        clients.append((who, client))
    before = _fingerprint(app)
    errors = []
    for who, client in clients:
        for url in urls:
            status = client.get(url).status_code
            if status >= 500:
                errors.append(f"{who}: GET {url} answered {status}")
    after = _fingerprint(app)
    changed = sorted(name for name in before if before[name] != after[name])
    assert not errors, "\n".join(errors)
    assert changed == [], f"GET requests changed these tables: {changed}"
