"""KB suggestions shown when a ticket is filed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportctl.domain.ticket import Ticket
    from supportctl.storage.desk import Desk


def suggestions(repo: Desk, ticket: Ticket, limit: int = 3) -> list[dict[str, Any]]:
    """Top KB articles for the ticket's title and description: slug, title, score, snippet.

    An empty KB gives none; so does a broken KB file, which is skipped here and
    reported by `kb list` and `validate` instead of cluttering every `new`.
    """
    from supportctl.storage.catalog import suggest

    hits = suggest(repo, ticket.title or "", ticket.description or "", limit)
    return [{k: v for k, v in h.to_dict().items() if k != "tags"} for h in hits]
