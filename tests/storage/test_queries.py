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
