"""A receipt as PDF: the page itself, the 作废 stamp, and many receipts as one print run."""

import base64
import io
from functools import cache, lru_cache

import cn2an
from flask import render_template
from flask_babel import force_locale
from pypdf import PdfReader, PdfWriter

from app import pdf, qr
from app.urls import external_url

STYLESHEET = "receipt.css"


def amount_in_words(fen: int) -> str:
    """105000 -> 人民币壹仟零伍拾元整 (the capital numerals a receipt must carry)."""
    return "人民币" + cn2an.an2cn(f"{fen // 100}.{fen % 100:02d}", "rmb")


# An annual receipt's page holds this many gifts with the header, the facts, the total and the
# seal; a longer list continues on pages that repeat the header and the number.
GIFTS_PER_PAGE = 20


def receipt_html(receipt, fund, *, code: str, items=None, seal: bytes | None = None,
                 thanks: str = "", replaces=None) -> str:
    url = external_url("receipts.verify", token=receipt.token)
    items = items or []
    pages = [items[i:i + GIFTS_PER_PAGE] for i in range(0, len(items), GIFTS_PER_PAGE)]
    with force_locale(receipt.locale):
        return render_template(
            "receipts/pdf/receipt.html", receipt=receipt, fund=fund, code=code, items=items,
            pages=pages or [[]], per_page=GIFTS_PER_PAGE,
            words=amount_in_words(receipt.amount_fen), verify_url=url, qr=qr.png_data_uri(url),
            seal=seal and _seal_uri(seal), fund_thanks=thanks, replaces=replaces,
        )


@lru_cache(maxsize=16)
def _seal_uri(seal: bytes) -> str:
    """The seal as a data: URI; kept, since the same few seals go on every receipt."""
    return "data:image/png;base64," + base64.b64encode(seal).decode()


def receipt_document(receipt, fund, **kw):
    return pdf.document(receipt_html(receipt, fund, **kw), STYLESHEET)


def receipt_pdf(receipt, fund, **kw) -> bytes:
    return receipt_document(receipt, fund, **kw).write_pdf()


@cache
def _stamp(portrait: bool) -> bytes:
    """作废 across a receipt's page: A5 landscape, or A4 portrait (an annual receipt's)."""
    return pdf.document(render_template("receipts/pdf/void_stamp.html", portrait=portrait),
                        STYLESHEET).write_pdf()


def stamp_void(original: bytes) -> bytes:
    """The original pages with 作废 printed across them; the original file stays as it was."""
    stamps = {portrait: PdfReader(io.BytesIO(_stamp(portrait))).pages[0]
              for portrait in (False, True)}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(original)))
    for page in writer.pages:
        page.merge_page(stamps[page.mediabox.height > page.mediabox.width])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge(pdfs) -> bytes:
    """Stored PDFs one after another (a print run of receipts issued earlier)."""
    writer = PdfWriter()
    for data in pdfs:
        for page in PdfReader(io.BytesIO(data)).pages:  # pages only: twice as fast as append
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
