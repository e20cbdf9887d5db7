"""axe-core in a signed-in browser context: the serious and critical violations of a page."""

from axe_playwright_python.sync_playwright import Axe

from .conftest import LOGINS, PASSWORD, PHONE
from .helpers import enrol_in_two_step, portal_token_in

BAD = ("serious", "critical")


def signed_in_context(browser, base: str, app, who: str, lang: str = "zh", viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    if lang == "en":
        context.request.post(f"{base}/lang", form={"lang": "en", "next": "/"})
    if who == "donor":
        token = portal_token_in(app)
        response = context.request.post(f"{base}/portal/in/{token}", max_redirects=0)
        assert response.status == 302, "the portal link did not sign in"
    elif who == "pending_2fa":
        response = context.request.post(f"{base}/auth/login", max_redirects=0, form={
            "login": enrol_in_two_step(app), "password": PASSWORD})
        assert response.headers["location"] == "/auth/code"
    elif who != "anonymous":
        response = context.request.post(f"{base}/auth/login", max_redirects=0,
                                        form={"login": LOGINS[who], "password": PASSWORD})
        assert response.status == 302, f"login as {who} failed"
    return context


def violations(page) -> list[str]:
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BAD:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"-> {targets}")
    return found
