"""A fund's governance: committees, proposals, votes, rounds and the public's part in them.

The fund blueprint ``bp`` is defined here and its pages are the view modules imported below
(microblog's pattern): each takes ``bp`` from the package, none imports a sibling for it."""

from flask import Blueprint

bp = Blueprint("governance", __name__, url_prefix="/f/<fund_slug>")

from . import (  # noqa: E402,F401  (their routes join bp)
    cli,
    committee_views,
    motion_views,
    public_views,
    round_views,
    views,
)
