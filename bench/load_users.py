"""make load's locust users: committee members who vote and treasurers who record gifts.

Run by bench/load.py (locust -f bench/load_users.py, in its own process), which writes the
plan (logins, the motion, the funds) to the JSON file named by LOAD_PLAN. Every user behaves
like a browser: it opens each page, reads the form from the HTML (CSRF token included) and
posts it back. A response with an unexpected status is a failure named "5xx <status>" or
"unexpected <status>", so bench/load.py can count them per request kind.
"""

import json
import os
import random
import re
import time
from itertools import count

import gevent
from locust import HttpUser, between, task

from bench.browser import check as _check
from bench.browser import form

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_voters = iter(PLAN["voters"])
_treasurers = iter(PLAN["treasurers"])
_numbers = count(1)
CHOICES = ("yes", "no", "abstain")
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
END = time.time() + PLAN["seconds"]
_voted: set[str] = set()
_receipted: set[str] = set()
_ending = False


def _end_when_done(environment) -> None:
    """The run ends when its time is up, every member has voted and every treasurer has issued
    a receipt: the checks are about both kinds of work at once, and on a loaded machine a
    treasurer's six requests could all fall after the time. The time limit locust is given
    (bench/load.py's TAIL) is for a machine too slow to get there at all."""
    global _ending
    if (time.time() >= END and len(_voted) == len(PLAN["voters"])
            and len(_receipted) == len(PLAN["treasurers"]) and not _ending):
        _ending = True
        gevent.spawn(environment.runner.quit)


class Signed(HttpUser):
    abstract = True

    def sign_in(self, login: str) -> None:
        with self.client.get("/auth/login", name="sign-in page", catch_response=True) as page:
            if not _check(page, 200):
                return
        data = form(page.text, id="login-form")
        data.update(login=login, password=PLAN["password"])
        with self.client.post("/auth/login", data=data, name="sign in", allow_redirects=False,
                              catch_response=True) as response:
            _check(response, 302)


class Member(Signed):
    """A committee member on a phone: opens the motion, taps a choice, sometimes changes it."""

    fixed_count = len(PLAN["voters"])
    wait_time = between(1, 3)

    def on_start(self):
        self.who = next(_voters)
        self.choice = None
        self.sign_in(self.who["login"])

    @task
    def vote(self):
        try:
            self._vote()
        finally:
            _end_when_done(self.environment)

    def _vote(self):
        url = f"/f/{self.who['fund']}/motions/{self.who['motion']}"
        with self.client.get(url, name="motion page", catch_response=True) as page:
            if not _check(page, 200):
                return
        if self.choice is not None and random.random() > 0.3:
            return  # voted already: only looked at the tally
        choice = random.choice([c for c in CHOICES if c != self.choice])
        data = form(page.text, action="/vote")
        data["choice"] = choice
        headers = {**HTMX, "X-CSRFToken": data["csrf_token"]}
        with self.client.post(url + "/vote", data=data, headers=headers, name="ballot",
                              catch_response=True) as response:
            if _check(response, 200):
                if f'data-choice="{choice}"' in response.text:
                    self.choice = choice
                    _voted.add(self.who["login"])
                else:
                    response.failure("ballot not shown as cast")


class Treasurer(Signed):
    """A treasurer recording single gifts one after another; some get a receipt at once.
    Each treasurer's first gift is named and receipted, so a short run on a slow machine
    still issues receipts concurrently."""

    fixed_count = len(PLAN["treasurers"])
    wait_time = between(1, 3)

    def on_start(self):
        self.who = next(_treasurers)
        self.sign_in(self.who["login"])
        self.gifts = 0

    @task
    def record(self):
        try:
            self._record()
        finally:
            _end_when_done(self.environment)

    def _record(self):
        fund = self.who["fund"]
        with self.client.get(f"/f/{fund}/donations/new", name="donation form",
                             catch_response=True) as page:
            if not _check(page, 200):
                return
        data = form(page.text, id="donation-form")
        n = next(_numbers)
        first = self.gifts == 0
        self.gifts += 1
        named = first or random.random() < 0.8  # the rest are anonymous gifts
        # A small pool of names per treasurer: the first gift creates the donor, later ones
        # find them again.
        data.update(donor_name=f"{self.who['name']}的乡亲{n % 7}" if named else "",
                    amount=f"{random.randint(1, 2000)}.{random.randint(0, 99):02d}",
                    channel="cash", notes=f"负载测试 {n}")
        with self.client.post(f"/f/{fund}/donations/new", data=data, name="record donation",
                              allow_redirects=False, catch_response=True) as response:
            if not _check(response, 302):
                return
        found = re.search(r"/donations/(\d+)$", response.headers.get("Location", ""))
        if not found or not named or (not first and random.random() > 0.5):
            return
        issue = f"/f/{fund}/receipts/issue/{found.group(1)}"
        with self.client.get(issue, name="receipt form", catch_response=True) as page:
            if not _check(page, 200):
                return
        data = form(page.text, action="/receipts/issue/")
        with self.client.post(issue, data=data, name="issue receipt", allow_redirects=False,
                              catch_response=True) as response:
            if _check(response, 302):
                _receipted.add(self.who["login"])
