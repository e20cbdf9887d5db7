"""On PostgreSQL, requests at the same moment: two ballots of one member leave one row; two
votes opened on one proposal leave one open."""

import threading

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.funds.models import Fund
from app.governance import motions
from app.governance.models import Ballot, BallotChange, Motion, Proposal
from app.validation import Invalid
from tenants import fund_scope, using

from .conftest import DB_KIND, LOGINS

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(DB_KIND != "postgresql", reason="needs PostgreSQL")]


def test_two_simultaneous_ballots_by_one_member_leave_one(app):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            motion_id = db.session.scalar(select(Motion.id).where(Motion.status == "open"))
        user_id = db.session.scalar(select(User.id).where(User.phone == LOGINS["member"]))
        db.session.remove()

    start = threading.Barrier(2)
    errors = []

    def vote(choice):
        # Each thread has its own app context, so its own session and connection.
        with app.app_context(), using(fund_scope(fund_id)):
            try:
                motion = db.session.get(Motion, motion_id)
                start.wait()
                motions.cast(motion, db.session.get(User, user_id), choice)
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote, args=(c,)) for c in ("yes", "no")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    with app.app_context(), using(fund_scope(fund_id)):
        rows = db.session.scalars(select(Ballot).where(Ballot.motion_id == motion_id,
                                                       Ballot.user_id == user_id)).all()
        assert len(rows) == 1
        changes = db.session.scalars(select(BallotChange).where(
            BallotChange.motion_id == motion_id, BallotChange.user_id == user_id)
            .order_by(BallotChange.id)).all()
        assert [c.action for c in changes] == ["cast", "change"]
        assert rows[0].choice == changes[-1].choice


def test_the_unique_key_itself_refuses_a_second_row(app):
    from sqlalchemy.dialects.postgresql import insert

    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            ballot = db.session.scalar(select(Ballot).order_by(Ballot.id))
            values = {"fund_id": fund_id, "motion_id": ballot.motion_id,
                      "user_id": ballot.user_id, "choice": "no"}
            from sqlalchemy.exc import IntegrityError

            with pytest.raises(IntegrityError):
                db.session.execute(insert(Ballot), values)
            db.session.rollback()


def test_two_chairs_opening_a_vote_on_one_proposal_at_once_open_one(app):
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            proposal_id = db.session.scalar(select(Proposal.id).where(
                Proposal.status == "discussion"))
        chair_id = db.session.scalar(select(User.id).where(User.phone == LOGINS["chair"]))
        db.session.remove()

    start = threading.Barrier(2)
    opened, refused, errors = [], [], []

    def open_vote():
        with app.app_context(), using(fund_scope(fund_id)):
            try:
                proposal = db.session.get(Proposal, proposal_id)
                chair = db.session.get(User, chair_id)
                start.wait()
                motion = motions.open_motion(proposal, chair)
                db.session.commit()
                opened.append(motion.id)
            except Invalid as error:
                db.session.rollback()
                refused.append(error.errors)
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=open_vote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors  # the second is refused with a message, not a database error
    assert len(opened) == 1 and len(refused) == 1 and "kind" in refused[0]
    with app.app_context(), using(fund_scope(fund_id)):
        assert db.session.scalars(select(Motion.id).where(
            Motion.proposal_id == proposal_id, Motion.status == "open")).all() == opened
