"""`list` filters: case-insensitive where values are canonical, loud on unknown words."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

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
