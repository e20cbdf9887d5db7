"""The system's WenQuanYi Micro Hei cut down to everyday Chinese (GB 2312), built once per machine.

Every PDF embeds a subset of the glyphs it uses. HarfBuzz takes that subset out of the whole
font file each time, and WenQuanYi has 49,531 glyphs: out of a 7,900-glyph cut the subset is
smaller and quicker to make and to compress (about 8 ms of a receipt's ~50). Stylesheets name
this cut first and the full fonts after it, so a rare name character (喆, 䶮) still comes from
the full font: nothing is lost, only the common case is faster.
"""

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from app.config import VAR_DIR

FAMILY = "Shanlin Common"
SOURCE_FAMILY = "WenQuanYi Micro Hei"
FONT_DIR = VAR_DIR / "fonts"
log = logging.getLogger(__name__)


def _codepoints() -> set[int]:
    """ASCII and Latin-1 (¥ ·), punctuation, CJK symbols, full-width forms and GB 2312."""
    points = {*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2000, 0x2070),
              *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)}
    rows = [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]  # symbols, then the 6,763 hanzi
    for high in rows:
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def _source() -> Path | None:
    if not shutil.which("fc-match"):
        return None
    found = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", SOURCE_FAMILY],
                           capture_output=True, text=True, check=False).stdout.split("\n")
    if len(found) < 2 or SOURCE_FAMILY not in found[0] or not Path(found[1]).is_file():
        return None
    return Path(found[1])


def _build(source: Path, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a second process building at the same time never reads half.
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    os.chmod(partial, 0o644)
    with TTFont(str(source), fontNumber=0, lazy=True) as font:
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=_codepoints())
        cutter.subset(font)
        font.save(partial)
    os.replace(partial, target)


@cache
def path() -> Path | None:
    """The cut's file (built on first use, ~4 s), or None when WenQuanYi is not installed."""
    source = _source()
    if source is None:
        return None
    stat = source.stat()
    key = hashlib.sha256(f"{source}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    target = FONT_DIR / f"wqy-gb2312-{key[:12]}.ttf"
    if not target.is_file():
        try:
            _build(source, target)
        except Exception:  # the full fonts still render everything, only slower
            log.exception("could not cut %s down to GB 2312", source)
            return None
    return target
