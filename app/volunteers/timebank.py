"""The time bank (时间银行): accounts in hours, double-entry transfers, limits per account.

Every transfer is two or more movements that sum to zero, so the sum over all accounts is
always zero: the bank's own ISSUED account holds minus every hour deposited from confirmed
service, SPENT every hour drawn for a service, and what volunteers, residents and the pool
hold together is exactly the hours deposited minus the hours spent. 1 hour = 1 hour, whatever
the service: the exchange rule printed on every statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.database import lock
from app.db_types import utcnow
from app.extensions import db
from app.validation import Invalid

from .models import AccountKind, TimeAccount, TimeMovement, TimeTransfer, TransferKind

EXCHANGE_RULE = _l("Exchange rule: 1 hour of service = 1 hour in the bank, whatever the "
                   "service. Hours are not money and cannot be bought or sold.")
VOLUNTEER_MAX = 1000 * 60  # an account holds at most 1,000 hours unless set otherwise
BANK_SIDES = (AccountKind.ISSUED, AccountKind.SPENT)


def apply(balances: Mapping[int, int], limits: Mapping[int, tuple[int | None, int | None]],
          legs: list[tuple[int, int]]) -> dict[int, int]:
    """The balances after a transfer, or Invalid: the legs must sum to zero, move something,
    and leave every account within its (min, max) limits. Pure: the property tests drive it."""
    if not legs or any(minutes == 0 for _, minutes in legs):
        raise Invalid({"minutes": _l("Enter how many hours to move (more than 0).")})
    if sum(minutes for _, minutes in legs) != 0:
        raise ValueError("a transfer's movements must sum to zero")
    after = dict(balances)
    for account, minutes in legs:
        after[account] = after.get(account, 0) + minutes
    for account, _ in legs:
        low, high = limits.get(account, (None, None))
        if low is not None and after[account] < low:
            raise Invalid({"minutes": _l("Not enough hours in the account for this.")})
        if high is not None and after[account] > high:
            raise Invalid({"minutes": _l("This would take the account over its limit.")})
    return after


def bank_account(fund_id: int, kind: str) -> TimeAccount:
    """The fund's ISSUED, SPENT or POOL account, made on first use."""
    account = db.session.scalar(select(TimeAccount).where(TimeAccount.fund_id == fund_id,
                                                          TimeAccount.kind == kind))
    if account is None:
        account = TimeAccount(fund_id=fund_id, kind=kind,
                              min_minutes=None if kind in BANK_SIDES else 0)
        db.session.add(account)
        db.session.flush()
    return account


def account_of(volunteer) -> TimeAccount:
    account = db.session.scalar(select(TimeAccount).where(
        TimeAccount.volunteer_id == volunteer.id))
    if account is None:
        for kind in (AccountKind.ISSUED, AccountKind.SPENT, AccountKind.POOL):
            bank_account(volunteer.fund_id, kind)  # the fund's bank opens with its first account
        account = TimeAccount(fund_id=volunteer.fund_id, kind=AccountKind.VOLUNTEER,
                              volunteer_id=volunteer.id, min_minutes=0, max_minutes=VOLUNTEER_MAX)
        db.session.add(account)
        db.session.flush()
    return account


def add_resident(fund_id: int, holder: str, max_hours: int | None) -> TimeAccount:
    """A resident in need, recorded by the 社工: draws hours granted from the pool."""
    holder = (holder or "").strip()
    if not holder:
        raise Invalid({"holder": _l("Enter the resident's name.")})
    if len(holder) > 100:
        raise Invalid({"holder": _l("The name is too long (at most 100 characters).")})
    account = TimeAccount(fund_id=fund_id, kind=AccountKind.RESIDENT, holder=holder,
                          min_minutes=0, max_minutes=(max_hours or 1000) * 60)
    db.session.add(account)
    db.session.flush()
    return account


def balance(account_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(TimeMovement.minutes), 0)).where(
        TimeMovement.account_id == account_id)) or 0


def balances() -> dict[int, int]:
    """Every account's balance in the scope's funds."""
    return dict(db.session.execute(select(TimeMovement.account_id, func.sum(TimeMovement.minutes))
                                   .group_by(TimeMovement.account_id)).all())


def transfer(fund_id: int, kind: str, legs: list[tuple[TimeAccount, int]], *, note: str = "",
             user: User | None = None, hour_entry_id: int | None = None,
             now: datetime | None = None) -> TimeTransfer:
    """Move hours between accounts: the accounts are locked in id order (two transfers from
    one account run one after the other), the limits checked on the balances after."""
    accounts = sorted({a.id: a for a, _ in legs}.values(), key=lambda a: a.id)
    for account in accounts:
        if account.fund_id != fund_id:
            raise Invalid({"minutes": _l("Both accounts must belong to this fund.")})
        lock(account)
    apply({a.id: balance(a.id) for a in accounts},
          {a.id: (a.min_minutes, a.max_minutes) for a in accounts},
          [(a.id, minutes) for a, minutes in legs])
    if len(note) > 200:
        raise Invalid({"note": _l("The note is too long (at most 200 characters).")})
    moved = TimeTransfer(fund_id=fund_id, kind=kind, note=note, hour_entry_id=hour_entry_id,
                         created_by_id=user.id if user else None, created_at=now or utcnow())
    db.session.add(moved)
    db.session.flush()
    db.session.add_all(TimeMovement(fund_id=fund_id, transfer_id=moved.id, account_id=a.id,
                                    minutes=minutes) for a, minutes in legs)
    db.session.flush()
    return moved


def deposit(entry, user: User | None = None) -> TimeTransfer | None:
    """Confirmed hours (or a correction of them) into the volunteer's account."""
    if entry.minutes == 0:
        return None
    from .models import Volunteer

    volunteer = db.session.get(Volunteer, entry.volunteer_id)
    issued = bank_account(entry.fund_id, AccountKind.ISSUED)
    return transfer(entry.fund_id, TransferKind.DEPOSIT,
                    [(issued, -entry.minutes), (account_of(volunteer), entry.minutes)],
                    user=user, hour_entry_id=entry.id)


def move(fund_id: int, source: TimeAccount, target: TimeAccount, minutes: int, *,
         note: str = "", user: User | None = None) -> TimeTransfer:
    """What a person asks the bank to do, named by the two accounts: give (a volunteer to a
    relative or to the pool), grant (the pool to a resident), draw (hours spent on a service)."""
    if minutes <= 0:
        raise Invalid({"minutes": _l("Enter how many hours to move (more than 0).")})
    if source.id == target.id:
        raise Invalid({"target_id": _l("Choose another account to move the hours to.")})
    if source.kind in BANK_SIDES or target.kind == AccountKind.ISSUED:
        raise Invalid({"source_id": _l("Hours come into the bank only from confirmed service.")})
    if target.kind == AccountKind.SPENT:
        kind = TransferKind.DRAW
    elif source.kind == AccountKind.POOL:
        kind = TransferKind.GRANT
    elif source.kind == AccountKind.VOLUNTEER and target.kind in (AccountKind.VOLUNTEER,
                                                                  AccountKind.POOL):
        kind = TransferKind.GIFT
    else:
        raise Invalid({"target_id": _l("A resident's hours are drawn for services, not given "
                                       "on.")})
    return transfer(fund_id, kind, [(source, -minutes), (target, minutes)], note=note.strip(),
                    user=user)


def statement(account: TimeAccount) -> list[tuple[TimeTransfer, int, int]]:
    """(transfer, minutes, balance after), oldest first."""
    rows = db.session.execute(select(TimeTransfer, TimeMovement.minutes).join(
        TimeMovement, (TimeMovement.transfer_id == TimeTransfer.id)
        & (TimeMovement.fund_id == TimeTransfer.fund_id))
        .where(TimeMovement.account_id == account.id).order_by(TimeTransfer.id)).all()
    running, lines = 0, []
    for moved, minutes in rows:
        running += minutes
        lines.append((moved, minutes, running))
    return lines


def accounts() -> list[TimeAccount]:
    return list(db.session.scalars(select(TimeAccount).order_by(TimeAccount.kind,
                                                               TimeAccount.id)))
