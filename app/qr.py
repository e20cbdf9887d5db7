"""QR codes shown on a screen (two-step sign-in, invitations, aid vouchers)."""

import segno


def svg_data_uri(text: str) -> str:
    """An SVG data URI for an <img> (the CSP allows img-src data:), with the quiet zone a
    phone's camera needs around the code."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
