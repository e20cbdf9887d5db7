"""The rules of receipts: who gets one, its gapless number, its immutable PDF, void and reissue.

A number is taken from the fund's counter for the year while its row is locked, in the same
transaction that stores the receipt: if anything fails the counter rolls back with it, so
numbers have no gaps and are never used twice, also when many are issued at once.
"""

import hashlib
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import counters, uploads
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.clock import local_today
from app.db_types import utcnow
from app.donations.models import COUNTED, Batch, Donation
from app.donations.services import lock
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from app.validation import Invalid

from . import render
from .models import Receipt, ReceiptCounter, ReceiptFile, ReceiptGift, ReceiptSettings

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper


def settings(fund_id: int) -> ReceiptSettings:
    """The fund's settings; the defaults (not yet saved) until someone changes them."""
    row = db.session.scalar(select(ReceiptSettings).where(ReceiptSettings.fund_id == fund_id))
    return row or ReceiptSettings(fund_id=fund_id, issue_mode="manual", thanks="",
                                  separate_signers=True)


# Who may check receipts when the fund names nobody: the chair first, then the fund's
# treasurers and its secretary (the order a village committee would ask them in).
CHECKERS = (Role.CHAIR, Role.TREASURER, Role.SECRETARY)


def signers(options: ReceiptSettings, user: User | None = None,
            donation: Donation | None = None) -> tuple[str, str]:
    """(开票人, 复核人) for a receipt of the fund. The issuer is who issues it; issued by the
    system (automatic receipts, a job), the gift's handler, else whoever recorded it, else the
    fund's treasurer. The checker is the one the fund named, else the chair. Under the fund's
    rule that they are two people, a checker named by the fund never issues; one taken by
    default gives way to the next person who may check."""
    staff = db.session.execute(
        select(Membership.role, User).join(User).where(
            Membership.fund_id == options.fund_id, Membership.role.in_(CHECKERS),
            Membership.start_date <= local_today(),
            (Membership.end_date.is_(None)) | (Membership.end_date >= local_today()))
        .order_by(Membership.start_date, Membership.id)).all()
    issuer = user
    if issuer is None and donation is not None:
        issuer_id = donation.handler_id or donation.recorded_by_id
        issuer = db.session.get(User, issuer_id) if issuer_id else None
    if issuer is None:
        issuer = next((u for role, u in staff if role == Role.TREASURER), None)
    issuer_id = issuer.id if issuer else None
    if options.checker_id:
        if options.separate_signers and options.checker_id == issuer_id:
            raise Invalid({"name": _l("You check this fund's receipts (复核人): under the "
                                      "fund's rules another person issues them.")})
        checker = db.session.get(User, options.checker_id)
    else:
        ranked = sorted(staff, key=lambda row: CHECKERS.index(row[0]))
        checker = next((u for _role, u in ranked
                        if not (options.separate_signers and u.id == issuer_id)), None)
    return (issuer.name if issuer else "", checker.name if checker else "")


def take_number(fund: Fund, year: int) -> tuple[int, str]:
    """The next number of the fund's year. One upsert creates the year's counter or bumps it,
    and its row stays locked until commit: a rollback gives the number back, so no gaps."""
    number = counters.bump(ReceiptCounter, fund.id, year)
    return number, f"{fund.receipt_prefix}-{year}-{number:06d}"


def new_code() -> str:
    """The verification code printed on a receipt, for the donor portal: 40 random bits."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def hash_code(code: str) -> str:
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normal.encode()).hexdigest()


def _receipted():
    """Ids of the gifts a valid receipt acknowledges, single or annual."""
    return select(ReceiptGift.donation_id).where(ReceiptGift.valid)


def waiting_for_receipt() -> list:
    """Conditions on Donation for the gifts that wait for a receipt: counted in the fund, from
    a donor who did not waive it, and no valid receipt (single or annual) acknowledges them."""
    return [Donation.status.in_(COUNTED), Donation.donor_id.is_not(None),
            Donation.receipt_waived.is_(False), Donation.id.not_in(_receipted())]


def existing_receipt(donation: Donation) -> Receipt | None:
    """The valid receipt, single or annual, that already acknowledges this gift."""
    # The link first, then the receipt by its key: as one join, PostgreSQL's plan for a table
    # its statistics still think small (receipts issued one after another all day) read the
    # links once for every receipt of the fund, and issuing slowed from ~3 to ~24 ms a
    # receipt over 600. The fund is named so the partial unique index can find the link.
    receipt_id = db.session.scalar(select(ReceiptGift.receipt_id).where(
        ReceiptGift.fund_id == donation.fund_id, ReceiptGift.donation_id == donation.id,
        ReceiptGift.valid))
    return db.session.get(Receipt, receipt_id) if receipt_id else None


def check_issue(donation: Donation, name: str) -> str:
    """May this donation get a receipt? Returns the name to print."""
    if donation.status not in COUNTED:
        raise Invalid({"name": _l("Only a confirmed donation gets a receipt.")})
    if donation.receipt_waived:
        raise Invalid({"name": _l("The donor waived the receipt for this donation.")})
    if existing_receipt(donation) is not None:
        raise Invalid({"name": _l("This donation already has a valid receipt.")})
    name = (name or "").strip() or (donation.donor.name if donation.donor else "")
    if not name:
        raise Invalid({"name": _l("Enter the name to print on the receipt.")})
    if len(name) > 200:
        raise Invalid({"name": _l("The name is too long (at most 200 characters).")})
    return name


def issue(donation: Donation, *, name: str = "", user: User | None = None,
          replaces: Receipt | None = None, now: datetime | None = None) -> Receipt:
    """Issue a receipt for a confirmed donation: number, PDF, sha256, all in this transaction."""
    lock(donation)  # two people pressing "issue" at once make one receipt
    name = check_issue(donation, name)
    fund = db.session.get(Fund, donation.fund_id)
    options = settings(fund.id)
    issuer, checker = signers(options, user, donation)
    issued_on = local_today(now)
    sequence, number = take_number(fund, issued_on.year)
    donor = donation.donor
    handler = db.session.get(User, donation.handler_id) if donation.handler_id else None
    receipt = Receipt(
        fund_id=fund.id, kind="single", year=issued_on.year, sequence=sequence, number=number,
        token=secrets.token_urlsafe(18), donation_id=donation.id,
        donor_id=donation.donor_id, name=name, amount_fen=donation.net_fen,
        received_on=donation.received_on, channel=donation.channel,
        purpose=donation.designation.name if donation.designation else "",
        handler=handler.name if handler else "", locale=_locale(donor),
        issuer=issuer, checker=checker, item_description=donation.item_description,
        item_quantity=donation.item_quantity, valuation_basis=donation.valuation_basis,
        issued_on=issued_on, issued_by_id=user.id if user else None,
        replaces_id=replaces.id if replaces else None, pdf_sha256="", code_hash="",
    )
    return _store(receipt, fund, [donation], options)


def _counted_in(year: int):
    return (Donation.status.in_(COUNTED), Donation.received_on >= date(year, 1, 1),
            Donation.received_on <= date(year, 12, 31))


def annual_gifts(donor_id: int, year: int) -> list[Donation]:
    """The donor's counted gifts of the year that no valid receipt acknowledges yet: an annual
    receipt sums up what was not receipted one by one, never the same money twice."""
    return list(db.session.scalars(select(Donation).where(
        Donation.donor_id == donor_id, *_counted_in(year), Donation.id.not_in(_receipted()))
        .order_by(Donation.received_on, Donation.id)))


def annual_receipts(year: int) -> list[Receipt]:
    """The fund's annual receipts for a year, newest first (a donor may have several: one
    issued mid-year, another for the gifts that came after)."""
    return list(db.session.scalars(select(Receipt).where(
        Receipt.kind == "annual", Receipt.period_start >= date(year, 1, 1),
        Receipt.period_start <= date(year, 12, 31)).order_by(Receipt.id.desc())))


def issue_annual(donor, year: int, *, user: User | None = None, replaces: Receipt | None = None,
                 now: datetime | None = None) -> Receipt:
    """年度汇总收据: one receipt listing the donor's counted gifts to this fund in a year that
    have no receipt of their own. Its period runs from the first gift listed to the last: the
    dates it states are facts of the list, not a claim that nothing else came in between
    (a cash gift recorded a week late would contradict "1 January to today")."""
    lock(donor)  # two runs for the same donor make one receipt
    check_annual_year(year, now)
    # Hold the year's gifts, so a single receipt being issued for one of them is committed
    # before the list below (a statement of its own) is read.
    db.session.execute(select(Donation.id).where(
        Donation.donor_id == donor.id, *_counted_in(year)).with_for_update())
    gifts = annual_gifts(donor.id, year)
    if not gifts:
        raise Invalid({"year": _l("This donor has no gift in that year without a valid receipt.")})
    fund = db.session.get(Fund, donor.fund_id)
    options = settings(fund.id)
    issuer, checker = signers(options, user)
    issued_on = local_today(now)
    sequence, number = take_number(fund, issued_on.year)
    receipt = Receipt(
        fund_id=fund.id, kind="annual", issuer=issuer, checker=checker, year=issued_on.year,
        sequence=sequence, number=number,
        token=secrets.token_urlsafe(18), donor_id=donor.id, name=donor.name,
        amount_fen=sum(g.net_fen for g in gifts), received_on=gifts[-1].received_on,
        period_start=gifts[0].received_on, period_end=gifts[-1].received_on,
        locale=_locale(donor),
        issued_on=issued_on, issued_by_id=user.id if user else None, pdf_sha256="",
        code_hash="", replaces_id=replaces.id if replaces else None)
    items = [{"received_on": g.received_on, "channel": g.channel, "amount_fen": g.net_fen,
              "purpose": g.designation.name if g.designation else "",
              "item": " ".join(filter(None, (g.item_description, g.item_quantity)))}
             for g in gifts]
    return _store(receipt, fund, gifts, options, items=items)


def annual_donor_ids(year: int) -> list[int]:
    """Donors with a counted gift in the year that has no valid receipt yet."""
    return list(db.session.scalars(select(Donation.donor_id).where(
        Donation.donor_id.is_not(None), *_counted_in(year), Donation.id.not_in(_receipted()))
        .distinct().order_by(Donation.donor_id)))


def receipts_of(donation: Donation) -> list[Receipt]:
    """Every receipt that acknowledged this gift, single or annual, valid or voided."""
    return list(db.session.scalars(select(Receipt).join(
        ReceiptGift, ReceiptGift.receipt_id == Receipt.id).where(
        ReceiptGift.fund_id == donation.fund_id, ReceiptGift.donation_id == donation.id)
        .order_by(Receipt.id)))


def listed_gifts(receipt: Receipt) -> list[ReceiptGift]:
    """The gifts a receipt acknowledges, with the dates and amounts it printed."""
    # Read afresh: voiding clears ``valid`` in a trigger, behind the session's back.
    return list(db.session.scalars(select(ReceiptGift).where(
        ReceiptGift.receipt_id == receipt.id).order_by(ReceiptGift.received_on,
                                                       ReceiptGift.donation_id)
        .execution_options(populate_existing=True)))


def print_run_ids(*, batch_id: int | None = None, start: date | None = None,
                  end: date | None = None) -> list[int]:
    """Valid receipts of a batch's gifts, or issued in a date range, in number order."""
    query = select(Receipt.id).where(Receipt.status == "valid")
    if batch_id:
        query = query.join(Donation, Donation.id == Receipt.donation_id).where(
            Donation.batch_id == batch_id)
    if start:
        query = query.where(Receipt.issued_on >= start)
    if end:
        query = query.where(Receipt.issued_on <= end)
    return list(db.session.scalars(query.order_by(Receipt.year, Receipt.sequence)))


def _locale(donor) -> str:
    return "en" if donor is not None and donor.locale.startswith("en") else "zh_Hans"


def _store(receipt: Receipt, fund: Fund, gifts: list[Donation], options: ReceiptSettings,
           items=None) -> Receipt:
    """Render the PDF first, then write the row, the gifts it acknowledges and its file: what
    is stored never changes. A gift already on a valid receipt fails the insert of its link,
    also when the other receipt is being issued at this moment."""
    code = new_code()
    receipt.code_hash = hash_code(code)
    replaces = db.session.get(Receipt, receipt.replaces_id) if receipt.replaces_id else None
    pdf = render.receipt_pdf(receipt, fund, code=code, items=items, seal=options.seal_png,
                             thanks=options.thanks, replaces=replaces)
    receipt.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    db.session.add(receipt)
    db.session.flush()
    db.session.add_all(ReceiptGift(fund_id=fund.id, receipt_id=receipt.id, donation_id=gift.id,
                                   received_on=gift.received_on, amount_fen=gift.net_fen)
                       for gift in gifts)
    db.session.add(ReceiptFile(fund_id=fund.id, receipt_id=receipt.id, variant="original",
                               sha256=receipt.pdf_sha256, data=pdf))
    db.session.flush()
    return receipt


def file(receipt: Receipt, variant: str = "original") -> ReceiptFile | None:
    return db.session.scalar(select(ReceiptFile).where(
        ReceiptFile.receipt_id == receipt.id, ReceiptFile.variant == variant))


def current_pdf(receipt: Receipt) -> ReceiptFile:
    """What a donor should hold: the stamped copy once voided, else the original."""
    return (receipt.is_void and file(receipt, "void")) or file(receipt)


def void(receipt: Receipt, reason: str, *, user: User | None = None) -> Receipt:
    """Void a receipt: the reason is kept, a copy stamped 作废 is stored beside the original."""
    lock(receipt)
    if receipt.is_void:
        raise Invalid({"reason": _l("This receipt is already void.")})
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _l("Say why the receipt is voided.")})
    if len(reason) > 300:
        raise Invalid({"reason": _l("The reason is too long (at most 300 characters).")})
    receipt.status = "void"  # a trigger frees its gifts (ReceiptGift.valid) for a reissue
    receipt.void_reason = reason
    receipt.voided_at = utcnow()
    receipt.voided_by_id = user.id if user else None
    stamped = render.stamp_void(file(receipt).data)
    db.session.add(ReceiptFile(fund_id=receipt.fund_id, receipt_id=receipt.id, variant="void",
                               sha256=hashlib.sha256(stamped).hexdigest(), data=stamped))
    db.session.flush()
    return receipt


def reissue(receipt: Receipt, *, name: str = "", user: User | None = None) -> Receipt:
    """A new number for a voided receipt's gift; the new receipt names the one it replaces."""
    if not receipt.is_void:
        raise Invalid({"name": _l("Void the receipt before reissuing it.")})
    if db.session.scalar(select(Receipt.id).where(Receipt.replaces_id == receipt.id)):
        raise Invalid({"name": _l("This receipt was already reissued.")})
    if receipt.kind == "annual":
        donor = db.session.get(Donor, receipt.donor_id)
        return issue_annual(donor, receipt.period_start.year, user=user, replaces=receipt)
    donation = db.session.get(Donation, receipt.donation_id)
    return issue(donation, name=name or receipt.name, user=user, replaces=receipt)


def waive(donation: Donation) -> None:
    if existing_receipt(donation) is not None:
        raise Invalid({"name": _l("This donation already has a valid receipt: void it instead.")})
    donation.receipt_waived = True
    db.session.flush()


def record_official(receipt: Receipt, code: str, number: str) -> None:
    """The host charity's 公益事业捐赠统一票据 for the same gift (not part of the PDF)."""
    code, number = (code or "").strip(), (number or "").strip()
    errors = {}
    if len(code) > 40:
        errors["official_code"] = _l("At most 40 characters.")
    if len(number) > 40:
        errors["official_number"] = _l("At most 40 characters.")
    if bool(code) != bool(number):
        errors["official_number" if code else "official_code"] = _l(
            "Enter both the code and the number of the official receipt.")
    if errors:
        raise Invalid(errors)
    receipt.official_code, receipt.official_number = code, number
    db.session.flush()


def by_token(token: str) -> Receipt | None:
    return db.session.scalar(select(Receipt).where(Receipt.token == token))


MAX_SEAL = 1024 * 1024


def checker_choices(fund_id: int) -> list[tuple[int, str]]:
    """The people who may check the fund's receipts (复核人): its current chair, treasurers
    and secretary."""
    today = local_today()
    rows = db.session.execute(select(User.id, User.name).join(Membership).where(
        Membership.fund_id == fund_id, Membership.role.in_(CHECKERS),
        Membership.start_date <= today,
        (Membership.end_date.is_(None)) | (Membership.end_date >= today))
        .distinct().order_by(User.name)).all()
    return [(user_id, name) for user_id, name in rows]


def save_settings(fund_id: int, *, issue_mode: str, thanks: str, seal: bytes | None,
                  checker_id: int | None = None, separate_signers: bool = True) -> None:
    """Change how receipts are issued; a new seal replaces the old one (checked by content)."""
    row = settings(fund_id)
    if issue_mode not in ("auto", "manual"):
        raise Invalid({"issue_mode": _l("Choose how receipts are issued.")})
    if checker_id is not None and checker_id not in dict(checker_choices(fund_id)):
        raise Invalid({"checker_id": _l("Choose the fund's chair, a treasurer or its "
                                        "secretary.")})
    row.checker_id, row.separate_signers = checker_id, bool(separate_signers)
    if seal is not None:
        # Judged by its bytes, and it must decode: it is drawn on every receipt from now on.
        uploads.check(seal, "seal", allowed={uploads.PNG}, max_bytes=MAX_SEAL,
                      too_big=_l("The seal image is larger than 1 MB."),
                      wrong_type=_l("The seal must be a PNG image."))
        row.seal_png = seal
    if issue_mode == "auto" and row.issue_mode != "auto":
        row.auto_since = utcnow()
    row.issue_mode, row.thanks = issue_mode, (thanks or "").strip()
    db.session.add(row)
    db.session.flush()


def due_for_auto(settings_row: ReceiptSettings, limit: int) -> list[Donation]:
    """Gifts with a donor confirmed since automatic issuing began that have no receipt yet
    (a voided one stays voided: reissuing is a person's decision)."""
    receipted = select(ReceiptGift.donation_id)  # valid or voided, single or annual
    return list(db.session.scalars(select(Donation).where(
        Donation.fund_id == settings_row.fund_id, Donation.status.in_(COUNTED),
        Donation.donor_id.is_not(None), Donation.receipt_waived.is_(False),
        Donation.confirmed_at >= settings_row.auto_since, Donation.id.not_in(receipted))
        .order_by(Donation.id).limit(limit)))


def check_print_run(batch_id: int | None, start: date | None, end: date | None) -> dict:
    """A print run needs a batch or a date range; returns the job's parameters."""
    if not batch_id and not (start and end):
        raise Invalid({"batch_id": _l("Choose a batch, or give both dates.")})
    if start and end and start > end:
        raise Invalid({"end": _l("The end date is before the start date.")})
    if batch_id and db.session.get(Batch, batch_id) is None:
        raise Invalid({"batch_id": _l("Choose a batch of this fund.")})
    return {"batch_id": batch_id, "start": start and start.isoformat(),
            "end": end and end.isoformat()}


def check_annual_year(year: int | None, now: datetime | None = None) -> int:
    if year is None or not 2000 <= year <= local_today(now).year:
        raise Invalid({"year": _l("Choose a year that has passed or is under way.")})
    return year
