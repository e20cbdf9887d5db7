"""Pictures for the demo's evidence, drawn with Pillow: a shop's receipt slip (小票) and a
placeholder for a photo taken on the day, each with its words in Chinese. A one-pixel image
showed as an empty box on the notice board; these look like what a treasurer uploads.

JPEG at a phone photo's proportions, small (20-40 KB), drawn in a few milliseconds each."""

import io
from datetime import date
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from app import common_font

PAPER = (250, 248, 240)
INK = (40, 40, 40)
FADED = (110, 110, 110)


@cache
def _font(size: int):
    """The GB 2312 cut of WenQuanYi (app/common_font.py); Pillow's own font without it."""
    path = common_font.path()
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def receipt_slip(shop: str, items: list[tuple[str, int]], day: date, number: str) -> bytes:
    """A till's slip: the shop, its lines (name, fen), the total, the date and a number."""
    width = 420
    height = 340 + 34 * len(items)
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    y = 24

    def centred(text, size, fill=INK):
        nonlocal y
        font = _font(size)
        left = (width - draw.textlength(text, font=font)) / 2
        draw.text((left, y), text, font=font, fill=fill)
        y += size + 12

    def rule():
        nonlocal y
        draw.line((24, y, width - 24, y), fill=FADED, width=1)
        y += 14

    centred(shop, 26)
    centred("销 售 小 票", 20, FADED)
    centred(f"单号 {number}   {day.year}-{day.month:02d}-{day.day:02d}", 16, FADED)
    rule()
    total = 0
    for name, fen in items:
        draw.text((28, y), name, font=_font(19), fill=INK)
        amount = f"{fen / 100:,.2f}"
        draw.text((width - 28 - draw.textlength(amount, font=_font(19)), y), amount,
                  font=_font(19), fill=INK)
        y += 34
        total += fen
    rule()
    draw.text((28, y), "合计（元）", font=_font(22), fill=INK)
    amount = f"¥{total / 100:,.2f}"
    draw.text((width - 28 - draw.textlength(amount, font=_font(22)), y), amount,
              font=_font(22), fill=INK)
    y += 46
    centred("谢谢惠顾 · 凭此小票开具发票", 16, FADED)
    # The shop's red stamp at the foot, as on a real slip.
    stamp = (width - 150, y, width - 40, y + 100)
    draw.ellipse(stamp, outline=(200, 40, 40), width=4)
    draw.text((stamp[0] + 19, stamp[1] + 40), "收讫章", font=_font(24), fill=(200, 40, 40))
    return _jpeg(image)


def photo(caption: str, place: str, day: date) -> bytes:
    """A placeholder for a photo of the day: a sky, a field, the caption and where and when."""
    width, height = 640, 480
    image = Image.new("RGB", (width, height), (176, 205, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.58, width, height), fill=(126, 160, 98))
    draw.rectangle((90, 170, 330, 300), fill=(236, 232, 220), outline=(120, 110, 100), width=3)
    draw.polygon(((70, 175), (210, 95), (350, 175)), fill=(150, 70, 60))
    draw.rectangle((0, height - 118, width, height), fill=(0, 0, 0))
    draw.text((24, height - 104), caption, font=_font(30), fill=(255, 255, 255))
    draw.text((24, height - 52), f"{place} · {day.year}年{day.month}月{day.day}日",
              font=_font(20), fill=(220, 220, 220))
    draw.text((width - 150, 20), "现场照片", font=_font(22), fill=(60, 60, 60))
    return _jpeg(image)
