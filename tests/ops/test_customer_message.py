"""A customer's message recorded by hand (`comment --from-customer`): neither a reply nor a
note; it hands a waiting ticket back to the desk in the same commit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import UsageError
from supportctl.domain.ids import ticket_path
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
    # a resolved ticket follows the mail's rule: within mail.reopen_days it reopens
    r = actions.comment(repo, tid, "thanks!", from_customer=True)
    assert (r.action, r.ticket.status) == ("reopen", "in_progress")
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


def _at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)


def test_on_a_recently_resolved_ticket_it_reopens(
    repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = new(repo)
    actions.resolve(repo, tid, resolution="restarted")
    _at(monkeypatch, "2026-10-19T10:00:00+03:00")  # within the default 14 days
    r = actions.comment(Desk(repo.root), tid, "It is down again", from_customer=True)
    assert (r.ticket_id, r.action, r.ticket.status) == (tid, "reopen", "in_progress")
    assert r.ticket.comments[-1].kind == "customer"
    assert trailers(repo.root) == [
        ("Ticket", tid),
        ("Action", "reopen"),
        ("From-Status", "resolved"),
        ("To-Status", "in_progress"),
        ("Reason", "the customer wrote again"),
    ]


def test_on_a_long_resolved_ticket_it_opens_a_new_linked_one(
    repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = new(repo)
    actions.resolve(repo, tid, resolution="restarted")
    before = (repo.root / ticket_path(tid)).read_bytes()
    _at(monkeypatch, "2026-11-30T10:00:00+03:00")  # long past 14 days
    r = actions.comment(Desk(repo.root), tid, "It is down again", from_customer=True)
    assert (r.ticket_id, r.action) == ("SUP-2", "new")
    assert (r.ticket.status, r.ticket.customer, r.ticket.title) == ("new", "acme", "VPN down")
    assert (r.ticket.description, r.ticket.links.related) == ("It is down again", (tid,))
    assert (repo.root / ticket_path(tid)).read_bytes() == before
    assert ("Link", f"related {tid}") in trailers(repo.root)


def test_on_a_closed_ticket_it_opens_a_new_linked_one(repo: Desk) -> None:
    tid = new(repo)
    actions.resolve(repo, tid, resolution="restarted")
    actions.close(Desk(repo.root), tid)
    r = actions.comment(Desk(repo.root), tid, "One more thing", from_customer=True)
    assert (r.ticket_id, r.action, r.ticket.links.related) == ("SUP-2", "new", (tid,))
    assert r.subject == f"SUP-2: new incident for acme (after {tid}, closed): VPN down"
    assert Desk(repo.root).load_ticket_file(tid)[1].ticket.status == "closed"
