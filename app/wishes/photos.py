"""Photos of a wish (the thing wished, the hand-over): allowed only without faces.

A wish is about a child or an old neighbour; the wall never shows a face. An upload passes
the checks every upload takes (app/uploads.py: size, type told by the bytes, decodes as a
photo), is re-encoded as a plain JPEG (no EXIF: no GPS position of the recipient's home, no
camera serial; turned upright first), and is refused if OpenCV's frontal-face Haar cascade
finds a face in it. Files live in var/wishes/<fund id>/<random name>, like other uploads.
"""

import io
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app import uploads
from app.config import VAR_DIR
from app.validation import Invalid

LONGEST_SIDE = 1600  # enough to see a school bag; a phone's 4000 px photo is cut down
DETECT_SIDE = 1024  # the cascade looks at a copy this large: fast, still finds small faces
FACE_REFUSED = _l(
    "A face is visible in this photo. To protect the person helped, photograph "
    "only the thing (or hands, from behind) and try again."
)


def _folder(fund_id: int) -> Path:
    return VAR_DIR / "wishes" / str(fund_id)


@cache
def _cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():  # a broken install must not let faces through
        raise RuntimeError("OpenCV's frontal face cascade could not be loaded")
    return cascade


def faces_in(image) -> int:
    """How many frontal faces the cascade finds in a Pillow image."""
    import numpy as np

    gray = image.convert("L")
    gray.thumbnail((DETECT_SIDE, DETECT_SIDE))
    found = _cascade().detectMultiScale(
        np.asarray(gray), scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)
    )
    return len(found)


def checked(data: bytes, field: str) -> bytes:
    """The photo as it will be kept (a re-encoded JPEG), or Invalid naming ``field``: not a
    photo, too big, or a face in it."""
    from PIL import Image, ImageOps

    uploads.check(
        data,
        field,
        allowed={uploads.JPEG, uploads.PNG},
        wrong_type=_l("Upload a photo (JPEG or PNG)."),
    )
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    if faces_in(image):
        raise Invalid({field: FACE_REFUSED})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)  # Pillow writes no EXIF unless asked to
    return out.getvalue()


def from_form(file_storage, field: str) -> bytes | None:
    """The checked photo of an optional file field; None when none was chosen."""
    data = uploads.read(file_storage)
    return checked(data, field) if data else None


def store(fund_id: int, photo: bytes) -> str:
    return uploads.store(_folder(fund_id), photo)


def load(fund_id: int, name: str | None) -> bytes | None:
    return uploads.load(_folder(fund_id), name) if name else None
