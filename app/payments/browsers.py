"""Which browser the donor is in, read from the User-Agent: it decides how they can pay.

WeChat's own browser pays only by JSAPI and cannot open Alipay; Alipay's app opens Alipay; a
phone browser pays by WeChat H5 or Alipay wap; a computer shows WeChat's QR code (Native) or
Alipay's page pay. A wrong guess costs the donor a second tap, never money.
"""

import re

PHONE = re.compile(r"Mobile|Android|iPhone|iPad|HarmonyOS", re.IGNORECASE)


def in_wechat(user_agent: str) -> bool:
    return "MicroMessenger" in (user_agent or "")


def in_alipay(user_agent: str) -> bool:
    return "AlipayClient" in (user_agent or "")


def on_phone(user_agent: str) -> bool:
    return bool(PHONE.search(user_agent or ""))


def wechat_mode(user_agent: str, openid: str = "") -> str:
    """jsapi inside WeChat (with the donor's openid), h5 on other phone browsers, native (a QR
    code to scan) on a computer, and inside WeChat when no official account gives an openid."""
    if in_wechat(user_agent):
        return "jsapi" if openid else "native"
    return "h5" if on_phone(user_agent) else "native"


def alipay_mode(user_agent: str) -> str:
    return "wap" if on_phone(user_agent) or in_alipay(user_agent) else "page"


def offered(gateways: list, user_agent: str) -> list:
    """The gateways a donor can pay through in this browser: Alipay cannot open in WeChat's."""
    return [gw for gw in gateways if not (gw.name == "alipay" and in_wechat(user_agent))]


def preferred(gateways: list, user_agent: str) -> str:
    """The gateway chosen for the donor at first: the app they are in, else the first."""
    names = [gw.name for gw in gateways]
    if in_alipay(user_agent) and "alipay" in names:
        return "alipay"
    return names[0] if names else ""


def mode_for(gateway_name: str, user_agent: str, openid: str = "") -> str:
    if gateway_name == "wechatpay":
        return wechat_mode(user_agent, openid)
    if gateway_name == "alipay":
        return alipay_mode(user_agent)
    return ""
