"""De-escalation and the lead's bulk actions: `close --resolved-before`, `close ID ID`,
`assign ID ID --to A`, on real repos."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import git, head, ok, run_at, trailers

if TYPE_CHECKING:
    from pathlib import Path

T0 = "2026-10-05T10:00:00+03:00"


def _new(cli: Any, title: str, customer: str = "acme", when: str = T0) -> str:
    r = run_at(cli, when, "new", title, "-c", customer, "-t", "incident", "-p", "normal")
    return r.stdout.strip()


def _resolved(cli: Any, title: str, when: str, customer: str = "acme") -> str:
    tid = _new(cli, title, customer)
    run_at(cli, when, "resolve", tid, "-r", "done")
    return tid


def _count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


# -- deescalate -----------------------------------------------------------------------
def test_deescalate_moves_down_with_a_reason_in_one_commit(support_repo: Path, cli: Any) -> None:
    tid = _new(cli, "VPN drops")
    ok(cli("escalate", tid, "--to", "L3", "-r", "needs the network team"))
    before = _count(support_repo)
    r = ok(cli("deescalate", tid, "--to", "l1", "--reason", "workaround given", "--json"))
    data = json.loads(r.stdout)
    assert data["action"] == "deescalate"
    assert data["ticket"]["line"] == "L1"
    assert _count(support_repo) == before + 1
    assert trailers(support_repo) == [
        ("Ticket", tid),
        ("Action", "deescalate"),
        ("From-Line", "L3"),
        ("To-Line", "L1"),
        ("Reason", "workaround given"),
    ]
    note = data["ticket"]["comments"][-1]
    assert note["text"] == "De-escalated L3 → L1: workaround given"
    assert note["visibility"] == "internal"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--to", "L2", "-r", "x"], 6, "cannot de-escalate SUP-1 from L2 to L2"),
        (["--to", "L3", "-r", "x"], 6, "cannot de-escalate SUP-1 from L2 to L3"),
        (["--to", "L9", "-r", "x"], 2, "unknown line 'L9': expected one of L1, L2, L3, L4"),
        (["--to", "L1", "-r", "  "], 2, "deescalate needs --reason"),
    ],
)
def test_deescalate_refusals(
    support_repo: Path, cli: Any, args: list[str], code: int, message: str
) -> None:
    tid = _new(cli, "VPN drops")
    ok(cli("escalate", tid, "-r", "needs L2"))
    before = head(support_repo)
    r = cli("deescalate", tid, *args)
    assert r.exit_code == code
    assert r.stderr == f"supportctl: error: {message}\n"
    assert head(support_repo) == before


def test_escalate_still_refuses_a_lower_line(support_repo: Path, cli: Any) -> None:
    tid = _new(cli, "VPN drops")
    ok(cli("escalate", tid, "-r", "needs L2"))
    r = cli("escalate", tid, "--to", "L1", "-r", "back")
    assert r.exit_code == 6
    assert r.stderr == f"supportctl: error: cannot escalate {tid} from L2 to L1\n"


def test_a_deescalation_is_not_counted_as_an_escalation_in_the_report(
    support_repo: Path, cli: Any
) -> None:
    tid = _new(cli, "VPN drops")
    run_at(cli, "2026-10-05T11:00:00+03:00", "escalate", tid, "-r", "needs L2")
    run_at(cli, "2026-10-05T12:00:00+03:00", "deescalate", tid, "--to", "L1", "-r", "back")
    # the reasons are internal: a customer's own report leaves them out
    r = ok(
        cli(
            "report", "--month", "2026-10", "--customer", "acme", "--format", "json",
            "--audience", "internal",
        )
    )  # fmt: skip
    escalations = json.loads(r.stdout)["breakdown"]["escalations"]
    assert escalations["by_line"] == {"L1 → L2": 1}
    assert escalations["by_reason"] == [{"reason": "needs L2", "count": 1}]


# -- close in bulk --------------------------------------------------------------------
@pytest.fixture
def resolved_desk(support_repo: Path, cli: Any) -> dict[str, str]:
    """Resolved on 30 Oct and 1 Nov (Moscow time) for acme, 29 Oct for globex, one open."""
    return {
        "oct30": _resolved(cli, "Printer jams", "2026-10-30T18:00:00+03:00"),
        # 00:30 Moscow on 1 Nov is still 31 Oct in UTC: the desk's day decides
        "nov1": _resolved(cli, "Mail bounces", "2026-11-01T00:30:00+03:00"),
        "globex": _resolved(cli, "VPN slow", "2026-10-29T12:00:00+03:00", "globex"),
        "open": _new(cli, "Still open"),
    }


def test_close_resolved_before_closes_each_in_its_own_commit(
    support_repo: Path, cli: Any, resolved_desk: dict[str, str]
) -> None:
    before = _count(support_repo)
    r = ok(cli("close", "--resolved-before", "2026-11-01", "--yes"))
    closed = sorted([resolved_desk["oct30"], resolved_desk["globex"]])
    assert r.stdout.splitlines() == [f"{t}: close" for t in closed]
    assert r.stderr == "supportctl: close: 2 of 2 ticket(s) changed\n"
    assert _count(support_repo) == before + 2
    status = {t["id"]: t["status"] for t in json.loads(ok(cli("list", "--json")).stdout)}
    assert status[resolved_desk["nov1"]] == "resolved"
    assert status[resolved_desk["open"]] == "new"
    assert {status[t] for t in closed} == {"closed"}


def test_close_resolved_before_for_one_customer(cli: Any, resolved_desk: dict[str, str]) -> None:
    r = ok(cli("close", "--resolved-before", "2026-11-02", "-c", "globex", "--yes", "--json"))
    data = json.loads(r.stdout)
    assert [d["id"] for d in data["done"]] == [resolved_desk["globex"]]
    assert data["failed"] == []


def test_bulk_refused_without_yes_when_not_at_a_terminal(
    support_repo: Path, cli: Any, resolved_desk: dict[str, str]
) -> None:
    before = head(support_repo)
    r = cli("close", "--resolved-before", "2026-11-01")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: close would change 2 ticket(s); not at a terminal, so give --yes\n"
    )
    assert head(support_repo) == before


def test_nothing_to_close(cli: Any, resolved_desk: dict[str, str]) -> None:
    r = ok(cli("close", "--resolved-before", "2026-10-01"))
    assert r.stdout == ""
    assert r.stderr == "supportctl: nothing to close\n"


def test_close_several_ids_keeps_going_past_a_failure(
    support_repo: Path, cli: Any, resolved_desk: dict[str, str]
) -> None:
    ids = [resolved_desk["oct30"], resolved_desk["open"], resolved_desk["nov1"]]
    before = _count(support_repo)
    r = cli("close", *ids, "--yes")
    assert r.exit_code == 6  # the failure's own exit code
    assert r.stdout.splitlines() == [f"{ids[0]}: close", f"{ids[2]}: close"]
    assert r.stderr.splitlines() == [
        f"supportctl: error: {ids[1]}: cannot close {ids[1]}: it is new (resolve it first)",
        "supportctl: close: 2 of 3 ticket(s) changed, 1 failed",
    ]
    assert _count(support_repo) == before + 2


def test_one_ticket_named_twice_is_closed_and_counted_once(
    support_repo: Path, cli: Any, resolved_desk: dict[str, str]
) -> None:
    tid = resolved_desk["oct30"]
    before = _count(support_repo)
    r = ok(cli("close", tid, tid.lower(), resolved_desk["nov1"], "--yes"))
    assert r.stdout.splitlines() == [f"{tid}: close", f"{resolved_desk['nov1']}: close"]
    assert r.stderr == "supportctl: close: 2 of 2 ticket(s) changed\n"
    assert _count(support_repo) == before + 2


def test_close_single_id_form_is_unchanged(cli: Any, resolved_desk: dict[str, str]) -> None:
    r = ok(cli("close", resolved_desk["oct30"]))
    assert r.stdout == f"{resolved_desk['oct30']}: close\n"
    assert r.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the ticket ID, or --resolved-before DAY"),
        (
            ["SUP-1", "--resolved-before", "2026-11-01"],
            "give ticket IDs or --resolved-before, not both",
        ),
        (["SUP-1", "-c", "acme"], "--customer goes with --resolved-before"),
        (
            ["--resolved-before", "1.11.2026"],
            "bad --resolved-before '1.11.2026': expected a date like 2026-10-05",
        ),
    ],
)
def test_close_usage_errors(support_repo: Path, cli: Any, args: list[str], message: str) -> None:
    r = cli("close", *args)
    assert r.exit_code == 2
    assert r.stderr == f"supportctl: error: {message}\n"


# -- assign in bulk -------------------------------------------------------------------
def test_assign_several_to_one_agent(support_repo: Path, cli: Any) -> None:
    ids = [_new(cli, f"Request {n}") for n in range(3)]
    ok(cli("assign", ids[1], "boris"))
    before = _count(support_repo)
    r = cli("assign", *ids, "--to", "boris", "--yes")
    assert r.exit_code == 6
    assert r.stdout.splitlines() == [f"{ids[0]}: assign to boris", f"{ids[2]}: assign to boris"]
    assert r.stderr.splitlines() == [
        f"supportctl: error: {ids[1]}: {ids[1]} is already assigned to boris",
        "supportctl: assign: 2 of 3 ticket(s) changed, 1 failed",
    ]
    assert _count(support_repo) == before + 2
    assert trailers(support_repo)[:2] == [("Ticket", ids[2]), ("Action", "assign")]


def test_assign_bulk_checks_agent_and_tickets_before_committing(
    support_repo: Path, cli: Any
) -> None:
    ids = [_new(cli, f"Request {n}") for n in range(2)]
    before = head(support_repo)
    r = cli("assign", *ids, "--to", "zed", "--yes")
    assert r.exit_code != 0
    assert "zed" in r.stderr
    r = cli("assign", ids[0], "SUP-99", "--to", "boris", "--yes")
    assert r.exit_code == 5
    assert r.stderr == "supportctl: error: unknown ticket SUP-99\n"
    assert head(support_repo) == before


def test_assign_one_ticket_with_to_is_the_one_ticket_form(support_repo: Path, cli: Any) -> None:
    tid = _new(cli, "Request")
    before = _count(support_repo)
    r = ok(cli("assign", tid, "--to", "boris"))
    assert r.stdout == f"{tid}: assign to boris\n"
    assert r.stderr == ""
    assert _count(support_repo) == before + 1


def test_assign_several_without_to_is_refused(support_repo: Path, cli: Any) -> None:
    r = cli("assign", "SUP-1", "SUP-2", "boris")
    assert r.exit_code == 2
    assert r.stderr == "supportctl: error: to assign several tickets give --to AGENT\n"


def test_bulk_at_back_dates_every_commit(support_repo: Path, cli: Any) -> None:
    ids = [_new(cli, f"Request {n}", when="2026-10-05T08:00:00+03:00") for n in range(2)]
    ok(cli("assign", *ids, "--to", "anna", "--yes", "--at", "2026-10-05T09:00:00+03:00"))
    dates = git(support_repo, "log", "-2", "--format=%aI").split()
    assert dates == ["2026-10-05T09:00:00+03:00"] * 2
