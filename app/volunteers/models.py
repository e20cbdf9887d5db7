"""Volunteers (志愿者), activities and their hours, certificates (志愿服务证明) and the time bank.

Hours are append-only entries: a service entry is written once, when a second person confirms
an activity's list, and a mistake is corrected by a new entry with a reason. The time bank is
double-entry: every transfer is movements that sum to zero, so the bank always balances.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.audit import audited
from app.codes import Code
from app.db_types import SECRET, UTCDateTime, utcnow
from app.extensions import db
from app.privacy import Sealed
from tenants.model import FundOwned, same_fund_fk


class ActivityStatus(Code):
    OPEN = "open", _l("Open for sign-up and check-in")
    MARKED = "marked", _l("Marked by the leader")
    CONFIRMED = "confirmed", _l("Confirmed: hours counted")


class Mark(Code):
    NORMAL = "normal", _l("Present (正常)")
    LEAVE = "leave", _l("On leave (请假)")
    LATE = "late", _l("Late (迟到)")
    ABSENT = "absent", _l("Absent (缺席)")


class CheckedWhere(Code):
    """How a check-in was placed: the phone's position within the activity's radius, no
    position to compare (the activity has no location, or the volunteer refused to share it),
    or the leader on site checked the volunteer in."""

    NEAR = "near", _l("Position checked")
    UNVERIFIED = "unverified", _l("Position not verified (位置未核实)")
    LEADER = "leader", _l("Checked in by the leader")


class HourKind(Code):
    SERVICE = "service", _l("Service")
    CORRECTION = "correction", _l("Correction")


class AccountKind(Code):
    ISSUED = "issued", _l("Hours deposited by the bank")
    SPENT = "spent", _l("Hours spent on services")
    POOL = "pool", _l("The fund's pool")
    VOLUNTEER = "volunteer", _l("Volunteer")
    RESIDENT = "resident", _l("Resident in need")


class TransferKind(Code):
    DEPOSIT = "deposit", _l("Confirmed hours deposited")
    GIFT = "gift", _l("Hours given")
    GRANT = "grant", _l("Hours granted from the pool")
    DRAW = "draw", _l("Hours drawn for a service")


@audited(personal=("name", "skills", "guardian_name"))
class Volunteer(FundOwned, db.Model):
    """A volunteer registered by real name with one fund. The same person in another fund of
    the township is another row with the same id_hash (and phone_hash): their record across
    funds is found by those hashes, never by the sealed values themselves."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "id_hash"),
        Index("ix_volunteer_id_hash", "id_hash"),
        Index("ix_volunteer_phone_hash", "phone_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(Sealed("volunteer.phone"))
    phone_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    id_number: Mapped[str] = mapped_column(Sealed("volunteer.id_number"))
    id_hash: Mapped[str] = mapped_column(String(64), info=SECRET)
    # Read from the ID number: a volunteer under 18 needs a guardian.
    birth_date: Mapped[date] = mapped_column(Date)
    skills: Mapped[str] = mapped_column(String(200), default="")
    guardian_name: Mapped[str] = mapped_column(String(100), default="")
    guardian_phone: Mapped[str | None] = mapped_column(Sealed("volunteer.guardian_phone"))
    # Agreed to be named on the public board; otherwise only counted.
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


@audited(state="status")
class Activity(FundOwned, db.Model):
    __fund_args__ = (
        ActivityStatus.check("status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("needed >= 1", name="needed_positive"),
        CheckConstraint("min_minutes >= 0", name="min_minutes_not_negative"),
        UniqueConstraint("fund_id", "check_token"),
        CheckConstraint("(latitude IS NULL AND longitude IS NULL) OR (latitude BETWEEN -90 "
                        "AND 90 AND longitude BETWEEN -180 AND 180)", name="place_on_earth"),
        CheckConstraint("radius_m BETWEEN 50 AND 5000", name="radius_in_range"),
        CheckConstraint("leader_id IS NULL OR leader_volunteer_id IS NULL", name="one_leader"),
        same_fund_fk("leader_volunteer_id", "volunteer"),
        same_fund_fk("marked_by_volunteer_id", "volunteer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    needed: Mapped[int] = mapped_column(default=1)
    min_minutes: Mapped[int] = mapped_column(default=0)  # hours already served, to sign up
    minors_allowed: Mapped[bool] = mapped_column(Boolean, default=False)  # a group activity
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Or a volunteer leads on site: no account in the fund, they open their activity's list
    # with an SMS code (public_views.lead) and see only that list.
    leader_volunteer_id: Mapped[int | None] = mapped_column()
    # Where the place is (optional): a volunteer's own check-in must come from within the
    # radius of it; without it the check-in is taken and shown as 位置未核实.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(default=500, server_default="500")
    # The secret part of the check-in QR code: scanning it at the place proves presence.
    check_token: Mapped[str] = mapped_column(String(40), info=SECRET)
    status: Mapped[str] = mapped_column(String(10), default="open")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    marked_by_volunteer_id: Mapped[int | None] = mapped_column()  # a volunteer leader
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Attendance(FundOwned, db.Model):
    """A volunteer signed up for an activity, their check-in and check-out, the leader's mark."""

    __fund_args__ = (
        Mark.check("mark"),
        CheckedWhere.check("checked_where"),
        UniqueConstraint("fund_id", "activity_id", "volunteer_id"),
        same_fund_fk("activity_id", "activity"),
        same_fund_fk("volunteer_id", "volunteer"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int]
    volunteer_id: Mapped[int]
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the check-in was placed, and the distance from the place when a position was sent
    # (the position itself is not kept: the distance is all the leader needs).
    checked_where: Mapped[str | None] = mapped_column(String(12))
    distance_m: Mapped[int | None] = mapped_column()
    mark: Mapped[str | None] = mapped_column(String(10))
    minutes: Mapped[int | None] = mapped_column()  # set when the leader confirms the list

    volunteer: Mapped[Volunteer] = relationship(
        primaryjoin="and_(Attendance.volunteer_id == Volunteer.id, "
                    "Attendance.fund_id == Volunteer.fund_id)",
        foreign_keys="[Attendance.volunteer_id]", viewonly=True)


@audited()
class HourEntry(FundOwned, db.Model):
    """Hours that count: a service entry per attendance, written once when the second person
    confirms; corrections are new entries with a reason (the database refuses edits)."""

    __fund_args__ = (
        HourKind.check("kind"),
        same_fund_fk("volunteer_id", "volunteer"),
        same_fund_fk("activity_id", "activity"),
        same_fund_fk("attendance_id", "attendance"),
        same_fund_fk("corrects_id", "hour_entry"),
        CheckConstraint("kind = 'correction' OR minutes >= 0", name="service_not_negative"),
        CheckConstraint("minutes BETWEEN -1440 AND 1440", name="minutes_in_a_day"),
        # Two confirmations at once write the hours once.
        Index("uq_hour_entry_service", "fund_id", "attendance_id", unique=True,
              sqlite_where=text("kind = 'service'"), postgresql_where=text("kind = 'service'")),
        Index("ix_hour_entry_fund_id_volunteer_id", "fund_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int]
    activity_id: Mapped[int]
    attendance_id: Mapped[int | None] = mapped_column()
    kind: Mapped[str] = mapped_column(String(12), default="service")
    minutes: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300), default="")
    corrects_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificateCounter(FundOwned, db.Model):
    """The last certificate number per fund and year (app/counters.py, as receipts)."""

    __fund_args__ = (UniqueConstraint("fund_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)


@audited(personal=("name",), skip=("pdf",))
class Certificate(FundOwned, db.Model):
    """志愿服务证明: what it states is copied in when issued, its PDF stored with its sha256;
    triggers refuse any change or delete."""

    __fund_args__ = (
        UniqueConstraint("fund_id", "year", "sequence"),
        UniqueConstraint("fund_id", "number"),
        UniqueConstraint("fund_id", "token"),
        Index("ix_certificate_token", "token"),  # the public check finds it across funds
        same_fund_fk("volunteer_id", "volunteer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(40), info=SECRET)
    volunteer_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    id_masked: Mapped[str] = mapped_column(String(20))
    total_minutes: Mapped[int]
    # [[date iso, activity title, minutes], ...] as printed.
    services: Mapped[list] = mapped_column(JSON)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


class TimeAccount(FundOwned, db.Model):
    """An account of the time bank. ISSUED and SPENT are the bank's own two sides (hours came
    in from confirmed service, hours went out in services drawn); POOL is the fund's."""

    __fund_args__ = (
        AccountKind.check("kind"),
        same_fund_fk("volunteer_id", "volunteer"),
        UniqueConstraint("fund_id", "volunteer_id"),
        Index("uq_time_account_bank", "fund_id", "kind", unique=True,
              sqlite_where=text("kind IN ('issued', 'spent', 'pool')"),
              postgresql_where=text("kind IN ('issued', 'spent', 'pool')")),
        CheckConstraint("max_minutes IS NULL OR max_minutes >= min_minutes", name="limits_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    volunteer_id: Mapped[int | None] = mapped_column()
    holder: Mapped[str | None] = mapped_column(Sealed("time_account.holder"))  # a resident
    # The balance stays within these (None: no limit; the bank's own sides have none).
    min_minutes: Mapped[int | None] = mapped_column()
    max_minutes: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@audited()
class TimeTransfer(FundOwned, db.Model):
    __fund_args__ = (
        TransferKind.check("kind"),
        same_fund_fk("hour_entry_id", "hour_entry"),
        UniqueConstraint("fund_id", "hour_entry_id"),  # confirmed hours are deposited once
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    hour_entry_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimeMovement(FundOwned, db.Model):
    """One side of a transfer; a transfer's movements sum to zero."""

    __fund_args__ = (
        same_fund_fk("transfer_id", "time_transfer"),
        same_fund_fk("account_id", "time_account"),
        CheckConstraint("minutes <> 0", name="minutes_not_zero"),
        Index("ix_time_movement_fund_id_account_id", "fund_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int]
    account_id: Mapped[int]
    minutes: Mapped[int]
