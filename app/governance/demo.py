"""Demo governance: in every fund, proposals in every state, an open vote, a closed vote with
a recusal, an objection on public notice and last year's project round.

Everything goes through the services with past times, so the records (transitions, ballots,
their history, resolutions) are what the product itself would have written.
"""

import struct
import zlib
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Membership, User
from app.auth.roles import COMMITTEE_ROLES, Role
from app.clock import local_today
from app.db_types import utcnow
from app.demo import pictures
from app.extensions import db
from tenants import fund_scope, using

from . import motions, proposals, rounds, uploads
from .committees import rules_of, voters_on
from .models import Proposal
from .proposals import ProposalInput

TERM_START = date(2024, 1, 1)  # the committees' current term


def tiny_png() -> bytes:
    """A valid one-pixel PNG: a stand-in for the photo of the meeting's minutes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def seed(demo) -> None:
    for prefix, fund in demo.funds.items():
        _backdate_terms(fund)
        with using(fund_scope(fund.id)):
            seed_fund(fund, live=prefix == "DGC")


def _backdate_terms(fund) -> None:
    """The demo committees have sat since 2024, so last month's votes had an electorate."""
    for m in db.session.scalars(select(Membership).where(
            Membership.fund_id == fund.id, Membership.role.in_(COMMITTEE_ROLES))):
        m.start_date = TERM_START
    db.session.flush()


def _proposal(title, category, amount, user, when, *, description="", villager=None,
              submit=True, budget=""):
    data = ProposalInput(title=title, category=category, description=description or title,
                         requested=str(amount), beneficiaries="", budget=budget)
    if villager:
        data.proposer_name, data.proposer_phone = villager
    return proposals.create(data, None if villager else user, submit=submit, now=when)


def _vote(proposal, chair, voters, when, choices, *, recuse=None, by_chair=False,
          hours=72):
    """Open a motion at ``when``; voters cast ``choices`` in order (None: no vote); it closes
    at its deadline, or by the chair once everyone has voted."""
    motion = motions.open_motion(proposal, chair, now=when,
                                 deadline=when + timedelta(hours=hours))
    at = when + timedelta(hours=1)
    if recuse is not None:
        motions.recuse(motion, db.session.get(User, voters[recuse]),
                       "申请人是本人的亲属", now=at)
    for user_id, choice in zip(voters, choices, strict=False):
        if choice and (recuse is None or user_id != voters[recuse]):
            motions.cast(motion, db.session.get(User, user_id), choice, now=at)
            at += timedelta(minutes=7)
    if by_chair:
        motions.close(motion, chair, now=at)
    elif motion.deadline <= utcnow():
        motions.close(motion, None, now=motion.deadline)
    return motion


def _through(proposal, states, when, user=None):
    for state in states:
        if state == "notice":
            proposals.publish(proposal, user, now=when)
        else:
            proposals.transition(proposal, state, user, now=when)
        when += timedelta(days=6)


def seed_fund(fund, *, live: bool = False) -> None:
    now = utcnow()
    day = timedelta(days=1)
    rules = rules_of(fund.id)
    rules.live_results = live
    rules.casting_vote = live
    rules.two_thirds_above_fen = 5_000_000  # ¥50,000
    db.session.add(rules)  # the defaults are not saved until changed
    voters = [uid for uid, _role in voters_on(fund.id, local_today())]
    chair = db.session.get(User, voters[0])
    member = db.session.get(User, voters[1])
    v = fund.village

    # Draft, submitted (by a villager), in discussion, withdrawn.
    _proposal(f"{v}村口路灯维修", "environment", 8600, member, now - 2 * day, submit=False)
    _proposal(f"{v}老年活动室添置空调", "elderly", 12000, None, now - 3 * day,
              villager=("何阿婆", "13812345678"),
              description="活动室夏天太热，老人们想装两台空调。")
    talk = _proposal(f"{v}困难学生新学期助学金", "education", 24000, member, now - 9 * day,
                     budget="助学金 6 人 × 4000 元 24000")
    proposals.transition(talk, "discussion", chair, now=now - 8 * day)
    proposals.add_comment(talk, chair, "名单请社工再核实一遍家庭情况。")
    proposals.add_comment(talk, member, "已核实，6 户都在低保边缘。")
    gone = _proposal(f"{v}河道垃圾清理", "environment", 6500, member, now - 40 * day)
    proposals.transition(gone, "withdrawn", member, now=now - 39 * day)

    # Rejected, approved (closed by the chair), on public notice with an objection.
    no = _proposal(f"{v}村民广场音响设备", "other", 28000, member, now - 35 * day)
    _vote(no, chair, voters, now - 30 * day, ["no", "no", "abstain", "yes", "no", "no"])
    yes = _proposal(f"{v}残疾人家庭无障碍改造", "disability", 36000, member, now - 5 * day)
    _vote(yes, chair, voters, now - 3 * day, ["yes"] * len(voters), by_chair=True)
    notice = _proposal(f"{v}独居老人助餐", "elderly", 42000, member, now - 12 * day,
                       budget="餐费 38000\n送餐电动车 4000")
    _vote(notice, chair, voters, now - 8 * day, ["yes", "yes", "yes", "no", "yes", "yes"])
    proposals.publish(notice, chair, now=now - 4 * day)
    proposals.file_objection(notice, "钱师傅", "13987654321",
                             "送餐电动车可以向村里借，不必新买。", now=now - day)

    # Final (a closed vote with a recusal), then the project's later life: every project
    # that got as far as 已完成 was paid its budget on the way (payouts' demo).
    final = _proposal(f"微心愿：{v}留守儿童书包", "small_wish", 2400, member, now - 25 * day,
                      budget="书包 12 个 2400")
    _vote(final, chair, voters, now - 21 * day, ["yes", "yes", "yes", "yes", "no", "yes"],
          recuse=len(voters) - 1)
    _through(final, ["notice"], now - 18 * day, chair)
    proposals.finalize_if_due(final, now)
    from app.payouts.demo import pay_in_full

    for title, amount, age, states, budget in [  # age: days since it was proposed, so
        # that the spending falls in different months of the year; each names its lines,
        # which its payouts are paid from
        ("重阳敬老餐（上半年）", 30000, 200, ["in_progress"],
         "食材采购 18000\n餐盒与保温设备 7000\n慰问品与杂项 5000"),
        ("老年食堂餐具更新", 12000, 150, ["in_progress", "completed"],
         "餐具 8000\n消毒柜 4000"),
        ("春节困难户慰问", 48000, 300, ["in_progress", "completed", "accepted"],
         "慰问金 24 户 × 1500 元 36000\n慰问品 12000"),
        ("2025 年助学金", 40000, 250, ["in_progress", "completed", "accepted", "closed"],
         "助学金 10 人 × 3000 元 30000\n学习用品 10000"),
    ]:
        past = now - age * day
        done = _proposal(f"{v}{title}", "hardship", amount, member, past, budget=budget)
        _vote(done, chair, voters, past + day, ["yes"] * len(voters), by_chair=True)
        _through(done, ["notice"], past + 3 * day, chair)
        proposals.finalize_if_due(done, past + 10 * day)
        _through(done, states[:1], past + 11 * day, chair)
        if len(states) > 1:
            pay_in_full(done, v, past + 12 * day)
            _through(done, states[1:], past + 40 * day, chair)

    # Last year's round: three proposals, a cap of ¥30,000, approvals, the greedy choice.
    past = now - 120 * day
    entries = [_proposal(f"{v}{t}", c, a, member, past - day) for t, c, a in [
        ("文化礼堂修缮", "other", 18000), ("老年助餐补贴", "elderly", 12000),
        ("儿童暑期托管", "education", 15000)]]
    round_ = rounds.open_round("2025 年度项目征集", "30000", [p.id for p in entries], chair,
                               now=past)
    for n, user_id in enumerate(voters):
        picks = [entries[1].id] + ([entries[0].id] if n % 2 == 0 else [entries[2].id])
        rounds.approve(round_, db.session.get(User, user_id), picks, now=past + day)
    rounds.close_round(round_, chair, now=past + 10 * day)
    for p in entries:
        if p.status == "approved":
            _through(p, ["notice"], past + 11 * day, chair)
            proposals.finalize_if_due(p, past + 20 * day)

    # The open vote: the chair and one member have voted, an offline ballot waits for its
    # member's confirmation, the rest (the demo "member" login among them) have not voted.
    open_ = _proposal(f"{v}重阳敬老餐", "elderly", 9800, member, now - 4 * day,
                      budget="餐费 80 桌 8000\n慰问品 1800")
    proposals.transition(open_, "discussion", chair, now=now - 3 * day)
    motion = motions.open_motion(open_, chair, now=now - timedelta(hours=2),
                                 deadline=now + 2 * day)
    motions.cast(motion, chair, "yes", now=now - timedelta(hours=1))
    others = [uid for uid in voters[1:] if not _is_demo_login(uid)]
    if others:
        motions.cast(motion, db.session.get(User, others[0]), "no",
                     now=now - timedelta(minutes=50))
    secretary = _secretary(fund)
    if secretary is not None and len(others) > 1:
        minutes = pictures.photo("会议记录：书面表决票", v, local_today())
        evidence = uploads.save(fund.id, minutes, "会议记录.jpg", "minutes", secretary,
                                motion_id=motion.id)
        motions.record_offline(motion, secretary, others[1], "yes", evidence,
                               now=now - timedelta(minutes=30))
    db.session.flush()


def _is_demo_login(user_id: int) -> bool:
    """The documented demo people (139000000xx) vote themselves in the walkthroughs."""
    user = db.session.get(User, user_id)
    return bool(user.phone and user.phone.startswith("139000000"))


def _secretary(fund):
    row = db.session.scalar(select(Membership).where(
        Membership.fund_id == fund.id, Membership.role == Role.SECRETARY))
    return row.user if row else None


def sample(name: str) -> int:
    """Ids of the current fund's demo rows, for the isolation matrix's URL samples."""
    from .models import Attachment, Motion, Objection, Round

    queries = {
        "proposal_id": select(Proposal.id).where(Proposal.status == "notice"),
        "motion_id": select(Motion.id).where(Motion.status == "open"),
        "resolution_id": select(Motion.id).where(Motion.status == "closed"),
        "file_id": select(Attachment.id),
        "objection_id": select(Objection.id),
        "round_id": select(Round.id),
    }
    if name == "membership_id":
        fund_id = db.session.scalar(select(Proposal.fund_id).limit(1))
        rows = db.session.scalars(select(Membership).where(
            Membership.fund_id == fund_id, Membership.role == Role.MEMBER,
            Membership.end_date.is_(None)).order_by(Membership.id.desc()))
        return next(m.id for m in rows if not _is_demo_login(m.user_id))
    return db.session.scalar(queries[name].order_by(queries[name].selected_columns[0]))
