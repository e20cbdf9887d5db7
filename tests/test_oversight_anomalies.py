"""Anomalies: each kind is found in a township's funds with its reason, and a township admin
marks it reviewed with a note; reviewed ones move to their own list."""

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.roles import Role
from app.clock import local_today
from app.db_types import utcnow
from app.disclosure.models import Report
from app.donations.models import Donation
from app.extensions import db
from app.funds import services as funds
from app.governance.models import Ballot, Elector, Motion, Proposal, ProposalEvent
from app.oversight import anomalies
from app.oversight.models import AnomalyReview
from app.payouts.models import Evidence, Payout, PayoutApproval
from app.receipts.models import Receipt
from tenants import SYSTEM, using

from .conftest import LOGINS, PASSWORD

ADMIN = "13700000101"
NOW = utcnow()


@pytest.fixture
def world(app):
    """青石镇's 上河村 with one example of every anomaly, 下河村 with none."""
    with app.app_context(), using(SYSTEM):
        town = funds.create_township("青石镇", slug="qingshi")
        upper = funds.create_fund(town, "上河村社区慈善基金", host_charity="某慈善会",
                                  receipt_prefix="SHC", village="上河村")
        lower = funds.create_fund(town, "下河村社区慈善基金", host_charity="某慈善会",
                                  receipt_prefix="XHC", village="下河村")
        admin = accounts.create_user("钱镇长", PASSWORD, phone=ADMIN)
        accounts.add_membership(admin, Role.TOWNSHIP_ADMIN, township=town)
        treasurer = accounts.create_user("会计", PASSWORD, phone="13700000102")
        voters = [accounts.create_user(f"委员{i}", PASSWORD, phone=f"1370000020{i}")
                  for i in range(3)]
        f = upper.id
        # Large cash, and a small one that is fine; a large gift in 下河村 by bank is fine too.
        big = Donation(fund_id=f, amount_fen=1_200_000, channel="cash", status="confirmed",
                       received_on=local_today())
        small = Donation(fund_id=f, amount_fen=999_999, channel="cash", status="confirmed",
                         received_on=local_today())
        banked = Donation(fund_id=lower.id, amount_fen=5_000_000, channel="bank",
                          status="confirmed", received_on=local_today(), reference="B1")
        db.session.add_all([big, small, banked])
        # A project in progress for 90 days with no update; another updated recently is fine.
        stale = Proposal(fund_id=f, title="路灯维修", category="environment", requested_fen=100,
                         status="in_progress")
        db.session.add(stale)
        db.session.flush()
        db.session.add(ProposalEvent(fund_id=f, proposal_id=stale.id, from_status="final",
                                     to_status="in_progress", at=NOW - timedelta(days=90)))
        # A vote closed with one of three members voting (quorum 2/3 -> 2 needed).
        motion = Motion(fund_id=f, proposal_id=stale.id, title="路灯维修立项", status="closed",
                        quorum_num=2, quorum_den=3, threshold="cast", casting_vote=False,
                        live_results=False, deadline=NOW - timedelta(days=3),
                        closed_at=NOW - timedelta(days=3), passed=False)
        db.session.add(motion)
        db.session.flush()
        for voter in voters:
            db.session.add(Elector(fund_id=f, motion_id=motion.id, user_id=voter.id,
                                   role="member"))
        db.session.add(Ballot(fund_id=f, motion_id=motion.id, user_id=voters[0].id,
                              choice="yes"))
        # Paid without evidence, and approved by its own requester.
        paid = Payout(fund_id=f, proposal_id=stale.id, amount_fen=5000, payee="五金店",
                      purpose="灯泡", status="paid", requested_by_id=treasurer.id,
                      paid_at=NOW - timedelta(days=2))
        proven = Payout(fund_id=f, proposal_id=stale.id, amount_fen=3000, payee="电工",
                        purpose="人工", status="paid", requested_by_id=voters[1].id,
                        paid_at=NOW - timedelta(days=2))
        db.session.add_all([paid, proven])
        db.session.flush()
        db.session.add(PayoutApproval(fund_id=f, payout_id=paid.id, user_id=treasurer.id,
                                      role="treasurer", decision="approve"))
        db.session.add(Evidence(fund_id=f, payout_id=proven.id, kind="invoice",
                                filename="fapiao.pdf", content_type="application/pdf", size=1,
                                stored_name=secrets.token_hex(8)))
        # Six receipts this month, two voided (33 %); 下河村: five, one voided (20 %: fine).
        for fund_id, prefix, total, void in ((f, "SHC", 6, 2), (lower.id, "XHC", 5, 1)):
            for n in range(total):
                db.session.add(Receipt(
                    fund_id=fund_id, year=local_today().year, sequence=n + 1,
                    number=f"{prefix}-{n}", token=secrets.token_hex(8),
                    code_hash=hashlib.sha256(b"x").hexdigest(), name="某", amount_fen=100,
                    received_on=local_today(), issued_on=local_today(), pdf_sha256="0" * 64,
                    status="void" if n < void else "valid"))
        # Both funds existed last year; only 下河村 published its annual report.
        upper.created_at = lower.created_at = datetime(NOW.year - 2, 1, 1, tzinfo=UTC)
        db.session.add(Report(fund_id=lower.id, kind="annual", year=NOW.year - 1,
                              threshold_fen=0, data="{}", pdf=b"%PDF", sha256="0" * 64))
        db.session.commit()
        ids = {"upper": f, "lower": lower.id, "big": big.id, "stale": stale.id,
               "motion": motion.id, "paid": paid.id}
    # Outside the context: reading the ids after the commit began a transaction, which on
    # SQLite holds the write lock (app/database.py) for as long as the context stays open.
    yield ids


def _found(app, world, now=None):
    from app.funds.models import Fund

    with app.test_request_context(), using(SYSTEM):
        return anomalies.detect(list(db.session.scalars(
            select(Fund).where(Fund.id.in_([world["upper"], world["lower"]])))), now=now)


def test_every_kind_is_found_with_its_reason(app, world):
    june = datetime(NOW.year, 6, 15, tzinfo=UTC)
    found = {(a.fund.id, a.kind, a.subject): a for a in _found(app, world, now=june)}
    upper = world["upper"]
    today = local_today()
    month = f"month:{today.year}{today.month:02d}"
    expected = {
        (upper, "large_cash", f"donation:{world['big']}"),
        (upper, "payout_no_evidence", f"payout:{world['paid']}"),
        (upper, "same_person", f"payout:{world['paid']}"),
        (upper, "no_quorum", f"motion:{world['motion']}"),
        (upper, "voided_receipts", month),
        (upper, "disclosure_overdue", f"annual:{NOW.year - 1}"),
    }
    assert expected <= found.keys()
    assert not [k for k in found if k[0] == world["lower"]]  # 下河村 is in order
    from app.i18n import LANG_COOKIE

    with app.test_request_context(headers={"Cookie": f"{LANG_COOKIE}=en"}):
        big = found[(upper, "large_cash", f"donation:{world['big']}")]
        assert "12,000.00" in str(big.reason)
        assert big.link == f"/f/shanghecun/donations/{world['big']}"
        assert "1 of 3" in str(found[(upper, "no_quorum", f"motion:{world['motion']}")].reason)


def test_a_project_without_update_for_60_days_is_found(app, world):
    found = {(a.kind, a.subject) for a in _found(app, world)}
    assert ("stale_project", f"proposal:{world['stale']}") in found
    with app.app_context(), using(SYSTEM):
        from app.payouts.models import ProgressUpdate

        db.session.add(ProgressUpdate(fund_id=world["upper"], proposal_id=world["stale"],
                                      body="灯已换好一半", created_at=NOW - timedelta(days=3)))
        db.session.commit()
    found = {(a.kind, a.subject) for a in _found(app, world)}
    assert ("stale_project", f"proposal:{world['stale']}") not in found


def test_an_anomaly_is_marked_reviewed_with_a_note(app, client, world):
    client.post("/auth/login", data={"login": ADMIN, "password": PASSWORD})
    page = client.get("/t/qingshi/anomalies").get_data(as_text=True)
    assert "路灯维修立项" in page and "上河村社区慈善基金" in page
    workspace = client.get("/t/qingshi/").get_data(as_text=True)
    count = int(re.search(r"anomalies\">[^<]*<strong>(\d+)</strong>", workspace).group(1))
    assert count >= 5
    target = {"fund_id": world["upper"], "kind": "large_cash",
              "subject": f"donation:{world['big']}"}
    refused = client.post("/t/qingshi/anomalies/review", data={**target, "note": "  "})
    assert refused.status_code == 422
    done = client.post("/t/qingshi/anomalies/review",
                       data={**target, "note": "村民大会现金，已于次日存入银行"})
    assert done.status_code == 302
    page = client.get("/t/qingshi/anomalies").get_data(as_text=True)
    reviewed = page.split('<h2>', 2)[2]  # the reviewed list comes second
    assert "村民大会现金，已于次日存入银行" in reviewed and "钱镇长" in reviewed
    with app.app_context(), using(SYSTEM):
        row = db.session.scalar(select(AnomalyReview))
        assert (row.kind, row.subject, row.reviewed_by.phone) == (
            "large_cash", f"donation:{world['big']}", ADMIN)
    workspace = client.get("/t/qingshi/").get_data(as_text=True)
    assert int(re.search(r"anomalies\">[^<]*<strong>(\d+)</strong>", workspace).group(1)) \
        == count - 1
    # Reviewed once; an unknown subject is refused.
    assert client.post("/t/qingshi/anomalies/review",
                       data={**target, "note": "again"}).status_code == 422
    assert client.post("/t/qingshi/anomalies/review",
                       data={**target, "subject": "donation:999999",
                             "note": "x"}).status_code == 422


def test_another_townships_admin_cannot_review_here(client, world):
    client.post("/auth/login", data={"login": LOGINS["this_township_admin"],
                                     "password": PASSWORD})
    response = client.post("/t/qingshi/anomalies/review", data={
        "fund_id": world["upper"], "kind": "large_cash", "subject": f"donation:{world['big']}",
        "note": "看过了"})
    assert response.status_code == 403
    assert client.post("/t/luwan/anomalies/review", data={
        "fund_id": world["upper"], "kind": "large_cash", "subject": f"donation:{world['big']}",
        "note": "看过了"}).status_code == 422  # 上河村 is not 芦湾镇's fund
