"""What the Give buttons and share cards ask of a page: whether a project still takes
designated gifts, the page's public address, its share picture and WeChat's share data."""

from flask import g, request
from sqlalchemy import select

from app.donations.models import Designation
from app.extensions import db
from app.payments import browsers, wechat
from app.payments.gateway import csp_with
from app.security import CSP
from app.urls import external_url

JS_SDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"


def open_designations() -> frozenset[int]:
    """The current fund's designations open to gifts, read once per request."""
    if "open_designations" not in g:
        g.open_designations = frozenset(db.session.scalars(
            select(Designation.id).where(Designation.active)))
    return g.open_designations


def takes_gifts(designation_id: int | None) -> bool:
    return designation_id is not None and designation_id in open_designations()


def page_url() -> str:
    """This page on PUBLIC_URL (never the Host header), its query as the browser sent it (the
    JS-SDK's signature is over the very address): what a shared card links to."""
    values = dict(request.view_args or {})
    if g.get("fund") is not None:
        values["fund_slug"] = g.fund.slug  # taken out of view_args by the tenancy layer
    query = request.query_string.decode()
    return external_url(request.endpoint, **values) + (f"?{query}" if query else "")


def share_image() -> str:
    return external_url("static", filename="giving/share.png")


def wechat_share(url: str) -> dict | None:
    """wx.config's values inside WeChat when an official account is set up, else None."""
    if not browsers.in_wechat(request.headers.get("User-Agent", "")):
        return None
    config = wechat.js_sdk_config(url)
    if config is not None:
        g.wechat_share = True  # this page loads WeChat's JS-SDK: its CSP must allow it
    return config


def _allow_js_sdk(response):
    if g.get("wechat_share"):
        response.headers["Content-Security-Policy"] = csp_with(
            {"script-src": "https://res.wx.qq.com", "connect-src": "https://*.weixin.qq.com"},
            response.headers.get("Content-Security-Policy") or CSP)
    return response


def register(app) -> None:
    app.jinja_env.globals.update(takes_gifts=takes_gifts, page_url=page_url,
                                 share_image=share_image, wechat_share=wechat_share,
                                 wechat_js_sdk=JS_SDK)
    app.after_request(_allow_js_sdk)
