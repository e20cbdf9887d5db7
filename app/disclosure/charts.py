"""Charts drawn on the server as SVG, no script, no inline style (CSP): a month per row for
screens (``monthly_rows``: its text stays 12 px or more on a 390 px phone), paired columns for
the A4 report (``monthly_bars``, WeasyPrint draws inline SVG). A negative month (a reversal
larger than the month's payouts) draws below or left of zero; a small amount beside a large
one still shows as a sliver."""

from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.i18n import show_month
from app.money import yuan

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 24, 40
INCOME, SPENDING = "#2e7d32", "#c62828"


def _nice_max(value: int) -> int:
    """A round top for the axis: 1, 2 or 5 times a power of ten, in fen."""
    value = max(value, 100_00)
    step = 1
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def _scale(months) -> tuple[int, int]:
    """The axis from a round bottom (0, or below it for a negative month) to a round top."""
    amounts = [a for _m, i, s in months for a in (i, s)]
    top = _nice_max(max(amounts or [0]))
    low = -_nice_max(-min(amounts)) if amounts and min(amounts) < 0 else 0
    return low, top


def _extent(amount: int, span: int, size: float) -> float:
    """A bar's length; never invisible when the amount is not zero."""
    length = size * abs(amount) / span
    return max(length, MIN_BAR) if amount else 0.0


MIN_BAR = 3.0


def monthly_bars(months: list[tuple[str, int, int]], *, title: str, income_label: str,
                 spending_label: str) -> Markup:
    """Income and spending per month as paired bars. months: [("2026-01", in_fen, out_fen)]."""
    low, top = _scale(months)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    zero = TOP + plot_h * top / (top - low)
    slot = plot_w / max(1, len(months))
    bar = max(2.0, slot * 0.36)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    for n in range(5):  # grid lines with amounts in yuan
        value = low + (top - low) * n // 4
        y = TOP + plot_h - plot_h * n / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                     f'{yuan(value).split(".")[0]}</text>')
    for index, (month, income, spending) in enumerate(months):
        x = LEFT + slot * index + slot / 2
        for offset, amount, colour, name in ((-bar, income, INCOME, income_label),
                                             (0, spending, SPENDING, spending_label)):
            h = _extent(amount, top - low, plot_h)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{zero - h if amount > 0 else zero:.1f}" '
                f'width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(month)} {escape(name)} '
                f'¥{yuan(amount)}</title></rect>')
        if len(months) <= 12 or index % 2 == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                         f'fill="#333">{escape(month[2:])}</text>')
    legend_y = 14
    for n, (colour, name) in enumerate(((INCOME, income_label), (SPENDING, spending_label))):
        x = LEFT + n * 120
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


ROW_WIDTH, ROW_LEFT, ROW_RIGHT, ROW_TOP, ROW_HEIGHT, BAR = 360, 86, 14, 50, 30, 11


def monthly_rows(months: list[tuple[str, int, int]], *, title: str, income_label: str,
                 spending_label: str) -> Markup:
    """Income and spending per month, a month per row, two bars each; 14-unit text in a
    360-unit-wide drawing, so a phone shows it at about its own size."""
    low, top = _scale(months)
    plot_w = ROW_WIDTH - ROW_LEFT - ROW_RIGHT
    zero = ROW_LEFT + plot_w * -low / (top - low)
    height = ROW_TOP + ROW_HEIGHT * len(months) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {ROW_WIDTH} {height}" '
             f'width="{ROW_WIDTH}" height="{height}" class="rows" role="img" '
             f'aria-label="{escape(title)}" font-family="sans-serif" font-size="14">',
             f"<title>{escape(title)}</title>"]
    for n, (colour, name) in enumerate(((INCOME, income_label), (SPENDING, spending_label))):
        x = n * 92
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 17}" y="15" fill="#333">{escape(name)}</text>')
    parts.append(f'<text x="{ROW_WIDTH}" y="15" text-anchor="end" fill="#555">'
                 f'{escape(_("Unit: yuan"))}</text>')
    for n, value in enumerate((low, (low + top) // 2 if low else top // 2, top)):
        x = ROW_LEFT + plot_w * (value - low) / (top - low)
        anchor = ("start", "middle", "end")[n]
        parts.append(f'<line x1="{x:.1f}" y1="{ROW_TOP - 6}" x2="{x:.1f}" y2="{height - 4}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{ROW_TOP - 12}" text-anchor="{anchor}" '
                     f'fill="#555">{yuan(value).split(".")[0]}</text>')
    parts.append(f'<line x1="{zero:.1f}" y1="{ROW_TOP - 6}" x2="{zero:.1f}" y2="{height - 4}" '
                 f'stroke="#888" stroke-width="1"/>')
    for index, (month, income, spending) in enumerate(months):
        y = ROW_TOP + ROW_HEIGHT * index
        day = date(int(month[:4]), int(month[5:7]), 1)
        parts.append(f'<text x="0" y="{y + 18}" fill="#333">{escape(show_month(day))}</text>')
        for offset, amount, colour, name in ((2, income, INCOME, income_label),
                                             (2 + BAR + 2, spending, SPENDING, spending_label)):
            w = _extent(amount, top - low, plot_w)
            parts.append(
                f'<rect x="{zero - w if amount < 0 else zero:.1f}" y="{y + offset}" '
                f'width="{w:.1f}" height="{BAR}" fill="{colour}"><title>{escape(show_month(day))} '
                f'{escape(name)} ¥{yuan(amount)}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))
