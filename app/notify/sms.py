"""The SMS channel: Tencent Cloud SMS (SendSms, API version 2021-01-11) through its own SDK.

Why Tencent Cloud's SDK rather than Alibaba Cloud's: it needs only ``requests`` (Alibaba's
pulls in eleven packages: tea, darabonba, credentials, APScheduler, aiofiles...), it is plain
synchronous code a huey worker can run, and its signature is forty lines one can read
(tencentcloud/common/abstract_client.py, ``_build_req_with_tc3_signature``): TC3-HMAC-SHA256
over "POST", "/", the content-type and host headers and the SHA-256 of the JSON body, with a
key derived from "TC3" + the secret key, the UTC date and "sms"; the time goes in
X-TC-Timestamp, and the service refuses a request more than five minutes old. It posts to
https://sms.tencentcloudapi.com/ unless SMS_ENDPOINT names another server (the tests' fake
endpoint, over http on loopback).

The service sends an approved template filled with parameters, never free text: each notice
template (app/notify/messages.py) needs its template id in SMS_TEMPLATES, and the sign name
(SMS_SIGN_NAME) must be approved too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models
from tencentcloud.sms.v20210111.sms_client import SmsClient

TIMEOUT = 15  # seconds; a worker waits no longer for the service
# Per-number answers that another attempt may change; any other code (a wrong number, a
# number on the blacklist, a template not approved) stays as it is.
PASSING = ("LimitExceeded", "InternalError", "FailedOperation.FailResolvePacket")


class SmsError(Exception):
    """The service (or the way to it) refused: its code, its words, and whether to try again."""

    def __init__(self, code: str, message: str, passing: bool):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.passing = passing


def configured(config=None) -> bool:
    """Are this deployment's SMS account and sign name set? Otherwise SMS notices go to the
    log channel."""
    config = config or current_app.config
    return all(config.get(key) for key in ("SMS_SECRET_ID", "SMS_SECRET_KEY", "SMS_SDK_APP_ID",
                                           "SMS_SIGN_NAME"))


def template_id(key: str, config=None) -> str | None:
    """The provider's id of the approved template for this notice template, if there is one."""
    config = config or current_app.config
    return (config.get("SMS_TEMPLATES") or {}).get(key)


def unregistered(keys, config=None) -> list[str]:
    """Of these notice templates, those without a template id here: their notices to mobile
    numbers go by email, or only to the log."""
    return [key for key in keys if not template_id(key, config)]


def ready(key: str) -> bool:
    """Can a notice of this template go by SMS here?"""
    return configured() and bool(template_id(key))


def send(phone: str, key: str, params: list[str]) -> str:
    """Send one message to a mainland mobile number (11 digits); the provider's serial number.
    Raises SmsError."""
    config = current_app.config
    request = models.SendSmsRequest()
    request.PhoneNumberSet = ["+86" + phone]
    request.SmsSdkAppId = config["SMS_SDK_APP_ID"]
    request.SignName = config["SMS_SIGN_NAME"]
    request.TemplateId = template_id(key)
    request.TemplateParamSet = [str(value) for value in params]
    try:
        response = _client(config).SendSms(request)
    except TencentCloudSDKException as error:
        # Refused as a whole: a wrong key, a stale clock, the network. A key put right or the
        # network back, a later attempt goes through.
        raise SmsError(error.get_code() or "ClientError", error.get_message() or "",
                       passing=True) from error
    [status] = response.SendStatusSet
    if status.Code != "Ok":
        raise SmsError(status.Code, status.Message or "",
                       passing=status.Code.startswith(PASSING))
    return status.SerialNo or ""


def _client(config) -> SmsClient:
    endpoint = urlsplit(config.get("SMS_ENDPOINT") or "https://sms.tencentcloudapi.com")
    profile = ClientProfile(httpProfile=HttpProfile(
        protocol=endpoint.scheme, endpoint=endpoint.netloc, reqTimeout=TIMEOUT))
    credential = Credential(config["SMS_SECRET_ID"], config["SMS_SECRET_KEY"])
    return SmsClient(credential, config.get("SMS_REGION") or "ap-guangzhou", profile)
