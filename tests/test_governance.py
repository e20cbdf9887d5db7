"""Committees, proposals and votes: the rules of a vote, the pages members use on a phone,
public notice and objections, and the fund-scoped doors of every governance URL."""

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Membership, User
from app.clock import local_today
from app.db_types import utcnow
from app.donations.models import Designation
from app.extensions import db
from app.funds.models import Fund
from app.governance import committees, motions, proposals, rounds, uploads
from app.governance.demo import tiny_png
from app.governance.models import UNDECIDED, Ballot, Elector, Motion, Objection, Proposal
from app.governance.proposals import ProposalInput
from app.jobs import queue
from app.uploads import MAX_BYTES
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, free_port
from .helpers import (
    FUND,
    new_proposal,
    open_vote,
    person,
)


def voters(motion):
    return [db.session.get(User, e.user_id) for e in motions.electorate(motion)]


# --- the electorate -------------------------------------------------------------------------

def test_electorate_is_the_chair_and_members_frozen_at_opening(fund):
    motion = open_vote()
    roles = {e.role for e in motions.electorate(motion)}
    assert roles == {"chair", "member"}  # the supervisor and the secretary do not vote
    assert person("supervisor").id not in {u.id for u in voters(motion)}
    newcomer = committees.appoint(fund, "13911112222", "member", name="新委员")
    assert motions.refusal(motion, newcomer.user_id) is not None
    with pytest.raises(Invalid, match="尚未任委员"):
        motions.cast(motion, newcomer.user, "yes")
    assert len(motions.electorate(motion)) == 6


def test_a_member_whose_term_ends_keeps_the_ballot_but_cannot_cast_again(fund):
    motion = open_vote()
    leaving = person("member")
    motions.cast(motion, leaving, "no")
    term = db.session.scalar(select(Membership).where(Membership.user_id == leaving.id,
                                                      Membership.fund_id == fund.id))
    committees.end_term(term)
    with pytest.raises(Invalid, match="任期已结束"):
        motions.cast(motion, leaving, "yes")
    assert motions.outcome(motion).no == 1


# --- ballots --------------------------------------------------------------------------------

def test_a_vote_can_change_until_close_and_the_history_is_kept(fund):
    motion = open_vote()
    member = person("member")
    motions.cast(motion, member, "no")
    motions.cast(motion, member, "yes")
    motions.cast(motion, member, "yes")  # the same vote again changes nothing
    assert db.session.scalars(select(Ballot).where(Ballot.motion_id == motion.id)).all()[0] \
        .choice == "yes"
    assert [(h.action, h.previous, h.choice) for h in motions.history(motion)] == [
        ("cast", None, "no"), ("change", "no", "yes")]


def test_the_database_allows_one_ballot_per_member_per_motion(fund):
    from sqlalchemy.exc import IntegrityError

    motion = open_vote()
    member = person("member")
    motions.cast(motion, member, "yes")
    db.session.add(Ballot(motion_id=motion.id, user_id=member.id, choice="no"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_ballot_after_the_close_is_refused_with_a_message(fund):
    motion = open_vote()
    later = utcnow() + timedelta(days=4)
    with pytest.raises(Invalid, match="表决已结束"):
        motions.cast(motion, person("member"), "yes", now=later)
    assert motion.status == "closed" and motion.closed_by_id is None  # closed by the deadline


def test_a_recused_member_leaves_the_denominators_and_the_record_says_why(fund):
    motion = open_vote()
    member = person("member")
    motions.cast(motion, member, "yes")
    motions.recuse(motion, member, "申请人是我的表弟")
    outcome = motions.outcome(motion)
    assert outcome.recused == 1 and outcome.eligible == 5 and outcome.yes == 0
    assert motions.history(motion)[-1].action == "recuse"
    with pytest.raises(Invalid, match="回避"):
        motions.cast(motion, member, "yes")
    with pytest.raises(Invalid, match="请说明您的利益关系"):
        motions.recuse(motion, person("chair"), " ")


def test_offline_ballots_need_evidence_and_stay_unconfirmed_until_the_member_confirms(fund):
    motion = open_vote()
    secretary, member = person("secretary"), person("member")
    with pytest.raises(Invalid) as refused:
        motions.record_offline(motion, secretary, member.id, "yes", None)
    assert "evidence" in refused.value.errors
    evidence = uploads.save(fund.id, tiny_png(), "minutes.png", "minutes", secretary,
                            motion_id=motion.id)
    ballot = motions.record_offline(motion, secretary, member.id, "yes", evidence)
    assert ballot.offline and not ballot.confirmed and ballot.recorded_by_id == secretary.id
    assert motions.outcome(motion).yes == 0  # not counted until the member confirms it
    motions.confirm(motion, member)
    assert ballot.confirmed and motions.outcome(motion).yes == 1
    with pytest.raises(Invalid):
        motions.confirm(motion, member)


def _minutes(fund, secretary, motion):
    return uploads.save(fund.id, tiny_png(), "minutes.png", "minutes", secretary,
                        motion_id=motion.id)


def test_the_secretary_cannot_overwrite_a_confirmed_ballot_or_a_members_own(fund):
    motion = open_vote()
    secretary, member, chair = person("secretary"), person("member"), person("chair")
    motions.record_offline(motion, secretary, member.id, "no", _minutes(fund, secretary, motion))
    # A mistake in an unconfirmed entry can still be put right by the secretary...
    motions.record_offline(motion, secretary, member.id, "yes", _minutes(fund, secretary, motion))
    motions.confirm(motion, member)
    # ...but not once the member has confirmed it.
    with pytest.raises(Invalid) as confirmed:
        motions.record_offline(motion, secretary, member.id, "no",
                               _minutes(fund, secretary, motion))
    assert "member_id" in confirmed.value.errors
    motions.cast(motion, chair, "no")
    with pytest.raises(Invalid) as own:
        motions.record_offline(motion, secretary, chair.id, "yes",
                               _minutes(fund, secretary, motion))
    assert "member_id" in own.value.errors
    counted = {b.user_id: b.choice for b in motions.ballots(motion)}
    assert counted[member.id] == "yes" and counted[chair.id] == "no"


def test_unconfirmed_ballots_neither_let_the_chair_close_nor_count_at_the_close(fund, app):
    motion = open_vote()
    secretary, member, chair = person("secretary"), person("member"), person("chair")
    for user in voters(motion):
        if user.id != member.id:
            motions.cast(motion, user, "no")
    motions.record_offline(motion, secretary, member.id, "yes", _minutes(fund, secretary, motion))
    assert not motions.everyone_voted(motion)  # the member has not confirmed yet
    with pytest.raises(Invalid, match="尚有委员未投票"):
        motions.close(motion, chair)
    result = motions.close(motion, None, now=motion.deadline)  # still unconfirmed
    assert result.voted == len(voters(motion)) - 1 and result.yes == 0
    with pytest.raises(Invalid):  # too late: the vote is closed
        motions.confirm(motion, member, now=motion.deadline + timedelta(minutes=1))
    assert [b.user_id for b in motions.ballots(motion) if not b.confirmed] == [member.id]
    resolution_id = motion.id
    db.session.commit()
    page = app.test_client().get(f"/f/{FUND}/resolutions/{resolution_id}").get_data(as_text=True)
    assert "unconfirmed, not counted" in page or "未确认，不计入" in page


def test_the_motion_page_shows_a_ballot_awaiting_confirmation(client, auth, app):
    motion_id = _open_motion_id(app)  # the demo's open vote has an offline ballot
    auth.login(LOGINS["chair"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    page = client.get(f"/f/{FUND}/motions/{motion_id}").get_data(as_text=True)
    assert "recorded at a meeting, awaiting confirmation" in page
    assert "awaiting the member's confirmation, not counted yet: 1." in page


def test_the_chair_closes_early_only_when_everyone_has_voted(fund):
    motion = open_vote()
    chair = person("chair")
    with pytest.raises(Invalid, match="尚有委员未投票"):
        motions.close(motion, chair)
    for user in voters(motion):
        motions.cast(motion, user, "yes")
    result = motions.close(motion, chair)
    assert result.passed and motion.passed and motion.closed_by_id == chair.id
    proposal = db.session.get(Proposal, motion.proposal_id)
    assert proposal.status == "approved"


def test_the_worker_closes_due_votes_and_ends_notice_periods_every_minute(app):
    from app.jobs.services import run_every_minute

    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            decided = open_vote()
            for user in voters(decided):
                motions.cast(decided, user, "yes")
            motions.close(decided, person("chair"))
            on_notice = db.session.get(Proposal, decided.proposal_id)
            proposals.move(on_notice, "notice", person("chair"), {"chair"})
            overdue = open_vote()
            ids = (on_notice.id, overdue.id, overdue.proposal_id)
            db.session.commit()
        run_every_minute(utcnow() + timedelta(days=6))  # past the deadline and the notice
        with using(SYSTEM):
            assert db.session.get(Proposal, ids[0]).status == "final"
            assert db.session.get(Motion, ids[1]).status == "closed"
            assert db.session.get(Proposal, ids[2]).status == "rejected"  # nobody voted
            assert not db.session.scalars(select(Motion).where(Motion.status == "open")).all()


def test_close_due_motions_closes_every_fund_and_a_motion_is_closed_when_looked_at(app):
    with app.app_context():
        with using(SYSTEM):
            due = db.session.scalars(select(Motion).where(Motion.status == "open")).all()
            assert {m.fund_id for m in due} == set(db.session.scalars(select(Fund.id)))
        closed = motions.close_due_motions(utcnow() + timedelta(days=3))
        assert closed == len(due)
        with using(SYSTEM):
            assert not db.session.scalars(select(Motion).where(Motion.status == "open")).all()
            voting = db.session.scalars(select(Proposal).where(Proposal.status == "voting"))
            assert not voting.all()


@pytest.mark.config(HUEY_IMMEDIATE=True)  # the mail task runs at the commit, in this process
def test_reminders_go_once_to_members_who_have_not_voted(app):
    with app.app_context():
        outbox = app.config["OUTBOX_DIR"]
        soon = utcnow() + timedelta(days=1, hours=12)
        assert motions.send_due_reminders(soon) >= 1  # 陈美玲 has an email and has not voted
        mails = [p.read_bytes().decode() for p in outbox.glob("*.eml")]
        assert any("chenmeiling@example.cn" in m for m in mails)
        assert motions.send_due_reminders(soon) == 0  # once per motion


@pytest.mark.config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),  # nothing listens there
                   HUEY_IMMEDIATE=True)
def test_reminders_are_tried_once_when_the_mail_server_is_down(app):
    with app.app_context():
        soon = utcnow() + timedelta(days=1, hours=12)
        assert motions.send_due_reminders(soon) >= 1  # no error: the failure is logged
        with using(SYSTEM):
            reminded = db.session.scalars(select(Motion).where(
                Motion.status == "open", Motion.reminded_at.is_not(None))).all()
        assert reminded  # recorded, so the next minute does not try again
        assert motions.send_due_reminders(soon) == 0


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_one_refused_address_does_not_stop_the_other_reminders(fund, app):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.to = []

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == "chenmeiling@example.cn":
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.to.extend(envelope.rcpt_tos)
            return "250 OK"

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        person("member").email = "zhangguilan@example.cn"
        motion = motions.open_motion(new_proposal(), person("chair"),
                                     deadline=utcnow() + timedelta(hours=30))
        motion_id = motion.id
        db.session.commit()
        motions.send_due_reminders(utcnow() + timedelta(hours=12))
        assert "zhangguilan@example.cn" in inbox.to
        assert db.session.get(Motion, motion_id).reminded_at is not None
        received = len(inbox.to)
        motions.send_due_reminders(utcnow() + timedelta(hours=13))
        assert len(inbox.to) == received  # each motion's reminder goes once
    finally:
        controller.stop()


def discussion_proposal_id(app) -> int:
    """A 东港村 proposal under discussion: the chair may put it to a vote."""
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            return db.session.scalar(select(Proposal.id).where(Proposal.status == "discussion"))


@pytest.mark.config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),  # nothing listens there
                   HUEY_IMMEDIATE=True)
def test_a_vote_opens_even_when_the_mail_server_is_down(client, auth, app):
    pid = discussion_proposal_id(app)
    auth.login(LOGINS["chair"])
    response = client.post(f"/f/{FUND}/proposals/{pid}/motions", data={"kind": "proposal"})
    assert response.status_code == 302 and "/motions/" in response.location
    assert client.get(response.location).status_code == 200
    with app.app_context(), using(SYSTEM):
        motion = db.session.scalar(select(Motion).where(Motion.proposal_id == pid,
                                                        Motion.status == "open"))
        electors = motions.electorate(motion)
        assert electors and all(e.reminded_at is not None for e in electors)


@pytest.mark.config(HUEY_IMMEDIATE=True)
def test_opening_a_vote_mails_the_members(client, auth, app):
    pid = discussion_proposal_id(app)
    auth.login(LOGINS["chair"])
    response = client.post(f"/f/{FUND}/proposals/{pid}/motions", data={"kind": "proposal"})
    assert response.status_code == 302
    assert "/motions/" in response.location
    mails = [p.read_bytes().decode() for p in app.config["OUTBOX_DIR"].glob("*.eml")]
    assert any("chenmeiling@example.cn" in m for m in mails)


@pytest.mark.config(HUEY_NAME=f"shanlin-test-{uuid.uuid4().hex[:8]}")
def test_committee_mail_is_queued_for_the_worker_not_sent_in_the_request(client, auth, app):
    pid = discussion_proposal_id(app)
    auth.login(LOGINS["chair"])
    response = client.post(f"/f/{FUND}/proposals/{pid}/motions", data={"kind": "proposal"})
    assert response.status_code == 302
    outbox = app.config["OUTBOX_DIR"]
    assert not list(outbox.glob("*.eml"))  # the page did not wait for the mail server
    huey = queue.get(app).huey
    try:
        tasks = huey.pending()
        assert tasks and {task.name for task in tasks} == {"deliver_notice"}
        for task in tasks:
            huey.execute(task)  # what the worker does
        mails = [p.read_bytes().decode() for p in outbox.glob("*.eml")]
        assert any("chenmeiling@example.cn" in m for m in mails)
    finally:
        huey.flush()


# --- proposals and their states ---------------------------------------------------------------

def test_every_transition_is_recorded_and_wrong_ones_are_refused(fund):
    from app.governance.models import ProposalEvent

    proposal = new_proposal(submit=False)
    assert proposal.status == "draft"
    proposals.move(proposal, "submitted", person("member"), {"member"})
    with pytest.raises(Invalid):
        proposals.move(proposal, "discussion", person("member"), {"member"})  # chair only
    proposals.move(proposal, "discussion", person("chair"), {"chair"})
    with pytest.raises(Invalid):
        proposals.transition(proposal, "final", person("chair"))
    events = db.session.scalars(select(ProposalEvent).where(
        ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "discussion")]
    assert events[1].by_id == person("member").id and events[2].by_id == person("chair").id


def test_budget_lines_must_add_up_to_the_amount(fund):
    with pytest.raises(Invalid) as refused:
        proposals.create(ProposalInput(title="助餐", category="elderly", description="x",
                                       requested="100", budget="餐费 60\n车 30"),
                         person("member"))
    assert "budget" in refused.value.errors
    made = proposals.create(ProposalInput(title="助餐", category="elderly", description="x",
                                          requested="100", budget="餐费 60\n送餐车：40 元"),
                            person("member"))
    assert [(line.item, line.amount_fen) for line in made.lines] == [("餐费", 6000),
                                                                     ("送餐车", 4000)]


def test_approved_project_goes_on_notice_then_final_and_donors_can_choose_it(fund, app):
    motion = open_vote()
    for user in voters(motion):
        motions.cast(motion, user, "yes")
    motions.close(motion, person("chair"))
    proposal = db.session.get(Proposal, motion.proposal_id)
    proposals.move(proposal, "notice", person("chair"), {"chair"})
    assert proposal.status == "notice" and proposal.designation_id is None
    assert not proposals.finalize_if_due(proposal)  # the period is not over
    proposals.finalize_if_due(proposal, utcnow() + timedelta(days=5, minutes=1))
    designation = db.session.get(Designation, proposal.designation_id)
    assert proposal.status == "final" and designation.active
    assert designation.name == "村口路灯维修"
    from app.donations.models import Batch
    from app.payments.services import open_designations

    assert designation in open_designations()  # the online donation form's choices
    batch_id = db.session.scalar(select(Batch.id).where(Batch.status == "open"))
    designation_id = designation.id
    db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"login": LOGINS["treasurer"],
                                     "password": "demo-password-1"})
    batch_page = client.get(f"/f/{FUND}/batches/{batch_id}").get_data(as_text=True)
    assert f'value="{designation_id}">村口路灯维修' in batch_page


def test_an_open_objection_holds_the_project_and_an_upheld_one_sends_it_back_to_a_vote(fund):
    notice = db.session.scalar(select(Proposal).where(Proposal.status == "notice"))
    objection = db.session.scalar(select(Objection).where(Objection.proposal_id == notice.id))
    assert not proposals.finalize_if_due(notice, notice.notice_until + timedelta(minutes=1))
    motion = proposals.decide_objection(objection, person("chair"), uphold=True,
                                        note="电动车确实可以借")
    assert notice.status == "voting" and motion.status == "open"
    assert objection.status == "upheld" and objection.decided_by_id == person("chair").id


def test_objections_are_only_taken_during_the_notice_period(fund):
    notice = db.session.scalar(select(Proposal).where(Proposal.status == "notice"))
    with pytest.raises(Invalid) as refused:
        proposals.file_objection(notice, "", "123", "")
    assert set(refused.value.errors) == {"name", "phone", "body"}
    with pytest.raises(Invalid, match="公示期已结束"):
        proposals.file_objection(notice, "钱师傅", "13987654321", "太贵",
                                 now=notice.notice_until + timedelta(seconds=1))


def test_rules_change_only_between_votes(fund):
    rules = committees.rules_of(fund.id)
    data = committees.RulesInput(quorum="1/2", threshold="all", two_thirds_above="20000")
    with pytest.raises(Invalid, match="有表决正在进行"):
        committees.update_rules(rules, data, person("chair"))
    for motion in db.session.scalars(select(Motion).where(Motion.status == "open")):
        motions.close(motion, None, now=motion.deadline)
    committees.update_rules(rules, data, person("chair"))
    motion = open_vote()
    assert (motion.quorum_num, motion.quorum_den, motion.threshold,
            motion.two_thirds_above_fen) == (1, 2, "all", 2_000_000)


def test_the_database_allows_one_open_motion_per_proposal(fund):
    from sqlalchemy.exc import IntegrityError

    motion = open_vote()
    with pytest.raises(Invalid, match="已有正在进行的表决"):
        motions.open_motion(db.session.get(Proposal, motion.proposal_id), person("chair"))
    columns = {c.name: getattr(motion, c.name) for c in Motion.__table__.columns
               if c.name != "id"}
    db.session.add(Motion(**columns))  # the check above bypassed: the index still refuses
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_proposal_that_leaves_the_candidates_is_excluded_from_the_round(fund, app):
    chair, member = person("chair"), person("member")
    a, b, c = (new_proposal(t, amt)
               for t, amt in [("甲项目", "500"), ("乙项目", "300"), ("丙项目", "400")])
    round_ = rounds.open_round("2027 年度项目", "1200", [a.id, b.id, c.id], chair)
    for user in (chair, member):
        rounds.approve(round_, user, [a.id, c.id])
    proposals.move(c, "withdrawn", member, {"member"})  # the most approved, now withdrawn
    assert [cand.proposal_id for cand in rounds.candidates(round_)] == [a.id, b.id]
    steps = rounds.close_round(round_, chair)
    assert {s.candidate.proposal_id for s in steps if s.selected} == {a.id}
    assert c.id not in {s.candidate.proposal_id for s in steps}
    assert (a.status, b.status, c.status) == ("approved", "submitted", "withdrawn")
    assert [(e.proposal_id, state) for e, state in rounds.excluded(round_)] == [
        (c.id, "withdrawn")]
    round_id = round_.id
    db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"login": LOGINS["chair"], "password": "demo-password-1"})
    client.post("/lang", data={"lang": "en", "next": "/"})
    page = client.get(f"/f/{FUND}/rounds/{round_id}").get_data(as_text=True)
    excluded = page.split('id="excluded"')[1]
    assert "丙项目" in excluded and "no longer a candidate: Withdrawn" in excluded


def test_ids_too_big_for_the_database_are_refused_with_a_message(client, auth, app):
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            pids = db.session.scalars(select(Proposal.id).where(
                Proposal.status.in_(UNDECIDED))).all()[:2]
            round_id = rounds.open_round("2026 年度项目", "5000", pids, person("chair")).id
            db.session.commit()
    auth.login(LOGINS["chair"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    huge = "99999999999999999999"
    response = client.post(f"/f/{FUND}/rounds/", data={
        "title": "2027 年度项目", "budget": "1000", "proposal_ids": [*pids, huge]})
    assert response.status_code == 422
    assert "Choose proposals from the list." in response.get_data(as_text=True)
    approve = client.post(f"/f/{FUND}/rounds/{round_id}/approve",
                          data={"proposal_ids": [pids[0], huge]})
    assert approve.status_code == 422
    assert "Choose proposals from the list." in approve.get_data(as_text=True)


def test_round_close_approves_the_greedy_selection(fund):
    chair = person("chair")
    a, b, c = (new_proposal(t, amt)
               for t, amt in [("甲项目", "500"), ("乙项目", "300"), ("丙项目", "400")])
    round_ = rounds.open_round("2027 年度项目", "800", [a.id, b.id, c.id], chair)
    rounds.approve(round_, chair, [a.id, b.id])
    rounds.approve(round_, person("member"), [a.id, c.id])
    steps = rounds.close_round(round_, chair)
    assert [s.candidate.proposal_id for s in steps if s.selected] == [a.id, b.id]
    assert (a.status, b.status, c.status) == ("approved", "approved", "submitted")
    with pytest.raises(Invalid):
        rounds.approve(round_, chair, [c.id])


# --- uploads ---------------------------------------------------------------------------------

def test_uploads_are_checked_by_content_and_size(fund):
    member = person("member")
    for data in [b"", b"GIF89a....", b"<html>", b"\xff\xd8\xff" + b"0" * MAX_BYTES]:
        with pytest.raises(Invalid):
            uploads.save(fund.id, data, "photo.jpg", "photo", member)
    pdf = uploads.save(fund.id, b"%PDF-1.4 quote", "报价单.exe", "quote", member)
    assert pdf.content_type == "application/pdf" and uploads.read(pdf).startswith(b"%PDF")


def test_an_upload_of_a_kind_the_form_does_not_offer_is_refused_beside_the_field(fund):
    from app.governance.models import Attachment

    before = db.session.scalar(select(func.count(Attachment.id)))
    for kind in ["<script>alert(1)</script>", "9" * 30]:  # longer than the column, too
        with pytest.raises(Invalid) as refused:
            uploads.save(fund.id, b"%PDF-1.4 quote", "q.pdf", kind, person("member"))
        assert "kind" in refused.value.errors
    assert db.session.scalar(select(func.count(Attachment.id))) == before


def test_a_withdrawn_proposal_takes_no_more_files(client, auth, app):
    from app.governance.models import Attachment

    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        fund_id = dgc.id
        with using(fund_scope(fund_id)):
            member = person("member")
            proposal = new_proposal(user=member)
            proposals.move(proposal, "withdrawn", member, {"member"})  # the proposer withdraws
            db.session.commit()
            pid = proposal.id
    auth.login(LOGINS["member"])
    upload = f"/f/{FUND}/proposals/{pid}/files"
    assert f'action="{upload}"' not in client.get(f"/f/{FUND}/proposals/{pid}").text
    # Posted anyway (a page opened before the withdrawal): refused beside the field.
    refused = client.post(upload, content_type="multipart/form-data",
                          data={"kind": "quote", "file": (io.BytesIO(b"%PDF-1.4 quote"), "q.pdf")})
    assert refused.status_code == 422
    assert "该提案已撤回或已关闭，不再接收文件。" in refused.text  # beside the field, shown again
    with app.app_context(), using(fund_scope(fund_id)):
        assert db.session.scalars(select(Attachment).where(
            Attachment.proposal_id == pid)).all() == []


def test_files_are_served_only_inside_their_fund(client, auth, app):
    from app.governance.models import Attachment

    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            minutes = db.session.scalar(select(Attachment.id))
    auth.login(LOGINS["two_funds"])  # a member of both 东港村 and 南塘村
    shown = client.get(f"/f/{FUND}/files/{minutes}")
    assert shown.status_code == 200 and shown.data.startswith(b"\xff\xd8\xff")  # the demo's photo
    assert shown.headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/f/nantangcun/files/{minutes}").status_code == 404


# --- pages -----------------------------------------------------------------------------------

def _open_motion_id(app) -> int:
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            return db.session.scalar(select(Motion.id).where(Motion.status == "open"))


def test_a_member_votes_in_two_taps_and_sees_it_confirmed(client, auth, app):
    motion_id = _open_motion_id(app)
    auth.login(LOGINS["member"])
    page = client.get(f"/f/{FUND}/motions/{motion_id}").get_data(as_text=True)
    assert 'name="choice" value="yes"' in page and 'id="cast"' in page
    response = client.post(f"/f/{FUND}/motions/{motion_id}/vote", data={"choice": "no"},
                           headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200
    assert 'data-choice="no"' in response.get_data(as_text=True)
    changed = client.post(f"/f/{FUND}/motions/{motion_id}/vote", data={"choice": "yes"})
    assert changed.status_code == 302
    assert 'data-choice="yes"' in client.get(f"/f/{FUND}/motions/{motion_id}").get_data(
        as_text=True)
    bad = client.post(f"/f/{FUND}/motions/{motion_id}/vote", data={"choice": "maybe"})
    assert bad.status_code == 422


def test_the_supervisor_sees_the_ballot_history_and_cannot_vote(client, auth, app):
    motion_id = _open_motion_id(app)
    auth.login(LOGINS["supervisor"])
    page = client.get(f"/f/{FUND}/motions/{motion_id}").get_data(as_text=True)
    assert "Ballot history" in page or "投票记录" in page
    assert 'id="cast"' not in page
    assert client.post(f"/f/{FUND}/motions/{motion_id}/vote",
                       data={"choice": "yes"}).status_code == 403


def test_live_counts_are_hidden_unless_the_rules_show_them(client, auth, app):
    motion_id = _open_motion_id(app)
    auth.login(LOGINS["member"])
    partial = client.get(f"/f/{FUND}/motions/{motion_id}",
                         headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="tally"') and 'id="count-yes"' in body
    assert 'hx-trigger="every 5s"' in body
    with app.app_context(), using(SYSTEM):
        db.session.get(Motion, motion_id).live_results = False
        db.session.commit()
    hidden = client.get(f"/f/{FUND}/motions/{motion_id}").get_data(as_text=True)
    assert 'id="count-yes"' not in hidden


def test_the_resolution_is_public_after_the_close_and_has_a_pdf(client, app):
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            recusal = db.session.scalar(select(Motion).join(
                Elector, Elector.motion_id == Motion.id).where(Elector.recused))
            rid, open_id = recusal.id, db.session.scalar(
                select(Motion.id).where(Motion.status == "open"))
    page = client.get(f"/f/{FUND}/resolutions/{rid}").get_data(as_text=True)
    assert "申请人是本人的亲属" in page
    assert "1 recused" in page or "1 名回避" in page
    assert client.get(f"/f/{FUND}/resolutions/{open_id}").status_code == 404
    pdf = client.get(f"/f/{FUND}/resolutions/{rid}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_villager_proposes_through_the_public_form(client, app):
    page = client.get(f"/f/{FUND}/propose")
    assert page.status_code == 200
    missing = client.post(f"/f/{FUND}/propose", data={"title": "x"})
    assert missing.status_code == 422
    sent = client.post(f"/f/{FUND}/propose", data={
        "proposer_name": "何阿婆", "proposer_phone": "138 1234 5678", "title": "老年活动室门口扶手",
        "category": "elderly", "description": "台阶太陡", "requested": "800",
        "photo": (io.BytesIO(tiny_png()), "photo.png")}, content_type="multipart/form-data")
    assert sent.status_code == 200
    with app.app_context(), using(SYSTEM):
        made = db.session.scalar(select(Proposal).where(Proposal.title == "老年活动室门口扶手"))
        assert made.status == "submitted" and made.proposer_phone == "13812345678"


@pytest.mark.config(RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="2 per minute")
def test_public_forms_are_rate_limited(client, app):
    with app.app_context(), using(SYSTEM):
        pid = db.session.scalar(select(Proposal.id).join(Fund).where(
            Fund.slug == FUND, Proposal.status == "notice"))
    codes = [client.post(f"/f/{FUND}/projects/{pid}/objection", data={}).status_code
             for _ in range(3)]
    assert codes == [422, 422, 429]


def test_an_objection_from_the_public_page(client, app):
    with app.app_context(), using(SYSTEM):
        pid = db.session.scalar(select(Proposal.id).join(Fund).where(
            Fund.slug == FUND, Proposal.status == "notice"))
    assert client.get(f"/f/{FUND}/public").status_code == 200
    page = client.get(f"/f/{FUND}/projects/{pid}")
    assert page.status_code == 200
    sent = client.post(f"/f/{FUND}/projects/{pid}/objection", data={
        "name": "钱师傅", "phone": "13987654321", "body": "预算偏高"})
    assert sent.status_code == 302
    with app.app_context(), using(SYSTEM):
        assert db.session.scalar(select(Objection).where(Objection.body == "预算偏高"))


def test_the_township_admin_appoints_and_replaces_with_history(client, auth, app):
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        old = db.session.scalar(select(Membership).where(
            Membership.fund_id == dgc.id, Membership.user_id == person("member").id))
        old_id, fund_id = old.id, dgc.id
    auth.login(LOGINS["chair"])
    assert client.get("/t/luwan/committees").status_code == 403
    auth.logout()
    auth.login(LOGINS["this_township_admin"])
    response = client.post("/t/luwan/committees", data={
        "fund_id": fund_id, "login": "13911113333", "name": "钱新委", "role": "member",
        "replaces": old_id})
    assert response.status_code == 302
    page = client.get(f"/f/{FUND}/committee").get_data(as_text=True)
    assert "钱新委" in page
    with app.app_context(), using(SYSTEM):
        ended = db.session.get(Membership, old_id)
        assert ended.end_date == local_today() - timedelta(days=1)

