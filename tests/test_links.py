"""Links that leave the site (emails, a receipt's QR code) point at PUBLIC_URL, whatever Host
header the request that made them came with: a reset link on an attacker's host would hand
them the account."""

import re
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask import request, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import local_today
from app.donations import services as donations
from app.donors import services as donors
from app.extensions import db
from app.funds.models import Fund
from app.governance.models import Proposal
from app.receipts import services as receipts
from app.receipts.models import Receipt
from tenants import SYSTEM, fund_scope, using

from .conftest import LOGINS, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://shanlin.example.cn"
EVIL = "evil.example"
FUND = "donggangcun"
DONOR_EMAIL = "wang.xiuying@example.cn"

pytestmark = pytest.mark.config(PUBLIC_URL=PUBLIC, HUEY_IMMEDIATE=True)


class HostileClient(FlaskClient):
    """Every request says it is for evil.example (its Host header)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("headers", {})["Host"] = EVIL
        return super().open(*args, **kwargs)


@pytest.fixture
def hostile(app):
    app.test_client_class = HostileClient
    return app.test_client()


def sign_in(client, who: str) -> None:
    response = client.post("/auth/login", data={"login": LOGINS[who], "password": PASSWORD})
    assert response.status_code == 302


def mails(app) -> list:
    return [message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(app.config["OUTBOX_DIR"].glob("*.eml"))]


def assert_links_on_public_url(app, to: str) -> list[str]:
    """Every mail to ``to`` has links, each on PUBLIC_URL, and names the hostile host nowhere
    (attachments included); the links."""
    sent = [m for m in mails(app) if m["To"] == to]
    assert sent, f"no mail to {to}"
    links = []
    for message in sent:
        raw = message.as_bytes()
        assert EVIL.encode() not in raw
        body = message.get_body(("plain",)).get_content()
        found = re.findall(r"https?://\S+", body)
        assert found and all(link.startswith(PUBLIC + "/") for link in found), found
        links += found
    return links


def gift(app) -> int:
    """A cash gift to 东港村 from a donor with an email address; the donation's id."""
    with app.app_context():
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            donor = donors.create_donor(donors.DonorInput(name="王秀英", email=DONOR_EMAIL))
            donation = donations.record_offline(donations.DonationInput(
                amount="1050", channel="cash", received_on=local_today(), donor_id=donor.id),
                None)
            db.session.commit()
            return donation.id


def qr_of(app, receipt_id: int, tmp_path) -> str:
    with app.app_context(), using(SYSTEM):
        data = receipts.file(db.session.get(Receipt, receipt_id)).data
    (tmp_path / "r.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1",
                    str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True)
    return subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page-1.png")],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_the_hostile_client_is_heard_as_evil_example(hostile):
    """Else the tests below would prove nothing: Flask builds on the Host header."""
    with hostile:
        hostile.get("/healthz")
        assert request.host == EVIL and url_for("main.home", _external=True).startswith(
            f"http://{EVIL}/")


def test_a_password_reset_link_ignores_the_host_header(app, hostile):
    response = hostile.post("/auth/reset", data={"login": "chenmeiling@example.cn"})
    assert response.status_code == 302
    [link] = assert_links_on_public_url(app, "chenmeiling@example.cn")
    assert link.startswith(f"{PUBLIC}/auth/reset/")


def test_a_donor_portal_link_ignores_the_host_header(app, hostile):
    gift(app)
    response = hostile.post("/portal/link", data={"email": DONOR_EMAIL})
    assert response.status_code == 302
    [link] = assert_links_on_public_url(app, DONOR_EMAIL)
    assert link.startswith(f"{PUBLIC}/portal/in/")


def test_committee_mail_ignores_the_host_header(app, hostile):
    with app.app_context(), using(SYSTEM):
        fund = db.session.scalar(select(Fund).where(Fund.slug == FUND))
        with using(fund_scope(fund.id)):
            proposal_id = db.session.scalar(select(Proposal.id).where(
                Proposal.status == "discussion"))
    sign_in(hostile, "chair")
    response = hostile.post(f"/f/{FUND}/proposals/{proposal_id}/motions",
                            data={"kind": "proposal"})
    assert response.status_code == 302 and "/motions/" in response.location
    [link] = assert_links_on_public_url(app, "chenmeiling@example.cn")
    assert re.fullmatch(rf"{PUBLIC}/f/{FUND}/motions/\d+", link)


def test_receipt_mail_and_qr_code_ignore_the_host_header(app, hostile, tmp_path):
    """Issue (mailed at once), send again, void and reissue (the new one is mailed)."""
    sign_in(hostile, "treasurer")
    response = hostile.post(f"/f/{FUND}/receipts/issue/{gift(app)}", data={"name": ""})
    assert response.status_code == 302
    receipt_id = int(re.search(r"/receipts/(\d+)$", response.location).group(1))
    assert hostile.post(f"/f/{FUND}/receipts/{receipt_id}/send").status_code == 302
    hostile.post(f"/f/{FUND}/receipts/{receipt_id}/void", data={"reason": "姓名写错"})
    response = hostile.post(f"/f/{FUND}/receipts/{receipt_id}/reissue", data={"name": "王秀瑛"})
    assert response.status_code == 302
    new_id = int(re.search(r"/receipts/(\d+)$", response.location).group(1))

    assert len([m for m in mails(app) if m["To"] == DONOR_EMAIL]) == 3
    links = assert_links_on_public_url(app, DONOR_EMAIL)
    with app.app_context(), using(SYSTEM):
        tokens = [db.session.get(Receipt, i).token for i in (receipt_id, new_id)]
    assert {f"{PUBLIC}/r/{t}" for t in tokens} <= set(links)
    assert f"{PUBLIC}/portal/" in links
    assert qr_of(app, new_id, tmp_path) == f"{PUBLIC}/r/{tokens[1]}"


# Building an absolute URL anywhere else would take the host from the request again.
BUILDERS = re.compile(r"_external\s*=|force_external|url_map\.bind|host_url|url_root"
                      r"|request\.host|request\.url\b|[\"']PUBLIC_URL[\"']")


def test_external_url_is_the_only_builder_of_absolute_links():
    allowed = {ROOT / "app/urls.py", ROOT / "app/config.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("tenants/**/*.py"),
                     *ROOT.glob("templates/**/*.html")]
        if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BUILDERS.search(line)
    ]
    assert offenders == []
