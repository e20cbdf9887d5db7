"""Demo payouts: in every fund, payouts in every state (waiting, half-signed, approved, paid
with evidence, refused, withdrawn, reversed), progress updates with photos, and last year's
annual disclosure report published (东港村 also with a corrected second version).

Everything goes through the services with past times, so the ledger, the signatures and the
audit trail are what the product itself would have written.
"""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.roles import CHAIR, SUPERVISOR, TREASURER
from app.db_types import utcnow
from app.extensions import db
from app.governance.demo import tiny_png
from app.governance.models import Proposal
from app.validation import Invalid
from tenants import fund_scope, using

from . import files, progress, services


def _holder(fund, role) -> User:
    row = db.session.scalar(select(Membership).where(Membership.fund_id == fund.id,
                                                     Membership.role == role)
                            .order_by(Membership.id))
    return row.user


def seed(demo) -> None:
    from app.disclosure import demo as disclosure_demo

    for prefix, fund in demo.funds.items():
        with using(fund_scope(fund.id)):
            seed_fund(fund)
            disclosure_demo.seed_fund(fund, corrected=prefix == "DGC")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def seed_fund(fund) -> None:
    now = utcnow()
    day = timedelta(days=1)
    treasurer, chair = _holder(fund, TREASURER), _holder(fund, CHAIR)
    supervisor = _holder(fund, SUPERVISOR)
    projects = list(db.session.scalars(select(Proposal).where(
        Proposal.status.in_(services.PAYABLE_PROJECT_STATES)).order_by(Proposal.id)))
    if not projects:
        return
    main = next((p for p in projects if p.status == "in_progress"), projects[0])
    when = now - 60 * day

    def ask(project, share, purpose, payee, at):
        room = services.project_money(project).room_fen
        amount = min(room, share)
        if amount <= 0:
            return None
        line = project.lines[0].id if project.lines else None
        try:
            payout = services.request(project, services.PayoutInput(
                amount=_yuan(amount), payee=payee, payee_account="6222021102003456789",
                purpose=purpose, budget_line_id=line), treasurer, now=at)
        except Invalid:
            return None
        files.save(fund.id, tiny_png(), "发票.png", treasurer, payout_id=payout.id, kind="invoice")
        return payout

    def sign_and_pay(payout, at, reference):
        services.approve(payout, chair, "票据齐全", now=at)
        services.approve(payout, supervisor, "同意", now=at + timedelta(hours=3))
        if reference:
            services.mark_paid(payout, treasurer, reference, (at + day).date(), now=at + day)

    paid = ask(main, 1200_00, "采购敬老餐食材", f"{fund.village}农贸市场", when)
    if paid:
        sign_and_pay(paid, when + day, f"DEMO{fund.id:03d}0001")
        progress.add_update(main, treasurer, "食材已采购，第一批敬老餐已送到 32 位老人家中。", 40,
                            [(tiny_png(), "送餐.png")], now=when + 3 * day)
    mistake = ask(main, 400_00, "餐盒（重复录入）", f"{fund.village}日杂店", when + 5 * day)
    if mistake:
        sign_and_pay(mistake, when + 6 * day, f"DEMO{fund.id:03d}0002")
        services.reverse(mistake, treasurer, "与第一笔重复付款，银行已退回", now=when + 9 * day)
    refused = ask(main, 200_00, "慰问品", "某商店", now - 20 * day)
    if refused:
        services.reject(refused, chair, "报价偏高，请再询价", now=now - 19 * day)
    gone = ask(main, 100_00, "打印宣传单", "图文店", now - 15 * day)
    if gone:
        services.withdraw(gone, treasurer)
    ready = ask(main, 600_00, "第二批食材", f"{fund.village}农贸市场", now - 6 * day)
    if ready:
        services.approve(ready, chair, now=now - 5 * day)
        services.approve(ready, supervisor, now=now - 4 * day)
    half = ask(main, 300_00, "送餐保温箱", "五金店", now - 2 * day)
    if half:
        services.approve(half, chair, now=now - day)
    ask(main, 150_00, "志愿者午餐", "村食堂", now - timedelta(hours=3))
    small = next((p for p in projects if p.status == "final"), None)
    if small is not None:
        wish = ask(small, small.requested_fen, "购买书包 12 个", "镇文具店", now - 8 * day)
        if wish:
            sign_and_pay(wish, now - 7 * day, f"DEMO{fund.id:03d}0003")
    db.session.flush()


def sample(name: str) -> int:
    """A demo row of the current fund for tests and the access matrix: a paid payout, its
    evidence (shown on the notice board), a published report."""
    from app.disclosure.models import Report

    from .models import Evidence, Payout

    paid = db.session.scalar(select(Payout.id).where(Payout.status == "paid")
                             .order_by(Payout.id))
    if name == "payout_id":
        return paid
    if name == "evidence_id":
        return db.session.scalar(select(Evidence.id).where(Evidence.payout_id == paid))
    if name == "report_id":
        return db.session.scalar(select(Report.id).order_by(Report.id))
    raise KeyError(name)
