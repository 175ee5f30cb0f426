"""`supportctl search`: ranked full-text search over the tickets at HEAD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportctl.domain.errors import UsageError
from supportctl.domain.ticket import STATUSES
from supportctl.storage.ticket_search import load_ticket_index

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supportctl.storage.desk import Desk
    from supportctl.storage.ticket_search import TicketHit


@dataclass(frozen=True)
class TicketSearch:
    hits: list[TicketHit]
    problems: list[str]  # ticket files that could not be read, so were not searched


def search_tickets(
    desk: Desk,
    query: str,
    *,
    customers: Sequence[str] = (),
    statuses: Sequence[str] = (),
    limit: int = 10,
    highlight: tuple[str, str] = ("**", "**"),
) -> TicketSearch:
    """The best `limit` tickets for `query`, among those of `customers` with `statuses`
    (all when empty). The filters are applied before ranking (see ticket_search.py)."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    wanted = tuple(s.strip().lower().replace("-", "_") for s in statuses)
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise UsageError(f"unknown --status {unknown[0]!r}: expected one of {', '.join(STATUSES)}")
    for c in customers:
        desk.config.customer(c)  # an unknown customer is an error, not an empty answer
    found = load_ticket_index(desk)
    hits = found.search(
        query, limit=limit, highlight=highlight, customers=set(customers), statuses=set(wanted)
    )
    return TicketSearch(hits, found.problems)
