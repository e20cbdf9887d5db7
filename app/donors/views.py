"""Donor pages of a fund."""

from flask import Blueprint

bp = Blueprint("donors", __name__)
