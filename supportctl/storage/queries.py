"""Read-only questions about tickets: filtered lists and one ticket's full record."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import NotFound, UsageError
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import (
    PRIORITIES,
    STATUSES,
    TICKET_KEYS,
    TYPES,
    Ticket,
    TicketView,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from supportctl.storage.desk import Desk, Worklog

# The fields of a listing, in the order its JSON rows have them.
LIST_FIELDS = (
    "id",
    "title",
    "customer",
    "status",
    "line",
    "priority",
    "type",
    "assignee",
    "class",
    "channel",
    "tags",
    "created",
)


def text_key(text: str) -> str:
    """Case- and ё/е-insensitive sort key that keeps Cyrillic in alphabetical order."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return folded.replace("ё", "е\uffff").replace("ї", "і\uffff").replace("є", "е\ufffe")


@dataclass(frozen=True)
class Filters:
    status: Sequence[str] = ()
    customer: Sequence[str] = ()
    assignee: Sequence[str] = ()
    line: Sequence[str] = ()
    priority: Sequence[str] = ()
    type: Sequence[str] = ()
    tag: Sequence[str] = ()
    open_only: bool = False

    def __post_init__(self) -> None:
        # Stored values are canonical (lowercase tags, vocab words, L-lines); accept any case.
        for name, vocab in (("status", STATUSES), ("priority", PRIORITIES), ("type", TYPES)):
            values = tuple(v.strip().lower().replace("-", "_") for v in getattr(self, name))
            unknown = [v for v in values if v not in vocab]
            if unknown:
                raise UsageError(
                    f"unknown --{name} {unknown[0]!r}: expected one of {', '.join(vocab)}"
                )
            object.__setattr__(self, name, values)
        object.__setattr__(self, "tag", tuple(t.strip().lower() for t in self.tag))
        object.__setattr__(self, "line", tuple(x.strip().upper() for x in self.line))

    def match(self, t: Ticket) -> bool:
        if self.open_only and t.status in ("resolved", "closed"):
            return False
        for wanted, value in (
            (self.status, t.status),
            (self.customer, t.customer),
            (self.assignee, t.assignee),
            (self.line, t.line),
            (self.priority, t.priority),
            (self.type, t.type),
        ):
            if wanted and (value or "") not in wanted:
                return False
        return all(tag in t.tags for tag in self.tag)


@dataclass(frozen=True)
class Listed:
    """One row of a listing: the committed ticket, and whether the work tree differs."""

    ticket: Ticket
    uncommitted: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON row: the listed fields as the file holds them."""
        plain = self.ticket.to_plain()
        row = {k: plain.get(k) for k in LIST_FIELDS}
        row["tags"] = list(plain.get("tags") or [])
        return row | {"uncommitted": self.uncommitted}


def _created(t: Ticket) -> float:
    from datetime import datetime

    return datetime.fromisoformat(t.created).timestamp() if t.created else 0


# Sort key -> how a ticket sorts by it; "id" is the order tickets come in.
_ORDER: dict[str, Callable[[Ticket], Any]] = {
    "created": _created,
    "priority": lambda t: PRIORITIES.index(t.priority) if t.priority in PRIORITIES else 9,
    "status": lambda t: STATUSES.index(t.status) if t.status in STATUSES else 9,
    "customer": lambda t: text_key(t.customer or ""),
    "title": lambda t: text_key(t.title or ""),
    "line": lambda t: text_key(t.line or ""),
    "assignee": lambda t: text_key(t.assignee or ""),
}
SORT_KEYS = ("id", *_ORDER)


def list_tickets(
    repo: Desk,
    filters: Filters,
    sort: str = "id",
    reverse: bool = False,
) -> tuple[list[Listed], list[str]]:
    """Matching tickets as summaries (committed state; `uncommitted` when the work tree
    differs), plus one problem line per unreadable or not yet committed file."""
    if sort not in SORT_KEYS:
        raise UsageError(f"unknown sort key {sort!r}: expected one of {', '.join(SORT_KEYS)}")
    views = repo.tickets(fields=LIST_FIELDS)
    problems = [v.error for v in views if v.error]
    # The listing is the committed state (HEAD), as everything else supportctl computes;
    # a file with hand edits not yet committed is flagged, a new one not yet committed named.
    changed = repo.git.uncommitted("data/tickets")
    listed = {v.path for v in views}
    problems += [
        f"{path}: not committed yet (commit it to list it)"
        for path in sorted(changed)
        if path.endswith(".yaml") and path not in listed and (repo.root / path).is_file()
    ]
    rows = [
        Listed(v.ticket, v.path in changed)
        for v in views
        if not v.error and filters.match(v.ticket)
    ]
    order = _ORDER.get(sort)
    if order is not None:
        rows.sort(key=lambda r: order(r.ticket))
    if reverse:
        rows.reverse()
    return rows, problems


@dataclass(frozen=True)
class TicketRecord:
    """Everything `show` prints about one ticket."""

    ticket: Ticket  # the committed file
    path: str
    uncommitted: bool  # the work tree's file differs from it
    problems: list[str]  # unreadable worklog files: their time is not counted
    worklogs: list[Worklog]

    @property
    def minutes_logged(self) -> int:
        return sum(w.minutes for w in self.worklogs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: every field of a ticket file (null when unset) and the file's
        own keys, then the facts above."""
        plain = self.ticket.to_plain()
        record = dict.fromkeys(TICKET_KEYS) | plain
        record["path"] = self.path
        record["uncommitted"] = self.uncommitted
        record["problems"] = self.problems
        record["worklogs"] = [
            {"minutes": w.minutes, "on": w.on, "note": w.note, "author": w.author, "at": w.at}
            for w in self.worklogs
        ]
        record["minutes_logged"] = self.minutes_logged
        links = self.ticket.links
        record["links"] = {
            "duplicate_of": links.duplicate_of,
            "related": list(links.related),
            "parent": links.parent,
        }
        record["comments"] = list(plain.get("comments") or [])
        record["tags"] = list(plain.get("tags") or [])
        for key in ("cc", "aliases", "message_ids"):
            record[key] = list(plain.get(key) or [])
        return record


def ticket_record(repo: Desk, ticket_id: str) -> TicketRecord:
    """The ticket file's committed content, whether the work tree differs from it, its
    worklogs and their total."""
    try:
        view: TicketView = repo.ticket(ticket_id)
    except NotFound:
        path = ticket_path(ticket_id)
        if (repo.root / path).is_file():
            raise NotFound(
                f"unknown ticket {ticket_id}: {path} is not committed yet (commit it to use it)"
            ) from None
        raise
    # what is shown is the committed file; say so when the work tree differs from it
    uncommitted = view.path in repo.git.uncommitted(view.path)
    problems: list[str] = []
    logs = [
        w
        for w in repo.ticket_worklogs(ticket_id, problems=problems)
        if not _before(w.at, view.ticket.created)
    ]
    return TicketRecord(view.ticket, view.path, uncommitted, problems, logs)


def _before(logged: str, created: str | None) -> bool:
    """Whether time was logged before the ticket was created: then it was logged on a deleted
    ticket that had the same ID (`log` refuses a time before creation)."""
    from datetime import datetime

    try:
        a, b = datetime.fromisoformat(logged), datetime.fromisoformat(str(created))
    except ValueError:
        return False
    return a.tzinfo is not None and b.tzinfo is not None and a < b
