"""make bench: page timings through the app, next to a plain Jinja page of 50 rows.

Each figure is the median (p50) and p95 of N requests made in-process with Flask's test client
against a fresh SQLite copy of the demo database, so only the app's own work is measured.
The ratio compares each page with the plain page measured in the same run.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SHANLIN_VAR_DIR", tempfile.mkdtemp(prefix="shanlin-bench-"))

from flask import render_template_string  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.roles import PUBLIC  # noqa: E402
from app.demo.data import build  # noqa: E402
from app.extensions import db  # noqa: E402
from tenants import SYSTEM, using  # noqa: E402
from tenants.access import open_access  # noqa: E402

N = int(os.environ.get("BENCH_N", "300"))
PLAIN = """<!doctype html><html><body><table>
{% for i in rows %}<tr><td>{{ i }}</td><td>第{{ i }}行</td><td>{{ i * 100 }}</td></tr>{% endfor %}
</table></body></html>"""


def timings(client, path: str) -> list[float]:
    for _ in range(10):  # warm up
        client.get(path)
    spent = []
    for _ in range(N):
        start = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return spent


def main() -> int:
    path = Path(os.environ["SHANLIN_VAR_DIR"]) / "bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})

    @app.route("/bench/plain")
    @open_access(PUBLIC)
    def plain():
        return render_template_string(PLAIN, rows=range(50))

    with app.app_context():
        upgrade()
        with using(SYSTEM):
            build(app.config["DEMO_PASSWORD"])
            db.session.commit()

    anonymous = app.test_client()
    member = app.test_client()
    member.post("/auth/login", data={"login": "13900000001",
                                     "password": app.config["DEMO_PASSWORD"]})
    cases = [
        ("plain Jinja page, 50 rows (baseline)", anonymous, "/bench/plain"),
        ("public notice board /f/donggangcun/public", anonymous, "/f/donggangcun/public"),
        ("fund workspace /f/donggangcun/", member, "/f/donggangcun/"),
        ("township workspace /t/luwan/", member, "/t/luwan/"),
    ]
    print(f"{N} requests each, in-process, SQLite\n")
    print(f"{'page':<46}{'p50 ms':>9}{'p95 ms':>9}{'× baseline':>12}")
    baseline = None
    for label, client, url in cases:
        spent = timings(client, url)
        p50 = statistics.median(spent)
        p95 = statistics.quantiles(spent, n=20)[-1]
        baseline = baseline or p50
        print(f"{label:<46}{p50:>9.2f}{p95:>9.2f}{p50 / baseline:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
