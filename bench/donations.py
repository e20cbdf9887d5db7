"""Issue 4's figures: the filtered donations list with 100,000 donations in one fund (goal:
p50 ≤ 150 ms), and closing a batch of 200 rows (goal: ≤ 1 s)."""

import os
import random
import statistics
import time
from datetime import timedelta

from app.clock import local_today
from app.donations import batches
from app.donations.demo import seed_fund
from app.extensions import db
from app.funds.models import Fund
from tenants import fund_scope, using

from .common import (
    add_plain_page,
    bench_app,
    demo_and_new_fund,
    loading,
    print_header,
    print_row,
    time_requests,
)

DONATIONS = int(os.environ.get("BENCH_DONATIONS", "100000"))


def run(kind: str) -> None:
    with bench_app(kind) as app:
        plain = add_plain_page(app)
        with loading(app):
            fund_id = demo_and_new_fund(app.config["DEMO_PASSWORD"])
            start = time.perf_counter()
            with using(fund_scope(fund_id)):
                seed_fund(db.session.get(Fund, fund_id), random.Random(1), DONATIONS, local_today())
                db.session.commit()
            loaded = time.perf_counter() - start
        treasurer = app.test_client()
        # The township admin reads every fund's donations, the new one included.
        treasurer.post("/auth/login", data={"login": "13900000001",
                                            "password": app.config["DEMO_PASSWORD"]})
        print_header(f"Donations list, {DONATIONS:,} more donations in one fund, {kind} "
                     f"(loaded in {loaded:.1f} s)")
        base = print_row("plain Jinja page, 50 rows (baseline)",
                         time_requests(app.test_client(), plain))
        last_year = (local_today() - timedelta(days=365)).isoformat()
        for label, query in [
            ("first page, no filter", ""),
            ("channel=cash", "?channel=cash"),
            (f"from {last_year}, channel=wechat, page 3",
             f"?from={last_year}&channel=wechat&page=3"),
            ("designation=general, status=confirmed", "?designation=general&status=confirmed"),
        ]:
            print_row(label, time_requests(treasurer, f"/f/daqiaocun/donations/{query}", 50),
                      base)
        _close_batches(app, fund_id)


def _close_batches(app, fund_id: int, rows: int = 200, repeat: int = 5) -> None:
    spent = []
    with app.app_context(), using(fund_scope(fund_id)):
        for n in range(repeat):
            batch = batches.open_batch(batches.BatchInput(
                title=f"bench {n}", channel="cash", received_on=local_today(),
                counted_total=str(rows * 100)), None)
            for i in range(rows):
                batches.add_row(batch, batches.RowInput(amount="100", notes=str(i)), None)
            db.session.commit()
            start = time.perf_counter()
            batches.close_batch(batch, None)
            db.session.commit()
            spent.append((time.perf_counter() - start) * 1000)
    print(f"  closing a batch of {rows} rows (incl. commit): p50 "
          f"{statistics.median(spent):.0f} ms, max {max(spent):.0f} ms over {repeat} batches "
          f"(goal ≤ 1000 ms)", flush=True)
