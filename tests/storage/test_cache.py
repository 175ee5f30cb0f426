"""The caches: one folder, one table of format versions, and never a wrong answer from one."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.cli import complete
from supportctl.storage.cache import CACHE_FORMATS, FOLDER, BlobStore, Cache, file_name, versioned
from supportctl.storage.desk import Desk
from tests.conftest import git

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

NOW = "2026-10-20T12:00:00+03:00"
KB = """\
---
title: Receipt printer stopped after an update
tags: [printer]
customers: [acme]
---
Reinstall the printer driver, then restart the till.
"""
# The caches kept as files, and the commands whose answers each one serves.
FILE_CACHES = ("blobs", "events", "ids", "kb", "config", "mail-records", "completion")


@pytest.fixture
def desk(support_repo: Path, cli: Cli) -> Path:
    """Tickets made by commands and by hand, a deleted one, worklogs and a KB article."""
    for args in (
        ("new", "Printer broken", "-c", "acme", "-t", "incident", "-p", "normal"),
        ("comment", "SUP-1", "Looking at it"),
        ("log", "SUP-1", "-m", "30"),
        ("new", "Badge reader", "-c", "globex", "-t", "incident", "-p", "critical"),
        ("new", "Typo ticket", "-c", "acme", "-t", "incident", "-p", "low"),
    ):
        assert cli(*args).exit_code == 0, args
    path = support_repo / "data/tickets/0000/SUP-2.yaml"  # a hand edit: events from the diff
    path.write_text(path.read_text().replace("priority: critical", "priority: high"))
    git(support_repo, "commit", "-qam", "SUP-2 is high, not critical")
    git(support_repo, "rm", "-q", "data/tickets/0000/SUP-3.yaml")
    git(support_repo, "commit", "-qm", "SUP-3 was a mistake")
    (support_repo / "data/kb").mkdir(parents=True, exist_ok=True)
    (support_repo / "data/kb/printer-driver.md").write_text(KB, encoding="utf-8")
    git(support_repo, "add", "data/kb")
    git(support_repo, "commit", "-qm", "KB: printer driver")
    return support_repo


def answers(root: Path, cli: Cli) -> list[Any]:
    """What every reading command says about the desk (each cache serves some of it)."""

    def out(*args: str) -> Any:
        r = cli(*args)
        assert r.exit_code == 0, (args, r.output)
        return json.loads(r.stdout) if "--json" in args or "json" in args else r.stdout

    return [
        out("list", "--json"),
        out("show", "SUP-1", "--json"),
        out("sla", "show", "SUP-2", "--json", "--now", NOW),
        out("sla", "status", "--json", "--now", NOW),
        out("sla", "check", "--month", "2026-10", "--json", "--now", NOW),
        out("kb", "search", "printer driver", "--json"),
        out("search", "printer", "--json"),  # the ticket search index, per customer
        out("similar", "SUP-1", "--json", "--now", NOW),
        out("report", "--month", "2026-10", "--format", "json", "--now", NOW),
        out("mail", "send", "--dry-run", "--json"),  # the sent records the daily limit counts
        out("report", "--month", "last", "--format", "json"),  # over: its model is kept
        complete.ticket(["--repo", str(root)], "SUP-"),  # a Tab: the completion index
        Desk(root).ticket_numbers_used(),  # what `new` numbers from (SUP-3 stays used)
    ]


def cache_folder(root: Path) -> Path:
    return root / ".git/supportctl" / FOLDER


@pytest.mark.slow
def test_deleting_the_state_folder_changes_no_output(desk: Path, cli: Cli) -> None:
    cold = answers(desk, cli)
    assert {file_name(n) for n in FILE_CACHES} <= set(os.listdir(cache_folder(desk)))
    assert answers(desk, cli) == cold  # warm
    shutil.rmtree(desk / ".git/supportctl")
    assert answers(desk, cli) == cold
    assert {file_name(n) for n in FILE_CACHES} <= set(os.listdir(cache_folder(desk)))  # rebuilt
    assert cold[-1] == {"SUP": 3}
    assert "supportctl" not in git(desk, "status", "--porcelain", "--ignored")  # never committed


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CACHE_FORMATS))
def test_a_version_bump_rebuilds_that_cache_and_nothing_changes(
    desk: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    cold = answers(desk, cli)
    folder = cache_folder(desk)
    old_file = file_name(name) if name in FILE_CACHES else None
    old_kind = versioned(name)
    monkeypatch.setitem(CACHE_FORMATS, name, CACHE_FORMATS[name] + 1)
    assert answers(desk, cli) == cold
    if old_file is not None:
        assert (folder / file_name(name)).is_file()  # written anew under its new version
        assert not (folder / old_file).exists()  # the old one is removed, never read
    if name not in ("blobs", "events", "ids", "config", "mail-records", "completion"):  # rows
        kinds = _kinds(folder)
        assert any(k.startswith(versioned(name)) for k in kinds)
        assert not any(k.partition(":")[0] == old_kind for k in kinds)


def _kinds(folder: Path) -> set[str]:
    with sqlite3.connect(folder / file_name("blobs")) as db:
        return {k for (k,) in db.execute("SELECT DISTINCT kind FROM blobs")}


@pytest.mark.slow
def test_rows_of_hand_made_commits_follow_the_events_version(
    desk: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(desk, cli)
    folder = cache_folder(desk)
    assert versioned("events") in _kinds(folder)  # the hand edit of SUP-2 and the delete
    monkeypatch.setitem(CACHE_FORMATS, "events", CACHE_FORMATS["events"] + 1)
    answers(desk, cli)
    assert versioned("events") in _kinds(folder)
    assert f"events.v{CACHE_FORMATS['events'] - 1}" not in _kinds(folder)


DAMAGE = {
    "garbage": lambda data: bytes(range(256)) * 64,
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "flipped": lambda data: data[:-40] + bytes(b ^ 0x55 for b in data[-40:]),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", FILE_CACHES)
@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_cache_file_is_rebuilt(desk: Path, cli: Cli, name: str, how: str) -> None:
    cold = answers(desk, cli)
    path = cache_folder(desk) / file_name(name)
    for side in ("-wal", "-shm"):  # the damage must reach the database file itself
        (path.parent / (path.name + side)).unlink(missing_ok=True)
    damaged = DAMAGE[how](path.read_bytes())
    path.write_bytes(damaged)
    assert answers(desk, cli) == cold
    assert path.read_bytes() != damaged or name == "blobs"  # rewritten (sqlite: rebuilt below)
    if name == "blobs":
        assert _kinds(cache_folder(desk))  # a real database again, holding rows


@pytest.mark.slow
def test_a_foreign_cache_of_the_right_name_is_not_trusted(desk: Path, cli: Cli) -> None:
    cold = answers(desk, cli)
    folder = cache_folder(desk)
    (folder / file_name("events")).write_bytes(b"\x00" * 100)
    (folder / file_name("ids")).write_text(json.dumps({"tip": "HEAD", "max": {"SUP": "x"}}))
    (folder / file_name("kb")).write_text("not a snapshot")
    db_path = folder / file_name("blobs")
    for side in ("-wal", "-shm"):
        (folder / (db_path.name + side)).unlink(missing_ok=True)
    db_path.unlink()
    with sqlite3.connect(db_path) as db:  # someone else's database under our name
        db.execute("CREATE TABLE blobs (a, b, c, d)")
        db.execute("INSERT INTO blobs VALUES (1, 2, 3, 4)")
    assert answers(desk, cli) == cold


@pytest.mark.slow
def test_strangers_in_the_cache_folder_are_removed(desk: Path, cli: Cli) -> None:
    cold = answers(desk, cli)
    folder = cache_folder(desk)
    stale = [folder / "events.v1.marshal", folder / "blobs.v1.sqlite", folder / "notes.txt"]
    for path in stale:
        path.write_bytes(b"old")
    assert answers(desk, cli) == cold
    assert [p for p in stale if p.exists()] == []


@pytest.mark.slow
def test_caches_of_the_old_layout_are_removed_and_the_lock_is_kept(desk: Path, cli: Cli) -> None:
    cold = answers(desk, cli)
    state = desk / ".git/supportctl"
    shutil.rmtree(cache_folder(desk))
    old = [
        state / name
        for name in (
            "cache.sqlite",
            "cache.sqlite-wal",
            "events.v7.marshal",
            "ids.v1.json",
            "kb-index.marshal",
            ".kb-index.marshal.x.tmp",
        )
    ]
    for path in old:
        path.write_bytes(b"a cache of an older supportctl")
    mine = [p for p in state.iterdir() if p not in old]
    assert mine  # the lock, at least
    assert answers(desk, cli) == cold
    assert [p for p in old if p.exists()] == []
    assert all(p.exists() for p in mine)  # the lock and what else commits keep there
    # an older supportctl run since then, with the new folder in place: removed again
    for path in old:
        path.write_bytes(b"a cache of an older supportctl")
    assert answers(desk, cli) == cold
    assert [p for p in old if p.exists()] == []


@pytest.mark.slow
def test_a_symlinked_cache_folder_is_replaced_not_written_through(
    desk: Path, cli: Cli, tmp_path: Path
) -> None:
    cold = answers(desk, cli)
    folder = cache_folder(desk)
    shutil.rmtree(folder)
    victim = tmp_path / "victim"
    victim.mkdir()
    folder.symlink_to(victim)
    assert answers(desk, cli) == cold
    assert list(victim.iterdir()) == []
    assert not folder.is_symlink()
    assert (folder / file_name("events")).is_file()


@pytest.mark.slow
def test_a_symlinked_cache_file_is_not_written_through(
    desk: Path, cli: Cli, tmp_path: Path
) -> None:
    cold = answers(desk, cli)
    victim = tmp_path / "victim.marshal"
    victim.write_bytes((cache_folder(desk) / file_name("events")).read_bytes())
    os.utime(victim, (1, 1))
    path = cache_folder(desk) / file_name("events")
    path.unlink()
    path.symlink_to(victim)
    assert answers(desk, cli) == cold
    assert not path.is_symlink()
    assert victim.stat().st_mtime == 1


# -- the blob store and the folder on their own (no repository: part of the fast set) ---------------------------------------------------------


def test_blob_store_keeps_rows_per_kind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "b.sqlite")
    store.put_many("ticket", {"a1": {"id": "SUP-1"}, "b2": ["x"]})
    store.put_many("ticket:id,title", {"a1": {"id": "SUP-1", "title": "T"}})
    assert store.get_many("ticket", ["a1", "b2", "c3"]) == {"a1": {"id": "SUP-1"}, "b2": ["x"]}
    assert store.get_many("ticket:id,title", ["a1", "b2"]) == {"a1": {"id": "SUP-1", "title": "T"}}
    assert store.get_many("worklog", ["a1"]) == {}
    many = {f"{i:040x}": i for i in range(2000)}  # more than one query's worth of keys
    store.put_many("kb", many)
    assert BlobStore(tmp_path / "b.sqlite").get_many("kb", many) == many


def test_a_packed_row_gives_back_the_value_it_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path / FOLDER)
    model = {
        "report": {"period": {"label": "2026-03"}, "customer": None, "commit": "c1"},
        "audit": {
            "events": [{"detail": "status new → in_progress", "manual": False, "seconds": 1.5}],
            "flagged": [],
        },
        "customers": [{"key": "ромашка", "tickets": [{"id": "SUP-1", "work": [[1, None]]}]}],
        "by_number": {1: "one", 2.5: "two and a half", None: "none", False: "no"},
        "empty": {},
        "deep": [[[[[{"a": [1, {"b": "ß"}]}]]]]],
    }
    value = {"model": model, "problems": ["data/worklogs/2026-03/anna.yaml:3: bad"]}
    cache.put_packed("report", "tip1 ", "tip1 2026-03", value)
    cache.put_packed("report", "tip1 ", "tip1 2026-02", {"model": {}, "problems": []})
    assert cache.get_packed("report", "tip1 2026-03") == json.loads(json.dumps(value))
    assert cache.get_packed("report", "tip1 2026-02") == {"model": {}, "problems": []}
    assert cache.get_packed("report", "tip1 2026-01") is None
    # a new tip: the older tip's rows go
    cache.put_packed("report", "tip2 ", "tip2 2026-03", [])
    assert cache.get_packed("report", "tip1 2026-03") is None
    assert cache.get_packed("report", "tip2 2026-03") == []
    # damaged or foreign: nothing, never a wrong value
    cache.blobs.put_raw("report", "tip2 2026-03", b"not compressed")
    assert cache.get_packed("report", "tip2 2026-03") is None
    cache.blobs.put_many("report", {"tip2 2026-03": {"model": {}, "problems": []}})
    assert cache.get_packed("report", "tip2 2026-03") is None


def test_blob_store_drops_rows_of_a_bumped_kind_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "b.sqlite"
    store = BlobStore(path)
    store.put_many("ticket", {"a1": 1})
    store.put_many("kb", {"a1": 2})
    store.db.close()
    monkeypatch.setitem(CACHE_FORMATS, "kb", CACHE_FORMATS["kb"] + 1)
    store = BlobStore(path)
    assert store.get_many("ticket", ["a1"]) == {"a1": 1}
    assert store.get_many("kb", ["a1"]) == {}
    assert {k for (k,) in store.db.execute("SELECT kind FROM blobs")} == {versioned("ticket")}


def test_blob_store_never_trusts_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    store = BlobStore(path)
    store.put_many("ticket", {"a1": 1})
    store.db.execute("UPDATE blobs SET data = '{not json'")
    store.db.commit()
    assert store.get_many("ticket", ["a1"]) == {}
    store.db.close()
    path.write_bytes(b"\xff" * 4096)
    store = BlobStore(path)
    assert store.get_many("ticket", ["a1"]) == {}
    store.put_many("ticket", {"a1": 3})
    assert BlobStore(path).get_many("ticket", ["a1"]) == {"a1": 3}


def test_without_a_cache_folder_everything_still_works(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("a file where the folder would go")  # the cache folder cannot be made
    cache = Cache(state)
    assert cache.folder is None
    assert cache.path("events") is None
    cache.write("events", [b"x"])
    assert cache.read("events") is None
    cache.put_many("ticket", {"a1": 1})
    assert cache.get_many("ticket", ["a1"]) == {"a1": 1}  # kept in memory for this run


def test_the_state_folder_of_a_fresh_clone_is_made(tmp_path: Path) -> None:
    state = tmp_path / "supportctl"  # `.git/supportctl` before any command ran
    cache = Cache(state)
    assert cache.folder == state / FOLDER
    cache.write_json("ids", {"tip": "a", "max": {}})
    assert Cache(state).read_json("ids") == {"tip": "a", "max": {}}


def test_files_are_replaced_whole(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.write("ids", [b'{"tip": "a", ', b'"max": {}}'])
    assert cache.read_json("ids") == {"tip": "a", "max": {}}
    cache.write_json("ids", {"tip": "b", "max": {"SUP": 2}})
    assert cache.read_json("ids") == {"tip": "b", "max": {"SUP": 2}}
    assert sorted(os.listdir(tmp_path / FOLDER)) == [file_name("ids")]  # no temporary left


def test_the_configuration_is_parsed_once_per_file(desk: Path, cli: Cli) -> None:
    from supportctl.domain.errors import ConfigError
    from supportctl.storage.desk import config_key

    path = cache_folder(desk) / file_name("config")
    committed = (desk / "supportctl.yaml").read_bytes()
    assert path.read_bytes().startswith(config_key(committed, desk / "supportctl.yaml") + b" ")
    assert Desk(desk).config == Desk(desk).config
    # a file with a mistake is never kept: its error comes anew, with its line
    (desk / "supportctl.yaml").write_bytes(committed + b"nonsense: 1\n")
    git(desk, "commit", "-qam", "A mistake")
    kept = path.read_bytes()
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"supportctl.yaml:\d+: .*nonsense"):
            Desk(desk).config  # noqa: B018
    assert path.read_bytes() == kept


def test_a_cached_configuration_reads_its_calendars_only_when_asked(desk: Path) -> None:
    """Unpickling the calendar specs imports ruamel (they are its mappings, which know
    their lines); a command that reads no calendar does without them."""
    import subprocess
    import sys
    from pathlib import Path

    from supportctl.config.settings import parse_config
    from supportctl.domain import yamlio

    Desk(desk).config  # noqa: B018  (fills the cache)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from supportctl.domain import yamlio\n"
        "from supportctl.storage.desk import Desk\n"
        "config = Desk(Path(sys.argv[1])).config\n"
        "print('ruamel.yaml' in sys.modules, sorted(config.customers))\n"
        "specs = config.calendar_specs\n"
        "print('ruamel.yaml' in sys.modules, yamlio.line_of(specs['office'], 'hours'))\n"
    )
    import supportctl

    env = {**os.environ, "PYTHONPATH": str(Path(supportctl.__file__).resolve().parents[1])}
    p = subprocess.run(
        [sys.executable, "-c", code, str(desk)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    fresh = parse_config((desk / "supportctl.yaml").read_bytes(), desk / "supportctl.yaml")
    line = yamlio.line_of(fresh.calendar_specs["office"], "hours")
    assert line > 1
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == f"False ['acme', 'globex']\nTrue {line}\n"
    assert Desk(desk).config == fresh
