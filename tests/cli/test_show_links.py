"""`show` lists the tickets that point at a ticket: its duplicates and its children."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.helpers import commit_file, ok

if TYPE_CHECKING:
    from pathlib import Path


def _new(cli: Any, title: str) -> None:
    ok(cli("new", title, "-c", "acme", "-t", "incident", "-p", "normal"))


def test_show_lists_duplicates_and_children(support_repo: Path, cli: Any) -> None:
    for n in range(1, 6):
        _new(cli, f"Ticket {n}")
    ok(cli("link", "SUP-3", "--duplicate-of", "SUP-1"))
    ok(cli("link", "SUP-2", "--duplicate-of", "SUP-1"))
    ok(cli("link", "SUP-4", "--parent", "SUP-1"))
    ok(cli("link", "SUP-5", "--related", "SUP-1"))  # related: the other ticket's own link
    text = ok(cli("show", "SUP-1")).stdout
    assert "  duplicates: SUP-2, SUP-3\n" in text
    assert "  children:  SUP-4\n" in text
    assert "SUP-5" not in text
    data = json.loads(ok(cli("show", "SUP-1", "--json")).stdout)
    assert (data["duplicates"], data["children"]) == (["SUP-2", "SUP-3"], ["SUP-4"])
    # the linking ticket itself shows its own link, and nothing points at it
    two = json.loads(ok(cli("show", "SUP-2", "--json")).stdout)
    assert two["links"]["duplicate_of"] == "SUP-1"
    assert (two["duplicates"], two["children"]) == ([], [])
    assert "duplicates:" not in ok(cli("show", "SUP-2")).stdout


def test_a_later_commit_changes_what_is_listed(support_repo: Path, cli: Any) -> None:
    for n in range(1, 4):
        _new(cli, f"Ticket {n}")
    ok(cli("link", "SUP-2", "--parent", "SUP-1"))
    assert json.loads(ok(cli("show", "SUP-1", "--json")).stdout)["children"] == ["SUP-2"]
    ok(cli("link", "SUP-2", "--parent", "SUP-3"))  # moved under another parent
    ok(cli("link", "SUP-3", "--parent", "SUP-1"))
    assert json.loads(ok(cli("show", "SUP-1", "--json")).stdout)["children"] == ["SUP-3"]
    assert json.loads(ok(cli("show", "SUP-3", "--json")).stdout)["children"] == ["SUP-2"]


def test_a_broken_ticket_file_points_nowhere(support_repo: Path, cli: Any) -> None:
    _new(cli, "Ticket 1")
    commit_file(support_repo, "data/tickets/0000/SUP-2.yaml", "id: SUP-2\nlinks: [not, a, map\n")
    assert json.loads(ok(cli("show", "SUP-1", "--json")).stdout)["children"] == []
