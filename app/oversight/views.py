"""Township pages: the workspace table of every fund, anomalies, the annual export, and the
fund lifecycle (new-fund wizard, suspend, archive, reactivate). Township admins only."""


import io

import click
from flask import Blueprint, abort, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.invitation_views import hand_over
from app.auth.roles import Role
from app.clock import local_today
from app.disclosure.charts import monthly_rows
from app.extensions import db
from app.funds.models import LARGE_CASH_WINDOW_FEN, Fund
from app.money import yuan
from app.rendering import leave_for, list_filter, render, render_form
from app.validation import REFUSED, Invalid, attach, attempt, attempt_flash, int_or_none
from tenants import SYSTEM, using
from tenants.access import township_access

from . import anomalies, exports, lifecycle, services, summary
from .forms import BulkReviewForm, FundForm, ReviewForm, StatusForm, ThresholdForm

bp = Blueprint("oversight", __name__, url_prefix="/t/<township_slug>")
cli = Blueprint("oversight_cli", __name__, cli_group="oversight")


def register(app) -> None:
    from . import aid_views, staff_views  # noqa: F401  (their routes join bp)

    app.register_blueprint(bp)
    app.register_blueprint(cli)


PLACEHOLDER_ID = 987654321
ANOMALIES_PER_PAGE = 25  # to review, a page at a time; the reviewed: the most recent
SHOWN_REVIEWED = 100


@bp.route("/")
@township_access()
def workspace():
    """The township's workspace: the table of every fund, its chart and open anomalies."""
    funds = g.township.funds
    rows = services.fund_rows(funds)
    view = services.view_from(request.args)
    chosen = services.select_rows(rows, view)
    pages = max(1, -(-len(chosen) // services.PER_PAGE))
    page = min(view.page, pages)
    shown = chosen[(page - 1) * services.PER_PAGE: page * services.PER_PAGE]
    found = anomalies.detect(funds, {r.fund.id: r.deadlines for r in rows})
    chart = monthly_rows(services.monthly(), title=_("Income and spending by month"),
                         income_label=_("Income"), spending_label=_("Spending"))
    # One url_for per kind of link, not three per row: slugs and ids are URL-safe as they are.
    links = {"workspace": url_for("funds.workspace", fund_slug="SLUG"),
             "public": url_for("disclosure.board", fund_slug="SLUG"),
             "status": url_for("oversight.fund_status", fund_id=PLACEHOLDER_ID)}
    return render("funds/township.html", block="table", township=g.township, rows=shown,
                  links=links, placeholder_id=str(PLACEHOLDER_ID),
                  totals=services.totals(chosen), all_totals=services.totals(rows), view=view,
                  page=page, pages=pages, chart=chart, year=local_today().year,
                  open_anomalies=sum(a.review is None for a in found))


def _fund(fund_id: int) -> Fund:
    fund = db.session.get(Fund, fund_id)
    if fund is None or fund.township_id != g.township.id:
        abort(404)
    return fund


@bp.route("/anomalies")
@township_access()
def anomalies_page(form=None, http_status: int = 200):
    found = anomalies.detect(g.township.funds)
    kind = list_filter("kind", anomalies.AnomalyKind.values()) or ""
    if kind:
        found = [a for a in found if a.kind == kind]
    waiting = [a for a in found if a.review is None]
    failed = getattr(form, "target", None)  # the anomaly whose review was refused
    listed = any((a.fund.id, a.kind, a.subject) == failed for a in waiting)
    pages = max(1, -(-len(waiting) // ANOMALIES_PER_PAGE))
    page = min(max(1, int_or_none(request.args.get("page")) or 1), pages)
    shown = waiting[(page - 1) * ANOMALIES_PER_PAGE: page * ANOMALIES_PER_PAGE]
    bulk = form if isinstance(form, BulkReviewForm) else BulkReviewForm(formdata=None)
    threshold = form if isinstance(form, ThresholdForm) else ThresholdForm(
        formdata=None, large_cash=yuan(g.township.large_cash_fen).replace(",", ""))
    single = form if isinstance(form, ReviewForm) else None
    return render("oversight/anomalies.html", http_status=http_status, township=g.township,
                  open=shown, open_count=len(waiting), kind=kind, page=page, pages=pages,
                  kinds=anomalies.AnomalyKind, pick_of=anomalies.pick_of,
                  picked=set(bulk.picks.data or []), bulk=bulk, threshold=threshold,
                  window=[yuan(fen) for fen in LARGE_CASH_WINDOW_FEN],
                  reviewed=[a for a in found if a.review is not None][:SHOWN_REVIEWED],
                  form=single,
                  failed=failed, unplaced_errors=[] if listed or single is None else
                  [*single.note.errors, *single.form_errors])


@bp.route("/anomalies/review", methods=["POST"])
@township_access()
def review():
    form = ReviewForm()
    fund = db.session.get(Fund, int_or_none(form.fund_id.data) or 0)
    form.target = (int_or_none(form.fund_id.data), form.kind.data, form.subject.data)

    def review_it() -> None:
        if fund is None or fund.township_id != g.township.id:
            raise Invalid({"note": _("This anomaly is no longer listed.")})
        anomalies.review(fund, form.kind.data or "", form.subject.data or "",
                         form.note.data or "", current_user, anomalies.detect([fund]))

    if attempt(form, review_it) is REFUSED:
        return anomalies_page(form, http_status=422)
    db.session.commit()
    flash(_("Marked as reviewed, with your note."), "info")
    return redirect(url_for("oversight.anomalies_page"))


@bp.route("/anomalies/review-many", methods=["POST"])
@township_access()
def review_many():
    """Several ticked anomalies marked reviewed with one note."""
    form = BulkReviewForm()
    done = attempt(form, lambda: anomalies.review_many(
        g.township, form.picks.data or [], form.note.data or "", current_user))
    if done is REFUSED:
        return anomalies_page(form, http_status=422)
    db.session.commit()
    reviewed, left = done
    flash(_("Marked %(n)d anomalies as reviewed, with your note.", n=reviewed), "info")
    if left:
        flash(_("%(n)d of those ticked were reviewed meanwhile or are no longer listed.",
                n=left), "info")
    return leave_for(url_for("oversight.anomalies_page"))


@bp.route("/anomalies/threshold", methods=["POST"])
@township_access()
def threshold():
    """The township's own amount from which a cash gift is an anomaly."""
    form = ThresholdForm()
    if attempt(form, lambda: anomalies.set_large_cash(g.township,
                                                      form.large_cash.data or "")) is REFUSED:
        return anomalies_page(form, http_status=422)
    db.session.commit()
    flash(_("A cash gift of ¥%(amount)s or more is now listed as an anomaly.",
            amount=yuan(g.township.large_cash_fen)), "info")
    return leave_for(url_for("oversight.anomalies_page"))


@bp.route("/annual.xlsx")
@township_access()
def annual_export():
    year = int_or_none(request.args.get("year")) or local_today().year - 1
    if not 2000 <= year <= local_today().year:
        abort(404)
    rows = exports.annual_rows(g.township.funds, year)
    return send_file(io.BytesIO(exports.xlsx(g.township, rows, year)), as_attachment=True,
                     download_name=f"annual-{g.township.slug}-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/funds/new", methods=["GET", "POST"])
@township_access()
def new_fund():
    form = FundForm()
    if request.method == "GET":
        for n, seat in enumerate(form.committee):
            seat.form.role.data = Role.CHAIR if n == 0 else Role.MEMBER
    else:
        data = lifecycle.NewFund(
            name=form.name.data or "", host_charity=form.host_charity.data or "",
            receipt_prefix=form.receipt_prefix.data or "", village=form.village.data or "",
            kind=form.kind.data or "village", slug=form.slug.data or "",
            committee=[lifecycle.Seat(login=s.form.login.data or "", name=s.form.name.data or "",
                                      role=s.form.role.data or Role.MEMBER)
                       for s in form.committee])
        try:
            form.check()
            fund, links = lifecycle.create(g.township, data, by=current_user)
        except Invalid as error:
            db.session.rollback()
            if "committee" in error.errors and not error.shown:  # about the rows: above them
                form.form_errors.append(error.errors.pop("committee"))
            attach(form, error)
        else:
            db.session.commit()
            hand_over(links)
            flash(_("%(fund)s is created. Hand each person their invitation below.",
                    fund=fund.name), "info")
            return leave_for(url_for("oversight.staff", fund_id=fund.id))
    return render_form("oversight/new_fund.html", form, block="form", township=g.township)


@bp.route("/funds/slug")
@township_access()
def slug_hint():
    """The wizard's live hint: only the fragment, whoever asks (it has no page of its own)."""
    from jinja2_fragments.flask import render_block

    return render_block("oversight/new_fund.html", "slug_hint",
                        slug=lifecycle.suggested_slug(request.args.get("name", "")[:100]))


@bp.route("/funds/<int:fund_id>/status", methods=["POST"])
@township_access()
def fund_status(fund_id: int):
    fund = _fund(fund_id)
    form = StatusForm()
    def change() -> None:
        form.check()
        lifecycle.change_status(fund, form.action.data or "")

    if attempt_flash(change) is REFUSED:
        response = workspace()
        response.status_code = 422
        return response
    db.session.commit()
    flash(_("%(fund)s is now %(status)s.", fund=fund.name,
            status=_status_word(fund.status)), "info")
    return redirect(url_for("oversight.workspace"))


def _status_word(status: str) -> str:
    from app.labels import label

    return str(label("fund_status", status))


@cli.cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only report differences, change nothing.")
def rebuild(check: bool):
    """Recompute the monthly ledger summary from the ledger and report any difference."""
    with using(SYSTEM):
        found = summary.differences() if check else summary.rebuild()
        for difference in found:
            click.echo(str(difference))
        db.session.commit()
    if found:
        click.echo(f"{len(found)} difference(s) between the summary and the ledger"
                   + (" (not changed)." if check else ", now corrected."))
        raise SystemExit(1)
    click.echo("The monthly summary agrees with the ledger.")
