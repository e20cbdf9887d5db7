"""Demo 关爱发放: each village fund runs two programmes (a monthly ¥80 voucher for old people
living alone, rice and oil at Spring Festival), decided by votes, with this month's hand-outs
part signed, one voucher redeemed at a partner shop and one missed (未领取). The shop is paid
for the redeemed voucher by a payout with two keys (the board shows money spent), and the
rice programme's budget was raised by a carried change (its page shows two versions).

Everything goes through the services, so the records are what the product would write."""

from datetime import timedelta

from sqlalchemy import select

from app.aid import changes, services
from app.aid.models import Programme, Shop, Voucher
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions, proposals
from app.governance.committees import voters_on
from app.governance.demo import tiny_png
from app.payouts import services as payouts
from tenants import fund_scope, using

# Made-up people with valid check digits (region 320500: 苏州市).
PEOPLE = [
    ("沈杏娣", "320500194501021230", "一组", "独居，子女在外地打工"),
    ("陈阿大", "320500193807155675", "二组", "独居，行动不便"),
    ("朱桂芳", "320500194203114025", "二组", "独居，低保户"),
    ("顾长生", "320500194912240016", "三组", "独居，患慢性病"),
]


def seed(demo) -> None:
    for fund in demo.funds.values():
        if fund.kind == "village":
            with using(fund_scope(fund.id)):
                seed_fund(fund, recuse=fund.receipt_prefix == "DGC")


def _staff(fund, role):
    row = db.session.scalar(select(Membership).where(Membership.fund_id == fund.id,
                                                     Membership.role == role))
    return row.user if row else None


def _decide(proposal, chair, voters, when, *, kind="proposal", recuse=None, **kw):
    """Open the vote, every voter says yes (one recused), the chair closes it."""
    motion = kw.pop("motion", None) or motions.open_motion(
        proposal, chair, kind=kind, now=when, deadline=when + timedelta(hours=72))
    at = when + timedelta(hours=1)
    if recuse is not None:
        motions.recuse(motion, recuse, "名单中有本人亲属", now=at)
    for user_id in voters:
        if recuse is None or user_id != recuse.id:
            motions.cast(motion, db.session.get(User, user_id), "yes", now=at)
    motions.close(motion, chair, now=at + timedelta(minutes=5))
    return motion


def _running(data, worker, chair, voters, when) -> Programme:
    programme = services.create_programme(data, worker)
    proposal = programme.proposal
    _decide(proposal, chair, voters, when)
    proposals.publish(proposal, chair, now=when + timedelta(days=1))
    proposals.finalize_if_due(proposal, now=when + timedelta(days=10))
    return programme


def seed_fund(fund, *, recuse: bool = False) -> None:
    now = utcnow()
    today = local_today()
    when = now - timedelta(days=60)
    worker = _staff(fund, Role.SOCIAL_WORKER) or _staff(fund, Role.TREASURER)
    voters = [uid for uid, _role in voters_on(fund.id, today)]
    chair = db.session.get(User, voters[0])
    v = fund.village
    voucher = _running(services.ProgrammeInput(
        title=f"{v}独居老人购物券", category="elderly", kind="voucher", value="80",
        frequency="monthly", starts_on=today.replace(day=1) - timedelta(days=31), ends_on=None,
        rule="本村 70 周岁以上、独居、无固定收入的老人，每月一张 80 元超市购物券。",
        budget="4000", public_names=True), worker, chair, voters, when)
    rice = _running(services.ProgrammeInput(
        title=f"{v}春节米油慰问", category="hardship", kind="goods", value="150",
        goods="大米 10 斤、食用油 5 升", frequency="once", starts_on=today - timedelta(days=20),
        ends_on=today + timedelta(days=60), rule="低保、低保边缘和特困家庭，春节前每户一份。",
        budget="3000"), worker, chair, voters, when)
    for programme, people in ((voucher, PEOPLE[:3]), (rice, PEOPLE[1:])):
        for name, id_number, group, situation in people:
            services.propose(programme, services.PersonInput(
                name=name, id_number=id_number, village_group=group,
                household=f"{v}{group}{len(name) * 7}号", situation=situation,
                proxy_name="沈建明" if name == "沈杏娣" else "",
                proxy_phone="13812340001" if name == "沈杏娣" else "",
                name_consent=name != "陈阿大", starts_on=programme.starts_on), worker)
        motion = services.put_to_vote(programme, chair, now=when + timedelta(days=12))
        member = db.session.get(User, voters[1]) if recuse and programme is voucher else None
        _decide(programme.proposal, chair, voters, when + timedelta(days=12), motion=motion,
                recuse=member)
    shop = services.add_shop(f"{v}惠民超市", "6222020000001234")
    db.session.flush()
    for programme in (voucher, rice):
        period = services.periods.period_of(programme.frequency, today)
        services.make_entitlements(programme, period)
        rows = services.sheet(programme, period)
        for row in rows[:-1]:  # the last one has not come yet: 未领取
            services.hand_out(row.entitlement, worker, signature=tiny_png())
    first = db.session.scalar(select(Voucher).where(Voucher.redeemed_at.is_(None)).join(
        Voucher.entitlement).order_by(Voucher.id))
    if first is not None:
        services.redeem(db.session.get(Shop, shop.id), first.serial)
        _pay_shop(fund, voucher, db.session.get(Shop, shop.id), worker)
    _raise_budget(rice, worker, chair, voters, when + timedelta(days=14))
    db.session.flush()


def _pay_shop(fund, programme, shop, worker) -> None:
    """The payout to the shop for its redeemed voucher: asked by the 社工, signed by the chair
    and the supervisor (two keys), paid by the treasurer."""
    payout = services.settle(programme, worker, shop)
    for role in (Role.CHAIR, Role.SUPERVISOR):
        signer = _staff(fund, role)
        if signer is not None and payout.status == "requested":
            payouts.approve(payout, signer, "同意")
    treasurer = _staff(fund, Role.TREASURER)
    if payout.status == "approved" and treasurer is not None:
        payouts.mark_paid(payout, treasurer, f"AID{fund.id:03d}{payout.id:04d}", local_today())


def _raise_budget(programme, worker, chair, voters, when) -> None:
    """A change of the programme's terms, carried by the committee."""
    change = changes.propose_change(programme, changes.ChangeInput(
        value=str(programme.value_fen // 100), frequency=programme.frequency,
        ends_on=programme.ends_on, rule=programme.rule, budget="3600",
        reason="米油涨价，预算增加到 3600 元。"), worker)
    motion = changes.put_to_vote(change, chair, now=when)
    _decide(programme.proposal, chair, voters, when, motion=motion)


def sample(name: str):
    """Ids of the current fund's demo rows, for the isolation matrix's URL samples."""
    from app.aid.models import Entitlement

    programme = db.session.scalar(select(Programme).where(Programme.kind == "voucher")
                                  .order_by(Programme.id))
    if name == "programme_id":
        return programme.id
    if name == "period":
        return services.periods.period_of(programme.frequency, local_today())
    if name == "entitlement_id":
        return db.session.scalar(select(Entitlement.id).where(
            Entitlement.programme_id == programme.id).order_by(Entitlement.id))
    if name == "shop_token":
        return db.session.scalar(select(Shop.token).order_by(Shop.id))
    return db.session.scalar(select(Voucher.code).order_by(Voucher.id))  # voucher_code
