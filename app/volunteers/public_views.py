"""A volunteer's own pages, opened with an SMS code instead of a password: their record across
the township's funds, sign-up, certificates; the check-in page behind an activity's QR code;
and the public check page behind a certificate's QR code."""

from __future__ import annotations

from datetime import date

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.db_types import utcnow
from app.extensions import db, limiter
from app.funds.models import Fund
from app.notify.codes import per_phone
from app.privacy import mask_id_number, mask_name
from app.rendering import leave_for, render
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants import SYSTEM, using
from tenants.access import fund_access, open_access

from . import bp, certificates, proof, services
from .forms import CodeForm, PhoneForm
from .models import Activity, ActivityStatus, Attendance, Certificate, Mark
from .views import PREFIX, certificate_file, with_geolocation


def _prove_step(back: str):
    """Answer a POST of the number (send a code) or of the code (remember the number)."""
    step = request.form.get("step")
    if step == "leave":
        proof.forget()
        return leave_for(back), None, None
    if step == "verify":
        code_form = CodeForm()
        if attempt(code_form, lambda: proof.verify(g.fund, code_form.phone.data,
                                                   code_form.code.data)) is REFUSED:
            return None, None, code_form
        db.session.commit()
        return leave_for(back), None, None
    phone_form = PhoneForm()
    sent = attempt(phone_form, lambda: proof.send(g.fund, phone_form.phone.data))
    if sent is REFUSED:
        return None, phone_form, None
    db.session.commit()
    return None, None, CodeForm(formdata=None, phone=sent)


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
    if request.method == "POST":
        done, phone_form, code_form = _prove_step(url_for("volunteers.me"))
        if done is not None:
            return done
        failed = (phone_form and phone_form.errors) or (code_form and code_form.errors)
        return _me_page(422 if failed else 200, phone_form=phone_form, code_form=code_form)
    return _me_page()


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
    phone_form = code_form = None
    failed = False
    if request.method == "POST" and request.form.get("step") in ("in", "out"):
        volunteer = _proved_volunteer()
        row = volunteer and services.attendance_of(activity, volunteer)

        def act():
            if row is None:
                raise Invalid({"code": _("You have not signed up for this activity. Ask the "
                                         "leader to add you.")})
            if request.form["step"] == "in":
                # The phone's position, when the volunteer let the browser share it
                # (static/js/checkin-position.js); none is taken, as 位置未核实.
                services.check_in(row, activity, position=services.Position.parse(
                    request.form.get("latitude"), request.form.get("longitude")))
            else:
                services.check_out(row, activity)

        if attempt_flash(act) is not REFUSED:
            db.session.commit()
            return leave_for(here)
        failed = True
    elif request.method == "POST":
        done, phone_form, code_form = _prove_step(here)
        if done is not None:
            return done
        failed = bool((phone_form and phone_form.errors) or (code_form and code_form.errors))
    volunteer = _proved_volunteer()
    row = services.attendance_of(activity, volunteer) if volunteer else None
    return with_geolocation(render(
        "volunteers/check.html", block="content", http_status=422 if failed else 200,
        activity=activity, volunteer=volunteer, row=row,
        proved=proof.proved(g.fund) is not None, phone_form=phone_form or PhoneForm(),
        code_form=code_form, window=services.window(activity)))


@bp.route(PREFIX + "/me/lead/<int:activity_id>", methods=["GET", "POST"])
@fund_access("public")
@per_phone("volunteer")
def lead(activity_id: int):
    """A volunteer named an activity's leader (no account in the fund) opens its list with an
    SMS code: they check people in and out and mark the list, and see this list only, the ID
    numbers masked. Anyone else proved here finds no such page."""
    activity = db.get_or_404(Activity, activity_id)
    here = url_for("volunteers.lead", activity_id=activity.id)
    phone_form = code_form = None
    failed = False
    step = request.form.get("step") if request.method == "POST" else None
    if step in ("in", "out", "marks"):
        leader = _proved_volunteer()
        if not services.led_by(activity, leader):
            abort(404)

        def act():
            if step == "marks":
                marks = {int(k[5:]): v for k, v in request.form.items()
                         if k.startswith("mark-") and k[5:].isascii() and k[5:].isdigit()}
                return services.mark_list(activity, marks, None, volunteer=leader)
            row = db.session.get(Attendance, _int(request.form.get("attendance_id")))
            if row is None or row.activity_id != activity.id:
                raise Invalid({"code": _("Choose someone on this activity's list.")})
            if step == "in":
                return services.leader_check_in(row, activity)
            return services.check_out(row, activity)

        if attempt_flash(act) is not REFUSED:
            db.session.commit()
            return leave_for(here)
        failed = True
    elif request.method == "POST":
        done, phone_form, code_form = _prove_step(here)
        if done is not None:
            return done
        failed = bool((phone_form and phone_form.errors) or (code_form and code_form.errors))
    proved = proof.proved(g.fund) is not None
    leader = _proved_volunteer()
    if proved and not services.led_by(activity, leader):
        abort(404)
    rows = services.attendances(activity) if proved else []
    return render("volunteers/lead.html", block="content", http_status=422 if failed else 200,
                  activity=activity, proved=proved, rows=rows, marks=Mark,
                  masked={r.id: mask_id_number(r.volunteer.id_number) for r in rows},
                  phone_form=phone_form or PhoneForm(), code_form=code_form)


def _int(value) -> int:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else 0


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
