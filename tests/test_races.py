"""Two clicks at once, on SQLite and on PostgreSQL: every POST that moves money or state is
fired N times together at a live threaded server, by a signed-in person with a CSRF token.
Afterwards the ledger equals the rows, nothing was done twice, and no request answered 500."""

import io
import re

import pytest
import requests
from sqlalchemy import func, select

from app.clock import local_today
from app.donations import batches
from app.donations import services as donations
from app.donations.models import Batch, Donation
from app.extensions import db
from app.funds.models import Fund
from app.governance import motions, proposals
from app.governance.models import Ballot, Elector, Motion, Objection, Proposal
from app.ledger.models import LedgerEntry
from app.payouts import services as payouts
from app.payouts.models import Payout, PayoutApproval
from app.receipts import services as receipts
from app.receipts.models import Receipt

from .helpers import bank_statement_gbk, person
from .races_setup import FUND, N, Person, dgc, done, fire

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

def cash_gift(amount="200", **kw) -> Donation:
    return donations.record_offline(donations.DonationInput(
        amount=amount, channel="cash", received_on=local_today(), **kw), person("treasurer"))


def ledger_sum(**where) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
        *(getattr(LedgerEntry, k) == v for k, v in where.items())))


@pytest.fixture
def treasurer(live_server):
    return Person(live_server, "treasurer")


@pytest.fixture
def chair(live_server):
    return Person(live_server, "chair")


# --- money in ---------------------------------------------------------------------------------

def test_parallel_refunds_of_one_gift_refund_it_once(app, treasurer):
    with dgc(app) as session:
        gift_id = cash_gift("200").id
        session.commit()
    path = f"/f/{FUND}/donations/{gift_id}/refund"
    statuses = fire(*[(treasurer, path, {"amount": "150", "reason": "退回"})] * N)
    assert done(statuses) == 1  # ¥150 twice would be more than the gift
    with dgc(app):
        gift = db.session.get(Donation, gift_id)
        assert gift.refunded_fen == 15000
        assert ledger_sum(donation_id=gift_id) == 20000 - 15000


def test_parallel_refunds_of_different_amounts_are_all_booked_on_the_row(app, treasurer):
    with dgc(app) as session:
        gift_id = cash_gift("200").id
        session.commit()
    path = f"/f/{FUND}/donations/{gift_id}/refund"
    statuses = fire(*[(treasurer, path, {"amount": str(yuan), "reason": "退回"})
                      for yuan in range(1, N + 1)])
    assert done(statuses) == N
    with dgc(app):
        gift = db.session.get(Donation, gift_id)
        assert gift.refunded_fen == 100 * sum(range(1, N + 1))  # no refund lost on the row
        assert ledger_sum(donation_id=gift_id) == gift.amount_fen - gift.refunded_fen


def test_parallel_reversals_of_one_gift_reverse_it_once(app, treasurer):
    with dgc(app) as session:
        gift_id = cash_gift("100").id
        session.commit()
    path = f"/f/{FUND}/donations/{gift_id}/reverse"
    assert done(fire(*[(treasurer, path, {"reason": "金额录错"})] * N)) == 1
    with dgc(app):
        assert db.session.get(Donation, gift_id).status == "reversed"
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.donation_id == gift_id, LedgerEntry.kind == "reversal")) == 1
        assert ledger_sum(donation_id=gift_id) == 0


def test_closing_a_batch_while_rows_are_added_leaves_no_row_behind(app, treasurer):
    with dgc(app) as session:
        batch = batches.open_batch(batches.BatchInput(
            title="重阳节募捐", channel="cash", received_on=local_today(),
            counted_total="100"), person("treasurer"))
        for _ in range(20):  # a batch as long as a real collection's: closing takes a while
            batches.add_row(batch, batches.RowInput(amount="5"), person("treasurer"))
        batch_id = batch.id
        session.commit()
    base = f"/f/{FUND}/batches/{batch_id}"
    statuses = fire(*[(treasurer, f"{base}/close", {})] * 2,
                    *[(treasurer, f"{base}/rows", {"amount": "10", "donor_name": ""})] * (N - 2))
    assert done(statuses[:2]) <= 1
    with dgc(app):
        batch = db.session.get(Batch, batch_id)
        rows = db.session.scalars(select(Donation).where(Donation.batch_id == batch_id)).all()
        if batch.status != "open":  # closed: every row confirmed, none left pending
            assert {r.status for r in rows} == {"confirmed"}
        for row in rows:  # each confirmed row booked once, a pending one not at all
            booked = 0 if row.status == "pending" else row.amount_fen
            assert ledger_sum(donation_id=row.id) == booked, row.status


# --- receipts ---------------------------------------------------------------------------------

def test_parallel_issues_make_one_receipt_and_use_one_number(app, treasurer):
    with dgc(app) as session:
        gift_id = cash_gift("66").id
        before = session.scalar(select(func.max(Receipt.sequence)))
        session.commit()
    path = f"/f/{FUND}/receipts/issue/{gift_id}"
    assert done(fire(*[(treasurer, path, {"name": "王秀英"})] * N)) == 1
    with dgc(app):
        issued = db.session.scalars(select(Receipt).where(Receipt.donation_id == gift_id)).all()
        assert len(issued) == 1
        assert issued[0].sequence == (before or 0) + 1  # no number taken and lost


def test_parallel_voids_and_reissues_of_one_receipt_happen_once(app, treasurer, chair):
    with dgc(app) as session:
        receipt_id = receipts.issue(cash_gift("88"), name="王秀英", user=person("treasurer")).id
        session.commit()
    path = f"/f/{FUND}/receipts/{receipt_id}"
    assert done(fire(*[(who, f"{path}/void", {"reason": "抬头写错"})
                       for who in (treasurer, chair) * (N // 2)])) == 1
    assert done(fire(*[(treasurer, f"{path}/reissue", {"name": "王秀英"})] * N)) == 1
    with dgc(app):
        old = db.session.get(Receipt, receipt_id)
        assert old.status == "void"
        new = db.session.scalars(select(Receipt).where(Receipt.replaces_id == receipt_id)).all()
        assert len(new) == 1 and new[0].status != "void"
        assert db.session.scalar(select(func.count()).select_from(Receipt).where(
            Receipt.donation_id == old.donation_id, Receipt.status != "void")) == 1


# --- money out --------------------------------------------------------------------------------

def _payout(amount="600") -> int:
    """A payout of a final, funded project, signed once by the chair; two signatures needed."""
    fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
    payouts.update_rules(fund_id, ["chair", "supervisor", "member"], 2, person("chair"))
    project = proposals.create(proposals.ProposalInput(
        title="并发测试项目", category="other", description="x", requested="1000"),
        person("member"))
    for state in ("approved", "notice", "final"):
        proposals.transition(project, state, person("chair"))
    cash_gift("1000", designation_id=project.designation_id)
    payout = payouts.request(project, payouts.PayoutInput(
        amount=amount, payee="某商店", payee_account="", purpose="并发"), person("treasurer"))
    payouts.approve(payout, person("chair"))
    return payout.id


def test_parallel_signatures_payments_and_reversals_of_a_payout_count_once(
        app, live_server, treasurer):
    with dgc(app) as session:
        payout_id = _payout()
        session.commit()
    path = f"/f/{FUND}/payouts/{payout_id}"
    signers = [Person(live_server, key) for key in ("supervisor", "member")]
    fire(*[(who, f"{path}/approve", {"note": ""}) for who in signers * (N // 2)])
    statuses = fire(*[(treasurer, f"{path}/paid", {"bank_reference": f"RACE-{i}",
                                                    "paid_on": local_today().isoformat()})
                      for i in range(N)])
    assert done(statuses) == 1
    with dgc(app):
        assert db.session.get(Payout, payout_id).status == "paid"
        assert db.session.scalar(select(func.count()).select_from(PayoutApproval).where(
            PayoutApproval.payout_id == payout_id)) == 2  # the chair's and one more
        entries = payouts.ledger_entries(db.session.get(Payout, payout_id))
        assert sum(e.amount_fen for e in entries) == -60000
    assert done(fire(*[(treasurer, f"{path}/reverse", {"reason": "付错"})] * N)) == 1
    with dgc(app):
        payout = db.session.get(Payout, payout_id)
        assert payout.status == "reversed"
        entries = payouts.ledger_entries(payout)
        assert sum(e.amount_fen for e in entries) == 0
        assert [e.kind for e in entries].count("reversal") == 1


# --- votes and objections ----------------------------------------------------------------------

def test_parallel_ballots_and_recusals_leave_one_row_each(app, live_server, chair):
    with dgc(app) as session:
        project = proposals.create(proposals.ProposalInput(
            title="路灯", category="environment", description="x", requested="3600"),
            person("member"))
        motion_id = motions.open_motion(project, person("chair")).id
        session.commit()
    member = Person(live_server, "member")
    path = f"/f/{FUND}/motions/{motion_id}"
    fire(*[(member, f"{path}/vote", {"choice": "yes"})] * (N // 2),
         *[(chair, f"{path}/recuse", {"reason": "我家就在路口"})] * (N // 2))
    with dgc(app):
        ballots = db.session.scalars(select(Ballot).where(Ballot.motion_id == motion_id)).all()
        assert [(b.user_id, b.choice) for b in ballots] == [(person("member").id, "yes")]
        chair_row = db.session.scalar(select(Elector).where(
            Elector.motion_id == motion_id, Elector.user_id == person("chair").id))
        assert chair_row.recused


def test_parallel_decisions_on_an_objection_decide_it_once(app, chair):
    with dgc(app) as session:
        objection = session.scalar(select(Objection).where(Objection.status == "open"))
        objection_id, proposal_id = objection.id, objection.proposal_id
        session.commit()
    path = f"/f/{FUND}/objections/{objection_id}/decide"
    fire(*[(chair, path, {"decision": "uphold", "note": "确有道理"})] * N)
    with dgc(app):
        assert db.session.get(Objection, objection_id).status == "upheld"
        assert db.session.get(Proposal, proposal_id).status == "voting"
        assert db.session.scalar(select(func.count()).select_from(Motion).where(
            Motion.proposal_id == proposal_id, Motion.status == "open")) == 1


# --- imports ----------------------------------------------------------------------------------

def test_parallel_commits_of_one_import_record_it_once(app, live_server, treasurer):
    with requests.Session() as s:
        s.cookies.update(treasurer.cookies)
        preview = s.post(f"{live_server}/f/{FUND}/imports", data={
            "channel": "bank", "received_on": "", "csrf_token": treasurer.token},
            files={"file": ("明细.csv", io.BytesIO(bank_statement_gbk()))})
    token = re.search(r"/imports/([\w-]{32})/commit", preview.text).group(1)
    with dgc(app) as session:
        before = session.scalar(select(func.max(Donation.id)))
    assert done(fire(*[(treasurer, f"/f/{FUND}/imports/{token}/commit", {})] * N)) >= 1
    with dgc(app) as session:
        new = session.scalars(select(Donation).where(Donation.id > before)).all()
        references = [d.reference for d in new if d.reference]
        assert references and len(references) == len(set(references))  # none recorded twice
        for gift in new:
            assert ledger_sum(donation_id=gift.id) == gift.amount_fen

