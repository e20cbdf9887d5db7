"""Upload, preview and commit an import."""

from flask import Blueprint

bp = Blueprint("imports", __name__)
