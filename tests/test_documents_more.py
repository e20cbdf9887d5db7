"""What issue 19 still asked of the documents: payouts name their budget line and the report's
spending by line adds up; a resolution states how its vote was held (online or a meeting, its
time and place, 主持人, 记录人), as the chair records it; the fund's seal on the resolution."""

from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL, local_today
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.governance import meetings, motions, proposals, resolutions
from app.governance.models import Motion, ResolutionFile
from app.payouts import services as payouts
from app.payouts.models import Payout
from app.receipts import services as receipts
from app.validation import Invalid
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS
from .helpers import FUND, open_vote, person
from .payout_setup import final_project, request
from .pdf_checks import image_count, keep_png, pdf_text, squeezed


@contextmanager
def in_fund(app):
    """Setup in 东港村's scope whose rows the client then sees: committed at the end."""
    with app.test_request_context(method="POST"), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(dgc.id)):
            yield dgc
            db.session.commit()
        db.session.remove()


# --- payouts name their budget line -----------------------------------------------------------


def test_a_payout_of_a_project_with_lines_must_name_one(fund_in_request):
    project = final_project()  # 材料费 3000, 人工费 2000
    before = db.session.scalar(select(func.count(Payout.id)))
    with pytest.raises(Invalid) as refused:
        request(project, "800", budget_line_id=None)
    assert set(refused.value.errors) == {"budget_line_id"}
    other = final_project(title="别的项目")
    with pytest.raises(Invalid) as foreign:
        request(project, "800", budget_line_id=other.lines[0].id)
    assert set(foreign.value.errors) == {"budget_line_id"}
    assert db.session.scalar(select(func.count(Payout.id))) == before
    second = project.lines[1]
    assert request(project, "800", budget_line_id=second.id).budget_line_id == second.id


def test_a_project_of_one_line_pays_from_it_and_one_without_lines_from_none(fund_in_request):
    single = final_project(amount="1000", budget="书包 1000", title="书包")
    assert request(single, "300", budget_line_id=None).budget_line_id == single.lines[0].id
    bare = final_project(amount="1000", budget="", title="无科目项目")
    assert request(bare, "300", budget_line_id=None).budget_line_id is None


def test_the_request_form_offers_the_project_lines_and_refuses_none(app, client, auth):
    with in_fund(app):
        project = final_project()
        project_id, second = project.id, project.lines[1]
        second_id, second_item = second.id, second.item
        count = db.session.scalar(select(func.count(Payout.id)))
    auth.login(LOGINS["treasurer"])
    url = f"/f/{FUND}/payouts/new?proposal={project_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="budget_line_id"' in page and "材料费" in page and "人工费" in page
    data = {"amount": "600", "payee": "东港建材商行", "payee_account": "6222", "purpose": "木料"}
    refused = client.post(url, data={**data, "budget_line_id": ""})
    assert refused.status_code == 422
    assert 'id="budget_line_id-error"' in refused.get_data(as_text=True)
    with in_fund(app):
        assert db.session.scalar(select(func.count(Payout.id))) == count  # nothing written
    done = client.post(url, data={**data, "budget_line_id": str(second_id)})
    assert done.status_code == 302
    detail = client.get(done.location).get_data(as_text=True)
    assert f'<dd id="payout-line">{second_item}</dd>' in detail


def _spending_adds_up(data) -> None:
    assert sum(p["fen"] for p in data.projects) == data.spending_fen
    for project in data.projects:
        if project["lines"]:
            assert sum(fen for _item, fen in project["lines"]) == project["fen"], project


def test_the_report_spending_by_line_adds_up_to_the_spending(fund_in_request):
    from app.disclosure.reports import Period, compute

    project = final_project()
    material, labour = project.lines
    for amount, line in (("800", material), ("500", labour), ("300", material)):
        payout = request(project, amount, budget_line_id=line.id)
        payouts.approve(payout, person("chair"))
        payouts.approve(payout, person("supervisor"))
        payouts.mark_paid(payout, person("treasurer"), f"L{amount}", local_today())
    payouts.reverse(payout, person("treasurer"), "重复付款")
    data = compute(fund_in_request, Period("annual", local_today().year, 0))
    _spending_adds_up(data)
    mine = next(p for p in data.projects if p["title"] == project.title)
    assert mine["fen"] == 130000 and sorted(mine["lines"]) == [["人工费", 50000], ["材料费", 80000]]
    assert data.spending_fen > 0


def test_the_demo_payouts_name_their_lines_and_its_reports_add_up(fund_in_request):
    from app.disclosure.models import Report
    from app.disclosure.reports import Period, ReportData, compute
    from app.governance.models import BudgetLine

    lined = set(db.session.scalars(select(BudgetLine.proposal_id)))
    rows = db.session.execute(select(Payout.proposal_id, Payout.budget_line_id)).all()
    assert rows and any(line for _p, line in rows)
    # A payout without a line only where the project has none.
    assert [p for p, line in rows if line is None and p in lined] == []
    for year in (local_today().year - 1, local_today().year):
        data = compute(fund_in_request, Period("annual", year, 0))
        _spending_adds_up(data)
        assert all(item != "未归入预算科目" for p in data.projects for item, _fen in p["lines"])
    this_year = compute(fund_in_request, Period("annual", local_today().year, 0))
    assert any(p["lines"] for p in this_year.projects)  # the demo's spending is by line
    for stored in db.session.scalars(select(Report)):
        _spending_adds_up(ReportData.from_json(stored.data))


def test_the_report_pdf_shows_spending_by_line_and_its_total(fund_in_request, tmp_path):
    from app.disclosure.reports import Period, compute
    from app.disclosure.services import report_pdf

    data = compute(fund_in_request, Period("annual", local_today().year, 0))
    body = report_pdf(fund_in_request, data)
    words = squeezed(pdf_text(body, tmp_path))
    assert "食材采购" in words and "未归入预算科目" not in words
    assert f"合计¥{data.spending_fen / 100:,.2f}" in words or (
        f"合计{data.spending_fen / 100:,.2f}" in words
    )
    keep_png(body, "report-by-line", tmp_path)


# --- the meeting a resolution records -----------------------------------------------------------


def test_an_online_vote_is_chaired_by_the_chair_and_recorded_by_the_secretary(
        fund_in_request, tmp_path):
    motion = open_vote()
    assert motion.meeting_kind == "online"
    assert (motion.host_id, motion.recorder_id) == (person("chair").id, person("secretary").id)
    for voter in motions.electorate(motion):
        motions.cast(motion, voter.user, "no")
    motions.close(motion, person("chair"))
    words = squeezed(pdf_text(resolutions.pdf_of(motion), tmp_path))
    assert "会议形式线上表决" in words and "地点" not in words
    assert "主持人王秀英" in words and "记录人：赵丽娟" in words


def _meeting(motion, **kw):
    local = (motion.opened_at + timedelta(hours=1)).astimezone(LOCAL).replace(tzinfo=None)
    values = dict(
        kind="meeting",
        at=local,
        place="村委会二楼会议室",
        host_id=person("chair").id,
        recorder_id=person("secretary").id,
    )
    values.update(kw)
    return meetings.MeetingInput(**values)


def test_a_meeting_states_its_time_place_host_and_recorder(fund_in_request, tmp_path):
    motion = open_vote()
    meetings.record(motion, _meeting(motion, host_id=person("supervisor").id))
    for voter in motions.electorate(motion):
        motions.cast(motion, voter.user, "yes")
    motions.close(motion, person("chair"))
    data = resolutions.pdf_of(motion)
    words = squeezed(pdf_text(data, tmp_path))
    at = (motion.opened_at + timedelta(hours=1)).astimezone(LOCAL)
    assert "会议形式管委会会议" in words
    assert f"时间{at.year}年{at.month}月{at.day}日{at:%H:%M}" in words
    assert "地点村委会二楼会议室" in words
    assert f"主持人{person('supervisor').name}" in words and "记录人：赵丽娟" in words


@pytest.mark.parametrize(
    "change, field",
    [
        ({"place": "  "}, "place"),
        ({"at": None}, "at"),
        ({"at": datetime(2001, 1, 1, 9, 0)}, "at"),  # long before the vote
        ({"at": datetime(1, 1, 1, 0, 0)}, "at"),  # out of range once made UTC
        ({"kind": "party"}, "kind"),
        ({"host_id": 999_999}, "host_id"),
        ({"recorder_id": None}, "recorder_id"),
    ],
)
def test_a_meeting_without_its_facts_is_refused_beside_the_field(fund_in_request, change, field):
    motion = open_vote()
    with pytest.raises(Invalid) as refused:
        meetings.record(motion, _meeting(motion, **change))
    assert field in refused.value.errors


def test_the_chair_and_the_recorder_are_two_people(fund_in_request):
    motion = open_vote()
    chair = person("chair").id
    with pytest.raises(Invalid) as refused:
        meetings.record(motion, _meeting(motion, host_id=chair, recorder_id=chair))
    assert "recorder_id" in refused.value.errors


def test_a_filed_resolution_no_longer_changes_its_meeting(fund_in_request):
    motion = open_vote()
    for voter in motions.electorate(motion):
        motions.cast(motion, voter.user, "no")
    motions.close(motion, person("chair"))  # rejected: filed at the close
    assert not meetings.editable(motion)
    with pytest.raises(Invalid) as refused:
        meetings.record(motion, _meeting(motion))
    assert "kind" in refused.value.errors


def _open_motion_id(app) -> int:
    with in_fund(app):
        return db.session.scalar(select(Motion.id).where(Motion.status == "open"))


def test_the_chair_records_the_meeting_on_the_motion_page(app, client, auth):
    motion_id = _open_motion_id(app)
    with in_fund(app):
        motion = db.session.get(Motion, motion_id)
        at = (utcnow() - timedelta(hours=1)).astimezone(LOCAL)
        host, recorder = person("chair").id, person("secretary").id
        place_before = motion.meeting_place
    auth.login(LOGINS["chair"])
    url = f"/f/{FUND}/motions/{motion_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="meeting-record"' in page and f'action="{url}/meeting"' in page
    form = {
        "kind": "meeting",
        "at": at.strftime("%Y-%m-%dT%H:%M"),
        "place": "",
        "host_id": str(host),
        "recorder_id": str(recorder),
    }
    refused = client.post(f"{url}/meeting", data=form)
    assert refused.status_code == 422
    assert 'id="place-error"' in refused.get_data(as_text=True)
    with in_fund(app):
        assert db.session.get(Motion, motion_id).meeting_place == place_before
    done = client.post(f"{url}/meeting", data={**form, "place": "村委会会议室"})
    assert done.status_code == 302
    with in_fund(app):
        motion = db.session.get(Motion, motion_id)
        assert (motion.meeting_kind, motion.meeting_place) == ("meeting", "村委会会议室")
        assert motion.meeting_at.astimezone(LOCAL).strftime("%H:%M") == at.strftime("%H:%M")
    assert "村委会会议室" in client.get(url).get_data(as_text=True)


def test_only_the_chair_records_the_meeting(app, client, auth):
    motion_id = _open_motion_id(app)
    auth.login(LOGINS["member"])
    url = f"/f/{FUND}/motions/{motion_id}"
    assert 'id="meeting-record"' not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/meeting", data={"kind": "online"}).status_code == 403


# --- the seal ---------------------------------------------------------------------------------


def _filed_resolution(fund):
    """An approved project's resolution, filed once its notice ended."""
    motion = open_vote()
    meetings.record(motion, _meeting(motion))
    for voter in motions.electorate(motion):
        motions.cast(motion, voter.user, "yes")
    motions.close(motion, person("chair"))
    proposal = motion.proposal
    proposals.publish(proposal, person("chair"))
    assert proposals.finalize_if_due(proposal, proposal.notice_until + timedelta(minutes=1))
    return db.session.scalar(select(ResolutionFile).where(ResolutionFile.motion_id == motion.id))


def test_the_resolution_carries_the_fund_seal_over_the_committee(fund_in_request, tmp_path):
    stored = _filed_resolution(fund_in_request)
    words = squeezed(pdf_text(stored.data, tmp_path))
    assert "东港村社区慈善基金管理委员会（盖章）" in words and "委员签名" in words
    assert image_count(stored.data) == 2  # the QR code and the seal
    pages = keep_png(stored.data, "resolution-meeting", tmp_path)
    assert len(pages) == 1


def test_a_fund_without_a_seal_leaves_the_line_to_stamp(fund_in_request, tmp_path):
    receipts.settings(fund_in_request.id).seal_png = None
    motion = open_vote()
    for voter in motions.electorate(motion):
        motions.cast(motion, voter.user, "no")
    motions.close(motion, person("chair"))
    data = resolutions.pdf_of(motion)
    assert "管理委员会（盖章）" in squeezed(pdf_text(data, tmp_path))
    assert image_count(data) == 1  # the QR code only
    keep_png(data, "resolution-unsealed", tmp_path)


def test_the_public_resolution_page_states_the_meeting(app, client):
    with in_fund(app):
        motion = open_vote()
        meetings.record(motion, _meeting(motion))
        for voter in motions.electorate(motion):
            motions.cast(motion, voter.user, "no")
        motions.close(motion, person("chair"))
        motion_id, host = motion.id, person("chair").name
    page = client.get(f"/f/{FUND}/resolutions/{motion_id}").get_data(as_text=True)
    assert "管委会会议" in page and "村委会二楼会议室" in page and host in page
