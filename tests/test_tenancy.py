"""Fail-closed tenancy: no scope raises, a scope sees only its funds, the database refuses
cross-fund references, and on PostgreSQL row-level security holds even for raw SQL."""

from datetime import date

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.donations.models import Donation
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund
from tenants import (
    SYSTEM,
    TenantRequired,
    TenantViolation,
    fund_scope,
    township_scope,
    using,
)

from .conftest import DB_KIND


def _fund(prefix: str) -> Fund:
    return db.session.scalar(select(Fund).where(Fund.receipt_prefix == prefix))


@pytest.fixture
def two_funds(app):
    """东港村 and 南塘村, each with one donor and one donation."""
    with app.app_context():
        with using(SYSTEM):
            a, b = _fund("DGC"), _fund("NTC")
            for fund, name in ((a, "王大伯"), (b, "李阿姨")):
                donor = Donor(fund_id=fund.id, name=name)
                db.session.add(donor)
                db.session.flush()
                db.session.add(Donation(fund_id=fund.id, donor_id=donor.id, amount_fen=10000,
                                        channel="cash", received_on=date(2026, 1, 20)))
            db.session.commit()
            ids = {"a": a.id, "b": b.id, "township": a.township_id,
                   "donor_a": db.session.scalar(select(Donor.id).where(Donor.fund_id == a.id)),
                   "donor_b": db.session.scalar(select(Donor.id).where(Donor.fund_id == b.id))}
        db.session.remove()
        yield ids


def test_query_without_tenant_raises(two_funds):
    with pytest.raises(TenantRequired):
        db.session.scalars(select(Donor)).all()


def test_session_get_without_tenant_raises(two_funds):
    with pytest.raises(TenantRequired):
        db.session.get(Donor, two_funds["donor_a"])


def test_write_without_tenant_raises(two_funds):
    db.session.add(Donor(fund_id=two_funds["a"], name="无名氏"))
    with pytest.raises(TenantRequired):
        db.session.flush()
    db.session.rollback()


MINE = Donor.name.in_(["王大伯", "李阿姨"])  # the fixture's donors among the demo's


def test_fund_scope_sees_only_its_rows(two_funds):
    with using(fund_scope(two_funds["a"])):
        assert db.session.scalars(select(Donor.name).where(MINE)).all() == ["王大伯"]
        assert set(db.session.scalars(select(Donor.fund_id))) == {two_funds["a"]}
        assert db.session.get(Donor, two_funds["donor_b"]) is None
        counted = db.session.scalar(select(db.func.count()).select_from(Donor))
    with using(SYSTEM):
        everywhere = db.session.scalar(select(db.func.count()).select_from(Donor))
    assert 0 < counted < everywhere


def test_relationship_loads_are_scoped(two_funds):
    with using(fund_scope(two_funds["b"])):
        donations = db.session.scalars(
            select(Donation).options(joinedload(Donation.donor))
        ).unique().all()
        assert {d.donor.fund_id for d in donations if d.donor} == {two_funds["b"]}
        assert "李阿姨" in {d.donor.name for d in donations if d.donor}


def test_identity_map_does_not_leak_across_scopes(two_funds):
    with using(fund_scope(two_funds["a"])):
        donor = db.session.get(Donor, two_funds["donor_a"])
        assert donor is not None
    with using(fund_scope(two_funds["b"])):
        assert db.session.get(Donor, two_funds["donor_a"]) is None


def test_bulk_update_touches_only_the_scoped_fund(two_funds):
    with using(fund_scope(two_funds["a"])):
        db.session.execute(update(Donor).values(notes="bulk"))
        db.session.commit()
    with using(SYSTEM):
        rows = dict(db.session.execute(select(Donor.fund_id, Donor.notes).where(MINE)).all())
        touched = set(db.session.scalars(select(Donor.fund_id).where(Donor.notes == "bulk")))
    assert rows == {two_funds["a"]: "bulk", two_funds["b"]: ""}
    assert touched == {two_funds["a"]}


def test_write_into_another_fund_is_refused(two_funds):
    with using(fund_scope(two_funds["a"])):
        db.session.add(Donor(fund_id=two_funds["b"], name="冒名"))
        with pytest.raises(TenantViolation):
            db.session.flush()
        db.session.rollback()


def test_new_rows_take_the_fund_of_the_scope(two_funds):
    with using(fund_scope(two_funds["a"])):
        donor = Donor(name="新捐赠人")
        db.session.add(donor)
        db.session.flush()
        assert donor.fund_id == two_funds["a"]
        db.session.rollback()


def test_township_scope_reads_its_own_funds(two_funds, app):
    with using(township_scope(two_funds["township"], [two_funds["a"], two_funds["b"]])):
        assert sorted(db.session.scalars(select(Donor.name).where(MINE))) == ["李阿姨", "王大伯"]
    with using(township_scope(two_funds["township"], [two_funds["a"]])):
        assert db.session.scalars(select(Donor.name).where(MINE)).all() == ["王大伯"]


def test_database_refuses_cross_fund_reference(two_funds):
    """Even with every check above bypassed (system scope), the composite key says no."""
    with using(SYSTEM):
        db.session.add(Donation(fund_id=two_funds["a"], donor_id=two_funds["donor_b"],
                                amount_fen=500, channel="cash", received_on=date(2026, 2, 1)))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_duplicate_reference_is_refused_per_fund_not_across(two_funds):
    with using(SYSTEM):
        for fund in ("a", "b"):
            db.session.add(Donation(fund_id=two_funds[fund], amount_fen=100, channel="bank",
                                    reference="SN001", received_on=date(2026, 3, 1)))
        db.session.flush()  # the same bank serial in two funds is fine
        db.session.add(Donation(fund_id=two_funds["a"], amount_fen=100, channel="bank",
                                reference="SN001", received_on=date(2026, 3, 2)))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


postgres_only = pytest.mark.skipif(DB_KIND != "postgresql", reason="PostgreSQL only")


@postgres_only
def test_app_role_sees_nothing_of_another_fund_through_raw_sql(two_funds):
    """The app connects as a role that owns nothing; RLS filters even hand-written SQL."""
    user = db.session.execute(text("SELECT current_user")).scalar()
    owner = db.session.execute(text("SELECT tableowner FROM pg_tables WHERE tablename='donor'"))
    assert user != owner.scalar()
    db.session.rollback()
    with using(fund_scope(two_funds["a"])):
        rows = db.session.execute(text("SELECT DISTINCT fund_id FROM donor")).all()
        assert rows == [(two_funds["a"],)]
        other = db.session.execute(
            text("SELECT count(*) FROM donor WHERE fund_id = :b"), {"b": two_funds["b"]}
        ).scalar()
        assert other == 0
        db.session.rollback()
    # No scope at all: nothing, rather than everything.
    assert db.session.execute(text("SELECT count(*) FROM donation")).scalar() == 0
    db.session.rollback()


@postgres_only
def test_app_role_cannot_insert_into_another_fund_through_raw_sql(two_funds):
    from sqlalchemy.exc import ProgrammingError

    with using(fund_scope(two_funds["a"])), pytest.raises(ProgrammingError):
        db.session.execute(
            text("INSERT INTO donor (fund_id, kind, name, anonymity, locale, created_at) "
                 "VALUES (:b, 'person', '越权', 'show', 'zh_Hans', now())"),
            {"b": two_funds["b"]},
        )
    db.session.rollback()


@postgres_only
def test_every_fund_owned_table_has_a_policy(app):
    from tenants.model import fund_owned_tables
    from tenants.rls import missing_policies

    with app.app_context():
        # Found from the models, so a new feature's tables are checked without editing this.
        assert {"donation", "donor", "ledger_entry", "receipt", "receipt_file", "ballot",
                "audit_entry", "job"} <= {t.name for t in fund_owned_tables()}
        with db.engine.connect() as connection:
            assert missing_policies(connection) == []


def test_counts_and_subqueries_are_scoped(two_funds):
    with using(fund_scope(two_funds["a"])):
        own = db.session.scalar(select(db.func.count()).select_from(Donor).where(
            Donor.fund_id == two_funds["a"]))
        assert db.session.scalar(select(db.func.count()).select_from(Donor)) == own
        inner = select(Donor.id).subquery()
        assert db.session.scalar(select(db.func.count()).select_from(inner)) == own
        total = db.session.scalar(select(db.func.sum(Donation.amount_fen)))
    with using(SYSTEM):
        assert total == db.session.scalar(select(db.func.sum(Donation.amount_fen)).where(
            Donation.fund_id == two_funds["a"]))


def test_count_without_tenant_raises(two_funds):
    with pytest.raises(TenantRequired):
        db.session.scalar(select(db.func.count()).select_from(Donor))


def test_bare_table_without_tenant_raises(two_funds):
    with pytest.raises(TenantRequired):
        db.session.scalar(select(db.func.count()).select_from(Donor.__table__))


def test_bulk_insert_is_checked_too(two_funds):
    from sqlalchemy import insert

    with pytest.raises(TenantRequired):
        db.session.execute(insert(Donor), [{"fund_id": two_funds["a"], "name": "甲"}])
    db.session.rollback()
    with using(fund_scope(two_funds["a"])):
        with pytest.raises(TenantViolation):
            db.session.execute(insert(Donor), [{"fund_id": two_funds["b"], "name": "乙"}])
        db.session.rollback()
        db.session.execute(insert(Donor), [{"name": "丙", "initials": "b"}])
        assert "丙" in db.session.scalars(select(Donor.name)).all()
        db.session.rollback()


def test_insert_from_select_is_refused_in_a_fund_scope(two_funds):
    """The SELECT inside would read every fund: refused rather than leaking."""
    from app.ledger.models import LedgerEntry

    copied = select(Donation.fund_id, db.literal("donation"), Donation.amount_fen,
                    db.literal("copy:") + db.cast(Donation.id, db.String), Donation.id,
                    db.literal(""))
    with using(fund_scope(two_funds["a"])), pytest.raises(TenantViolation):
        db.session.execute(db.insert(LedgerEntry).from_select(
            ["fund_id", "kind", "amount_fen", "reference", "donation_id", "reason"], copied))
    db.session.rollback()


def test_values_clauses_cannot_cross_funds(two_funds):
    from sqlalchemy import insert

    with using(fund_scope(two_funds["a"])):
        with pytest.raises(TenantViolation):
            db.session.execute(insert(Donor).values(fund_id=two_funds["b"], name="越界"))
        db.session.rollback()
        with pytest.raises(TenantViolation):
            db.session.execute(update(Donor).values(fund_id=two_funds["b"]))
        db.session.rollback()
        db.session.execute(insert(Donor).values(fund_id=two_funds["a"], name="本基金",
                                                initials="bjj"))
        db.session.rollback()


def test_the_tenancy_layer_imports_no_feature_of_the_app():
    """tenants/ sits below the features: it gets its look-ups (memberships, a fund or
    township by slug) from create_app, and asks only the permission table and role names."""
    import ast
    from pathlib import Path

    allowed = {"app.extensions", "app.auth.policy", "app.auth.roles"}
    found = set()
    for path in (Path(__file__).resolve().parent.parent / "tenants").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found |= {f"{path.name}: {name}" for name in names
                      if name.split(".")[0] == "app" and name not in allowed}
    assert not found
