"""Duplicate threads: tickets that report one failure, joined by `links.duplicate_of`.

A thread's root is the first report, the ticket its duplicates lead to. Links are
written by hand too, so a walk must end on a cycle and on a link to a ticket it may
not follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Container, Mapping

    from supportctl.domain.ticket import Ticket


def duplicate_links(tickets: Mapping[str, Ticket]) -> dict[str, str]:
    """Ticket ID -> the ID it duplicates, for the tickets that duplicate one."""
    return {tid: t.links.duplicate_of for tid, t in tickets.items() if t.links.duplicate_of}


def thread_root(
    ticket_id: str, duplicate_of: Mapping[str, str], within: Container[str] | None = None
) -> str:
    """The root of `ticket_id`'s thread: follow `duplicate_of` until a ticket that
    duplicates none, or a link back into the walk (a cycle ends at the last ticket before
    it closes). With `within`, a link to a ticket outside it is not followed (a report
    never names another customer's ticket); without, a link to a ticket that is not
    there (deleted, unreadable) ends the walk on that ID."""
    seen = {ticket_id}
    root = ticket_id
    while True:
        target = duplicate_of.get(root)
        if not target or target in seen or (within is not None and target not in within):
            return root
        seen.add(target)
        root = target
