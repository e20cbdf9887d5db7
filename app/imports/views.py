"""Upload, preview and commit an import."""

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import jobs
from app.extensions import db
from app.rendering import render, render_form
from tenants.access import fund_access

from . import jobs as _jobs  # noqa: F401  (registers the background import)
from . import reading, services, storage
from .forms import UploadForm

bp = Blueprint("imports", __name__, url_prefix="/f/<fund_slug>")


@bp.route("/imports", methods=["GET", "POST"])
@fund_access("money.record")
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        # One byte more than allowed is enough to know the file is too large.
        data = form.file.data.read(reading.MAX_BYTES + 1)
        try:
            rows = reading.read(data)
        except reading.UploadError as error:
            form.file.errors.append(error.message)
        else:
            options = services.Options(form.channel.data, form.received_on.data)
            preview = services.preview(rows, options)
            meta = {"filename": form.file.data.filename or "", "channel": options.channel,
                    "received_on": options.received_on and options.received_on.isoformat(),
                    "rows": len(rows)}
            token = storage.save(g.fund.id, data, meta)
            return render("imports/preview.html", block="import", preview=preview,
                          token=token, meta=meta)
    return render_form("imports/upload.html", form, block="import")


@bp.route("/imports/<token>/commit", methods=["POST"])
@fund_access("money.record")
def commit(token: str):
    stored = storage.claim(g.fund.id, token)
    if stored is None:
        if storage.is_busy(g.fund.id, token):  # the button clicked twice
            flash(_("This file is being imported; its donations appear in a moment."), "info")
            return redirect(url_for("funds.workspace"))
        abort(404)  # unknown, expired, already committed, or another fund's
    data, meta = stored
    if meta.get("rows", 0) > reading.BACKGROUND_ROWS:
        # Too many rows for one request: a background job commits them, all or none.
        job = jobs.start("donation_import", {"token": token}, user=current_user,
                         detail=meta["filename"])
        db.session.commit()
        return redirect(url_for("jobs.show", job_id=job.id))
    received_on = date.fromisoformat(meta["received_on"]) if meta["received_on"] else None
    options = services.Options(meta["channel"], received_on)
    try:
        outcome = services.commit(services.preview(reading.read(data), options), current_user)
        db.session.commit()
    except services.CommitFailed as failure:
        db.session.rollback()
        storage.release(g.fund.id, token)
        preview = services.preview(reading.read(data), options)
        return render("imports/preview.html", block="import", http_status=409, preview=preview,
                      token=token, meta=meta, failure=failure)
    except Exception:
        storage.release(g.fund.id, token)  # nothing was kept: the file may be tried again
        raise
    storage.discard(g.fund.id, token)
    flash(_("Donations imported: %(imported)d. Duplicates skipped: %(duplicates)d.",
            imported=outcome.imported, duplicates=outcome.duplicates), "info")
    return redirect(url_for("funds.workspace"))
