"""Donation pages of a fund: the list with filters and exports, one donation, recording and
correcting, batches, the ledger, and the fund's purposes and donation points."""

from datetime import date

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.clock import local_today
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.pagination import page_of
from app.receipts import services as receipts
from app.receipts.models import Receipt
from app.rendering import render, render_form
from app.validation import REFUSED, Invalid, attempt, int_or_none
from tenants.access import fund_access

from . import batches as batch_rules
from . import exports, services
from .forms import BatchForm, DonationForm, NamedForm, ReverseForm, RowForm
from .models import OFFLINE_CHANNELS, Batch, Designation, Donation, DonationPoint

bp = Blueprint("donations", __name__, url_prefix="/f/<fund_slug>")


def _designation_choices(general_label=None):
    rows = db.session.scalars(select(Designation).where(Designation.active)
                              .order_by(Designation.id)).all()
    return [SelectChoice("", general_label or _("The fund in general"))] + [
        SelectChoice(str(d.id), d.name) for d in rows]


def _point_choices():
    rows = db.session.scalars(select(DonationPoint).where(DonationPoint.active)
                              .order_by(DonationPoint.id)).all()
    return [SelectChoice("", "—")] + [SelectChoice(str(p.id), p.name) for p in rows]


_int = int_or_none


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _row_loads():
    """Donor, purpose and point of every row in one query each, not one per row."""
    return (selectinload(Donation.donor), selectinload(Donation.designation),
            selectinload(Donation.point))


def _filter_from_args() -> services.DonationFilter:
    args = request.args
    return services.DonationFilter(
        date_from=_date(args.get("from")), date_to=_date(args.get("to")),
        channel=args.get("channel") or None, designation=args.get("designation") or None,
        status=args.get("status") or None, donor_id=_int(args.get("donor")),
        batch_id=_int(args.get("batch")),
        receipt=args.get("receipt") or None,
    )


@bp.route("/donations/")
@fund_access("money.read")
def index():
    filters = _filter_from_args()
    count, total = services.filtered_totals(filters)
    query = services.filtered(filters).options(*_row_loads())
    page = page_of(query, count, _int(request.args.get("page")) or 1)
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    return render("donations/index.html", block="results", page=page, total_fen=total,
                  args=args, designations=_designation_choices())


@bp.route("/donations/export.<any(csv, xlsx):fmt>")
@fund_access("money.read")
def export(fmt: str):
    query = services.filtered(_filter_from_args()).options(*_row_loads())
    return exports.respond(fmt, db.session.scalars(query), g.fund)


@bp.route("/donations/new", methods=["GET", "POST"])
@fund_access("money.record")
def new():
    form = DonationForm()
    form.designation_id.choices = _designation_choices()
    form.point_id.choices = _point_choices()
    if request.method == "GET":
        form.received_on.data = local_today()
        if donor_id := _int(request.args.get("donor_id")):
            from app.donors.models import Donor

            donor = db.session.get(Donor, donor_id)
            if donor is not None:
                form.donor_id.data, form.donor_name.data = str(donor.id), donor.name
    if form.is_submitted():
        donation = attempt(form, lambda: _record(form))
        if donation is not REFUSED:
            db.session.commit()
            flash(_("Donation recorded and counted in the fund."), "info")
            return redirect(url_for("donations.detail", donation_id=donation.id))
    return render_form("donations/new.html", form, block="form")


def _record(form: DonationForm) -> Donation:
    from app.donors import services as donors

    data = services.DonationInput(
        amount=form.amount.data, channel=form.channel.data, received_on=form.received_on.data,
        reference=form.reference.data or "", designation_id=form.designation_id.data,
        point_id=form.point_id.data, handler_id=current_user.id,
        item_description=form.item_description.data or "",
        item_quantity=form.item_quantity.data or "",
        valuation_basis=form.valuation_basis.data or "", notes=form.notes.data or "",
        donor_id=form.donor_id.data, submission_key=form.submission_key.data or None,
    )
    # All messages first (a new donor is created only for a valid gift); online gifts come
    # through the payment gateway, never through this form.
    services.check(data, channels=OFFLINE_CHANNELS)
    data.donor_id = donors.resolve(data.donor_id, form.donor_name.data)
    return services.record_offline(data, current_user)


@bp.route("/donations/<int:donation_id>")
@fund_access("money.read")
def detail(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.donation_id == donation.id).order_by(LedgerEntry.id)).all()
    return render("donations/detail.html", donation=donation, entries=entries,
                  receipts=_receipts(donation), reverse_form=ReverseForm())


@bp.route("/donations/<int:donation_id>/reverse", methods=["POST"])
@fund_access("donation.reverse")
def reverse(donation_id: int):
    donation = db.get_or_404(Donation, donation_id)
    form = ReverseForm()
    if attempt(form, lambda: services.reverse(donation, form.reason.data, current_user)) \
            is not REFUSED:
        db.session.commit()
        flash(_("The donation was reversed in the ledger. Record it again correctly."), "info")
        return redirect(url_for("donations.detail", donation_id=donation.id))
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.donation_id == donation.id)).all()
    return render("donations/detail.html", http_status=422, donation=donation, entries=entries,
                  receipts=_receipts(donation), reverse_form=form)


def _receipts(donation: Donation) -> list[Receipt]:
    return receipts.receipts_of(donation)  # its annual receipt too


def _batch_form() -> BatchForm:
    form = BatchForm()
    form.point_id.choices = _point_choices()
    return form


def _batches_page(form: BatchForm):
    rows = db.session.scalars(select(Batch).order_by(Batch.id.desc())).all()
    return render_form("donations/batches.html", form, block="form", batches=rows,
                       totals={b.id: batch_rules.totals(b) for b in rows})


@bp.route("/batches/")
@fund_access("money.read")
def batches():
    form = _batch_form()
    form.received_on.data = local_today()
    return _batches_page(form)


@bp.route("/batches/", methods=["POST"])
@fund_access("money.record")
def open_batch():
    form = _batch_form()
    batch = attempt(form, lambda: batch_rules.open_batch(batch_rules.BatchInput(
        title=form.title.data, channel=form.channel.data, received_on=form.received_on.data,
        counted_total=form.counted_total.data, point_id=form.point_id.data), current_user))
    if batch is not REFUSED:
        db.session.commit()
        return redirect(url_for("donations.batch", batch_id=batch.id))
    return _batches_page(form)


def _row_form(fresh: bool = False) -> RowForm:
    """The row entry form; fresh=True ignores the request, for the next empty row."""
    form = RowForm(formdata=None) if fresh else RowForm()
    form.designation_id.choices = _designation_choices()
    return form


def _batch_page(batch: Batch, form: RowForm, http_status: int = 200, close_error: str = ""):
    rows = db.session.scalars(select(Donation).where(Donation.batch_id == batch.id)
                              .order_by(Donation.id)).all()
    return render("donations/batch.html", block="entry", http_status=http_status, batch=batch,
                  rows=rows, form=form, totals=batch_rules.totals(batch), close_error=close_error)


@bp.route("/batches/<int:batch_id>")
@fund_access("money.read")
def batch(batch_id: int):
    return _batch_page(db.get_or_404(Batch, batch_id), _row_form(fresh=True))


@bp.route("/batches/<int:batch_id>/rows", methods=["POST"])
@fund_access("money.record")
def add_row(batch_id: int):
    batch = db.get_or_404(Batch, batch_id)
    form = _row_form()
    added = attempt(form, lambda: batch_rules.add_row(batch, batch_rules.RowInput(
        amount=form.amount.data, donor_id=form.donor_id.data,
        donor_name=form.donor_name.data or "", reference=form.reference.data or "",
        designation_id=form.designation_id.data, notes=form.notes.data or ""), current_user))
    if added is not REFUSED:
        db.session.commit()
        return _batch_page(batch, _row_form(fresh=True))  # the cursor back in "donor"
    return _batch_page(batch, form, http_status=422)


@bp.route("/batches/<int:batch_id>/rows/<int:donation_id>/remove", methods=["POST"])
@fund_access("money.record")
def remove_row(batch_id: int, donation_id: int):
    batch = db.get_or_404(Batch, batch_id)
    try:
        batch_rules.remove_row(batch, db.get_or_404(Donation, donation_id))
    except Invalid as error:
        return _batch_page(batch, _row_form(fresh=True), http_status=422,
                           close_error=next(iter(error.errors.values())))
    db.session.commit()
    return _batch_page(batch, _row_form(fresh=True))


@bp.route("/batches/<int:batch_id>/close", methods=["POST"])
@fund_access("money.record")
def close_batch(batch_id: int):
    batch = db.get_or_404(Batch, batch_id)
    try:
        result = batch_rules.close_batch(batch, current_user)
    except Invalid as error:
        db.session.rollback()
        return _batch_page(batch, _row_form(fresh=True), http_status=422,
                           close_error=next(iter(error.errors.values())))
    db.session.commit()
    flash(_("Batch closed: %(rows)d donations confirmed.", rows=result.rows), "info")
    return redirect(url_for("donations.batch", batch_id=batch.id))


@bp.route("/ledger")
@fund_access("money.read")
def ledger_page():
    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())
                                 .limit(200)).all()
    names = dict(db.session.execute(select(Designation.id, Designation.name)).all())
    return render("donations/ledger.html", entries=entries, balances=ledger.balances(),
                  designation_names=names, source=ledger.source)


def _settings_page(kind: str, form: NamedForm):
    model = Designation if kind == "designations" else DonationPoint
    rows = db.session.scalars(select(model).order_by(model.id)).all()
    return render_form("donations/settings.html", form, block="form", kind=kind, rows=rows)


@bp.route("/settings/<any(designations, points):kind>")
@fund_access("money.read")
def settings(kind: str):
    return _settings_page(kind, NamedForm())


@bp.route("/settings/<any(designations, points):kind>", methods=["POST"])
@fund_access("money.configure")
def add_setting(kind: str):
    """A new purpose donors can give to, or a new donation point."""
    model = Designation if kind == "designations" else DonationPoint
    form = NamedForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(select(model.id).where(model.name == name)) is not None:
            form.name.errors = [_("This name is already in use in this fund.")]
        else:
            row = model(name=name)
            if model is DonationPoint:
                row.address = (form.address.data or "").strip()
            db.session.add(row)
            db.session.commit()
            return redirect(url_for("donations.settings", kind=kind))
    return _settings_page(kind, form)
