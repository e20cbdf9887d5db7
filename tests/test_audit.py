"""The audit trail: changes recorded by themselves, a hash chain that shows any tampering, a
database that refuses edits, and the pages that let people read it."""

import json
import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text

from app.audit import acting_as, record
from app.audit.chain import verify
from app.audit.models import AuditEntry, AuditHead, PlatformAuditEntry
from app.auth.models import User
from app.clock import local_today
from app.donations import batches, services
from app.donations.models import Designation, Donation
from app.donors import services as donors
from app.donors.models import Donor
from app.extensions import db
from app.funds.models import Fund, Township
from tenants import SYSTEM, TenantViolation, fund_scope, using

from .conftest import DB_KIND, LOGINS, PASSWORD


def _entries(action=None, **where):
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        query = query.where(AuditEntry.action == action)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


def _cash(amount="100", **kw):
    return services.DonationInput(amount=amount, channel="cash", received_on=local_today(), **kw)


def _treasurer():
    return db.session.scalar(select(User).where(User.phone == LOGINS["treasurer"]))


# --- recording --------------------------------------------------------------------------------

def test_a_recorded_donation_is_in_the_fund_trail_with_who_and_what(fund):
    treasurer = _treasurer()
    with acting_as(treasurer):
        donation = services.record_offline(_cash("250"), treasurer)
        db.session.commit()
    [entry] = _entries("donation.created", subject_id=donation.id)
    after = json.loads(entry.after)
    assert after["amount_fen"] == 25000 and after["channel"] == "cash"
    assert entry.fund_id == fund.id and entry.subject_table == "donation"
    assert (entry.actor_id, entry.actor_name) == (treasurer.id, treasurer.name)
    [booked] = [e for e in _entries("ledger_entry.created")
                if json.loads(e.after).get("donation_id") == donation.id]
    assert json.loads(booked.after)["amount_fen"] == 25000


def test_closing_a_batch_records_each_confirmation_with_before_and_after(fund):
    batch = batches.open_batch(batches.BatchInput(
        title="重阳节募捐", channel="cash", received_on=local_today(), counted_total="300"), None)
    rows = [batches.add_row(batch, batches.RowInput(amount=a), None) for a in ("100", "200")]
    db.session.commit()
    batches.close_batch(batch, None)
    db.session.commit()
    for row in rows:
        [entry] = _entries("donation.confirmed", subject_id=row.id)
        assert json.loads(entry.before)["status"] == "pending"
        assert json.loads(entry.after)["status"] == "confirmed"
    [closed] = _entries("batch.closed", subject_id=batch.id)
    assert json.loads(closed.before)["status"] == "open"
    assert json.loads(closed.after)["status"] == "closed"
    assert closed.actor_name == "system"


def test_an_edit_records_only_the_changed_columns(fund):
    donor = db.session.scalar(select(Donor).order_by(Donor.id))
    old_address = donor.address
    donor.address = "东港村三组 12 号"
    db.session.commit()
    [entry] = _entries("donor.updated", subject_id=donor.id)
    assert json.loads(entry.before) == {"address": old_address}
    assert json.loads(entry.after) == {"address": "东港村三组 12 号"}


def test_a_rolled_back_change_leaves_no_entry(fund):
    before = len(_entries())
    db.session.add(Designation(name="回滚的用途"))
    db.session.flush()
    db.session.rollback()
    db.session.add(Designation(name="留下的用途"))
    db.session.commit()
    names = [json.loads(e.after).get("name") for e in _entries("designation.created")]
    assert "留下的用途" in names and "回滚的用途" not in names
    assert len(_entries()) == before + 1


def test_a_bulk_update_is_recorded_with_its_row_count(fund):
    keep, absorb = db.session.scalars(select(Donor).where(Donor.merged_into_id.is_(None))
                                      .order_by(Donor.id).limit(2)).all()
    moved = len(db.session.scalars(select(Donation.id).where(
        Donation.donor_id == absorb.id)).all())
    donors.merge(keep, absorb)
    db.session.commit()
    bulk = [e for e in _entries("donation.updated") if json.loads(e.after).get("donor_id")
            == keep.id]
    assert bulk and json.loads(bulk[-1].after)["rows"] == moved
    merged = _entries("donor.updated", subject_id=absorb.id)[-1]
    assert json.loads(merged.after)["merged_into_id"] == keep.id


def test_shared_rows_and_events_go_to_the_platform_chain(app, system):
    luwan = db.session.scalar(select(Township).where(Township.slug == "luwan"))
    luwan.require_admin_2fa = True
    record("export.annual", township_id=luwan.id, after={"funds": 3})
    db.session.commit()
    entries = db.session.scalars(select(PlatformAuditEntry).where(
        PlatformAuditEntry.township_id == luwan.id).order_by(PlatformAuditEntry.seq)).all()
    by_action = {e.action: e for e in entries}
    assert json.loads(by_action["township.updated"].after) == {"require_admin_2fa": True}
    assert json.loads(by_action["export.annual"].after) == {"funds": 3}


def test_a_change_committed_after_its_scope_ended_is_still_recorded(app):
    """A webhook changes a gift in its fund's scope; the view commits after the scope ends."""
    with app.app_context():
        dgc = db.session.scalar(select(Fund.id).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc)):
            db.session.add(Designation(name="范围外提交"))
            db.session.flush()
        db.session.commit()
        with using(SYSTEM):
            afters = db.session.scalars(select(AuditEntry.after).where(
                AuditEntry.fund_id == dgc, AuditEntry.action == "designation.created")).all()
            assert any("范围外提交" in a for a in afters)
            assert verify(db.session).ok


def test_an_event_for_a_fund_outside_the_scope_is_refused(fund):
    other = db.session.scalar(select(Fund.id).where(Fund.id != fund.id))
    with pytest.raises(TenantViolation):
        record("donations.exported", fund_id=other)


# --- the chain --------------------------------------------------------------------------------

def test_entries_are_linked_by_their_hashes(fund):
    for name in ("甲", "乙", "丙"):
        db.session.add(Designation(name=f"用途{name}"))
        db.session.commit()
    chain = _entries()
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))
    head = db.session.scalar(select(AuditHead))
    assert (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)
    with using(SYSTEM):
        assert verify(db.session).ok


def test_the_database_refuses_to_change_or_delete_an_entry(fund):
    db.session.add(Designation(name="不可改"))
    db.session.commit()
    entry_id = _entries()[-1].id
    for sql in ("UPDATE audit_entry SET actor_name = 'someone else' WHERE id = :id",
                "DELETE FROM audit_entry WHERE id = :id"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(sql), {"id": entry_id})
        db.session.rollback()


def _tamper(app, sql: str, params: dict) -> None:
    """Change the table behind the app's back, as someone with the database would."""
    if DB_KIND == "sqlite":
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
            connection.execute(text(sql), params)
    else:
        engine = create_engine(app.config["MIGRATION_DATABASE_URL"])  # the owner
        with engine.begin() as connection:
            connection.execute(text("SELECT set_config('shanlin.all', 'on', true)"))
            connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
            connection.execute(text(sql), params)
            connection.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    engine.dispose()


def _a_middle_entry(app) -> tuple[int, int, str]:
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            for name in ("一", "二", "三"):
                db.session.add(Designation(name=f"账目{name}"))
                db.session.commit()
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.fund_id == dgc.id)
                                     .order_by(AuditEntry.seq)).all()
        middle = entries[-2]
        return middle.id, dgc.id, dgc.slug


def test_verify_passes_on_an_untouched_trail(app):
    _a_middle_entry(app)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_verify_names_the_entry_whose_content_was_altered(app):
    entry_id, fund_id, slug = _a_middle_entry(app)
    _tamper(app, "UPDATE audit_entry SET after = :after WHERE id = :id",
            {"after": json.dumps({"name": "改过的"}), "id": entry_id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"fund {fund_id} ({slug}): entry {entry_id}" in result.output
    assert "altered" in result.output


def test_verify_notices_a_removed_entry_and_a_removed_tail(app):
    entry_id, fund_id, _slug = _a_middle_entry(app)
    _tamper(app, "DELETE FROM audit_entry WHERE id = :id", {"id": entry_id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "missing" in result.output
    with app.app_context(), using(SYSTEM):
        last = db.session.scalar(select(AuditEntry.id).where(AuditEntry.fund_id == fund_id)
                                 .order_by(AuditEntry.seq.desc()))
    _tamper(app, "DELETE FROM audit_entry WHERE id >= :id AND fund_id = :f",
            {"id": entry_id, "f": fund_id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "removed" in result.output
    assert last is not None


@pytest.mark.skipif(DB_KIND != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_commits_in_one_fund_extend_one_unbroken_chain(app):
    with app.app_context(), using(SYSTEM):
        fund_id = db.session.scalar(select(Fund.id).where(Fund.receipt_prefix == "DGC"))
    errors, barrier = [], threading.Barrier(6)

    def work(n: int) -> None:
        try:
            with app.app_context(), using(fund_scope(fund_id)):
                barrier.wait()
                for i in range(4):
                    db.session.add(Designation(name=f"并发{n}-{i}"))
                    services.record_offline(_cash(str(10 + n)), None)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below: a thread's failure fails the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with app.app_context(), using(SYSTEM):
        report = verify(db.session)
        assert report.ok, [str(b) for b in report.breaks]
        made = db.session.scalars(select(AuditEntry.after).where(
            AuditEntry.fund_id == fund_id, AuditEntry.action == "designation.created")).all()
        assert sum("并发" in a for a in made) == 24


def test_the_audit_table_is_isolated_by_fund_on_postgresql(app):
    if DB_KIND != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            db.session.add(Designation(name="隔离"))
            db.session.commit()
        # Raw SQL with no scope: the policy shows nothing at all.
        assert db.session.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 0
        db.session.rollback()


# --- the pages --------------------------------------------------------------------------------

def _change_a_donor(app, address="新地址 1 号"):
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            donor = db.session.scalar(select(Donor).order_by(Donor.id))
            donor.address = address
            donor.phone = "13811112222"
            db.session.commit()
            return donor.id


def test_the_treasurer_reads_the_fund_trail_with_before_and_after(app, client, auth):
    donor_id = _change_a_donor(app)
    auth.login(LOGINS["treasurer"])
    page = client.get("/f/donggangcun/audit").get_data(as_text=True)
    assert "审计" in page or "Audit" in page
    assert f'捐赠人 · 修改</code><br><span class="muted">#{donor_id}</span>' in page
    assert "新地址 1 号" in page and "13811112222" in page


def test_a_committee_member_sees_changes_but_not_donors_personal_data(app, client, auth):
    _change_a_donor(app)
    auth.login(LOGINS["member"])
    response = client.get("/f/donggangcun/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "捐赠人 · 修改" in page and "13811112222" not in page and "新地址 1 号" not in page


def test_an_admins_sign_in_is_on_the_township_trail(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    with app.app_context(), using(SYSTEM):
        name = db.session.scalar(select(User.name).where(
            User.phone == LOGINS["this_township_admin"]))
    page = client.get("/t/luwan/audit?action=auth.login").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert 'id="entry-platform-' in rows and name in rows


def test_the_township_trail_filters_by_fund_person_and_date(app, client, auth):
    _change_a_donor(app, "筛选地址")
    auth.login(LOGINS["this_township_admin"])
    with app.app_context(), using(SYSTEM):
        dgc = db.session.scalar(select(Fund.id).where(Fund.receipt_prefix == "DGC"))
        other = db.session.scalar(select(Fund.id).join(Township).where(
            Township.slug == "luwan", Fund.id != dgc))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # days are local
    both = client.get(f"/t/luwan/audit?action=donor.updated&from={today}&to={today}",
                      headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    body = both.get_data(as_text=True)
    assert "筛选地址" in body and "<h1>" not in body  # only the results block for htmx
    assert "筛选地址" in client.get(
        f"/t/luwan/audit?action=donor.updated&fund={dgc}").get_data(as_text=True)
    assert "筛选地址" not in client.get(
        f"/t/luwan/audit?action=donor.updated&fund={other}").get_data(as_text=True)
    assert "筛选地址" not in client.get(
        "/t/luwan/audit?action=donor.updated&person=nobody-like-this").get_data(as_text=True)
    assert "筛选地址" not in client.get(
        "/t/luwan/audit?action=donor.updated&to=2000-01-01").get_data(as_text=True)


def test_the_trail_is_paged(app, client, auth):
    with app.app_context():
        dgc = db.session.scalar(select(Fund).where(Fund.receipt_prefix == "DGC"))
        with using(fund_scope(dgc.id)):
            for i in range(55):
                db.session.add(Designation(name=f"分页{i:02d}"))
            db.session.commit()
    auth.login(LOGINS["chair"])
    first = client.get("/f/donggangcun/audit?action=designation.created").get_data(as_text=True)
    assert "分页54" in first and "分页00" not in first
    # The pager's "next" keeps the filter, for the link and for htmx alike.
    next_page = _pager_links(first)
    assert list(next_page) == ["下一页"]
    href = next_page["下一页"]
    assert "action=designation.created" in href and "page=2" in href
    second = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert "分页00" in second and "第 2 页，共 2 页" in second
    assert list(_pager_links(second)) == ["上一页"]


def _pager_links(html: str) -> dict[str, str]:
    """The pager's links by their text; each must ask htmx for the same URL it points to."""
    nav = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    links = re.findall(r'<a href="([^"]+)" data-hx-get="([^"]+)"[^>]*>([^<]+)</a>', nav)
    assert all(href == hx for href, hx, _text in links)
    return {text: href for href, _hx, text in links}


def test_the_login_password_is_never_in_the_trail(app, client, auth):
    auth.login(LOGINS["this_township_admin"])
    with app.app_context(), using(SYSTEM):
        user = db.session.scalar(select(User).where(User.phone == LOGINS["this_township_admin"]))
        texts = db.session.scalars(select(PlatformAuditEntry.after)).all()
    assert texts and not any(user.password_hash in t or PASSWORD in t for t in texts)


def test_every_action_in_the_trail_is_named_in_words(app, system):
    """What the trail shows (受捐 · 新增, not "payout · created"): every audited table, and every
    action the demo's year of work wrote, has a label in both languages."""
    from app.audit.recording import _by_table
    from app.audit.services import SUBJECT_LABELS, VERB_LABELS

    written, tables = set(), set()
    for model in (AuditEntry, PlatformAuditEntry):
        written |= set(db.session.scalars(select(model.action).distinct()))
        tables |= set(db.session.scalars(select(model.subject_table).distinct())) - {""}
    subjects = {a.partition(".")[0] for a in written} | set(_by_table) | tables
    verbs = {a.partition(".")[2] for a in written}
    assert subjects - set(SUBJECT_LABELS) == set()
    assert verbs - set(VERB_LABELS) == set()


# --- secrets never reach the trail (issue 14, item 7) -----------------------------------------

def test_a_receipts_check_token_and_code_hash_are_in_no_entry(app, fund, client, auth):
    """Every member reads the trail; a receipt's check token opens its verification page."""
    from app.receipts import services as receipts

    donor = donors.create_donor(donors.DonorInput(name="秘密测试"))
    with app.test_request_context(method="POST"):
        receipt = receipts.issue(services.record_offline(_cash("66", donor_id=donor.id), None))
        db.session.commit()
        number, token, secrets = receipt.number, receipt.token, (receipt.token, receipt.code_hash)
    assert all(secrets)
    with using(SYSTEM):
        stored = [text for model in (AuditEntry, PlatformAuditEntry)
                  for row in db.session.execute(select(model.before, model.after))
                  for text in row]
    assert any(number in text for text in stored)  # the issue itself was recorded
    assert not [text for text in stored if any(secret in text for secret in secrets)]
    auth.login(LOGINS["member"])
    assert token not in client.get("/f/donggangcun/audit").get_data(as_text=True)


def test_a_secret_written_to_an_older_entry_is_not_shown(app, fund, client, auth):
    """Entries from before secrets were left out stay in the chain (it is append-only and
    hash-linked) but the trail no longer shows those columns."""
    record("receipt.void", fund_id=fund.id, subject=("receipt", 1),
           before={"token": "old-secret-token-xyz", "status": "valid"},
           after={"status": "void"})
    db.session.commit()
    auth.login(LOGINS["chair"])
    page = client.get("/f/donggangcun/audit?action=receipt.void").get_data(as_text=True)
    assert "valid" in page and "old-secret-token-xyz" not in page


# Columns whose names sound secret but are not, and why.
NOT_SECRET = {
    ("audit_entry", "hash"), ("audit_entry", "prev_hash"), ("audit_head", "hash"),
    ("platform_audit_entry", "hash"), ("platform_audit_entry", "prev_hash"),
    ("platform_audit_head", "hash"),  # the chain's links: published so anyone can verify
    ("receipt", "pdf_sha256"), ("receipt_file", "sha256"), ("disclosure_report", "sha256"),
    ("job", "file_sha256"), ("resolution_file", "sha256"),  # digests of stored documents
    ("certificate", "pdf_sha256"),
    ("receipt", "official_code"),  # the host charity's printed 票据 number
    ("donation", "submission_key"),  # a form's idempotency key: it opens nothing
    ("job", "key"), ("job", "file_key"),  # a task's match to its row; a stored file's name
    ("user", "totp_enabled_at"), ("user", "totp_last_step"),  # when, not what
    ("proposal_event", "note_code"),  # which history note (an EventNote), not a secret code
}
SOUNDS_SECRET = re.compile(r"token|secret|hash|code|passw|otp|key|salt|nonce|sha|signature")


def test_every_column_that_sounds_secret_is_marked_or_named_harmless(app):  # every model
    """One rule: a new token or hash column must say which it is, or the trail would copy it."""
    undecided = sorted(
        (table.name, column.name) for table in db.metadata.tables.values()
        for column in table.columns
        if SOUNDS_SECRET.search(column.name) and not column.info.get("secret")
        and (table.name, column.name) not in NOT_SECRET)
    assert undecided == []
    marked = {(table.name, column.name) for table in db.metadata.tables.values()
              for column in table.columns if column.info.get("secret")}
    assert {("receipt", "token"), ("receipt", "code_hash"), ("user", "password_hash"),
            ("user", "totp_secret"), ("recovery_code", "code_hash"),
            ("portal_link", "token_hash")} <= marked
