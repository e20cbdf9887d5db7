"""Receipts, resolutions and reports as a donor, a township auditor and a villager read them:
each PDF's text (pdftotext) holds the fields of the paper form, and PNGs of one of each go to
var/artifacts/documents/ for a person to look at."""

import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.clock import local_today
from app.donations import services as donations
from app.donations.models import Donation
from app.donors import services as donors
from app.extensions import db
from app.funds.models import Fund
from app.receipts import render, services
from app.receipts.models import ReceiptSettings
from app.validation import Invalid
from tenants import SYSTEM, using

from .conftest import LOGINS
from .pdf_checks import image_count, keep_png, page_count, pdf_text, squeezed


def person(login: str) -> User:
    with using(SYSTEM):
        return db.session.scalar(select(User).where(User.phone == login))


def gift(amount="1050", name="张三丰", donor=None, day=None, **kw) -> Donation:
    donor = donor or donors.create_donor(donors.DonorInput(name=name, locale="zh_Hans"))
    return donations.record_offline(donations.DonationInput(
        amount=amount, channel=kw.pop("channel", "cash"), received_on=day or local_today(),
        donor_id=donor.id, **kw), None)


# --- receipts -------------------------------------------------------------------------------

def test_receipt_names_issuer_checker_and_the_fund_under_its_seal(fund_in_request, tmp_path):
    treasurer = person(LOGINS["treasurer"])
    receipt = services.issue(gift("1050"), user=treasurer)
    data = services.file(receipt).data
    words = squeezed(pdf_text(data, tmp_path))
    assert receipt.issuer == "李建国" and receipt.checker == "王秀英"  # the chair checks
    assert "开票人：李建国" in words and "复核人：王秀英" in words
    assert "收款单位（盖章）：东港村社区慈善基金" in words
    assert f"编号：{receipt.number}" in words
    today = local_today()
    assert f"开具日期：{today.year}年{today.month}月{today.day}日" in words
    assert f"收款日期{today.year}年{today.month}月{today.day}日" in words
    assert "人民币壹仟零伍拾元整" in words and "¥1,050.00" in words
    # Chinese punctuation in Chinese text: no "收款单位: " and no "/" dates.
    assert ": " not in pdf_text(data, tmp_path).split("This")[0]
    assert f"{today.year}/" not in words
    # The seal is drawn (the QR code and the seal: two images).
    assert image_count(data) == 2
    keep_png(data, "receipt", tmp_path)


def test_every_demo_fund_has_a_seal_naming_it(app):
    with app.app_context(), using(SYSTEM):
        seals = dict(db.session.execute(select(ReceiptSettings.fund_id,
                                               ReceiptSettings.seal_png)).all())
        funds = db.session.scalars(select(Fund)).all()
        assert funds and all(seals.get(f.id) for f in funds)


def test_a_fund_without_a_seal_prints_its_signers(fund_in_request, tmp_path):
    row = services.settings(fund_in_request.id)
    row.seal_png = None
    receipt = services.issue(gift("300"), user=person(LOGINS["secretary"]))
    data = services.file(receipt).data
    words = squeezed(pdf_text(data, tmp_path))
    assert "开票人：赵丽娟" in words and "复核人：王秀英" in words
    assert image_count(data) == 1  # the QR code only


def test_issuer_and_checker_are_two_people_when_the_fund_says_so(fund_in_request):
    treasurer = person(LOGINS["treasurer"])
    services.save_settings(fund_in_request.id, issue_mode="manual", thanks="", seal=None,
                           checker_id=treasurer.id, separate_signers=True)
    with pytest.raises(Invalid):
        services.issue(gift("100"), user=treasurer)
    # The chair issues; the named checker checks.
    receipt = services.issue(gift("100"), user=person(LOGINS["chair"]))
    assert (receipt.issuer, receipt.checker) == ("王秀英", "李建国")
    # A fund whose rules allow it: one person may do both.
    services.save_settings(fund_in_request.id, issue_mode="manual", thanks="", seal=None,
                           checker_id=treasurer.id, separate_signers=False)
    receipt = services.issue(gift("100"), user=treasurer)
    assert (receipt.issuer, receipt.checker) == ("李建国", "李建国")


def test_the_chair_issuing_is_checked_by_the_next_person(fund_in_request):
    receipt = services.issue(gift("100"), user=person(LOGINS["chair"]))
    assert receipt.issuer == "王秀英" and receipt.checker not in ("王秀英", "")


def test_a_gift_in_kind_states_item_quantity_and_valuation(fund_in_request, tmp_path):
    donation = gift("42100", name="东港米业有限公司", channel="in_kind",
                    item_description="大米（10 公斤装）", item_quantity="421 袋",
                    valuation_basis="按供货超市零售价每袋 ¥100.00 计")
    receipt = services.issue(donation, user=person(LOGINS["treasurer"]))
    words = squeezed(pdf_text(services.file(receipt).data, tmp_path))
    assert "物品名称大米（10公斤装）" in words
    assert "数量421袋" in words
    assert "估值依据按供货超市零售价每袋¥100.00计" in words
    assert "¥42,100.00" in words and "人民币肆万贰仟壹佰元整" in words
    keep_png(services.file(receipt).data, "receipt-in-kind", tmp_path)


def _gifts_of_one_donor(count: int) -> list[Donation]:
    donor = donors.create_donor(donors.DonorInput(name="欧阳明", locale="zh_Hans"))
    today = local_today()
    start = max(date(today.year, 1, 1), today - timedelta(days=count * 3))
    days = [min(today, start + timedelta(days=3 * n)) for n in range(count)]
    return [gift(str(100 + n), donor=donor, day=day) for n, day in enumerate(days)]


def test_annual_receipt_of_five_gifts_is_one_page_with_its_total(fund_in_request, tmp_path):
    gifts = _gifts_of_one_donor(5)
    receipt = services.issue_annual(gifts[0].donor, local_today().year,
                                    user=person(LOGINS["treasurer"]))
    data = services.file(receipt).data
    assert page_count(data, tmp_path) == 1
    words = squeezed(pdf_text(data, tmp_path))
    assert f"合计（共5笔）¥{receipt.amount_fen // 100:,}.00" in words
    assert "收款单位（盖章）：" in words and "扫码查验" in words and "开票人：李建国" in words


def test_annual_receipt_of_25_gifts_continues_with_header_number_and_pages(
        fund_in_request, tmp_path):
    gifts = _gifts_of_one_donor(25)
    receipt = services.issue_annual(gifts[0].donor, local_today().year,
                                    user=person(LOGINS["treasurer"]))
    data = services.file(receipt).data
    assert page_count(data, tmp_path) == 2
    first = squeezed(pdf_text(data, tmp_path, 1, 1))
    second = squeezed(pdf_text(data, tmp_path, 2, 2))
    for number, page in ((1, first), (2, second)):
        assert "年度捐赠汇总收据" in page and f"编号：{receipt.number}" in page
        assert f"第{number}页/共2页" in page
        assert "序号日期捐赠方式用途捐赠金额" in page  # the table's header on every page
    assert first.count("¥1") >= 20 and "合计" not in first and "（接下页）" in first
    assert "欧阳明（续）" in second
    assert f"合计（共25笔）¥{receipt.amount_fen / 100:,.2f}" in second
    assert "收款单位（盖章）" in second and "开票人：李建国" in second
    keep_png(data, "annual-receipt-25", tmp_path)


def test_voided_and_reissued_receipts_read_plainly(fund_in_request, client, tmp_path):
    first = services.issue(gift("800"), user=person(LOGINS["treasurer"]))
    services.void(first, "捐赠人姓名写错")
    second = services.reissue(first, name="张三峰", user=person(LOGINS["treasurer"]))
    db.session.commit()
    void_pdf = services.current_pdf(first).data
    assert "作废" in squeezed(subprocess.run(["pdftotext", "-raw", "-", "-"], input=void_pdf,
                                              capture_output=True, check=True).stdout.decode())
    words = squeezed(pdf_text(services.file(second).data, tmp_path))
    assert f"本收据替代已作废的收据{first.number}。" in words
    keep_png(void_pdf, "receipt-voided", tmp_path)
    keep_png(services.file(second).data, "receipt-reissued", tmp_path)
    page = client.get(f"/r/{first.token}").get_data(as_text=True)
    assert f'href="/r/{second.token}"' in page and second.number in page


def test_the_seal_sits_over_the_fund_name_not_the_thanks(fund_in_request):
    """The seal's box is centred on the fund's name after 收款单位 (laid out, not guessed)."""
    receipt = services.issue(gift("500"), user=person(LOGINS["treasurer"]))
    options = services.settings(fund_in_request.id)
    document = render.receipt_document(receipt, fund_in_request, code="ABCD-EFGH",
                                       seal=options.seal_png)

    def boxes(box):
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    page = document.pages[0]._page_box
    seal = next(b for b in boxes(page) if getattr(b, "element_tag", "") == "img"
                and "seal" in (b.element.get("class") or ""))
    name = next(b for b in boxes(page) if "payee-name" in (
        getattr(b, "element", None) is not None and b.element.get("class") or ""))
    seal_middle = seal.content_box_y() + seal.height / 2
    assert name.content_box_y() <= seal_middle <= name.content_box_y() + name.height


# --- resolutions ----------------------------------------------------------------------------

def test_a_resolution_reads_like_the_committee_record(fund_in_request, tmp_path):
    from app.governance import motions, proposals, resolutions
    from app.governance.models import ResolutionFile

    from .helpers import open_vote
    from .helpers import person as member

    motion = open_vote()
    assert motion.host_id == member("chair").id and motion.recorder_id == member("secretary").id
    motions.recuse(motion, member("member"), "系受益人亲属")
    motions.cast(motion, member("chair"), "yes")
    motions.cast(motion, member("two_funds"), "no")
    others = [e for e in motions.electorate(motion) if not e.recused
              and e.user_id not in {b.user_id for b in motions.ballots(motion)}]
    for elector in others:
        motions.cast(motion, db.session.get(User, elector.user_id), "yes")
    motions.close(motion, member("chair"))
    year = local_today().year
    assert motion.resolution_number.startswith(f"东港村慈基决〔{year}〕")
    assert motion.resolution_number.endswith("号")
    # An approved project's resolution waits for its 公示 before it is stored.
    assert db.session.scalar(select(ResolutionFile.id).where(
        ResolutionFile.motion_id == motion.id)) is None
    words = squeezed(pdf_text(resolutions.pdf_of(motion), tmp_path))
    assert motion.resolution_number in words
    assert "会议形式线上表决" in words and "主持人王秀英" in words and "记录人：赵丽娟" in words
    electors = motions.electorate(motion)
    assert f"应到{len(electors)}人" in words
    assert "回避1人：张桂兰（系受益人亲属）" in words
    assert "同意" in words and "王秀英" in words and "反对" in words
    assert "同意拨付¥3,600.00用于“村口路灯维修”，由经办人李建国办理。" in words
    assert "拨付前须经公示。" in words and "委员签名" in words
    assert "管理委员会（盖章）" in words
    # The notice ends: the resolution is stored with its result.
    proposal = motion.proposal
    proposals.publish(proposal, member("chair"))
    assert proposals.finalize_if_due(proposal, proposal.notice_until + timedelta(minutes=1))
    stored = db.session.scalar(select(ResolutionFile).where(
        ResolutionFile.motion_id == motion.id))
    assert stored is not None
    words = squeezed(pdf_text(stored.data, tmp_path))
    assert "公示期满，无异议。" in words
    assert page_count(stored.data, tmp_path) == 1
    keep_png(stored.data, "resolution", tmp_path)


def test_resolution_numbers_run_per_fund_and_year(fund_in_request):
    from app.governance import motions

    from .helpers import open_vote
    from .helpers import person as member

    numbers = []
    for _ in range(2):
        motion = open_vote()
        motions.cast(motion, member("chair"), "no")
        motions.close(motion, None, now=motion.deadline)
        numbers.append(motion.resolution_sequence)
    assert numbers[1] == numbers[0] + 1
