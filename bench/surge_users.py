"""make load's giving surge, as locust users (bench/surge.py runs them): donors who give to one
campaign through the payment fakes, and readers who keep the campaign page open.

The plan (JSON, named by LOAD_PLAN) gives the campaign, its villages (fund, slug,
designation), the fakes' addresses, how many donors arrive and over how many seconds.

A donor arrives on schedule (donor i at i × seconds / donors after the start), opens the
campaign page, taps a village's Give button, posts the donate form (WeChat Pay Native from a
computer, or Alipay wap from a phone, about 7 in 10 by WeChat) and pays at the fake, whose
signed notification reaches the app before the fake answers; then comes back to the status
page. Each donor has an address of their own (X-Forwarded-For, believed through
PROXY_FIX_HOPS=1), as phones on a giving day do, so the donate form's per-address limit
counts each donor. A reader opens the page, then refreshes its live part as htmx does, and
now and then reloads the whole page.
"""

import json
import os
import random
import re
import time
from itertools import count
from urllib.parse import parse_qs, urlsplit

import gevent
from locust import HttpUser, between, constant, task
from locust.exception import StopUser

from bench.browser import check, form

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
START = time.time() + 2  # the donors' schedule, from a moment after locust has started
_donors = count()
_given = count(1)  # donors done, paid or not
_readers = count()
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
STATUS = re.compile(r"/donate/(\d+)/status")


def _address(n: int, base: int) -> str:
    return f"10.{base}.{n // 250 % 250}.{n % 250 + 1}"


class Donor(HttpUser):
    """One donor after another, each on schedule; the user stops when all have given."""

    fixed_count = PLAN["donor_users"]
    wait_time = constant(0)

    @task
    def give(self):
        n = next(_donors)
        if n >= PLAN["donors"]:
            raise StopUser()
        try:
            self._give(n)
        finally:
            # The surge ends with its last donor, readers and all: the time limit locust is
            # given (bench/surge.py's TAIL) is for a machine too slow to get there.
            if next(_given) == PLAN["donors"]:
                gevent.spawn(self.environment.runner.quit)

    def _give(self, n: int):
        gevent.sleep(max(0.0, START + n * PLAN["seconds"] / PLAN["donors"] - time.time()))
        rng = random.Random(PLAN["seed"] + n)  # the same donors in every run of a size
        wechat = rng.random() < 0.7
        agent = DESKTOP if wechat else PHONE
        headers = {"User-Agent": agent, "X-Forwarded-For": _address(n, 1)}
        village = rng.choice(PLAN["villages"])
        campaign = f"/campaigns/{PLAN['campaign']}"
        with self.client.get(
            campaign, headers=headers, name="campaign page", catch_response=True
        ) as page:
            if not check(page, 200):
                return
        donate = f"/f/{village['slug']}/donate"
        with self.client.get(
            f"{donate}?designation={village['designation']}",
            headers=headers,
            name="donate page",
            catch_response=True,
        ) as page:
            if not check(page, 200):
                return
        data = form(page.text, id="donate-form")
        # A pool of returning donors: the per-donor daily cap of the match has work to do.
        who = rng.randrange(max(PLAN["donors"] * 2 // 3, 1))
        data.update(
            amount="other",
            other_amount=str(rng.choice((20, 50, 100, 200, 300, 500, 800, 1000))),
            name=f"乡亲{who}",
            phone=f"139{who:08d}",
            anonymity="show",
            designation=str(village["designation"]),
            method="wechatpay" if wechat else "alipay",
        )
        kind = "WeChat Pay" if wechat else "Alipay"
        with self.client.post(
            donate,
            data=data,
            headers=headers,
            name=f"order ({kind})",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if not check(response, 200 if wechat else 302):
                return
        if wechat:
            found = STATUS.search(response.text)
            if found is None:
                return response.failure("no status link on the pay page")
            donation = found.group(1)
            number = f"{PLAN['prefix']}F{village['fund']}D{village['designation']}N{donation}"
            fake = PLAN["wechatpay"]
        else:
            cashier = response.headers.get("Location", "")
            query = parse_qs(urlsplit(cashier).query)
            number = json.loads(query["biz_content"][0])["out_trade_no"]
            donation = number.rpartition("N")[2]
            with self.client.get(
                cashier, name="Alipay cashier (the fake)", catch_response=True
            ) as page:
                if not check(page, 200):
                    return
            fake = PLAN["alipay"]
        # The payer pays; the fake's signed notification is answered by the app before the
        # fake answers here, so this time includes the app's booking of it.
        with self.client.post(
            f"{fake}/_fake/pay",
            json={"out_trade_no": number},
            name=f"pay + notification ({kind})",
            catch_response=True,
        ) as paid:
            if not check(paid, 200):
                return
        with self.client.get(
            f"{donate}/{donation}/status", headers=headers, name="status page", catch_response=True
        ) as page:
            if check(page, 200) and "hx-trigger" in page.text:
                page.failure("the gift still pending after its notification")


class Reader(HttpUser):
    """Someone with the campaign page open on their phone during the giving day."""

    fixed_count = PLAN["readers"]
    wait_time = between(2, 6)

    def on_start(self):
        self.headers = {"User-Agent": PHONE, "X-Forwarded-For": _address(next(_readers), 2)}
        self.url = f"/campaigns/{PLAN['campaign']}"
        with self.client.get(
            self.url, headers=self.headers, name="campaign page", catch_response=True
        ) as page:
            check(page, 200)

    @task(7)
    def refresh(self):
        with self.client.get(
            self.url,
            headers={**self.headers, **HTMX},
            name="campaign page, htmx refresh",
            catch_response=True,
        ) as page:
            if check(page, 200) and 'id="live"' not in page.text:
                page.failure("no live part")

    @task(3)
    def reload(self):
        with self.client.get(
            self.url, headers=self.headers, name="campaign page", catch_response=True
        ) as page:
            check(page, 200)
