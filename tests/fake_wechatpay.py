"""A local stand-in for WeChat Pay API v3 (and the bits of WeChat's official-account API that
paying inside WeChat needs), run as a process of its own:

    python tests/fake_wechatpay.py --port 8124 --config wechatpay.json

The config names the merchant (mchid, appid, APIv3 key, the merchant's public key and its
serial number) and the official account's secret; "merchants" may list more merchants (the
same five keys: host charities of other townships), each checked with its own key, paid only
its own orders, its notifications encrypted with its own APIv3 key. The fake holds its own
platform RSA key pair, made at start, in public-key mode: GET /_fake/keys gives its public
key and id, as the merchant platform shows them.

It checks every API request as WeChat Pay does: the Authorization header (WECHATPAY2-SHA256-
RSA2048 with mchid, serial_no, nonce_str, timestamp, signature) recomputed over method, path
with query, timestamp, nonce and body and verified with the merchant's public key; the serial
number, the mchid, a timestamp no more than five minutes off, a nonce never used before, and
Wechatpay-Serial naming the platform key. Every 2xx answer is signed with the platform key
(Wechatpay-Timestamp/-Nonce/-Signature/-Serial), as the SDK checks. Errors answer like the
service: 4xx with {"code", "message"}.

API: Native, H5 and JSAPI orders; query by out_trade_no or transaction_id; close; refunds and
their query; the trade bill (gzip CSV in WeChat's documented columns). Notifications are
signed with the platform key and their resource encrypted with AES-256-GCM under the APIv3
key, and POSTed to the order's notify_url: a payment's when the payer pays, a refund's a
moment after the refund call has been answered.

The payer's side, for the tests (no signature): POST /_fake/pay {"out_trade_no", "amount"
(paid, when it should differ), "notify": false (hold the notification)}; POST /_fake/deliver
sends held and failed notifications; POST /_fake/expire {"out_trade_no"} closes an unpaid
order as time_expire would; POST /_fake/jsapi_pay takes what the app gave WeixinJSBridge and
checks paySign with the merchant's key; GET /_fake/h5 is the H5 cashier page. GET
/_fake/notifications lists what was sent (url, headers, body, status), GET /_fake/held what
waits to be sent, GET /_fake/orders the orders, DELETE /_fake/state forgets everything. It
reaches no network but the notify URLs.
"""

import argparse
import base64
import gzip
import hashlib
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAX_SKEW = 300
BEIJING = timezone(timedelta(hours=8))
AUTH = re.compile(r"WECHATPAY2-SHA256-RSA2048 (?P<params>.+)")
PARAM = re.compile(r'(\w+)="([^"]*)"')
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_|*-]{6,32}")
TRADE_TYPES = {"native": "NATIVE", "h5": "MWEB", "jsapi": "JSAPI"}
REFUND_DELAY = 0.3  # seconds between answering a refund and notifying its success
BILL_COLUMNS = ",".join((
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号",
    "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行", "货币种类",
    "应结订单金额", "代金券金额", "微信退款单号", "商户退款单号", "退款金额",
    "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包", "手续费",
    "费率", "订单金额", "申请退款金额", "费率备注"))


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now_text(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment or time.time(), BEIJING).isoformat(timespec="seconds")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Service:
    def __init__(self, config: dict, base: str):
        self.config = config
        self.base = base
        main = {k: config[k] for k in ("mchid", "appid", "apiv3_key", "merchant_public_key",
                                        "merchant_serial_no")}
        self.merchants = {m["mchid"]: {**m, "key": serialization.load_pem_public_key(
            m["merchant_public_key"].encode())} for m in [main, *config.get("merchants", [])]}
        self.merchant_key = self.merchants[config["mchid"]]["key"]
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.orders: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.sent: list[dict] = []
            self.held: list[tuple[str, bytes, dict]] = []
            self.nonces: set[str] = set()
            self.codes: dict[str, str] = {}  # OAuth code -> openid
            self.openids: set[str] = set()
            self.bills: dict[str, bytes] = {}

    # ---- signatures -----------------------------------------------------------------------

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, message: str) -> str:
        return base64.b64encode(self.key.sign(message.encode(), padding.PKCS1v15(),
                                              hashes.SHA256())).decode()

    def signed_headers(self, body: str) -> dict:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Serial": self.key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Wechatpay-Signature": self.sign(f"{timestamp}\n{nonce}\n{body}\n")}

    def merchant_signed(self, message: str, signature: str, key=None) -> bool:
        try:
            (key or self.merchant_key).verify(base64.b64decode(signature), message.encode(),
                                     padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def check(self, method: str, target: str, headers, body: str) -> dict:
        """Refused unless the merchant signed this very request, recently, once; the
        merchant."""
        match = AUTH.fullmatch(headers.get("Authorization", ""))
        if match is None:
            raise Refused(401, "SIGN_ERROR", "Authorization不合法")
        params = dict(PARAM.findall(match["params"]))
        merchant = self.merchants.get(params.get("mchid"))
        if merchant is None:
            raise Refused(401, "SIGN_ERROR", "商户号不存在或Authorization中的mchid不合法")
        if params.get("serial_no") != merchant["merchant_serial_no"]:
            raise Refused(401, "SIGN_ERROR", "商户证书序列号有误")
        try:
            timestamp = int(params.get("timestamp", ""))
        except ValueError:
            raise Refused(401, "SIGN_ERROR", "timestamp不合法") from None
        if abs(time.time() - timestamp) > MAX_SKEW:
            raise Refused(401, "SIGN_ERROR", "请求已过期")
        nonce = params.get("nonce_str", "")
        message = f"{method}\n{target}\n{timestamp}\n{nonce}\n{body}\n"
        if not nonce or not self.merchant_signed(message, params.get("signature", ""),
                                                 merchant["key"]):
            raise Refused(401, "SIGN_ERROR", "签名错误")
        with self.lock:
            if nonce in self.nonces:
                raise Refused(401, "SIGN_ERROR", "nonce_str重复，请求可能被重放")
            self.nonces.add(nonce)
        serial = headers.get("Wechatpay-Serial")
        if serial is not None and serial != self.key_id:
            raise Refused(400, "PARAM_ERROR", "Wechatpay-Serial不是有效的微信支付公钥ID")
        if not headers.get("User-Agent"):
            raise Refused(400, "PARAM_ERROR", "缺少User-Agent")
        return merchant

    # ---- orders -----------------------------------------------------------------------------

    def create_order(self, mode: str, data: dict, merchant: dict) -> dict:
        if data.get("appid") != merchant["appid"] or data.get("mchid") != merchant["mchid"]:
            raise Refused(400, "PARAM_ERROR", "appid和mch_id不匹配")
        out_trade_no = data.get("out_trade_no") or ""
        if not OUT_TRADE_NO.fullmatch(out_trade_no):
            raise Refused(400, "PARAM_ERROR", "out_trade_no不合法")
        description = data.get("description") or ""
        if not description or len(description.encode()) > 127:
            raise Refused(400, "PARAM_ERROR", "description不合法")
        if len(data.get("attach") or "") > 128:
            raise Refused(400, "PARAM_ERROR", "attach超长")
        amount = data.get("amount") or {}
        total = amount.get("total")
        if not isinstance(total, int) or total < 1 or amount.get("currency", "CNY") != "CNY":
            raise Refused(400, "PARAM_ERROR", "amount.total不合法")
        if not (data.get("notify_url") or "").startswith(("http://", "https://")):
            raise Refused(400, "PARAM_ERROR", "notify_url不合法")
        openid = ((data.get("payer") or {}).get("openid")) or ""
        if mode == "jsapi" and openid not in self.openids:
            raise Refused(400, "PARAM_ERROR", "appid和openid不匹配")
        scene = data.get("scene_info") or {}
        if mode == "h5" and not (scene.get("payer_client_ip") and
                                 (scene.get("h5_info") or {}).get("type")):
            raise Refused(400, "PARAM_ERROR", "scene_info不合法")
        expire = data.get("time_expire")
        with self.lock:
            order = self.orders.get(out_trade_no)
            if order is not None and order["mchid"] != merchant["mchid"]:
                raise Refused(400, "INVALID_REQUEST", "201 商户订单号重复")
            if order is not None:
                if order["state"] == "SUCCESS":
                    raise Refused(400, "ORDERPAID", "该订单已支付")
                if order["state"] == "CLOSED":
                    raise Refused(400, "ORDER_CLOSED", "订单已关闭")
                if (order["total"], order["mode"], order["description"]) != (
                        total, mode, description):
                    raise Refused(400, "INVALID_REQUEST", "201 商户订单号重复")
            else:
                order = self.orders[out_trade_no] = {
                    "out_trade_no": out_trade_no, "mchid": merchant["mchid"], "mode": mode,
                    "description": description,
                    "total": total, "attach": data.get("attach") or "", "openid": openid,
                    "notify_url": data["notify_url"], "state": "NOTPAY", "prepay_id":
                    "wx" + secrets.token_hex(14), "transaction_id": None, "success_time": None,
                    "expires": datetime.fromisoformat(expire).timestamp() if expire else None,
                    "paid_fen": None, "refunded_fen": 0}
        if mode == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={order['prepay_id'][2:12]}"}
        if mode == "h5":
            return {"h5_url": f"{self.base}/_fake/h5?prepay_id={order['prepay_id']}"
                              f"&package=1405458241"}
        return {"prepay_id": order["prepay_id"]}

    def _order(self, out_trade_no: str) -> dict:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["state"] == "NOTPAY" and order["expires"] and time.time() > order["expires"]:
            order["state"] = "CLOSED"
        return order

    def transaction(self, order: dict) -> dict:
        states = {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭",
                  "REFUND": "转入退款"}
        merchant = self.merchants[order["mchid"]]
        data = {"appid": merchant["appid"], "mchid": merchant["mchid"],
                "out_trade_no": order["out_trade_no"],
                "trade_type": TRADE_TYPES[order["mode"]], "trade_state": order["state"],
                "trade_state_desc": states[order["state"]], "attach": order["attach"],
                "amount": {"total": order["total"], "currency": "CNY", "payer_currency": "CNY"}}
        if order["transaction_id"]:
            paid = order["paid_fen"]
            data.update(transaction_id=order["transaction_id"], bank_type="OTHERS",
                        success_time=now_text(order["success_time"]),
                        payer={"openid": order["openid"] or "oFakePayer"})
            data["amount"].update(total=paid, payer_total=paid)
        return data

    def pay(self, out_trade_no: str, paid_fen: int | None = None, openid: str = "",
            notify: bool = True) -> dict:
        with self.lock:
            order = self._order(out_trade_no)
            if order["state"] != "NOTPAY":
                raise Refused(400, "ORDER_NOT_PAYABLE", f"订单状态为{order['state']}")
            order.update(state="SUCCESS", success_time=time.time(),
                         transaction_id="4200" + str(secrets.randbelow(10 ** 24)).zfill(24),
                         paid_fen=paid_fen if paid_fen is not None else order["total"])
            if openid:
                order["openid"] = openid
            resource = self.transaction(order)
        self.notify(order["notify_url"], "TRANSACTION.SUCCESS", "transaction", resource,
                    "支付成功", hold=not notify, mchid=order["mchid"])
        return resource

    def close(self, out_trade_no: str) -> None:
        with self.lock:
            order = self._order(out_trade_no)
            if order["state"] in ("SUCCESS", "REFUND"):
                raise Refused(400, "ORDERPAID", "该订单已支付")
            order["state"] = "CLOSED"

    # ---- refunds ----------------------------------------------------------------------------

    def refund(self, data: dict, merchant: dict) -> dict:
        out_refund_no = data.get("out_refund_no") or ""
        amount = data.get("amount") or {}
        with self.lock:
            if data.get("transaction_id"):
                found = [o for o in self.orders.values()
                         if o["transaction_id"] == data["transaction_id"]]
                order = found[0] if found else None
            else:
                order = self.orders.get(data.get("out_trade_no") or "")
            if order is None or order["mchid"] != merchant["mchid"]:
                raise Refused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if order["state"] not in ("SUCCESS", "REFUND"):
                raise Refused(400, "INVALID_REQUEST", "订单未支付，不能退款")
            refund_fen, total = amount.get("refund"), amount.get("total")
            if total != order["paid_fen"] or amount.get("currency", "CNY") != "CNY":
                raise Refused(400, "INVALID_REQUEST", "订单金额与退款请求中的订单金额不一致")
            if not isinstance(refund_fen, int) or refund_fen < 1:
                raise Refused(400, "PARAM_ERROR", "refund不合法")
            known = self.refunds.get(out_refund_no)
            if known is not None:
                if known["amount"]["refund"] != refund_fen:
                    raise Refused(400, "INVALID_REQUEST", "退款单号重复，退款金额不一致")
                return known  # the same request again refunds once
            if order["refunded_fen"] + refund_fen > order["paid_fen"]:
                raise Refused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            order["refunded_fen"] += refund_fen
            order["state"] = "REFUND"
            refund = self.refunds[out_refund_no] = {
                "refund_id": "50" + str(secrets.randbelow(10 ** 27)).zfill(27),
                "out_refund_no": out_refund_no, "transaction_id": order["transaction_id"],
                "out_trade_no": order["out_trade_no"], "channel": "ORIGINAL",
                "user_received_account": "支付用户零钱", "create_time": now_text(),
                "status": "PROCESSING", "funds_account": "AVAILABLE",
                "amount": {"total": total, "refund": refund_fen, "payer_total": total,
                           "payer_refund": refund_fen, "settlement_total": total,
                           "settlement_refund": refund_fen, "discount_refund": 0,
                           "currency": "CNY"}}
            notify_url = data.get("notify_url") or order["notify_url"]
            answer = dict(refund)
        threading.Timer(REFUND_DELAY, self._refund_succeeded,
                        args=(out_refund_no, notify_url)).start()
        return answer

    def _refund_succeeded(self, out_refund_no: str, notify_url: str) -> None:
        with self.lock:
            refund = self.refunds[out_refund_no]
            refund.update(status="SUCCESS", success_time=now_text())
            amount = refund["amount"]
            mchid = self.orders[refund["out_trade_no"]]["mchid"]
            resource = {"mchid": mchid, "out_trade_no": refund["out_trade_no"],
                        "transaction_id": refund["transaction_id"],
                        "out_refund_no": out_refund_no, "refund_id": refund["refund_id"],
                        "refund_status": "SUCCESS", "success_time": refund["success_time"],
                        "user_received_account": refund["user_received_account"],
                        "amount": {k: amount[k] for k in ("total", "refund", "payer_total",
                                                          "payer_refund")}}
        self.notify(notify_url, "REFUND.SUCCESS", "refund", resource, "退款成功", mchid=mchid)

    # ---- notifications ------------------------------------------------------------------

    def notification(self, event_type: str, original_type: str, resource: dict,
                     summary: str, mchid: str | None = None) -> tuple[bytes, dict]:
        nonce = secrets.token_urlsafe(9)[:12]
        apiv3_key = self.merchants[mchid or self.config["mchid"]]["apiv3_key"]
        sealed = AESGCM(apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(),
            original_type.encode())
        body = json.dumps({
            "id": secrets.token_hex(16), "create_time": now_text(),
            "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
            "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(sealed).decode(),
                         "associated_data": original_type, "nonce": nonce}},
            ensure_ascii=False)
        headers = {"Content-Type": "application/json", **self.signed_headers(body)}
        return body.encode(), headers

    def notify(self, url: str, event_type: str, original_type: str, resource: dict,
               summary: str, hold: bool = False, mchid: str | None = None) -> None:
        body, headers = self.notification(event_type, original_type, resource, summary, mchid)
        if hold:
            with self.lock:
                self.held.append((url, body, headers))
            return
        self.send(url, body, headers)

    def send(self, url: str, body: bytes, headers: dict) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, answer = 0, str(error)
        with self.lock:
            self.sent.append({"url": url, "headers": headers, "body": body.decode(),
                              "status": status, "answer": answer})
            if not 200 <= status < 300:  # WeChat sends it again later
                self.held.append((url, body, headers))
        return status

    def deliver(self) -> list[int]:
        with self.lock:
            held, self.held = self.held, []
        return [self.send(*item) for item in held]

    # ---- the trade bill -----------------------------------------------------------------

    def trade_bill(self, bill_date: str, merchant: dict) -> dict:
        rows = [BILL_COLUMNS]
        count = total = 0
        with self.lock:
            for order in self.orders.values():
                if not order["success_time"] or order["mchid"] != merchant["mchid"]:
                    continue
                day = datetime.fromtimestamp(order["success_time"], BEIJING)
                if day.strftime("%Y-%m-%d") != bill_date:
                    continue
                count += 1
                total += order["paid_fen"]
                values = [day.strftime("%Y-%m-%d %H:%M:%S"), merchant["appid"],
                          merchant["mchid"], "0", "", order["transaction_id"],
                          order["out_trade_no"], order["openid"] or "oFakePayer",
                          TRADE_TYPES[order["mode"]], "SUCCESS", "OTHERS", "CNY",
                          _yuan(order["paid_fen"]), "0.00", "0", "0", "0.00", "0.00", "", "",
                          order["description"], order["attach"], "0.00", "0.60%",
                          _yuan(order["total"]), "0.00", ""]
                rows.append(",".join(f"`{v}" for v in values))
        rows.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
                    "申请退款总金额")
        rows.append(",".join(f"`{v}" for v in (count, _yuan(total), "0.00", "0.00", "0.00",
                                                _yuan(total), "0.00")))
        data = gzip.compress(("\n".join(rows) + "\n").encode())
        token = secrets.token_hex(8)
        with self.lock:
            self.bills[token] = data
        return {"hash_type": "SHA1", "hash_value": hashlib.sha1(data).hexdigest(),
                "download_url": f"{self.base}/v3/billdownload/file?token={token}"}

    # ---- the official account (web authorization, JS-SDK ticket) ------------------------

    def oauth_code(self) -> str:
        code, openid = secrets.token_hex(16), "oFake" + secrets.token_hex(11)
        with self.lock:
            self.codes[code] = openid
            self.openids.add(openid)
        return code

    def access_token(self, query: dict) -> dict:
        if query.get("appid") != self.config["appid"] or \
                query.get("secret") != self.config["app_secret"]:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") == "client_credential":
            return {"access_token": "ACCESS" + secrets.token_hex(16), "expires_in": 7200}
        with self.lock:
            openid = self.codes.pop(query.get("code", ""), None)  # a code is used once
        if openid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {"access_token": secrets.token_hex(16), "expires_in": 7200,
                "refresh_token": secrets.token_hex(16), "openid": openid,
                "scope": "snsapi_base"}

    def jsapi_pay(self, params: dict) -> dict:
        """What WeChat's client does with getBrandWCPayRequest: check paySign, then pay."""
        message = "\n".join([params.get("appId", ""), params.get("timeStamp", ""),
                             params.get("nonceStr", ""), params.get("package", "")]) + "\n"
        merchant = next((m for m in self.merchants.values()
                         if m["appid"] == params.get("appId")), None)
        if merchant is None or not self.merchant_signed(message, params.get("paySign", ""),
                                                        merchant["key"]):
            raise Refused(400, "SIGN_ERROR", "支付验证签名失败")
        prepay_id = params.get("package", "").removeprefix("prepay_id=")
        with self.lock:
            found = [o for o in self.orders.values() if o["prepay_id"] == prepay_id]
        if not found:
            raise Refused(400, "PARAM_ERROR", "prepay_id不存在")
        return self.pay(found[0]["out_trade_no"], openid=found[0]["openid"])


H5_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>微信支付</title></head><body>
<h1>微信支付（本地模拟）</h1><p>{description}</p><p>¥{amount}</p>
<form method="post" action="/_fake/h5"><input type="hidden" name="prepay_id" value="{prepay_id}">
<input type="hidden" name="redirect_url" value="{redirect_url}">
<button type="submit">确认支付</button></form></body></html>"""


def handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive as the real gateway's HTTP/1.1 (every answer has a Content-Length),
        # so a client that keeps its connection pays no new handshake per call; headers
        # and body go out as separate writes, which Nagle's algorithm would hold ~40 ms.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            self._route("GET", b"")

        def do_POST(self):
            self._route("POST", self._body())

        def do_DELETE(self):
            if self.path == "/_fake/state":
                service.reset()
                return self._json(200, {})
            self._json(404, {"code": "NOT_FOUND", "message": "no such path"})

        def _route(self, method: str, raw: bytes):
            path, _, query_text = self.path.partition("?")
            query = {k: v[0] for k, v in parse_qs(query_text).items()}
            try:
                if path.startswith("/_fake/") or path.startswith(("/connect/", "/sns/",
                                                                  "/cgi-bin/")):
                    return self._outside(method, path, query, raw)
                body = raw.decode()
                merchant = service.check(method, self.path, self.headers, body)
                data = json.loads(body) if body else {}
                return self._api(method, path, query, data, merchant)
            except Refused as refused:
                self._json(refused.status, {"code": refused.code, "message": refused.message})
            except (ValueError, KeyError) as error:
                self._json(400, {"code": "PARAM_ERROR", "message": f"请求不合法: {error}"})

        def _api(self, method, path, query, data, merchant):
            parts = path.strip("/").split("/")
            if method == "POST" and path.startswith("/v3/pay/transactions/") and \
                    parts[-1] in TRADE_TYPES:
                return self._signed(200, service.create_order(parts[-1], data, merchant))
            if method == "GET" and path.startswith("/v3/pay/transactions/"):
                if query.get("mchid") != merchant["mchid"]:
                    raise Refused(400, "PARAM_ERROR", "mchid不合法")
                with service.lock:
                    if parts[3] == "out-trade-no":
                        order = service._order(parts[4])
                    else:
                        found = [o for o in service.orders.values()
                                 if o["transaction_id"] == parts[4]]
                        if not found:
                            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
                        order = found[0]
                    if order["mchid"] != merchant["mchid"]:  # another merchant's order
                        raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
                    answer = service.transaction(order)
                return self._signed(200, answer)
            if method == "POST" and path.endswith("/close"):
                if data.get("mchid") != merchant["mchid"]:
                    raise Refused(400, "PARAM_ERROR", "mchid不合法")
                service.close(parts[4])
                return self._signed(204, None)
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return self._signed(200, service.refund(data, merchant))
            if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
                refund = service.refunds.get(parts[-1])
                if refund is None:
                    raise Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return self._signed(200, refund)
            if method == "GET" and path == "/v3/bill/tradebill":
                return self._signed(200, service.trade_bill(query.get("bill_date", ""),
                                                            merchant))
            if method == "GET" and path == "/v3/billdownload/file":
                data = service.bills.get(query.get("token", ""))
                if data is None:
                    raise Refused(404, "NO_STATEMENT_EXIST", "账单不存在")
                return self._bytes(200, data, "application/octet-stream")
            raise Refused(404, "NOT_FOUND", "no such API here")

        def _outside(self, method, path, query, raw):
            """The payer, the official account's endpoints and the tests' controls."""
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()} \
                if "form" in self.headers.get("Content-Type", "") else {}
            data = json.loads(raw) if raw and not form else {}
            if path == "/_fake/keys":
                return self._json(200, {"public_key": service.public_pem(),
                                        "public_key_id": service.key_id})
            if path == "/_fake/pay":
                return self._json(200, service.pay(data["out_trade_no"], data.get("amount"),
                                                   notify=data.get("notify", True)))
            if path == "/_fake/deliver":
                return self._json(200, {"statuses": service.deliver()})
            if path == "/_fake/expire":
                service.close(data["out_trade_no"])
                return self._json(200, {})
            if path == "/_fake/jsapi_pay":
                return self._json(200, service.jsapi_pay(data))
            if path == "/_fake/notifications":
                with service.lock:
                    return self._json(200, list(service.sent))
            if path == "/_fake/held":
                with service.lock:
                    return self._json(200, [{"url": url, "headers": headers,
                                             "body": body.decode()}
                                            for url, body, headers in service.held])
            if path == "/_fake/orders":
                with service.lock:
                    return self._json(200, list(service.orders.values()))
            if path == "/_fake/h5" and method == "GET":
                with service.lock:
                    found = [o for o in service.orders.values()
                             if o["prepay_id"] == query.get("prepay_id")]
                if not found:
                    raise Refused(404, "NOT_FOUND", "prepay_id不存在")
                page = H5_PAGE.format(description=found[0]["description"],
                                      amount=_yuan(found[0]["total"]),
                                      prepay_id=found[0]["prepay_id"],
                                      redirect_url=query.get("redirect_url", ""))
                return self._bytes(200, page.encode(), "text/html; charset=utf-8")
            if path == "/_fake/h5" and method == "POST":
                with service.lock:
                    found = [o for o in service.orders.values()
                             if o["prepay_id"] == form.get("prepay_id")]
                if found:
                    service.pay(found[0]["out_trade_no"])
                return self._redirect(form.get("redirect_url") or "/")
            if path == "/connect/oauth2/authorize":
                if query.get("appid") != service.config["appid"] or \
                        query.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
                    raise Refused(400, "PARAM_ERROR", "appid或scope参数错误")
                target = query["redirect_uri"]
                joiner = "&" if "?" in target else "?"
                return self._redirect(f"{target}{joiner}code={service.oauth_code()}"
                                      f"&state={quote(query.get('state', ''))}")
            if path in ("/sns/oauth2/access_token", "/cgi-bin/token"):
                return self._json(200, service.access_token(query))
            if path == "/cgi-bin/ticket/getticket":
                if not query.get("access_token", "").startswith("ACCESS"):
                    return self._json(200, {"errcode": 40001, "errmsg": "invalid credential"})
                return self._json(200, {"errcode": 0, "errmsg": "ok", "expires_in": 7200,
                                        "ticket": "TICKET" + secrets.token_hex(16)})
            raise Refused(404, "NOT_FOUND", "no such path")

        def _signed(self, status: int, data):
            body = "" if data is None else json.dumps(data, ensure_ascii=False)
            headers = service.signed_headers(body)
            headers["Request-ID"] = secrets.token_hex(16)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            payload = body.encode()
            if data is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, data):
            self._bytes(status, json.dumps(data, ensure_ascii=False).encode(),
                        "application/json; charset=utf-8")

        def _bytes(self, status: int, payload: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _redirect(self, location: str):
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as file:
        config = json.load(file)
    service = Service(config, f"http://127.0.0.1:{args.port}")
    ThreadingHTTPServer(("127.0.0.1", args.port), handler(service)).serve_forever()


if __name__ == "__main__":
    main()
