"""Issue 8's figure: the township workspace over 1,000 funds and 1,000,000 donations on
PostgreSQL (goal: p50 ≤ 300 ms). The data is loaded with COPY as the tables' owner; the
ledger's monthly summary is filled by its trigger during the load, as in production."""

import os
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from app.auth import services as accounts
from app.auth.roles import Role
from app.extensions import db
from app.funds import services as funds
from app.funds.models import Fund
from app.oversight.models import LedgerMonth
from tenants import SYSTEM, using

from .common import (
    add_plain_page,
    bench_app,
    loading,
    print_header,
    print_row,
    time_requests,
)

FUNDS = int(os.environ.get("BENCH_TOWNSHIP_FUNDS", "1000"))
DONATIONS = int(os.environ.get("BENCH_TOWNSHIP_DONATIONS", "1000000"))
DONORS_PER_FUND = 100
ADMIN = "13900000999"
CHANNELS = ["cash"] * 35 + ["wechat"] * 30 + ["bank"] * 15 + ["alipay"] * 10 + ["card"] * 10
STATES = ["submitted", "voting", "final", "in_progress", "in_progress", "completed"]


def run(kind: str) -> None:
    if kind != "postgresql":
        print("\nTownship workspace, 1,000 funds and 1,000,000 donations: PostgreSQL only "
              "(skipped on SQLite).", flush=True)
        return
    with bench_app(kind) as app:
        plain = add_plain_page(app)
        start = time.perf_counter()
        with loading(app), using(SYSTEM):
            slug = _load(app.config["DEMO_PASSWORD"])
            months = db.session.scalar(select(func.count()).select_from(LedgerMonth))
        _vacuum(app)  # what autovacuum does to settled tables: index-only scans can skip heap
        loaded = time.perf_counter() - start
        admin = app.test_client()
        admin.post("/auth/login", data={"login": ADMIN, "password": app.config["DEMO_PASSWORD"]})
        print_header(f"Township workspace, {FUNDS:,} funds, {DONATIONS:,} donations, {kind} "
                     f"(loaded with COPY, then VACUUM ANALYZE, in {loaded:.1f} s; "
                     f"{months:,} summary rows)")
        base = print_row("plain Jinja page, 50 rows (baseline)",
                         time_requests(app.test_client(), plain))
        n = max(20, int(os.environ.get("BENCH_N", "200")) // 8)
        for label, query in [
            ("/t/<township>/ first page, by name (goal p50 ≤ 300 ms)", ""),
            ("sorted by balance, descending", "?sort=balance&dir=desc"),
            ("filter: active, name contains 村 1, page 2", "?status=active&q=%E6%9D%91&page=2"),
        ]:
            print_row(label, time_requests(admin, f"/t/{slug}/{query}", n), base)
        partial = _partial(admin, f"/t/{slug}/?sort=income&dir=desc", n)
        print_row("htmx partial: the table sorted by income", partial, base)
        print_row("anomalies page", time_requests(admin, f"/t/{slug}/anomalies", n), base)


def _vacuum(app) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(app.config["MIGRATION_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM (ANALYZE) donor, donation, ledger_entry, ledger_month, "
                                "proposal"))
    engine.dispose()


def _partial(client, path: str, n: int) -> list[float]:
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"}
    for _ in range(3):
        client.get(path, headers=headers)
    spent = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        spent.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return spent


def _copy(table: str, columns: list[str], rows) -> None:
    cursor = db.session.connection().connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _load(password: str) -> str:
    rng = random.Random(8)
    township = funds.create_township("大港镇", slug="dagang")
    admin = accounts.create_user("大港镇管理员", password, phone=ADMIN)
    accounts.add_membership(admin, Role.TOWNSHIP_ADMIN, township=township)
    now = datetime.now(UTC)
    db.session.execute(insert(Fund), [
        dict(township_id=township.id, slug=f"cun-{i:04d}", name=f"第{i:04d}村社区慈善基金",
             kind="village", village=f"第{i:04d}村", host_charity="苏州市慈善总会",
             receipt_prefix=f"C{i:04d}", status="active" if i % 50 else "suspended",
             created_at=now - timedelta(days=800)) for i in range(1, FUNDS + 1)])
    fund_ids = db.session.scalars(select(Fund.id).where(Fund.township_id == township.id)
                                  .order_by(Fund.id)).all()
    donor_rows = []
    for fund_id in fund_ids:
        for n in range(DONORS_PER_FUND):
            donor_rows.append((len(donor_rows) + 1, fund_id, "person", f"村民{fund_id}-{n}", "",
                               "", "", "show", "zh_Hans", "", now))
    _copy("donor", ["id", "fund_id", "kind", "name", "initials", "address", "id_number",
                    "anonymity", "locale", "notes", "created_at"], donor_rows)
    gifts, entries = [], []
    span = 730 * 24 * 3600
    for n in range(1, DONATIONS + 1):
        f = rng.randrange(len(fund_ids))
        fund_id = fund_ids[f]
        donor_id = f * DONORS_PER_FUND + rng.randrange(DONORS_PER_FUND) + 1
        channel = rng.choice(CHANNELS)
        fen = rng.choice((50, 100, 100, 200, 500, 1000)) * 100
        if n % 20000 == 0:
            fen = 20_000 * 100  # now and then a gift large enough to be an anomaly in cash
        when = now - timedelta(seconds=rng.randrange(span))
        gifts.append((n, fund_id, donor_id, fen, 0, channel, f"R{n}", when.date(), "confirmed",
                      "", "", "", "", False, when, when))
        entries.append((n, fund_id, "donation", fen, n, f"donation:{n}", "", when))
    _copy("donation", ["id", "fund_id", "donor_id", "amount_fen", "refunded_fen", "channel",
                       "reference", "received_on", "status", "item_description",
                       "item_quantity", "message", "notes", "receipt_waived", "confirmed_at",
                       "created_at"], gifts)
    del gifts
    _copy("ledger_entry", ["id", "fund_id", "kind", "amount_fen", "donation_id", "reference",
                           "reason", "created_at"], entries)
    del entries
    projects = [(fund_id, f"项目{fund_id}-{k}", "elderly", "", "", 100_000, rng.choice(STATES),
                 "", now) for fund_id in fund_ids for k in range(5)]
    _copy("proposal", ["fund_id", "title", "category", "description", "beneficiaries",
                       "requested_fen", "status", "proposer_name", "created_at"], projects)
    for table in ("donor", "donation", "ledger_entry"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    return township.slug


if __name__ == "__main__":  # python -m bench.oversight: this benchmark alone
    from .common import postgres_reachable

    run("postgresql" if postgres_reachable() else "sqlite")
