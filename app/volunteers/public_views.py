"""A volunteer's own pages, opened with an SMS code instead of a password: their record across
the township's funds, sign-up, certificates; the check-in page behind an activity's QR code;
and the public check page behind a certificate's QR code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Response, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.db_types import utcnow
from app.extensions import db, limiter
from app.funds.models import Fund
from app.notify.codes import per_phone
from app.privacy import mask_id_number, mask_name
from app.rendering import leave_for, render
from app.validation import REFUSED, Invalid, attempt, attempt_flash, int_or_none
from tenants import SYSTEM, using
from tenants.access import fund_access, open_access

from . import bp, certificates, proof, services
from .forms import CodeForm, PhoneForm
from .models import Activity, ActivityStatus, Attendance, Certificate, Mark
from .views import PREFIX, certificate_file, typed_marks, with_geolocation


@dataclass
class _Posted:
    """What a POST to a page opened with an SMS code left: the answer once a step is done,
    else the status and the forms to show the page again with."""

    done: Response | None = None
    http_status: int = 200
    phone_form: PhoneForm | None = None
    code_form: CodeForm | None = None


def _post(here: str, steps: tuple[str, ...] = (),
          act: Callable[[str], object] | None = None) -> _Posted:
    """Answer a POST to a volunteer's page at `here`: one of the page's own `steps` runs
    `act(step)`, its refusal flashed above the page; any other step proves the number (the
    number sends a code, the code remembers the number) or forgets it. A step done goes back
    to the page."""
    if request.method != "POST":
        return _Posted()
    step = request.form.get("step")
    if step in steps:
        if attempt_flash(lambda: act(step)) is REFUSED:
            return _Posted(http_status=422)
        db.session.commit()
    elif step == "leave":
        proof.forget()
    elif step == "verify":
        code_form = CodeForm()
        if attempt(code_form, lambda: proof.verify(g.fund, code_form.phone.data,
                                                   code_form.code.data)) is REFUSED:
            return _Posted(http_status=422, code_form=code_form)
        db.session.commit()
    else:
        phone_form = PhoneForm()
        sent = attempt(phone_form, lambda: proof.send(g.fund, phone_form.phone.data))
        if sent is REFUSED:
            return _Posted(http_status=422, phone_form=phone_form)
        db.session.commit()
        return _Posted(code_form=CodeForm(formdata=None, phone=sent))
    return _Posted(done=leave_for(here))


def _me_page(http_status: int = 200, phone_form=None, code_form=None):
    digest = proof.proved(g.fund)
    if digest is None:
        return render("volunteers/me.html", block="content", http_status=http_status,
                      phone_form=phone_form or PhoneForm(), code_form=code_form,
                      records=None)
    volunteer = services.by_phone(digest)
    open_activities = []
    if volunteer is not None:
        taken = {a for a in db.session.scalars(select(Activity.id).join_from(
            Activity, Attendance, Attendance.activity_id == Activity.id)
            .where(Attendance.volunteer_id == volunteer.id))}
        open_activities = [a for a in db.session.scalars(select(Activity).where(
            Activity.status == ActivityStatus.OPEN, Activity.ends_at > utcnow())
            .order_by(Activity.starts_at)) if a.id not in taken]
    led = list(db.session.scalars(select(Activity).where(
        Activity.leader_volunteer_id == volunteer.id).order_by(Activity.starts_at.desc()))
    ) if volunteer is not None else []
    return render("volunteers/me.html", block="content", http_status=http_status,
                  volunteer=volunteer, records=services.record_across(g.fund, digest),
                  open_activities=open_activities, led=led,
                  certificates=certificates.of_volunteer(volunteer.id) if volunteer else [])


@bp.route(PREFIX + "/me", methods=["GET", "POST"])
@fund_access("public")
@per_phone("volunteer")
def me():
    posted = _post(url_for("volunteers.me"))
    if posted.done is not None:
        return posted.done
    return _me_page(posted.http_status, phone_form=posted.phone_form,
                    code_form=posted.code_form)


def _proved_volunteer():
    digest = proof.proved(g.fund)
    return services.by_phone(digest) if digest else None


@bp.route(PREFIX + "/me/signup/<int:activity_id>", methods=["POST"])
@fund_access("public")
def me_signup(activity_id: int):
    activity = db.get_or_404(Activity, activity_id)
    volunteer = _proved_volunteer()
    if volunteer is not None and attempt_flash(
            lambda: services.sign_up(activity, volunteer)) is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.me"))


@bp.route(PREFIX + "/me/certificate", methods=["POST"])
@fund_access("public")
def me_certificate():
    volunteer = _proved_volunteer()
    if volunteer is not None and attempt_flash(
            lambda: certificates.issue(volunteer)) is not REFUSED:
        db.session.commit()
    return leave_for(url_for("volunteers.me"))


@bp.route(PREFIX + "/me/certificates/<int:certificate_id>.pdf")
@fund_access("public")
def me_certificate_pdf(certificate_id: int):
    volunteer = _proved_volunteer()
    certificate = db.session.get(Certificate, certificate_id)
    if volunteer is None or certificate is None or certificate.volunteer_id != volunteer.id:
        return redirect(url_for("volunteers.me"))
    return certificate_file(certificate)


@bp.route(PREFIX + "/check/<int:activity_id>/<check_token>", methods=["GET", "POST"])
@fund_access("public")
@per_phone("volunteer-check")
def check(activity_id: int, check_token: str):
    """Behind the QR code put up at the place: check in (and out) with a proved number."""
    activity = db.get_or_404(Activity, activity_id)
    if check_token != activity.check_token:
        abort(404)
    here = url_for("volunteers.check", activity_id=activity.id, check_token=check_token)

    def act(step: str):
        volunteer = _proved_volunteer()
        row = volunteer and services.attendance_of(activity, volunteer)
        if row is None:
            raise Invalid({"code": _("You have not signed up for this activity. Ask the "
                                     "leader to add you.")})
        if step == "in":
            # The phone's position, when the volunteer let the browser share it
            # (static/js/checkin-position.js); none is taken, as 位置未核实.
            services.check_in(row, activity, position=services.Position.parse(
                request.form.get("latitude"), request.form.get("longitude")))
        else:
            services.check_out(row, activity)

    posted = _post(here, ("in", "out"), act)
    if posted.done is not None:
        return posted.done
    volunteer = _proved_volunteer()
    row = services.attendance_of(activity, volunteer) if volunteer else None
    return with_geolocation(render(
        "volunteers/check.html", block="content", http_status=posted.http_status,
        activity=activity, volunteer=volunteer, row=row,
        proved=proof.proved(g.fund) is not None, phone_form=posted.phone_form or PhoneForm(),
        code_form=posted.code_form, window=services.window(activity)))


@bp.route(PREFIX + "/me/lead/<int:activity_id>", methods=["GET", "POST"])
@fund_access("public")
@per_phone("volunteer")
def lead(activity_id: int):
    """A volunteer named an activity's leader (no account in the fund) opens its list with an
    SMS code: they check people in and out and mark the list, and see this list only, the ID
    numbers masked. Anyone else proved here finds no such page."""
    activity = db.get_or_404(Activity, activity_id)

    def act(step: str):
        leader = _proved_volunteer()
        if not services.led_by(activity, leader):
            abort(404)
        if step == "marks":
            return services.mark_list(activity, typed_marks(), None, volunteer=leader)
        row = db.session.get(Attendance, int_or_none(request.form.get("attendance_id")) or 0)
        if row is None or row.activity_id != activity.id:
            raise Invalid({"code": _("Choose someone on this activity's list.")})
        if step == "in":
            return services.leader_check_in(row, activity)
        return services.check_out(row, activity)

    posted = _post(url_for("volunteers.lead", activity_id=activity.id), ("in", "out", "marks"),
                   act)
    if posted.done is not None:
        return posted.done
    proved = proof.proved(g.fund) is not None
    leader = _proved_volunteer()
    if proved and not services.led_by(activity, leader):
        abort(404)
    rows = services.attendances(activity) if proved else []
    return render("volunteers/lead.html", block="content", http_status=posted.http_status,
                  activity=activity, proved=proved, rows=rows, marks=Mark,
                  masked={r.id: mask_id_number(r.volunteer.id_number) for r in rows},
                  phone_form=posted.phone_form or PhoneForm(), code_form=posted.code_form)


@bp.route("/v/<cert_token>")
@open_access("public")
@limiter.limit("30 per minute")
def check_certificate(cert_token: str):
    """Anyone holding a certificate may check it: what it states, the name partly hidden."""
    with using(SYSTEM):  # the token alone says which fund; nothing else is read
        certificate = certificates.by_token(cert_token) if len(cert_token) <= 40 else None
        if certificate is None:
            abort(404)
        fund = db.session.get(Fund, certificate.fund_id)
        facts = {"number": certificate.number, "fund": fund.name, "host": fund.host_charity,
                 "issued_on": certificate.issued_on, "name": mask_name(certificate.name),
                 "total": certificate.total_minutes,
                 "services": [(date.fromisoformat(day), title, minutes)
                              for day, title, minutes in certificate.services]}
        db.session.rollback()
    return render("volunteers/certificate_check.html", facts=facts)
