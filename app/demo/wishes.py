"""Demo 微心愿: in every village fund a season of wishes — waiting for screening, returned, on
the wall, claimed, fulfilled by goods (an in-kind gift with its receipt) and by money (a
payout, paid), a claim expired and one revoked. Through the services, with past times."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_day
from app.db_types import utcnow
from app.demo import pictures
from app.extensions import db
from app.funds.models import Fund
from app.payouts import services as payouts
from app.wishes import services
from tenants import fund_scope, using

# (title, yuan, how, group, recipient, age, situation)
WISHES = [
    ("一个新书包", "120", "goods", "三组", "王小明", 8, "父母在外打工，跟奶奶生活，书包已经破了。"),
    ("冬天的棉衣和棉鞋", "200", "either", "五组", "李秀兰", 76, "独居老人，低保户。"),
    ("一台血糖仪", "260", "goods", "二组", "陈阿根", 68, "糖尿病，每月去镇卫生院测血糖不方便。"),
    ("一盏护眼台灯", "150", "goods", "一组", "周可欣", 11, "单亲家庭，晚上在小桌上写作业。"),
    ("一个助听器", "480", "either", "四组", "吴德明", 81, "耳背，听不清电话。"),
    ("一袋大米和一桶油", "300", "goods", "六组", "徐桂英", 72, "丈夫卧床，靠她照顾。"),
    ("一个电饭煲", "300", "money", "二组", "沈建平", 59, "残疾人家庭，旧电饭煲漏电。"),
    ("一个轮椅坐垫", "90", "goods", "三组", "钱福生", 84, "长期坐轮椅，皮肤压伤。"),
    ("一部智能手机", "450", "either", "一组", "杨小燕", 16, "想上网课。"),
]
DONORS = [("张伟", "13800138001", "show"), ("刘芳", "13800138002", "caring"),
          ("马俊", "13800138003", "anonymous"), ("黄丽", "13800138004", "show"),
          ("郑强", "13800138005", "show"), ("林静", "13800138006", "caring")]


def _holder(fund, *roles):
    for role in roles:
        row = db.session.scalar(select(Membership).where(
            Membership.fund_id == fund.id, Membership.role == role).order_by(Membership.id))
        if row is not None:
            return row.user
    return None


def seed(demo) -> None:
    for fund in demo.funds.values():
        if fund.kind == "village":
            with using(fund_scope(fund.id)):
                seed_fund(fund)


def seed_fund(fund) -> None:
    now = utcnow()
    day = timedelta(days=1)
    collector = _holder(fund, Role.SOCIAL_WORKER, Role.MEMBER)
    chair, supervisor = _holder(fund, Role.CHAIR), _holder(fund, Role.SUPERVISOR)
    treasurer = _holder(fund, Role.TREASURER)
    made = []
    for n, (title, value, how, group, name, age, situation) in enumerate(WISHES):
        at = now - (40 - n) * day
        # The first wish has a photo of the thing (checked for faces like any upload).
        picture = pictures.photo(title, f"{fund.name}{group}", at.date()) if n == 0 else None
        wish = services.collect(fund.id, services.WishInput(
            title=title, value=value, fulfil_by=how, village_group=group, recipient_name=name,
            recipient_age=age, situation=situation, photo=picture), collector, now=at)
        made.append((wish, at))
    (bag, coat, meter, lamp, aid, rice, cooker, cushion, phone) = (w for w, _at in made)
    for wish, at in made:
        if wish is cushion:
            continue  # waits for screening
        if wish is phone:
            services.screen(wish, chair, False, "超出基本生活需要，建议申请助学项目。",
                            now=at + day)
        else:
            services.screen(wish, chair, True, now=at + day)

    def claim(wish, donor, at):
        name, phone, shown_as = DONORS[donor]
        return services.place_claim(wish, name, phone, shown_as, at)[0]

    claim(meter, 0, now - 3 * day)  # claimed, days left
    claim(lamp, 1, now - 10 * day)
    services.handover(lamp, services.HandoverInput(
        handed_over_on=local_day(now - 5 * day), confirmed_by="guardian", note="妈妈代收",
        photo=pictures.photo("台灯已送到", f"{fund.name}{lamp.village_group}",
                             local_day(now - 5 * day))), treasurer, now=now - 5 * day)
    expired = claim(aid, 2, now - 30 * day)  # ran out of days: back on the wall
    services.expire_due(expired.expires_at + timedelta(minutes=1))
    gone = claim(rice, 3, now - 8 * day)
    services.revoke(gone, collector, "联系不上认领人。", now=now - 2 * day)
    _money_path(cooker, claim, treasurer, chair, supervisor, now, day)


def _season_project(fund, now, day) -> None:
    """This winter's 微心愿 project, voted, on notice and final: wishes bought with donors'
    money are payouts of it (the governance demo's earlier one has spent its budget)."""
    from app.governance import proposals
    from app.governance.committees import voters_on
    from app.governance.demo import _proposal, _through, _vote

    voters = [uid for uid, _role in voters_on(fund.id, local_day(now))]
    chair, member = db.session.get(User, voters[0]), db.session.get(User, voters[1])
    start = now - 50 * day
    project = _proposal(f"{fund.village}冬季微心愿", "small_wish", 5000, member, start,
                        budget="微心愿 约 20 个 × 250 元 5000")
    _vote(project, chair, voters, start + day, ["yes"] * len(voters), by_chair=True)
    _through(project, ["notice"], start + 3 * day, chair)
    proposals.finalize_if_due(project, start + 10 * day)


def _money_path(wish, claim, treasurer, chair, supervisor, now, day) -> None:
    """Money to the 微心愿 project, bought by a payout with two signatures, paid."""
    _season_project(db.session.get(Fund, wish.fund_id), now, day)
    claim(wish, 4, now - 12 * day)
    services.record_money(wish, services.MoneyInput(
        amount="300", channel="wechat", received_on=local_day(now - 11 * day),
        reference=f"WX-WISH-{wish.fund_id}-{wish.id}"), treasurer, now=now - 11 * day)
    payout = services.buy(wish, services.BuyInput(amount="299", payee="镇上家电商店"),
                          treasurer, now=now - 10 * day)
    payouts.approve(payout, chair, "同意", now=now - 9 * day)
    payouts.approve(payout, supervisor, "同意", now=now - 9 * day)
    payouts.mark_paid(payout, treasurer, f"WISH{wish.fund_id:03d}{wish.id}",
                      local_day(now - 8 * day), now=now - 8 * day)
    services.fulfil_paid(now - 8 * day)


def sample(name: str):
    """URL values for the tests' walks over every route (tests/helpers.py SAMPLES), in the
    current fund's scope: a wish on the wall, and a claimer's private link."""
    from hashlib import sha256

    from app.wishes.models import Wish, WishClaim

    if name == "wish_id":
        return db.session.scalar(select(Wish.id).where(Wish.status == "open")
                                 .order_by(Wish.id))
    # Only the link's hash is stored: the sample gives the live claim a link it knows.
    token = "sample-claim-link"
    # The live claim while there is one (a walk may have cancelled it through its link).
    claim = db.session.scalar(select(WishClaim).order_by(
        (WishClaim.status == "active").desc(), WishClaim.id))
    claim.token_hash = sha256(token.encode()).hexdigest()
    db.session.commit()
    return token
