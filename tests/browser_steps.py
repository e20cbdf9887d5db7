"""Steps a person takes in the browser that several journeys share."""

import re

from .conftest import PASSWORD


def sign_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/auth/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))
