"""Chinese first: every page and fragment, read in Chinese, shows no English words. A string
added without a translation (or a code shown raw, like "payout · paid") fails here, on pages
the browser journey never opens."""

import re
from html.parser import HTMLParser

from .helpers import fetch, fragments, main_pages

# Words that are Chinese pages' own: file formats, names of products, the language switch.
LATIN_OK = {"PDF", "XLSX", "CSV", "SHA", "Excel", "English", "Shanlin", "Google", "Microsoft",
            "Authenticator"}
WORD = re.compile(r"(?<![\w/.@:#-])[A-Za-z]{3,}(?![\w/.@-])")


class VisibleText(HTMLParser):
    """The text a reader sees, and the labels they hear (title, aria-label, placeholder, alt);
    not scripts, styles, code, nor the values the audit trail shows as they were stored
    (<del>before</del> → <ins>after</ins>: evidence, not prose)."""

    SKIP = {"script", "style", "code", "pre", "kbd", "samp", "del", "ins"}
    SPOKEN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        self.parts += [v for k, v in attrs if k in self.SPOKEN and v]

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    reader = VisibleText()
    reader.feed(html)
    text = re.sub(r"https?://\S+", " ", " ".join(reader.parts))  # a link in a sent notice
    words = set(WORD.findall(text))
    return {w for w in words if w not in LATIN_OK and not re.fullmatch(r"[A-Z]{2,4}", w)}


def test_chinese_pages_have_no_english_words(app):
    pages = [p for p in main_pages(app) + fragments(app) if p.lang == "zh"]
    found = {}
    for page, html in fetch(app, pages):
        if words := english_words(html):
            found[f"{page.name} ({page.method} {page.path} as {page.who})"] = sorted(words)
    assert not found, "\n".join(f"{where}: {words}" for where, words in found.items())


def test_the_check_finds_an_untranslated_word():
    assert english_words("<p>收据 · <b>paid</b></p>") == {"paid"}
    assert english_words('<p title="Close">关闭</p>') == {"Close"}
    assert english_words("<p>PDF · DGC-2026-0001 · a@b.cn · <code>amount_fen</code></p>") == set()
