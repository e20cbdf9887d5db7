"""make load: committee members voting and treasurers recording gifts at the same time, on
gunicorn and PostgreSQL, then the integrity checks. Exits 1 when any check fails.

What it does:
- a fresh PostgreSQL database (bench.common.bench_app: migrated by the owner, the app
  connecting as a role that owns nothing, under row-level security), the demo data
  (DEMO_DONATIONS_PER_FUND, 2,500 by default), and through the app's own services a fund
  (fuzaicun) whose committee has LOAD_VOTERS (50) members who may vote, with one open motion
  (its electorate frozen as it opens), and LOAD_TREASURERS (20) more treasurers spread over
  the six demo funds;
- gunicorn (bench/wsgi.py, LOAD_WORKERS sync workers, 2 by default) on a free port of
  127.0.0.1, plain http, CSRF on, the login limit raised so the users can sign in;
- locust, headless, for LOAD_SECONDS (60) seconds, and on until every member has voted and
  every treasurer has issued a receipt (bench/load_users.py): every member signs
  in, opens the motion page and posts a ballot, then keeps looking at the tally and now and
  then changes their vote; every treasurer signs in and records single gifts through the
  donation form, and issues a receipt through the receipts page for about 40 % of them;
- then, with gunicorn stopped: no 5xx or otherwise unexpected response per request kind;
  receipts gapless 1..N per fund and year with no number twice, and each counter at N;
  exactly one ballot per member per motion, every ballot from the frozen electorate and
  matching the last entry of its history; each fund's balance from the ledger service (as
  the app role) equal to a plain SQL sum of its entries (as the owner); the audit chains
  verify. Throughput (req/s) and p50/p95 per request kind come from locust's figures.

The database is dropped at the end. The machine's cores are shared by gunicorn, PostgreSQL
and locust itself, so the figures are a floor, not a capacity.
"""

import csv
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from .common import bench_app, demo, loading, postgres_reachable, scratch
from .serve import BIN, ROOT, app_env, gunicorn

SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
# Locust's time limit beyond SECONDS: for a machine so loaded that a member has not voted or a
# treasurer not receipted by then (the run ends when both are done, bench/load_users.py).
TAIL = 60
VOTERS = int(os.environ.get("LOAD_VOTERS", "50"))
TREASURERS = int(os.environ.get("LOAD_TREASURERS", "20"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
DEMO_DONATIONS = int(os.environ.get("DEMO_DONATIONS_PER_FUND", "2500"))
FUND_SLUG = "fuzaicun"


def prepare(app, voters: int, treasurers: int) -> dict:
    """The demo data, the big committee with its open motion, the extra treasurers."""
    from sqlalchemy import select

    from app.auth import services as accounts
    from app.auth.roles import Role
    from app.db_types import utcnow
    from app.demo.data import HOST
    from app.extensions import db
    from app.funds import services as funds
    from app.funds.models import Fund, Township
    from app.governance import committees, motions, proposals
    from tenants import SYSTEM, fund_scope, using

    password = app.config["DEMO_PASSWORD"]
    with loading(app):
        with using(SYSTEM):
            demo(password)
            demo_funds = db.session.execute(select(Fund.slug, Fund.id).order_by(Fund.id)).all()
            luwan = db.session.scalar(select(Township).where(Township.slug == "luwan"))
            fund = funds.create_fund(luwan, "负载村社区慈善基金", host_charity=HOST,
                                     receipt_prefix="FZC", village="负载村", slug=FUND_SLUG)
            people = [committees.appoint(fund, f"137{n:08d}",
                                         Role.CHAIR if n == 0 else Role.MEMBER,
                                         name=f"负载委员{n:02d}", password=password).user
                      for n in range(voters)]
            plan_treasurers = []
            for n in range(treasurers):
                slug, fund_id = demo_funds[n % len(demo_funds)]
                name = f"负载经办人{n:02d}"
                user = accounts.create_user(name, password, phone=f"136{n:08d}")
                accounts.add_membership(user, Role.TREASURER,
                                        fund=db.session.get(type(fund), fund_id))
                plan_treasurers.append({"login": user.phone, "fund": slug, "name": name})
            db.session.commit()
            fund_id, chair_id = fund.id, people[0].id
            logins = [u.phone for u in people]
        with using(fund_scope(fund_id)):
            from app.auth.models import User

            chair = db.session.get(User, chair_id)
            proposal = proposals.create(proposals.ProposalInput(
                title="负载测试：村道路灯更换", category="environment",
                description="五十位委员同时投票。", requested="5000", budget="路灯 5000"), chair)
            motion = motions.open_motion(proposal, chair, deadline=utcnow() + timedelta(days=7))
            db.session.commit()
            electors = len(motions.electorate(motion))
            plan = {"password": password, "motion": motion.id, "electors": electors,
                    "voters": [{"login": login, "fund": FUND_SLUG, "motion": motion.id}
                               for login in logins],
                    "treasurers": plan_treasurers}
    return plan


def run_locust(base: str, plan_file: Path, csv_prefix: Path, users: int, seconds: int) -> None:
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load_users.py"), "--headless",
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", base,
               "--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "10",
               "--loglevel", "WARNING"]
    env = {**os.environ, "LOAD_PLAN": str(plan_file), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _out, err = process.communicate(timeout=seconds + 120)
    finally:
        from .serve import stop

        stop(process)
    if process.returncode not in (0, 1):  # 1: some requests failed; the checks say which
        raise RuntimeError(f"locust exited with {process.returncode}: {err[-3000:]}")


def read_stats(csv_prefix: Path) -> tuple[list[dict], dict, list[dict]]:
    """Locust's rows per request kind, its failures per kind and error, and the exceptions
    raised in the users' tasks (a page without the form a user looks for: no request of that
    kind is made, and no failure counted)."""
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    failures: dict = defaultdict(lambda: defaultdict(int))
    with open(f"{csv_prefix}_failures.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            failures[row["Name"]][row["Error"]] += int(row["Occurrences"])
    with open(f"{csv_prefix}_exceptions.csv", encoding="utf-8") as f:
        exceptions = list(csv.DictReader(f))
    return rows, failures, exceptions


def check(app, plan: dict) -> list[tuple[str, bool, str]]:
    """The integrity checks, each (what, passed, details)."""
    from sqlalchemy import func, select, text

    from app.audit import chain
    from app.extensions import db
    from app.funds.models import Fund
    from app.governance.models import Ballot, BallotChange, Elector
    from app.ledger import services as ledger
    from app.ledger.models import LedgerEntry
    from app.receipts.models import Receipt, ReceiptCounter
    from tenants import SYSTEM, fund_scope, using

    results = []
    with loading(app), using(SYSTEM):  # the owner, every fund
        numbers = defaultdict(list)
        for fund_id, year, sequence, number in db.session.execute(
                select(Receipt.fund_id, Receipt.year, Receipt.sequence, Receipt.number)):
            numbers[(fund_id, year)].append((sequence, number))
        counters = {(c.fund_id, c.year): c.last_number
                    for c in db.session.scalars(select(ReceiptCounter))}
        bad = []
        for key, rows in sorted(numbers.items()):
            sequences = sorted(s for s, _n in rows)
            if sequences != list(range(1, len(rows) + 1)) or len({n for _s, n in rows}) != \
                    len(rows) or counters.get(key) != len(rows):
                bad.append(f"fund {key[0]} year {key[1]}: {len(rows)} receipts, sequences "
                           f"{sequences[:3]}…{sequences[-3:]}, counter {counters.get(key)}")
        results.append(("receipts gapless 1..N per fund and year, no number twice", not bad,
                         "; ".join(bad) or f"{sum(map(len, numbers.values()))} receipts in "
                         f"{len(numbers)} fund-years"))

        ballots = db.session.execute(select(Ballot.motion_id, Ballot.user_id, Ballot.choice)
                                     ).all()
        per_member = defaultdict(list)
        for motion_id, user_id, choice in ballots:
            per_member[(motion_id, user_id)].append(choice)
        electors = set(db.session.execute(select(Elector.motion_id, Elector.user_id)).all())
        history = defaultdict(list)
        for motion_id, user_id, action, choice in db.session.execute(
                select(BallotChange.motion_id, BallotChange.user_id, BallotChange.action,
                       BallotChange.choice).order_by(BallotChange.at, BallotChange.id)):
            history[(motion_id, user_id)].append((action, choice))
        problems = [f"{k}: {len(v)} ballots" for k, v in per_member.items() if len(v) != 1]
        problems += [f"{k}: not in the electorate" for k in per_member if k not in electors]
        problems += [f"{k}: ballot {v[0]} but history ends {history[k][-1:]}"
                     for k, v in per_member.items()
                     if not history[k] or history[k][-1][1] != v[0]]
        problems += [f"{k}: history without a ballot ends {h[-1]}" for k, h in history.items()
                     if k not in per_member and h[-1][0] != "recuse"]
        load_motion = [k for k in per_member if k[0] == plan["motion"]]
        changes = sum(len(h) for k, h in history.items() if k[0] == plan["motion"])
        results.append(("one current ballot per member per motion, history consistent",
                        not problems, "; ".join(problems[:5]) or
                        f"load motion: {len(load_motion)} of {plan['electors']} electors "
                        f"voted, {changes} history entries; {len(per_member)} ballots in all"))

        sums = dict(db.session.execute(text(
            f"SELECT fund_id, COALESCE(SUM(amount_fen), 0) FROM {LedgerEntry.__tablename__} "
            "GROUP BY fund_id")).all())
        entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
        fund_ids = list(db.session.scalars(select(Fund.id).order_by(Fund.id)))
    derived = {}
    with app.app_context():  # the app role, under row-level security, one fund at a time
        for fund_id in fund_ids:
            with using(fund_scope(fund_id)):
                balances = ledger.balances()
                parts = balances.unrestricted_fen + sum(balances.restricted_fen.values())
                derived[fund_id] = balances.total_fen if parts == balances.total_fen else None
                db.session.rollback()
        with using(SYSTEM):
            report = chain.verify(db.session)
            db.session.rollback()
        db.session.remove()
    wrong = [f"fund {f}: service {derived[f]}, SQL {int(sums.get(f, 0))}" for f in fund_ids
             if derived[f] != int(sums.get(f, 0))]
    results.append(("each fund's ledger balance equals the sum of its entries", not wrong,
                     "; ".join(wrong) or f"{len(fund_ids)} funds, {entries} entries"))
    results.append(("audit chains verify", report.ok,
                    "; ".join(map(str, report.breaks[:3])) or
                    f"{report.chains} chains, {report.entries} entries"))
    return results


def main(seconds: int = SECONDS, voters: int = VOTERS, treasurers: int = TREASURERS) -> int:
    if not postgres_reachable():
        print("make load needs PostgreSQL (TEST_POSTGRES_URL); it is not reachable.")
        return 1
    work = scratch("shanlin-load-")
    with bench_app("postgresql", {"DEMO_DONATIONS_PER_FUND": DEMO_DONATIONS}) as app:
        start = time.perf_counter()
        plan = prepare(app, voters, treasurers)
        print(f"Loaded the demo ({DEMO_DONATIONS:,} donations per fund), {plan['electors']} "
              f"electors on motion {plan['motion']} of {FUND_SLUG}, {treasurers} more "
              f"treasurers, in {time.perf_counter() - start:.0f} s", flush=True)
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps({**plan, "seconds": seconds}, ensure_ascii=False),
                             encoding="utf-8")
        env = app_env(app, str(work / "var"),
                      LOGIN_RATE_LIMIT="100000 per minute", PUBLIC_URL="http://127.0.0.1")
        users = voters + treasurers
        print(f"gunicorn: {WORKERS} sync workers; locust: {voters} members and {treasurers} "
              f"treasurers for {seconds} s", flush=True)
        with gunicorn(env, workers=WORKERS) as base:
            run_locust(base, plan_file, work / "locust", users, seconds + TAIL)
        rows, failures, exceptions = read_stats(work / "locust")
        results = check(app, plan)
    return report(rows, failures, exceptions, results, seconds)


def report(rows: list[dict], failures: dict, exceptions: list[dict], results: list,
           seconds: int) -> int:
    width = max([22, *(len(row["Name"]) + 2 for row in rows)])
    print(f"\n  {'request kind':<{width}}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'5xx':>6}{'other failures':>16}")
    fivexx_total = other_total = 0
    for row in rows:
        name = row["Name"] if row["Type"] else "all"
        errors = failures.get(row["Name"], {})
        fivexx = sum(n for e, n in errors.items() if e.startswith("5xx"))
        other = sum(n for e, n in errors.items() if not e.startswith("5xx"))
        if row["Type"]:
            fivexx_total += fivexx
            other_total += other
        else:
            fivexx, other = fivexx_total, other_total
        print(f"  {name:<{width}}{row['Request Count']:>9}{float(row['Requests/s']):>8.1f}"
              f"{row['50%']:>8}{row['95%']:>8}{fivexx:>6}{other:>16}")
    for name, errors in failures.items():
        for error, n in errors.items():
            print(f"    {name}: {error} × {n}")
    for exception in exceptions:
        where = exception["Traceback"].strip().splitlines()[-2:]  # the line that raised
        print(f"    exception × {exception['Count']}: {exception['Message']}\n      "
              + "\n      ".join(line.strip() for line in where))
    raised = sum(int(exception["Count"]) for exception in exceptions)
    results = [("no 5xx response", fivexx_total == 0, f"{fivexx_total} 5xx"),
               ("no other unexpected response", other_total == 0, f"{other_total} failures"),
               ("no exception in a user's task", raised == 0, f"{raised} exceptions"),
               *results]
    print()
    for what, passed, details in results:
        print(f"  {'PASS' if passed else 'FAIL'}  {what}: {details}")
    failed = [what for what, passed, _d in results if not passed]
    print(f"\n{'All checks passed.' if not failed else f'{len(failed)} checks FAILED.'}",
          flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
