"""The demo template database, kept across test runs in var/test-cache/ (outside git).

Migrating and loading the demo (38 receipt PDFs among it) takes 40-60 s, and every run, of
the suite or of one test file, would make the same thing again. So it is kept, named by a
hash of everything it is made from: the app's code, templates, static files and translations
(the demo goes through the services, which render receipts with them), tenants/, the
migrations, the test configuration and build (conftest passes them), this file, the installed
packages' versions and the Python version. A change to any of them names a new entry.

The demo is dated from the moment it is built (a vote opened two hours ago, terms that began
today), and the tests expect a demo a few minutes old, as a run's own was. So an entry serves
for an hour at most, and only on the day it was built (the day is part of its key, dated()):
a run that goes past midnight, in UTC or in Shanghai, takes the new day's entry for its next
tests (conftest asks before every copy).

Several pytest runs may work on one checkout at once (each with its xdist workers):
- an entry is built in a folder of its own and renamed into place when complete, so nobody
  reads half of one; runs that need the same entry wait (on <entry>.lock) for the one that
  builds it, while runs of other states of the code build theirs at the same time;
- var/test-cache/lock is held, briefly, while an entry is looked up and old ones pruned;
- each process holds a shared lock on its entry's in-use file until its session ends, and
  pruning removes only entries whose in-use lock it can take: an entry in use stays.
The locks are the kernel's (flock): a run that dies lets go of them.
"""

import fcntl
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "test-cache"
# Names the PostgreSQL databases of this checkout's cache apart from another checkout's.
CHECKOUT = hashlib.sha256(str(CACHE).encode()).hexdigest()[:8]
MAX_AGE = 3600  # seconds an entry serves (see above)
KEEP = 4  # entries kept, beside the ones in use, if they are young enough to serve
INPUTS = ("app", "tenants", "migrations", "templates", "static", "pyproject.toml",
          "tests/template_cache.py")


def key(*extra: str) -> str:
    """The hash of what the template is made from; `extra`: the kind and the build's config.
    It takes a second or two (every file of the app): once a run; dated() adds the day."""
    digest = hashlib.sha256()
    site = Path(sysconfig.get_paths()["purelib"])
    packages = sorted(p.name for p in site.glob("*.dist-info"))  # their names carry versions
    for part in (sys.version, *extra, *packages):
        digest.update(part.encode() + b"\0")
    for path in _inputs():
        try:
            content = path.read_bytes()
        except FileNotFoundError:  # deleted while we looked: as if never seen
            continue
        digest.update(f"{path.relative_to(ROOT)}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()[:20]


def dated(base: str) -> str:
    """The entry's key: key()'s, and today's date in UTC and in Shanghai (the demo's "today")."""
    now = datetime.now(UTC)
    days = (now.date().isoformat(), now.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat())
    return hashlib.sha256("\0".join((base, *days)).encode()).hexdigest()[:20]


def _inputs() -> Iterator[Path]:
    for name in INPUTS:
        top = ROOT / name
        if top.is_file():
            yield top
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for file in sorted(files):
                # Compiled files follow from their sources; dot files are editors' swap files.
                if not file.endswith((".pyc", ".mo")) and not file.startswith("."):
                    yield Path(folder) / file


@contextmanager
def entry(kind: str, entry_key: str, build: Callable[[Path, str], None],
          valid: Callable[[Path], bool], drop_database: Callable[[str], None],
          list_databases: Callable[[], list[str]] | None = None) -> Iterator[Path]:
    """The folder of a young enough, valid(folder) entry for `kind` and `entry_key`, made by
    build(folder, database name) if there is none, and kept from pruning until the block ends.

    build writes into a folder of its own, renamed into place when complete; a PostgreSQL
    build first writes the name of the database it makes in the folder's `database` file.
    drop_database drops such a database; list_databases (when PostgreSQL is at hand) lists
    this checkout's, so that those no folder names (a build that died, rm -rf var) go too."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = _take(kind, entry_key, valid, drop_database, list_databases)
    if found is None:
        # Runs that need the same entry wait for the one that builds it; runs of other
        # states of the code build theirs meanwhile.
        lock = CACHE / f"{kind}-{entry_key}.lock"
        with open(lock, "a") as building:
            fcntl.flock(building, fcntl.LOCK_EX)
            found = _take(kind, entry_key, valid, drop_database, list_databases)
            if found is None:
                folder = CACHE / f"{kind}-{entry_key}-{time.time_ns()}"
                part = folder.with_name(f"{folder.name}.part-{os.getpid()}")
                part.mkdir()
                try:
                    build(part, "shanlin_cache_" + CHECKOUT + "_"
                          + hashlib.sha256(folder.name.encode()).hexdigest()[:16])
                    os.rename(part, folder)
                    found = _take(kind, entry_key, valid, drop_database, list_databases)
                except BaseException:
                    _remove(part, drop_database)
                    raise
                finally:
                    # Whoever waits on the lock then finds the entry, or builds it if this
                    # build failed (as may one who comes later: twice the work, no harm).
                    lock.unlink(missing_ok=True)
    if found is None:
        raise RuntimeError(f"the template just built in {CACHE} does not serve")
    folder, in_use = found
    try:
        yield folder
    finally:
        in_use.close()


def kept(folder: Path, name: str, make: Callable[[], object]) -> object:
    """What make() returns (plain JSON), made once for the entry in `folder`: by whichever
    process of any run asks first, while the others wait for it and then read it."""
    path = folder / f"{name}.json"
    with open(folder / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            part = path.with_name(f"{path.name}.part")
            part.write_text(json.dumps(make()))
            os.rename(part, path)
        return json.loads(path.read_text())


def _take(kind, entry_key, valid, drop_database, list_databases):
    """The newest entry that serves, with a shared lock on its in-use file; old ones pruned."""
    with open(CACHE / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = sorted((f for f in CACHE.glob(f"{kind}-{entry_key}-*") if _built(f)),
                       reverse=True)
        folder = next((f for f in built if _age(f) < MAX_AGE and valid(f)), None)
        if folder is None:
            return None
        (folder / "used").touch()  # its time orders the entries for pruning
        in_use = open(folder / "in-use", "a")  # noqa: SIM115 (held until the run ends)
        fcntl.flock(in_use, fcntl.LOCK_SH)
        _prune(folder, drop_database, list_databases)
        return folder, in_use


def _prune(current: Path, drop_database, list_databases) -> None:
    """Remove, when no run uses them: the entries too old to serve or beyond the KEEP most
    recently used, builds whose process died, the locks of builds long done, and the
    databases of this checkout that no folder names."""
    entries = sorted((f for f in CACHE.iterdir() if _built(f) and f != current),
                     key=lambda f: _stamp(f, "used"), reverse=True)
    for n, old in enumerate(entries):
        if n < KEEP - 1 and _age(old) < MAX_AGE:
            continue
        with open(old / "in-use", "a") as in_use:
            try:
                fcntl.flock(in_use, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run is using it
            _remove(old, drop_database)
    for part in CACHE.glob("*.part-*"):
        if not alive(int(part.name.rsplit("-", 1)[1])):
            _remove(part, drop_database)
    for lock in CACHE.glob("*.lock"):  # left by a build that was killed
        if time.time() - _stamp(lock.parent, lock.name) > MAX_AGE:
            with open(lock) as building:
                try:
                    fcntl.flock(building, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                lock.unlink()
    if list_databases is not None:
        existing = set(list_databases())  # first: a build names its database, then makes it
        named = {f.read_text() for f in CACHE.glob("*/database")}  # building ones too
        for name in existing - named:
            drop_database(name)


def _built(folder: Path) -> bool:
    return folder.is_dir() and ".part-" not in folder.name


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _age(folder: Path) -> float:
    """Seconds since the entry was built (the folder's name holds the time)."""
    try:
        return time.time() - int(folder.name.rsplit("-", 1)[-1]) / 1e9
    except ValueError:  # not an entry's name
        return float("inf")


def _stamp(folder: Path, name: str) -> float:
    try:
        return (folder / name).stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _remove(folder: Path, drop_database) -> None:
    database = folder / "database"
    if database.exists():
        try:
            drop_database(database.read_text())
        except Exception:  # PostgreSQL is not at hand (a SQLite run): a later run drops it
            return
    shutil.rmtree(folder, ignore_errors=True)
