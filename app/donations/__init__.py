"""Donations and where they were collected."""
