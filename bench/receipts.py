"""Issue 5's figures: issuing one receipt (number, PDF with the CJK font, stored; goal p50 ≤
120 ms) and a 1,000-receipt print run (goal ≤ 15 s). Baseline, measured in the same run: each
receipt rendered as its own document with a fresh font configuration.

Issue 19's figure: issuing a receipt with its seal, 开票人 and 复核人 costs at most 1.3× a bare
render of the same receipt's HTML with the warm font configuration (WeasyPrint's own work)."""

import os
import random
import time
from types import SimpleNamespace

from sqlalchemy import select

from app import pdf
from app.auth import services as accounts
from app.auth.roles import Role
from app.clock import local_today
from app.donations.demo import seed_fund
from app.donations.models import COUNTED, Donation
from app.extensions import db
from app.funds.models import Fund
from app.receipts import bulk, render, services
from app.receipts.demo import seal_png
from tenants import fund_scope, using

from .common import bench_app, demo_and_new_fund, loading, print_header, print_row

RECEIPTS = int(os.environ.get("BENCH_RECEIPTS", "1000"))
BASELINE_SAMPLES = 10


def _fresh_fonts_render(receipt, fund) -> float:
    """The naive way: a new FontConfiguration and stylesheet for every receipt."""
    pdf._forget_fonts()
    start = time.perf_counter()
    render.receipt_pdf(receipt, fund, code="ABCD-EFGH")
    return (time.perf_counter() - start) * 1000


def _bare_render(html: str) -> float:
    """WeasyPrint alone: the receipt's HTML, already made, laid out and written as PDF."""
    start = time.perf_counter()
    pdf.document(html, render.STYLESHEET).write_pdf()
    return (time.perf_counter() - start) * 1000


def _staff_and_seal(fund: Fund, password: str) -> None:
    """The receipts name 开票人 and 复核人 and carry the fund's seal, as a demo fund's do."""
    for n, role in enumerate((Role.TREASURER, Role.CHAIR)):
        user = accounts.create_user(f"大桥{n}号", password, phone=f"1390009{n:04d}")
        accounts.add_membership(user, role, fund=fund)
    services.save_settings(fund.id, issue_mode="manual", thanks="", seal=seal_png(fund.name))


def run(kind: str) -> None:
    with bench_app(kind) as app:
        app.config["DEMO_RECEIPTS_PER_FUND"] = 0
        with loading(app):
            fund_id = demo_and_new_fund(app.config["DEMO_PASSWORD"])
            with using(fund_scope(fund_id)):
                seed_fund(db.session.get(Fund, fund_id), random.Random(5), RECEIPTS * 2,
                          local_today())
                _staff_and_seal(db.session.get(Fund, fund_id), app.config["DEMO_PASSWORD"])
                db.session.commit()
        with app.test_request_context(base_url="https://shanlin.example", method="POST"), \
                using(fund_scope(fund_id)):
            fund = db.session.get(Fund, fund_id)
            gifts = db.session.scalars(select(Donation.id).where(
                Donation.status.in_(COUNTED), Donation.donor_id.is_not(None))
                .order_by(Donation.id).limit(RECEIPTS)).all()
            issuing = []
            for donation_id in gifts:
                start = time.perf_counter()
                services.issue(db.session.get(Donation, donation_id))
                db.session.commit()
                issuing.append((time.perf_counter() - start) * 1000)
            sample = services.by_token(db.session.scalar(
                select(services.Receipt.token).order_by(services.Receipt.id)))
            options = services.settings(fund_id)
            html = render.receipt_html(sample, fund, code="ABCD-EFGH", seal=options.seal_png,
                                       thanks=options.thanks)
            bare = [_bare_render(html) for _ in range(max(20, min(200, len(gifts))))]
            baseline = [_fresh_fonts_render(sample, fund) for _ in range(BASELINE_SAMPLES)]
            start = time.perf_counter()
            today = local_today().isoformat()
            merged = bulk.print_run(SimpleNamespace(id=0), {"start": today, "end": today},
                                    lambda *args, **kwargs: None)
            print_run = time.perf_counter() - start
        print_header(f"Receipts ({kind}): {len(gifts)} issued one by one, committed each")
        base = print_row("baseline: render alone, fresh font configuration", baseline)
        print_row("issue + render + store + commit one receipt", issuing[1:], base)
        print_header(f"Receipt issuing against WeasyPrint alone ({kind}), goal ≤ 1.3×")
        bare_p50 = print_row("bare render of the same receipt's HTML, warm fonts", bare)
        issue_p50 = print_row("issue with seal, 开票人, 复核人 (number, PDF, store, commit)",
                              issuing[1:], bare_p50)
        print(f"  issue {issue_p50:.1f} ms / bare render {bare_p50:.1f} ms = ratio "
              f"{issue_p50 / bare_p50:.2f} (goal ≤ 1.3)", flush=True)
        print_header(f"Receipts ({kind}): the naive baseline")
        estimate = base * len(gifts) / 1000
        print(f"  print run of {len(gifts)} stored receipts: {print_run:.2f} s, "
              f"{len(merged.data) / 1e6:.1f} MB; baseline (rendering each afresh, "
              f"{BASELINE_SAMPLES} measured × {len(gifts)}): {estimate:.1f} s, "
              f"ratio {print_run / estimate:.2f}", flush=True)
