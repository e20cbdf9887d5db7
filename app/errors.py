"""Friendly error pages in the user's language; htmx gets the message block only."""

import logging

from flask import Flask, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from .pdf import FONT_PACKAGES, FontMissing
from .rendering import render

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        409: _("Someone changed this at the same time. Nothing was saved; please try again."),
        413: _("The file is too large: at most 5 MB."),
        422: _("Some of what you entered needs correcting."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.response is not None:  # e.g. the login redirect raised by abort(response)
            return error.response
        return _page(error.code or 500)

    @app.errorhandler(IntegrityError)
    def _conflict(error: IntegrityError):
        # Two requests at once hit the same unique key (a transfer serial, a name): the
        # database kept one; this one is rolled back whole and may simply be sent again.
        log.warning("conflict on %s %s: %s", request.method, request.path, error.orig)
        from .extensions import db

        db.session.rollback()
        return _page(409)

    @app.errorhandler(FontMissing)
    def _no_font(error: FontMissing):
        # The operator must install a package: say which, rather than print boxes.
        log.error("%s", error)
        from .extensions import db

        db.session.rollback()
        return _page(503, _("Receipts cannot be printed: no Chinese font is installed on the "
                            "server. Ask the administrator to install %(package)s.",
                            package=FONT_PACKAGES))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from .extensions import db

        db.session.rollback()
        return _page(InternalServerError.code)


def _page(code: int, message: str | None = None):
    message = message or _messages().get(code, _messages()[500])
    return render("errors/error.html", block="content", http_status=code, code=code,
                  message=message)
