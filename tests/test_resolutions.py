"""A resolution's PDF (决议): rendered once when its vote closes, stored like a receipt's,
served as stored to anyone, and rate-limited."""

import hashlib

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DatabaseError

from app.extensions import db
from app.funds.models import Fund
from app.governance import motions, resolutions
from app.governance.models import Motion, ResolutionFile
from tenants import fund_scope, using

from .helpers import FUND, open_vote, person


@pytest.fixture
def renders(monkeypatch):
    """Counts the resolution renderings, each still a real PDF."""
    calls = []
    real = resolutions.render_pdf

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(resolutions, "render_pdf", counted)
    return calls


def _closed_vote(app, *, store: bool = True) -> int:
    """A motion of 东港村 closed at its deadline; without ``store``, as a resolution closed
    before PDFs were stored (its row closed by hand, no file)."""
    with app.test_request_context(method="POST"):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            motion = open_vote()
            motions.cast(motion, person("chair"), "yes")
            if store:
                motions.close(motion, None, now=motion.deadline)
            else:
                motion.status, motion.closed_at = "closed", motion.deadline
            db.session.commit()
            return motion.id


def _stored(app, motion_id: int) -> list[ResolutionFile]:
    with app.app_context(), using(fund_scope(_fund_id(app))):
        files = db.session.scalars(select(ResolutionFile).where(
            ResolutionFile.motion_id == motion_id)).all()
        db.session.expunge_all()
        return files


def _fund_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Fund.id).where(Fund.slug == FUND))


def test_the_pdf_is_rendered_once_at_the_close_and_every_download_is_those_bytes(
        app, client, renders):
    motion_id = _closed_vote(app)
    assert len(renders) == 1  # made by the closing transaction
    first = client.get(f"/f/{FUND}/resolutions/{motion_id}.pdf")
    second = client.get(f"/f/{FUND}/resolutions/{motion_id}.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data.startswith(b"%PDF") and first.data == second.data
    assert len(renders) == 1  # the downloads rendered nothing
    [stored] = _stored(app, motion_id)
    assert stored.data == first.data and stored.sha256 == hashlib.sha256(first.data).hexdigest()


def test_a_resolution_closed_before_pdfs_were_stored_is_rendered_and_a_get_stores_nothing(
        app, client, renders):
    motion_id = _closed_vote(app, store=False)
    for _ in range(2):
        response = client.get(f"/f/{FUND}/resolutions/{motion_id}.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(renders) == 2 and _stored(app, motion_id) == []


def test_every_final_resolution_of_the_demo_has_its_pdf(app):
    """Final: closed, and for an approved project its public notice over (issue 19)."""
    with app.app_context(), using(fund_scope(_fund_id(app))):
        closed = db.session.scalars(select(Motion).where(Motion.status == "closed")).all()
        stored = set(db.session.scalars(select(ResolutionFile.motion_id)))
        final = {m.id for m in closed if resolutions.is_final(m)
                 or m.proposal.status not in ("approved", "notice")}
    assert final and final <= stored


def test_the_database_refuses_to_change_or_delete_a_stored_resolution(app):
    motion_id = _closed_vote(app)
    with app.app_context(), using(fund_scope(_fund_id(app))):
        for statement in (update(ResolutionFile).values(data=b"%PDF forged"),
                          ResolutionFile.__table__.delete()):
            with pytest.raises(DatabaseError, match="immutable"):
                db.session.execute(statement.where(ResolutionFile.motion_id == motion_id))
            db.session.rollback()


@pytest.mark.config(RATELIMIT_ENABLED=True, PUBLIC_PDF_RATE_LIMIT="2 per minute")
def test_public_pdfs_are_rate_limited(app, client):
    motion_id = _closed_vote(app)
    codes = [client.get(f"/f/{FUND}/resolutions/{motion_id}.pdf").status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
