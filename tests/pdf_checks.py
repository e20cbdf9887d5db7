"""Reading a PDF as an auditor would: its text (pdftotext), its pictures, and a PNG of each
page kept as a test artifact."""

import subprocess
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts" / "documents"

def pdf_text(data: bytes, tmp_path, first: int | None = None, last: int | None = None) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def squeezed(text: str) -> str:
    """pdftotext's layout spaces out wide columns; the words are what a reader checks."""
    return "".join(text.split())


def page_count(data: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))


def keep_png(data: bytes, name: str, tmp_path) -> list[Path]:
    """The PDF's pages as PNGs (80 dpi) under var/artifacts/documents/<name>-N.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(path), str(ARTIFACTS / name)],
                   check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def image_count(data: bytes) -> int:
    """Images drawn in the PDF (their soft masks not counted)."""
    listing = subprocess.run(["pdfimages", "-list", "-"], input=data, capture_output=True,
                             check=True).stdout.decode().splitlines()[2:]
    return sum(line.split()[2] == "image" for line in listing)
