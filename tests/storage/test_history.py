"""Events from real git histories: back-dating, hand-made commits, merges, and the events cache.

Times are Moscow wall times of the test calendar `office` (mon-fri 09:00-13:00, 14:00-18:00);
2026-10-05 is a Monday.
"""

from __future__ import annotations

import json
import marshal
import re
import subprocess
import zlib
from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

from supportctl.ops.init import init_repo
from supportctl.storage.cache import CACHE_FORMATS, file_name
from supportctl.storage.desk import open_repo
from supportctl.storage.history import History
from tests.helpers import at, git, history, ok

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.domain.events import Event

NOW = "2026-10-20T12:00:00+03:00"
Cli = Any  # the `cli` fixture of conftest.py


def ticket_events(root: Path, ticket: str = "SUP-1") -> list[Event]:
    return [e for e in history(root).events() if e.ticket == ticket]


def metrics(cli: Cli, ticket: str = "SUP-1", now: str = NOW) -> dict[str, Any]:
    return json.loads(ok(cli("sla", "show", ticket, "--json", "--now", now)).stdout)["metrics"]


def new_repo(path: Path, config: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    init_repo(path)
    (path / "supportctl.yaml").write_text(config, encoding="utf-8")
    git(path, "add", "supportctl.yaml")
    git(path, "commit", "-qm", "Test configuration")
    monkeypatch.chdir(path)
    return path


# -- back-dating -------------------------------------------------------------------------------
def test_backdated_event_uses_author_date_and_is_flagged(support_repo: Path, cli: Cli) -> None:
    ok(cli("new", "Printer broken", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00
    # a phone call answered at 10:20, logged at 12:00; within the 10 min tolerance: 12:05 -> 12:00
    ok(
        cli(
            "comment",
            "SUP-1",
            "Called back",
            "--at",
            "2026-10-05T10:20:00+03:00",
            env=at("2026-10-05T12:00:00+03:00"),
        )
    )
    ok(
        cli(
            "start",
            "SUP-1",
            "--at",
            "2026-10-05T12:00:00+03:00",
            env=at("2026-10-05T12:05:00+03:00"),
        )
    )
    dates = git(support_repo, "log", "-2", "--format=%aI %cI").split("\n")
    assert dates[:2] == [
        "2026-10-05T12:00:00+03:00 2026-10-05T12:05:00+03:00",
        "2026-10-05T10:20:00+03:00 2026-10-05T12:00:00+03:00",
    ]

    _, reply, start = ticket_events(support_repo)
    assert (reply.action, reply.at.isoformat(), reply.committed.isoformat()) == (
        "comment",
        "2026-10-05T10:20:00+03:00",
        "2026-10-05T12:00:00+03:00",
    )
    assert reply.backdated.total_seconds() == 6000
    assert start.backdated.total_seconds() == 300
    assert not reply.manual

    m = metrics(cli)
    assert (m["first_response"]["elapsed_seconds"], m["first_response"]["state"]) == (1200, "met")
    assert m["first_response"]["stopped"] == "2026-10-05T10:20:00+03:00"
    assert (m["start_work"]["elapsed_seconds"], m["start_work"]["state"]) == (7200, "met")

    out = ok(cli("sla", "explain", "SUP-1", "--now", "2026-10-05T12:30:00+03:00")).stdout
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("2026-")}
    assert "back-dated 1h40m" in rows["comment"]
    assert "back-dated" not in rows["start"]  # 5 minutes: within the tolerance
    data = json.loads(
        ok(cli("sla", "explain", "SUP-1", "--json", "--now", "2026-10-05T12:30:00+03:00")).stdout
    )
    assert [(e["action"], e["backdated_seconds"]) for e in data["events"]] == [
        ("new", 0),
        ("comment", 6000),
        ("start", 300),
        ("now", 0),
    ]


# -- hand-made commits -------------------------------------------------------------------------
TICKET = """\
id: SUP-1
title: Printer broken
customer: acme
type: incident
priority: normal
channel: email
status: new
line: L1
assignee:
tags: []
created: '2026-10-09T17:30:00+03:00'
description: ''
"""

STEPS = [  # (when, supportctl command, hand edit of the file)
    (
        "2026-10-12T09:45:00+03:00",
        ["comment", "SUP-1", "We are on it"],
        ("comment", "public", "We are on it"),
    ),
    ("2026-10-12T10:00:00+03:00", ["start", "SUP-1"], ("status", "in_progress")),
    ("2026-10-12T16:00:00+03:00", ["wait", "SUP-1", "-r", "logs"], ("status", "waiting")),
    ("2026-10-13T10:30:00+03:00", ["start", "SUP-1"], ("status", "in_progress")),
    (
        "2026-10-13T11:00:00+03:00",
        ["comment", "SUP-1", "--internal", "found it"],
        ("comment", "internal", "found it"),
    ),
    (
        "2026-10-13T12:00:00+03:00",
        ["resolve", "SUP-1", "-r", "cleared the queue"],
        ("status", "resolved"),
    ),
]


def hand_edit(root: Path, when: str, edit: tuple[str, ...]) -> None:
    """What a person does in an editor, then `git commit -a` (no trailers)."""
    path = root / "data/tickets/0000/SUP-1.yaml"
    if edit[0] == "status":
        text = re.sub(
            r"^status: \w+$",
            f"status: {edit[1]}",
            path.read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )
        path.write_text(text, encoding="utf-8")
    else:
        yaml = YAML()
        data = yaml.load(path.read_text(encoding="utf-8"))
        if not data.get("comments"):
            data["comments"] = []
        data["comments"].append(
            {"at": when, "author": "Anna", "visibility": edit[1], "text": edit[2]}
        )
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
    git(root, "commit", "-qam", f"edited by hand: {edit[0]} {edit[1]}", env=at(when))


def test_hand_made_commits_give_the_same_sla_as_supportctl(
    support_repo: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = "2026-10-09T17:30:00+03:00"  # Friday, 30 minutes before closing
    ok(
        cli(
            "new", "Printer broken", "-c", "acme", "-t", "incident", "-p", "normal", env=at(created)
        )
    )
    for when, args, _ in STEPS:
        ok(cli(*args, env=at(when)))
    by_tool = json.loads(ok(cli("sla", "show", "SUP-1", "--json", "--now", NOW)).stdout)

    hand = new_repo(tmp_path / "hand", (support_repo / "supportctl.yaml").read_text(), monkeypatch)
    (hand / "data/tickets/0000").mkdir(parents=True, exist_ok=True)
    (hand / "data/tickets/0000/SUP-1.yaml").write_text(TICKET, encoding="utf-8")
    git(hand, "add", "data")
    git(hand, "commit", "-qm", "new ticket, by hand", env=at(created))
    for when, _, edit in STEPS:
        hand_edit(hand, when, edit)
    assert "Ticket:" not in git(hand, "log", "--format=%B")
    by_hand = json.loads(ok(cli("sla", "show", "SUP-1", "--json", "--now", NOW)).stdout)

    for result in (by_tool, by_hand):
        for clock in result["metrics"].values():
            clock.pop("stopped_by")  # commit ids differ
    assert by_hand == by_tool
    m = by_hand["metrics"]
    # first response: Fri 17:30-18:00 + Mon 09:00-09:45; start: + Mon 09:45-10:00
    assert {k: (v["elapsed_seconds"], v["state"], v["stop_action"]) for k, v in m.items()} == {
        "first_response": (4500, "met", "comment"),
        "start_work": (5400, "met", "start"),
        # 30m Fri + Mon 09:00-16:00 less lunch (6h) + Tue 10:30-12:00; Mon 16:00-Tue 10:30 waiting
        "resolution": (28800, "met", "resolve"),
    }
    assert by_hand["created"] == created

    events = ticket_events(hand)
    assert [(e.action, e.manual, e.details.get("visibility")) for e in events] == [
        ("new", True, None),
        ("comment", True, "public"),
        ("start", True, None),
        ("wait", True, None),
        ("start", True, None),
        ("comment", True, "internal"),
        ("resolve", True, None),
    ]
    assert events[0].details == {"channel": "email"}  # as the `Channel:` trailer of supportctl new
    assert events[0].changes["priority"] == (None, "normal")
    assert events[3].changes == {"status": ("in_progress", "waiting")}

    explain = json.loads(ok(cli("sla", "explain", "SUP-1", "--json", "--now", NOW)).stdout)
    assert all(e["manual"] for e in explain["events"][:-1])


def test_hand_edit_of_priority_retargets(support_repo: Path, cli: Cli) -> None:
    ok(cli("new", "Site down", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00
    path = support_repo / "data/tickets/0000/SUP-1.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("priority: normal", "priority: critical"),
        encoding="utf-8",
    )
    git(support_repo, "commit", "-qam", "It is critical", env=at("2026-10-05T10:20:00+03:00"))
    (event,) = [e for e in ticket_events(support_repo) if e.action == "edit"]
    assert (event.manual, event.changes) == (True, {"priority": ("normal", "critical")})
    m = metrics(cli, now="2026-10-05T10:25:00+03:00")
    assert (
        m["first_response"]["target_seconds"],
        m["first_response"]["elapsed_seconds"],
        m["first_response"]["state"],
        m["first_response"]["calendar"],
    ) == (1800, 1500, "running", "24x7")
    assert m["first_response"]["due"] == "2026-10-05T10:30:00+03:00"


# -- merges ------------------------------------------------------------------------------------
def test_merge_counts_the_branch_event_once(support_repo: Path, cli: Cli) -> None:
    main = git(support_repo, "branch", "--show-current").strip()
    ok(cli("new", "VPN drops", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00
    ok(cli("new", "Invoice copy", "-c", "globex", "-t", "information_request", "-p", "low"))
    before_merge = len(history(support_repo).events())  # caches the events up to here
    git(support_repo, "checkout", "-qb", "l2")
    ok(cli("escalate", "SUP-1", "-r", "needs network team", env=at("2026-10-05T11:00:00+03:00")))
    git(support_repo, "checkout", "-q", main)
    ok(cli("comment", "SUP-2", "Sent", env=at("2026-10-05T11:30:00+03:00")))
    git(
        support_repo,
        "merge",
        "-q",
        "--no-ff",
        "l2",
        "-m",
        "Merge branch l2",
        env=at("2026-10-05T12:00:00+03:00"),
    )
    assert len(git(support_repo, "log", "-1", "--format=%P").split()) == 2

    incremental = history(support_repo).events()  # extends the cache with the merged range
    assert len(incremental) == before_merge + 2
    assert [e.action for e in incremental if e.ticket == "SUP-1"] == ["new", "escalate"]
    escalate = next(e for e in incremental if e.action == "escalate")
    assert escalate.changes == {"line": ("L1", "L2")}
    history(support_repo).path.unlink()
    assert history(support_repo).events() == incremental  # a full scan agrees

    data = json.loads(
        ok(cli("sla", "explain", "SUP-1", "--json", "--now", "2026-10-05T12:30:00+03:00")).stdout
    )
    assert [(e["action"], e["line"]) for e in data["events"]] == [
        ("new", "L1"),
        ("escalate", "L2"),
        ("now", "L2"),
    ]
    assert (
        data["metrics"]["resolution"]["elapsed_seconds"] == 9000
    )  # 10:00-12:30, not counted twice


# -- the events cache --------------------------------------------------------------------------
def _scenario(cli: Cli) -> None:
    ok(cli("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00
    ok(cli("comment", "SUP-1", "Looking", env=at("2026-10-05T10:30:00+03:00")))


def test_second_run_is_served_from_the_cache(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scenario(cli)
    first = metrics(cli)
    cache = support_repo / f".git/supportctl/cache/events.v{CACHE_FORMATS['events']}.marshal"
    assert history(support_repo).path == cache
    assert cache.is_file()
    assert "supportctl" not in git(
        support_repo, "status", "--porcelain", "--ignored"
    )  # never committed

    def no_scan(self: History, rev: str) -> list[Event]:
        raise AssertionError(f"history read again ({rev})")

    monkeypatch.setattr(History, "_scan", no_scan)
    assert metrics(cli) == first


def test_cache_grows_incrementally(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scenario(cli)
    metrics(cli)
    tip = git(support_repo, "rev-parse", "HEAD").strip()
    ok(cli("start", "SUP-1", env=at("2026-10-05T11:00:00+03:00")))
    scanned: list[str] = []
    real = History._scan

    def spy(self: History, rev: str) -> list[Event]:
        scanned.append(rev)
        return real(self, rev)

    monkeypatch.setattr(History, "_scan", spy)
    m = metrics(cli)
    assert scanned == [f"{tip}..{git(support_repo, 'rev-parse', 'HEAD').strip()}"]
    assert (m["start_work"]["elapsed_seconds"], m["start_work"]["state"]) == (3600, "met")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00garbage\xff" * 50,
        b"",
        b"N",  # marshal of None
        b"g",  # truncated float
        marshal.dumps((12345, 3, [])),  # well-formed marshal, wrong shapes
        marshal.dumps(("0" * 40, 3, [("a", "b", "c", (1, 0), (1, 0), "x", "y", [], {}, False)])),
    ],
)
def test_corrupt_cache_is_rebuilt(support_repo: Path, cli: Cli, garbage: bytes) -> None:
    _scenario(cli)
    first = metrics(cli)
    cache = history(support_repo).path
    assert cache is not None
    cache.write_bytes(garbage)
    assert metrics(cli) == first
    assert cache.read_bytes() != garbage  # rewritten
    assert history(support_repo)._load()[0] == git(support_repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "table too long", "extra bytes"])
def test_a_damaged_events_file_is_rebuilt(support_repo: Path, cli: Cli, damage: str) -> None:
    """The file is read in place (header, table, each ticket's events): a cut, a changed
    byte, a table that claims more than there is, or bytes after the last ticket are all
    found, and the file is rebuilt, never trusted."""
    _scenario(cli)
    first = metrics(cli)
    cache = history(support_repo).path
    assert cache is not None
    good = cache.read_bytes()
    size = int.from_bytes(good[:4], "little")
    tip, version, seq, crc, length = marshal.loads(good[4 : 4 + size])
    if damage == "truncated":
        bad = good[:-10]
    elif damage == "flipped":
        middle = (4 + size + len(good)) // 2
        bad = good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1 :]
    elif damage == "table too long":
        header = marshal.dumps((tip, version, seq, crc, length + 5))
        bad = len(header).to_bytes(4, "little") + header + good[4 + size :]
    else:
        body = good[4 + size :] + b"junk"
        header = marshal.dumps((tip, version, seq, zlib.crc32(body), length))
        bad = len(header).to_bytes(4, "little") + header + body
    was = history(support_repo)._load()
    cache.write_bytes(bad)
    assert history(support_repo)._load() == (None, 0, {})
    assert metrics(cli) == first
    # rebuilt, with what it held (marshal's bytes may differ for equal contents)
    now = history(support_repo)._load()
    assert (now[0], now[1]) == (was[0], was[1])
    assert {t: (*v[:3], marshal.loads(v[3])) for t, v in now[2].items()} == {
        t: (*v[:3], marshal.loads(v[3])) for t, v in was[2].items()
    }
    assert now[2]


def test_corrupt_sqlite_cache_of_hand_edits_is_rebuilt(support_repo: Path, cli: Cli) -> None:
    ok(cli("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal"))
    hand_edit(support_repo, "2026-10-05T10:40:00+03:00", ("comment", "public", "Looking"))
    first = metrics(cli)
    assert first["first_response"]["elapsed_seconds"] == 2400
    for name in (file_name("events"), file_name("blobs")):
        (support_repo / ".git/supportctl/cache" / name).write_bytes(b"not a cache " * 100)
    for extra in ("-wal", "-shm"):
        (support_repo / ".git/supportctl/cache" / (file_name("blobs") + extra)).unlink(
            missing_ok=True
        )
    assert metrics(cli) == first


def test_tickets_one_at_a_time_stay_those_of_their_revision(support_repo: Path, cli: Cli) -> None:
    """A desk has one events reader: a question about another revision asked in the middle
    of a one-at-a-time pass does not change what the rest of the pass gives."""
    ok(cli("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal"))
    ok(cli("new", "VPN down", "-c", "globex", "-t", "incident", "-p", "high"))
    older = git(support_repo, "rev-parse", "HEAD").strip()
    ok(cli("comment", "SUP-1", "Looking", env=at("2026-10-05T10:30:00+03:00")))
    ok(cli("start", "SUP-2", env=at("2026-10-05T11:00:00+03:00")))
    desk = open_repo(str(support_repo))
    (desk.cache.path("events") or support_repo / "none").unlink(missing_ok=True)
    whole = desk.events_by_ticket()
    one_by_one = desk.iter_events_by_ticket()
    given = [next(one_by_one)]
    assert len(desk.events_by_ticket(older)["SUP-2"]) < len(whole["SUP-2"])
    given += list(one_by_one)
    assert given == list(whole.items())


def test_tickets_one_at_a_time_are_those_of_by_ticket_each_once(
    support_repo: Path, cli: Cli
) -> None:
    ok(cli("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal"))
    ok(cli("new", "VPN down", "-c", "globex", "-t", "incident", "-p", "high"))
    ok(cli("comment", "SUP-1", "Looking", env=at("2026-10-05T10:30:00+03:00")))
    ok(cli("new", "Invoice", "-c", "acme", "-t", "information_request", "-p", "low"))
    whole = history(support_repo).by_ticket()
    assert list(whole) == ["SUP-1", "SUP-2", "SUP-3"]
    assert list(history(support_repo).each_ticket()) == list(whole.items())
    asked: list[str] = []

    def acme(ticket: str, span: object) -> bool:
        asked.append(ticket)
        return ticket != "SUP-2"

    one_by_one = history(support_repo).each_ticket(keep=acme)
    assert next(one_by_one) == ("SUP-1", whole["SUP-1"])
    assert asked == ["SUP-1"]  # a ticket is looked at when the loop comes to it
    assert list(one_by_one) == [("SUP-3", whole["SUP-3"])]

    # an entry found damaged after a ticket was given: the history is read again, and
    # the tickets not given yet are given from it, none twice
    events = history(support_repo)
    tip, seq, index = events._load()
    assert tip is not None
    first, last, settled, _ = index["SUP-2"]
    index["SUP-2"] = (first, last, settled, b"\x00damaged")
    events._save(tip, seq, index)
    assert list(history(support_repo).each_ticket()) == list(whole.items())
    assert events._load()[2]["SUP-2"][3] != b"\x00damaged"  # rebuilt


def test_rewritten_history_gives_fresh_results(support_repo: Path, cli: Cli) -> None:
    _scenario(cli)
    fr = metrics(cli)["first_response"]
    assert (fr["elapsed_seconds"], fr["state"]) == (1800, "met")

    git(support_repo, "reset", "-q", "--hard", "HEAD~1")  # the reply is gone
    fr = metrics(cli)["first_response"]
    assert (fr["elapsed_seconds"], fr["state"], fr["stopped"]) == (
        324000,
        "breached",
        None,
    )  # 90h till Oct 20 12:00

    hand_edit(support_repo, "2026-10-05T11:00:00+03:00", ("comment", "public", "Looking"))
    fr = metrics(cli)["first_response"]
    assert (fr["elapsed_seconds"], fr["state"], fr["stop_action"]) == (3600, "met", "comment")

    git(
        support_repo,
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--date=2026-10-05T10:45:00+03:00",
        env=at("2026-10-05T11:00:00+03:00"),
    )
    fr = metrics(cli)["first_response"]
    assert (fr["elapsed_seconds"], fr["stopped"]) == (2700, "2026-10-05T10:45:00+03:00")
    assert fr["stopped_by"] == git(support_repo, "rev-parse", "HEAD").strip()
    history(support_repo).path.unlink()
    assert metrics(cli)["first_response"] == fr


# -- commit order ------------------------------------------------------------------------------
def test_parents_first_reverses_a_linear_history() -> None:
    from supportctl.storage.history import parents_first

    newest = [("c", ("b",), []), ("b", ("a",), []), ("a", (), [])]
    assert [sha for sha, _, _ in parents_first(newest)] == ["a", "b", "c"]


def test_parents_first_puts_a_skewed_parent_before_its_child() -> None:
    from supportctl.storage.history import parents_first

    # git's default order is by commit date: A (dated after its child B) is listed before B
    newest = [
        ("m", ("b", "c"), []),
        ("c", ("a",), []),
        ("a", ("r",), []),
        ("b", ("a",), []),
        ("r", (), []),
    ]
    order = [sha for sha, _, _ in parents_first(newest)]
    assert sorted(order) == ["a", "b", "c", "m", "r"]
    for sha, parents, _ in newest:
        assert all(order.index(p) < order.index(sha) for p in parents)


def test_skewed_commit_dates_keep_events_in_commit_order(support_repo: Path, cli: Cli) -> None:
    main = git(support_repo, "branch", "--show-current").strip()
    ok(cli("new", "VPN drops", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00
    git(support_repo, "checkout", "-qb", "side")
    # an agent whose clock ran an hour behind: the commit is dated before its parent
    ok(cli("comment", "SUP-1", "Looking", env=at("2026-10-05T09:00:00+03:00")))
    ok(cli("start", "SUP-1", env=at("2026-10-05T09:10:00+03:00")))
    git(support_repo, "checkout", "-q", main)
    ok(cli("tag", "SUP-1", "vpn", env=at("2026-10-05T11:00:00+03:00")))
    git(
        support_repo,
        "merge",
        "-q",
        "--no-ff",
        "side",
        "-m",
        "Merge side",
        env=at("2026-10-05T12:00:00+03:00"),
    )
    parents = dict(
        line.split(" ", 1) for line in git(support_repo, "log", "--format=%H %P").splitlines()
    )
    default = git(support_repo, "log", "--format=%H").split()[::-1]
    # the case at hand: git's date order, reversed, puts the skewed commit before its parent
    assert any(default.index(p) > default.index(c) for c in default for p in parents[c].split())

    events = history(support_repo).events()
    shas = list(dict.fromkeys(e.sha for e in events))
    assert len(shas) == 4

    def ancestors(sha: str) -> set[str]:
        seen, todo = set(), parents[sha].split()
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(parents[p].split())
        return seen

    for i, sha in enumerate(shas):
        assert not ancestors(sha) & set(shas[i + 1 :])  # every ancestor's events come first


def test_commit_outside_data_brings_no_event_even_with_trailers(
    support_repo: Path, cli: Cli
) -> None:
    ok(cli("new", "VPN drops", "-c", "acme", "-t", "incident", "-p", "normal"))
    (support_repo / "NOTES.md").write_text("notes\n", encoding="utf-8")
    git(support_repo, "add", "NOTES.md")
    git(support_repo, "commit", "-qm", "Notes\n\nTicket: SUP-1\nAction: close")
    assert [e.action for e in history(support_repo).events()] == ["new"]


def test_a_long_scan_reports_to_the_desks_progress_callback(support_repo: Path) -> None:
    head = git(support_repo, "rev-parse", "HEAD").strip()
    branch = git(support_repo, "symbolic-ref", "HEAD").strip()
    stream = "".join(
        f"commit {branch}\ncommitter Anna <anna@support.example> {1790000000 + i} +0300\n"
        f"data 5\nnote\n{f'from {head}' if i == 0 else ''}\n"
        for i in range(1100)
    )
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=support_repo, input=stream, text=True, check=True
    )
    total = int(git(support_repo, "rev-list", "--count", "HEAD"))
    assert total > 1000
    desk = open_repo(str(support_repo))
    seen: list[int | None] = []
    desk.progress = seen.append
    History(desk).events()
    assert seen == [0, 500, 1000, None]

    seen.clear()
    History(desk).events()  # the cache is up to date: nothing to scan, nothing to report
    assert seen == []
    git(support_repo, "commit", "--allow-empty", "-qm", "One more")
    History(desk, progress=False).events()  # a scan the caller wants no progress of
    assert seen == []
