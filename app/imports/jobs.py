"""Committing a large import as a background job: the same rules, all rows or none, with a
progress bar instead of a request that would run past the server's timeout."""

from datetime import date

from flask_babel import lazy_gettext as _l

from app import jobs

from . import reading, services, storage


@jobs.task("donation_import", title=_l("Donation import"), action="money.record")
def import_donations(job, params: dict, progress):
    token = params["token"]
    stored = storage.claimed(job.fund_id, token)
    if stored is None:
        raise jobs.JobFailed(_l("The uploaded file is no longer there: upload it again."))
    data, meta = stored
    try:
        received_on = date.fromisoformat(meta["received_on"]) if meta["received_on"] else None
        options = services.Options(meta["channel"], received_on)
        preview = services.preview(reading.read(data), options)
        outcome = services.commit(preview, job.started_by, progress=progress)
    except services.CommitFailed as failure:
        storage.release(job.fund_id, token)  # nothing was kept: the file may be tried again
        raise jobs.JobFailed(_l(
            "Row %(line)d could not be recorded: %(reason)s Nothing was imported.",
            line=failure.line, reason=" ".join(str(m) for m in failure.messages))) from failure
    except Exception:
        storage.release(job.fund_id, token)
        raise
    storage.discard(job.fund_id, token)
    return jobs.Result(message=_l(
        "Donations imported: %(imported)d. Duplicates skipped: %(duplicates)d.",
        imported=outcome.imported, duplicates=outcome.duplicates))
