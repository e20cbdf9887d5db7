"""The whole journey in Chromium, on a phone and on a desktop, in Chinese and in English:
a treasurer enters a village collection as a batch, the fund receipts the gifts by itself and a
donor checks one through the QR code on the PDF, a villager proposes a project, the committee
votes on it (one member recused), the chair publishes the resolution, the objection period
ends, two other people sign the payout the treasurer asked for, and the money shows on the
public notice board and in the township's figures.

Every step is a person in a browser; only the clock is the test's: the every-minute worker
tick (jobs.services.run_every_minute) is called where the worker would run it. Screenshots:
test-artifacts/screenshots/journey-<viewport>-<lang>-NN-<step>.jpg.
"""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import select

from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Elector, Motion, Proposal
from app.jobs.services import run_every_minute
from app.payouts.models import Payout, PayoutApproval
from app.privacy import mask_name
from app.receipts.models import Receipt
from tenants import fund_scope, using

from .conftest import LOGINS, PASSWORD, PHONE, SHOTS, no_sideways_scroll, shot

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
FUND = "donggangcun"
FUND_NAME = "东港村社区慈善基金"
CATALOGUE = Translations.load(str(Path(__file__).resolve().parent.parent / "app" / "translations"),
                              ["zh_Hans"])
# The collection: three named gifts that add up to the counted ¥1,000.
GIFTS = [("欧阳德厚", "500"), ("司徒慧琴", "300"), ("上官建民", "200")]
COUNTED = "1000"
PROJECT = "村口候车亭修缮"
REQUESTED = "1200"
PAYOUT = "800"
# Words a Chinese page may show in Latin letters: file formats and the like.
LATIN_OK = {"PDF", "XLSX", "CSV", "SHA", "Excel", "English", "Shanlin"}


def fen(text: str) -> int:
    """'¥1,234.50' -> 123450."""
    number = re.search(r"-?[\d,]+\.\d\d", text).group(0)
    return round(float(number.replace(",", "")) * 100)


class Journey:
    """The people of the journey, each in their own browser context, in one language."""

    def __init__(self, browser, base: str, viewport: dict, lang: str):
        self.browser, self.base, self.viewport, self.lang = browser, base, viewport, lang
        self.label = "phone" if viewport == PHONE else "desktop"
        self.contexts = []
        self.step = 0

    def t(self, message: str, **values) -> str:
        """What the page says for this English source string in the journey's language; a
        Chinese run fails on a string the catalogue does not translate."""
        if self.lang == "zh":
            translated = CATALOGUE.gettext(message)
            assert translated != message, f"not translated into Chinese: {message!r}"
            message = translated
        return message % values if values else message

    def tn(self, singular: str, plural: str, num: int, **values) -> str:
        message = singular if num == 1 else plural
        if self.lang == "zh":
            message = CATALOGUE.ngettext(singular, plural, num)
            assert message not in (singular, plural), f"not translated: {singular!r}"
        return message % {"num": num, **values}

    def context(self, viewport: dict | None = None):
        context = self.browser.new_context(viewport=viewport or self.viewport,
                                           locale="zh-CN" if self.lang == "zh" else "en-US")
        context.set_default_timeout(10000)
        self.contexts.append(context)
        return context.new_page()

    def choose_language(self, page) -> None:
        """The language switch in the header, as a person who reads English would use it."""
        if self.lang == "en":
            page.get_by_role("button", name="English").click()
            page.locator("html[lang=en]").wait_for(state="attached")
        else:
            assert page.locator("html").get_attribute("lang") == "zh-CN"

    def visitor(self, url: str, viewport: dict | None = None):
        page = self.context(viewport)
        page.goto(self.base + url)
        self.choose_language(page)
        return page

    def person(self, key: str, viewport: dict | None = None, login: str | None = None):
        page = self.context(viewport)
        page.goto(f"{self.base}/auth/login")
        page.locator("input[name=login]").fill(login or LOGINS[key])
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))
        self.choose_language(page)  # a signed-in choice is kept on the account
        return page

    def shot(self, page, name: str) -> None:
        self.step += 1
        shot(page, f"journey-{self.label}-{self.lang}-{self.step:02d}-{name}")
        assert no_sideways_scroll(page), f"{name}: too wide: {self.too_wide(page)}"
        if self.lang == "zh":
            assert not (latin := self.latin_words(page)), f"{name}: English words {latin}"

    @staticmethod
    def too_wide(page) -> list[str]:
        """The innermost elements reaching past the right edge, to say what overflows."""
        return page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                    && !(e.parentElement.closest('*:not(html):not(body)')
                         && [...(function* (n) { while ((n = n.parentElement)
                              && n !== document.body) yield n; })(e)]
                            .some(a => getComputedStyle(a).overflowX !== 'visible')))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': '
                             + (e.innerText || '').slice(0, 40))""")

    @staticmethod
    def latin_words(page) -> set[str]:
        """Latin words on a Chinese page outside data (URLs, numbers): untranslated text."""
        text = page.locator("body").inner_text()
        words = set(re.findall(r"(?<![\w/.@-])[A-Za-z]{3,}(?![\w/.@-])", text))
        return {w for w in words if w not in LATIN_OK and not re.fullmatch(r"[A-Z]{2,4}", w)}

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def township_row(page) -> dict:
    """The fund's figures as the township's table shows them."""
    row = page.locator("table.funds-table tbody tr", has_text=FUND_NAME)
    cells = row.locator("td")
    return {"balance": fen(cells.nth(2).inner_text()), "income": fen(cells.nth(3).inner_text()),
            "spending": fen(cells.nth(4).inner_text())}


def tick(app, now=None) -> None:
    """The worker's every-minute run, at the given moment (default: now)."""
    with app.app_context():
        run_every_minute(now)
        db.session.remove()


def decode_qr(pdf: bytes, stem: str) -> str:
    path = SHOTS / f"{stem}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(path),
                    str(SHOTS / stem)], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(SHOTS / f"{stem}.png")],
                           capture_output=True, text=True, check=True)
    return found.stdout.strip()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_whole_journey(app, live_server, browser, viewport, lang):
    app.config["PUBLIC_URL"] = live_server  # receipts' QR codes point at this server
    j = Journey(browser, live_server, viewport, lang)
    t = j.t
    fund_url = f"{live_server}/f/{FUND}"
    try:
        # --- 0. the township's figures before -------------------------------------------------
        township = j.person("this_township_admin")
        township.get_by_role("link", name="芦湾镇").first.click()
        township.get_by_role("heading", name=t("Funds of this township")).wait_for()
        before = township_row(township)
        j.shot(township, "township-before")

        # --- 1. the treasurer enters the collection as a batch ------------------------------
        treasurer = j.person("treasurer")
        assert treasurer.url == f"{fund_url}/"
        treasurer.get_by_role("link", name=t("Enter a batch")).first.click()
        treasurer.get_by_label(t("Collection")).fill("冬至敬老募捐")
        treasurer.get_by_label(t("Counted total (yuan)")).fill(COUNTED)
        j.shot(treasurer, "batch-open")
        treasurer.get_by_role("button", name=t("Open the batch")).click()
        treasurer.wait_for_url(re.compile(r"/batches/\d+$"))
        batch_url = treasurer.url
        entered = "¥0.00"
        for n, (name, amount) in enumerate(GIFTS[:2], 1):
            treasurer.get_by_label(t("Donor (empty: anonymous)")).type(name)
            treasurer.keyboard.press("Tab")
            treasurer.keyboard.type(amount)
            treasurer.keyboard.press("Enter")
            entered = f"¥{sum(int(a) for _n, a in GIFTS[:n]):,}.00"
            treasurer.locator("#entered", has_text=entered).wait_for()
        assert treasurer.url == batch_url  # rows come in without a page load
        assert treasurer.locator("#difference").inner_text() == "¥200.00"
        # Closing before the rows add up is refused, with the difference in words.
        treasurer.get_by_role("button", name=t("Close the batch and confirm all rows")).click()
        treasurer.locator("#entry .flash-error").wait_for()
        j.shot(treasurer, "batch-does-not-add-up")
        name, amount = GIFTS[2]
        treasurer.get_by_label(t("Donor (empty: anonymous)")).type(name)
        treasurer.keyboard.press("Tab")
        treasurer.keyboard.type(amount)
        treasurer.keyboard.press("Enter")
        treasurer.locator("#entered", has_text="¥1,000.00").wait_for()
        assert treasurer.locator("#difference").inner_text() == "¥0.00"
        rows = treasurer.locator("#entry tbody tr")
        assert rows.count() == 3
        assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == \
            [g[0] for g in GIFTS]
        j.shot(treasurer, "batch-adds-up")
        treasurer.get_by_role("button", name=t("Close the batch and confirm all rows")).click()
        treasurer.get_by_text(t("Batch closed: %(rows)d donations confirmed.", rows=3)).wait_for()
        j.shot(treasurer, "batch-closed")

        # --- 2. receipts: the fund issues them by itself; a donor checks one by its QR code -
        treasurer.locator("nav.crumbs").get_by_role("link", name=FUND_NAME).click()
        treasurer.get_by_role("link", name=t("Receipts"), exact=True).first.click()
        treasurer.get_by_role("link", name=t("Receipt settings")).click()
        assert treasurer.get_by_label(t("Issuing")).input_value() == "auto"
        treasurer.go_back()
        tick(app)  # the worker's next minute
        treasurer.reload()
        results = treasurer.locator("#results")
        for name, amount in GIFTS:
            row = results.locator("tr", has_text=name)
            assert row.count() == 1, f"no receipt for {name}"
            assert f"{int(amount):,}.00" in row.inner_text()
        j.shot(treasurer, "receipts-issued")
        link = results.locator("tr", has_text=GIFTS[0][0]).get_by_role("link").first
        number = link.inner_text()
        assert re.fullmatch(r"DGC-\d{4}-\d{6}", number), number
        link.click()
        treasurer.wait_for_url(re.compile(r"/receipts/\d+$"))
        assert number in treasurer.locator("h1").inner_text()
        j.shot(treasurer, "receipt-detail")
        href = treasurer.get_by_role("link", name=t("Download PDF")).get_attribute("href")
        pdf = treasurer.request.get(live_server + href)
        assert pdf.headers["content-type"] == "application/pdf"
        url = decode_qr(pdf.body(), f"journey-{j.label}-{lang}-receipt")
        assert re.fullmatch(re.escape(live_server) + r"/r/[\w-]+", url), url

        donor = j.context()  # the donor, signed out, scanning the paper with a phone
        donor.goto(url)
        j.choose_language(donor)
        verdict = donor.locator(".verdict")
        assert verdict.inner_text() == t("Valid — this receipt was issued by the fund below.")
        facts = donor.locator("dl.facts").inner_text()
        assert FUND_NAME in facts and "500.00" in facts and mask_name(GIFTS[0][0]) in facts
        assert GIFTS[0][0] not in donor.content()  # the name is partly hidden
        assert number in facts
        j.shot(donor, "receipt-verified")

        # --- 3. a villager proposes a project on the public notice board ---------------------
        villager = j.visitor(f"/f/{FUND}/public")
        villager.get_by_role("link", name=t("Propose a project")).click()
        villager.get_by_label(t("Your name")).fill("陆阿婆")
        villager.get_by_label(t("Your mobile number")).fill("13812345678")
        villager.get_by_label(t("Title")).fill(PROJECT)
        villager.get_by_label(t("Category")).select_option("other")
        villager.get_by_label(t("Description")).fill("村口候车亭顶棚漏雨，老人雨天等车没处躲。")
        villager.get_by_label(t("Who benefits")).fill("每天坐公交的老人和学生")
        villager.get_by_label(t("Amount requested (yuan)")).fill(REQUESTED)
        villager.get_by_label(t("Budget lines (one per line: item, then amount in yuan)")).fill(
            "顶棚材料 900\n人工 300")
        j.shot(villager, "proposal-form")
        villager.get_by_role("button", name=t("Send the proposal")).click()
        villager.get_by_role("heading", name=t("Proposal received")).wait_for()
        assert PROJECT in villager.locator("main").inner_text()
        j.shot(villager, "proposal-received")

        # --- 4. the chair puts it to the vote; members vote on their phones -----------------
        chair = j.person("chair")
        chair.get_by_role("link", name=t("Project proposals")).first.click()
        chair.get_by_role("link", name=PROJECT).click()
        assert chair.locator(".status").first.inner_text() == t("Submitted")
        chair.get_by_text(t("Put to a vote")).click()
        j.shot(chair, "proposal-put-to-vote")
        chair.get_by_role("button", name=t("Open the vote")).click()
        chair.wait_for_url(re.compile(r"/motions/\d+$"))
        motion_url = chair.url
        motion_id = int(motion_url.rsplit("/", 1)[1])
        chair.locator("label.choice-yes").click()
        chair.locator("#cast").click()
        chair.locator("#my-vote[data-choice=yes]").wait_for()

        with app.app_context():
            fund_id = db.session.scalar(select(Fund.id).where(Fund.slug == FUND))
            with using(fund_scope(fund_id)):
                electors = db.session.execute(
                    select(User.phone, User.name).join(Elector, Elector.user_id == User.id)
                    .where(Elector.motion_id == motion_id).order_by(Elector.id)).all()
            db.session.remove()
        chair_phone = LOGINS["chair"]
        others = [(phone, name) for phone, name in electors if phone != chair_phone]
        assert (LOGINS["member"], "张桂兰") in others and len(others) >= 2
        recused_name = "张桂兰"
        for n, (phone, name) in enumerate(others):
            member = j.person("member", viewport=PHONE, login=phone)
            member.goto(motion_url)
            if name == recused_name:  # her son's firm would build the shelter
                member.get_by_text(t("I have a personal interest (回避)")).click()
                member.get_by_label(t("Your personal interest")).fill("施工方是我儿子的公司")
                j.shot(member, "member-declares-interest")
                member.get_by_role("button", name=t("Declare it and leave this vote")).click()
                member.locator("#refusal").wait_for()
                assert member.locator("#refusal").inner_text() == t(
                    "You declared a personal interest and are recused from this vote.")
                assert member.locator("#cast").count() == 0
                j.shot(member, "member-recused")
            else:
                member.locator("label.choice-yes").click()
                member.locator("#cast").click()
                member.locator("#my-vote[data-choice=yes]").wait_for()
                assert member.url == motion_url
                if n == 0 or n == len(others) - 1:
                    j.shot(member, f"member-voted-{n}")
            member.context.close()

        # --- 5. the tally leaves the recused member out; the chair closes and publishes -----
        eligible = len(electors) - 1
        chair.reload()
        tally = chair.locator("#tally").inner_text()
        assert t("%(voted)d of %(eligible)d eligible members have voted.", voted=eligible,
                 eligible=eligible) in tally
        assert j.tn("%(num)d member is recused.", "%(num)d members are recused.", 1) in tally
        assert recused_name in chair.locator("ul.people").inner_text()
        j.shot(chair, "tally-before-close")
        chair.get_by_role("button", name=t("Everyone has voted: close the vote")).click()
        chair.wait_for_url(re.compile(r"/resolutions/\d+$"))
        resolution_url = chair.url
        assert chair.locator("dl.facts strong").inner_text() == t("Passed")
        ballots = chair.locator("table.list").inner_text()
        assert t("recused: %(reason)s", reason="施工方是我儿子的公司") in ballots
        j.shot(chair, "resolution")

        chair.goto(motion_url)
        assert chair.locator("#count-yes").inner_text() == str(eligible)
        assert chair.locator("#count-no").inner_text() == "0"
        chair.get_by_role("link", name=PROJECT).first.click()
        assert chair.locator(".status").first.inner_text() == t("Approved")
        chair.get_by_role("button", name=t("Publish for public notice")).click()
        chair.locator(".status", has_text=t("On public notice")).first.wait_for()
        assert chair.get_by_text(t("Public notice until")).is_visible()
        proposal_url = chair.url
        j.shot(chair, "published-for-notice")

        board = j.visitor(f"/f/{FUND}/public")
        on_notice = board.locator("#projects li", has_text=PROJECT).first.inner_text()
        assert "1,200.00" in on_notice
        assert t("objections until %(when)s", when="") in on_notice
        j.shot(board, "board-on-notice")

        # --- 6. the objection period (公示) ends: the worker's tick days later ----------------
        with app.app_context():
            with using(fund_scope(fund_id)):
                proposal = db.session.scalar(select(Proposal).where(Proposal.title == PROJECT))
                notice_until, proposal_id = proposal.notice_until, proposal.id
            db.session.remove()
        assert notice_until > utcnow()
        tick(app, notice_until + timedelta(minutes=1))
        chair.goto(proposal_url)
        assert chair.locator(".status").first.inner_text() == t("Final")
        j.shot(chair, "project-final")

        # --- 7. the payout: the treasurer asks, the chair and the supervisor sign ------------
        treasurer.get_by_role("link", name=t("Payouts")).first.click()
        treasurer.get_by_role("link", name=t("Request a payout")).first.click()
        treasurer.get_by_role("link", name=PROJECT).click()
        treasurer.get_by_label(t("Amount (yuan)")).fill(PAYOUT)
        # The project has two budget lines: the payout names the one it is paid from.
        treasurer.get_by_label(t("Budget line")).select_option(label="顶棚材料 · ¥900.00")
        treasurer.locator("input[name=payee]").fill("芦湾镇宏达建材店")
        treasurer.locator("input[name=payee_account]").fill("6222000011113333")
        treasurer.locator("textarea[name=purpose]").fill("候车亭顶棚材料（第一笔）")
        j.shot(treasurer, "payout-form")
        treasurer.get_by_role("button", name=t("Request the payout")).click()
        treasurer.wait_for_url(re.compile(r"/payouts/\d+$"))
        payout_url = treasurer.url
        assert treasurer.locator("#payout-status").inner_text() == t("Waiting for approval")
        signing = treasurer.locator("section", has_text=t("Signatures")).locator("p.muted")
        needed = int(re.search(r"\d+", signing.first.inner_text()).group(0))
        assert needed == 2  # two other people sign; the requester never does
        assert ("、" in signing.first.inner_text()) == (lang == "zh")  # "Chair, Supervisor"
        assert treasurer.locator("#sign-refusal").inner_text() == t(
            "You requested this payout: another person must approve it.")
        assert treasurer.locator("#sign-form").count() == 0
        j.shot(treasurer, "payout-requested")

        chair.goto(payout_url)
        chair.get_by_role("button", name=t("Approve the payout")).click()
        chair.wait_for_url(payout_url)
        assert chair.locator("#payout-status").inner_text() == t("Waiting for approval")
        assert chair.locator("#sign-refusal").inner_text() == t(
            "You have already signed this payout.")
        j.shot(chair, "payout-first-signature")
        supervisor = j.person("supervisor")
        supervisor.goto(payout_url)
        supervisor.get_by_role("button", name=t("Approve the payout")).click()
        supervisor.wait_for_url(payout_url)
        assert supervisor.locator("#payout-status").inner_text() == t("Approved, not paid yet")
        assert supervisor.locator("ul.signatures li").count() == 2
        j.shot(supervisor, "payout-approved")

        treasurer.reload()
        treasurer.get_by_label(t("Bank reference of the payment")).fill("ICBC-2026-1122-0042")
        treasurer.get_by_role("button", name=t("Record the payment")).click()
        treasurer.wait_for_url(payout_url)
        assert treasurer.locator("#payout-status").inner_text() == t("Paid")
        assert "-800.00" in treasurer.locator("main").inner_text()
        j.shot(treasurer, "payout-paid")

        # --- 8. the public notice board and the township see it ------------------------------
        board.reload()
        spending = board.locator("#spending").inner_text()
        assert "800.00" in spending and PROJECT in spending and "芦湾镇宏达建材店" in spending
        projects = board.locator("#funded-projects").inner_text()
        assert t("paid ¥%(paid)s of ¥%(budget)s", paid="800.00", budget="1,200.00") in projects
        gifts = board.locator("#income").inner_text()
        assert all(name in gifts for name, _amount in GIFTS)
        resolutions = board.locator("#projects li", has_text=PROJECT)
        verdict = resolutions.first.locator(".muted").inner_text()
        assert verdict.startswith(t("passed") + " ·"), verdict  # not "not passed"
        board.locator("#projects").get_by_role("link", name=re.compile(PROJECT)).first.click()
        assert board.url == resolution_url
        board.go_back()
        j.shot(board, "board-after-payout")

        township.reload()
        after = township_row(township)
        assert after["income"] == before["income"] + 100000  # the ¥1,000 collection
        assert after["spending"] == before["spending"] + 80000  # the ¥800 payout
        assert after["balance"] == before["balance"] + 100000 - 80000
        j.shot(township, "township-after")
    finally:
        j.close()

    # The record behind the pages.
    with app.app_context():
        with using(fund_scope(fund_id)):
            receipts = db.session.scalars(select(Receipt).where(
                Receipt.name.in_([g[0] for g in GIFTS]))).all()
            assert sorted(r.amount_fen for r in receipts) == [20000, 30000, 50000]
            motion = db.session.get(Motion, motion_id)
            assert motion.passed and motion.closed_by_id is not None
            payout = db.session.scalar(select(Payout).where(Payout.proposal_id == proposal_id))
            assert payout.status == "paid" and payout.amount_fen == 80000
            signers = {a.user.phone for a in db.session.scalars(select(PayoutApproval).where(
                PayoutApproval.payout_id == payout.id, PayoutApproval.decision == "approve"))}
            assert payout.requested_by.phone not in signers and len(signers) == 2
            assert db.session.get(Proposal, proposal_id).status == "in_progress"
        db.session.remove()
