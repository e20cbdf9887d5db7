"""PDF rendering shared by receipts, resolutions and reports (WeasyPrint).

One font configuration per process (building it is the slow part), stylesheets read once, and
a URL fetcher that serves only the app's own static files and data: URIs, so a template can
never make the renderer read the network or the rest of the file system. Chinese needs a CJK
font from the system: without one WeasyPrint would draw boxes, so rendering refuses to start.
"""

import atexit
import mimetypes
import shutil
import subprocess
from functools import cache
from pathlib import Path

from flask import current_app, render_template

from app import common_font
from app.config import BASE_DIR

STATIC = (BASE_DIR / "static").resolve()
FONT_PACKAGES = "fonts-noto-cjk"  # Debian/Ubuntu package that covers rare name characters too


class FontMissing(RuntimeError):
    """No font with Chinese glyphs is installed."""


class FetchRefused(RuntimeError):
    """A template asked for a resource outside the app's static files."""


@cache
def cjk_font_families() -> tuple[str, ...]:
    """Families fontconfig knows that cover simplified Chinese."""
    if not shutil.which("fc-list"):
        return ()
    listing = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True,
                             text=True, check=False).stdout
    return tuple(sorted({line.split(",")[0].strip() for line in listing.splitlines() if line}))


def require_cjk_font() -> None:
    if not cjk_font_families():
        raise FontMissing(
            f"No Chinese font is installed, so receipts would show boxes instead of Chinese. "
            f"Install one, e.g. `apt-get install {FONT_PACKAGES}`, then restart.")


@cache
def _fetcher():
    """WeasyPrint's fetcher, narrowed: data: URIs, files under static/ (as /static/... or
    file:// URLs) and the common font's file. Anything else stops the rendering instead of
    being fetched."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = url.removeprefix("file://")
            if path.startswith("/static/"):
                path = str(STATIC / path.removeprefix("/static/"))
            resolved = Path(path).resolve()
            font = common_font.path()  # var/fonts may be a link (the test suite's is)
            allowed = resolved.is_relative_to(STATIC) or (font is not None
                                                          and resolved == font.resolve())
            if not allowed or not resolved.is_file():
                raise ValueError(f"the PDF renderer may not fetch {url!r}")
            mime = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, resolved.read_bytes(), {"Content-Type": mime})

    return StaticOnly(fail_on_errors=True)


@cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@atexit.register
def _forget_fonts() -> None:
    """Let the font configuration go while the interpreter still works: it removes the folder
    holding its copy of the common font, which it cannot do during interpreter shutdown."""
    for cached in (_common_font_face, _stylesheet, _fonts):
        cached.cache_clear()


@cache
def _stylesheet(name: str):
    from weasyprint import CSS

    return CSS(filename=str(STATIC / "pdf" / name), font_config=_fonts(),
               url_fetcher=_fetcher())


@cache
def _common_font_face():
    """Declares the common cut (app.common_font) for stylesheets that name it first."""
    from weasyprint import CSS

    font = common_font.path()
    if font is None:
        return []
    rule = f'@font-face {{ font-family: "{common_font.FAMILY}"; src: url("{font.as_uri()}"); }}'
    return [CSS(string=rule, font_config=_fonts(), url_fetcher=_fetcher())]


def document(html: str, stylesheet: str = "document.css"):
    """A laid-out WeasyPrint document: render one, or merge many into one PDF."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    require_cjk_font()
    page = HTML(string=html, base_url=f"file://{STATIC}/", url_fetcher=_fetcher())
    try:
        return page.render(stylesheets=[*_common_font_face(), _stylesheet(stylesheet)],
                           font_config=_fonts())
    except FatalURLFetchingError as error:  # a BaseException: keep it from passing handlers
        raise FetchRefused(str(error)) from error


def write(documents) -> bytes:
    """One PDF of the pages of every document, in order (a print run)."""
    documents = list(documents)
    pages = [page for doc in documents for page in doc.pages]
    return documents[0].copy(pages).write_pdf()


def render_pdf(template: str, stylesheet: str = "document.css", **context) -> bytes:
    """Render a Jinja template (under templates/) to PDF bytes."""
    return document(render_template(template, **context), stylesheet).write_pdf()


def public_rate_limit() -> str:
    """How often one address may fetch the PDFs anyone may open (resolutions, public reports):
    each costs more than a page, so a loop of requests must not become a load test."""
    return current_app.config.get("PUBLIC_PDF_RATE_LIMIT", "20 per minute;200 per hour")
