"""The notice board's content, drawn once per process and kept while nothing on it changed.

The content block is the same for every visitor, and drawing it takes ~20 queries and a big
template; under gunicorn that held the board to a tenth of a plain page's throughput. The
caller's key names everything the content depends on (database, fund, locale, day and
board.version()); a copy also expires after TTL seconds for the changes no version sees.
"""

import threading
import time

from markupsafe import Markup

TTL = 60
SIZE = 256  # boards kept per process; the oldest goes first
_kept: dict[tuple, tuple[Markup, float]] = {}
_lock = threading.Lock()


def content(key: tuple, draw) -> Markup:
    """The kept HTML for ``key``, or what ``draw()`` returns, kept for next time."""
    now = time.monotonic()
    with _lock:
        html, expires = _kept.get(key, (None, 0.0))
    if html is not None and expires >= now:
        return html
    html = Markup(draw())
    with _lock:
        if key not in _kept and len(_kept) >= SIZE:
            _kept.pop(next(iter(_kept)))
        _kept[key] = (html, now + TTL)
    return html


def forget() -> None:
    """Drop every kept board: the next visit draws it again (benchmarks measure that)."""
    with _lock:
        _kept.clear()
