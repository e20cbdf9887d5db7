"""Code sets are defined once: each column's CHECK constraint, the words shown and a form's
choices come from its enum; a proposal's history notes are stored as codes and read as before."""

import re

from flask_babel import force_locale
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, select, text

from app.codes import Code
from app.extensions import db
from app.governance.labels import event_note
from app.governance.models import EventNote, ProposalEvent
from app.labels import label
from tenants import SYSTEM, using

CJK = re.compile(r"[\u4e00-\u9fff]")
IN_LIST = re.compile(r"^\w+ IN \(")


def _code_sets() -> list[type[Code]]:
    found, todo = [], list(Code.__subclasses__())
    while todo:
        code = todo.pop()
        found.append(code)
        todo.extend(code.__subclasses__())
    return found


def _in_checks():
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and IN_LIST.match(str(constraint.sqltext)):
                yield table, constraint


def test_every_code_has_a_chinese_label(app):
    codes = _code_sets()
    assert len(codes) > 25  # every model's sets are imported by create_app
    with app.test_request_context(), force_locale("zh_Hans"):
        for code in codes:
            for member in code:
                assert member.label is not None, member
                assert CJK.search(str(member.label)), f"{code.__name__}.{member.name}"


def test_every_list_check_is_its_code_sets_values_in_the_migrated_database(app):
    """A CHECK listing values is made by its enum, and the migrations hold exactly those: a
    member added without a migration fails here (autogenerate does not compare CHECKs)."""
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    inspector = inspect(engine)
    checked = 0
    for table, constraint in _in_checks():
        code, values = constraint.info.get("code"), constraint.info.get("values")
        assert code is not None, f"{constraint.name}: write it as <Enum>.check(column)"
        assert set(values) <= set(code.values()), constraint.name
        stored = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        assert constraint.name in stored, constraint.name
        assert tuple(re.findall(r"'([^']*)'", stored[constraint.name])) == values, \
            constraint.name
        checked += 1
    engine.dispose()
    assert checked >= 25


def test_labels_and_choices_come_from_the_enum(app):
    from app.donations.forms import DonationForm
    from app.donations.models import OFFLINE_CHANNELS, Channel

    with app.test_request_context(), force_locale("zh_Hans"):
        assert label("channel", Channel.WECHAT) == str(Channel.WECHAT.label) == "微信转账"
        assert label("channel", "no-such-code") == "no-such-code"
        form = DonationForm(meta={"csrf": False})
        assert [c.value for c in form.channel.choices] == list(OFFLINE_CHANNELS)
        assert [str(c.label) for c in form.channel.choices] == [
            str(Channel(c).label) for c in OFFLINE_CHANNELS]


# How the history notes read before they were codes (app/governance/labels.py, issue 14):
# the stored English text parsed back with these patterns.
OLD_NOTES = [
    (re.compile(r"motion #(\d+)"), "vote no. %(id)s"),
    (re.compile(r"round #(\d+)"), "project round no. %(id)s"),
    (re.compile(r"payout #(\d+)"), "payout no. %(id)s"),
    (re.compile(r"objection #(\d+) upheld"), "objection no. %(id)s upheld"),
    (re.compile(r"notice period over"), "the public notice period is over"),
    (re.compile(r"progress reported"), "progress reported"),
]


def _old_words(note: str) -> str:
    from flask_babel import gettext

    for pattern, words in OLD_NOTES:
        if match := pattern.fullmatch(note):
            return gettext(words) % {"id": match.group(1)} if match.groups() else gettext(words)
    return note


def _notes_now(app) -> dict[int, str]:
    with app.app_context(), using(SYSTEM), app.test_request_context(), force_locale("zh_Hans"):
        events = db.session.scalars(select(ProposalEvent)).all()
        words = {e.id: event_note(e) for e in events}
        db.session.remove()
        db.engine.dispose()
    return words


def test_history_notes_read_as_before_and_survive_the_migration_both_ways(app):
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    now = _notes_now(app)
    # The demo's history has a note of each kind (which payout it names follows the demo).
    shapes = {re.sub(r"\d+", "N", note) for note in now.values()}
    assert {"第 N 号表决", "第 N 号拨付", "第 N 号年度项目征集", "公示期已满"} <= shapes
    with app.app_context():
        downgrade(revision="b5_job_heartbeat")
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # the owner too is bound by row-level security
            connection.execute(text("SELECT set_config('shanlin.all', 'on', true)"))
        old = dict(connection.execute(text("SELECT id, note FROM proposal_event")).all())
    engine.dispose()
    assert {"motion #N", "payout #N", "round #N", "notice period over"} <= {
        re.sub(r"\d+", "N", note) for note in old.values()}
    with app.test_request_context(), force_locale("zh_Hans"):
        assert {i: _old_words(n) for i, n in old.items()} == now
    with app.app_context():
        upgrade()
    assert _notes_now(app) == now
    assert {str(code) for code in EventNote} == {
        "motion", "round", "payout", "objection_upheld", "notice_over", "progress"}
