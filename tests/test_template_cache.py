"""The template cache (tests/template_cache.py) with stand-in builds: what is served, built,
kept and pruned. No database: the builds write a file."""

import fcntl
import time

import pytest

from . import template_cache as cache


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE", tmp_path / "test-cache")
    return cache.CACHE


class Builds:
    """A stand-in build that counts itself; `drop` records the databases dropped."""

    def __init__(self, fail: bool = False):
        self.count, self.dropped, self.fail = 0, [], fail

    def build(self, part, database):
        self.count += 1
        (part / "database").write_text(database)
        (part / "template.db").write_text(f"build {self.count}")
        if self.fail:
            raise RuntimeError("the demo failed")

    def drop(self, name):
        self.dropped.append(name)

    def entry(self, key="k1", kind="sqlite"):
        return cache.entry(kind, key, self.build, lambda f: True, self.drop)


def test_an_entry_is_built_once_then_served(folder):
    builds = Builds()
    with builds.entry() as first:
        assert (first / "template.db").read_text() == "build 1"
    with builds.entry() as second:
        assert second == first
    assert builds.count == 1 and not list(folder.glob("*.part-*"))


def test_a_failed_build_leaves_nothing_and_the_next_run_builds(folder):
    failing = Builds(fail=True)
    with pytest.raises(RuntimeError), failing.entry():
        pass
    assert failing.dropped and not [p for p in folder.iterdir() if p.name != "lock"]
    builds = Builds()
    with builds.entry() as entry:
        assert (entry / "template.db").read_text() == "build 1"


def test_an_entry_too_old_or_changed_is_not_served(folder, monkeypatch):
    builds = Builds()
    with builds.entry() as first:
        database = (first / "database").read_text()
    monkeypatch.setattr(cache, "MAX_AGE", 0.5)
    time.sleep(0.6)
    with builds.entry() as second:
        assert second != first and builds.count == 2
    assert not first.exists() and database in builds.dropped  # pruned, no run uses it
    monkeypatch.setattr(cache, "MAX_AGE", 3600)
    changed = second  # as if a test had written into its template: valid() says no
    with cache.entry("sqlite", "k1", builds.build, lambda f: f != changed, builds.drop) as third:
        assert third != changed and builds.count == 3


def test_old_entries_are_pruned_but_not_one_in_use(folder, monkeypatch):
    builds = Builds()
    with builds.entry("old") as old:
        pass
    with builds.entry("used") as used:
        pass
    monkeypatch.setattr(cache, "KEEP", 1)
    # Another run holds the second (a lock of another open file, as another process's is).
    with open(used / "in-use") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_SH)
        with builds.entry("new"):
            assert not old.exists() and used.exists()
    with builds.entry("new"):
        assert not used.exists()


def test_the_key_follows_the_code(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "ROOT", tmp_path)
    monkeypatch.setattr(cache, "INPUTS", ("app", "migrations"))
    (tmp_path / "app" / "__pycache__").mkdir(parents=True)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "app" / "models.py").write_text("A = 1")
    key = cache.key("sqlite")
    (tmp_path / "app" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "app" / ".models.py.swp").write_text("editing")
    assert cache.key("sqlite") == key
    assert cache.key("postgresql") != key
    (tmp_path / "migrations" / "c9_next.py").write_text("revision = 'c9'")
    assert cache.key("sqlite") != key


def test_entries_age_by_the_time_in_their_name(folder):
    built = folder / f"sqlite-k1-{time.time_ns() - 7200 * 10**9}"
    assert 7190 < cache._age(built) < 7300
    assert cache._age(folder / "lock") == float("inf")
