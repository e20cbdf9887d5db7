"""Every main page is valid HTML: the Nu checker (vnu.jar) reads them all in one run.

The pages are found in the URL map, not listed by hand: every GET route is either a page here
(with the demo person who would open it) or named in NOT_PAGES with the reason. htmx fragments
and 422 form re-renders are checked too, each wrapped in a minimal document.
htmx attributes are written data-hx-* (htmx 4 reads both spellings), the valid form.
The browser test (test_accessibility_browser.py) runs axe-core over the same pages.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from .helpers import NOT_PAGES, Page, fetch, fragments, main_pages

DEFAULT_VNU = (Path(__file__).resolve().parent.parent
               / ".venv/node/node_modules/vnu-jar/build/dist/vnu.jar")


def as_document(page: Page, html: str) -> str:
    """A fragment inside the smallest valid document, in the context htmx swaps it into."""
    if html.lstrip().lower().startswith("<!doctype"):
        return html
    body = html
    if re.match(r"\s*<tr[\s>]", html):
        body = f"<table><tbody>{html}</tbody></table>"
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{page.name}</title></head><body>{body}</body></html>")


# --- the Nu HTML checker -------------------------------------------------------------------

def vnu_jar() -> Path:
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_VNU)
    if not os.environ.get("VNU_JAR") and not jar.exists():
        pytest.skip("the Nu HTML checker is not installed (make test installs vnu-jar)")
    if not jar.exists():
        pytest.fail(f"VNU_JAR={jar} does not exist")
    if not shutil.which("java"):
        pytest.fail("java is missing: the Nu HTML checker needs a JRE (apt-get install "
                    "default-jre-headless)")
    return jar


def vnu_errors(jar: Path, files: dict[Path, str]) -> list[str]:
    """Run the checker once over every file; its errors as 'page: line N: message'."""
    result = subprocess.run(
        ["java", "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json",
         *map(str, files)], capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu checker gave no report (exit {result.returncode}):\n"
                    f"{result.stdout}\n{result.stderr}")
    by_path = {str(path.resolve()): name for path, name in files.items()}
    errors = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = message.get("url", "")
        name = by_path.get(unquote(urlparse(url).path), url)
        errors.append(f"{name}: line {message.get('lastLine', '?')}: {message['message']}"
                      f" [{message.get('extract', '').strip()[:120]}]")
    return errors


def test_every_get_route_is_a_page_or_says_why_not(app):
    """A new page joins the markup and axe checks without anyone listing it."""
    paged = {page.name for page in main_pages(app)}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES:
            assert rule.endpoint in paged, rule.endpoint


def test_main_pages_fragments_and_form_errors_are_valid_html(app, tmp_path):
    jar = vnu_jar()
    pages = main_pages(app) + fragments(app)
    files = {}
    for number, (page, html) in enumerate(fetch(app, pages)):
        path = tmp_path / f"{number:03d}.html"
        path.write_text(as_document(page, html), encoding="utf-8")
        files[path] = f"{page.name} ({page.method} {page.path} as {page.who}, {page.lang})"
    assert len(files) >= 60
    errors = vnu_errors(jar, files)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)
