"""The foundation's pages, in-process, next to a plain Jinja page of 50 rows."""

from app.demo.data import build
from app.extensions import db
from tenants import SYSTEM, using

from .common import (
    add_plain_page,
    bench_app,
    loading,
    print_header,
    print_row,
    time_requests,
)


def run(kind: str) -> None:
    with bench_app(kind) as app:
        plain = add_plain_page(app)
        with loading(app), using(SYSTEM):
            build(app.config["DEMO_PASSWORD"])
            db.session.commit()
        anonymous = app.test_client()
        admin = app.test_client()
        admin.post("/auth/login", data={"login": "13900000001",
                                        "password": app.config["DEMO_PASSWORD"]})
        print_header(f"Pages, demo data, {kind}")
        base = print_row("plain Jinja page, 50 rows (baseline)", time_requests(anonymous, plain))
        for label, client, url in [
            ("public notice board /f/donggangcun/public", anonymous, "/f/donggangcun/public"),
            ("fund workspace /f/donggangcun/", admin, "/f/donggangcun/"),
            ("township workspace /t/luwan/", admin, "/t/luwan/"),
        ]:
            print_row(label, time_requests(client, url), base)
