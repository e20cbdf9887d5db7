"""After a campaign: the report per fund and for the township (raised, matched, donors, by
channel, and the matches that did not happen, explained), as PDF and XLSX; thanks to donors."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import func, select

from app.clock import local_today
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.labels import label
from app.money import yuan
from app.notify import notify
from app.pdf import render_pdf
from tenants.context import using

from . import services
from .models import Campaign, Limit, MatchAllocation, MatchPledge


@dataclass
class Unmatched:
    """Gifts that got less match than the ratio promised, by reason."""

    limited_by: str
    gifts: int = 0
    short_fen: int = 0  # what the ratio promised and the match did not give


@dataclass
class Report:
    campaign: Campaign
    figures: services.Figures
    by_channel: dict[int, dict[str, int]] = field(default_factory=dict)  # fund -> channel
    unmatched: list[Unmatched] = field(default_factory=list)
    returned_fen: int = 0  # matches given back on refunds
    fund: Fund | None = None  # a fund's own report; None: the township's


def unmatched(campaign: Campaign, fund_id: int | None = None) -> tuple[list[Unmatched], int]:
    """Why gifts were matched short (caps, window, offline), and the match refunds gave back."""
    with using(services.scope_of(campaign)):
        query = (select(MatchAllocation.limited_by, func.count(),
                        func.sum(MatchAllocation.wanted_fen - MatchAllocation.matched_fen),
                        func.sum(MatchAllocation.returned_fen))
                 .join(MatchPledge, MatchPledge.id == MatchAllocation.pledge_id)
                 .where(MatchPledge.campaign_id == campaign.id)
                 .group_by(MatchAllocation.limited_by))
        if fund_id is not None:
            query = query.where(MatchAllocation.fund_id == fund_id)
        rows = db.session.execute(query).all()
    returned = sum(int(r[3] or 0) for r in rows)
    order = list(Limit.values())
    short = [Unmatched(limit, count, int(fen or 0)) for limit, count, fen, _r in rows
             if limit != Limit.NONE]
    return sorted(short, key=lambda u: order.index(u.limited_by)), returned


def report(campaign: Campaign, fund: Fund | None = None) -> Report:
    figures = services.figures(campaign)
    if fund is not None:
        figures.parts = [p for p in figures.parts if p.fund_id == fund.id]
    result = Report(campaign, figures, fund=fund)
    with using(services.scope_of(campaign)):
        gifts = services._gifts_of(campaign)
        for fund_id, channel, fen in db.session.execute(
                select(gifts.c.fund_id, gifts.c.channel,
                       func.sum(gifts.c.amount_fen - gifts.c.refunded_fen))
                .group_by(gifts.c.fund_id, gifts.c.channel)):
            result.by_channel.setdefault(fund_id, {})[channel] = int(fen or 0)
    result.unmatched, result.returned_fen = unmatched(campaign, fund.id if fund else None)
    return result


def report_pdf(campaign: Campaign, fund: Fund | None = None) -> bytes:
    return render_pdf("campaigns/report_pdf.html", report=report(campaign, fund),
                      today=local_today())


def _text(value: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def report_xlsx(campaign: Campaign, fund: Fund | None = None) -> bytes:
    data = report(campaign, fund)
    channels = sorted({c for by in data.by_channel.values() for c in by})
    book = Workbook()
    sheet = book.active
    sheet.title = _("Campaign report")[:31]
    sheet.append([_text(f"{campaign.title} · {fund.name if fund else _('All funds')}")])
    sheet.append([_("Amounts in yuan. Gifts are net of refunds; matches net of what went "
                    "back.")])
    sheet.append([_("Fund"), _("Goal"), _("Raised"), _("Matched"), _("Total"), _("Donors"),
                  _("Gifts"), *(_("Raised: %(channel)s", channel=label("channel", c))
                                for c in channels)])
    for p in data.figures.parts:
        by = data.by_channel.get(p.fund_id, {})
        sheet.append([_text(p.name), *(Decimal(f) / 100 for f in (
            p.goal_fen, p.raised_fen, p.matched_fen, p.total_fen)), p.donors, p.gifts,
            *(Decimal(by.get(c, 0)) / 100 for c in channels)])
    sheet.append([])
    sheet.append([_("Matches that did not happen in full"), _("Gifts"), _("Not matched")])
    for u in data.unmatched:
        sheet.append([Limit.label_of(u.limited_by), u.gifts, Decimal(u.short_fen) / 100])
    sheet.append([_("Given back on refunds"), "", Decimal(data.returned_fen) / 100])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def close_and_thank(campaign: Campaign) -> int:
    """Close the campaign and thank each donor who left a mobile number or an email, once per
    fund: the number of donors thanked."""
    services.close(campaign)
    thanked = 0
    with using(services.scope_of(campaign)):
        gifts = services._gifts_of(campaign)
        given = defaultdict(int)
        for fund_id, donor_id, fen in db.session.execute(
                select(gifts.c.fund_id, gifts.c.donor_id,
                       func.sum(gifts.c.amount_fen - gifts.c.refunded_fen))
                .where(gifts.c.donor_id.is_not(None))
                .group_by(gifts.c.fund_id, gifts.c.donor_id)):
            given[(fund_id, donor_id)] += int(fen or 0)
        for (fund_id, donor_id), fen in sorted(given.items()):
            donor = db.session.get(Donor, donor_id)
            contact = donor.phone or donor.email if donor else None
            if not contact or fen <= 0:
                continue
            notify(contact, "campaign_thanks", fund=db.session.get(Fund, fund_id),
                   title=campaign.title, amount=yuan(fen))
            thanked += 1
    return thanked

