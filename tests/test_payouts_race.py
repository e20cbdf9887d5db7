"""On PostgreSQL, requests at the same moment: two approvals racing each other leave one
approval that counts and the payout is paid once; two payments of one project never overdraw
its budget."""

import threading

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.clock import local_today
from app.extensions import db
from app.funds.models import Fund
from app.governance import proposals
from app.ledger.models import LedgerEntry
from app.payouts import services
from app.payouts.models import Payout, PayoutApproval
from tenants import fund_scope, using

from .conftest import DB_KIND, LOGINS

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(DB_KIND != "postgresql", reason="needs PostgreSQL")]


def _user(key):
    return db.session.scalar(select(User).where(User.phone == LOGINS[key]))


def _setup(app, amounts, budget="1000"):
    """A final, funded project with a payout per amount, each signed once by the chair."""
    from app.donations import services as donations

    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == "donggangcun"))
        with using(fund_scope(fund_id)):
            services.update_rules(fund_id, ["chair", "supervisor", "member"], 2, _user("chair"))
            project = proposals.create(proposals.ProposalInput(
                title="并发测试项目", category="other", description="x", requested=budget),
                _user("member"))
            for state in ("approved", "notice", "final"):
                proposals.transition(project, state, _user("chair"))
            donations.record_offline(donations.DonationInput(
                amount=budget, channel="cash", received_on=local_today(),
                designation_id=project.designation_id), _user("treasurer"))
            ids = []
            for amount in amounts:
                payout = services.request(project, services.PayoutInput(
                    amount=amount, payee="某商店", payee_account="", purpose="并发"),
                    _user("treasurer"))
                services.approve(payout, _user("chair"))
                ids.append(payout.id)
            db.session.commit()
        db.session.remove()
    return fund_id, ids


def _race(app, fund_id, jobs):
    """Run each job(session) in its own thread, app context and connection, at one moment."""
    start = threading.Barrier(len(jobs))
    outcomes = []

    def run(job):
        with app.app_context(), using(fund_scope(fund_id)):
            try:
                start.wait()
                job()
                db.session.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001  (counted below)
                db.session.rollback()
                outcomes.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_approvals_racing_approve_once_and_pay_once(app):
    fund_id, (payout_id,) = _setup(app, ["600"])

    def sign(key):
        return lambda: services.approve(db.session.get(Payout, payout_id), _user(key))

    outcomes = _race(app, fund_id, [sign("supervisor"), sign("member")])
    assert outcomes.count("ok") == 1  # the second signature finds it no longer waiting

    def pay(reference):
        return lambda: services.mark_paid(db.session.get(Payout, payout_id), _user("treasurer"),
                                          reference, local_today())

    outcomes = _race(app, fund_id, [pay("RACE-A"), pay("RACE-B")])
    assert outcomes.count("ok") == 1
    with app.app_context(), using(fund_scope(fund_id)):
        payout = db.session.get(Payout, payout_id)
        assert payout.status == "paid"
        assert db.session.scalar(select(func.count()).select_from(PayoutApproval).where(
            PayoutApproval.payout_id == payout_id)) == 2
        debits = db.session.scalars(select(LedgerEntry.amount_fen).where(
            LedgerEntry.reference.like(f"payout:{payout_id}:%"))).all()
        assert sum(debits) == -60000


def test_two_payments_of_one_project_at_once_never_exceed_its_budget(app):
    fund_id, ids = _setup(app, ["700", "700"])  # each fits the ¥1,000 budget, both do not
    with app.app_context(), using(fund_scope(fund_id)):
        for payout_id in ids:
            services.approve(db.session.get(Payout, payout_id), _user("supervisor"))
        db.session.commit()
        db.session.remove()

    def pay(payout_id):
        return lambda: services.mark_paid(db.session.get(Payout, payout_id), _user("treasurer"),
                                          f"RACE-{payout_id}", local_today())

    outcomes = _race(app, fund_id, [pay(i) for i in ids])
    assert outcomes.count("ok") == 1
    with app.app_context(), using(fund_scope(fund_id)):
        paid = db.session.scalars(select(Payout.status).where(Payout.id.in_(ids))).all()
        assert sorted(paid) == ["approved", "paid"]
