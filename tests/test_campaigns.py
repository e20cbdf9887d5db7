"""Campaign pages: the township creates one (bad input beside the fields), the public page
shows each village and the match's state and is kept until the ledger moves, each fund's
board shows its part, the reports and the thanks at closing."""

import io
import re
import subprocess

from openpyxl import load_workbook
from sqlalchemy import select

from app.campaigns.models import Campaign, CampaignFund, MatchPledge
from app.extensions import db
from app.notify.models import Notice
from tenants import SYSTEM, using

from .campaign_setup import SPONSOR, fund_money, give, make_campaign
from .conftest import ARTIFACTS, LOGINS
from .helpers import FUND, TOWNSHIP


def demo_campaign(app) -> Campaign:
    with app.app_context(), using(SYSTEM):
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        db.session.expunge(campaign)
        return campaign


def new_campaign_form(client, **changes) -> dict:
    page = client.get(f"/t/{TOWNSHIP}/campaigns/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    fund_ids = [part.split('"')[0] for part in html.split('name="goals-')[1:]
                if 'fund_id" type="hidden" value="' in part]
    data = {"title": "99公益日 联合劝募", "story": "三个村一起", "starts_on": "2026-09-07",
            "ends_on": "2026-09-09", "host_charity": "苏州市吴江区慈善总会",
            "purpose": "99公益日（联合劝募）", "ratio": "1:1", "cap": "10000",
            "per_gift": "500", "per_donor_day": "", "sponsor_name": "芦湾镇",
            "match_starts_at": "2026-09-07T00:00", "match_ends_at": "2026-09-09T23:59"}
    ids = [html.split(f'name="goals-{n}-fund_id" type="hidden" value="')[1].split('"')[0]
           for n in range(len(fund_ids))]
    for n, fund_id in enumerate(ids):
        data[f"goals-{n}-fund_id"] = fund_id
        data[f"goals-{n}-goal"] = "30000" if n < 3 else ""
    data["sponsor_fund_id"] = re.search(r'<option value="(\d+)">芦湾镇社区慈善基金', html)[1]
    data.update(changes)
    return data


def test_the_township_opens_a_campaign_for_three_villages(app, client, auth):
    with app.app_context(), using(SYSTEM):
        fund_money(SPONSOR, 1_000_000)
        db.session.commit()
    auth.login(LOGINS["this_township_admin"])
    data = new_campaign_form(client)
    response = client.post(f"/t/{TOWNSHIP}/campaigns/new", data=data)
    assert response.status_code == 302, re.findall(
        r'class="(?:error|flash flash-error)"[^>]*>([^<]*)', response.get_data(as_text=True))
    with app.app_context(), using(SYSTEM):
        campaign = db.session.scalar(select(Campaign).where(Campaign.title == "99公益日 联合劝募"))
        parts = db.session.scalars(select(CampaignFund).where(
            CampaignFund.campaign_id == campaign.id)).all()
        pledge = db.session.scalar(select(MatchPledge).where(
            MatchPledge.campaign_id == campaign.id))
        assert len(parts) == 3 and {p.goal_fen for p in parts} == {3_000_000}
        assert (pledge.cap_fen, pledge.per_gift_fen, pledge.ratio_num) == (1_000_000, 50_000, 1)
    assert client.get(response.location).status_code == 200


def test_bad_input_stands_beside_the_field_and_keeps_nothing(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    with app.app_context(), using(SYSTEM):
        before = db.session.query(Campaign).count()
    cases = [({"cap": "十元"}, "cap"), ({"per_gift": "-5"}, "per_gift"),
             ({"ends_on": "2026-09-01"}, "ends_on"), ({"title": ""}, "title"),
             ({"goals-0-goal": "abc"}, "goals-0-goal"), ({"cap": "99999999"}, "cap"),
             ({"match_ends_at": "2026-09-06T00:00"}, "match_ends_at"),
             ({"sponsor_fund_id": "x1"}, "sponsor_fund_id"), ({"title": "a\x00b"}, "title")]
    for changes, field in cases:
        response = client.post(f"/t/{TOWNSHIP}/campaigns/new",
                               data=new_campaign_form(client, **changes))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (changes, response.status_code)
        assert f'id="{field}-error"' in html, (changes, html[:300])
    no_goal = new_campaign_form(client)
    for key in list(no_goal):
        if key.endswith("-goal"):
            no_goal[key] = ""
    assert client.post(f"/t/{TOWNSHIP}/campaigns/new", data=no_goal).status_code == 422
    with app.app_context(), using(SYSTEM):
        assert db.session.query(Campaign).count() == before


def test_the_public_page_shows_villages_leaderboards_and_the_match_used_up(app, client):
    with app.app_context(), using(SYSTEM):
        fund_money(SPONSOR, 100_000)
        campaign = make_campaign(purpose="测试劝募", cap=60_000)
        campaign_id = campaign.id
        give(campaign, "NTC", 30_000)
        db.session.commit()
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "南塘村" in page and "300.00" in page and 'id="by-money"' in page
    assert "used-up" not in page
    kept = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert kept == page  # nothing moved: the kept copy
    with app.app_context(), using(SYSTEM):
        give(db.session.get(Campaign, campaign_id), "DGC", 80_000)
        db.session.commit()
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "used-up" in page  # at once: the gift's entries moved the key
    by_money = page.split('id="by-money"')[1].split("</ol>")[0]
    assert by_money.index("东港村") < by_money.index("南塘村")
    partial = client.get(f"/campaigns/{campaign_id}", headers={
        "HX-Request": "true", "HX-Request-Type": "partial"}).get_data(as_text=True)
    assert partial.strip().startswith('<div id="live"') and "<html" not in partial


def test_each_funds_board_shows_its_part(app, client):
    campaign = demo_campaign(app)
    board = client.get(f"/f/{FUND}/public").get_data(as_text=True)
    assert 'id="campaigns"' in board and campaign.title in board
    parts = client.get(f"/f/{FUND}/campaigns").get_data(as_text=True)
    assert campaign.title in parts and "report.pdf" not in parts  # money pages: members only
    client.post("/auth/login", data={"login": LOGINS["this_township_admin"],
                                     "password": "demo-password-1"})
    parts = client.get(f"/f/{FUND}/campaigns").get_data(as_text=True)
    assert f"/t/{TOWNSHIP}/campaigns/{campaign.id}" in parts and "report.xlsx" in parts


def test_reports_per_fund_and_for_the_township(app, client, auth, tmp_path):
    campaign = demo_campaign(app)
    auth.login(LOGINS["this_township_admin"])
    pdf = client.get(f"/t/{TOWNSHIP}/campaigns/{campaign.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "campaign-report.pdf").write_bytes(pdf.data)  # to look at
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "东港村" in text and "西浜村" in text and campaign.title in text
    sheet = load_workbook(io.BytesIO(client.get(
        f"/t/{TOWNSHIP}/campaigns/{campaign.id}/report.xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(r[0] == "东港村社区慈善基金" for r in rows)
    own = client.get(f"/f/{FUND}/campaigns/{campaign.id}/report.xlsx")
    names = [r[0].value for r in load_workbook(io.BytesIO(own.data)).active.iter_rows()]
    assert "东港村社区慈善基金" in names and "南塘村社区慈善基金" not in names


def test_the_township_prints_a_qr_poster_of_the_campaign(app, client, auth, tmp_path):
    """One A4 page from the giving posters' code: the title, the township and its host
    charity, a QR code of the public campaign page, the villages taking part."""
    campaign = demo_campaign(app)
    auth.login(LOGINS["this_township_admin"])
    detail = client.get(f"/t/{TOWNSHIP}/campaigns/{campaign.id}").get_data(as_text=True)
    poster_url = f"/t/{TOWNSHIP}/campaigns/{campaign.id}/poster.pdf"
    assert f'href="{poster_url}"' in detail
    pdf = client.get(poster_url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "p.pdf").write_bytes(pdf.data)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "campaign-poster.pdf").write_bytes(pdf.data)  # to look at
    info = subprocess.run(["pdfinfo", str(tmp_path / "p.pdf")], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info  # one A4 page
    text = subprocess.run(["pdftotext", str(tmp_path / "p.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    with app.app_context(), using(SYSTEM):
        names = [f.fund.name for f in db.session.scalars(
            select(CampaignFund).where(CampaignFund.campaign_id == campaign.id))]
    assert campaign.title in text and campaign.host_charity in text and "芦湾镇" in text
    assert names and all(name in text.replace("\n", "") for name in names)
    assert f"/campaigns/{campaign.id}" in text  # the QR code's address, printed under it
    assert app.test_client().get(poster_url).status_code in (302, 401, 403)  # not signed in


def test_the_campaign_page_has_a_share_card(app, client):
    campaign = demo_campaign(app)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'<meta property="og:title" content="{campaign.title}">' in page
    assert 'property="og:image"' in page and f'/campaigns/{campaign.id}"' in page


def test_closing_thanks_each_donor_with_a_contact_once(app, client, auth):
    campaign = demo_campaign(app)
    auth.login(LOGINS["this_township_admin"])
    page = f"/t/{TOWNSHIP}/campaigns/{campaign.id}"
    assert client.post(f"{page}/close").status_code == 302
    with app.app_context(), using(SYSTEM):
        thanks = db.session.scalars(select(Notice).where(
            Notice.template == "campaign_thanks")).all()
        assert sorted(n.recipient for n in thanks) == [
            "13800138101", "13800138102", "13800138103"]
        assert db.session.get(Campaign, campaign.id).status == "closed"
    client.post(f"{page}/close")
    with app.app_context(), using(SYSTEM):
        assert db.session.query(Notice).filter(Notice.template == "campaign_thanks").count() == 3
