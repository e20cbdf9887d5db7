"""The fund's volunteering pages: the registry, activities (sign-up, check-in by the leader,
marks, the second confirmation), corrections, certificates, the time bank and the export."""

from __future__ import annotations

import io

import segno
from flask import abort, g, make_response, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.audit import record
from app.auth.models import User
from app.auth.policy import may
from app.auth.services import township_people
from app.clock import LOCAL
from app.extensions import db
from app.i18n import show_datetime
from app.privacy import mask_id_number
from app.rendering import leave_for, render, render_form
from app.urls import external_url
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants.access import fund_access

from . import bp, certificates, export, services, timebank
from .forms import (
    ActivityForm,
    CorrectionForm,
    ResidentForm,
    SignupForm,
    TransferForm,
    VolunteerForm,
)
from .models import (
    AccountKind,
    Activity,
    ActivityStatus,
    Certificate,
    CheckedWhere,
    HourEntry,
    HourKind,
    Mark,
    TimeAccount,
    TransferKind,
    Volunteer,
)

PREFIX = "/f/<fund_slug>/volunteers"
CODE_SETS = {"activity_status": ActivityStatus, "mark": Mark, "hour_kind": HourKind,
             "account_kind": AccountKind, "transfer_kind": TransferKind,
             "checked_where": CheckedWhere}
# The pages that ask the browser for its position (the check-in page, the new activity's
# place) allow it to this site only; every other page keeps app/security.py's geolocation=().
WITH_GEOLOCATION = "camera=(), microphone=(), geolocation=(self)"


def with_geolocation(page):
    response = make_response(page)
    response.headers["Permissions-Policy"] = WITH_GEOLOCATION
    return response


@bp.app_template_global()
def volunteer_label(table: str, code: str | None) -> str:
    return CODE_SETS[table].label_of(code)


@bp.app_template_global()
def volunteer_season():
    """The public board's volunteering section (funds/public.html)."""
    return services.season()


@bp.app_template_global("opens_volunteers")
def caller_opens_volunteers() -> bool:
    """The fund navigation's 志愿者 tab (templates/macros/fund.html)."""
    return services.opens_volunteers(current_user)


@bp.app_template_filter()
def hours(minutes: int | None) -> str:
    return services.hours_text(minutes or 0)


@bp.app_template_filter()
def local_time(moment) -> str:
    """A moment on a page, the locale's way (2026年12月6日 09:00), in Beijing time."""
    return show_datetime(moment.astimezone(LOCAL)) if moment else ""


@bp.route(PREFIX + "/")
@fund_access("activity.lead")
def index():
    """The registry and every activity for those who may read it; a fund person who only
    leads activities sees those activities and nothing of the registry."""
    if not may("volunteer.read"):
        led = list(db.session.scalars(select(Activity).where(
            Activity.leader_id == current_user.id).order_by(Activity.starts_at.desc())))
        return render("volunteers/index.html", volunteers=[], activities=led, masked=None,
                      minutes={}, registry=False)
    volunteers = list(db.session.scalars(select(Volunteer).order_by(Volunteer.id.desc())))
    activities = list(db.session.scalars(select(Activity).order_by(Activity.starts_at.desc())))
    return render("volunteers/index.html", volunteers=volunteers, activities=activities,
                  masked=mask_id_number, minutes={v.id: services.confirmed_minutes(v.id)
                                                   for v in volunteers}, registry=True)


@bp.route(PREFIX + "/new", methods=["GET", "POST"])
@fund_access("volunteer.manage")
def register():
    form = VolunteerForm()
    if form.is_submitted():
        done = attempt(form, lambda: services.register(
            g.fund, services.VolunteerInput(**{k: form[k].data for k in (
                "name", "phone", "id_number", "skills", "guardian_name", "guardian_phone",
                "show_name")}), current_user))
        if done is not REFUSED:
            db.session.commit()
            return leave_for(url_for("volunteers.detail", volunteer_id=done.id))
    return render_form("volunteers/register.html", form, block="form")


def _detail(volunteer: Volunteer, http_status: int = 200, correction=None):
    entries = services.entries_of(volunteer.id)
    titles = dict(db.session.execute(select(Activity.id, Activity.title).where(
        Activity.id.in_({e.activity_id for e in entries}))).all())
    account = db.session.scalar(select(TimeAccount).where(
        TimeAccount.volunteer_id == volunteer.id))
    return render("volunteers/detail.html", http_status=http_status, volunteer=volunteer,
                  entries=entries, titles=titles, account=account,
                  balance=timebank.balance(account.id) if account else 0,
                  total=sum(e.minutes for e in entries), minor=services.is_minor(volunteer),
                  certificates=certificates.of_volunteer(volunteer.id),
                  masked=mask_id_number(volunteer.id_number),
                  correction=_correction_form(correction, entries, titles))


def _correction_form(form, entries, titles) -> CorrectionForm:
    form = form or CorrectionForm()
    form.entry_id.choices = [("", _("Choose…"))] + [
        (e.id, f"{titles[e.activity_id]} · {services.hours_text(e.minutes)}")
        for e in entries if e.kind == HourKind.SERVICE]
    return form


@bp.route(PREFIX + "/<int:volunteer_id>")
@fund_access("volunteer.read")
def detail(volunteer_id: int):
    return _detail(db.get_or_404(Volunteer, volunteer_id))


@bp.route(PREFIX + "/<int:volunteer_id>/certificate", methods=["POST"])
@fund_access("volunteer.manage")
def issue_certificate(volunteer_id: int):
    volunteer = db.get_or_404(Volunteer, volunteer_id)
    done = attempt_flash(lambda: certificates.issue(volunteer, current_user))
    if done is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.detail", volunteer_id=volunteer.id))


@bp.route(PREFIX + "/certificates/<int:certificate_id>.pdf")
@fund_access("volunteer.read")
def certificate_pdf(certificate_id: int):
    return certificate_file(db.get_or_404(Certificate, certificate_id))


def certificate_file(certificate: Certificate):
    """The stored bytes, never rendered again."""
    return send_file(io.BytesIO(certificate.pdf), mimetype="application/pdf",
                     download_name=f"志愿服务证明-{certificate.number}.pdf")


@bp.route(PREFIX + "/<int:volunteer_id>/correct", methods=["POST"])
@fund_access("volunteer.manage")
def correct(volunteer_id: int):
    volunteer = db.get_or_404(Volunteer, volunteer_id)
    form = CorrectionForm()

    def act():
        entry = db.session.get(HourEntry, form.entry_id.data or 0)
        if entry is None or entry.volunteer_id != volunteer.id or entry.kind != HourKind.SERVICE:
            raise Invalid({"entry_id": _("Choose one of this volunteer's entries.")})
        return services.correct(entry, form.hours.data, form.reason.data, current_user)

    if attempt(form, act) is REFUSED:
        return _detail(volunteer, 422, correction=form)
    db.session.commit()
    return leave_for(url_for("volunteers.detail", volunteer_id=volunteer.id))


# --- activities ---------------------------------------------------------------------------

def _people() -> list[tuple[int, str]]:
    return [(user.id, user.name) for user, memberships in township_people(g.fund.township)
            if any(m.fund_id == g.fund.id for m in memberships)]


def _local(moment):
    return moment.replace(tzinfo=LOCAL) if moment else None


@bp.route(PREFIX + "/activities/new", methods=["GET", "POST"])
@fund_access("volunteer.manage")
def new_activity():
    form = ActivityForm()
    form.leader_id.choices = [("", _("Choose…"))] + _people()
    form.leader_volunteer_id.choices = [("", _("Choose…"))] + [
        (v.id, v.name) for v in db.session.scalars(select(Volunteer).order_by(Volunteer.name))
        if not services.is_minor(v)]
    if not form.is_submitted():
        form.radius_m.data = services.RADIUS_M
    else:
        done = attempt(form, lambda: services.create_activity(g.fund, services.ActivityInput(
            title=form.title.data, place=form.place.data, starts_at=_local(form.starts_at.data),
            ends_at=_local(form.ends_at.data), needed=form.needed.data,
            min_hours=form.min_hours.data, minors_allowed=form.minors_allowed.data,
            leader_id=form.leader_id.data, leader_volunteer_id=form.leader_volunteer_id.data,
            latitude=form.latitude.data, longitude=form.longitude.data,
            radius_m=form.radius_m.data), current_user))
        if done is not REFUSED:
            db.session.commit()
            return leave_for(url_for("volunteers.activity", activity_id=done.id))
    return with_geolocation(render_form("volunteers/new_activity.html", form, block="form"))


def _led_activity(activity_id: int) -> Activity:
    """An activity's page and what is done there: for those who read the registry, and for
    the fund person named its leader; any other fund person is refused (activity.lead lets
    every role through the door so that a leader needs no volunteer.read)."""
    activity = db.get_or_404(Activity, activity_id)
    if not (may("volunteer.read") or activity.leader_id == current_user.id):
        abort(403)
    return activity


def _activity_page(activity: Activity, http_status: int = 200, signup=None):
    rows = services.attendances(activity)
    form = None
    if may("volunteer.manage"):  # the registry's names only for those who manage it
        form = signup or SignupForm()
        taken = {a.volunteer_id for a in rows}
        form.volunteer_id.choices = [("", _("Choose…"))] + [
            (v.id, v.name) for v in db.session.scalars(select(Volunteer).order_by(Volunteer.name))
            if v.id not in taken]
    leader = db.session.get(User, activity.leader_id) if activity.leader_id else None
    lead_volunteer = (db.session.get(Volunteer, activity.leader_volunteer_id)
                      if activity.leader_volunteer_id else None)
    check_url = _check_link(activity)
    return render("volunteers/activity.html", http_status=http_status, activity=activity,
                  rows=rows, leader=leader, lead_volunteer=lead_volunteer, signup=form,
                  check_url=check_url, marks=Mark, people=dict(_people()),
                  masked={r.id: mask_id_number(r.volunteer.id_number) for r in rows},
                  may_lead=services.may_lead(activity, current_user))


def _check_link(activity: Activity) -> str:
    return external_url("volunteers.check", fund_slug=g.fund.slug, activity_id=activity.id,
                        check_token=activity.check_token)


@bp.route(PREFIX + "/activities/<int:activity_id>")
@fund_access("activity.lead")
def activity(activity_id: int):
    return _activity_page(_led_activity(activity_id))


@bp.route(PREFIX + "/activities/<int:activity_id>/qr.svg")
@fund_access("activity.lead")
def activity_qr(activity_id: int):
    """The code to print and put up at the place: it opens the check-in page."""
    activity = _led_activity(activity_id)
    out = io.BytesIO()
    segno.make(_check_link(activity), error="m").save(
        out, kind="svg", scale=8, border=2)
    return send_file(io.BytesIO(out.getvalue()), mimetype="image/svg+xml",
                     download_name=f"activity-{activity.id}.svg")


@bp.route(PREFIX + "/activities/<int:activity_id>/signup", methods=["POST"])
@fund_access("volunteer.manage")
def signup(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    form = SignupForm()

    def act():
        volunteer = db.session.get(Volunteer, form.volunteer_id.data or 0)
        if volunteer is None:
            raise Invalid({"volunteer_id": _("Choose a volunteer of this fund.")})
        return services.sign_up(activity, volunteer)

    if attempt(form, act) is REFUSED:
        return _activity_page(activity, 422, signup=form)
    db.session.commit()
    return leave_for(url_for("volunteers.activity", activity_id=activity.id))


def _leader_move(activity_id: int, attendance_id: int, move):
    from .models import Attendance

    activity = _led_activity(activity_id)
    row = db.get_or_404(Attendance, attendance_id)
    if row.activity_id != activity.id:
        abort(404)

    def act():
        if not services.may_lead(activity, current_user):
            raise Invalid({"code": _("Only the activity's leader checks people in and out.")})
        move(row, activity)

    if attempt_flash(act) is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.activity", activity_id=activity.id))


@bp.route(PREFIX + "/activities/<int:activity_id>/attendance/<int:attendance_id>/in",
          methods=["POST"])
@fund_access("activity.lead")
def leader_check_in(activity_id: int, attendance_id: int):
    return _leader_move(activity_id, attendance_id, services.leader_check_in)


@bp.route(PREFIX + "/activities/<int:activity_id>/attendance/<int:attendance_id>/out",
          methods=["POST"])
@fund_access("activity.lead")
def leader_check_out(activity_id: int, attendance_id: int):
    return _leader_move(activity_id, attendance_id, services.check_out)


def typed_marks() -> dict[int, str]:
    """The marks a leader chose, by attendance id, from the list's "mark-<id>" fields (the
    fund person's list and a volunteer leader's)."""
    return {int(key[5:]): value for key, value in request.form.items()
            if key.startswith("mark-") and key[5:].isascii() and key[5:].isdigit()}


@bp.route(PREFIX + "/activities/<int:activity_id>/marks", methods=["POST"])
@fund_access("activity.lead")
def mark_list(activity_id: int):
    activity = _led_activity(activity_id)
    if attempt_flash(lambda: services.mark_list(activity, typed_marks(),
                                                current_user)) is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.activity", activity_id=activity.id))


@bp.route(PREFIX + "/activities/<int:activity_id>/confirm", methods=["POST"])
@fund_access("hours.confirm")
def confirm(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    if attempt_flash(lambda: services.confirm(activity, current_user)) is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.activity", activity_id=activity.id))


# --- the time bank ---------------------------------------------------------------------------

def _account_name(account: TimeAccount, names: dict[int, str]) -> str:
    if account.kind == AccountKind.VOLUNTEER:
        return names.get(account.volunteer_id, "")
    if account.kind == AccountKind.RESIDENT:
        return account.holder or ""
    return AccountKind.label_of(account.kind)


def _bank(http_status: int = 200, transfer=None, resident=None):
    names = dict(db.session.execute(select(Volunteer.id, Volunteer.name)).all())
    accounts = timebank.accounts()
    transfer = transfer or TransferForm()
    choose = [("", _("Choose…"))]
    transfer.source_id.choices = choose + [(a.id, _account_name(a, names)) for a in accounts
                                           if a.kind not in timebank.BANK_SIDES]
    transfer.target_id.choices = choose + [(a.id, _account_name(a, names)) for a in accounts
                                           if a.kind != AccountKind.ISSUED]
    return render("volunteers/bank.html", http_status=http_status, accounts=accounts,
                  names={a.id: _account_name(a, names) for a in accounts},
                  balances=timebank.balances(), transfer=transfer,
                  resident=resident or ResidentForm(), rule=timebank.EXCHANGE_RULE)


@bp.route(PREFIX + "/bank")
@fund_access("volunteer.read")
def bank():
    return _bank()


@bp.route(PREFIX + "/bank/transfer", methods=["POST"])
@fund_access("timebank.manage")
def transfer():
    form = TransferForm()

    def act():
        source = db.session.get(TimeAccount, form.source_id.data or 0)
        target = db.session.get(TimeAccount, form.target_id.data or 0)
        if source is None:
            raise Invalid({"source_id": _("Choose an account of this fund.")})
        if target is None:
            raise Invalid({"target_id": _("Choose an account of this fund.")})
        return timebank.move(g.fund.id, source, target, services.parse_hours(form.hours.data),
                             note=form.note.data or "", user=current_user)

    if attempt(form, act) is REFUSED:
        return _bank(422, transfer=form)
    db.session.commit()
    return leave_for(url_for("volunteers.bank"))


@bp.route(PREFIX + "/bank/residents", methods=["POST"])
@fund_access("timebank.manage")
def add_resident():
    form = ResidentForm()
    if attempt(form, lambda: timebank.add_resident(g.fund.id, form.holder.data,
                                                   form.max_hours.data)) is REFUSED:
        return _bank(422, resident=form)
    db.session.commit()
    return leave_for(url_for("volunteers.bank"))


@bp.route(PREFIX + "/bank/<int:account_id>")
@fund_access("volunteer.read")
def statement(account_id: int):
    account = db.get_or_404(TimeAccount, account_id)
    names = dict(db.session.execute(select(Volunteer.id, Volunteer.name)).all())
    return render("volunteers/statement.html", account=account,
                  name=_account_name(account, names), lines=timebank.statement(account),
                  rule=timebank.EXCHANGE_RULE)


@bp.route(PREFIX + "/export.xlsx", methods=["POST"])
@fund_access("volunteer.export")
def export_xlsx():
    """The district's volunteer system takes people by real name and ID number, so the file
    holds them whole (export.py): only volunteer.export may download it, and every download is
    written to the audit trail (who and when by the entry, how many rows here). A POST (a
    button, not a link): a download that writes its audit entry is not a read."""
    data, people, service_rows = export.workbook(g.fund)
    record("volunteer.exported", fund_id=g.fund.id, subject=("volunteer", None),
           after={"volunteers": people, "service_rows": service_rows,
                  "id_numbers": "whole"})
    db.session.commit()
    return send_file(io.BytesIO(data), download_name=export.filename(g.fund),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
