"""Collection codes (public image, the treasurer's upload), a donor's report of a gift paid by
code, the bill import with its one matching screen, and the QR posters."""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import uploads
from app.clock import LOCAL
from app.donations.models import Designation, Donation, DonationPoint
from app.extensions import db, limiter
from app.money import yuan
from app.pdf import public_rate_limit
from app.rendering import render, render_form
from app.validation import REFUSED, Invalid, attempt, attempt_flash, int_or_none
from app.wishes import services as wishes
from tenants.access import fund_access

from . import bills, posters, services
from .forms import BillForm, CodeForm, MatchForm, ReportForm
from .models import BillLine, CollectionCode

bp = Blueprint("giving", __name__, url_prefix="/f/<fund_slug>")


@bp.route("/donate/code/<any(wechat, alipay):code_kind>")
@fund_access("public")
def code_image(code_kind: str):
    code = db.session.scalar(select(CollectionCode).where(CollectionCode.kind == code_kind))
    data = services.code_image(code) if code else None
    if data is None:
        abort(404)
    return uploads.file_response(data, code.content_type)


def _designations():
    return db.session.scalars(select(Designation).where(Designation.active)
                              .order_by(Designation.id)).all()


@bp.route("/donate/report", methods=["GET", "POST"])
@fund_access("public")
@limiter.limit("10 per minute", methods=["POST"])
def report():
    codes = services.codes()
    if not codes or not g.fund.is_active:
        return redirect(url_for("payments.donate"))
    presets = {}
    if request.method == "GET":
        presets = {"kind": codes[0].kind, "designation": request.args.get("designation") or "",
                   "wish": str(int_or_none(request.args.get("wish")) or "")}
    form = ReportForm(codes, _designations(), **presets)
    def report_it():
        reported = services.report_gift(services.ReportInput(
            kind=form.kind.data or "", name=form.name.data, amount=form.amount.data,
            paid_on=form.paid_on.data, paid_time=form.paid_time.data,
            phone_last4=form.phone_last4.data, designation_id=form.designation.data,
            message=form.message.data))
        wishes.link_gift(reported, int_or_none(form.wish.data))  # a 微心愿 claimer's gift
        return reported

    reported = attempt(form, report_it) if form.is_submitted() else REFUSED
    if reported is not REFUSED:
        db.session.commit()
        return render("giving/reported.html", fund=g.fund, donation=reported)
    return render_form("giving/report.html", form, block="form", fund=g.fund,
                       note=services.note_for(g.fund, form.name.data or ""))


@bp.route("/giving/codes", methods=["GET", "POST"])
@fund_access("money.configure")
def codes():
    form = CodeForm()
    saved = attempt(form, lambda: services.save_code(
        form.kind.data, form.payee.data, uploads.read(form.image.data), current_user)) \
        if form.is_submitted() else REFUSED
    if saved is not REFUSED:
        db.session.commit()
        flash(_("The collection code is on the donate page."), "info")
        return redirect(url_for("giving.codes"))
    return render_form("giving/codes.html", form, block="form", fund=g.fund,
                       codes=services.codes())


@bp.route("/giving/codes/<any(wechat, alipay):code_kind>/remove", methods=["POST"])
@fund_access("money.configure")
def remove_code(code_kind: str):
    services.remove_code(code_kind)
    db.session.commit()
    flash(_("The collection code is no longer shown."), "info")
    return redirect(url_for("giving.codes"))


def _bills_page(form=None, match_forms=None, result=None, http_status=200):
    lines = bills.unmatched_lines()
    reports = services.pending_reports()
    choices = [("", "—")] + [(str(r.donation_id), f"{r.name} · ¥{yuan(d.amount_fen)} · "
                              f"{local_time(r.paid_at)}") for r, d in reports]
    match_forms = match_forms or {}
    for line in lines:
        match_forms.setdefault(line.id, MatchForm(prefix=f"line{line.id}"))
        match_forms[line.id].donation.choices = choices
    return render("giving/bills.html", http_status=http_status, fund=g.fund,
                  form=form or BillForm(), lines=lines, reports=reports,
                  match_forms=match_forms, result=result)


def local_time(moment) -> str:
    return moment.astimezone(LOCAL).strftime("%m-%d %H:%M")


@bp.route("/giving/bills", methods=["GET", "POST"])
@fund_access("money.record")
def bills_page():
    """Import the fund's bill; lines and reported gifts nothing matched wait here."""
    form = BillForm()
    result = attempt(form, lambda: bills.import_bill(
        form.kind.data, uploads.read(form.file.data, bills.MAX_BYTES), current_user)) \
        if form.is_submitted() else REFUSED
    if result is not REFUSED:
        db.session.commit()
        flash(_("%(added)d new lines, %(matched)d of them matched to a reported gift; "
                "%(known)d were imported before.", added=result.added,
                matched=result.matched, known=result.known), "info")
        return redirect(url_for("giving.bills_page"))
    return _bills_page(form, http_status=422 if form.is_submitted() else 200)


def _line(line_id: int) -> BillLine:
    line = db.session.get(BillLine, line_id)
    if line is None:
        abort(404)
    return line


@bp.route("/giving/bills/<int:line_id>/match", methods=["POST"])
@fund_access("money.record")
def match(line_id: int):
    line = _line(line_id)
    form = MatchForm(prefix=f"line{line.id}")
    form.donation.choices = [(str(r.donation_id), r.name) for r, _d in services.pending_reports()]

    def match_it():
        if not form.donation.data:
            raise Invalid({"donation": _("Choose the reported gift this money pays.")})
        return bills.confirm_with(line, form.donation.data, current_user)

    if attempt(form, match_it) is REFUSED:
        return _bills_page(match_forms={line.id: form}, http_status=422)
    db.session.commit()
    flash(_("Matched: the gift is confirmed."), "info")
    return redirect(url_for("giving.bills_page"))


@bp.route("/giving/bills/<int:line_id>/record", methods=["POST"])
@fund_access("money.record")
def record(line_id: int):
    line = _line(line_id)
    if attempt_flash(lambda: bills.record_as_gift(line, current_user)) is not None:
        db.session.commit()
        flash(_("Recorded as a gift of its own."), "info")
    return redirect(url_for("giving.bills_page"))


@bp.route("/giving/reports/<int:donation_id>/reject", methods=["POST"])
@fund_access("money.record")
def reject(donation_id: int):
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        abort(404)
    if attempt_flash(lambda: bills.reject_report(donation) or True) is not None:
        db.session.commit()
        flash(_("The reported gift is marked as not received."), "info")
    return redirect(url_for("giving.bills_page"))


@bp.route("/giving/poster.pdf")
@fund_access("fund.enter")
@limiter.limit(public_rate_limit)
def poster():
    """One A4 poster to print: the donate page's QR code, with a point or project chosen."""
    point = db.session.get(DonationPoint, int_or_none(request.args.get("point")) or 0)
    designation = db.session.get(Designation, int_or_none(request.args.get("designation")) or 0)
    return posters.response(g.fund, point=point, designation=designation)
