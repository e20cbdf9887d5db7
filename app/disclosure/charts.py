"""Charts drawn on the server as SVG: the same markup goes into the notice board's HTML and
into the PDF report (WeasyPrint draws inline SVG). No script, no inline style (CSP)."""

from markupsafe import Markup, escape

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


def monthly_bars(months: list[tuple[str, int, int]], *, title: str, income_label: str,
                 spending_label: str) -> Markup:
    """Income and spending per month as paired bars. months: [("2026-01", in_fen, out_fen)]."""
    top = _nice_max(max([max(i, s) for _m, i, s in months] or [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(months))
    bar = max(2.0, slot * 0.36)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    for n in range(5):  # grid lines with amounts in yuan
        value = top * n // 4
        y = TOP + plot_h - plot_h * n / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                     f'{yuan(value).split(".")[0]}</text>')
    for index, (month, income, spending) in enumerate(months):
        x = LEFT + slot * index + slot / 2
        for offset, amount, colour, name in ((-bar, income, INCOME, income_label),
                                             (0, spending, SPENDING, spending_label)):
            h = plot_h * amount / top if top else 0
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
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
