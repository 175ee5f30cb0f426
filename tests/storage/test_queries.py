"""`list` filters: case-insensitive where values are canonical, loud on unknown words."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


def test_filters_ignore_case_and_reject_unknown_status(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "new",
            "A",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "high",
            "--tag",
            "Payments",
        ).exit_code
        == 0
    )
    assert (
        cli("new", "B", "--customer", "acme", "--type", "incident", "--priority", "low").exit_code
        == 0
    )
    rows = json.loads(cli("list", "--tag", "PAYMENTS", "--line", "l1", "--json").stdout)
    assert [r["id"] for r in rows] == ["SUP-1"]
    rows = json.loads(cli("list", "--priority", "LOW", "--status", "New", "--json").stdout)
    assert [r["id"] for r in rows] == ["SUP-2"]
    bad = cli("list", "--status", "opne")
    assert bad.exit_code == 2
    assert "unknown --status 'opne'" in bad.output


def test_first_tag_on_an_untagged_ticket_stays_a_flow_list(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli("new", "A", "--customer", "acme", "--type", "incident", "--priority", "high").exit_code
        == 0
    )
    assert cli("tag", "SUP-1", "vpn", "urgent").exit_code == 0
    text = (support_repo / "data/tickets/0000/SUP-1.yaml").read_text(encoding="utf-8")
    assert "tags: [vpn, urgent]\n" in text


# -- hand edits not yet committed: shown as committed, and said so --------------------------------
def _three_tickets(root: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for title in ("Printer", "VPN", "Mail"):
        assert cli("new", title, "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0


def test_list_marks_tickets_with_uncommitted_hand_edits(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import git

    _three_tickets(support_repo, cli)
    shard = support_repo / "data/tickets/0000"
    p1 = shard / "SUP-1.yaml"
    p1.write_text(
        p1.read_text(encoding="utf-8").replace("priority: low", "priority: critical"),
        encoding="utf-8",
    )
    (shard / "SUP-2.yaml").unlink()
    p3 = shard / "SUP-3.yaml"
    p3.write_text(
        p3.read_text(encoding="utf-8").replace("title: Mail", "title: Mail down"), encoding="utf-8"
    )
    git(support_repo, "add", str(p3))  # staged is not committed either
    (shard / "SUP-4.yaml").write_text(
        p3.read_text(encoding="utf-8").replace("SUP-3", "SUP-4"), encoding="utf-8"
    )
    r = cli("list")
    assert r.exit_code == 0
    rows = [ln.split() for ln in r.stdout.splitlines()[1:]]
    # the committed state: SUP-1 still low, SUP-2 still there, SUP-3 still "Mail"
    assert [(row[0], row[3], row[-1]) for row in rows] == [
        ("SUP-1*", "low", "Printer"),
        ("SUP-2*", "low", "VPN"),
        ("SUP-3*", "low", "Mail"),
    ]
    assert r.stderr == (
        "supportctl: skipped data/tickets/0000/SUP-4.yaml: not committed yet (commit it to list it)\n"
        "supportctl: * the file has uncommitted changes; listed as last committed "
        "(`git status data/tickets` shows them)\n"
    )
    listed = json.loads(cli("list", "--json").stdout)
    assert [(t["id"], t["uncommitted"]) for t in listed] == [
        ("SUP-1", True),
        ("SUP-2", True),
        ("SUP-3", True),
    ]

    git(
        support_repo,
        "checkout",
        "--",
        "data/tickets/0000/SUP-1.yaml",
        "data/tickets/0000/SUP-2.yaml",
    )
    git(support_repo, "commit", "-qm", "Mail down")
    (shard / "SUP-4.yaml").unlink()
    r = cli("list")
    assert r.stderr == ""
    assert "*" not in r.stdout
    assert [t["uncommitted"] for t in json.loads(cli("list", "--json").stdout)] == [False] * 3


def test_show_says_when_the_ticket_file_has_uncommitted_hand_edits(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _three_tickets(support_repo, cli)
    path = "data/tickets/0000/SUP-1.yaml"
    p1 = support_repo / path
    p1.write_text(
        p1.read_text(encoding="utf-8").replace("priority: low", "priority: critical"),
        encoding="utf-8",
    )
    r = cli("show", "SUP-1")
    assert r.exit_code == 0
    assert r.stderr == (
        f"supportctl: {path} has uncommitted changes; shown as last committed "
        f"(`git diff HEAD -- {path}` shows them)\n"
    )
    assert "  priority:  low" in r.stdout.splitlines()
    shown = json.loads(cli("show", "SUP-1", "--json").stdout)
    assert (shown["priority"], shown["uncommitted"]) == ("low", True)
    clean = cli("show", "SUP-2")
    assert clean.stderr == ""
    assert json.loads(cli("show", "SUP-2", "--json").stdout)["uncommitted"] is False
    # a file made by hand and never committed is not a ticket yet, and the error says why
    (support_repo / "data/tickets/0000/SUP-4.yaml").write_text(
        p1.read_text(encoding="utf-8").replace("SUP-1", "SUP-4"), encoding="utf-8"
    )
    r = cli("show", "SUP-4")
    assert (r.exit_code, r.stderr) == (
        5,
        (
            "supportctl: error: unknown ticket SUP-4: data/tickets/0000/"
            "SUP-4.yaml is not committed yet (commit it to use it)\n"
        ),
    )


# -- one ticket's worklogs through the index of the tickets each worklog file names -------------
def test_ticket_worklogs_match_the_full_scan_cold_and_warm(support_repo: Path) -> None:
    from supportctl.storage.desk import open_repo
    from tests.helpers import commit_files

    entry = (
        "- ticket: {t}\n  minutes: {m}\n  on: '2026-01-0{d}'\n  at: '2026-01-0{d}T10:00:00+00:00'\n"
    )
    commit_files(
        support_repo,
        {
            "data/worklogs/2026-01/ann.yaml": entry.format(t="SUP-1", m=30, d=2)
            + entry.format(t="SUP-2", m=15, d=3),
            "data/worklogs/2026-01/bob.yaml": entry.format(t="SUP-2", m=45, d=1),
            "data/worklogs/2026-01/eve.yaml": "- ticket: [unclosed\n",
        },
    )

    def both(ticket: str) -> tuple[list[object], list[str], list[object], list[str]]:
        desk = open_repo(str(support_repo))
        full_problems: list[str] = []
        full = [w for w in desk.worklogs(problems=full_problems) if w.ticket == ticket]
        one_problems: list[str] = []
        one = desk.ticket_worklogs(ticket, problems=one_problems)
        return full, full_problems, one, one_problems

    for _ in range(2):  # the first run builds the index, the second reads it
        for ticket in ("SUP-1", "SUP-2", "SUP-3"):
            full, full_problems, one, one_problems = both(ticket)
            assert one == full
            assert one_problems == full_problems
    _, _, two, problems = both("SUP-2")
    assert [(w.minutes, w.path) for w in two] == [
        (45, "data/worklogs/2026-01/bob.yaml"),
        (15, "data/worklogs/2026-01/ann.yaml"),
    ]
    assert [p.split(":")[0] for p in problems] == ["data/worklogs/2026-01/eve.yaml"]
    desk = open_repo(str(support_repo))
    blobs = dict(desk.git.ls_tree("data/worklogs"))
    rows = desk.cache.get_many("worklog-tickets", blobs.values())
    assert rows[blobs["data/worklogs/2026-01/ann.yaml"]]["tickets"] == ["SUP-1", "SUP-2"]
    assert rows[blobs["data/worklogs/2026-01/eve.yaml"]]["tickets"] == []


# -- the listing cache: finished rows per shard folder, by its tree id ---------------------------
_TICKET = """\
id: {id}
title: {title}
customer: {customer}
type: incident
priority: {priority}
channel: email
status: {status}
line: L1
assignee: {assignee}
tags: {tags}
created: '2026-03-0{day}T10:00:00+03:00'
"""


def _ticket(tid: str, **values: object) -> str:
    fields: dict[str, object] = {
        "title": "Printer",
        "customer": "acme",
        "priority": "low",
        "status": "new",
        "assignee": "anna",
        "tags": "[]",
        "day": 1,
    }
    return _TICKET.format(id=tid, **(fields | values))


def _listing_rows(root: Path) -> dict[str, str]:
    """The listing cache's rows, key -> JSON, read from the SQLite file itself."""
    import sqlite3

    (path,) = (root / ".git/supportctl/cache").glob("blobs.v*.sqlite")
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, data FROM blobs WHERE kind LIKE 'listing.%'"))


def _tamper(root: Path, key: str, old: str, new: str) -> None:
    """Change a cached listing row, so a test can tell the cache's answer from a fresh one."""
    import sqlite3

    (path,) = (root / ".git/supportctl/cache").glob("blobs.v*.sqlite")
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM blobs WHERE key=?", (key,)).fetchone()
        assert old in data
        db.execute("UPDATE blobs SET data=? WHERE key=?", (data.replace(old, new), key))


def _forget_texts(root: Path) -> None:
    """Drop the finished listing texts, so that the next listing is made from the rows
    of each shard (what the tests of that layer look at)."""
    import sqlite3

    (path,) = (root / ".git/supportctl/cache").glob("blobs.v*.sqlite")
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM blobs WHERE kind LIKE 'listing-text.%'")


def _two_shards(root: Path) -> None:
    from tests.helpers import commit_files

    commit_files(
        root,
        {
            "data/tickets/0000/SUP-1.yaml": _ticket("SUP-1", title="Printer"),
            "data/tickets/0000/SUP-2.yaml": _ticket("SUP-2", title="VPN"),
            "data/tickets/0001/SUP-500.yaml": _ticket("SUP-500", title="Mail"),
        },
    )


def _titles(cli, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    r = cli("list", "--json", *args)
    assert r.exit_code == 0, r.output
    return [row["title"] for row in json.loads(r.stdout)]


def test_a_warm_listing_is_read_from_the_cache_of_each_shard(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _two_shards(support_repo)
    assert _titles(cli) == ["Printer", "VPN", "Mail"]
    rows = _listing_rows(support_repo)
    assert sorted(key.split()[0] for key in rows) == ["0000", "0001"]
    (first,) = (key for key in rows if key.startswith("0000 "))
    _tamper(support_repo, first, '"VPN"', '"VPN from the cache"')
    _forget_texts(support_repo)
    assert _titles(cli) == ["Printer", "VPN from the cache", "Mail"]


def test_a_hand_commit_to_one_shard_computes_that_shard_again(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import commit_file

    _two_shards(support_repo)
    assert _titles(cli) == ["Printer", "VPN", "Mail"]
    (first,) = (key for key in _listing_rows(support_repo) if key.startswith("0000 "))
    _tamper(support_repo, first, '"VPN"', '"VPN from the cache"')
    commit_file(
        support_repo, "data/tickets/0001/SUP-500.yaml", _ticket("SUP-500", title="Mail down")
    )
    # the changed shard is read again; the other one's tree is the same, so is its row
    assert _titles(cli) == ["Printer", "VPN from the cache", "Mail down"]
    commit_file(support_repo, "data/tickets/0000/SUP-1.yaml", _ticket("SUP-1", title="Printer jam"))
    assert _titles(cli) == ["Printer jam", "VPN", "Mail down"]


def test_the_cached_listing_follows_a_checkout_of_another_commit(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import commit_file, git, head

    _two_shards(support_repo)
    old = head(support_repo)
    commit_file(support_repo, "data/tickets/0000/SUP-2.yaml", _ticket("SUP-2", title="VPN down"))
    git(support_repo, "rm", "-q", "data/tickets/0001/SUP-500.yaml")
    git(support_repo, "commit", "-qm", "Drop a ticket by hand")
    assert _titles(cli) == ["Printer", "VPN down"]
    git(support_repo, "checkout", "-q", old)
    assert _titles(cli) == ["Printer", "VPN", "Mail"]
    git(support_repo, "checkout", "-q", "-")
    assert _titles(cli) == ["Printer", "VPN down"]
    git(support_repo, "checkout", "-q", old)
    assert _titles(cli) == ["Printer", "VPN", "Mail"]


def _reference(root: Path) -> list[dict[str, object]]:
    """The JSON rows as computed from whole parsed tickets, without the listing cache."""
    from supportctl.storage.desk import open_repo
    from supportctl.storage.queries import LIST_FIELDS

    rows = []
    for view in open_repo(str(root)).tickets():
        if view.error:
            continue
        plain = view.ticket.to_plain()
        row = {k: plain.get(k) for k in LIST_FIELDS}
        row["tags"] = list(plain.get("tags") or [])
        rows.append(row | {"uncommitted": False})
    return rows


ODD_TICKETS = {
    "data/tickets/0000/SUP-1.yaml": _ticket("SUP-1", title="Ёлка", tags="[b, a]", day=3),
    "data/tickets/0000/SUP-2.yaml": _ticket("SUP-2", title="елена", customer="globex", day=2),
    "data/tickets/0000/SUP-3.yaml": _ticket("SUP-3", title="Жук", priority="critical", day=5),
    "data/tickets/0000/SUP-4.yaml": _ticket("SUP-4", title="ещё", assignee="", day=4),
    # a title YAML reads as a number, tags that are no list: listed as the file has them
    "data/tickets/0000/SUP-5.yaml": _ticket("SUP-5", title="42", tags="null"),
    "data/tickets/0000/SUP-6.yaml": _ticket("SUP-6", title="Єва", tags="x", status="waiting"),
    # a file whose id names a later ticket sorts by that id
    "data/tickets/0000/SUP-7.yaml": _ticket("SUP-700", title="Moved by hand"),
    # skipped, each with its reason: a value outside its list, a file that is no YAML
    "data/tickets/0000/SUP-8.yaml": _ticket("SUP-8", status="opne"),
    "data/tickets/0000/SUP-9.yaml": "id: [SUP-9\n",
    "data/tickets/0001/SUP-500.yaml": _ticket("SUP-500", title="ёж", customer="globex"),
    # no ticket: not in the shard its number gives
    "data/tickets/0001/SUP-10.yaml": _ticket("SUP-10", title="Misplaced"),
}


@pytest.mark.parametrize("sort", ["id", "created", "priority", "status", "customer", "title"])
def test_cached_listing_is_the_listing_of_whole_tickets(  # type: ignore[no-untyped-def]
    support_repo: Path, cli, sort: str
) -> None:
    import shutil

    from tests.helpers import commit_files

    commit_files(support_repo, ODD_TICKETS)
    cache = support_repo / ".git/supportctl/cache"
    shutil.rmtree(cache, ignore_errors=True)
    cold = cli("list", "--json", "--sort", sort)
    cold_text = cli("list", "--sort", sort)  # warm by now
    shutil.rmtree(cache)
    cold_text_first = cli("list", "--sort", sort)
    warm = cli("list", "--json", "--sort", sort)
    assert cold.exit_code == 0, cold.output
    assert warm.stdout == cold.stdout
    assert warm.stderr == cold.stderr
    assert cold_text.stdout == cold_text_first.stdout
    assert cold_text.stderr == cold_text_first.stderr
    assert cold.stderr == (
        "supportctl: skipped SUP-8: invalid status 'opne' (expected one of new, in_progress, "
        "waiting, resolved, closed); run supportctl validate\n"
        "supportctl: skipped data/tickets/0000/SUP-9.yaml:2: invalid YAML: "
        "expected ',' or ']', but got '<stream end>'\n"
    )
    rows = json.loads(warm.stdout)
    if sort == "id":
        assert rows == _reference(support_repo)
        assert [r["id"] for r in rows] == [
            "SUP-1", "SUP-2", "SUP-3", "SUP-4", "SUP-5", "SUP-6", "SUP-500", "SUP-700"
        ]  # fmt: skip
        assert (rows[4]["title"], rows[4]["tags"]) == (42, [])
    if sort == "title":
        # case- and ё-insensitive alphabetical order: е before ё, both before ж; є after е
        assert [r["title"] for r in rows] == [
            42, "Moved by hand", "елена", "ещё", "Єва", "ёж", "Ёлка", "Жук"
        ]  # fmt: skip


def _marks(cli) -> list[str]:  # type: ignore[no-untyped-def]
    r = cli("list")
    assert r.exit_code == 0, r.output
    return [line.split()[0] for line in r.stdout.splitlines()[1:]]


def test_list_asks_git_status_with_a_copy_of_a_stale_index(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Stat data that no longer matches the files (a copied clone) makes `git status` read
    every file again; the listing asks with a refreshed copy instead, and answers alike."""
    import os

    from tests.helpers import git

    _two_shards(support_repo)
    for path in (support_repo / "data/tickets").rglob("*.yaml"):
        os.utime(path, ns=(10**18, 10**18))  # same content, other stat data
    index = support_repo / ".git/index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    assert _marks(cli) == ["SUP-1", "SUP-2", "SUP-500"]
    assert _marks(cli) == ["SUP-1", "SUP-2", "SUP-500"]
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before  # the user's, untouched
    cache = support_repo / ".git/supportctl/cache"
    (copy,) = cache.glob("index-copy.*")
    assert copy.read_bytes() != before[0]  # git refreshed the copy's stat data

    # an edit of the same size right after the copy was refreshed
    p1 = support_repo / "data/tickets/0000/SUP-1.yaml"
    p1.write_text(p1.read_text(encoding="utf-8").replace("Printer", "Printex"), encoding="utf-8")
    assert _marks(cli) == ["SUP-1*", "SUP-2", "SUP-500"]
    git(support_repo, "add", str(p1))  # the index changed: a new copy, the old one gone
    assert _marks(cli) == ["SUP-1*", "SUP-2", "SUP-500"]
    assert [p.name for p in cache.glob("index-copy.*")] != [copy.name]
    git(support_repo, "commit", "-qm", "Printex")
    assert _marks(cli) == ["SUP-1", "SUP-2", "SUP-500"]
    (support_repo / "data/tickets/0001/SUP-500.yaml").unlink()
    assert _marks(cli) == ["SUP-1", "SUP-2", "SUP-500*"]
    assert len(list(cache.glob("index-copy.*"))) == 1


def test_the_cached_listing_follows_the_configured_customers(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import CONFIG, commit_file, commit_files

    commit_files(
        support_repo,
        {
            "data/tickets/0000/SUP-1.yaml": _ticket("SUP-1"),
            "data/tickets/0000/SUP-2.yaml": _ticket("SUP-2", customer="initech"),
        },
    )
    r = cli("list", "--json")
    assert [row["id"] for row in json.loads(r.stdout)] == ["SUP-1"]
    assert r.stderr == (
        "supportctl: skipped SUP-2: invalid customer 'initech' (expected one of acme, globex); "
        "run supportctl validate\n"
    )
    # the same shard trees, another vocabulary: the rows are computed for it
    reordered = CONFIG.replace("  globex:\n    name: Globex\n    plan: standard\n", "")
    reordered = reordered.replace(
        "customers:\n", "customers:\n  globex:\n    name: Globex\n    plan: standard\n"
    )
    commit_file(support_repo, "supportctl.yaml", reordered)
    assert cli("list", "--json").stderr == (
        "supportctl: skipped SUP-2: invalid customer 'initech' (expected one of globex, acme); "
        "run supportctl validate\n"
    )
    added = CONFIG.replace(
        "customers:\n", "customers:\n  initech:\n    name: I\n    plan: standard\n"
    )
    commit_file(support_repo, "supportctl.yaml", added)
    r = cli("list", "--json")
    assert (r.stderr, [row["id"] for row in json.loads(r.stdout)]) == ("", ["SUP-1", "SUP-2"])


# -- the finished text of a listing, by the tree of data/tickets -------------------------------
def _text_rows(root: Path) -> dict[str, str]:
    import sqlite3

    (path,) = (root / ".git/supportctl/cache").glob("blobs.v*.sqlite")
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, data FROM blobs WHERE kind LIKE 'listing-text.%'"))


def _tamper_texts(root: Path, old: str, new: str) -> None:
    import sqlite3

    (path,) = (root / ".git/supportctl/cache").glob("blobs.v*.sqlite")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, data FROM blobs WHERE kind LIKE 'listing-text.%'")
        for key, data in list(rows):
            db.execute("UPDATE blobs SET data=? WHERE key=?", (data.replace(old, new), key))


def test_a_warm_listing_is_one_finished_text_per_tree_and_options(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import git

    _two_shards(support_repo)
    first = cli("list")
    assert first.exit_code == 0, first.output
    assert "VPN" in first.stdout
    tree = git(support_repo, "rev-parse", "HEAD:data/tickets").strip()
    (key,) = _text_rows(support_repo)
    assert key.split()[0] == tree
    _tamper_texts(support_repo, "VPN", "VPN from the text")
    assert "VPN from the text" in cli("list").stdout
    # other options are another text, computed for them
    assert "VPN from the text" not in cli("list", "--sort", "title").stdout
    assert "VPN from the text" not in cli("list", "--limit", "2").stdout
    assert "VPN from the text" not in cli("list", "--customer", "acme").stdout
    assert _titles(cli) == ["Printer", "VPN", "Mail"]
    assert len(_text_rows(support_repo)) == 5


def test_a_new_commit_makes_the_text_again_and_drops_the_old_trees(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import commit_file

    _two_shards(support_repo)
    cli("list")
    cli("list", "--json")
    _tamper_texts(support_repo, "VPN", "VPN from the text")
    commit_file(
        support_repo, "data/tickets/0001/SUP-500.yaml", _ticket("SUP-500", title="Mail down")
    )
    r = cli("list")
    assert "VPN from the text" not in r.stdout
    assert "Mail down" in r.stdout
    assert len(_text_rows(support_repo)) == 1  # the old tree's two texts are gone


def test_no_text_is_kept_or_read_while_a_ticket_file_has_changes(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _two_shards(support_repo)
    cli("list")
    _tamper_texts(support_repo, "VPN", "VPN from the text")
    p1 = support_repo / "data/tickets/0000/SUP-1.yaml"
    p1.write_text(p1.read_text(encoding="utf-8").replace("Printer", "Printex"), encoding="utf-8")
    r = cli("list")
    assert _marks(cli) == ["SUP-1*", "SUP-2", "SUP-500"]
    assert "VPN from the text" not in r.stdout
    assert r.stderr == (
        "supportctl: * the file has uncommitted changes; listed as last committed "
        "(`git status data/tickets` shows them)\n"
    )
    (support_repo / "data/tickets/0000/SUP-77.yaml").write_text(_ticket("SUP-77"), encoding="utf-8")
    r = cli("list", "--limit", "1")
    assert r.stdout.splitlines()[1].split()[0] == "SUP-1*"
    assert "data/tickets/0000/SUP-77.yaml: not committed yet" in r.stderr
    assert len(_text_rows(support_repo)) == 1  # only the one kept before the edit


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--json",),
        ("--sort", "title", "--reverse"),
        ("--limit", "3"),
        ("--json", "--limit", "2", "--sort", "created"),
        ("--status", "waiting"),
        ("--customer", "nobody"),
    ],
)
def test_a_listing_read_back_is_the_listing_made_afresh(  # type: ignore[no-untyped-def]
    support_repo: Path, cli, args: tuple[str, ...]
) -> None:
    import shutil

    from tests.helpers import commit_files

    commit_files(support_repo, ODD_TICKETS)
    cache = support_repo / ".git/supportctl/cache"
    shutil.rmtree(cache, ignore_errors=True)
    cold = cli("list", *args)
    warm = cli("list", *args)
    assert cold.exit_code == 0, cold.output
    assert warm.exit_code == 0
    assert len(_text_rows(support_repo)) == 1
    assert warm.stdout == cold.stdout
    assert warm.stderr == cold.stderr
    assert "skipped SUP-8: invalid status 'opne'" in warm.stderr


def test_the_texts_key_changes_with_the_code_loaded(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import sys
    import types

    from supportctl.storage.queries import _code_stamp

    source = tmp_path / "probe.py"
    source.write_text("X = 1\n", encoding="utf-8")
    probe = types.ModuleType("supportctl._stamp_probe")
    probe.__file__ = str(source)
    monkeypatch.setitem(sys.modules, "supportctl._stamp_probe", probe)
    before = _code_stamp()
    assert _code_stamp() == before
    os.utime(source, ns=(10**18, 10**18))
    assert _code_stamp() != before
