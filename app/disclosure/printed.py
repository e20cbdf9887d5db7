"""打印公示: the fund's notice board on one A4 sheet for the village's board on the wall. The
balance, this quarter's income and spending, the projects in their objection period with the
deadline, the supervisor, the day, and a QR code to the online board. A second page only when
the quarter's spending list needs it (WeasyPrint flows it on)."""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import pdf, qr
from app.auth.roles import Role
from app.clock import LOCAL
from app.extensions import db
from app.funds import services as funds
from app.governance.models import Proposal
from app.ledger import services as ledger
from app.payouts.models import Payout
from app.urls import external_url

from . import reports


@dataclass
class Sheet:
    today: date
    quarter: int
    balance_fen: int
    income_fen: int
    spending_fen: int
    payouts: list
    on_notice: list
    supervisors: list[str]
    qr: str
    link: str


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def sheet(fund, today: date) -> Sheet:
    start = quarter_start(today)
    months = reports.monthly_flows(f"{start:%Y-%m}", f"{today:%Y-%m}")
    since = datetime.combine(start, time.min, LOCAL)
    payouts = db.session.scalars(
        select(Payout).where(Payout.status == "paid", Payout.paid_at >= since)
        .order_by(Payout.paid_at, Payout.id).options(selectinload(Payout.proposal))).all()
    on_notice = db.session.scalars(select(Proposal).where(Proposal.status == "notice")
                                   .order_by(Proposal.notice_until, Proposal.id)).all()
    link = external_url("disclosure.board", fund_slug=fund.slug)
    return Sheet(
        today=today, quarter=(start.month - 1) // 3 + 1,
        balance_fen=ledger.balances().total_fen,
        income_fen=sum(m[1] for m in months), spending_fen=sum(m[2] for m in months),
        payouts=list(payouts), on_notice=list(on_notice),
        supervisors=[u.name for m, u in funds.people_of_fund(fund, today)
                     if m.role == Role.SUPERVISOR],
        qr=qr.png_data_uri(link), link=link)


def notice_pdf(fund, today: date) -> bytes:
    return pdf.render_pdf("disclosure/notice_pdf.html", "../disclosure/notice.css",
                          fund=fund, sheet=sheet(fund, today))
