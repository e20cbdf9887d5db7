"""The public notice board and its project pages, evidence and reports (no login), and the
reports page where the fund publishes its quarterly and annual disclosure."""

import io

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from app.clock import local_today
from app.extensions import db, limiter
from app.money import AmountError, parse_amount
from app.pdf import public_rate_limit
from app.rendering import render
from app.validation import REFUSED, Invalid, attach, attempt
from tenants.access import fund_access

from . import board as board_data
from . import board_cache, reports, services
from .forms import ReportForm
from .models import Report

bp = Blueprint("disclosure", __name__, url_prefix="/f/<fund_slug>")


@bp.route("/public")
@fund_access("public")
def board():
    """The fund's public notice board (公示栏): no login, phone first."""
    today = local_today()
    key = (str(db.engine.url), g.fund.id, str(get_locale()), today, board_data.version())
    html = board_cache.content(key, lambda: render_block(
        "funds/public.html", "content", fund=g.fund, committee=_committee(),
        board=board_data.board(g.fund, today)))
    return render_template("disclosure/board_page.html", fund=g.fund, board_html=html)


@bp.route("/public/print.pdf")
@fund_access("public")
@limiter.limit(public_rate_limit)
def board_print():
    """打印公示: the board on one A4 sheet, for the village's notice board on the wall."""
    from . import printed

    today = local_today()
    return send_file(io.BytesIO(printed.notice_pdf(g.fund, today)), mimetype="application/pdf",
                     download_name=f"{g.fund.name}-{_('Public notice')}-{today.isoformat()}.pdf")


def _committee():
    from app.auth.roles import COMMITTEE_ROLES
    from app.funds import services as funds

    return [(m, u) for m, u in funds.people_of_fund(g.fund) if m.role in COMMITTEE_ROLES]


def _public_project(proposal_id: int):
    from app.governance.models import Proposal
    from app.governance.proposals import PUBLIC_STATES

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.status not in PUBLIC_STATES:
        abort(404)  # only what the committee has approved is on the notice board
    return proposal


@bp.route("/public/projects/<int:proposal_id>")
@fund_access("public")
def project(proposal_id: int):
    from app.payouts import progress

    proposal = _public_project(proposal_id)
    spent = progress.spending(proposal, public=True)
    updates = progress.updates_of([proposal.id])
    return render("disclosure/project.html", fund=g.fund, proposal=proposal, spent=spent,
                  updates=updates, note=progress.acceptance_of(proposal),
                  motion=progress.acceptance_motion(proposal),
                  files=progress.evidence_of(payout_ids=[p.id for p in spent.payouts
                                                         if p.status == "paid"],
                                             update_ids=[u.id for u in updates]))


@bp.route("/public/files/<int:evidence_id>")
@fund_access("public")
def public_file(evidence_id: int):
    """Evidence of a paid payout or of a public project's progress; nothing else."""
    from app.governance.models import Proposal
    from app.payouts.models import Evidence, Payout, ProgressUpdate
    from app.payouts.views import send_file

    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    if evidence.payout_id:
        payout = db.session.get(Payout, evidence.payout_id)
        visible = payout is not None and payout.status == "paid"
    else:
        update = db.session.get(ProgressUpdate, evidence.update_id)
        proposal = update and db.session.get(Proposal, update.proposal_id)
        visible = proposal is not None and proposal.status in board_data.PROJECT_STATES
    if not visible:
        abort(404)
    return send_file(evidence)


_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(data: reports.ReportData, fmt: str, name: str, pdf: bytes | None = None):
    if fmt == "pdf":
        body = pdf if pdf is not None else services.report_pdf(g.fund, data)
    elif fmt == "xlsx":
        body = services.as_xlsx(data)
    else:
        body = services.as_csv(data)
    return send_file(io.BytesIO(body), mimetype=_TYPES[fmt], as_attachment=True,
                     download_name=f"{name}.{fmt}")


@bp.route("/public/reports/<int:report_id>.<any(pdf, xlsx, csv):fmt>")
@fund_access("public")
@limiter.limit(public_rate_limit)  # xlsx and csv are made for each download
def report_file(report_id: int, fmt: str):
    report = db.get_or_404(Report, report_id)
    name = f"{g.fund.slug}-{report.kind}-{report.year}" + (
        f"-q{report.quarter}" if report.quarter else "") + f"-v{report.version}"
    return _download(reports.ReportData.from_json(report.data), fmt, name, report.pdf)


def _form_period(form: ReportForm) -> tuple[reports.Period, int]:
    errors = {}
    try:
        p = reports.period(form.kind.data, form.year.data, form.quarter.data)
    except Invalid as error:
        errors.update(error.errors)
        p = None
    threshold = reports.DEFAULT_THRESHOLD_FEN
    if (form.threshold.data or "").strip():
        try:
            threshold = parse_amount(form.threshold.data)
        except AmountError as error:
            errors["threshold"] = error.args[0]
    if errors:
        raise Invalid(errors)
    return p, threshold


def _reports_page(form: ReportForm, http_status: int = 200, data=None):
    return render("disclosure/reports.html", http_status=http_status, form=form, data=data,
                  chart=services.chart(data) if data else None,
                  published=services.published())


@bp.route("/reports/")
@fund_access("money.read")
def index():
    args = request.args
    form = ReportForm(formdata=args if args.get("year") else None,
                      year=local_today().year - 1, kind="annual")
    data = None
    if args.get("year"):
        try:
            p, threshold = _form_period(form)
            data = reports.compute(g.fund, p, threshold)
        except Invalid as error:
            attach(form, error)
            return _reports_page(form, 422)
    return _reports_page(form, data=data)


@bp.route("/reports/preview.<any(pdf, xlsx, csv):fmt>")
@fund_access("money.read")
def preview(fmt: str):
    form = ReportForm(formdata=request.args)
    try:
        p, threshold = _form_period(form)
    except Invalid as error:
        attach(form, error)
        return _reports_page(form, 422)
    data = reports.compute(g.fund, p, threshold)
    return _download(data, fmt, f"{g.fund.slug}-{p.kind}-{p.label.replace(' ', '-')}-draft")


@bp.route("/reports/publish", methods=["POST"])
@fund_access("report.publish")
def publish():
    form = ReportForm()

    def publish_it() -> Report:
        p, threshold = _form_period(form)
        return services.publish(g.fund, p, current_user, threshold_fen=threshold,
                                correction_note=form.correction_note.data or "")

    report = attempt(form, publish_it)
    if report is REFUSED:
        return _reports_page(form, 422)
    db.session.commit()
    flash(_("Report published on the public notice board (version %(v)d).", v=report.version),
          "info")
    return redirect(url_for("disclosure.index"))


@bp.app_template_global("report_name")
def report_name(report) -> str:
    from app.labels import label

    period = f"{report.year}" + (f" Q{report.quarter}" if report.quarter else "")
    return f"{period} {label('report_kind', report.kind)}"


def latest_versions(rows) -> set[int]:
    """Ids of the newest version of each period: the others are superseded."""
    seen, newest = set(), set()
    for r in rows:
        key = (r.kind, r.year, r.quarter)
        if key not in seen:
            seen.add(key)
            newest.add(r.id)
    return newest


bp.add_app_template_global(latest_versions, "latest_versions")
