"""make bench: every benchmark, on SQLite and (when reachable) PostgreSQL.

Figures are p50/p95 of in-process requests through Flask's test client, so they measure the
app's own work; each table has a baseline measured in the same run and the ratio to it. The
gunicorn table is real HTTP: wrk against gunicorn on 127.0.0.1, in req/s (bench/gunicorn.py).
"""

import sys

from . import disclosure, donations, giving, gunicorn, oversight, pages, receipts, todo
from .common import N, postgres_reachable


def main() -> int:
    kinds = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    print(f"{N} requests per page unless said otherwise; databases: {', '.join(kinds)}")
    for kind in kinds:
        pages.run(kind)
        donations.run(kind)
        todo.run(kind)
        receipts.run(kind)
        disclosure.run(kind)
        oversight.run(kind)
        giving.run(kind)
        gunicorn.run(kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
