"""Demo receipts: the latest gifts of each fund have theirs, one was voided and reissued, a
few donors waived theirs, and one fund issues receipts automatically."""

import io
import math
import subprocess

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from app.donations.models import Donation
from app.donations.services import COUNTED
from app.extensions import db
from tenants import fund_scope, using

from . import services


def seed(demo) -> None:
    count = current_app.config["DEMO_RECEIPTS_PER_FUND"]
    for prefix, fund in demo.funds.items():
        with using(fund_scope(fund.id)):
            if prefix == "DGC":  # 东港村 has its seal and receipts new gifts automatically
                services.save_settings(fund.id, issue_mode="auto", thanks="",
                                       seal=seal_png(fund.village))
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


def seal_png(village: str) -> bytes:
    """A round red seal like a village committee's, drawn for the demo (a real fund uploads
    a scan of its own)."""
    size, red = 360, (200, 16, 16, 235)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size - 10, size - 10), outline=red, width=12)
    centre, outer, inner = size / 2, 62, 25
    star = [(centre + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
             centre - 20 - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5))
            for i in range(10)]
    draw.polygon(star, fill=red)
    font_file = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Micro Hei"],
                               capture_output=True, text=True, check=False).stdout
    text = f"{village}慈善基金"
    points = min(40, 230 // len(text))
    font = ImageFont.truetype(font_file, points) if font_file else ImageFont.load_default()
    width = draw.textlength(text, font=font)
    draw.text((centre - width / 2, centre + 62), text, fill=red, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
