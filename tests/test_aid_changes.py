"""关爱发放, continued: a programme changes only by a carried vote (its versions kept, what was
given keeping its amount), each enrolment is reviewed every year, and the hand-outs export
masks the ID numbers."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.aid import changes, reviews, services
from app.aid.models import EnrolmentReview, Entitlement, ProgrammeChange
from app.audit.models import AuditEntry
from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions
from app.governance.committees import voters_on
from app.governance.models import Motion
from app.todo.services import waiting_for
from app.validation import Invalid
from tenants import fund_scope, using

from .aid_setup import (
    VALID_IDS,
    change_input,
    decide,
    enrol,
    old_enrolment,
    pending_change,
    running_programme,
)
from .conftest import LOGINS
from .helpers import person


def vote_no(motion, chair):
    at = utcnow() - timedelta(minutes=30)
    for user_id, _role in voters_on(motion.fund_id, local_today()):
        motions.cast(motion, _user(user_id), "no", now=at)
    motions.close(motion, chair, now=at + timedelta(minutes=1))


def _user(user_id):
    from app.auth.models import User

    return db.session.get(User, user_id)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- changing a programme is a motion --------------------------------------------------------


def test_a_carried_change_applies_from_the_next_period_and_keeps_what_was_made(fund):
    programme = running_programme()
    enrol(programme)
    today = local_today()
    period = services.periods.period_of("monthly", today)
    assert services.make_entitlements(programme, period) == 3
    change = pending_change(programme, value="100", budget="3000", rule="70 周岁以上独居或空巢老人")
    assert programme.value_fen == 8000  # proposed only: nothing changes yet
    assert changes.change_state(change) == "proposed"
    member = person("member")
    motion = changes.put_to_vote(change, person("chair"))
    assert motion.kind == "programme_change" and motion.amount_fen == 300000
    decide(motion, person("chair"), recuse=member)  # the recusal of governance
    assert motion.passed and changes.change_state(change) == "carried"
    assert [e.user_id for e in motions.electorate(motion) if e.recused] == [member.id]
    assert programme.value_fen == 10000 and programme.rule == "70 周岁以上独居或空巢老人"
    assert programme.proposal.requested_fen == 300000
    assert change.effective_from == next_month(today)
    # What was made keeps its amount; this period stays at ¥80, the next one is ¥100.
    amounts = db.session.scalars(
        select(Entitlement.amount_fen).where(Entitlement.programme_id == programme.id)
    ).all()
    assert amounts == [8000, 8000, 8000]
    assert changes.terms_on(programme, today).value_fen == 8000
    assert changes.terms_on(programme, next_month(today)).value_fen == 10000
    enrolment = services.enrolments(programme)[0]
    made = services.entitle(
        enrolment, programme, services.periods.period_of("monthly", next_month(today))
    )
    assert made.amount_fen == 10000
    assert services.summary(programme).per_period_fen == 3 * 8000  # still this month's terms
    assert (change.old_value_fen, change.old_budget_fen) == (8000, 200000)
    assert changes.history(programme) == [change]


def test_a_lost_vote_leaves_the_programme_as_it_was(fund):
    programme = running_programme()
    before = (
        programme.value_fen,
        programme.frequency,
        programme.ends_on,
        programme.rule,
        programme.proposal.requested_fen,
    )
    change = pending_change(
        programme,
        by="chair",
        value="120",
        frequency="quarterly",
        ends_on=local_today() + timedelta(days=200),
        budget="5000",
    )
    motion = changes.put_to_vote(change, person("chair"))
    vote_no(motion, person("chair"))
    assert motion.passed is False and changes.change_state(change) == "lost"
    assert change.effective_from is None
    assert (
        programme.value_fen,
        programme.frequency,
        programme.ends_on,
        programme.rule,
        programme.proposal.requested_fen,
    ) == before
    assert changes.pending(programme) is None  # another change may be proposed now
    pending_change(programme, by="chair", value="90")


def test_a_frequency_change_starts_with_a_whole_period_of_the_new_kind():
    assert changes.effective_from("monthly", "quarterly", date(2026, 1, 15)) == date(2026, 4, 1)
    assert changes.effective_from("monthly", "quarterly", date(2026, 3, 2)) == date(2026, 4, 1)
    assert changes.effective_from("quarterly", "monthly", date(2026, 5, 9)) == date(2026, 7, 1)
    assert changes.effective_from("monthly", "monthly", date(2026, 12, 31)) == date(2027, 1, 1)
    assert changes.effective_from("once", "once", date(2026, 5, 9)) == date(2026, 5, 9)


def test_after_a_frequency_change_the_old_periods_stay_and_the_new_ones_follow(fund):
    programme = running_programme(starts_on=local_today().replace(day=1) - timedelta(days=70))
    change = pending_change(programme, frequency="quarterly")
    decide(changes.put_to_vote(change, person("chair")), person("chair"))
    assert programme.frequency == "quarterly"
    found = changes.periods_of(programme, local_today())
    this_month = services.periods.period_of("monthly", local_today())
    assert found[0] == this_month  # months go on until the next quarter begins
    assert services.period_bounds(programme, this_month)[0] == local_today().replace(day=1)
    later = changes.periods_of(programme, change.effective_from + timedelta(days=1))
    assert later[0] == services.periods.period_of("quarterly", change.effective_from)
    with pytest.raises(Invalid):  # the quarter of today is not one of this programme's periods
        services.period_bounds(programme, services.periods.period_of("quarterly", local_today()))


def test_the_public_pages_show_the_terms_in_force_until_a_change_begins(fund, client):
    """A carried monthly → quarterly change starts with the next quarter: until then the
    board, the aid page and the staff list still say monthly (and its amount)."""
    programme = running_programme(starts_on=local_today().replace(day=1) - timedelta(days=70))
    enrol(programme)
    change = pending_change(programme, frequency="quarterly", value="240")
    decide(changes.put_to_vote(change, person("chair")), person("chair"))
    db.session.commit()
    assert (programme.frequency, programme.value_fen) == ("quarterly", 24000)
    [shown] = [s for s in services.public_summaries() if s.programme.id == programme.id]
    assert (shown.terms.frequency, shown.terms.value_fen) == ("monthly", 8000)
    later = services.summary(programme, change.effective_from)
    assert (later.terms.frequency, later.terms.value_fen) == ("quarterly", 24000)
    page = client.get(f"/f/{fund.slug}/aid/public").get_data(as_text=True)
    assert "¥80.00" in page and "每月" in page and "每季度" not in page


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("value", {"value": "八十"}),
        ("budget", {"budget": "-5"}),
        ("frequency", {"frequency": "weekly"}),
        ("frequency", {"frequency": "once"}),
        ("ends_on", {"ends_on": date(2020, 1, 1)}),
        ("rule", {"rule": "  "}),
        ("reason", {"reason": ""}),
        ("budget", {"value": "900", "budget": "800"}),
        ("reason", {}),  # nothing changed
    ],
)
def test_bad_change_input_is_refused_beside_the_field_and_nothing_is_written(fund, field, values):
    programme = running_programme()
    data = change_input(programme, **values)
    if field == "reason" and values == {}:
        data.reason = "没有变化"
    with pytest.raises(Invalid) as refused:
        changes.propose_change(programme, data, person("social_worker"))
    assert field in refused.value.errors
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ProgrammeChange)
            .where(ProgrammeChange.programme_id == programme.id)
        )
        == 0
    )


def test_one_change_at_a_time_and_only_of_a_running_programme(fund):
    programme = running_programme()
    pending_change(programme, by="chair", value="90")
    with pytest.raises(Invalid, match="已在等待"):
        pending_change(programme, by="chair", value="95")
    proposed = services.create_programme(
        services.ProgrammeInput(
            title="未表决的项目",
            category="elderly",
            kind="money",
            value="50",
            frequency="monthly",
            starts_on=local_today(),
            ends_on=None,
            rule="困难老人",
            budget="1000",
        ),
        person("social_worker"),
    )
    with pytest.raises(Invalid):
        pending_change(proposed, by="chair", value="60")


def test_the_change_pages_refuse_bad_input_with_422_and_show_the_versions(app, fund, client, auth):
    programme = running_programme()
    db.session.commit()
    path = f"/f/{fund.slug}/aid/{programme.id}"
    proposal_id = programme.proposal_id
    auth.login(LOGINS["member"])
    assert client.get(f"{path}/change").status_code == 403
    auth.logout()
    auth.login(LOGINS["social_worker"])
    form = client.get(f"{path}/change").get_data(as_text=True)
    assert 'name="value"' in form and "80" in form
    response = client.post(
        f"{path}/change",
        data={"value": "abc", "frequency": "monthly", "rule": "x", "budget": "2000", "reason": "r"},
    )
    assert response.status_code == 422
    with using(fund_scope(fund.id)):
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ProgrammeChange)
                .where(ProgrammeChange.programme_id == programme.id)
            )
            == 0
        )
    response = client.post(
        f"{path}/change",
        data={
            "value": "100",
            "frequency": "monthly",
            "rule": "70 周岁以上独居老人",
            "budget": "2000",
            "reason": "物价上涨",
        },
    )
    assert response.status_code in (302, 303)
    auth.logout()
    auth.login(LOGINS["chair"])
    assert (
        client.post(
            f"/f/{fund.slug}/proposals/{proposal_id}/motions", data={"kind": "programme_change"}
        ).status_code
        == 422
    )
    response = client.post(f"{path}/change/vote")
    assert response.status_code == 302 and "/motions/" in response.location
    page = client.get(path).get_data(as_text=True)
    assert 'id="versions"' in page and "¥80.00 → ¥100.00" in page
    with using(fund_scope(fund.id)):
        motion = db.session.scalar(
            select(Motion).where(
                Motion.kind == "programme_change", Motion.proposal_id == proposal_id
            )
        )
        assert motion is not None and motion.status == "open"


# --- the yearly review -----------------------------------------------------------------------


def test_a_review_due_shows_for_the_social_worker_and_continue_extends_a_year(fund):
    programme, enrolment = old_enrolment()
    assert reviews.due(programme) == [enrolment]
    items = [
        i for i in waiting_for(person("social_worker"), [fund.id]) if i.kind.value == "aid_review"
    ]
    assert len(items) == 1 and items[0].count == 1
    assert items[0].params == {"programme_id": programme.id}
    assert not [i for i in waiting_for(person("member"), [fund.id]) if i.kind.value == "aid_review"]
    reviews.review(
        enrolment, reviews.ReviewInput("continue", "仍独居，收入未变"), person("social_worker")
    )
    db.session.commit()
    assert enrolment.reviewed_on == local_today() and enrolment.closed_on is None
    assert enrolment.ends_on == local_today() + timedelta(days=364)
    assert reviews.due(programme) == []
    assert not [
        i for i in waiting_for(person("social_worker"), [fund.id]) if i.kind.value == "aid_review"
    ]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_table == "aid_enrolment_review")
    ).all()
    assert actions == ["aid_enrolment_review.created"]


def test_a_recent_enrolment_is_not_due_and_ending_one_stops_later_entitlements(fund):
    programme, enrolment = old_enrolment(days_ago=100)
    assert reviews.due(programme) == []
    reviews.review(enrolment, reviews.ReviewInput("end", "已搬去子女家"), person("social_worker"))
    assert enrolment.closed_on == local_today() and enrolment.ends_on == local_today()
    with pytest.raises(Invalid):
        services.entitle(
            enrolment, programme, services.periods.period_of("monthly", next_month(local_today()))
        )
    with pytest.raises(Invalid, match="已"):  # reviewed and ended: not again
        reviews.review(enrolment, reviews.ReviewInput("continue", "再看"), person("social_worker"))


def test_the_review_page_refuses_bad_input_with_422_and_writes_nothing(fund, client, auth):
    programme, enrolment = old_enrolment()
    db.session.commit()
    path = f"/f/{fund.slug}/aid/{programme.id}/reviews"
    enrolment = enrolment.id
    auth.login(LOGINS["member"])
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login(LOGINS["social_worker"])
    page = client.get(path).get_data(as_text=True)
    assert "王秀英" in page and f'name="e{enrolment}-decision"' in page
    db.session.rollback()  # the GET's read-only transaction (the test shares its session)
    prefix = f"e{enrolment}-"
    response = client.post(
        path, data={"enrolment": enrolment, prefix + "decision": "", prefix + "reason": ""}
    )
    assert response.status_code == 422
    with using(fund_scope(fund.id)):
        assert db.session.scalar(select(func.count()).select_from(EnrolmentReview)) == 0
    assert client.post(path, data={"enrolment": 999999}).status_code == 404
    response = client.post(
        path, data={"enrolment": enrolment, prefix + "decision": "end", prefix + "reason": "已去世"}
    )
    assert response.status_code == 302
    with using(fund_scope(fund.id)):
        assert db.session.scalar(select(func.count()).select_from(EnrolmentReview)) == 1
    assert "王秀英" not in client.get(path).get_data(as_text=True)


# --- the private export ----------------------------------------------------------------------


def test_the_hand_outs_export_masks_ids_and_is_private(fund, client, auth):
    from openpyxl import load_workbook

    from app.privacy import mask_id_number

    programme = running_programme()
    enrol(programme)
    period = services.periods.period_of("monthly", local_today())
    services.make_entitlements(programme, period)
    db.session.commit()
    path = f"/f/{fund.slug}/aid/{programme.id}/handouts.xlsx"
    for role in ("member", "treasurer"):
        auth.login(LOGINS[role])
        assert client.get(path).status_code == 403, role
        auth.logout()
    auth.login(LOGINS["supervisor"])
    response = client.get(path)
    assert response.status_code == 200 and "spreadsheetml" in response.content_type
    cells = [
        str(c)
        for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    for id_number in VALID_IDS:
        assert id_number not in cells and mask_id_number(id_number) in cells
    assert "王秀英" in cells and "未领取" in cells and "一组 8 号" not in cells


# --- oversight and the annual report ---------------------------------------------------------


def test_the_township_sees_aid_per_fund_with_counts_and_no_names(fund, client, auth):
    from app.aid.figures import per_fund

    from .helpers import TOWNSHIP

    last_month = local_today().replace(day=1) - timedelta(days=1)
    programme = running_programme(starts_on=last_month.replace(day=1))
    for name, id_number in zip(("王秀英", "陈阿大", "朱桂芳"), VALID_IDS, strict=True):
        services.propose(
            programme,
            services.PersonInput(
                name=name,
                id_number=id_number,
                village_group="一组",
                household="一组 8 号",
                situation="独居",
                starts_on=programme.starts_on,
            ),
            person("social_worker"),
        )
    decide(services.put_to_vote(programme, person("chair")), person("chair"))
    assert (
        services.make_entitlements(programme, services.periods.period_of("monthly", last_month))
        == 3
    )
    db.session.commit()
    figures = per_fund(local_today())[fund.id]
    assert figures.missed >= 3  # last month's, never collected
    assert figures.spent_fen >= 8000  # the demo's shop was paid this year
    assert figures.programmes >= 3 and figures.people >= 3
    names = [e.beneficiary.name for e in services.enrolments(programme)]
    auth.login(LOGINS["this_township_admin"])
    response = client.get(f"/t/{TOWNSHIP}/aid")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and fund.name in page and 'id="aid-per-fund"' in page
    assert not any(name in page for name in names)
    auth.logout()
    auth.login(LOGINS["social_worker"])
    assert client.get(f"/t/{TOWNSHIP}/aid").status_code in (403, 404)


def test_the_annual_report_counts_the_aid_and_names_no_one(fund):
    from app.disclosure import services as disclosure
    from app.disclosure.reports import ReportData, compute, period

    data = compute(fund, period("annual", local_today().year))
    voucher = next(a for a in data.aid if a["title"].endswith("独居老人购物券"))
    assert voucher == {
        "title": voucher["title"],
        "frequency": "monthly",
        "people": 3,
        "per_period_fen": 8000,
        "spent_fen": 8000,
        "versions": [  # the demo raised the budget only: one amount in every month
            {
                "periods": voucher["versions"][0]["periods"],
                "frequency": "monthly",
                "per_period_fen": 8000,
            }
        ],
    }
    assert ReportData.from_json(data.to_json()).aid == data.aid
    text = disclosure.as_csv(data).decode("utf-8")
    assert "关爱发放" in text and voucher["title"] in text
    for name in ("沈杏娣", "陈阿大", "朱桂芳", "320500194501021230"):
        assert name not in text
    quarterly = compute(
        fund, period("quarterly", local_today().year, (local_today().month - 1) // 3 + 1)
    )
    assert quarterly.aid == []  # the section is the annual report's


def raised_from_next_month():
    """A ¥80 monthly programme running since January, ¥100 carried today (from next month on),
    with the months of this year so far as a report writes them."""
    today = local_today()
    programme = running_programme(title="物价调整后的购物券", starts_on=date(today.year, 1, 1))
    decide(
        changes.put_to_vote(pending_change(programme, value="100", budget="3000"), person("chair")),
        person("chair"),
    )
    this_month = services.periods.period_of("monthly", today)
    first = f"{today.year}-01"
    return programme, this_month if this_month == first else f"{first} – {this_month}"


def test_the_annual_report_shows_each_periods_amount_never_a_change_still_to_come(fund):
    """A change carried today takes effect next month: this year's report keeps ¥80 for every
    month begun so far, and the months after show ¥100 once they have begun."""
    from app.disclosure import services as disclosure
    from app.disclosure.reports import compute, period

    today = local_today()
    programme, months = raised_from_next_month()
    assert programme.value_fen == 10000  # carried: the programme holds the new terms already
    data = compute(fund, period("annual", today.year))
    row = next(a for a in data.aid if a["title"] == programme.title)
    assert (row["frequency"], row["per_period_fen"]) == ("monthly", 8000)
    assert row["versions"] == [{"periods": months, "frequency": "monthly", "per_period_fen": 8000}]
    line = next(r for r in disclosure.rows(data) if programme.title in str(r[1]))
    assert "¥80.00" in line[1] and "¥100.00" not in line[1]
    # Over the next month too (the next year's first, in December), each period has its own.
    after = next_month(today)
    versions = changes.versions_between(programme, date(today.year, 1, 1), after)
    assert [(v.first, v.last, v.terms.value_fen) for v in versions] == [
        (f"{today.year}-01", services.periods.period_of("monthly", today), 8000),
        (services.periods.period_of("monthly", after),) * 2 + (10000,),
    ]


def test_a_report_over_a_change_shows_each_amount_beside_its_months(app, fund, monkeypatch):
    """Read once next month has begun, a report from January on has both amounts, each with
    the months it was in force, on the page (and its PDF) and in the spreadsheets."""
    from flask import render_template

    from app.aid import figures
    from app.disclosure import services as disclosure
    from app.disclosure.reports import ReportData

    today = local_today()
    january, after = date(today.year, 1, 1), next_month(today)
    programme, months = raised_from_next_month()
    monkeypatch.setattr(figures, "local_today", lambda: after)
    row = next(a for a in figures.report_rows(january, after) if a["title"] == programme.title)
    assert (row["per_period_fen"], len(row["versions"])) == (10000, 2)
    data = ReportData(
        fund=fund.name,
        kind="annual",
        year=today.year,
        quarter=0,
        start=str(january),
        end=str(after),
        aid=[row],
    )
    line = next(r for r in disclosure.rows(data) if programme.title in str(r[1]))[1]
    assert line == (
        f"{programme.title}：0 人，{months} 每期 ¥80.00；"
        f"{services.periods.period_of('monthly', after)} 每期 ¥100.00"
    )
    with app.test_request_context():
        html = render_template("disclosure/_report_body.html", data=data)
    cells = html[html.index('id="report-aid"') :]
    assert f"{months} 每月</span> 80.00" in cells and "每月</span> 100.00" in cells
