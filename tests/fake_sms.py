"""A local stand-in for Tencent Cloud SMS (SendSms, API 2021-01-11), run as a process of its own:

    python tests/fake_sms.py --port 8123 --secret-id AKID... --secret-key ... --app-id 1400...

It checks each request as the service does: the TC3-HMAC-SHA256 signature recomputed from the
secret key it was given (canonical request of method, path, query, the signed headers and the
body's SHA-256; key derived from "TC3" + key, the credential's date and "sms"), the
credential's secret id, date and service, and the timestamp (no more than five minutes off).
A refusal answers like the service: HTTP 200 with {"Response": {"Error": {"Code", "Message"},
"RequestId"}}. Each number gets a SendStatus; an accepted message is kept, and
GET /messages lists them as JSON (DELETE /messages forgets them). It reaches no network.
"""

import argparse
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW = 300  # seconds, as the service allows
AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)"
    r"/tc3_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})")
MAINLAND = re.compile(r"\+861[3-9][0-9]{9}")


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class Service:
    def __init__(self, secret_id: str, secret_key: str, app_id: str):
        self.secret_id, self.secret_key, self.app_id = secret_id, secret_key, app_id
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    def check(self, method: str, path: str, headers, body: bytes) -> None:
        """Refused unless signed with our key, by our secret id, within five minutes."""
        match = AUTHORIZATION.fullmatch(headers.get("Authorization", ""))
        if match is None:
            raise Refused("AuthFailure.InvalidAuthorization", "Authorization is invalid.")
        if match["id"] != self.secret_id:
            raise Refused("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        try:
            timestamp = int(headers.get("X-TC-Timestamp", ""))
        except ValueError:
            raise Refused("AuthFailure.InvalidAuthorization",
                          "X-TC-Timestamp is invalid.") from None
        if abs(time.time() - timestamp) > MAX_SKEW:
            raise Refused("AuthFailure.SignatureExpire",
                          "Signature expired. Timestamp and server time cannot differ by more "
                          "than 5 minutes.")
        if match["date"] != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") \
                or match["service"] != "sms":
            raise Refused("AuthFailure.SignatureFailure", "The credential scope is invalid.")
        signed = match["headers"].split(";")
        if "host" not in signed or "content-type" not in signed:
            raise Refused("AuthFailure.SignatureFailure", "Host and Content-Type must be signed.")
        path, _q, query = path.partition("?")
        payload = ("UNSIGNED-PAYLOAD" if headers.get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD"
                   else hashlib.sha256(body).hexdigest())
        canonical = "\n".join([
            method, path, query,
            "".join(f"{name}:{(headers.get(name) or '').strip().lower()}\n" for name in signed),
            match["headers"], payload])
        string_to_sign = "\n".join([
            "TC3-HMAC-SHA256", str(timestamp), f"{match['date']}/sms/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest()])
        expected = signature(self.secret_key, match["date"], "sms", string_to_sign)
        if not hmac.compare_digest(expected, match["signature"]):
            raise Refused("AuthFailure.SignatureFailure",
                          "The provided credentials could not be validated. Please check your "
                          "signature is correct.")

    def send_sms(self, headers, params: dict) -> dict:
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            raise Refused("InvalidAction", "The action or version is not supported here.")
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not params.get(name):
                raise Refused("MissingParameter", f"The request is missing {name}.")
        if params["SmsSdkAppId"] != self.app_id:
            raise Refused("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        if not params.get("SignName"):
            raise Refused("MissingParameter", "The request is missing SignName.")
        statuses = []
        for phone in params["PhoneNumberSet"]:
            serial = uuid.uuid4().hex
            if MAINLAND.fullmatch(phone):
                code, message = "Ok", "send success"
                with self.lock:
                    self.messages.append({
                        "phone": phone, "sign": params["SignName"],
                        "template_id": params["TemplateId"],
                        "params": params.get("TemplateParamSet") or [],
                        "app_id": params["SmsSdkAppId"], "serial": serial})
            else:
                code, message = "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"
            statuses.append({"SerialNo": serial if code == "Ok" else "", "PhoneNumber": phone,
                             "Fee": 1 if code == "Ok" else 0, "SessionContext": "",
                             "Code": code, "Message": message, "IsoCode": "CN"})
        return {"SendStatusSet": statuses}


def handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                service.check("POST", self.path, self.headers, body)
                answer = service.send_sms(self.headers, json.loads(body or b"{}"))
            except Refused as refused:
                answer = {"Error": {"Code": refused.code, "Message": refused.message}}
            except ValueError:
                answer = {"Error": {"Code": "InvalidParameter", "Message": "The body is not JSON."}}
            self._json({"Response": {**answer, "RequestId": str(uuid.uuid4())}})

        def do_GET(self):
            if self.path != "/messages":
                self.send_error(404)
                return
            with service.lock:
                self._json(list(service.messages))

        def do_DELETE(self):
            with service.lock:
                service.messages.clear()
            self._json([])

        def _json(self, data) -> None:
            payload = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")  # exactly: the SDK checks it
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # quiet: the tests read /messages instead
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--app-id", required=True)
    args = parser.parse_args()
    service = Service(args.secret_id, args.secret_key, args.app_id)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(service))
    server.serve_forever()


if __name__ == "__main__":
    main()
