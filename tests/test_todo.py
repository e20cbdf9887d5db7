"""待我处理: each kind of item reaches the person who can act on it and nobody else, is one
tap from its page, goes away when done, is counted in the header, spans a person's funds on the
home page, and the overview reads it in a number of queries that does not grow with the items."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import event, select

from app.auth import invitations
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_today
from app.db_types import utcnow
from app.donations import batches
from app.donations import services as donations
from app.donations.models import Donation
from app.donations.services import DonationFilter, filtered_totals
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.governance import motions, proposals, uploads
from app.governance.demo import tiny_png
from app.governance.models import Motion, Objection
from app.governance.proposals import ProposalInput
from app.payouts import services as payouts
from app.payouts.models import Payout
from app.receipts import services as receipts
from app.todo.services import RECEIPT_WINDOW, Waiting, count_of, forget, waiting_for
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS
from .helpers import person

FUND = "donggangcun"


def kinds(key: str, fund: Fund | None = None, **kw) -> dict[str, list]:
    """Waiting kind -> the items of that kind, for one of the demo's people."""
    found: dict[str, list] = {}
    for item in waiting_for(person(key), [fund.id] if fund else None, **kw):
        found.setdefault(item.kind.value, []).append(item)
    return found


@contextmanager
def dgc(app):
    """An app context inside 东港村's scope, as a job or a POST writes (a GET may not)."""
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            yield fund


def new_motion(title: str) -> Motion:
    proposal = proposals.create(ProposalInput(title=title, category="environment",
                                              description="路灯坏了三盏", requested="3600"),
                                person("member"), submit=True)
    return motions.open_motion(proposal, person("chair"))


def recent_gifts(app, n: int = 2) -> None:
    """n cash gifts from a known donor, recorded today (the demo's may all be older)."""
    with dgc(app):
        donor = db.session.scalars(select(Donor).where(Donor.kind == "person")
                                   .order_by(Donor.id)).first()
        for _ in range(n):
            donations.record_offline(donations.DonationInput(
                amount="50", channel="cash", received_on=local_today(), donor_id=donor.id),
                person("treasurer"))
        db.session.commit()


# --- who sees what ------------------------------------------------------------------------------

def test_a_member_sees_a_vote_with_its_deadline_until_they_vote(app):
    with dgc(app) as fund:
        motion = new_motion("村口路灯维修")
        votes = {i.params["motion_id"]: i for i in kinds("member", fund)["vote"]}
        assert votes[motion.id].deadline == motion.deadline
        assert votes[motion.id].line == motion.title
        assert motion.id not in {i.params.get("motion_id")
                                 for i in waiting_for(person("supervisor"), [fund.id])}
        motions.cast(motion, person("member"), "yes")
        assert motion.id not in {i.params["motion_id"] for i in kinds("member")["vote"]}


def test_a_recused_member_is_not_asked_to_vote(app):
    with dgc(app):
        motion = new_motion("村口路灯维修")
        motions.recuse(motion, person("member"), "我家在路口")
        assert motion.id not in {i.params["motion_id"] for i in kinds("member").get("vote", [])}


def test_a_ballot_recorded_at_a_meeting_waits_for_the_members_confirmation(app):
    with dgc(app) as fund:
        motion = new_motion("村口路灯维修")
        secretary, member = person("secretary"), person("member")
        minutes = uploads.save(fund.id, tiny_png(), "minutes.png", "minutes", secretary,
                               motion_id=motion.id)
        motions.record_offline(motion, secretary, member.id, "yes", minutes)
        assert motion.id in {i.params["motion_id"] for i in kinds("member")["confirm"]}
        assert motion.id not in {i.params["motion_id"] for i in kinds("member")["vote"]}
        motions.confirm(motion, member)
        assert "confirm" not in kinds("member")


def test_the_chair_sees_open_objections_and_members_do_not(app):
    with dgc(app):
        objections = kinds("chair")["objection"]
        open_ones = db.session.scalars(select(Objection).where(Objection.status == "open")).all()
        assert sum(i.count for i in objections) == len(open_ones) > 0
        assert {i.params["proposal_id"] for i in objections} == {o.proposal_id for o in open_ones}
        for other in ("member", "treasurer", "supervisor", "secretary"):
            assert "objection" not in kinds(other)


def test_the_requester_never_sees_their_own_payout_to_approve(app):
    with dgc(app):
        treasurer, social_worker = person("treasurer"), person("social_worker")
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        payouts.update_rules(fund_id, ["chair", "supervisor", "treasurer"], 2, person("chair"))
        waiting = db.session.scalars(select(Payout).where(Payout.status == "requested")).all()
        assert waiting and all(p.requested_by_id == treasurer.id for p in waiting)
        assert "payout" not in kinds("treasurer")  # they asked for every one of them
        shown = {i.params["payout_id"] for i in kinds("supervisor")["payout"]}
        assert shown == {p.id for p in waiting}
        # One asked by the social worker is the treasurer's to sign; never the social worker's.
        project = waiting[0].proposal
        theirs = payouts.request(project, payouts.PayoutInput(
            amount="10", payee="村超市", payee_account="", purpose="纸杯",
            budget_line_id=project.lines[0].id if project.lines else None), social_worker)
        assert [i.params["payout_id"] for i in kinds("treasurer")["payout"]] == [theirs.id]
        assert "payout" not in kinds("social_worker")  # not a signer, and the requester
        assert "payout" not in kinds("member")  # not named by the rules


def test_a_signed_payout_leaves_the_signers_list(app):
    with dgc(app):
        supervisor = person("supervisor")
        first = kinds("supervisor")["payout"][0]
        payouts.approve(db.session.get(Payout, first.params["payout_id"]), supervisor)
        assert first.params["payout_id"] not in {
            i.params["payout_id"] for i in kinds("supervisor").get("payout", [])}


def test_the_treasurer_sees_a_batch_open_since_yesterday_not_one_opened_today(app):
    with dgc(app):
        def open_batch(title):
            return batches.open_batch(batches.BatchInput(
                title=title, channel="cash", received_on=local_today(), counted_total="100"),
                person("treasurer"))

        today = open_batch("今天的募捐箱")
        assert "batch" not in kinds("treasurer")
        old = open_batch("昨天的募捐箱")
        old.created_at = utcnow() - timedelta(days=1, minutes=1)
        db.session.flush()
        [item] = kinds("treasurer")["batch"]
        assert (item.endpoint, item.params, item.count) == ("donations.batch",
                                                            {"batch_id": old.id}, 1)
        assert "batch" in kinds("social_worker")
        assert "batch" not in kinds("chair")
        today.created_at = old.created_at
        db.session.flush()
        [item] = kinds("treasurer")["batch"]
        assert (item.endpoint, item.count) == ("donations.batches", 2)
        batches.add_row(old, batches.RowInput(amount="100", notes=""), person("treasurer"))
        batches.close_batch(old, person("treasurer"))
        assert kinds("treasurer")["batch"][0].count == 1


def test_the_treasurer_sees_recent_gifts_waiting_for_a_receipt_as_the_list_shows_them(app):
    recent_gifts(app)
    with dgc(app):
        [item] = kinds("treasurer")["receipt"]
        assert item.since == local_today() - RECEIPT_WINDOW
        count, _total = filtered_totals(DonationFilter(receipt="missing", date_from=item.since))
        assert item.count == count > 1
        assert filtered_totals(DonationFilter(receipt="missing"))[0] > count  # older ones too
        assert (item.endpoint, item.params) == (
            "donations.index", {"receipt": "missing", "from": item.since.isoformat()})
        assert "receipt" not in kinds("member") and "receipt" not in kinds("chair")


def test_the_donations_list_filters_the_gifts_waiting_for_a_receipt(client, auth, app):
    with dgc(app):
        waiting, _total = filtered_totals(DonationFilter(receipt="missing"))
        everything, _total = filtered_totals(DonationFilter())
    assert 0 < waiting < everything
    auth.login(LOGINS["treasurer"])
    page = client.get(f"/f/{FUND}/donations/?receipt=missing").get_data(as_text=True)
    assert f"{waiting} 笔捐赠" in page


def test_a_receipt_issued_or_waived_takes_the_gift_off_the_list(app):
    recent_gifts(app)
    with dgc(app):
        [item] = kinds("treasurer")["receipt"]
        gifts = db.session.scalars(select(Donation).where(
            Donation.received_on >= item.since, *receipts.waiting_for_receipt())
            .order_by(Donation.id)).all()
        assert item.count == len(gifts) >= 2
        receipts.waive(gifts[1])
        for gift in gifts[2:]:
            receipts.issue(gift, user=person("treasurer"))
        [item] = kinds("treasurer")["receipt"]
        assert (item.count, item.endpoint, item.params) == (
            1, "receipts.issue", {"donation_id": gifts[0].id})
        receipts.issue(gifts[0], user=person("treasurer"))
        assert "receipt" not in kinds("treasurer")


def test_a_report_due_within_a_month_shows_to_who_publishes_it(app):
    with dgc(app) as fund:
        year = local_today().year + 1
        may = datetime(year, 5, 15, 4, tzinfo=UTC)
        reports = kinds("chair", fund, now=may)["report"]
        annual = [i for i in reports if i.params == {} and i.due.month == 5]
        assert annual and annual[0].due.isoformat() == f"{year}-05-31"
        assert not annual[0].overdue
        assert "report" in kinds("treasurer", fund, now=may)
        assert "report" not in kinds("member", fund, now=may)


def test_a_member_of_another_fund_sees_nothing_of_this_fund(app):
    with app.app_context(), using(SYSTEM):
        ntc = db.session.scalar(select(Fund).where(Fund.slug == "nantangcun"))
        with using(fund_scope(ntc.id)):
            batches.open_batch(batches.BatchInput(
                title="募捐箱", channel="cash", received_on=local_today(), counted_total="100"),
                person("other_fund_member")).created_at = utcnow() - timedelta(days=2)
        db.session.commit()
        dgc_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
        items = waiting_for(person("other_fund_member"))
        assert items and all(i.fund.id != dgc_id for i in items)
        assert waiting_for(person("other_fund_member"), [dgc_id]) == []
        assert waiting_for(person("this_township_admin")) == []  # oversight is no fund role


def test_reading_another_funds_list_leaves_the_pages_rows_in_the_session(app):
    """A member of 南塘村 on a public page of 东港村: the header reads their list, and the
    page's rows must stay attached for the rest of the template."""
    with dgc(app):
        motion = db.session.scalars(select(Motion).order_by(Motion.id)).first()
        waiting_for(person("other_fund_member"))  # read under a scope that adds 南塘村
        assert motion in db.session
        assert motion.proposal.title  # a lazy load after the list was read


# --- the pages ---------------------------------------------------------------------------------

def test_every_item_is_one_tap_from_a_page_that_opens(app, client, auth):
    recent_gifts(app)
    for key in ("chair", "treasurer", "member", "supervisor", "social_worker"):
        auth.login(LOGINS[key])
        page = client.get(f"/f/{FUND}/").get_data(as_text=True)
        with app.test_request_context(), using(SYSTEM):
            items = waiting_for(person(key))
            assert items, key
            urls = [url_for(i.endpoint, fund_slug=i.fund.slug, **i.params) for i in items]
        for url in urls:
            assert f'href="{url.replace("&", "&amp;")}"' in page, (key, url)
            assert client.get(url).status_code == 200, (key, url)
        auth.logout()


def test_the_header_counts_what_waits_for_a_signed_in_person(app, client, auth):
    assert "todo-link" not in client.get("/auth/login").get_data(as_text=True)
    auth.login(LOGINS["supervisor"])
    with dgc(app):
        expected = count_of(waiting_for(person("supervisor")))
    assert expected > 0
    page = client.get(f"/f/{FUND}/payouts/").get_data(as_text=True)
    assert (f'<span class="todo-count" aria-hidden="true">{expected}</span>'
            f'<span class="visually-hidden">{expected} 项</span>') in page


def test_the_home_page_lists_what_waits_in_both_funds(app, client, auth):
    auth.login(LOGINS["two_funds"])
    page = client.get("/").get_data(as_text=True)
    with app.test_request_context(), using(SYSTEM):
        votes = waiting_for(person("two_funds"))
        assert {i.fund.slug for i in votes} == {"donggangcun", "nantangcun"}
        for item in votes:
            assert f'/f/{item.fund.slug}/motions/{item.params["motion_id"]}"' in page
            assert item.fund.name in page
    assert page.count('class="card todo-item') == len(votes)


def test_the_overview_shows_the_list_only_when_something_waits(app, client, auth):
    auth.login(LOGINS["secretary"])
    assert 'id="todo-title"' not in client.get(f"/f/{FUND}/").get_data(as_text=True)
    auth.logout()
    auth.login(LOGINS["member"])
    assert 'id="todo-title"' in client.get(f"/f/{FUND}/").get_data(as_text=True)


@pytest.mark.config(TODO_LIST=False)
def test_the_list_can_be_turned_off_for_the_benchmark(client, auth):
    auth.login(LOGINS["member"])
    page = client.get(f"/f/{FUND}/").get_data(as_text=True)
    assert 'id="todo-title"' not in page and "todo-count" not in page


def test_a_refused_form_renders_its_page_with_the_header_for_a_member_of_two_funds(
        app, client, auth):
    """A refusal rolls the session back; reading the header's list afterwards must neither
    drop the page's rows nor fail (it once answered 500 here)."""
    with dgc(app):
        motion = new_motion("村口路灯维修")
        db.session.commit()
        motion_id = motion.id
    auth.login(LOGINS["two_funds"])
    response = client.post(f"/f/{FUND}/motions/{motion_id}/vote", data={"choice": "maybe"})
    assert response.status_code == 422
    assert 'class="todo-count"' in response.get_data(as_text=True)


# --- cost ---------------------------------------------------------------------------------------

def _queries(app, client, url: str) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _more_of_everything(app, n: int) -> None:
    """n more items of every kind for the chair (who is made treasurer too)."""
    with dgc(app) as fund:
        chair, member = person("chair"), person("member")
        db.session.add(Membership(user_id=chair.id, fund_id=fund.id, role=Role.TREASURER,
                                  start_date=local_today() - timedelta(days=1)))
        payouts.update_rules(fund.id, ["chair", "supervisor"], 2, chair)
        requested = db.session.scalars(select(Payout).where(Payout.status == "requested")).first()
        for i in range(n):
            motion = new_motion(f"路灯{i}")
            db.session.add(Objection(fund_id=fund.id, proposal_id=motion.proposal_id,
                                     name="村民", phone="13800000000", body="有意见"))
            db.session.add(Payout(fund_id=fund.id, proposal_id=requested.proposal_id,
                                  amount_fen=100, payee="村超市", purpose=f"纸杯{i}",
                                  requested_by_id=member.id))
            batch = batches.open_batch(batches.BatchInput(
                title=f"募捐箱{i}", channel="cash", received_on=local_today(),
                counted_total="100"), chair)
            batch.created_at = utcnow() - timedelta(days=2)
        db.session.commit()


def test_the_overview_reads_the_list_in_queries_that_do_not_grow_with_it(app, client, auth):
    recent_gifts(app)
    _more_of_everything(app, 1)
    auth.login(LOGINS["chair"])
    url = f"/f/{FUND}/"
    client.get(url)  # warm: the first request of a process loads more than the page
    forget()  # a reading anew, not the one kept from the request before
    few = _queries(app, client, url)
    _more_of_everything(app, 8)
    forget()
    many = _queries(app, client, url)
    page = client.get(url).get_data(as_text=True)
    with app.app_context():
        for kind in (Waiting.VOTE, Waiting.PAYOUT, Waiting.OBJECTION, Waiting.BATCH,
                     Waiting.RECEIPT):
            assert str(kind.label) in page, kind
    assert page.count('class="card todo-item') > 3 * 8  # the votes, payouts, objections
    assert many == few <= 25, (few, many)  # 18 when written, the whole page


def test_the_township_sees_invitations_not_yet_used_until_they_are_used(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    with app.app_context():
        fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
    staff = f"/t/luwan/funds/{fund_id}/staff"
    assert client.post(staff, data={"login": "13700000301", "name": "新委员",
                                    "role": "member"}).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "尚未使用的邀请" in home and f'href="{staff}"' in home
    assert client.get(staff).status_code == 200
    with app.test_request_context(), using(SYSTEM):
        [item] = kinds("this_township_admin")["invitation"]
        pending = item.count
        membership = db.session.scalar(select(Membership).join(User).where(
            User.phone == "13700000301"))
        token = invitations.invite(membership, None)  # a new link replaces the shown one
        invitations.accept(token, password="a-long-passphrase")
        db.session.commit()
        left = kinds("this_township_admin").get("invitation", [])
        assert sum(i.count for i in left) == pending - 1
        # Nobody else is asked: the fund's own people do not staff it.
        assert "invitation" not in kinds("chair")


def test_wishes_waiting_for_screening_reach_the_chair_and_supervisor_not_the_collector(app):
    from app.wishes.models import Wish, WishStatus

    with dgc(app) as fund:
        pending = db.session.scalars(select(Wish).where(
            Wish.status == WishStatus.PENDING)).all()
        assert pending, "the demo has wishes waiting for screening"
        for key in ("chair", "supervisor"):
            mine = sum(w.collected_by_id != person(key).id for w in pending)
            [item] = kinds(key, fund)["wish"]
            assert item.count == mine
        assert "wish" not in kinds("member", fund) and "wish" not in kinds("treasurer", fund)
        pending[0].collected_by_id = person("chair").id  # the chair collected this one
        db.session.flush()
        not_hers = sum(w.collected_by_id != person("chair").id for w in pending)
        assert sum(i.count for i in kinds("chair", fund).get("wish", [])) == not_hers


def test_a_reading_kept_for_the_minute_costs_fewer_queries_and_a_ballot_shows_at_once(
        app, client, auth):
    """Reloading the overview reads the kept list (one look at the audit heads instead of a
    query per kind); the ballot's commit moves the fund's audit head, so the next page reads
    anew and the vote is no longer waiting."""
    with dgc(app):
        motion = new_motion("村口路灯维修")
        db.session.commit()
        motion_id = motion.id
    auth.login(LOGINS["member"])
    url = f"/f/{FUND}/"
    forget()
    fresh = _queries(app, client, url)
    kept = _queries(app, client, url)
    assert kept < fresh, (kept, fresh)
    assert f"/motions/{motion_id}" in client.get(url).get_data(as_text=True)
    assert client.post(f"/f/{FUND}/motions/{motion_id}/vote",
                       data={"choice": "yes"}).status_code in (200, 302, 303)
    assert f"/motions/{motion_id}" not in client.get(url).get_data(as_text=True)
