"""A customer's message recorded by hand (`comment --from-customer`): neither a reply nor a
note; it hands a waiting ticket back to the desk in the same commit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import UsageError
from supportctl.ops import sla
from supportctl.ops import tickets as actions
from supportctl.storage.desk import Desk
from tests.helpers import git, head, trailers

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime.fromisoformat("2026-10-05T18:00:00+03:00")


@pytest.fixture
def repo(support_repo: Path) -> Desk:
    return Desk(support_repo)


def new(repo: Desk) -> str:
    r = actions.new_ticket(
        repo, title="VPN down", customer="acme", type="incident", priority="normal"
    )
    return r.ticket_id


def test_customer_message_on_a_waiting_ticket_resumes_it_in_one_commit(repo: Desk) -> None:
    tid = new(repo)
    actions.wait(repo, tid, reason="which VPN client?")
    before = head(repo.root)
    r = actions.comment(repo, tid, "Cisco AnyConnect 5", from_customer=True)
    assert r.action == "customer-message"
    assert git(repo.root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert r.subject == f"{tid}: customer message (waiting → in_progress): Cisco AnyConnect 5"
    assert trailers(repo.root) == [
        ("Ticket", tid),
        ("Action", "customer-message"),
        ("From-Status", "waiting"),
        ("To-Status", "in_progress"),
    ]
    t = repo.ticket(tid).ticket
    assert t.status == "in_progress"
    entry = t.comments[-1]
    assert (entry.kind, entry.text, entry.from_customer) == ("customer", "Cisco AnyConnect 5", True)
    text = (repo.root / "data/tickets/0000/SUP-1.yaml").read_text(encoding="utf-8")
    assert "    from_customer: true\n" in text
    assert "visibility" not in text.split("from_customer")[1]


def test_customer_message_is_no_first_response(repo: Desk) -> None:
    tid = new(repo)
    actions.comment(repo, tid, "any news?", from_customer=True)
    clocks = sla.show(Desk(repo.root), tid, NOW).ticket.clocks
    assert clocks["first_response"].stopped is None
    actions.comment(repo, tid, "looking into it")
    clocks = sla.show(Desk(repo.root), tid, NOW).ticket.clocks
    assert clocks["first_response"].stopped is not None


def test_customer_message_by_hand_edit_is_no_first_response(repo: Desk) -> None:
    tid = new(repo)
    path = repo.root / "data/tickets/0000/SUP-1.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "comments:\n  - at: '2026-10-05T10:00:00+03:00'\n    author: ivan\n"
        "    from_customer: true\n    text: called again\n",
        encoding="utf-8",
    )
    git(repo.root, "commit", "-qam", "Note the call")
    clocks = sla.show(Desk(repo.root), tid, NOW).ticket.clocks
    assert clocks["first_response"].stopped is None


def test_other_statuses_are_left_as_they_are(repo: Desk) -> None:
    tid = new(repo)
    r = actions.comment(repo, tid, "hello", from_customer=True)
    assert r.ticket.status == "new"
    assert ("To-Status", "in_progress") not in trailers(repo.root)
    actions.resolve(repo, tid, resolution="fixed")
    r = actions.comment(repo, tid, "thanks!", from_customer=True)
    assert r.ticket.status == "resolved"
    # the author is who the desk knows the customer as
    assert r.ticket.comments[-1].author == "acme"


def test_a_customer_message_is_no_internal_note(repo: Desk) -> None:
    tid = new(repo)
    before = head(repo.root)
    with pytest.raises(UsageError, match="not an internal note"):
        actions.comment(repo, tid, "x", internal=True, from_customer=True)
    assert head(repo.root) == before


def test_cli_from_customer(support_repo: Path, cli: Any) -> None:
    assert (
        cli(
            "new", "VPN down", "--customer", "acme", "--type", "incident", "--priority", "normal"
        ).exit_code
        == 0
    )
    assert cli("wait", "SUP-1", "--reason", "which client?").exit_code == 0
    r = cli("comment", "SUP-1", "Cisco", "--from-customer", "--json")
    assert r.exit_code == 0, r.output
    assert '"action": "customer-message"' in r.stdout
    shown = cli("show", "SUP-1")
    assert "status:    in_progress" in shown.stdout
    assert "(customer)\nCisco" in shown.stdout
    r = cli("comment", "SUP-1", "x", "--from-customer", "--internal")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: a customer message is not an internal note: give one of the two\n"
    )
