"""Issue 18's figures: a donor's order (the donate form's POST: a pending gift, and for WeChat
Pay the SDK's signed call to the gateway and its signed answer) and the gateway's payment
notification (verified, decrypted, booked), for WeChat Pay and Alipay against the local fakes
(tests/fake_wechatpay.py, tests/fake_alipay.py) as processes of their own; each beside a
plain page render and the donate page in the same run. Goal: each within 2× of a page render,
read as the donate page's GET: the same URL, fund, session and layout; the bare 50-row table
every table starts with does none of that (its ratio is printed too).

A WeChat order's figure includes the round trip to the fake on loopback (its signature check
and its signing of the answer): a real gateway adds its network time on top, which is the
donor's wait, not the server's work.

Under each figure, the part of it spent in COMMIT: the database making the gift or its booking
durable (SQLite's fsync of its WAL, PostgreSQL's of its own), which no render of a page pays;
and one RSA-2048 signature alone, as the app makes one for every order."""

import json
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from app.donations.models import Donation
from app.extensions import db
from tenants import SYSTEM, using
from tests import fake_process

from .common import (
    N,
    add_plain_page,
    bench_app,
    demo_and_new_fund,
    loading,
    print_header,
    print_row,
    time_requests,
)

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
FORM = {"amount": "100", "name": "周慧敏", "phone": "13812340001", "anonymity": "show",
        "designation": "0"}


def _call(base: str, path: str, data=None):
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(f"{base}{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _fakes(folder: Path):
    """Both fakes running, and the settings that point the app at them."""
    wx_private, wx_public = fake_process.key_pair()
    ali_private, ali_public = fake_process.key_pair()
    (folder / "wx").mkdir()
    (folder / "ali").mkdir()
    wx = fake_process.start("fake_wechatpay.py", {
        "mchid": "1900000109", "appid": "wx8888888888888888",
        "apiv3_key": "shanlin-bench-apiv3-key-32bytes!", "merchant_public_key": wx_public,
        "merchant_serial_no": "BENCH", "app_secret": "bench"}, folder / "wx")
    ali = fake_process.start("fake_alipay.py", {"appid": "2021000000000009",
                                                "app_public_key": ali_public}, folder / "ali")
    wx_keys, ali_keys = _call(wx[1], "/_fake/keys"), _call(ali[1], "/_fake/keys")
    settings = {
        "WECHATPAY_MCHID": "1900000109", "WECHATPAY_APPID": "wx8888888888888888",
        "WECHATPAY_APIV3_KEY": "shanlin-bench-apiv3-key-32bytes!",
        "WECHATPAY_PRIVATE_KEY": wx_private, "WECHATPAY_CERT_SERIAL_NO": "BENCH",
        "WECHATPAY_PUBLIC_KEY": wx_keys["public_key"],
        "WECHATPAY_PUBLIC_KEY_ID": wx_keys["public_key_id"], "WECHATPAY_API_BASE": wx[1],
        "ALIPAY_APPID": "2021000000000009", "ALIPAY_PRIVATE_KEY": ali_private,
        "ALIPAY_PUBLIC_KEY": ali_keys["public_key"], "ALIPAY_GATEWAY": f"{ali[1]}/gateway.do"}
    return wx, ali, settings


@contextmanager
def _commits(app):
    """A list that gathers how long each COMMIT the app's database connections make takes."""
    with app.app_context():
        dialect = db.engine.dialect
    spent, commit = [], dialect.do_commit

    def timed(connection):
        start = time.perf_counter()
        commit(connection)
        spent.append((time.perf_counter() - start) * 1000)

    dialect.do_commit = timed
    try:
        yield spent
    finally:
        del dialect.do_commit  # the dialect's own method again


def _timed(n: int, prepare, act, commits: list) -> tuple[list[float], list[float]]:
    """n timings of act(prepare()), prepare untimed, after a warm-up of five; and the time
    each act spent in COMMIT (commits: what _commits gathers)."""
    spent, committing = [], []
    for i in range(n + 5):
        ready = prepare()
        commits.clear()
        start = time.perf_counter()
        act(ready)
        if i >= 5:
            spent.append((time.perf_counter() - start) * 1000)
            committing.append(sum(commits))
    return spent, committing


def _rows(label: str, timings: tuple[list[float], list[float]], page: float,
          plain: float) -> None:
    """The figure against the donate page (the goal's page render), its COMMIT, and its
    ratio to the bare plain page for comparison with the other tables."""
    spent, committing = timings
    p50 = print_row(label, spent, page)
    print_row("  of which COMMIT (the durable write)", committing, page)
    print(f"  {'  × the plain page (no session, fund or layout)':<76}{p50 / plain:>10.1f}")


def _signing(private_pem: str) -> list[float]:
    """Timings of one RSA-2048 signature (SHA256withRSA, OpenSSL) of an order-sized text."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    text = json.dumps({**FORM, "notify_url": "https://example.org/" + "n" * 60}).encode() * 3
    spent = []
    for _ in range(N):
        start = time.perf_counter()
        key.sign(text, padding.PKCS1v15(), hashes.SHA256())
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def run(kind: str) -> None:
    with tempfile.TemporaryDirectory(prefix="shanlin-bench-fakes-") as folder:
        wx, ali, settings = _fakes(Path(folder))
        try:
            _run(kind, settings, wx[1], ali[1])
        finally:
            fake_process.stop(wx[0], wx[2])
            fake_process.stop(ali[0], ali[2])


def _newest_order(app) -> str:
    with app.app_context(), using(SYSTEM):
        ref = db.session.scalar(select(Donation.gateway_ref).order_by(Donation.id.desc()))
        db.session.remove()
        return ref


def _run(kind: str, settings: dict, wx_base: str, ali_base: str) -> None:
    with bench_app(kind, {**settings, "PUBLIC_URL": "http://127.0.0.1:9"}) as app, \
            _commits(app) as commits:
        with loading(app):
            demo_and_new_fund(app.config["DEMO_PASSWORD"])
        plain = add_plain_page(app)
        client = app.test_client()
        print_header(f"Giving by WeChat Pay and Alipay through their SDKs and local fakes, {kind}")
        base = print_row("plain page, 50 rows", time_requests(client, plain))
        # The goal's "plain page render": a page of the app as the donor gets it, the same
        # URL's GET (session, fund, access, layout), which every order and booking pays too.
        page = print_row("the donate page (GET; baseline of the goals)",
                         time_requests(client, "/f/donggangcun/donate"), base)
        print_row("one RSA-2048 signature alone", _signing(settings["WECHATPAY_PRIVATE_KEY"]), base)

        def order(method, agent):
            def act(_=None):
                response = client.post("/f/donggangcun/donate", headers={"User-Agent": agent},
                                       data={**FORM, "method": method})
                assert response.status_code in (200, 302), response.get_data(as_text=True)
                return response
            return act

        _rows("WeChat Pay order, Native (≤ 2× the page)",
              _timed(N, lambda: None, order("wechatpay", DESKTOP), commits), page, base)
        _rows("Alipay order, wap (≤ 2× the page)",
              _timed(N, lambda: None, order("alipay", PHONE), commits), page, base)

        def wechat_notification():
            order("wechatpay", DESKTOP)()
            _call(wx_base, "/_fake/pay", {"out_trade_no": _newest_order(app), "notify": False})
            return _call(wx_base, "/_fake/held")[-1]

        def alipay_notification():
            cashier = order("alipay", PHONE)().location
            urllib.request.urlopen(cashier, timeout=30).close()  # the fake opens the trade
            _call(ali_base, "/_fake/pay", {"out_trade_no": _newest_order(app), "notify": False})
            return _call(ali_base, "/_fake/held")[-1]

        def post_wechat(held):
            response = client.post("/payments/wechatpay/webhook", data=held["body"].encode(),
                                   headers=held["headers"], content_type="application/json")
            assert response.get_json()["outcome"] == "confirmed", response.get_json()

        def post_alipay(held):
            response = client.post("/payments/alipay/webhook", data=urlencode(held["params"]),
                                   content_type="application/x-www-form-urlencoded")
            assert response.get_data() == b"success", response.get_data()

        n = max(N // 2, 20)  # each needs an order and a payment first
        _rows("WeChat Pay payment notification (≤ 2× the page)",
              _timed(n, wechat_notification, post_wechat, commits), page, base)
        _rows("Alipay payment notification (≤ 2× the page)",
              _timed(n, alipay_notification, post_alipay, commits), page, base)
