"""A stored PDF shown as one PNG picture, for browsers that cannot open a PDF: WeChat's often
cannot, while a picture can be long-pressed, saved and forwarded. The PDF stays the record;
the picture is drawn from its bytes on request and never stored.
"""

import io
import threading

WIDTH_PX = 1080  # sharp on a phone, a few hundred KB
MAX_PAGES = 6  # an annual receipt of many gifts: the first pages, the PDF has the rest
_lock = threading.Lock()  # PDFium is not thread-safe: one rendering at a time per process


def png(pdf: bytes, width_px: int = WIDTH_PX) -> bytes:
    """The PDF's pages one under the other, each width_px wide."""
    import pypdfium2
    from PIL import Image

    with _lock:
        document = pypdfium2.PdfDocument(pdf)
        try:
            pages = []
            for index in range(min(len(document), MAX_PAGES)):
                page = document[index]
                pages.append(page.render(scale=width_px / page.get_width()).to_pil())
                page.close()
        finally:
            document.close()
    sheet = Image.new("RGB", (width_px, sum(p.height for p in pages)), "white")
    top = 0
    for page in pages:
        sheet.paste(page, (0, top))
        top += page.height
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()
