"""Donation receipts: issuing, the PDF, voiding and reissuing, public verification."""
