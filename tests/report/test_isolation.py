"""A customer's report shows what was true in the period and nothing of another customer:
a ticket moved to another customer (and retitled) later keeps its title of the period, and
a KB article that also serves another customer's tickets is not named."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.helpers import at, git, run_at

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-12-20T12:00:00+03:00"
OLD_TITLE = "Printer jams on ACME invoices"
NEW_TITLE = "Globex merger payroll export"


def _report(cli, month: str, customer: str, fmt: str) -> str:  # type: ignore[no-untyped-def]
    """The customer's report as the team reads it: the audit trail too, where a leak would be."""
    r = cli(
        "report", "--month", month, "--customer", customer, "--format", fmt, "--now", NOW,
        "--audience", "internal",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return str(r.stdout)


def _move_by_hand(root: Path) -> None:
    path = root / "data/tickets/0000/SUP-1.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^customer: acme$", "customer: globex", text)
    text = re.sub(r"(?m)^title: .*$", f"title: {NEW_TITLE}", text)
    path.write_text(text, encoding="utf-8")
    when = "2026-12-03T10:00:00+03:00"
    git(
        root,
        "commit",
        "-qam",
        "Move SUP-1 to Globex",
        env=at(when),
    )


@pytest.mark.parametrize("by_hand", [False, True])
def test_a_moved_ticket_shows_its_title_and_customer_of_the_period(
    support_repo: Path,
    cli,  # type: ignore[no-untyped-def]
    by_hand: bool,
) -> None:
    run_at(
        cli,
        "2026-11-05T10:00:00+03:00",
        "new",
        OLD_TITLE,
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "normal",
    )
    run_at(cli, "2026-11-05T10:30:00+03:00", "comment", "SUP-1", "Looking into it")
    if by_hand:
        _move_by_hand(support_repo)
    else:
        run_at(
            cli,
            "2026-12-03T10:00:00+03:00",
            "edit",
            "SUP-1",
            "--customer",
            "globex",
            "--title",
            NEW_TITLE,
        )
    for fmt in ("md", "json", "html"):
        acme = _report(cli, "2026-11", "acme", fmt)
        assert OLD_TITLE in acme, fmt
        assert "SUP-1" in acme, fmt
        assert NEW_TITLE not in acme, fmt
        assert "globex" not in acme.lower(), fmt
        globex = _report(cli, "2026-11", "globex", fmt)
        assert "SUP-1" not in globex, fmt
        assert OLD_TITLE not in globex, fmt
        assert NEW_TITLE not in globex, fmt
        december = _report(cli, "2026-12", "globex", fmt)
        assert NEW_TITLE in december, fmt
        assert OLD_TITLE not in december, fmt
        assert "acme" not in december.lower(), fmt  # the move names no other customer
    model = json.loads(_report(cli, "2026-11", "acme", "json"))
    assert [(t["id"], t["customer"], t["title"]) for t in model["tickets"]] == [
        ("SUP-1", "acme", OLD_TITLE)
    ]
    december = json.loads(_report(cli, "2026-12", "globex", "json"))
    moves = [e["detail"] for e in december["audit"]["events"] if "customer" in e["detail"]]
    assert moves == ["customer (another customer) → globex; title changed"]


@pytest.fixture
def shared_article(support_repo: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    # globex's ticket gives the article its slug; two acme tickets are solved with it too
    run_at(
        cli,
        "2026-10-05T10:00:00+03:00",
        "new",
        "Globex payroll export breaks",
        "--customer",
        "globex",
        "--type",
        "incident",
        "--priority",
        "normal",
    )
    run_at(
        cli,
        "2026-10-05T11:00:00+03:00",
        "kb",
        "new",
        "Globex payroll export breaks",
        "--from-ticket",
        "SUP-1",
        "--body-file",
        "-",
        input="Restart the exporter.\n",
    )
    for n, day in ((2, "06"), (3, "07")):
        run_at(
            cli,
            f"2026-10-{day}T10:00:00+03:00",
            "new",
            f"Export fails {n}",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "normal",
        )
        run_at(
            cli,
            f"2026-10-{day}T10:05:00+03:00",
            "kb",
            "link",
            f"SUP-{n}",
            "globex-payroll-export-breaks",
        )
    return support_repo


def test_an_article_of_another_customer_is_not_named(shared_article: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("md", "json", "html"):
        acme = _report(cli, "2026-10", "acme", fmt)
        assert "payroll" not in acme.lower(), fmt
        assert "globex" not in acme.lower(), fmt
    assert (
        "- solved with a KB article shared with other customers: 2 tickets — SUP-2, SUP-3"
        in _report(cli, "2026-10", "acme", "md")
    )
    model = json.loads(_report(cli, "2026-10", "acme", "json"))
    assert model["recurring"]["kb"] == [
        {"slug": None, "count": 2, "tickets": ["SUP-2", "SUP-3"], "shared": True}
    ]
    links = [e["detail"] for e in model["audit"]["events"] if e["action"] == "kb-link"]
    assert links, links
    assert all("(a KB article shared with other customers)" in d for d in links), links
    # the desk's own report names it
    desk = json.loads(cli("report", "--month", "2026-10", "--format", "json", "--now", NOW).stdout)
    assert {
        "slug": "globex-payroll-export-breaks",
        "count": 3,
        "tickets": ["SUP-1", "SUP-2", "SUP-3"],
        "shared": False,
    } in desk["recurring"]["kb"]


def test_an_article_of_this_customer_only_is_named(shared_article: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        "2026-10-08T10:00:00+03:00",
        "kb",
        "new",
        "Exporter restart",
        "--from-ticket",
        "SUP-2",
        "--replace",
        "--body-file",
        "-",
        input="Restart it.\n",
    )
    run_at(cli, "2026-10-08T10:05:00+03:00", "kb", "link", "SUP-3", "exporter-restart", "--replace")
    model = json.loads(_report(cli, "2026-10", "acme", "json"))
    assert model["recurring"]["kb"] == [
        {"slug": "exporter-restart", "count": 2, "tickets": ["SUP-2", "SUP-3"], "shared": False}
    ]


def test_an_action_back_dated_into_the_period_after_the_move_shows_nothing_later(
    support_repo: Path,  # type: ignore[no-untyped-def]
    cli,
) -> None:
    run_at(
        cli,
        "2026-11-05T10:00:00+03:00",
        "new",
        OLD_TITLE,
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "normal",
    )
    run_at(
        cli,
        "2026-12-03T10:00:00+03:00",
        "edit",
        "SUP-1",
        "--customer",
        "globex",
        "--title",
        NEW_TITLE,
    )
    # a phone call of November logged on December 5th, after the move: its commit holds the move
    run_at(
        cli,
        "2026-12-05T10:00:00+03:00",
        "comment",
        "SUP-1",
        "Called back",
        "--at",
        "2026-11-20T10:00:00+03:00",
    )
    model = json.loads(_report(cli, "2026-11", "acme", "json"))
    assert [(t["id"], t["title"]) for t in model["tickets"]] == [("SUP-1", OLD_TITLE)]
    assert [e["action"] for e in model["audit"]["events"]] == ["new", "comment"]


def test_a_value_put_right_since_still_shows_the_ticket_of_the_period(
    support_repo: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """A past version is shown as it was: today's lists of values are not applied to it, so a
    priority mistyped in November and fixed in December does not blank November's row."""
    run_at(
        cli,
        "2026-11-05T10:00:00+03:00",
        "new",
        OLD_TITLE,
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
    )
    path = support_repo / "data/tickets/0000/SUP-1.yaml"
    text = path.read_text(encoding="utf-8")
    for when, priority in (
        ("2026-11-10T10:00:00+03:00", "hgh"),
        ("2026-12-10T10:00:00+03:00", "high"),
    ):
        path.write_text(
            text.replace("priority: high\n", f"priority: {priority}\n"), encoding="utf-8"
        )
        git(
            support_repo,
            "commit",
            "-qam",
            "priority by hand",
            env=at(when),
        )
    model = json.loads(_report(cli, "2026-11", "acme", "json"))
    assert [t["title"] for t in model["tickets"]] == [OLD_TITLE]
