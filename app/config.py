"""Configuration from the environment, with defaults that work on a laptop."""

import base64
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHANLIN_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _pairs(value: str) -> dict[str, str]:
    """"a=1,b=2" -> {"a": "1", "b": "2"}."""
    pairs = (item.partition("=") for item in value.split(",") if item.strip())
    return {key.strip(): code.strip() for key, _eq, code in pairs}


def _kept(name: str, make) -> str:
    """A key from the environment variable `name`; otherwise one made once and kept in var/
    (a laptop or the demo keeps working across restarts; a deployment sets its own)."""
    if key := os.environ.get(name):
        return key
    path = VAR_DIR / name.lower()
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _text_or_file(name: str) -> str | None:
    """The variable's value, or the contents of the file named by NAME_FILE (a PEM key)."""
    if value := os.environ.get(name):
        return value
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text()
    return None


class Config:
    def __init__(self) -> None:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        self.SECRET_KEY = _kept("SECRET_KEY", lambda: secrets.token_urlsafe(48))
        # 32 bytes, urlsafe base64: the AES-GCM key of the private data of the people helped
        # (app/privacy.py). Losing it loses that data: back it up apart from the database.
        self.DATA_KEY = _kept("DATA_KEY", lambda: base64.urlsafe_b64encode(
            secrets.token_bytes(32)).decode())
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{VAR_DIR / 'shanlin.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # The role that owns the tables runs migrations; the app itself may connect as a
        # role that does not own them, so PostgreSQL row-level security applies to it.
        self.MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL")

        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.PERMANENT_SESSION_LIFETIME = 60 * 60 * 12

        # Uploads (statements, evidence) are refused above this before any view reads them.
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; phones stay open for days

        self.BABEL_DEFAULT_LOCALE = "zh_Hans"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_Hans", "en"]

        redis_url = os.environ.get("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = redis_url or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        # Codes by SMS (app/notify/codes.py): tries per mobile number, from any machine
        self.PHONE_CODE_RATE_LIMIT = os.environ.get("PHONE_CODE_RATE_LIMIT",
                                                    "10 per 10 minutes;30 per day")
        # How many reverse proxies stand in front (nginx: 1). Their X-Forwarded-For and
        # -Proto are then believed, so rate limits count each client, not the proxy. 0 believes
        # no such header: never set it higher than the proxies really there (spoofing).
        self.PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

        # Background jobs (app/jobs): huey with a SQLite file in var/ by default, Redis when
        # HUEY_URL or REDIS_URL is set. HUEY_IMMEDIATE runs each job at once, in-process (tests).
        self.HUEY_NAME = os.environ.get("HUEY_NAME", "shanlin")
        self.HUEY_URL = os.environ.get("HUEY_URL") or redis_url
        self.HUEY_FILE = Path(os.environ.get("HUEY_FILE", VAR_DIR / "huey.db"))
        self.HUEY_IMMEDIATE = _flag("HUEY_IMMEDIATE", False)
        self.JOBS_DIR = Path(os.environ.get("JOBS_DIR", VAR_DIR / "jobs"))
        # A running job's worker says it is alive this often; a job silent for longer than
        # JOBS_STALE_SECONDS lost its worker (killed, out of memory) and is queued again.
        self.JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "10"))
        self.JOBS_STALE_SECONDS = float(os.environ.get("JOBS_STALE_SECONDS", "60"))

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
        # Where the public reaches this site. Every link that leaves it (emails, a receipt's QR
        # code) is built on it by app.urls.external_url, never on a request's Host header,
        # which whoever sends the request chooses. `make run` sets it from PORT.
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "善邻 Shanlin <no-reply@shanlin.local>")
        self.OUTBOX_DIR = Path(os.environ.get("OUTBOX_DIR", VAR_DIR / "outbox"))

        # Notices by SMS (app/notify/sms.py: Tencent Cloud SMS), per deployment. Without the
        # secret id, key and app id, notices to mobile numbers are written to the log instead.
        # SMS_TEMPLATES names the approved template of each notice, e.g.
        # "vote_opened=1234567,vote_reminder=1234568"; SMS_ENDPOINT points the SDK at another
        # server (http://127.0.0.1:PORT: the tests' fake endpoint).
        self.SMS_SECRET_ID = os.environ.get("SMS_SECRET_ID")
        self.SMS_SECRET_KEY = os.environ.get("SMS_SECRET_KEY")
        self.SMS_SDK_APP_ID = os.environ.get("SMS_SDK_APP_ID")
        self.SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "善邻")
        self.SMS_TEMPLATES = _pairs(os.environ.get("SMS_TEMPLATES", ""))
        self.SMS_REGION = os.environ.get("SMS_REGION", "ap-guangzhou")
        self.SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT")
        # SMS cost money and a flood is harassment: at most this many a day to one number.
        self.NOTICE_SMS_PER_DAY = int(os.environ.get("NOTICE_SMS_PER_DAY", "10"))
        # 待我处理 on the overview and home page, and its count in the header. Off only to
        # measure what it costs (make bench: the overview with it against without it).
        self.TODO_LIST = _flag("TODO_LIST", True)

        # scrypt by default; the test suite may choose a cheaper one.
        self.PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))
        # Online card gifts through Stripe (per deployment). STRIPE_API_BASE points the SDK at
        # another server, e.g. localstripe in the tests.
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
        self.STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
        # WeChat Pay (API v3) and Alipay for the host charity's merchant account, which serves
        # all its funds (app/payments). Keys are PEM text, or read from the file named by the
        # same variable with _FILE. WeChat Pay in public-key mode: WECHATPAY_PUBLIC_KEY(_ID)
        # is the platform public key shown in the merchant platform. WECHAT_APP_SECRET (the
        # official account's) enables JSAPI inside WeChat (the donor's openid) and the JS-SDK
        # share card. The *_API_BASE / ALIPAY_GATEWAY / WECHAT_*_BASE settings point the SDKs
        # at another server (the tests' local fakes).
        for name in ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY",
                     "WECHATPAY_CERT_SERIAL_NO", "WECHATPAY_PUBLIC_KEY_ID",
                     "WECHATPAY_API_BASE", "WECHAT_APP_SECRET", "WECHAT_OAUTH_BASE",
                     "WECHAT_API_BASE", "ALIPAY_APPID", "ALIPAY_GATEWAY"):
            setattr(self, name, os.environ.get(name))
        for name in ("WECHATPAY_PRIVATE_KEY", "WECHATPAY_PUBLIC_KEY", "ALIPAY_PRIVATE_KEY",
                     "ALIPAY_PUBLIC_KEY"):
            setattr(self, name, _text_or_file(name))
        # A township's host charity's own merchant accounts, WECHATPAY_<TOWNSHIP>_MCHID… and
        # ALIPAY_<TOWNSHIP>_APPID… (app/payments/credentials.py); others use the above.
        from app.payments.credentials import from_environment

        self.PAYMENT_TOWNSHIPS = from_environment()
        # Order numbers start with it (letters): deployments sharing a merchant never clash.
        self.PAYMENT_ORDER_PREFIX = os.environ.get("PAYMENT_ORDER_PREFIX", "SL")

        self.DEMO_RECEIPTS_PER_FUND = int(os.environ.get("DEMO_RECEIPTS_PER_FUND", "30"))
        self.DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "shanlin2026")
        self.DEMO_DONATIONS_PER_FUND = int(os.environ.get("DEMO_DONATIONS_PER_FUND", "2500"))
