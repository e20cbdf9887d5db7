"""A local stand-in for Alipay's open platform gateway (gateway.do), run as a process of its own:

    python tests/fake_alipay.py --port 8125 --config alipay.json

The config names the merchant's app (appid) and its public key. The fake holds Alipay's RSA
key pair, made at start: GET /_fake/keys gives the public key, as the open platform shows it.

It checks every call as Alipay does: the RSA2 signature (SHA256withRSA) over every parameter
but sign, sorted by name and joined as k=v&k=v with the values decoded, verified with the
app's public key; the app_id, sign_type RSA2, charset utf-8, version 1.0, a timestamp within
fifteen minutes and the method's business parameters. A server call's answer is
{"<method>_response": {...}, "sign": "..."}, signed over the exact text of the response
object, as the SDK checks; a business refusal answers code 40004 with a sub_code.

Methods: alipay.trade.wap.pay and alipay.trade.page.pay (the browser is sent here: a cashier
page whose button pays, notifies and returns to return_url with signed parameters),
alipay.trade.query, alipay.trade.close, alipay.trade.refund and
alipay.trade.fastpay.refund.query. The asynchronous notification is a form POST to
notify_url, signed over every parameter but sign and sign_type with Alipay's key; anything
but the answer "success" makes it send again (POST /_fake/deliver). A refund's notification
(refund_fee: the trade's refunded total, gmt_refund, out_biz_no) follows a moment after the
refund call is answered.

The tests' controls (no signature): POST /_fake/pay {"out_trade_no", "amount" (yuan paid, when
it should differ), "notify": false}, POST /_fake/deliver, POST /_fake/expire
{"out_trade_no"}, GET /_fake/notifications (sent), GET /_fake/held (waiting), GET /_fake/orders,
DELETE /_fake/state.
"""

import argparse
import base64
import json
import secrets
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAX_SKEW = timedelta(minutes=15)
REFUND_DELAY = 0.3
PAY_METHODS = ("alipay.trade.wap.pay", "alipay.trade.page.pay")
PRODUCT_CODES = {"alipay.trade.wap.pay": "QUICK_WAP_PAY",
                 "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY"}


class Refused(Exception):
    def __init__(self, code: str, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(sub_msg or msg)
        self.answer = {"code": code, "msg": msg}
        if sub_code:
            self.answer.update(sub_code=sub_code, sub_msg=sub_msg)


def business(sub_code: str, sub_msg: str) -> Refused:
    return Refused("40004", "Business Failed", sub_code, sub_msg)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(text) -> int:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise business("ACQ.INVALID_PARAMETER", "金额格式不正确") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise business("ACQ.INVALID_PARAMETER", "金额格式不正确")
    return int(value * 100)


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def unsigned_string(params: dict, leave_out=("sign",)) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items())
                    if k not in leave_out and v != "")


class Service:
    def __init__(self, config: dict, base: str):
        self.config = config
        self.base = base
        self.app_key = serialization.load_pem_public_key(config["app_public_key"].encode())
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.trades: dict[str, dict] = {}
            self.refunds: dict[tuple[str, str], dict] = {}
            self.sent: list[dict] = []
            self.held: list[tuple[str, dict]] = []

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, text: str) -> str:
        return base64.b64encode(self.key.sign(text.encode(), padding.PKCS1v15(),
                                              hashes.SHA256())).decode()

    def check(self, params: dict) -> dict:
        """The business parameters of a call the app signed, or Refused."""
        for name in ("app_id", "method", "charset", "sign_type", "sign", "timestamp",
                     "version"):
            if not params.get(name):
                raise Refused("40001", "Missing Required Arguments", f"isv.missing-{name}",
                              f"缺少参数{name}")
        if params["app_id"] != self.config["appid"]:
            raise Refused("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数")
        if params["sign_type"] != "RSA2" or params["charset"] != "utf-8" or \
                params["version"] != "1.0":
            raise Refused("40002", "Invalid Arguments", "isv.invalid-signature-type",
                          "签名类型、字符集或版本不正确")
        try:
            sent = datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise Refused("40002", "Invalid Arguments", "isv.invalid-timestamp",
                          "非法的时间戳参数") from None
        if abs(datetime.now() - sent) > MAX_SKEW:
            raise Refused("40002", "Invalid Arguments", "isv.invalid-timestamp",
                          "时间戳参数与服务器时间相差过大")
        try:
            self.app_key.verify(base64.b64decode(params["sign"]),
                                unsigned_string(params).encode(), padding.PKCS1v15(),
                                hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise Refused("40002", "Invalid Arguments", "isv.invalid-signature",
                          "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配") from None
        try:
            return json.loads(params.get("biz_content") or "{}")
        except ValueError:
            raise business("ACQ.INVALID_PARAMETER", "biz_content不是JSON") from None

    # ---- trades -------------------------------------------------------------------------

    def open_trade(self, method: str, params: dict, biz: dict) -> dict:
        out_trade_no = biz.get("out_trade_no") or ""
        if not out_trade_no or len(out_trade_no) > 64 or \
                not out_trade_no.replace("_", "").isalnum():
            raise business("ACQ.INVALID_PARAMETER", "out_trade_no不合法")
        if biz.get("product_code") != PRODUCT_CODES[method] or not biz.get("subject"):
            raise business("ACQ.INVALID_PARAMETER", "product_code或subject不正确")
        total = _fen(biz.get("total_amount"))
        with self.lock:
            trade = self.trades.get(out_trade_no)
            if trade is not None:
                if trade["status"] != "WAIT_BUYER_PAY":
                    raise business("ACQ.TRADE_HAS_SUCCESS" if trade["paid"]
                                   else "ACQ.TRADE_HAS_CLOSE", "交易已支付或已关闭")
                if trade["total"] != total:
                    raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                return trade
            trade = self.trades[out_trade_no] = {
                "out_trade_no": out_trade_no, "subject": biz["subject"], "total": total,
                "method": method, "notify_url": params.get("notify_url", ""),
                "return_url": params.get("return_url", ""),
                "passback_params": biz.get("passback_params", ""), "status": "WAIT_BUYER_PAY",
                "trade_no": None, "paid": None, "gmt_create": _now(), "gmt_payment": None,
                "refunded": 0}
        return trade

    def _trade(self, biz: dict) -> dict:
        for trade in self.trades.values():
            if biz.get("out_trade_no") == trade["out_trade_no"] or \
                    (biz.get("trade_no") and biz.get("trade_no") == trade["trade_no"]):
                return trade
        raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")

    def trade_fields(self, trade: dict) -> dict:
        fields = {"out_trade_no": trade["out_trade_no"], "trade_status": trade["status"],
                  "total_amount": _yuan(trade["total"])}
        if trade["trade_no"]:
            fields.update(trade_no=trade["trade_no"], buyer_logon_id="don***@example.cn",
                          buyer_user_id="2088102177846880", buyer_pay_amount=_yuan(
                              trade["paid"]), receipt_amount=_yuan(trade["paid"]),
                          send_pay_date=trade["gmt_payment"])
        return fields

    def pay(self, out_trade_no: str, paid_yuan=None, notify: bool = True) -> dict:
        with self.lock:
            trade = self._trade({"out_trade_no": out_trade_no})
            if trade["status"] != "WAIT_BUYER_PAY":
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade.update(status="TRADE_SUCCESS", gmt_payment=_now(),
                         trade_no=datetime.now().strftime("%Y%m%d")
                         + "2200" + str(secrets.randbelow(10 ** 16)).zfill(16),
                         paid=_fen(paid_yuan) if paid_yuan is not None else trade["total"])
            params = self._notice(trade, total_amount=_yuan(trade["paid"]))
        self.notify(trade["notify_url"], params, hold=not notify)
        return self.trade_fields(trade)

    def query(self, biz: dict) -> dict:
        with self.lock:
            return {"code": "10000", "msg": "Success", **self.trade_fields(self._trade(biz))}

    def close(self, biz: dict) -> dict:
        with self.lock:
            trade = self._trade(biz)
            if trade["status"] != "WAIT_BUYER_PAY":
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade["status"] = "TRADE_CLOSED"
            return {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"]}

    def refund(self, biz: dict) -> dict:
        request_no = biz.get("out_request_no") or ""
        with self.lock:
            trade = self._trade(biz)
            if trade["status"] not in ("TRADE_SUCCESS", "TRADE_CLOSED") or not trade["paid"]:
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            amount = _fen(biz.get("refund_amount"))
            key = (trade["out_trade_no"], request_no or trade["out_trade_no"])
            known = self.refunds.get(key)
            if known is not None:
                if known["amount"] != amount:
                    raise business("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致")
                return {**known["answer"], "fund_change": "N"}  # the same request: once
            if trade["refunded"] + amount > trade["paid"]:
                raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade["refunded"] += amount
            if trade["refunded"] == trade["paid"]:
                trade["status"] = "TRADE_CLOSED"
            answer = {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                      "out_trade_no": trade["out_trade_no"],
                      "buyer_logon_id": "don***@example.cn", "fund_change": "Y",
                      "refund_fee": _yuan(trade["refunded"]), "gmt_refund_pay": _now(),
                      "buyer_user_id": "2088102177846880"}
            self.refunds[key] = {"amount": amount, "answer": answer}
            params = self._notice(trade, total_amount=_yuan(trade["paid"]),
                                  refund_fee=_yuan(trade["refunded"]), gmt_refund=_now(),
                                  out_biz_no=request_no)
        threading.Timer(REFUND_DELAY, self.notify, args=(trade["notify_url"], params)).start()
        return answer

    def refund_query(self, biz: dict) -> dict:
        with self.lock:
            trade = self._trade(biz)
            known = self.refunds.get((trade["out_trade_no"], biz.get("out_request_no") or ""))
            answer = {"code": "10000", "msg": "Success", "out_trade_no": trade["out_trade_no"],
                      "trade_no": trade["trade_no"]}
            if known:
                answer.update(out_request_no=biz["out_request_no"],
                              refund_amount=_yuan(known["amount"]),
                              total_amount=_yuan(trade["total"]), refund_status="REFUND_SUCCESS")
            return answer

    # ---- notifications ------------------------------------------------------------------

    def _notice(self, trade: dict, **extra) -> dict:
        params = {
            "notify_time": _now(), "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16), "app_id": self.config["appid"],
            "auth_app_id": self.config["appid"], "charset": "utf-8", "version": "1.0",
            "sign_type": "RSA2", "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"], "buyer_id": "2088102177846880",
            "buyer_logon_id": "don***@example.cn", "seller_id": "2088101117955611",
            "seller_email": "host@example.cn", "trade_status": trade["status"],
            "receipt_amount": _yuan(trade["paid"]), "invoice_amount": _yuan(trade["paid"]),
            "buyer_pay_amount": _yuan(trade["paid"]), "point_amount": "0.00",
            "subject": trade["subject"], "gmt_create": trade["gmt_create"],
            "gmt_payment": trade["gmt_payment"], "passback_params": trade["passback_params"],
            "fund_bill_list": json.dumps([{"amount": _yuan(trade["paid"]),
                                           "fundChannel": "ALIPAYACCOUNT"}]),
            **extra}
        params = {k: v for k, v in params.items() if v not in ("", None)}
        params["sign"] = self.sign(unsigned_string(params, ("sign", "sign_type")))
        return params

    def notify(self, url: str, params: dict, hold: bool = False) -> None:
        if hold:
            with self.lock:
                self.held.append((url, params))
            return
        self.send(url, params)

    def send(self, url: str, params: dict) -> int:
        body = urlencode(params).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, answer = 0, str(error)
        with self.lock:
            self.sent.append({"url": url, "body": body.decode(), "params": params,
                              "status": status, "answer": answer})
            if answer.strip() != "success":  # anything else: Alipay sends it again later
                self.held.append((url, params))
        return status

    def deliver(self) -> list[int]:
        with self.lock:
            held, self.held = self.held, []
        return [self.send(*item) for item in held]

    def returned(self, trade: dict) -> str:
        """The return_url with the signed synchronous parameters Alipay adds."""
        params = {"charset": "utf-8", "out_trade_no": trade["out_trade_no"],
                  "method": trade["method"] + ".return", "total_amount": _yuan(trade["total"]),
                  "trade_no": trade["trade_no"] or "", "auth_app_id": self.config["appid"],
                  "version": "1.0", "app_id": self.config["appid"], "sign_type": "RSA2",
                  "seller_id": "2088101117955611", "timestamp": _now()}
        params["sign"] = self.sign(unsigned_string(params, ("sign", "sign_type")))
        joiner = "&" if "?" in trade["return_url"] else "?"
        return f"{trade['return_url']}{joiner}{urlencode(params)}"


CASHIER = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>支付宝收银台</title></head><body>
<h1>支付宝（本地模拟）</h1><p>{subject}</p><p>¥{amount}</p>
<form method="post" action="/_fake/cashier"><input type="hidden" name="out_trade_no"
 value="{out_trade_no}"><button type="submit">确认付款</button></form></body></html>"""


def handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive as the real gateway's HTTP/1.1 (every answer has a Content-Length),
        # so a client that keeps its connection pays no new handshake per call; headers
        # and body go out as separate writes, which Nagle's algorithm would hold ~40 ms.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self):
            self._route("GET", b"")

        def do_POST(self):
            self._route("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_DELETE(self):
            service.reset()
            self._send(200, b"{}", "application/json")

        def _route(self, method: str, raw: bytes):
            path, _, query = self.path.partition("?")
            if path == "/gateway.do":
                params = dict(parse_qsl(query, keep_blank_values=True))
                if method == "POST" and raw:
                    params.update(parse_qsl(raw.decode(), keep_blank_values=True))
                return self._gateway(params)
            if path.startswith("/_fake/"):
                return self._control(method, path, raw)
            self._send(404, b"not found", "text/plain")

        def _gateway(self, params: dict):
            api = params.get("method", "")
            response_key = api.replace(".", "_") + "_response"
            try:
                biz = service.check(params)
                if api in PAY_METHODS:
                    trade = service.open_trade(api, params, biz)
                    page = CASHIER.format(subject=escape(trade["subject"]),
                                          amount=_yuan(trade["total"]),
                                          out_trade_no=escape(trade["out_trade_no"]))
                    return self._send(200, page.encode(), "text/html; charset=utf-8")
                answers = {"alipay.trade.query": service.query,
                           "alipay.trade.close": service.close,
                           "alipay.trade.refund": service.refund,
                           "alipay.trade.fastpay.refund.query": service.refund_query}
                if api not in answers:
                    raise Refused("40004", "Business Failed", "isv.invalid-method",
                                  "不存在的方法名")
                answer = answers[api](biz)
            except Refused as refused:
                if api in PAY_METHODS:
                    return self._send(400, f"<p>{escape(str(refused))}</p>".encode(),
                                      "text/html; charset=utf-8")
                answer = refused.answer
            content = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
            text = f'{{"{response_key}":{content},"sign":"{service.sign(content)}"}}'
            self._send(200, text.encode(), "text/html;charset=utf-8")  # as Alipay labels it

        def _control(self, method: str, path: str, raw: bytes):
            try:
                if path == "/_fake/cashier":  # the donor presses 确认付款 on the cashier page
                    out_trade_no = dict(parse_qsl(raw.decode()))["out_trade_no"]
                    service.pay(out_trade_no)
                    with service.lock:
                        location = service.returned(service.trades[out_trade_no])
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                data = json.loads(raw) if raw else {}
                if path == "/_fake/keys":
                    answer = {"public_key": service.public_pem()}
                elif path == "/_fake/pay":
                    answer = service.pay(data["out_trade_no"], data.get("amount"),
                                         data.get("notify", True))
                elif path == "/_fake/deliver":
                    answer = {"statuses": service.deliver()}
                elif path == "/_fake/expire":
                    answer = service.close(data)
                elif path == "/_fake/notifications":
                    with service.lock:
                        answer = list(service.sent)
                elif path == "/_fake/held":
                    with service.lock:
                        answer = [{"url": url, "params": params} for url, params in service.held]
                elif path == "/_fake/orders":
                    with service.lock:
                        answer = list(service.trades.values())
                else:
                    return self._send(404, b"not found", "text/plain")
            except Refused as refused:
                return self._send(400, json.dumps(refused.answer).encode(), "application/json")
            self._send(200, json.dumps(answer, ensure_ascii=False).encode(),
                       "application/json; charset=utf-8")

        def _send(self, status: int, payload: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

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
