"""Demo payouts: in every fund, payouts in every state (waiting, half-signed, approved, paid
with evidence, refused, withdrawn, reversed), progress updates with photos, and last year's
annual disclosure report published (东港村 also with a corrected second version).

Everything goes through the services with past times, so the ledger, the signatures and the
audit trail are what the product itself would have written.
"""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_day
from app.db_types import utcnow
from app.demo import pictures
from app.extensions import db
from app.governance.models import UNDER_WAY, Proposal
from app.validation import Invalid
from tenants import fund_scope, using

from . import files, progress, services


def _holder(fund_id, role) -> User:
    row = db.session.scalar(select(Membership).where(Membership.fund_id == fund_id,
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


def _slip(payout, day) -> bytes:
    return pictures.receipt_slip(payout.payee, [(payout.purpose[:14], payout.amount_fen)], day,
                                 f"NO.{day:%Y%m%d}-{payout.id:04d}")


def _line(project, item: str) -> int | None:
    """The id of the project's budget line whose name starts with ``item`` (else its first
    line; None for a project without lines): every demo payout names the line it pays."""
    if not project.lines:
        return None
    return next((ln.id for ln in project.lines if ln.item.startswith(item)), project.lines[0].id)


def _ask(project, share, purpose, payee, at, item=""):
    """A payout requested by the treasurer with its receipt slip, paid from the budget line
    named ``item``; None when the project has no room left for it (a small test fund)."""
    room = services.project_money(project).room_fen
    amount = min(room, share)
    if amount <= 0:
        return None
    line = _line(project, item)
    treasurer = _holder(project.fund_id, Role.TREASURER)
    try:
        payout = services.request(project, services.PayoutInput(
            amount=_yuan(amount), payee=payee, payee_account="6222021102003456789",
            purpose=purpose, budget_line_id=line), treasurer, now=at)
    except Invalid:
        return None
    files.save(project.fund_id, _slip(payout, local_day(at)), "小票.jpg", treasurer,
               payout_id=payout.id, kind="invoice")
    return payout


def _sign_and_pay(payout, at, reference):
    fund_id = payout.fund_id
    services.approve(payout, _holder(fund_id, Role.CHAIR), "票据齐全", now=at)
    services.approve(payout, _holder(fund_id, Role.SUPERVISOR), "同意",
                     now=at + timedelta(hours=3))
    if reference:
        at += timedelta(days=1)
        services.mark_paid(payout, _holder(fund_id, Role.TREASURER), reference,
                           local_day(at), now=at)


def pay_in_full(project, village: str, at) -> None:
    """A project under way is paid its whole budget, in two payouts with their slips, and
    reports the work done with a photo: what every finished project of the demo went through
    before it was completed (governance's demo calls this between 实施中 and 已完成)."""
    day = timedelta(days=1)
    first = project.requested_fen * 6 // 10
    # One payout per budget line, each paying its line; a project without lines in two.
    parts = [(ln.amount_fen, f"{ln.item}（{project.title}）", ln.item) for ln in project.lines] \
        or [(first, f"{project.title}首期款", ""),
            (project.requested_fen - first, f"{project.title}尾款", "")]
    for n, (share, purpose, item) in enumerate(parts):
        payout = _ask(project, share, purpose, f"{village}合作商户", at + n * 5 * day, item)
        if payout:
            _sign_and_pay(payout, at + n * 5 * day + day,
                          f"DEMO{project.fund_id:03d}{project.id:04d}{n}")
    taken = at + 12 * day
    progress.add_update(project, _holder(project.fund_id, Role.TREASURER), "项目已按计划完成。",
                        100, [(pictures.photo(f"{project.title}完成", village,
                                              local_day(taken)), "现场.jpg")], now=taken)


def seed_fund(fund) -> None:
    now = utcnow()
    day = timedelta(days=1)
    projects = list(db.session.scalars(select(Proposal).where(
        Proposal.status.in_(UNDER_WAY)).order_by(Proposal.id)))
    if not projects:
        return
    main = next((p for p in projects if p.status == "in_progress"), projects[0])
    when = now - 60 * day
    market, ask = f"{fund.village}农贸市场", _ask

    paid = ask(main, 12_000_00, "采购敬老餐食材", market, when, "食材")
    if paid:
        _sign_and_pay(paid, when + day, f"DEMO{fund.id:03d}0001")
        treasurer = _holder(fund.id, Role.TREASURER)
        progress.add_update(main, treasurer, "食材已采购，第一批敬老餐已送到 32 位老人家中。", 40,
                            [(pictures.photo("第一批敬老餐送到老人家中", fund.village,
                                             local_day(when + 3 * day)), "送餐.jpg")],
                            now=when + 3 * day)
    mistake = ask(main, 4_000_00, "餐盒（重复录入）", f"{fund.village}日杂店", when + 5 * day,
                  "餐盒")
    if mistake:
        _sign_and_pay(mistake, when + 6 * day, f"DEMO{fund.id:03d}0002")
        services.reverse(mistake, _holder(fund.id, Role.TREASURER), "与第一笔重复付款，银行已退回",
                         now=when + 9 * day)
    refused = ask(main, 2_000_00, "慰问品", "某商店", now - 20 * day, "慰问品")
    if refused:
        services.reject(refused, _holder(fund.id, Role.CHAIR), "报价偏高，请再询价",
                        now=now - 19 * day)
    gone = ask(main, 1_000_00, "打印宣传单", "图文店", now - 15 * day, "慰问品")
    if gone:
        services.withdraw(gone, _holder(fund.id, Role.TREASURER))
    ready = ask(main, 6_000_00, "第二批食材", market, now - 6 * day, "食材")
    if ready:
        _sign_and_pay(ready, now - 5 * day, None)
    half = ask(main, 3_000_00, "送餐保温箱", "五金店", now - 2 * day, "餐盒")
    if half:
        services.approve(half, _holder(fund.id, Role.CHAIR), now=now - day)
    ask(main, 1_500_00, "志愿者午餐", "村食堂", now - timedelta(hours=3), "慰问品")
    small = next((p for p in projects if p.status == "final"), None)
    if small is not None:
        wish = ask(small, small.requested_fen, "购买书包 12 个", "镇文具店", now - 8 * day)
        if wish:
            _sign_and_pay(wish, now - 7 * day, f"DEMO{fund.id:03d}0003")
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
