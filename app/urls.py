"""URLs: absolute links for things that leave the site, and ids that fit the database."""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter, UnicodeConverter

from app.validation import MAX_ID


def external_url(endpoint: str, **values) -> str:
    """Always on PUBLIC_URL, never on the Host header a request came with: a link in an email
    or a receipt's QR code must not point wherever a visitor (or an attacker) said."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


class IdConverter(IntegerConverter):
    """<int:...> in a route: an id beyond a database integer is simply not found (404),
    instead of an overflow deep in the driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class SegmentConverter(UnicodeConverter):
    """A slug or token in a route: no control characters (a NUL would reach PostgreSQL, which
    refuses it with an error, not a miss): such a URL is simply not found."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


def register(app) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = SegmentConverter
