"""Volunteering (志愿服务) and the time bank (时间银行): the registry, activities and hours,
certificates, and a volunteer's own pages opened with an SMS code instead of a password."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

from . import public_views, township_views, views  # noqa: E402,F401  (their routes join bp)
