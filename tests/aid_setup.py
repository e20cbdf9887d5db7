"""关爱发放 set-ups shared by the aid tests: valid ID numbers, a running ¥80 voucher
programme, people enrolled by a vote, a person due for the yearly review, a change of the
programme waiting for its vote."""

from datetime import timedelta

from app.aid import changes, services
from app.auth.models import User
from app.clock import local_today
from app.db_types import utcnow
from app.extensions import db
from app.governance import motions, proposals
from app.governance.committees import voters_on

from .helpers import person

VALID_IDS = ["110105194912240017", "320500194501021230", "320500193807155675"]


def decide(motion, chair, *, recuse=None):
    """Everyone who may votes yes (one recused), the chair closes the vote."""
    at = utcnow() - timedelta(minutes=30)
    if recuse is not None:
        motions.recuse(motion, recuse, "名单中有本人亲属", now=at)
    for user_id, _role in voters_on(motion.fund_id, local_today()):
        if recuse is None or user_id != recuse.id:
            motions.cast(motion, db.session.get(User, user_id), "yes", now=at)
    motions.close(motion, chair, now=at + timedelta(minutes=1))


def running_programme(kind="voucher", **kw) -> services.Programme:
    """An ¥80 monthly voucher programme past its vote and public notice."""
    today = local_today()
    values = dict(title="独居老人购物券（测试）", category="elderly", kind=kind, value="80",
                  frequency="monthly", starts_on=today.replace(day=1), ends_on=None,
                  rule="70 周岁以上独居老人", budget="2000",
                  goods="大米" if kind == "goods" else "")
    values.update(kw)
    programme = services.create_programme(services.ProgrammeInput(**values),
                                          person("social_worker"))
    chair = person("chair")
    past = utcnow() - timedelta(hours=2)
    decide(motions.open_motion(programme.proposal, chair, now=past), chair)
    proposals.publish(programme.proposal, chair, now=past)
    proposals.finalize_if_due(programme.proposal, now=utcnow() + timedelta(days=30))
    assert services.state_of(programme) == "running"
    return programme


def enrol(programme, ids=VALID_IDS, *, recuse=None):
    names = ["王秀英", "陈阿大", "朱桂芳"]
    for name, id_number in zip(names, ids, strict=False):
        services.propose(programme, services.PersonInput(
            name=name, id_number=id_number, village_group="一组", household="一组 8 号",
            situation="独居"), person("social_worker"))
    motion = services.put_to_vote(programme, person("chair"))
    decide(motion, person("chair"), recuse=recuse)
    return motion


def old_enrolment(days_ago: int = 340):
    """A programme that began over a year ago and one person enrolled ``days_ago``."""
    today = local_today()
    programme = running_programme(starts_on=today - timedelta(days=400))
    services.propose(
        programme,
        services.PersonInput(
            name="王秀英",
            id_number=VALID_IDS[0],
            village_group="一组",
            household="一组 8 号",
            situation="独居",
            starts_on=today - timedelta(days=days_ago),
        ),
        person("social_worker"),
    )
    decide(services.put_to_vote(programme, person("chair")), person("chair"))
    return programme, services.enrolments(programme)[0]


def change_input(programme, **kw) -> changes.ChangeInput:
    """The programme's terms as they are but for ``kw``, with a reason."""
    values = dict(
        value=str(programme.value_fen // 100),
        frequency=programme.frequency,
        ends_on=programme.ends_on,
        rule=programme.rule,
        budget=str(programme.proposal.requested_fen // 100),
        reason="物价上涨",
    )
    values.update(kw)
    return changes.ChangeInput(**values)


def pending_change(programme, by: str = "social_worker", **kw):
    """New terms (``kw``) proposed by ``by``, waiting for the chair to put them to the vote."""
    return changes.propose_change(programme, change_input(programme, **kw), person(by))
