"""The public donation page and the payment gateways' webhooks."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
