"""A campaign's QR poster: one A4 page for the township's walls and village notice boards, its
QR code leading to the public campaign page (where each village has its Give button). Drawn by
the giving posters' code and page (app/giving/posters.py), with the campaign's heading."""

from app.extensions import db
from app.funds.models import Township
from app.giving import posters
from app.urls import external_url

from . import services


def render(campaign) -> bytes:
    figures = services.figures(campaign)
    return posters.render_poster(
        "campaigns/poster_pdf.html",
        external_url("campaigns.public", campaign_id=campaign.id),
        campaign=campaign,
        township=db.session.get(Township, campaign.township_id),
        parts=figures.parts,
        pledge=figures.pledge,
    )


def response(campaign):
    return posters.pdf_response(render(campaign), campaign.title)
