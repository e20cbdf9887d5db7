"""Receipts in bulk, as background jobs: annual receipts for every donor of a year, and print
runs (the stored PDFs of many receipts as one file for paper delivery)."""

import logging
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import jobs
from app.auth.models import User
from app.donors.models import Donor
from app.extensions import db
from tenants import fund_scope, using

from . import delivery, render, services
from .models import Receipt, ReceiptSettings


@jobs.task("annual_receipts", title=_l("Annual receipts"), action="receipt.annual")
def annual_receipts(job, params, progress):
    """Each receipt is committed on its own, unlike most jobs: one long transaction would hold
    the fund's receipt counter (and SQLite's write lock) for minutes and stall every other
    receipt. A failure keeps the receipts already made; running again does the rest."""
    year = int(params["year"])
    donor_ids = services.annual_donor_ids(year)
    # Who started the run issues the receipts (开票人), as if at the counter.
    user = db.session.get(User, job.started_by_id) if job.started_by_id else None
    progress(0, len(donor_ids))
    for done, donor_id in enumerate(donor_ids, 1):
        delivery.queue(services.issue_annual(db.session.get(Donor, donor_id), year, user=user))
        db.session.commit()
        progress(done, len(donor_ids))
    return jobs.Result(message=_l("%(count)d annual receipts issued for %(year)d.",
                                  count=len(donor_ids), year=year))


@jobs.task("print_run", title=_l("Receipt print run"), action="receipt.print")
def print_run(job, params, progress):
    """The receipts exactly as stored (their sha256 still holds), one after another."""
    ids = services.print_run_ids(
        batch_id=params.get("batch_id"),
        start=date.fromisoformat(params["start"]) if params.get("start") else None,
        end=date.fromisoformat(params["end"]) if params.get("end") else None)
    if not ids:
        raise jobs.JobFailed(_l("No valid receipts match: nothing to print."))
    progress(0, len(ids))

    def stored():
        for done, receipt_id in enumerate(ids, 1):
            yield services.file(db.session.get(Receipt, receipt_id)).data
            progress(done, len(ids))

    return jobs.File(f"receipts-{job.id}.pdf", "application/pdf", render.merge(stored()))


log = logging.getLogger(__name__)
AUTO_PER_MINUTE = 200  # per fund: a large batch is receipted over a few minutes


@jobs.every_minute
def issue_automatically(now) -> int:
    """Funds that issue receipts automatically: receipt what was confirmed since last time.
    Each fund commits on its own, so one fund's trouble never holds back the others."""
    issued = 0
    funds = db.session.scalars(select(ReceiptSettings.fund_id).where(
        ReceiptSettings.issue_mode == "auto", ReceiptSettings.auto_since.is_not(None))).all()
    db.session.commit()
    for fund_id in funds:
        try:
            with using(fund_scope(fund_id)):
                row = services.settings(fund_id)
                for donation in services.due_for_auto(row, AUTO_PER_MINUTE):
                    delivery.queue(services.issue(donation, now=now))  # emailed if we can
                    issued += 1
                db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("automatic receipts of fund %s failed; tried again next minute",
                          fund_id)
    return issued
