"""Whose merchant account a fund's online gifts are paid into: its township's host charity's.

A township whose host charity has merchant accounts of its own is configured from the
environment by the deployment's setting names with the township's code after the gateway's
name, the code being the township's slug in capitals (桃源镇, slug taoyuan: TAOYUAN):

    WECHATPAY_TAOYUAN_MCHID, WECHATPAY_TAOYUAN_APPID, WECHATPAY_TAOYUAN_APIV3_KEY,
    WECHATPAY_TAOYUAN_PRIVATE_KEY(_FILE), WECHATPAY_TAOYUAN_CERT_SERIAL_NO,
    WECHATPAY_TAOYUAN_PUBLIC_KEY(_FILE), WECHATPAY_TAOYUAN_PUBLIC_KEY_ID;
    ALIPAY_TAOYUAN_APPID, ALIPAY_TAOYUAN_PRIVATE_KEY(_FILE), ALIPAY_TAOYUAN_PUBLIC_KEY(_FILE)

A gateway's settings come all together or not at all (a merchant id with another merchant's
key would sign for no one): a partial set stops the app at start. A township without them
pays into the deployment's accounts (WECHATPAY_MCHID…, ALIPAY_APPID…). The server addresses
(WECHATPAY_API_BASE, ALIPAY_GATEWAY) and the official account stay per deployment.
"""

import os
import re
from collections import ChainMap
from collections.abc import Mapping

# Per gateway: the prefix of its settings and the settings a township may have of its own.
OWN = {
    "WECHATPAY_": (
        "MCHID",
        "APPID",
        "APIV3_KEY",
        "PRIVATE_KEY",
        "CERT_SERIAL_NO",
        "PUBLIC_KEY",
        "PUBLIC_KEY_ID",
    ),
    "ALIPAY_": ("APPID", "PRIVATE_KEY", "PUBLIC_KEY"),
}
PEM = ("PRIVATE_KEY", "PUBLIC_KEY")  # may be given as a file (the name with _FILE)
TOWNSHIP = "PAYMENT_TOWNSHIP"  # in a township's settings: its code, for the notify URL


def code(slug: str) -> str:
    """The township's code in setting names: its slug in capitals, '-' as '_'."""
    return re.sub(r"[^A-Z0-9]", "_", (slug or "").upper())


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """{township code: {setting name as the deployment's: value}}; ValueError for a
    township whose settings of one gateway are incomplete."""
    environ = os.environ if environ is None else environ
    found: dict[str, dict[str, str]] = {}
    for prefix, names in OWN.items():
        for name in names:
            # Greedy: the code is everything between the prefix and the setting's name.
            pattern = re.compile(rf"{prefix}(?P<code>[A-Z0-9_]+)_{name}(?P<file>_FILE)?")
            for key, value in environ.items():
                match = pattern.fullmatch(key)
                if match is None or not value:
                    continue
                if match["file"]:
                    if name not in PEM:
                        continue
                    with open(value, encoding="utf-8") as file:
                        value = file.read()
                found.setdefault(match["code"], {})[prefix + name] = value
    for township, settings in found.items():
        for prefix, names in OWN.items():
            given = [n for n in names if prefix + n in settings]
            if given and len(given) != len(names):
                missing = ", ".join(f"{prefix}{township}_{n}" for n in names if n not in given)
                raise ValueError(
                    f"township {township}: {missing} missing (a gateway's "
                    "settings come all together)"
                )
    return found


def settings_for(config: Mapping, township_slug: str | None) -> Mapping:
    """The settings a township's gateways use: its own over the deployment's."""
    own = (config.get("PAYMENT_TOWNSHIPS") or {}).get(code(township_slug or ""))
    if not own:
        return config
    return ChainMap({**own, TOWNSHIP: code(township_slug)}, config)


def has_own(config: Mapping, township_slug: str) -> bool:
    return bool((config.get("PAYMENT_TOWNSHIPS") or {}).get(code(township_slug)))


def townships(config: Mapping) -> list[str]:
    """The codes of the townships with merchant accounts of their own."""
    return sorted(config.get("PAYMENT_TOWNSHIPS") or {})
