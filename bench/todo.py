"""Issue 16's figure: the fund overview with 待我处理 against the same overview without it
(TODO_LIST off), on a fund of 100,000 donations, for a person who holds every role the list
reads (chair, member, treasurer) and has an item of each kind. Goal: ≤ 1.5×."""

import random
import time
from datetime import timedelta

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.services import set_password
from app.clock import local_today
from app.db_types import utcnow
from app.donations.demo import seed_fund
from app.donations.models import Batch
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Elector, Motion, Objection, Proposal
from app.payouts.models import Payout
from app.todo import services as todo
from tenants import SYSTEM, fund_scope, using

from .common import bench_app, demo_and_new_fund, loading, print_header, print_row, time_requests
from .donations import DONATIONS

LOGIN = "13900000099"


def run(kind: str) -> None:
    with bench_app(kind) as app:
        with loading(app):
            fund_id = demo_and_new_fund(app.config["DEMO_PASSWORD"])
            start = time.perf_counter()
            with using(fund_scope(fund_id)):
                seed_fund(db.session.get(Fund, fund_id), random.Random(1), DONATIONS, local_today())
                db.session.commit()
            _waiting_things(fund_id, app.config["DEMO_PASSWORD"])
            loaded = time.perf_counter() - start
        person = app.test_client()
        person.post("/auth/login", data={"login": LOGIN, "password": app.config["DEMO_PASSWORD"]})
        print_header(f"Fund overview with 待我处理, {DONATIONS:,} donations in the fund, {kind} "
                     f"(loaded in {loaded:.1f} s)")
        app.config["TODO_LIST"] = False
        base = print_row("overview /f/daqiaocun/ without the list (baseline)",
                         time_requests(person, "/f/daqiaocun/"))
        app.config["TODO_LIST"] = True
        page = person.get("/f/daqiaocun/").get_data(as_text=True)
        # A vote, a payout, an objection, a batch and the gifts (a new fund owes no report yet).
        assert page.count('class="card todo-item') == 5, page
        print_row("overview with the list (goal ≤ 1.5×)", time_requests(person, "/f/daqiaocun/"),
                  base)
        # The same page when nothing kept serves it: the first visit of the minute, or the
        # first after a change in the fund.
        print_row("overview with the list read anew (nothing kept)",
                  time_requests(person, "/f/daqiaocun/", before=todo.forget), base)


def _waiting_things(fund_id: int, password: str) -> None:
    """A chair, member and treasurer of the fund with one item of each kind: a vote, a payout
    to sign, an objection, a batch open since yesterday; the seeded gifts have no receipts."""
    now = utcnow()
    with using(SYSTEM):
        person = User(name="全能委员", phone=LOGIN)
        set_password(person, password)
        requester = db.session.scalar(db.select(User).where(User.phone == "13900000012"))
        db.session.add(person)
        db.session.flush()
        db.session.add_all([Membership(user_id=person.id, fund_id=fund_id, role=role,
                                       start_date=local_today() - timedelta(days=400))
                            for role in (Role.CHAIR, Role.MEMBER, Role.TREASURER)])
    with using(fund_scope(fund_id)):
        proposal = Proposal(fund_id=fund_id, title="村道路灯", category="environment",
                            requested_fen=5_000_000, status="final")
        db.session.add(proposal)
        db.session.flush()
        motion = Motion(fund_id=fund_id, proposal_id=proposal.id, kind="budget_change",
                        title="关于“村道路灯”预算调整的表决", quorum_num=2, quorum_den=3,
                        threshold="cast", casting_vote=False, live_results=False,
                        deadline=now + timedelta(days=2))
        db.session.add(motion)
        db.session.flush()
        db.session.add_all([
            Elector(fund_id=fund_id, motion_id=motion.id, user_id=person.id, role=Role.CHAIR),
            Objection(fund_id=fund_id, proposal_id=proposal.id, name="村民", phone="13800000000",
                      body="路灯位置不合理"),
            Payout(fund_id=fund_id, proposal_id=proposal.id, amount_fen=100_000, payee="灯具厂",
                   purpose="路灯", requested_by_id=requester.id),
            Batch(fund_id=fund_id, title="昨天的募捐箱", channel="cash",
                  received_on=local_today(), counted_total_fen=0,
                  created_at=now - timedelta(days=2)),
        ])
        db.session.commit()
