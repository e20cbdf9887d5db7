"""Receipt pages of a fund, and the public verification page behind each receipt's QR code."""

import io

from flask import Blueprint, abort, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app import jobs
from app.auth.roles import PUBLIC
from app.clock import local_today
from app.donations.models import Batch, Donation
from app.extensions import db, limiter
from app.funds.models import Fund
from app.i18n import show_date
from app.privacy import mask_name
from app.rendering import list_filter, render, render_form
from app.validation import REFUSED, attempt, attempt_flash, int_or_none
from tenants import SYSTEM, using
from tenants.access import fund_access, open_access

from . import bulk, delivery, services  # noqa: F401  (bulk registers the receipts' jobs)
from .forms import (
    AnnualForm,
    IssueForm,
    OfficialForm,
    PrintForm,
    ReissueForm,
    SettingsForm,
    VoidForm,
)
from .models import Receipt, ReceiptStatus

bp = Blueprint("receipts", __name__)
PREFIX = "/f/<fund_slug>/receipts"


@bp.route(PREFIX + "/")
@fund_access("money.read")
def index():
    q = request.args.get("q", "").strip()
    year = int_or_none(request.args.get("year"))
    state = list_filter("status", ReceiptStatus.values()) or ""
    query = select(Receipt)
    if q:
        query = query.where(Receipt.number.contains(q) | Receipt.name.contains(q))
    if year:
        query = query.where(Receipt.year == year)
    if state:
        query = query.where(Receipt.status == state)
    page = db.paginate(query.order_by(Receipt.id.desc()), per_page=50, error_out=False,
                       page=int_or_none(request.args.get("page")) or 1)
    years = db.session.scalars(select(Receipt.year).distinct().order_by(Receipt.year.desc()))
    return render("receipts/index.html", block="results", page=page, q=q, year=year,
                  state=state, years=list(years))


def _detail(receipt: Receipt, http_status: int = 200, **forms):
    forms.setdefault("void_form", VoidForm())
    forms.setdefault("reissue_form", ReissueForm(name=receipt.name))
    forms.setdefault("official_form", OfficialForm(obj=receipt))
    replaced_by = db.session.scalar(select(Receipt).where(Receipt.replaces_id == receipt.id))
    gifts = services.listed_gifts(receipt) if receipt.kind == "annual" else []
    return render("receipts/detail.html", http_status=http_status, receipt=receipt,
                  replaced_by=replaced_by, gifts=gifts, **forms)


@bp.route(PREFIX + "/<int:receipt_id>")
@fund_access("money.read")
def detail(receipt_id: int):
    return _detail(db.get_or_404(Receipt, receipt_id))


@bp.route(PREFIX + "/<int:receipt_id>/pdf")
@fund_access("money.read")
def pdf(receipt_id: int):
    """The stored bytes, never rendered again: the stamped copy once voided, or the original."""
    receipt = db.get_or_404(Receipt, receipt_id)
    stored = services.file(receipt) if request.args.get("original") else \
        services.current_pdf(receipt)
    return send_file(io.BytesIO(stored.data), mimetype="application/pdf",
                     download_name=f"{receipt.number}.pdf", etag=stored.sha256)


@bp.route(PREFIX + "/<int:receipt_id>/void", methods=["POST"])
@fund_access("receipt.void")
def void(receipt_id: int):
    receipt = db.get_or_404(Receipt, receipt_id)
    form = VoidForm()
    if form.is_submitted():
        voided = attempt(form, lambda: services.void(receipt, form.reason.data,
                                                     user=current_user))
        if voided is not REFUSED:
            db.session.commit()
            flash(_("Receipt %(number)s is void. Its copy now shows 作废.", number=receipt.number),
                  "info")
            return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    return _detail(receipt, http_status=422, void_form=form)


@bp.route(PREFIX + "/<int:receipt_id>/reissue", methods=["POST"])
@fund_access("receipt.void")
def reissue(receipt_id: int):
    receipt = db.get_or_404(Receipt, receipt_id)
    form = ReissueForm()
    if form.is_submitted():
        new = attempt(form, lambda: services.reissue(receipt, name=form.name.data,
                                                     user=current_user))
        if new is not REFUSED:
            delivery.queue(new)  # the donor gets the corrected receipt, as with any new one
            db.session.commit()
            flash(_("Receipt %(number)s was issued in its place.", number=new.number), "info")
            return redirect(url_for("receipts.detail", receipt_id=new.id))
    return _detail(receipt, http_status=422, reissue_form=form)


@bp.route(PREFIX + "/<int:receipt_id>/send", methods=["POST"])
@fund_access("receipt.issue")
def send(receipt_id: int):
    """Email the receipt to its donor (again): the stored PDF, by a worker, with retries."""
    receipt = db.get_or_404(Receipt, receipt_id)
    to = attempt_flash(lambda: delivery.resend(receipt))
    if to is not REFUSED:
        db.session.commit()
        flash(_("Receipt %(number)s is being emailed to %(email)s.", number=receipt.number,
                email=to), "info")
    return redirect(url_for("receipts.detail", receipt_id=receipt.id))


@bp.route(PREFIX + "/<int:receipt_id>/official", methods=["POST"])
@fund_access("receipt.issue")
def official(receipt_id: int):
    receipt = db.get_or_404(Receipt, receipt_id)
    form = OfficialForm()
    if form.is_submitted():
        recorded = attempt(form, lambda: services.record_official(
            receipt, form.official_code.data, form.official_number.data))
        if recorded is not REFUSED:
            db.session.commit()
            flash(_("The official receipt is recorded."), "info")
            return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    return _detail(receipt, http_status=422, official_form=form)


@bp.route(PREFIX + "/issue/<int:donation_id>", methods=["GET", "POST"])
@fund_access("receipt.issue")
def issue(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    form = IssueForm()
    if form.is_submitted():
        receipt = attempt(form, lambda: services.issue(donation, name=form.name.data,
                                                       user=current_user))
        if receipt is not REFUSED:
            emailed = delivery.queue(receipt)  # sent by a worker once this commits
            db.session.commit()
            flash(_("Receipt %(number)s is issued.", number=receipt.number), "info")
            if emailed:
                flash(_("It is being emailed to %(email)s.", email=emailed), "info")
            return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    return render_form("receipts/issue.html", form, block="form", donation=donation,
                       existing=services.existing_receipt(donation))


@bp.route(PREFIX + "/waive/<int:donation_id>", methods=["POST"])
@fund_access("receipt.issue")
def waive(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    if attempt_flash(lambda: services.waive(donation)) is not REFUSED:
        db.session.commit()
        flash(_("Recorded: the donor does not want a receipt for this gift."), "info")
    return redirect(url_for("donations.detail", donation_id=donation.id))


@bp.route(PREFIX + "/settings", methods=["GET", "POST"])
@fund_access("receipt.configure")
def settings():
    current = services.settings(g.fund.id)
    form = SettingsForm(obj=current)
    form.checker_id.choices = [("", _("The chair")), *services.checker_choices(g.fund.id)]
    if form.is_submitted():
        upload = form.seal.data
        saved = attempt(form, lambda: services.save_settings(
            g.fund.id, issue_mode=form.issue_mode.data, thanks=form.thanks.data,
            seal=upload.read(services.MAX_SEAL + 1) if upload else None,
            checker_id=form.checker_id.data, separate_signers=form.separate_signers.data))
        if saved is not REFUSED:
            db.session.commit()
            flash(_("Receipt settings saved."), "info")
            return redirect(url_for("receipts.settings"))
    return render_form("receipts/settings.html", form, block="form", current=current)


@bp.route(PREFIX + "/settings/seal.png")
@fund_access("money.read")
def seal():
    current = services.settings(g.fund.id)
    if not current.seal_png:
        abort(404)
    from app.uploads import file_response

    return file_response(current.seal_png, "image/png")


@bp.route("/r/<token>")
@open_access(PUBLIC)
@limiter.limit("30 per minute")
def verify(token: str):
    """Anyone holding the receipt may check it. Only what the paper already shows, masked."""
    with using(SYSTEM):  # the token alone says which fund; nothing else is read
        receipt = services.by_token(token) if len(token) <= 40 else None
        if receipt is None:
            abort(404)
        fund = db.session.get(Fund, receipt.fund_id)
        # A voided receipt points its holder to the one that replaced it, if any.
        replacement = db.session.execute(select(Receipt.number, Receipt.token).where(
            Receipt.fund_id == receipt.fund_id, Receipt.replaces_id == receipt.id)).first()
        facts = {
            "number": receipt.number, "void": receipt.is_void, "fund": fund.name,
            "host": fund.host_charity, "issued_on": receipt.issued_on,
            "amount_fen": receipt.amount_fen, "name": mask_name(receipt.name),
            "kind": receipt.kind,
            "replacement": replacement and {"number": replacement.number,
                                            "token": replacement.token},
            # An annual receipt shows what it sums up: each gift's date and amount, as printed.
            "gifts": [(gift.received_on, gift.amount_fen)
                      for gift in services.listed_gifts(receipt)]
            if receipt.kind == "annual" else [],
        }
        db.session.rollback()
    return render("receipts/verify.html", facts=facts)


@bp.route(PREFIX + "/annual", methods=["GET", "POST"])
@fund_access("receipt.annual")
def annual():
    """年度汇总收据 for every donor of a year, as a background job."""
    form = AnnualForm(year=int_or_none(request.args.get("year"))
                      or local_today().year - 1)
    if form.is_submitted():
        job = attempt(form, lambda: jobs.start(
            "annual_receipts", {"year": services.check_annual_year(form.year.data)},
            user=current_user, detail=str(form.year.data)))
        if job is not REFUSED:
            db.session.commit()
            return redirect(url_for("jobs.show", job_id=job.id))
    year = form.year.data if isinstance(form.year.data, int) else None
    issued = services.annual_receipts(year) if year and 2000 <= year <= 9999 else []
    waiting = len(services.annual_donor_ids(year)) if year and 2000 <= year <= 9999 else 0
    return render_form("receipts/annual.html", form, block="form", issued=issued,
                       waiting=waiting, year=year)


@bp.route(PREFIX + "/print", methods=["GET", "POST"])
@fund_access("receipt.print")
def print_run():
    """One PDF of many stored receipts, for donors who get theirs on paper."""
    form = PrintForm()
    batches = db.session.scalars(select(Batch).order_by(Batch.id.desc()).limit(200)).all()
    form.batch_id.choices = [SelectChoice("", _("— a date range instead —"))] + [
        SelectChoice(str(b.id), f"#{b.id} {b.title} · {show_date(b.received_on)}")
        for b in batches]
    if form.is_submitted():
        job = attempt(form, lambda: jobs.start("print_run", services.check_print_run(
            form.batch_id.data, form.start.data, form.end.data), user=current_user))
        if job is not REFUSED:
            db.session.commit()
            return redirect(url_for("jobs.show", job_id=job.id))
    return render_form("receipts/print.html", form, block="form")
