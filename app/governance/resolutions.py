"""A resolution (决议) as a document: what its page and PDF show, and the PDF stored once.

The PDF is rendered in the transaction that closes the vote and stored with its sha256, like
a receipt's, so the public download is the same bytes every time and costs no rendering. It is
rendered in the platform's default language: it is the fund's record, not a page of the reader.
"""

import hashlib

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.funds.models import Fund
from app.pdf import render_pdf

from . import motions as rules
from .models import Motion, ResolutionFile


def context(motion: Motion) -> dict:
    electors = rules.electorate(motion)
    ballots = {b.user_id: b for b in rules.ballots(motion)}
    names = dict(db.session.execute(select(User.id, User.name).where(
        User.id.in_([e.user_id for e in electors] + [motion.opened_by_id or 0,
                                                      motion.closed_by_id or 0]))).all())
    return {"motion": motion, "proposal": motion.proposal, "electors": electors,
            "ballots": ballots, "names": names, "outcome": rules.outcome(motion),
            "fund": db.session.get(Fund, motion.fund_id)}


def render(motion: Motion) -> bytes:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_pdf("governance/resolution_pdf.html", **context(motion))


def store(motion: Motion) -> ResolutionFile:
    """Keep the closed motion's PDF (in the closing transaction; flushes only)."""
    data = render(motion)
    stored = ResolutionFile(fund_id=motion.fund_id, motion_id=motion.id, data=data,
                            sha256=hashlib.sha256(data).hexdigest())
    db.session.add(stored)
    db.session.flush()
    return stored


def pdf_of(motion: Motion) -> bytes:
    """The stored bytes. A resolution closed before PDFs were stored is rendered for each
    download and not stored then: a GET never writes (the route is rate-limited instead)."""
    data = db.session.scalar(select(ResolutionFile.data).where(
        ResolutionFile.motion_id == motion.id))
    return data if data is not None else render(motion)
