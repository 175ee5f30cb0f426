"""supportctl/domain/thread.py: duplicate threads, without git."""

from __future__ import annotations

from typing import Any

from supportctl.domain.thread import duplicate_links, thread_root
from supportctl.domain.ticket import Ticket


def test_duplicate_links_reads_only_tickets_that_duplicate_one() -> None:
    plain: dict[str, dict[str, Any]] = {
        "SUP-1": {"links": {"related": ["SUP-2"]}},
        "SUP-2": {"links": {"duplicate_of": "SUP-1"}},
        "SUP-3": {"links": None},
        "SUP-4": {},
        "SUP-5": {"links": {"duplicate_of": ""}},
    }
    tickets = {tid: Ticket.from_plain({"id": tid, **data}) for tid, data in plain.items()}
    assert duplicate_links(tickets) == {"SUP-2": "SUP-1"}


def test_root_follows_the_chain() -> None:
    links = {"SUP-3": "SUP-2", "SUP-2": "SUP-1"}
    assert thread_root("SUP-3", links) == "SUP-1"
    assert thread_root("SUP-1", links) == "SUP-1"


def test_a_cycle_ends_the_walk() -> None:
    links = {"SUP-1": "SUP-2", "SUP-2": "SUP-3", "SUP-3": "SUP-1"}
    assert thread_root("SUP-1", links) == "SUP-3"
    assert thread_root("SUP-2", links) == "SUP-1"
    assert thread_root("SUP-4", {"SUP-4": "SUP-4"}) == "SUP-4"


def test_without_within_a_missing_ticket_is_the_root() -> None:
    # the backlog and devtask group duplicates of a deleted or unreadable ticket under it
    links = {"SUP-3": "SUP-2", "SUP-2": "SUP-9"}
    assert thread_root("SUP-3", links) == "SUP-9"


def test_within_stops_at_a_ticket_outside() -> None:
    # the report walks only its own section: another customer's ticket is never named
    links = {"SUP-3": "SUP-2", "SUP-2": "SUP-9"}
    assert thread_root("SUP-3", links, within={"SUP-2", "SUP-3"}) == "SUP-2"
    assert thread_root("SUP-3", links, within={"SUP-3"}) == "SUP-3"
