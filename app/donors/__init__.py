"""Donors of a fund."""
