"""The time bank balances: every transfer is movements that sum to zero, so what the accounts
hold together is always the hours deposited minus the hours spent, and no account ever
leaves its limits, whatever transfers are asked for (property tests, hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.validation import Invalid
from app.volunteers import services, timebank
from app.volunteers.models import AccountKind, TimeAccount, TimeMovement, TimeTransfer
from tenants import SYSTEM, using

from .conftest import LOGINS

ACCOUNTS = 6
LIMITS = {0: (None, None), 1: (None, None), **{i: (0, 600) for i in range(2, ACCOUNTS)}}
legs = st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1),
                 st.integers(-100, 400))


@given(st.lists(legs, max_size=60))
def test_any_transfers_keep_the_sum_zero_and_every_account_within_its_limits(asked):
    balances = dict.fromkeys(range(ACCOUNTS), 0)
    for source, target, minutes in asked:
        try:
            balances = timebank.apply(balances, LIMITS, [(source, -minutes), (target, minutes)])
        except Invalid:
            continue  # refused: the balances stay as they were
        assert minutes != 0
    assert sum(balances.values()) == 0
    for account, (low, high) in LIMITS.items():
        assert low is None or balances[account] >= low
        assert high is None or balances[account] <= high


def test_legs_that_do_not_sum_to_zero_are_a_programming_error():
    with pytest.raises(ValueError):
        timebank.apply({}, {}, [(1, -60), (2, 30)])


# An operation on the fund's bank: deposit confirmed hours, give to the pool or another
# volunteer, grant from the pool to a resident, draw for a service.
operations = st.lists(st.tuples(
    st.sampled_from(["deposit", "give", "gift", "grant", "draw"]),
    st.integers(0, 2), st.integers(-30, 300)), min_size=1, max_size=25)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asked=operations)
def test_the_bank_holds_what_was_deposited_minus_what_was_spent(fund, asked):
    savepoint = db.session.begin_nested()
    user = db.session.scalar(select(User).where(User.phone == LOGINS["social_worker"]))
    people = [services.register(fund, services.VolunteerInput(
        name=f"测试{n}", phone=f"1360000000{n}", id_number=_id(n)), user) for n in range(3)]
    resident = timebank.add_resident(fund.id, "测试居民", 10)
    pool = timebank.bank_account(fund.id, AccountKind.POOL)
    spent = timebank.bank_account(fund.id, AccountKind.SPENT)
    issued = timebank.bank_account(fund.id, AccountKind.ISSUED)
    deposited_before, spent_before = -timebank.balance(issued.id), timebank.balance(spent.id)
    for kind, who, minutes in asked:
        volunteer = timebank.account_of(people[who])
        step = db.session.begin_nested()
        try:
            if kind == "deposit":
                timebank.transfer(fund.id, "deposit", [(issued, -minutes), (volunteer, minutes)])
            elif kind == "give":
                timebank.move(fund.id, volunteer, pool, minutes)
            elif kind == "gift":
                other = timebank.account_of(people[(who + 1) % 3])
                timebank.move(fund.id, volunteer, other, minutes)
            elif kind == "grant":
                timebank.move(fund.id, pool, resident, minutes)
            else:
                timebank.move(fund.id, resident, spent, minutes)
            step.commit()
        except Invalid:
            step.rollback()
    held = db.session.scalar(select(func.coalesce(func.sum(TimeMovement.minutes), 0)).where(
        TimeMovement.account_id.not_in([issued.id, spent.id])))
    assert db.session.scalar(select(func.sum(TimeMovement.minutes))) == 0
    assert held == -timebank.balance(issued.id) - timebank.balance(spent.id)
    assert -timebank.balance(issued.id) >= deposited_before
    assert timebank.balance(spent.id) >= spent_before
    for account in timebank.accounts():
        balance = timebank.balance(account.id)
        assert account.min_minutes is None or balance >= account.min_minutes
        assert account.max_minutes is None or balance <= account.max_minutes
    for moved in db.session.scalars(select(TimeTransfer)):
        assert db.session.scalar(select(func.sum(TimeMovement.minutes)).where(
            TimeMovement.transfer_id == moved.id)) == 0
    savepoint.rollback()


def test_a_resident_cannot_give_hours_on_and_the_bank_sides_are_not_for_people(fund):
    pool = timebank.bank_account(fund.id, AccountKind.POOL)
    issued = timebank.bank_account(fund.id, AccountKind.ISSUED)
    resident = timebank.add_resident(fund.id, "测试居民", 10)
    with pytest.raises(Invalid):
        timebank.move(fund.id, resident, pool, 30)
    with pytest.raises(Invalid):
        timebank.move(fund.id, issued, pool, 30)
    with pytest.raises(Invalid):
        timebank.move(fund.id, pool, resident, 0)


def test_every_statement_states_the_exchange_rule(client, auth, app):
    with app.app_context(), using(SYSTEM):
        account = db.session.scalar(select(TimeAccount.id).where(
            TimeAccount.kind == AccountKind.VOLUNTEER).order_by(TimeAccount.id))
        db.session.remove()
    auth.login(LOGINS["social_worker"])
    for path in (f"/f/donggangcun/volunteers/bank/{account}", "/f/donggangcun/volunteers/bank"):
        page = client.get(path).get_data(as_text=True)
        assert "兑换规则" in page or "Exchange rule" in page, path


def _id(n: int) -> str:
    from app.demo.volunteers import id_number

    return id_number("19800101", 700 + n)
