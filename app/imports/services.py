"""From a read file to donations: a preview that names every row's problems in words, and a
commit that records the valid rows all together or none of them.

A donation is recorded once. Rows with a bank or transfer serial number are recognised by it;
cash and in-kind rows have none, so they get a fingerprint (date, amount, channel, donor and
how many identical rows came before) stored as their reference: importing the same list
again, or the corrected list after fixing some rows, skips what is already in the fund.
"""

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.services import normalize_phone
from app.clock import local_today
from app.donations import services as donations
from app.donations.models import OFFLINE_CHANNELS, Designation, Donation
from app.donors import services as donors
from app.donors.models import Donor
from app.extensions import db
from app.money import AmountError, parse_amount
from app.validation import Invalid

from . import cells
from .reading import RawRow

VALID, DUPLICATE, INVALID, SKIPPED = "valid", "duplicate", "invalid", "skipped"

ANONYMOUS_NAMES = {"匿名", "匿名捐赠", "无名氏", "爱心人士", "anonymous"}
# Names of firms, shops and associations end in words like these; people's names do not.
ORGANISATION_ENDINGS = ("公司", "厂", "店", "商行", "超市", "合作社", "协会", "商会", "集团",
                        "中心", "学校", "医院", "委员会")
LENGTHS = {"name": 200, "reference": 100, "notes": 500}  # the columns' sizes
FINGERPRINT_PREFIX = "imp:"


@dataclass
class Options:
    """What the upload form says for rows that do not say it themselves."""

    channel: str
    received_on: date | None = None


@dataclass
class NewDonor:
    """A donor the import creates, once, for every row that names them."""

    name: str
    phone: str | None
    donor: Donor | None = None

    @property
    def kind(self) -> str:
        return "organisation" if self.name.endswith(ORGANISATION_ENDINGS) else "person"

    def create(self) -> Donor:
        if self.donor is None:
            self.donor = donors.create_donor(
                donors.DonorInput(name=self.name, phone=self.phone or "", kind=self.kind))
        return self.donor


@dataclass
class Row:
    line: int
    status: str = VALID
    messages: dict = field(default_factory=dict)  # field -> what is wrong, in words
    amount: str = ""  # as written
    amount_fen: int | None = None
    received_on: date | None = None
    channel: str | None = None
    reference: str = ""  # as written
    key: str | None = None  # the reference stored: the file's, or a fingerprint
    name: str = ""
    phone: str | None = None
    donor: Donor | NewDonor | None = None
    match: str = "anonymous"  # how the donor was found: phone, name, new or anonymous
    designation_name: str = ""
    designation: Designation | None = None
    notes: str = ""
    data: donations.DonationInput | None = None  # what the commit records


@dataclass
class Preview:
    rows: list[Row]

    def of(self, status: str) -> list[Row]:
        return [row for row in self.rows if row.status == status]

    @property
    def counts(self) -> Counter:
        return Counter(row.status for row in self.rows)

    @property
    def total_fen(self) -> int:
        return sum(row.amount_fen or 0 for row in self.of(VALID))


def preview(raw_rows: list[RawRow], options: Options, *, today: date | None = None) -> Preview:
    """Every row of the file, read and checked against the fund; nothing is written."""
    today = today or local_today()
    rows = [_read(raw, options) for raw in raw_rows]
    _fingerprint(rows)
    recorded = _recorded({(row.channel, row.key) for row in rows if row.key})
    designations = {d.name: d for d in db.session.scalars(select(Designation))}
    people = Donors(rows)
    first_line: dict[tuple, int] = {}
    for row in rows:
        if row.status == SKIPPED:
            continue
        if (row.channel, row.key) in recorded:
            row.status = DUPLICATE
            row.messages = {"reference": _l("Already recorded in this fund: skipped.")}
            continue
        if row.reference:
            seen = first_line.setdefault((row.channel, row.key), row.line)
            if seen != row.line:
                row.messages.setdefault("reference", _l(
                    "The same serial number is also in row %(line)d.", line=seen))
        _designate(row, designations)
        people.match(row)
        _check(row, today)
    return Preview(rows)


def _read(raw: RawRow, options: Options) -> Row:
    """The row's cells as values; a cell that cannot be read becomes a message."""
    values = raw.cells
    row = Row(raw.line)
    if cells.is_total_line(values):
        row.status, row.messages = SKIPPED, {"line": _l("A total line: left out.")}
        return row
    row.amount = cells.amount_text(values.get("amount"))
    row.reference = cells.text(values.get("reference"))
    row.key = row.reference or None
    row.notes = cells.text(values.get("notes"))
    row.designation_name = cells.text(values.get("designation"))
    name = cells.text(values.get("name"))
    row.name = "" if name.lower() in ANONYMOUS_NAMES else name
    try:
        row.received_on = cells.received_on(values.get("date")) or options.received_on
    except cells.CellError as error:
        row.messages["received_on"] = error.args[0]
    if cells.is_outgoing(values):
        row.amount = cells.amount_text(values.get("debit")) or row.amount
        row.status, row.messages = SKIPPED, {
            "amount": _l("Money paid out, not a donation: left out.")}
        return row
    phone = cells.text(values.get("phone"))
    row.phone = normalize_phone(phone) if phone else None
    if phone and row.phone is None:
        row.messages["phone"] = _l("“%(value)s” is not an 11-digit mobile number.", value=phone)
    for attribute, limit in LENGTHS.items():
        if len(getattr(row, attribute)) > limit:
            row.messages[attribute] = _l("Longer than %(limit)d characters.", limit=limit)
    try:
        row.channel = cells.channel(values.get("channel"), options.channel)
    except cells.CellError as error:
        row.messages["channel"] = error.args[0]
    return row


def _fingerprint(rows: list[Row]) -> None:
    """A reference for cash and in-kind rows, the same each time the same list is imported."""
    occurrences: Counter = Counter()
    for row in rows:
        if row.key or row.status == SKIPPED or row.channel not in ("cash", "in_kind"):
            continue
        try:
            row.amount_fen = parse_amount(row.amount)
        except AmountError:
            continue  # the row is invalid; the check says why
        if row.received_on is None:
            continue
        facts = "|".join((row.received_on.isoformat(), str(row.amount_fen), row.channel,
                          row.name, row.phone or ""))
        digest = hashlib.sha256(facts.encode()).hexdigest()[:16]
        occurrences[digest] += 1
        row.key = f"{FINGERPRINT_PREFIX}{digest}:{occurrences[digest]}"


def _recorded(keys: set[tuple]) -> set[tuple]:
    """The (channel, reference) pairs among these that the fund already holds."""
    references = sorted({reference for _channel, reference in keys})
    found = set()
    for start in range(0, len(references), 500):
        found.update((channel, reference) for channel, reference in db.session.execute(
            select(Donation.channel, Donation.reference)
            .where(Donation.reference.in_(references[start:start + 500]))
        ))
    return found & keys


def _designate(row: Row, designations: dict[str, Designation]) -> None:
    if not row.designation_name:
        return
    designation = designations.get(row.designation_name)
    if designation is None:
        row.messages["designation_id"] = _l("This fund has no purpose named “%(name)s”.",
                                            name=row.designation_name)
    elif not designation.active:
        row.messages["designation_id"] = _l("The purpose “%(name)s” no longer takes donations.",
                                            name=row.designation_name)
    else:
        row.designation = designation


class Donors:
    """The fund's donors a file may mean: by mobile number first, then by exact name. Donors
    the file introduces join in, so two rows naming a new donor make one donor."""

    def __init__(self, rows: list[Row]):
        self.by_phone: dict[str, Donor | NewDonor] = {}
        self.by_name: dict[str, list[Donor | NewDonor]] = defaultdict(list)
        phones = sorted({row.phone for row in rows if row.phone})
        names = sorted({row.name for row in rows if row.name})
        found: dict[int, Donor] = {}
        for column, values in ((Donor.phone, phones), (Donor.name, names)):
            for start in range(0, len(values), 500):
                query = select(Donor).where(column.in_(values[start:start + 500]))
                found.update((donor.id, donor) for donor in db.session.scalars(query))
        for donor in sorted(found.values(), key=lambda d: d.id):
            if donor.phone:
                self.by_phone[donor.phone] = donor
            if donor.merged_into_id is None:
                self.by_name[donor.name].append(donor)

    def match(self, row: Row) -> None:
        if row.phone and row.phone in self.by_phone:
            row.donor = self._current(self.by_phone[row.phone])
            row.match = "new" if isinstance(row.donor, NewDonor) else "phone"
        elif not row.name:
            if row.phone:
                row.messages.setdefault("name", _l(
                    "No donor has this mobile number: enter the donor's name."))
        else:
            # The same name with a different mobile number is a different person.
            same = [d for d in self.by_name[row.name]
                    if not (row.phone and d.phone and d.phone != row.phone)]
            if len(same) > 1:
                row.messages.setdefault("name", _l(
                    "%(count)d donors are named %(name)s: add their mobile numbers to tell "
                    "them apart.", count=len(same), name=row.name))
            elif same:
                row.donor = same[0]
                row.match = "new" if isinstance(row.donor, NewDonor) else "name"
            else:
                row.donor, row.match = self._introduce(row.name, row.phone), "new"

    def _introduce(self, name: str, phone: str | None) -> NewDonor:
        new = NewDonor(name, phone)
        self.by_name[name].append(new)
        if phone:
            self.by_phone[phone] = new
        return new

    @staticmethod
    def _current(donor: Donor | NewDonor) -> Donor | NewDonor:
        """A merged donor's gifts go to the donor it was merged into."""
        if isinstance(donor, Donor) and donor.merged_into_id:
            return db.session.get(Donor, donor.merged_into_id) or donor
        return donor


def _check(row: Row, today: date) -> None:
    """The donation rules themselves (app.donations.services.check) add their messages to
    those found reading the row; the row's own, more precise words win for the same field."""
    row.data = donations.DonationInput(
        amount=row.amount, channel=row.channel or "", received_on=row.received_on,
        reference=row.key or "",
        designation_id=row.designation.id if row.designation else None,
        donor_id=row.donor.id if isinstance(row.donor, Donor) else None,
        # For gifts in kind the notes are all the file says about what was given.
        item_description=row.notes[:200] if row.channel == "in_kind" else "",
        notes=row.notes,
    )
    try:
        values = donations.check(row.data, today=today, channels=OFFLINE_CHANNELS)
    except Invalid as error:
        for name, message in error.errors.items():
            row.messages.setdefault(name, message)
    else:
        row.amount_fen = values["amount_fen"]
    row.status = INVALID if row.messages else VALID


@dataclass
class Outcome:
    imported: int
    duplicates: int


class CommitFailed(Exception):
    """A row the preview passed was refused while recording: nothing is kept."""

    def __init__(self, line: int, messages: list):
        super().__init__(f"row {line}: {messages}")
        self.line = line
        self.messages = messages


def commit(preview: Preview, user, progress=None) -> Outcome:
    """Record every valid row, creating the new donors they name. Flushes only: the caller
    commits once, or rolls back everything on CommitFailed. ``progress(done, total)`` hears
    of each row recorded (a background job's progress bar)."""
    valid = preview.of(VALID)
    for done, row in enumerate(valid, start=1):
        try:
            if isinstance(row.donor, NewDonor):
                row.data.donor_id = row.donor.create().id
            row.data.handler_id = user.id
            donations.record_offline(row.data, user)
        except Invalid as error:
            raise CommitFailed(row.line, list(error.errors.values())) from error
        if progress:
            progress(done, len(valid))
    return Outcome(imported=len(preview.of(VALID)), duplicates=len(preview.of(DUPLICATE)))
