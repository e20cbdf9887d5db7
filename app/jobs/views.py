"""A fund's background jobs: the list, one job's progress (polled by htmx), its file."""

import io

from flask import Blueprint, abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.rendering import render
from app.validation import REFUSED, attempt_flash
from tenants.access import fund_access

from . import services
from .models import Job

bp = Blueprint("jobs", __name__, url_prefix="/f/<fund_slug>/jobs")


@bp.route("/")
@fund_access("money.read")
def index():
    jobs = db.session.scalars(
        select(Job).options(selectinload(Job.started_by)).order_by(Job.id.desc()).limit(50)
    ).all()
    return render("jobs/index.html", jobs=jobs, title_of=services.title_of)


@bp.route("/<int:job_id>")
@fund_access("money.read")
def show(job_id: int):
    job = db.get_or_404(Job, job_id)
    response = render("jobs/show.html", block="progress", job=job, shown=services.shown(job),
                      title=services.title_of(job), may_run_again=services.may_run_again(job))
    response.headers["Cache-Control"] = "no-store"  # progress changes by the second
    return response


@bp.route("/<int:job_id>/file")
@fund_access("money.read")
def file(job_id: int):
    job = db.get_or_404(Job, job_id)
    path = services.file_path(job)
    if job.status != "done" or path is None or not path.is_file():
        abort(404)
    # Read whole (job files are PDFs and sheets of a few MB), so no file handle outlives the
    # response. send_file writes filename*=UTF-8''... for Chinese names, with an ASCII fallback.
    return send_file(io.BytesIO(path.read_bytes()), mimetype=job.file_type, as_attachment=True,
                     download_name=job.file_name, max_age=0, etag=job.file_sha256)


@bp.route("/<int:job_id>/again", methods=["POST"])
@fund_access("money.read")  # and the action that starts the job's kind: services.run_again
def again(job_id: int):
    job = db.get_or_404(Job, job_id)
    new = attempt_flash(lambda: services.run_again(job, current_user))
    if new is REFUSED:
        return redirect(url_for("jobs.show", job_id=job.id))
    db.session.commit()
    flash(_("The job runs again."), "info")
    return redirect(url_for("jobs.show", job_id=new.id))
