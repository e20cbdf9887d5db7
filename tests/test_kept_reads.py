"""kept(): a read a request asks for several times (the caller's memberships) is made once, and
made anew after anything the session writes and at the end of its transaction."""

from sqlalchemy import func, select, update

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.services import add_membership, current_memberships, memberships_of
from app.database import kept
from app.extensions import db
from app.funds.models import Fund

from .conftest import LOGINS


def test_a_kept_read_is_made_again_after_a_write_and_at_the_transactions_end(system):
    reads = []

    def read():
        reads.append(db.session.scalar(select(func.count(User.id))))
        return len(reads)

    assert kept("n", read) == kept("n", read) == 1  # one transaction, nothing written
    user = db.session.scalar(select(User).where(User.phone == LOGINS["member"]))
    user.name += "甲"
    db.session.flush()  # a flush
    assert kept("n", read) == 2
    db.session.execute(update(User).where(User.id == user.id).values(locale="en"))  # in bulk
    assert kept("n", read) == 3
    db.session.rollback()
    assert kept("n", read) == 4
    db.session.commit()
    assert kept("n", read) == 5
    assert kept("other", lambda: "x") == "x"  # each name its own read


def test_a_membership_given_in_the_request_counts_at_once(system):
    member = db.session.scalar(select(User).where(User.phone == LOGINS["member"]))
    held = {m.fund_id for m in current_memberships(member)}
    other = db.session.scalar(select(Fund).where(Fund.id.not_in(held)).limit(1))
    add_membership(member, Role.MEMBER, fund=other)
    assert other.id in {m.fund_id for m in current_memberships(member)}
    db.session.execute(update(Membership).where(Membership.user_id == member.id,
                                                Membership.fund_id == other.id)
                       .values(role=Role.SECRETARY))
    assert Role.SECRETARY in {m.role for m in memberships_of(member.id)
                              if m.fund_id == other.id}
