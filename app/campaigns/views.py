"""Campaign pages: the township's (create, follow, close, reports), the public campaign page
(no login, phone first, kept like the notice board) and each taking-part fund's part."""

import io

from flask import abort, flash, g, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from app.auth.roles import PUBLIC
from app.db_types import utcnow
from app.disclosure import board_cache
from app.extensions import db
from app.rendering import leave_for, render, render_form, wants_partial
from app.validation import REFUSED, attempt, attempt_flash
from tenants.access import fund_access, open_access, township_access

from . import bp, closing, poster, services
from .forms import CampaignForm
from .models import Campaign, CampaignFund, Limit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_global("limit_label")
def limit_label(code: str) -> str:
    return Limit.label_of(code)


# --- the township's pages ---------------------------------------------------------------------

def _township_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.township_id != g.township.id:
        abort(404)
    return campaign


@bp.route("/t/<township_slug>/campaigns")
@township_access()
def township_list():
    rows = db.session.scalars(select(Campaign).where(Campaign.township_id == g.township.id)
                              .order_by(Campaign.starts_on.desc(), Campaign.id.desc())).all()
    return render("campaigns/township_list.html", campaigns=rows)


@bp.route("/t/<township_slug>/campaigns/new", methods=["GET", "POST"])
@township_access()
def new():
    funds = [f for f in g.township.funds if f.is_active]
    form = CampaignForm()
    form.sponsor_fund_id.choices = [("", _("No match"))] + [(f.id, f.name) for f in funds]
    if request.method == "GET":
        form.fill_goals(f for f in funds if f.kind != "township")
        form.host_charity.data = funds[0].host_charity if funds else ""
    else:
        campaign = attempt(form, lambda: services.create(g.township, form.to_input(),
                                                         current_user))
        if campaign is not REFUSED:
            db.session.commit()
            flash(_("The campaign is open."), "success")
            return leave_for(url_for("campaigns.township_detail", campaign_id=campaign.id))
    names = {str(f.id): f.name for f in funds}
    return render_form("campaigns/new.html", form, block="form", names=names)


@bp.route("/t/<township_slug>/campaigns/<int:campaign_id>")
@township_access()
def township_detail(campaign_id: int):
    campaign = _township_campaign(campaign_id)
    return render("campaigns/township_detail.html", campaign=campaign,
                  figures=services.figures(campaign), unmatched=closing.unmatched(campaign))


@bp.route("/t/<township_slug>/campaigns/<int:campaign_id>/close", methods=["POST"])
@township_access()
def close(campaign_id: int):
    """End the campaign and thank every donor who left a contact (once: a closed campaign
    cannot be closed again)."""
    campaign = _township_campaign(campaign_id)
    thanked = attempt_flash(lambda: closing.close_and_thank(campaign))
    if thanked is not REFUSED:
        db.session.commit()
        flash(_("The campaign is closed; %(n)d donors are thanked.", n=thanked), "success")
    return leave_for(url_for("campaigns.township_detail", campaign_id=campaign_id))


@bp.route("/t/<township_slug>/campaigns/<int:campaign_id>/report.pdf")
@township_access()
def township_pdf(campaign_id: int):
    campaign = _township_campaign(campaign_id)
    return send_file(io.BytesIO(closing.report_pdf(campaign)), mimetype="application/pdf",
                     download_name=f"{campaign.title}-{_('Campaign report')}.pdf")


@bp.route("/t/<township_slug>/campaigns/<int:campaign_id>/report.xlsx")
@township_access()
def township_xlsx(campaign_id: int):
    campaign = _township_campaign(campaign_id)
    return send_file(io.BytesIO(closing.report_xlsx(campaign)), mimetype=XLSX,
                     as_attachment=True,
                     download_name=f"{campaign.title}-{_('Campaign report')}.xlsx")


@bp.route("/t/<township_slug>/campaigns/<int:campaign_id>/poster.pdf")
@township_access()
def township_poster(campaign_id: int):
    """One A4 QR poster of the campaign, to print: the QR code leads to its public page."""
    return poster.response(_township_campaign(campaign_id))


# --- the public campaign page -----------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>")
@open_access(PUBLIC)
def public(campaign_id: int):
    """The campaign for everyone: total, each village's progress, the leaderboards and what is
    left of the match. Its content is kept per process, keyed on the newest ledger entry of
    its funds, so a giving day's readers do not each sum the gifts again."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    now = utcnow()
    key = (str(db.engine.url), "campaign", str(get_locale()), services.version(campaign))
    html = board_cache.content(key, lambda: render_block(
        "campaigns/public.html", "live", campaign=campaign,
        figures=services.figures(campaign), now=now))
    if wants_partial():
        return html
    return render_template("campaigns/public_page.html", campaign=campaign, live_html=html)


# --- a taking-part fund's pages ---------------------------------------------------------------

def _fund_part(campaign_id: int) -> tuple[Campaign, CampaignFund]:
    part = db.session.scalar(select(CampaignFund).where(CampaignFund.campaign_id == campaign_id))
    if part is None:
        abort(404)
    return db.session.get(Campaign, campaign_id), part


@bp.route("/f/<fund_slug>/campaigns")
@fund_access("public")
def fund_parts():
    """The fund's campaigns and its part in each, linked from its notice board."""
    return render("campaigns/fund_parts.html", fund=g.fund, rows=_parts_with_figures())


@bp.app_template_global("campaign_parts")
def _parts_with_figures():
    """The current fund's campaigns with its part in each and the campaign's figures."""
    rows = []
    for campaign, part in services.parts_of_fund():
        figures = services.figures(campaign)
        mine = next((p for p in figures.parts if p.fund_id == part.fund_id), None)
        rows.append((campaign, mine, figures))
    return rows


@bp.route("/f/<fund_slug>/campaigns/<int:campaign_id>/report.pdf")
@fund_access("money.read")
def fund_pdf(campaign_id: int):
    campaign, _part = _fund_part(campaign_id)
    return send_file(io.BytesIO(closing.report_pdf(campaign, fund=g.fund)),
                     mimetype="application/pdf",
                     download_name=f"{campaign.title}-{g.fund.name}.pdf")


@bp.route("/f/<fund_slug>/campaigns/<int:campaign_id>/report.xlsx")
@fund_access("money.read")
def fund_xlsx(campaign_id: int):
    campaign, _part = _fund_part(campaign_id)
    return send_file(io.BytesIO(closing.report_xlsx(campaign, fund=g.fund)), mimetype=XLSX,
                     as_attachment=True, download_name=f"{campaign.title}-{g.fund.name}.xlsx")

