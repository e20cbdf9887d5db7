"""make load's giving surge (issues 18 and 23): on 99公益日 a township's villagers give in
bursts. SURGE_DONORS (500) donors over SURGE_SECONDS (60) seconds give to one campaign through
the WeChat Pay and Alipay fakes while SURGE_READERS (200) readers refresh the campaign page, on
gunicorn (SURGE_WORKERS sync workers, 4 by default) and PostgreSQL; then the checks. Exits 1
when any check fails. A quick run: SURGE_DONORS=40 SURGE_SECONDS=15 SURGE_READERS=20.

What it does:
- a fresh PostgreSQL database (bench.common.bench_app: the app as a role owning nothing,
  under row-level security) with the demo data (SURGE_DEMO_DONATIONS, 500 per fund by
  default), whose 芦湾镇 campaign (three villages, a 1:1 match capped at ¥10,000, ¥500 per
  gift, ¥1,000 per donor a day) is the one given to;
- the two payment fakes (tests/fake_wechatpay.py, tests/fake_alipay.py) as processes of
  their own, checking the merchant's signature on every call, and gunicorn on a port known
  beforehand (PUBLIC_URL: the notify URLs the fakes post to), CSRF and rate limits on, each
  donor and reader with an address of their own (PROXY_FIX_HOPS=1);
- locust (bench/surge_users.py) for SURGE_SECONDS plus time for the last donors to finish:
  each donor opens the campaign page and a village's donate page, posts the form (an order
  at the fake), pays at the fake (whose signed notification the app books before the fake
  answers) and opens the status page; readers refresh the page's live part as htmx does;
- then, with gunicorn still up, every notification the fakes sent is sent again, as a
  gateway retries: each is answered 2xx and books nothing new.

The checks: no 5xx, nor any other unexpected answer, per request kind; no notification left
unanswered at the fakes; every payment the fakes took booked once (one confirmed gift under
its order number, for its amount, with one confirming event, in the fund its order names);
the ledger's campaign gifts per fund equal to the fakes' records; the match within every cap
of the pledge (total, per gift, per donor a day), its allocations summing to what the pledge
says is used and to the sponsor's debits; each fund's balance from the ledger service (as
the app role) equal to a plain SQL sum. Throughput and p50/p95 per request kind come from
locust's figures. The database is dropped at the end; the figures are a floor (gunicorn,
PostgreSQL, the fakes and locust share the machine's cores).
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests import fake_process

from .common import bench_app, demo, loading, postgres_reachable, scratch
from .giving import _fakes
from .load import read_stats, report
from .serve import BIN, ROOT, app_env, free_port, gunicorn, stop

DONORS = int(os.environ.get("SURGE_DONORS", "500"))
SECONDS = int(os.environ.get("SURGE_SECONDS", "60"))
READERS = int(os.environ.get("SURGE_READERS", "200"))
WORKERS = int(os.environ.get("SURGE_WORKERS", "4"))
DEMO_DONATIONS = int(os.environ.get("SURGE_DEMO_DONATIONS", "500"))
# Seconds after the last donor's arrival for the gifts under way to finish, at most: the
# surge ends as soon as its last donor has given (bench/surge_users.py).
TAIL = 30


def prepare(app) -> dict:
    """The demo (with its campaign), and the plan the locust users follow."""
    from sqlalchemy import select

    from app.campaigns.models import Campaign, CampaignFund
    from app.extensions import db
    from app.funds.models import Fund
    from tenants import SYSTEM, using

    with loading(app), using(SYSTEM):
        demo(app.config["DEMO_PASSWORD"])
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        villages = [
            {
                "fund": part.fund_id,
                "designation": part.designation_id,
                "slug": db.session.get(Fund, part.fund_id).slug,
            }
            for part in db.session.scalars(
                select(CampaignFund)
                .where(CampaignFund.campaign_id == campaign.id)
                .order_by(CampaignFund.id)
            )
        ]
        return {"campaign": campaign.id, "villages": villages}


def run_locust(base: str, plan_file: Path, csv_prefix: Path, users: int, seconds: int) -> None:
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "surge_users.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "30",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "LOAD_PLAN": str(plan_file), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _out, err = process.communicate(timeout=seconds + 180)
    finally:
        stop(process)
    if process.returncode not in (0, 1):  # 1: some requests failed; the checks say which
        raise RuntimeError(f"locust exited with {process.returncode}: {err[-3000:]}")


def _fake(base: str, path: str):
    with urllib.request.urlopen(f"{base}{path}", timeout=60) as response:
        return json.loads(response.read())


def _post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def replay(base: str, wx: str, ali: str) -> dict:
    """Every notification the fakes sent, sent once more to the app (as a gateway retries);
    the answers counted by (gateway, status, what it said)."""
    answers = Counter()
    for sent in _fake(wx, "/_fake/notifications"):
        status, text = _post(
            base + urlsplit(sent["url"]).path, sent["body"].encode(), sent["headers"]
        )
        outcome = json.loads(text).get("outcome") if status == 200 else text[:60]
        answers[("wechatpay", status, outcome)] += 1
    for sent in _fake(ali, "/_fake/notifications"):
        status, text = _post(
            base + urlsplit(sent["url"]).path,
            urlencode(sent["params"]).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        answers[("alipay", status, text.strip()[:60])] += 1
    return answers


def records(wx: str, ali: str) -> dict:
    """What the fakes hold: paid orders {(gateway, out_trade_no): paid fen}, and how many
    notifications were sent, refused at first, and are still waiting."""
    paid = {
        ("wechatpay", o["out_trade_no"]): o["paid_fen"]
        for o in _fake(wx, "/_fake/orders")
        if o["state"] in ("SUCCESS", "REFUND")
    }
    paid.update(
        {
            ("alipay", t["out_trade_no"]): t["paid"]
            for t in _fake(ali, "/_fake/orders")
            if t["status"] in ("TRADE_SUCCESS", "TRADE_FINISHED")
        }
    )
    sent = _fake(wx, "/_fake/notifications") + _fake(ali, "/_fake/notifications")
    held = _fake(wx, "/_fake/held") + _fake(ali, "/_fake/held")
    return {
        "paid": paid,
        "sent": len(sent),
        "held": len(held),
        "refused": sum(1 for n in sent if not 200 <= n["status"] < 300),
    }


def check(app, plan: dict, fakes: dict, replayed: Counter) -> list[tuple[str, bool, str]]:
    from sqlalchemy import func, select, text

    from app.campaigns.models import MatchAllocation, MatchPledge
    from app.donations.models import Donation, PaymentEvent
    from app.extensions import db
    from app.funds.models import Fund
    from app.ledger import services as ledger
    from app.ledger.models import LedgerEntry
    from app.payments import orders
    from tenants import SYSTEM, fund_scope, using

    results = []
    paid = fakes["paid"]
    with app.test_request_context():  # the order numbers as this deployment reads them
        named = {key: orders.parse(key[1]) for key in paid}
    with loading(app), using(SYSTEM):  # the owner, every fund
        gifts = {
            (d.gateway, d.gateway_ref): d
            for d in db.session.scalars(
                select(Donation).where(
                    Donation.gateway.in_(("wechatpay", "alipay")),
                    Donation.gateway_ref.like(f"{plan['prefix']}F%"),
                )
            )
        }
        confirming = Counter(
            db.session.execute(
                select(PaymentEvent.gateway, PaymentEvent.donation_id).where(
                    PaymentEvent.outcome == "confirmed"
                )
            ).all()
        )
        entries = defaultdict(int)
        for donation_id, fen in db.session.execute(
            select(LedgerEntry.donation_id, LedgerEntry.amount_fen).where(
                LedgerEntry.donation_id.is_not(None), LedgerEntry.kind == "donation"
            )
        ):
            entries[donation_id] += fen
        wrong = []
        for key, fen in paid.items():
            gift = gifts.get(key)
            if gift is None:
                wrong.append(f"{key}: paid at the fake, no gift")
            elif (gift.status, gift.amount_fen, entries[gift.id]) != ("confirmed", fen, fen):
                wrong.append(
                    f"{key}: {gift.status}, {gift.amount_fen} fen, booked "
                    f"{entries[gift.id]}, paid {fen}"
                )
            elif confirming[(key[0], gift.id)] != 1:
                wrong.append(f"{key}: {confirming[(key[0], gift.id)]} confirming events")
            elif named[key] is None or named[key].fund_id != gift.fund_id:
                wrong.append(f"{key}: in fund {gift.fund_id}, its order names another")
        extra = [k for k, g in gifts.items() if g.status != "pending" and k not in paid]
        wrong += [f"{k}: confirmed, not paid at the fake" for k in extra]
        results.append(
            (
                "every payment at the fakes booked once, in its fund, for its amount",
                not wrong,
                "; ".join(wrong[:5])
                or f"{len(paid)} payments, {fakes['sent']} notifications "
                f"({fakes['refused']} refused at first), {sum(replayed.values())} sent again",
            )
        )
        results.append(
            (
                "no notification left waiting at the fakes",
                fakes["held"] == 0,
                f"{fakes['held']} waiting",
            )
        )
        again = [
            f"{k}: {n}"
            for k, n in replayed.items()
            if k[1] != 200 or k[2] not in ("replayed", "success")
        ]
        results.append(
            (
                "each notification sent again is answered 2xx and books nothing",
                not again,
                "; ".join(again[:5])
                or ", ".join(f"{k[0]} {k[2]} × {n}" for k, n in sorted(replayed.items())),
            )
        )

        by_fund_fake, by_fund_books = defaultdict(int), defaultdict(int)
        for key, fen in paid.items():
            by_fund_fake[named[key].fund_id if named[key] else None] += fen
        for gift in gifts.values():
            if gift.status == "confirmed":
                by_fund_books[gift.fund_id] += entries[gift.id]
        results.append(
            (
                "the ledger's online gifts per fund equal the fakes' records",
                dict(by_fund_fake) == dict(by_fund_books),
                ", ".join(
                    f"fund {f}: ¥{by_fund_books.get(f, 0) / 100:,.2f} booked, "
                    f"¥{fen / 100:,.2f} paid"
                    for f, fen in sorted(by_fund_fake.items(), key=lambda i: str(i[0]))
                ),
            )
        )

        pledge = db.session.scalar(
            select(MatchPledge).where(MatchPledge.campaign_id == plan["campaign"])
        )
        allocations = db.session.scalars(
            select(MatchAllocation).where(MatchAllocation.pledge_id == pledge.id)
        ).all()
        net = sum(a.net_fen for a in allocations)
        per_day = defaultdict(int)
        for a in allocations:
            if a.donor_ref:
                per_day[(a.donor_ref, a.day)] += a.net_fen
        debits = db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
                LedgerEntry.id.in_([a.sponsor_entry_id for a in allocations if a.sponsor_entry_id])
            )
        )
        problems = []
        if not 0 <= pledge.used_fen <= pledge.cap_fen:
            problems.append(f"used {pledge.used_fen} of a cap of {pledge.cap_fen}")
        if net != pledge.used_fen or -int(debits or 0) != sum(a.matched_fen for a in allocations):
            problems.append(
                f"allocations {net}, pledge used {pledge.used_fen}, sponsor debits {debits}"
            )
        if pledge.per_gift_fen and any(a.matched_fen > pledge.per_gift_fen for a in allocations):
            problems.append("a gift matched above the per-gift limit")
        if pledge.per_donor_day_fen and any(v > pledge.per_donor_day_fen for v in per_day.values()):
            problems.append("a donor matched above the daily limit")
        limits = Counter(a.limited_by for a in allocations)
        results.append(
            (
                "the match within its caps, allocations = pledge used = sponsor debits",
                not problems,
                "; ".join(problems)
                or f"¥{pledge.used_fen / 100:,.2f} of ¥{pledge.cap_fen / 100:,.2f} used by "
                f"{len(allocations)} gifts ({dict(sorted(limits.items()))})",
            )
        )

        sums = dict(
            db.session.execute(
                text(
                    "SELECT fund_id, COALESCE(SUM(amount_fen), 0) "
                    f"FROM {LedgerEntry.__tablename__} GROUP BY fund_id"
                )
            ).all()
        )
        fund_ids = list(db.session.scalars(select(Fund.id).order_by(Fund.id)))
    derived = {}
    with app.app_context():  # the app role, under row-level security, one fund at a time
        for fund_id in fund_ids:
            with using(fund_scope(fund_id)):
                derived[fund_id] = ledger.balances().total_fen
                db.session.rollback()
        db.session.remove()
    wrong = [
        f"fund {f}: service {derived[f]}, SQL {int(sums.get(f, 0))}"
        for f in fund_ids
        if derived[f] != int(sums.get(f, 0))
    ]
    results.append(
        (
            "each fund's ledger balance equals the sum of its entries",
            not wrong,
            "; ".join(wrong) or f"{len(fund_ids)} funds",
        )
    )
    return results


def main() -> int:
    if not postgres_reachable():
        print("make load's surge needs PostgreSQL (TEST_POSTGRES_URL); it is not reachable.")
        return 1
    work = scratch("shanlin-surge-")
    (work / "fakes").mkdir()
    wx, ali, settings = _fakes(work / "fakes")
    try:
        with bench_app("postgresql", {"DEMO_DONATIONS_PER_FUND": DEMO_DONATIONS}) as app:
            start = time.perf_counter()
            plan = prepare(app)
            donor_users = min(DONORS, max(10, DONORS * 6 // max(SECONDS, 1)))
            plan.update(
                donors=DONORS,
                seconds=SECONDS,
                readers=READERS,
                donor_users=donor_users,
                seed=18023,
                prefix="SL",
                wechatpay=wx[1],
                alipay=ali[1],
            )
            print(
                f"Loaded the demo ({DEMO_DONATIONS:,} donations per fund) and its campaign "
                f"{plan['campaign']} of {len(plan['villages'])} villages in "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
            plan_file = work / "plan.json"
            plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = app_env(
                app,
                str(work / "var"),
                PUBLIC_URL=base,
                PROXY_FIX_HOPS="1",
                PAYMENT_ORDER_PREFIX="SL",
                **settings,
            )
            print(
                f"gunicorn: {WORKERS} sync workers; locust: {DONORS} donors over {SECONDS} s "
                f"({donor_users} at a time at most), {READERS} readers",
                flush=True,
            )
            with gunicorn(env, workers=WORKERS, port=port):
                run_locust(base, plan_file, work / "locust", donor_users + READERS, SECONDS + TAIL)
                replayed = replay(base, wx[1], ali[1])
            fakes = records(wx[1], ali[1])
            rows, failures, exceptions = read_stats(work / "locust")
            results = check(app, plan, fakes, replayed)
    finally:
        fake_process.stop(wx[0], wx[2])
        fake_process.stop(ali[0], ali[2])
    return report(rows, failures, exceptions, results, SECONDS)


if __name__ == "__main__":
    sys.exit(main())
