"""The history scan gives, for every commit, the events a plain reading of `git log --raw`
gives: on a generated desk with hand-made commits and back-dating, plus merges, renames
and deletions by hand, config edits, empty commits, trailers on commits outside data/,
and trailer blocks supportctl would not write; for the whole history and for a range
whose commits have parents outside it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.events import Event
from supportctl.sla.engine import settled_at
from supportctl.storage import history
from supportctl.storage.desk import open_repo
from supportctl.storage.git import ZERO
from supportctl.storage.history import (
    DATA_PREFIX,
    TICKET_PREFIX,
    History,
    TicketSpan,
    _decode,
    _decode_rows,
    _encode,
    events_from_diff,
    events_from_trailers,
    grouped_events,
    parents_first,
)
from tests.helpers import at, git

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

ROOT = Path(__file__).resolve().parents[2]


def reference_scan(desk: Desk, rev: str) -> list[Event]:
    """The events of `rev` read the straightforward way: every commit's trailers and full
    raw diff from one `git log --raw`, every hand-made commit's ticket files compared."""
    commits = list(desk.git.log(rev, paths=(), newest_first=True))
    by_commit = []
    for c in commits:
        found: list[Event] = []
        if len(c.parents) <= 1 and not c.changes:
            found = [
                dataclasses.replace(e, details={**e.details, "overridden": "yes"})
                for e in events_from_trailers(c)
            ]
        elif len(c.parents) <= 1 and any(p.startswith(DATA_PREFIX) for p, _, _ in c.changes):
            found = events_from_trailers(c)
            if not found and any(p.startswith(TICKET_PREFIX) for p, _, _ in c.changes):
                found = events_from_diff(c, desk.git.blob)
        by_commit.append((c.sha, c.parents, found))
    return [e for _, _, found in parents_first(by_commit) for e in found]


def new_scan(desk: Desk, rev: str) -> list[Event]:
    fresh = History(desk, progress=False)._scan(rev)
    # an event, or what the cache stores of it: exactly what encoding the event gives
    for x in fresh:
        if not isinstance(x, Event):
            assert _encode(_decode(x)) == x
    return [x if isinstance(x, Event) else _decode(x) for x in fresh]


def write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text, encoding="utf-8")


def commit(root: Path, message: str, when: str, *extra: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, *extra, env=at(when))
    return git(root, "rev-parse", "HEAD").strip()


def ticket_paths(root: Path) -> list[str]:
    names = git(root, "ls-files", "data/tickets").split()
    return sorted(p for p in names if p.endswith(".yaml"))


@pytest.fixture(scope="module")
def desk_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A generated desk, then odd commits on top; returns the repo and the commit the odd
    part starts after."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    root = tmp_path_factory.mktemp("scan") / "repo"
    generate.generate(60, 600, root, seed=7, verbose=False)
    git(root, "config", "user.name", "Hand Editor")
    git(root, "config", "user.email", "hand@support.example")
    git(root, "checkout", "-q", "-f")
    start = git(root, "rev-parse", "HEAD").strip()
    main = git(root, "branch", "--show-current").strip()
    paths = ticket_paths(root)
    one, two, three, four = paths[0], paths[1], paths[2], paths[3]

    def edit(path: str, old: str, new: str) -> None:
        text = (root / path).read_text(encoding="utf-8")
        write(root, path, text.replace(old, new, 1) if old in text else text + new)

    # a hand edit of a status and a comment, one of them back-dated
    edit(one, "status: ", "status: closed\nold_status: ")
    commit(root, "close by hand", "2026-12-01T10:00:00+03:00")
    edit(two, "comments:", "comments:\n- at: 2026-12-01T09:00:00+03:00\n  text: hi\n")
    commit(root, "comment by hand", "2026-12-01T11:00:00+03:00")
    git(root, "commit", "-q", "--amend", "--no-edit", env=at("2026-11-20T11:00:00+03:00"))
    # trailers supportctl would not write: lowercase, two tickets, Ticket not first
    edit(three, "priority: ", "priority: high\nwas_priority: ")
    commit(
        root,
        "odd trailers",
        "2026-12-01T12:00:00+03:00",
        "-m",
        "action: escalate\nticket: SUP-2\nTicket: SUP-3\nFrom-Priority: normal\nTo-Priority: high",
    )
    # an empty commit with trailers (a sync's overridden action), and one without
    git(
        root,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "SUP-1: start\n\nTicket: SUP-1\nAction: start\nTo-Status: in_progress",
        env=at("2026-12-01T12:30:00+03:00"),
    )
    git(root, "commit", "-q", "--allow-empty", "-m", "nothing", env=at("2026-12-01T12:31:00+03:00"))
    # trailers on a commit outside data/, and on one inside and outside
    write(root, "NOTES.md", "notes\n")
    commit(root, "notes\n\nTicket: SUP-1\nAction: close", "2026-12-01T13:00:00+03:00")
    write(root, "NOTES.md", "more notes\n")
    edit(four, "title: ", "title: Renamed\nold_title: ")
    commit(root, "both\n\nTicket: SUP-4\nAction: edit", "2026-12-01T13:10:00+03:00")
    # a config edit by hand, and a hand edit of a worklog only
    edit("supportctl.yaml", "\n", "\n# edited by hand\n")
    commit(root, "config by hand", "2026-12-01T13:20:00+03:00")
    worklogs = [p for p in git(root, "ls-files", "data/worklogs").split() if p.endswith(".yaml")]
    if worklogs:
        edit(worklogs[0], "\n", "\n# by hand\n")
        commit(root, "worklog by hand", "2026-12-01T13:30:00+03:00")
    # a side branch dated before its parent, merged back
    git(root, "checkout", "-qb", "side")
    edit(one, "status: ", "status: in_progress\nolder_status: ")
    commit(root, "reopen by hand", "2026-11-01T09:00:00+03:00")
    edit(two, "priority: ", "priority: low\nolder_priority: ")
    commit(
        root,
        "SUP-2: edit\n\nTicket: SUP-2\nAction: edit\nTo-Priority: low",
        "2026-11-01T09:10:00+03:00",
    )
    git(root, "checkout", "-q", main)
    edit(three, "title: ", "title: Main side\nmain_title: ")
    commit(root, "main side by hand", "2026-12-02T09:00:00+03:00")
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "side",
        "-m",
        "Merge side",
        env=at("2026-12-02T10:00:00+03:00"),
    )
    # a ticket renamed by hand (file and id), one deleted by hand, one added by hand
    folder, name = one.rsplit("/", 1)
    old_id = name[:-5]
    git(root, "mv", one, f"{folder}/SUP-900.yaml")
    edit(f"{folder}/SUP-900.yaml", f"id: {old_id}", "id: SUP-900")
    commit(root, "renumber by hand", "2026-12-02T11:00:00+03:00")
    git(root, "rm", "-q", four)
    commit(root, "delete by hand", "2026-12-02T11:10:00+03:00")
    text = (root / two).read_text(encoding="utf-8")
    write(root, f"{folder}/SUP-901.yaml", text.replace("id: ", "id: SUP-901\nwas_id: ", 1))
    commit(root, "add by hand", "2026-12-02T11:20:00+03:00")
    # a file under data/tickets that is no YAML, and a broken ticket file
    write(root, f"{folder}/README.txt", "not a ticket\n")
    write(root, f"{folder}/SUP-902.yaml", "id: [broken\n")
    commit(root, "stray files by hand", "2026-12-02T11:30:00+03:00")
    return root, start


def test_whole_history_gives_the_events_of_the_plain_reading(desk_repo: tuple[Path, str]) -> None:
    root, _ = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    expected = reference_scan(desk, tip)
    found = new_scan(desk, tip)
    assert len(expected) > 500
    assert {e.action for e in expected} >= {"new", "rename", "delete", "comment"}
    assert any(e.manual for e in expected)
    assert any(e.details.get("overridden") for e in expected)
    assert found == expected


@pytest.mark.parametrize("per_slice", [1, 7])
def test_data_entries_are_asked_for_only_where_something_outside_data_changed(
    desk_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, per_slice: int
) -> None:
    """The log tells which commits changed something outside data/; only for those of
    them that have trailers are the `data` entries of their trees asked for, a slice of
    commits at a time: where the slices end changes nothing."""
    root, start = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    expected = reference_scan(desk, tip)
    outside = [
        c
        for c in desk.git.log(tip, paths=(), newest_first=True)
        if len(c.parents) <= 1
        and events_from_trailers(c)
        and any(not p.startswith(DATA_PREFIX) for p, _, _ in c.changes)
    ]
    assert len(outside) >= 2  # one changed data/ too, one did not
    asked: list[int] = []  # `data` entries asked for, per call
    ids = desk.git.object_ids

    def counted(names: list[str]) -> list[tuple[str, str] | None]:
        asked.append(len([n for n in names if n.endswith(":data")]))
        return ids(names)

    monkeypatch.setattr(history, "_DATA_SLICE", per_slice)
    monkeypatch.setattr(desk.git, "object_ids", counted)
    assert new_scan(desk, tip) == expected
    assert 0 < sum(asked) <= 2 * len(outside)
    if per_slice == 1:
        assert len([n for n in asked if n]) == len(outside)  # a slice each
    for base in (start, "side~1"):
        base_sha = git(root, "rev-parse", base).strip()
        assert new_scan(desk, f"{base_sha}..{tip}") == reference_scan(desk, f"{base_sha}..{tip}")


def test_the_users_pathspec_settings_change_nothing(
    desk_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan excludes data/ by a pathspec with magic: set in the environment,
    GIT_LITERAL_PATHSPECS would make it a path that does not exist (every commit would
    then seem to have changed data/), GIT_ICASE_PATHSPECS another folder's name."""
    root, _ = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    expected = reference_scan(desk, tip)
    monkeypatch.setenv("GIT_LITERAL_PATHSPECS", "1")
    monkeypatch.setenv("GIT_ICASE_PATHSPECS", "1")
    assert new_scan(desk, tip) == expected


def test_a_submodule_change_hidden_by_settings_is_not_a_change_of_data(
    support_repo: Path,
) -> None:
    """A commit with trailers that only moves a submodule the repository says to ignore
    (`ignore = all`) changed nothing under data/: its events are dropped, as those of
    any commit that changed something else only."""
    root = support_repo
    write(root, "data/tickets/0000/SUP-1.yaml", "id: SUP-1\nstatus: new\n")
    write(root, ".gitmodules", '[submodule "mod"]\n\tpath = mod\n\turl = ./mod\n\tignore = all\n')
    first = commit(root, "SUP-1: new\n\nTicket: SUP-1\nAction: new", "2026-10-01T09:00:00+03:00")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{first},mod")
    git(root, "commit", "-q", "-m", "add mod", env=at("2026-10-01T09:10:00+03:00"))
    git(root, "update-index", "--cacheinfo", f"160000,{ZERO[:-1]}1,mod")
    message = "SUP-1: comment\n\nTicket: SUP-1\nAction: comment"
    git(root, "commit", "-q", "-m", message, env=at("2026-10-01T09:20:00+03:00"))
    git(root, "config", "diff.ignoreSubmodules", "all")
    desk = open_repo(str(root))
    assert [e.action for e in new_scan(desk, "HEAD")] == ["new"]


def _before_a_long_scan(
    desk_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Desk, str, dict[str, list[Event]], Path]:
    """The desk, its tip, the events a reference scan groups by ticket, and the events
    file, removed; any scan of more than 3 events counts as long."""
    root, _ = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    expected = grouped_events(reference_scan(desk, tip))
    monkeypatch.setattr(history, "_KEEP_BUILT", 3)
    cache = History(desk).path
    assert cache is not None
    cache.unlink(missing_ok=True)
    return desk, tip, expected, cache


def test_a_long_scan_keeps_no_events_decoded_and_gives_the_same_answers(
    desk_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `_KEEP_BUILT` events a scan keeps none of them as objects for its caller: they
    are decoded from the entries it stored, with the same result."""
    desk, tip, expected, _ = _before_a_long_scan(desk_repo, monkeypatch)
    cold = History(desk, progress=False)
    # printed, so that the zones of the times count too (== on datetimes compares instants)
    assert repr(cold.by_ticket(tip)) == repr(expected)
    assert cold._built == {}
    # what the scan made is let go of: its index is the one read back from the file
    assert cold._last is not None
    assert all(isinstance(entry[3], memoryview) for entry in cold._last[1].values())
    assert repr(History(desk, progress=False).by_ticket(tip)) == repr(expected)


def test_a_long_scan_with_a_cache_it_cannot_write_keeps_what_it_made(
    desk_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the events file cannot be written, a long scan's own index serves (no second
    scan, nothing read back)."""
    desk, tip, expected, cache = _before_a_long_scan(desk_repo, monkeypatch)
    scans = 0
    scan = History._scan

    def counted(self: History, rev: str) -> list[history.Fresh]:
        nonlocal scans
        scans += 1
        return scan(self, rev)

    monkeypatch.setattr(History, "_scan", counted)
    monkeypatch.setattr(type(desk.cache), "write", lambda self, name, chunks: False)
    cold = History(desk, progress=False)
    assert repr(cold.by_ticket(tip)) == repr(expected)
    assert scans == 1
    assert not cache.exists()
    assert cold._last is not None
    assert all(isinstance(entry[3], bytes) for entry in cold._last[1].values())


def test_when_clocks_settled_is_found_from_the_encodings_as_from_the_events(
    desk_repo: tuple[Path, str],
) -> None:
    """The events cache finds when each ticket's clocks settled without making events
    (`settled_second`); the SLA engine's own `settled_at` of the events says the same."""
    root, _ = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    spans: dict[str, TicketSpan] = {}

    def seen(ticket: str, span: TicketSpan) -> bool:
        spans[ticket] = span
        return True

    events = History(desk, progress=False).by_ticket(tip, seen)
    assert events.keys() == spans.keys()
    settled = {t: settled_at(evs) for t, evs in events.items()}
    assert any(v is None for v in settled.values())
    assert sum(v is not None for v in settled.values()) > 10
    for ticket, when in settled.items():
        assert spans[ticket].settled == (None if when is None else when.timestamp()), ticket


def test_a_range_gives_the_events_of_the_plain_reading(desk_repo: tuple[Path, str]) -> None:
    root, start = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    for base in (start, f"{start}~5", "side~1", "side"):
        base_sha = git(root, "rev-parse", base).strip()
        expected = reference_scan(desk, f"{base_sha}..{tip}")
        assert new_scan(desk, f"{base_sha}..{tip}") == expected
        assert expected


def test_the_cache_gives_the_events_of_the_plain_reading(desk_repo: tuple[Path, str]) -> None:
    """Built in one go, and grown from an older tip: the cached events per ticket are those
    of the plain reading, with the hand-made commits' events read back from the cache."""
    root, start = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    expected = grouped_events(reference_scan(desk, tip))
    cache = History(desk).path
    assert cache is not None
    cache.unlink(missing_ok=True)
    cold = History(desk, progress=False).by_ticket(tip)
    assert cold == expected
    cache.unlink()
    assert History(desk, progress=False).by_ticket(start) == grouped_events(
        reference_scan(desk, start)
    )
    grown = History(desk, progress=False).by_ticket(tip)
    assert grown == expected
    warm = History(desk, progress=False).by_ticket(tip)
    # the events a scan keeps at hand are those the cache gives back, down to their zones
    assert repr(cold) == repr(warm)
    assert repr(grown) == repr(warm)
    cache.unlink()
    cold_events = History(desk, progress=False).events(tip)
    assert len(cold_events) == sum(map(len, warm.values()))
    assert repr(cold_events) == repr(History(desk, progress=False).events(tip))
    cache.unlink()
    cold_renames = History(desk, progress=False).with_action("rename", tip)
    assert cold_renames
    assert repr(cold_renames) == repr(History(desk, progress=False).with_action("rename", tip))


def test_hand_made_events_equal_what_the_cache_keeps(desk_repo: tuple[Path, str]) -> None:
    root, _ = desk_repo
    desk = open_repo(str(root))
    tip = git(root, "rev-parse", "HEAD").strip()
    manual = [e for e in reference_scan(desk, tip) if e.manual]
    assert manual
    shas = {e.sha for e in manual}
    History(desk, progress=False).by_ticket(tip)
    rows: dict[str, Any] = desk.cache.get_many("events", shas)
    cached = {sha: _decode_rows(r) for sha, r in rows.items()}
    assert cached == {sha: [e for e in manual if e.sha == sha] for sha in shas}


def test_object_ids_say_which_names_exist(desk_repo: tuple[Path, str]) -> None:
    root, _ = desk_repo
    desk = open_repo(str(root))
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    data = git(root, "rev-parse", "HEAD:data").strip()
    found = desk.git.object_ids([f"{tree}:data", f"{tree}:nothing-here", "HEAD^{tree}", ZERO])
    assert found == [("tree", data), None, ("tree", tree), None]
