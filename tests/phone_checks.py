"""What a page must be on a phone and a desktop (taps of 44 px, no sideways scroll, one date
format per language), and the walk that checks every page."""

from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from .axe_checks import signed_in_context

DESKTOP = {"width": 1280, "height": 800}
SHOTS = Path(__file__).resolve().parent.parent / "var" / "artifacts" / "phone-first"

# Elements a person may tap although smaller than 44×44 px, each with its reason. The script
# below also leaves out links inside a sentence (WCAG 2.5.5's "inline" exception: the line of
# text sets their height) and controls nobody can see.
SMALL_TARGET_EXCEPTIONS = {
    "a.skip": "the skip link sits off screen until the keyboard focuses it",
    ".prose a": "a link inside running text (WCAG 2.5.5 inline exception)",
}

# Containers meant to scroll sideways, each with its reason.
SCROLLERS = {
    ".tabs": "the fund's sections: the bar scrolls, and a fade at its edge says so",
}

# Anything shaped like a date: ISO, slashes, Chinese, English either way round.
MONTHS = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
ANY_DATE = "|".join((r"(?<![\w-])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\w-])",
                     r"\d{4}年\d{1,2}月\d{1,2}日", r"\d{1,2}/\d{1,2}/\d{2,4}",
                     rf"{MONTHS} \d{{1,2}},? \d{{4}}", rf"\d{{1,2}} {MONTHS} \d{{4}}"))
# What a date looks like in each language; any other shape of date on a page is a problem.
DATES = {
    "zh": r"\d{4}年\d{1,2}月\d{1,2}日",
    "en": r"\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}",
}

CHECK = """([phone, exceptions, scrollers, anyDateShape, dateShapes]) => {
  const problems = [];
  if (!document.body) return ['not an HTML page: add it to NOT_PAGES (tests/helpers.py)'];
  const name = (e) => {
    let s = e.tagName.toLowerCase();
    if (e.id) s += '#' + e.id;
    if (e.classList.length) s += '.' + [...e.classList].join('.');
    const text = (e.textContent || e.getAttribute('aria-label') || e.value || '')
      .replace(/\\s+/g, ' ').trim();
    return s + (text ? ` "${text.slice(0, 24)}"` : '');
  };
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;  // visually hidden, or not drawn
    const s = getComputedStyle(e);
    return s.visibility !== 'hidden' && s.display !== 'none' && e.closest('[hidden]') === null;
  };
  const excepted = (e, list) => list.some((sel) => e.matches(sel) || e.closest(sel));
  const inSentence = (e) => {
    if (getComputedStyle(e).display !== 'inline') return false;
    const block = e.parentElement.closest('p, li, dd, td, span');
    if (!block) return false;
    const own = (block.innerText || '').replace(e.innerText || '', '').replace(/\\s/g, '');
    return own.length >= 6;
  };

  // Tap targets: the control, or the label that holds it (a checkbox is tapped by its label).
  const targets = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const e of targets) {
    if (!shown(e) || excepted(e, exceptions)) continue;
    let r = e.getBoundingClientRect();
    const label = e.closest('label') || (e.id && document.querySelector(`label[for="${e.id}"]`));
    if (label && ['checkbox', 'radio'].includes(e.type)) r = label.getBoundingClientRect();
    if (e.tagName === 'A' && inSentence(e)) continue;
    if (Math.round(r.width) < 44 || Math.round(r.height) < 44)
      problems.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)} px: ${name(e)}`);
  }

  // Text under 12 px: every element holding text of its own, and every SVG text.
  for (const e of document.body.querySelectorAll('*')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(e)) continue;
    let size = parseFloat(getComputedStyle(e).fontSize);
    if (e instanceof SVGElement) {
      const m = e.getScreenCTM();
      size *= m ? Math.hypot(m.b, m.d) : 1;
    }
    if (size < 11.9) problems.push(`text ${size.toFixed(1)} px: ${name(e)}`);
  }

  // Sideways: the page never scrolls sideways; nothing sticks out of the screen or of a box
  // that hides its overflow; only the listed containers scroll.
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide`);
  for (const e of document.body.querySelectorAll('*')) {
    if (!shown(e)) continue;
    const s = getComputedStyle(e);
    if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)
        && e.scrollWidth > e.clientWidth + 1 && !excepted(e, scrollers) && e.clientWidth > 2)
      problems.push(`content cut off or scrolling sideways (${e.scrollWidth} in `
                    + `${e.clientWidth} px): ${name(e)}`);
    const r = e.getBoundingClientRect();
    const outer = e.parentElement.getBoundingClientRect().right <= width + 1;  // the outermost
    if (r.right > width + 1 && outer && !e.closest(scrollers.join(',')))
      problems.push(`sticks out of the screen (right edge ${Math.round(r.right)} px): ${name(e)}`);
    // Inside the screen but past the edge of the card that holds it (a long word, a code).
    const card = e.parentElement.closest('.card');
    const past = card && r.width ? r.right - card.getBoundingClientRect().right : 0;
    if (past > 1 && !e.closest(scrollers.join(',')))
      problems.push(`sticks out of its card (by ${Math.round(past)} px): ${name(e)}`);
  }

  // A table cell on a phone holds at least three Chinese characters side by side.
  if (phone) for (const cell of document.querySelectorAll('td, th')) {
    const s = getComputedStyle(cell);
    if (!shown(cell) || !(cell.innerText || '').trim() || s.display !== 'table-cell') continue;
    const inner = cell.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (inner < 3 * parseFloat(s.fontSize) - 0.5)
      problems.push(`table cell ${Math.round(inner)} px wide: ${name(cell)}`);
  }

  // Dates: one shape per language.
  const anyDate = new RegExp(anyDateShape, 'g');
  // the page's own language: a signed-in person's choice wins over the walk's cookie
  const lang = document.documentElement.lang.startsWith('zh') ? 'zh' : 'en';
  const good = new RegExp('^' + dateShapes[lang] + '$');
  for (const found of new Set(document.body.innerText.match(anyDate) || []))
    if (!good.test(found)) problems.push(`date written as ${found}`);
  return [...new Set(problems)];
}"""


def walk(app, base: str, browser, pages, viewport, visit) -> list[str]:
    """Open each page as its person, one browser page per person and language; the pages
    that did not answer 200 (a new route missing from NOT_PAGES, say), to report with the rest."""
    opened, wrong = {}, []
    try:
        for spec in pages:
            key = (spec.who, spec.lang)
            if key not in opened:
                opened[key] = signed_in_context(browser, base, app, spec.who, spec.lang,
                                                viewport).new_page()
            page = opened[key]
            try:
                response = page.goto(f"{base}{spec.path}", wait_until="load")
            except PlaywrightError as error:  # a download: not a page
                wrong.append(f"{spec.name} ({spec.path}): {error.message.splitlines()[0]}; "
                             "a file belongs in NOT_PAGES (tests/helpers.py)")
                continue
            if response.status != 200:
                wrong.append(f"{spec.name} ({spec.path}): answered {response.status}")
                continue
            kind = response.headers.get("content-type", "")
            if not kind.startswith("text/html"):  # a picture shown in the tab: not a page
                wrong.append(f"{spec.name} ({spec.path}): {kind}; a file belongs in NOT_PAGES "
                             "(tests/helpers.py)")
                continue
            visit(spec, page)
    finally:
        for page in opened.values():
            page.context.close()
    return wrong
