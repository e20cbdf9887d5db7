"""The host charity's WeChat official account: who the donor is (openid, for JSAPI payments)
and the JS-SDK signature that lets a shared page show as a card in a chat.

Both need WECHAT_APP_SECRET; without it, WeChat's browser pays by a QR code (Native) and
shares a plain link. The access token and JS-SDK ticket are kept per process until shortly
before they expire (WeChat limits how often they may be fetched).
"""

import hashlib
import logging
import secrets
import threading
import time
from urllib.parse import urlencode

import requests
from flask import current_app

log = logging.getLogger(__name__)

OAUTH = "https://open.weixin.qq.com"
API = "https://api.weixin.qq.com"
TIMEOUT = (5, 10)
_kept: dict[tuple, tuple[str, float]] = {}
_lock = threading.Lock()


class WeChatError(Exception):
    """The official account's API refused or did not answer."""


def configured() -> bool:
    config = current_app.config
    return bool(config.get("WECHATPAY_APPID") and config.get("WECHAT_APP_SECRET"))


def _get(path: str, **params) -> dict:
    base = (current_app.config.get("WECHAT_API_BASE") or API).rstrip("/")
    try:
        answer = requests.get(f"{base}{path}", params=params, timeout=TIMEOUT).json()
    except (requests.RequestException, ValueError) as error:
        raise WeChatError(str(error)) from error
    if answer.get("errcode"):
        raise WeChatError(f"{answer.get('errcode')}: {answer.get('errmsg')}")
    return answer


def authorize_url(redirect_uri: str, state: str) -> str:
    """Where to send the donor so that WeChat tells us their openid (silently: snsapi_base)."""
    base = (current_app.config.get("WECHAT_OAUTH_BASE") or OAUTH).rstrip("/")
    query = urlencode({"appid": current_app.config["WECHATPAY_APPID"],
                       "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state})
    return f"{base}/connect/oauth2/authorize?{query}#wechat_redirect"


def openid_for(code: str) -> str:
    config = current_app.config
    answer = _get("/sns/oauth2/access_token", appid=config["WECHATPAY_APPID"],
                  secret=config["WECHAT_APP_SECRET"], code=code,
                  grant_type="authorization_code")
    return answer["openid"]


def _kept_value(key: tuple, fetch) -> str:
    with _lock:
        value, until = _kept.get(key, ("", 0.0))
        if time.time() < until:
            return value
    value, lifetime = fetch()
    with _lock:
        _kept[key] = (value, time.time() + max(lifetime - 300, 60))
    return value


def _ticket() -> str:
    config = current_app.config
    appid, secret = config["WECHATPAY_APPID"], config["WECHAT_APP_SECRET"]

    def token():
        answer = _get("/cgi-bin/token", grant_type="client_credential", appid=appid,
                      secret=secret)
        return answer["access_token"], int(answer.get("expires_in", 7200))

    access_token = _kept_value(("token", appid), token)

    def ticket():
        answer = _get("/cgi-bin/ticket/getticket", access_token=access_token, type="jsapi")
        return answer["ticket"], int(answer.get("expires_in", 7200))

    return _kept_value(("ticket", appid), ticket)


def js_sdk_config(url: str) -> dict | None:
    """wx.config's values for the page at ``url`` (its address without the #fragment), or
    None when the official account is not configured or does not answer: the page then
    shares as a plain link, which is no reason to fail."""
    if not configured():
        return None
    try:
        ticket = _ticket()
    except WeChatError as error:
        log.warning("WeChat JS-SDK ticket: %s", error)
        return None
    nonce, timestamp = secrets.token_hex(8), str(int(time.time()))
    url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}"
    return {"appId": current_app.config["WECHATPAY_APPID"], "timestamp": timestamp,
            "nonceStr": nonce, "signature": hashlib.sha1(plain.encode()).hexdigest()}
