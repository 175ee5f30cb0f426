"""`supportctl similar`, `backlog` and `devtask` on a small desk with a repeated failure."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.helpers import git, run_at

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-10-15T12:00:00+03:00"


def _new(cli, when: str, title: str, customer: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        when,
        "new",
        title,
        "--customer",
        customer,
        "--type",
        "incident",
        "--priority",
        "high",
        *extra,
    )


@pytest.fixture
def desk(support_repo: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    # A checkout failure reported three times by two customers, escalated to L3.
    _new(
        cli,
        "2026-10-01T10:00:00+03:00",
        "Checkout returns 500 after release",
        "acme",
        "--tag",
        "checkout",
        "--description",
        "Since the release customers cannot pay.\nSteps to reproduce:\n1. Add an item\n"
        "2. Pay by card\nExpected: the order is placed\nActual: HTTP 500 on the payment step",
    )
    run_at(
        cli,
        "2026-10-01T10:10:00+03:00",
        "comment",
        "SUP-1",
        "We are on it; pickup orders still work.",
    )
    run_at(
        cli,
        "2026-10-01T10:20:00+03:00",
        "comment",
        "SUP-1",
        "Migration 42 did not run",
        "--internal",
    )
    run_at(
        cli,
        "2026-10-01T10:30:00+03:00",
        "escalate",
        "SUP-1",
        "--to",
        "L3",
        "--reason",
        "needs a code fix",
    )
    _new(
        cli,
        "2026-10-02T09:30:00+03:00",
        "Checkout fails with error 500",
        "globex",
        "--tag",
        "checkout",
        "--description",
        "Payment step shows error 500.",
    )
    run_at(cli, "2026-10-02T09:40:00+03:00", "link", "SUP-2", "--duplicate-of", "SUP-1")
    _new(
        cli, "2026-10-03T11:00:00+03:00", "Error 500 at checkout again", "acme", "--tag", "checkout"
    )
    run_at(cli, "2026-10-03T11:05:00+03:00", "link", "SUP-3", "--duplicate-of", "SUP-2")  # a chain
    # Two VPN tickets solved with one KB article.
    run_at(
        cli,
        "2026-10-04T09:00:00+03:00",
        "kb",
        "new",
        "VPN drops every hour",
        "--body-file",
        "-",
        input="Renew the client certificate.\n",
    )
    _new(cli, "2026-10-06T09:00:00+03:00", "VPN disconnects", "globex", "--tag", "vpn")
    run_at(
        cli,
        "2026-10-06T10:00:00+03:00",
        "resolve",
        "SUP-4",
        "--resolution",
        "cert",
        "--kb",
        "vpn-drops-every-hour",
    )
    _new(cli, "2026-10-07T09:00:00+03:00", "Tunnel keeps dropping", "acme", "--tag", "network")
    run_at(cli, "2026-10-07T10:00:00+03:00", "kb", "link", "SUP-5", "vpn-drops-every-hour")
    run_at(cli, "2026-10-07T10:05:00+03:00", "resolve", "SUP-5", "--resolution", "cert")
    # Three identical printer tickets: same text, two customers.
    for n, customer in enumerate(("acme", "globex", "acme")):
        _new(
            cli,
            f"2026-10-1{n}T09:00:00+03:00",
            "Label printer jams on thick labels",
            customer,
            "--tag",
            "printer",
            "--description",
            "The Zebra printer jams when printing thick labels.",
        )
    # An old, closed checkout ticket: not recent any more.
    _new(cli, "2026-05-04T10:00:00+03:00", "Checkout error 500 on payment", "acme")
    run_at(cli, "2026-05-04T11:00:00+03:00", "resolve", "SUP-9", "--resolution", "restart")
    run_at(cli, "2026-05-04T12:00:00+03:00", "close", "SUP-9")
    return support_repo


def similar(cli, *args: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    r = cli("similar", *args, "--now", NOW, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_similar_finds_the_repeats_and_not_itself(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    rows = similar(cli, "SUP-1")
    ids = [r["id"] for r in rows]
    assert "SUP-1" not in ids
    assert set(ids) == {"SUP-2", "SUP-3"}  # no VPN, no printer, not the May ticket
    assert set(rows[0]) == {
        "id",
        "title",
        "status",
        "customer",
        "created",
        "kb",
        "score",
        "reasons",
        "snippet",
    }
    sup3 = next(r for r in rows if r["id"] == "SUP-3")
    assert "same customer" in sup3["reasons"]
    assert sup3["reasons"][0].startswith("same words: ")
    # Older closed tickets count when the window is wide enough.
    assert "SUP-9" in [r["id"] for r in similar(cli, "SUP-1", "--days", "365")]


def test_similar_boosts_the_same_customer(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    rows = similar(cli, "SUP-6")
    assert [r["id"] for r in rows] == ["SUP-8", "SUP-7"]  # same text; SUP-8 is acme like SUP-6
    assert rows[0]["score"] == pytest.approx(rows[1]["score"] * 1.25, abs=1e-3)
    assert rows[1]["score"] == pytest.approx(1.0, abs=1e-3)
    assert "**printer**" in rows[0]["snippet"]


def test_similar_by_kb_article(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    rows = similar(cli, "SUP-4")
    assert [r["id"] for r in rows] == ["SUP-5"]  # no shared words, one shared article
    assert rows[0]["reasons"] == ["same KB article vpn-drops-every-hour"]
    assert rows[0]["kb"] == "vpn-drops-every-hour"


def test_similar_human_output_and_errors(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("similar", "SUP-6", "--limit", "1", "--now", NOW)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "SCORE", "STATUS", "CUSTOMER"]
    assert lines[1].split()[:4] == ["SUP-8", "1.25", "new", "acme"]
    assert len(lines) == 2
    r = cli("similar", "SUP-99", "--now", NOW)
    assert r.exit_code == 5
    assert r.stderr == "supportctl: error: unknown ticket SUP-99\n"
    _new(cli, NOW, "The", "acme")  # nothing but a stop word
    r = cli("similar", "SUP-10", "--now", NOW)
    assert r.exit_code == 0
    assert r.stderr == "supportctl: no similar open or recent tickets\n"


def test_backlog_most_frequent_first(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("backlog", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(c["kind"], c["key"], c["count"]) for c in rows] == [
        ("thread", "SUP-1", 3),  # a duplicate chain SUP-3 -> SUP-2 -> SUP-1 is one thread
        ("tag", "printer", 3),  # equal count: threads first
        ("kb", "vpn-drops-every-hour", 2),  # ticket `kb` and article `tickets:` both count
    ]  # tag `checkout` repeats the thread and is left out
    thread = rows[0]
    assert thread["tickets"] == ["SUP-1", "SUP-2", "SUP-3"]
    assert thread["customers"] == ["acme", "globex"]
    assert thread["open"] == 3
    assert thread["title"] == "Checkout returns 500 after release"
    assert thread["first"] == "2026-10-01T10:00:00+03:00"
    assert thread["last"] == "2026-10-03T11:00:00+03:00"
    assert rows[2]["title"] == "VPN drops every hour"
    assert rows[2]["open"] == 0


def test_backlog_since_and_markdown(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("backlog", "--since", "2026-10-05")
    assert r.exit_code == 0
    assert r.stdout == (
        "# Backlog candidates since 2026-10-05\n\n"
        "1. **tag printer** — Frequent tag `printer`, 3 tickets, 3 open\n"
        "   - Task: Look for a common cause of the tickets tagged printer\n"
        "   - Tickets: SUP-6, SUP-7, SUP-8\n"
        "   - Customers: acme, globex\n"
        "   - Seen: 2026-10-10 … 2026-10-12\n"
        "2. **VPN drops every hour** — Solved with KB article `vpn-drops-every-hour`, 2 tickets, 0 open\n"
        "   - Task: Remove the cause behind KB article vpn-drops-every-hour, or automate its fix\n"
        "   - Tickets: SUP-4, SUP-5\n"
        "   - Customers: acme, globex\n"
        "   - Seen: 2026-10-06 … 2026-10-07\n"
    )
    assert cli("backlog", "--since", "2026-12-01").stdout.endswith("No recurring problems found.\n")
    r = cli("backlog", "--format", "html")
    assert r.exit_code == 2
    assert r.stderr == "supportctl: error: unknown --format 'html': expected md or json\n"
    assert cli("backlog", "--since", "yesterday").exit_code == 2


def test_devtask_content(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("devtask", "SUP-1", "--now", "2026-10-02T12:00:00+03:00")
    assert r.exit_code == 0, r.output
    md = r.stdout
    assert md.startswith(
        "# SUP-1: Checkout returns 500 after release\n\n## Summary\n\n"
        "Incident from ACME LLC, priority **high**, now on L3 (new).\n"
    )
    assert "> Escalated L1 → L3: needs a code fix" in md
    impact = md.split("## Impact and affected customers\n\n")[1].split("\n## ")[0]
    assert impact == (
        "3 tickets report this problem (3 still open), from 2 customers:\n\n"
        "- ACME LLC (`acme`): SUP-1, SUP-3\n- Globex (`globex`): SUP-2\n"
    )
    assert (
        "## Steps to reproduce\n\n> 1. Add an item\n> 2. Pay by card\n\n> Since the release customers cannot pay.\n"
        in md
    )
    assert "- **Expected:** the order is placed\n- **Actual:** HTTP 500 on the payment step\n" in md
    workaround = md.split("## Workaround applied\n\n")[1].split("\n## ")[0]
    assert "(reply to customer):\n\n  > We are on it; pickup orders still work." in workaround
    assert "(internal note):\n\n  > Migration 42 did not run" in workaround
    assert "Escalated" not in workaround
    assert "| SUP-2 | duplicate of this | new | globex | Checkout fails with error 500 |" in md
    assert "| SUP-3 | duplicate of this | new | acme | Error 500 at checkout again |" in md
    # 16 business hours from Thu 1 Oct 10:00 (09-13, 14-18 Moscow): 7 h + 8 h + 1 h.
    assert "Deadline: **2026-10-05T10:00:00+03:00**." in md
    assert "Resolution clock: **running**" in md


def test_devtask_of_a_duplicate_names_the_original(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    md = cli("devtask", "SUP-3", "--now", NOW).stdout
    assert "| SUP-1 | original report (this duplicates it) | new | acme |" in md
    assert "- **Expected:** _not stated in the ticket; confirm with support_" in md
    assert "- **Actual:** Error 500 at checkout again" in md


def test_devtask_output_file_env_now_and_template_override(desk: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "task.md"
    r = cli("devtask", "SUP-4", "-o", str(target), env={"SUPPORTCTL_NOW": NOW})
    assert r.exit_code == 0
    assert r.stdout == ""
    assert r.stderr == f"supportctl: wrote {target}\n"
    text = target.read_text(encoding="utf-8")
    assert "| KB article | `vpn-drops-every-hour` VPN drops every hour |" in text
    assert "Resolution clock: **met**" in text
    assert "Stopped at 2026-10-06T10:00:00+03:00" in text
    (desk / "templates").mkdir()
    (desk / "templates" / "devtask.md.j2").write_text(
        "Task {{ t.ticket.id }} for {{ t.ticket.customer_name }}\n", encoding="utf-8"
    )
    git(desk, "add", "templates")
    git(desk, "commit", "-qm", "Our own developer task template")
    assert cli("devtask", "SUP-4", "--now", NOW).stdout == "Task SUP-4 for Globex\n"
    assert cli("devtask", "SUP-99", "--now", NOW).exit_code == 5


def test_commands_have_help_with_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    for name in ("similar", "backlog", "devtask"):
        r = cli(name, "--help")
        assert r.exit_code == 0
        assert f"Example: supportctl {name}" in " ".join(r.stdout.split())
