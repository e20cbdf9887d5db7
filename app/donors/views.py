"""Donor pages of a fund: list and search, create (with a duplicate warning), edit, merge."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from app.privacy import mask_id_number
from app.rendering import render, render_form
from app.validation import REFUSED, Invalid, attempt, int_or_none
from tenants.access import fund_access

from . import services
from .forms import DonorForm, MergeForm
from .models import Donor

bp = Blueprint("donors", __name__, url_prefix="/f/<fund_slug>/donors")


def _donor(donor_id: int) -> Donor:
    donor = db.session.get(Donor, donor_id)  # scoped: another fund's donor is simply absent
    if donor is None:
        abort(404)
    return donor


def _input(form: DonorForm) -> services.DonorInput:
    return services.DonorInput(**{name: form[name].data or "" for name in (
        "kind", "name", "phone", "email", "address", "id_number", "anonymity", "locale", "notes")})


@bp.route("/")
@fund_access("money.read")
def index():
    q = request.args.get("q", "").strip()
    query = select(Donor).where(Donor.merged_into_id.is_(None))
    if q:
        ids = [d.id for d in services.search(q, limit=200)]
        query = query.where(Donor.id.in_(ids))
    page = db.paginate(query.order_by(Donor.id.desc()), per_page=50, error_out=False,
                       page=int_or_none(request.args.get("page")) or 1)
    return render("donors/index.html", block="results", page=page, q=q)


@bp.route("/search")
@fund_access("money.record")
def search():
    """As-you-type donor picker for batch entry (an htmx fragment)."""
    q = request.args.get("q") or request.args.get("donor_name", "")
    return render("donors/_picker.html", donors=services.search(q), q=q)


@bp.route("/new", methods=["GET", "POST"])
@fund_access("money.record")
def new():
    form = DonorForm()
    duplicates = []
    if form.validate_on_submit():
        data = _input(form)
        duplicates = services.likely_duplicates(data)
        if not duplicates or form.create_anyway.data:
            donor = attempt(form, lambda: services.create_donor(data))
            if donor is not REFUSED:
                db.session.commit()
                flash(_("Donor %(name)s created.", name=donor.name), "info")
                return redirect(url_for("donors.detail", donor_id=donor.id))
    return render_form("donors/form.html", form, block="form", duplicates=duplicates,
                       donor=None)


@bp.route("/<int:donor_id>")
@fund_access("money.read")
def detail(donor_id: int):
    donor = _donor(donor_id)
    gifts = db.session.scalars(
        select(Donation).where(Donation.donor_id == donor.id)
        .order_by(Donation.received_on.desc(), Donation.id.desc())
    ).all()
    merged = db.session.scalars(select(Donor).where(Donor.merged_into_id == donor.id)).all()
    return render("donors/detail.html", donor=donor, gifts=gifts, merged=merged,
                  years=services.totals_by_year(donor),
                  masked_id=mask_id_number(donor.id_number))


@bp.route("/<int:donor_id>/edit", methods=["GET", "POST"])
@fund_access("money.record")
def edit(donor_id: int):
    donor = _donor(donor_id)
    form = DonorForm(obj=donor)
    if request.method == "GET":
        form.phone.data = donor.phone or ""
        form.email.data = donor.email or ""
    if form.is_submitted():
        saved = attempt(form, lambda: services.update_donor(donor, _input(form)))
        if saved is not REFUSED:
            db.session.commit()
            flash(_("Donor saved."), "info")
            return redirect(url_for("donors.detail", donor_id=donor.id))
    return render_form("donors/form.html", form, block="form", duplicates=[], donor=donor)


@bp.route("/<int:donor_id>/merge", methods=["GET", "POST"])
@fund_access("money.record")
def merge(donor_id: int):
    donor = _donor(donor_id)
    form = MergeForm()
    candidates = services.likely_duplicates(
        services.DonorInput(name=donor.name, phone=donor.phone or "", email=donor.email or ""),
        exclude_id=donor.id)

    def merge_other() -> Donor:
        other = db.session.get(Donor, form.other.data)  # the form took an id's range only
        if other is None:
            raise Invalid({"other": _("No donor with this number in this fund.")})
        services.merge(donor, other)
        return other

    if form.is_submitted():
        other = attempt(form, merge_other)
        if other is not REFUSED:
            db.session.commit()
            flash(_("Donor %(other)s merged into %(name)s; every gift is kept.",
                    other=other.name, name=donor.name), "info")
            return redirect(url_for("donors.detail", donor_id=donor.id))
    return render_form("donors/merge.html", form, block="form", donor=donor,
                       candidates=candidates)
