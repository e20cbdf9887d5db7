"""Money out with two keys: requesting, signing, paying into the ledger, reversing; project
progress, completion and acceptance; and the pages a treasurer and the committee use."""

import io
import re

import pytest
from sqlalchemy import func, select, text

from app.auth.models import User
from app.clock import local_today
from app.extensions import db
from app.funds.models import Fund
from app.governance import proposals
from app.governance.demo import tiny_png
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.payouts import progress, services
from app.payouts.models import Payout, PayoutApproval
from app.validation import Invalid
from tenants import fund_scope, using

from .conftest import LOGINS
from .helpers import person
from .payout_setup import approved, final_project, give, request


def test_the_requester_can_never_approve_their_own_request(fund):
    project = final_project()
    chair = person("chair")
    payout = request(project)
    treasurer = person("treasurer")
    with pytest.raises(Invalid) as refused:
        services.approve(payout, treasurer)
    assert str(refused.value.errors["approve"]) == str(services.refusal(payout, treasurer))
    # Even when the fund's rules name the treasurer's role as a signer.
    services.update_rules(fund.id, ["chair", "treasurer"], 1, chair)
    with pytest.raises(Invalid):
        services.approve(payout, treasurer)
    assert payout.status == "requested" and services.approvals(payout) == []


def test_chair_and_supervisor_sign_by_default_and_then_it_is_approved(fund):
    project = final_project()
    payout = request(project)
    services.approve(payout, person("chair"), "木料报价已核")
    assert payout.status == "requested"  # one key is not enough
    with pytest.raises(Invalid):  # the same person cannot sign twice
        services.approve(payout, person("chair"))
    with pytest.raises(Invalid):  # a committee member is not named by the default rules
        services.approve(payout, person("member"))
    services.approve(payout, person("supervisor"))
    assert payout.status == "approved"
    assert [a.role for a in services.approvals(payout)] == ["chair", "supervisor"]


def test_the_funds_rules_name_other_signers(fund):
    project = final_project()
    services.update_rules(fund.id, ["chair", "member"], 1, person("chair"))
    payout = request(project)
    assert services.refusal(payout, person("supervisor")) is not None
    services.approve(payout, person("member"))
    assert payout.status == "approved"


def test_a_refusal_needs_a_reason_and_ends_the_request(fund):
    payout = request(final_project())
    with pytest.raises(Invalid):
        services.reject(payout, person("chair"), "")
    services.reject(payout, person("chair"), "发票抬头不对")
    assert payout.status == "rejected"
    with pytest.raises(Invalid):
        services.approve(payout, person("supervisor"))


def test_the_database_allows_one_signature_per_person_per_payout(fund):
    payout = request(final_project())
    services.approve(payout, person("chair"))
    db.session.add(PayoutApproval(payout_id=payout.id, fund_id=fund.id,
                                  user_id=person("chair").id, role="chair", decision="approve"))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


# --- how much ----------------------------------------------------------------------------------

def test_a_payout_cannot_exceed_the_budget_left(fund):
    project = final_project(amount="5000")
    give(project, "1000")
    with pytest.raises(Invalid) as refused:
        request(project, "5000.01")
    assert "5,000.00" in str(refused.value.errors["amount"])  # what is left of the budget
    paid = approved(project, "4000")
    services.mark_paid(paid, person("treasurer"), "BANK-001", local_today())
    with pytest.raises(Invalid):
        request(project, "1000.01")
    assert request(project, "1000").amount_fen == 100000


def test_a_payout_cannot_exceed_the_money_available_to_the_project(fund):
    project = final_project(amount="5000", funded=False)
    money = services.project_money(project)
    assert money.available_fen == money.unrestricted_fen + money.designated_fen
    # Spend all unrestricted money elsewhere first: only the designated gifts remain.
    everything = f"{money.unrestricted_fen // 100}.{money.unrestricted_fen % 100:02d}"
    other = final_project(amount=everything, budget="", title="大额项目", funded=False)
    if money.unrestricted_fen:
        big = approved(other, everything)
        services.mark_paid(big, person("treasurer"), "BANK-BIG", local_today())
    give(project, "300")
    assert services.project_money(project).available_fen == 30000
    with pytest.raises(Invalid) as refused:
        request(project, "300.01")
    assert "300.00" in str(refused.value.errors["amount"])  # all that is available
    assert request(project, "300").status == "requested"


def test_money_goes_only_to_a_final_project(fund):
    draft = proposals.create(proposals.ProposalInput(
        title="未批项目", category="other", description="x", requested="100"), person("member"))
    with pytest.raises(Invalid) as refused:
        services.request(draft, services.PayoutInput("50", "某人", "", "用途"), person("treasurer"))
    assert set(refused.value.errors) == {"proposal_id"}


# --- paying and reversing ----------------------------------------------------------------------

def test_marking_paid_writes_the_ledger_debit_designated_money_first(fund):
    project = final_project(funded=False)
    give(project, "500")
    before = ledger.balances()
    payout = approved(project, "800")
    entries = services.mark_paid(payout, person("treasurer"), "ICBC20261201001", local_today())
    assert payout.status == "paid" and payout.bank_reference == "ICBC20261201001"
    assert {(e.designation_id, e.amount_fen) for e in entries} == {
        (project.designation_id, -50000), (None, -30000)}
    after = ledger.balances()
    assert after.total_fen == before.total_fen - 80000
    assert after.restricted_fen[project.designation_id] == 0
    assert project.status == "in_progress"  # the first money out starts the project


def test_only_an_approved_payout_is_paid_and_only_once(fund):
    project = final_project()
    payout = request(project)
    with pytest.raises(Invalid):
        services.mark_paid(payout, person("treasurer"), "B1", local_today())
    services.approve(payout, person("chair"))
    services.approve(payout, person("supervisor"))
    services.mark_paid(payout, person("treasurer"), "B1", local_today())
    with pytest.raises(Invalid):
        services.mark_paid(payout, person("treasurer"), "B2", local_today())
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == "payout", LedgerEntry.reference.like(f"payout:{payout.id}:%"))) == 1


def test_a_bank_reference_and_a_date_are_required(fund):
    payout = approved(final_project())
    with pytest.raises(Invalid) as refused:
        services.mark_paid(payout, person("treasurer"), " ", None)
    assert set(refused.value.errors) == {"bank_reference", "paid_on"}


def test_a_mistake_is_reversed_with_a_reason_and_the_original_stays(fund):
    project = final_project()
    payout = approved(project)
    services.mark_paid(payout, person("treasurer"), "B9", local_today())
    balance = ledger.balances().total_fen
    with pytest.raises(Invalid):
        services.reverse(payout, person("treasurer"), "")
    services.reverse(payout, person("treasurer"), "重复付款，银行已退回")
    assert payout.status == "reversed"
    assert ledger.balances().total_fen == balance + 80000
    kinds = [(e.kind, e.amount_fen, e.reason) for e in services.ledger_entries(payout)]
    assert kinds == [("payout", -80000, "凉亭木料"), ("reversal", 80000, "重复付款，银行已退回")]
    assert services.project_money(project).paid_fen == 0  # the budget is free again


def test_spending_is_shown_against_each_budget_line(fund):
    project = final_project()
    first, second = project.lines
    p1 = approved(project, "800")
    services.mark_paid(p1, person("treasurer"), "L1", local_today())
    p2 = request(project, "500", budget_line_id=second.id)
    services.approve(p2, person("chair"))
    services.approve(p2, person("supervisor"))
    services.mark_paid(p2, person("treasurer"), "L2", local_today())
    spent = progress.spending(project)
    assert [(ln.item, ln.budget_fen, ln.paid_fen) for ln in spent.lines] == [
        ("材料费", 300000, 80000), ("人工费", 200000, 50000)]
    assert spent.percent_paid == 26


# --- the ledger after the migration ------------------------------------------------------------

def test_ledger_entries_still_cannot_be_changed_or_deleted(fund):
    payout = approved(final_project())
    services.mark_paid(payout, person("treasurer"), "B-TRIG", local_today())
    db.session.commit()
    entry_id = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == "payout"))
    for sql in ("UPDATE ledger_entry SET amount_fen = 1 WHERE id = :id",
                "DELETE FROM ledger_entry WHERE id = :id"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql), {"id": entry_id})
        db.session.rollback()


def test_the_ledger_refuses_an_unknown_kind(fund):
    db.session.add(LedgerEntry(kind="gift", amount_fen=5, reference="x", fund_id=fund.id))
    with pytest.raises(Exception, match="(?i)check"):
        db.session.flush()
    db.session.rollback()


# --- progress and acceptance -------------------------------------------------------------------

def test_progress_updates_completion_and_acceptance(fund):
    project = final_project()
    update = progress.add_update(project, person("treasurer"), "木料已到，开工。", 30,
                                 [(tiny_png(), "开工.png")])
    assert project.status == "in_progress"
    assert progress.evidence_of(update_ids=[update.id])[("update", update.id)][0].is_image
    with pytest.raises(Invalid):  # governance's rule: only the chair marks it completed
        progress.complete(project, person("treasurer"), {"treasurer"})
    progress.complete(project, person("chair"), {"chair"})
    assert project.status == "completed"
    note = progress.write_acceptance(project, person("chair"), "凉亭已修好，验收合格。")
    assert note.motion_id is None
    from app.governance import motions

    motion = motions.open_motion(project, person("chair"), kind="acceptance")
    voted = {b.user_id for b in motions.ballots(motion)}
    for elector in motions.electorate(motion):
        if elector.user_id not in voted and not elector.recused:
            motions.cast(motion, db.session.get(User, elector.user_id), "yes")
    motions.close(motion, person("chair"))
    assert project.status == "accepted"  # governance applies the passed vote
    note = progress.write_acceptance(project, person("chair"), "凉亭已修好，验收合格。")
    assert note.motion_id == motion.id
    with pytest.raises(Invalid):  # accepted with its vote: the note is final
        progress.write_acceptance(project, person("chair"), "改写")


def test_progress_needs_words_and_a_project_under_way(fund):
    project = final_project()
    with pytest.raises(Invalid):
        progress.add_update(project, person("treasurer"), "  ")
    draft = proposals.create(proposals.ProposalInput(
        title="草稿项目", category="other", description="x", requested="100"), person("member"))
    with pytest.raises(Invalid):
        progress.add_update(draft, person("treasurer"), "开工了")


def test_evidence_is_checked_by_content_and_size(fund):
    from app.payouts import files

    with pytest.raises(Invalid):
        files.check(b"MZ\x90\x00 not a photo")
    with pytest.raises(Invalid):
        files.check(b"%PDF-" + b"0" * (5 * 1024 * 1024))
    assert files.check(b"%PDF-1.4 small") == "application/pdf"


# --- pages ---------------------------------------------------------------------------------------

def _setup_project(app) -> tuple[int, int]:
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            project = final_project()
            db.session.commit()
            return project.id, project.lines[0].id


def test_request_page_the_requester_sees_no_approve_button(client, auth, app):
    project_id, line_id = _setup_project(app)
    auth.login(LOGINS["treasurer"])
    page = client.get(f"/f/donggangcun/payouts/new?proposal={project_id}")
    assert page.status_code == 200 and "村口凉亭修缮" in page.get_data(as_text=True)
    response = client.post(f"/f/donggangcun/payouts/new?proposal={project_id}", data={
        "amount": "600", "payee": "东港建材商行", "payee_account": "6222", "purpose": "木料",
        "budget_line_id": str(line_id),
        "files": [(io.BytesIO(tiny_png()), "发票.png")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    detail = client.get(response.location).get_data(as_text=True)
    assert 'id="sign-refusal"' in detail
    assert 'id="sign-form"' not in detail
    payout_id = int(response.location.rstrip("/").split("/")[-1])
    refused = client.post(f"/f/donggangcun/payouts/{payout_id}/approve",
                          data={"decision": "approve"})
    assert refused.status_code == 422  # the service refuses, and says why
    assert 'id="sign-form"' not in refused.get_data(as_text=True)
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            assert db.session.get(Payout, payout_id).status == "requested"


def test_an_invalid_request_answers_422_beside_the_field(client, auth, app):
    project_id, _line = _setup_project(app)
    auth.login(LOGINS["treasurer"])
    response = client.post(f"/f/donggangcun/payouts/new?proposal={project_id}", data={
        "amount": "abc", "payee": "", "purpose": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="amount-error"' in body and 'id="payee-error"' in body


def test_a_file_that_is_not_a_photo_or_pdf_is_refused(client, auth, app):
    project_id, _line = _setup_project(app)
    auth.login(LOGINS["treasurer"])
    response = client.post(f"/f/donggangcun/payouts/new?proposal={project_id}", data={
        "amount": "10", "payee": "x", "purpose": "y",
        "files": [(io.BytesIO(b"MZ evil.exe"), "invoice.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "JPEG" in response.get_data(as_text=True)  # the message names what is allowed


def test_the_ledger_says_where_each_entry_came_from(client, auth, app):
    """Not "payout:3:project" but 拨付 #3, linked to the payout; its reversal names it too."""
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            payout = approved(final_project())
            services.mark_paid(payout, person("treasurer"), "B7", local_today())
            services.reverse(payout, person("treasurer"), "重复付款")
            db.session.commit()
            payout_id = payout.id
        db.session.remove()
    auth.login(LOGINS["treasurer"])
    page = client.get("/f/donggangcun/ledger").get_data(as_text=True)
    link = f'<a href="/f/donggangcun/payouts/{payout_id}">'
    assert f"{link}拨付 #{payout_id}</a>" in page
    assert f"{link}冲正：拨付 #{payout_id}</a>" in page
    assert re.search(r'<a href="/f/donggangcun/donations/\d+">捐赠 #\d+</a>', page)
    assert f"payout:{payout_id}" not in page
