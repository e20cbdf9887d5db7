"""Issue 9's throughput figure: the public notice board served by gunicorn, next to the plain
50-row Jinja page served by the same gunicorn in the same run, both loaded with wrk on
loopback (goal: the board at least 25 % of the plain page's req/s; issue 23's campaign page,
kept the way the board is, at least 50 %).

Data: the demo, plus the fund daqiaocun with BENCH_DONATIONS donations (100,000) and
BENCH_PAYOUTS payouts (2,000), as bench/disclosure.py loads it. Settings: 2 sync workers, as
in docs/deploy.md (sync workers; WeasyPrint is not for threads), wrk -t2 -c16. The pages take
turns, ROUNDS (3) runs of BENCH_WRK_SECONDS (5) each, and each page's median run is shown, so
a burst of other work on the machine does not land on one page only. Client and server share
the machine's cores."""

import os

from sqlalchemy import select

from app.campaigns.models import Campaign
from app.extensions import db
from tenants import SYSTEM, using

from .common import bench_app, scratch
from .disclosure import DONATIONS, PAYOUTS, load_big_fund
from .serve import app_env, gunicorn, wrk

SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_WRK_ROUNDS", "3"))
WORKERS = 2
GOAL = 0.25
CAMPAIGN_GOAL = 0.5  # issue 23: the campaign page on a giving day


def run(kind: str) -> None:
    with bench_app(kind) as app:
        _fund_id, loaded = load_big_fund(app)
        env = app_env(app, str(scratch("shanlin-wrk-")))
        pages = [("plain Jinja page, 50 rows (baseline)", "/bench/plain"),
                 (f"/f/daqiaocun/public ({DONATIONS:,} donations, {PAYOUTS:,} payouts)",
                  "/f/daqiaocun/public"),
                 ("/f/donggangcun/public (demo fund)", "/f/donggangcun/public"),
                 ("the demo's township campaign page (goal ≥ 50 %)",
                  f"/campaigns/{_campaign_id(app)}")]
        runs = [[] for _ in pages]
        with gunicorn(env, workers=WORKERS) as base:
            for _label, path in pages:  # every worker fills its per-process board cache
                wrk(base + path, seconds=1, threads=1, connections=4)
            for _ in range(ROUNDS):
                for n, (_label, path) in enumerate(pages):
                    runs[n].append(wrk(base + path, seconds=SECONDS))
        results = [sorted(r, key=lambda x: x["rps"])[len(r) // 2] for r in runs]
        spread = [f"{min(x['rps'] for x in r):.0f}–{max(x['rps'] for x in r):.0f}" for r in runs]
    print(f"\ngunicorn, {WORKERS} sync workers, wrk -t2 -c16, {ROUNDS} turns of {SECONDS} s per "
          f"page, median shown, 127.0.0.1, {kind} "
          f"(big fund loaded in {loaded:.1f} s)\n"
          f"  {'':<58}{'req/s':>9}{'p50':>9}{'p99':>9}{'× base':>8}{'runs':>12}", flush=True)
    base_rps = results[0]["rps"]
    for (label, _path), result, between in zip(pages, results, spread, strict=True):
        ratio = result["rps"] / base_rps if base_rps else 0.0
        flags = ""
        if result["non2xx"] or result["socket_errors"]:
            flags = f"  non-2xx {result['non2xx']} {result['socket_errors']}"
        print(f"  {label:<58}{result['rps']:>9.0f}{result['p50']:>9}{result['p99']:>9}"
              f"{ratio:>8.2f}{between:>12}{flags}", flush=True)
    board = results[1]["rps"] / base_rps if base_rps else 0.0
    print(f"  big fund's board at {board:.0%} of the plain page (goal ≥ {GOAL:.0%}): "
          f"{'met' if board >= GOAL else 'NOT met'}", flush=True)
    campaign = results[3]["rps"] / base_rps if base_rps else 0.0
    print(f"  campaign page at {campaign:.0%} of the plain page (goal ≥ {CAMPAIGN_GOAL:.0%}): "
          f"{'met' if campaign >= CAMPAIGN_GOAL else 'NOT met'}", flush=True)


def _campaign_id(app) -> int:
    """The demo's campaign (a township's table: read outside any fund's scope)."""
    with app.app_context(), using(SYSTEM):
        return db.session.scalar(select(Campaign.id).order_by(Campaign.id))
