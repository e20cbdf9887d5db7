"""axe-core in a signed-in browser context: the serious and critical violations of a page."""

from axe_playwright_python.sync_playwright import Axe

from .conftest import LOGINS, PASSWORD, PHONE
from .helpers import enrol_in_two_step, portal_token_in

BAD = ("serious", "critical")
AXE = Axe().axe_script  # axe-core (570 KB), read once

# axe.run() with the rules that cannot find anything serious turned off: a rule's violation is
# as serious as its worst failing check, and each check's impact is fixed in axe's metadata.
# The minor and moderate rules (29 of them: landmarks, "region", heading order...) were a
# third of axe's time on a page, for results this test never reports. A rule or check whose
# impact axe does not say stays on.
RUN = """() => {
  const order = {minor: 1, moderate: 2, serious: 3, critical: 4};
  const checks = axe._audit.data.checks;
  const rules = {};
  for (const rule of axe._audit.rules) {
    const ids = [...rule.any, ...rule.all, ...rule.none].map((c) => c.id || c);
    const impacts = [...(rule.impact ? [rule.impact] : []),
                     ...ids.map((id) => (checks[id] || {}).impact)];
    const worst = ids.length ? Math.max(...impacts.map((i) => order[i] || 4)) : 4;
    if (worst < order.serious) rules[rule.id] = {enabled: false};
  }
  return axe.run({resultTypes: ['violations'], rules});
}"""


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
    page.evaluate(AXE)
    found = []
    for violation in page.evaluate(RUN)["violations"]:
        if violation["impact"] in BAD:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"-> {targets}")
    return found
