"""Demo receipts: the latest gifts of each fund have theirs, one was voided and reissued, a
few donors waived theirs, and one fund issues receipts automatically."""

import io
import math
import subprocess

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from app.donations.models import COUNTED, Donation
from app.extensions import db
from tenants import fund_scope, using

from . import services


def seed(demo) -> None:
    count = current_app.config["DEMO_RECEIPTS_PER_FUND"]
    for prefix, fund in demo.funds.items():
        with using(fund_scope(fund.id)):
            # Every demo fund has its seal; 东港村 receipts new gifts automatically.
            services.save_settings(fund.id, issue_mode="auto" if prefix == "DGC" else "manual",
                                   thanks="", seal=seal_png(fund.name))
            gifts = db.session.scalars(
                select(Donation).where(Donation.status.in_(COUNTED),
                                       Donation.donor_id.is_not(None))
                .order_by(Donation.received_on.desc(), Donation.id.desc()).limit(count + 2)).all()
            if not gifts:
                continue
            for gift in gifts[2:]:
                if gift.id % 13 == 0:
                    services.waive(gift)
                else:
                    services.issue(gift)
            first = services.issue(gifts[1])
            services.void(first, "捐赠人姓名写错，作废后重开")
            services.reissue(first, name=first.name)


def catch_up(demo) -> None:
    """The last step: what the every-minute job would have receipted by now in a fund that
    issues automatically (the gifts the later steps added: wishes handed over, WeChat Pay
    gifts), so the demo opens with nothing left for the job to do."""
    for fund in demo.funds.values():
        with using(fund_scope(fund.id)):
            row = services.settings(fund.id)
            if row.issue_mode == "auto":
                for gift in services.due_for_auto(row, limit=1000):
                    services.issue(gift)


def seal_png(name: str, below: str = "收据专用章") -> bytes:
    """A round red seal as a village fund has one cut: the fund's name along the rim, a star
    in the middle, the seal's use below it. Drawn for the demo; a real fund uploads a scan of
    its own."""
    size, red = 640, (205, 18, 18, 255)
    centre = size / 2
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, size - 12, size - 12), outline=red, width=20)
    outer, inner = 92, 36
    star = [(centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
             centre - 6 - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5))
            for i in range(10)]
    draw.polygon(star, fill=red)
    font = _seal_font(min(92, int(1500 / max(len(name), 1))))
    # The name runs clockwise along the rim, each character upright towards the centre.
    span = min(250.0, 27.0 * len(name))
    radius = centre - 38 - font.size * 0.6
    for i, char in enumerate(name):
        angle = -span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font.size, font.size), char, fill=red, font=font,
                                   anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC, expand=True)
        x = centre + radius * math.sin(math.radians(angle)) - glyph.width / 2
        y = centre - radius * math.cos(math.radians(angle)) - glyph.height / 2
        image.alpha_composite(glyph, (round(x), round(y)))
    small = _seal_font(56)
    draw.text((centre, centre + 150), below, fill=red, font=small, anchor="mm")
    # Drawn large for clean curves, stored at print size (34 mm at ~270 dpi) in a few shades
    # of red: the image goes into every receipt's PDF, so its bytes cost on each one.
    image = image.resize((360, 360), Image.LANCZOS).quantize(16, method=Image.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _seal_font(points: int):
    """A bold serif (宋体) face as seals are cut in, else whatever Chinese font there is."""
    for family in ("Noto Serif CJK SC:bold", "Noto Sans CJK SC:bold", "WenQuanYi Micro Hei"):
        found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", family],
                               capture_output=True, text=True, check=False).stdout
        path, _, index = found.rpartition(":")
        if path and ("CJK" in path or "wqy" in path.lower()):
            return ImageFont.truetype(path, points, index=int(index or 0))
    return ImageFont.load_default(points)
