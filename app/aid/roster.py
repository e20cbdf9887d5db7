"""The hand-out roster (发放签收表) as an A4 PDF: masked ID numbers and a column to sign in."""

from flask_babel import force_locale

from app import pdf
from app.privacy import mask_id_number


def render(fund, programme, period: str, rows, group: str | None) -> bytes:
    """Printed for the hand-out, signed on paper, photographed back (services.hand_out_on_paper).
    The roster names people (the 社工 hands out to them) but never shows a whole ID number."""
    with force_locale("zh_Hans"):
        return pdf.render_pdf("aid/roster_pdf.html", fund=fund, item=programme, period=period,
                              rows=rows, group=group, masked=mask_id_number)
