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
    TicketView,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supportctl.storage.desk import Desk

SORT_KEYS = ("id", "created", "priority", "status", "customer", "title", "line", "assignee")
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

    def match(self, t: dict[str, Any]) -> bool:
        if self.open_only and t.get("status") in ("resolved", "closed"):
            return False
        for name in ("status", "customer", "assignee", "line", "priority", "type"):
            wanted = getattr(self, name)
            if wanted and str(t.get(name) or "") not in wanted:
                return False
        tags = t.get("tags") or []
        return all(tag in tags for tag in self.tag)


def summary(t: dict[str, Any]) -> dict[str, Any]:
    return {k: t.get(k) if k != "tags" else list(t.get("tags") or []) for k in LIST_FIELDS}


def list_tickets(
    repo: Desk,
    filters: Filters,
    sort: str = "id",
    reverse: bool = False,
) -> tuple[list[dict[str, Any]], list[str]]:
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
        summary(v.data) | {"uncommitted": v.path in changed}
        for v in views
        if not v.error and filters.match(v.data)
    ]
    if sort == "priority":
        order = {p: i for i, p in enumerate(PRIORITIES)}
        rows.sort(key=lambda r: order.get(str(r["priority"]), 9))
    elif sort == "status":
        order = {s: i for i, s in enumerate(STATUSES)}
        rows.sort(key=lambda r: order.get(str(r["status"]), 9))
    elif sort in ("customer", "title", "line", "assignee"):
        rows.sort(key=lambda r: text_key(str(r.get(sort) or "")))
    elif sort == "created":
        from datetime import datetime

        rows.sort(
            key=lambda r: (
                datetime.fromisoformat(str(r["created"])).timestamp() if r.get("created") else 0
            )
        )
    if reverse:
        rows.reverse()
    return rows, problems


def ticket_record(repo: Desk, ticket_id: str) -> dict[str, Any]:
    """Everything `show` prints: the ticket file's committed content (every field of a
    ticket file present, null when unset), whether the work tree differs from it
    (`uncommitted`), its worklogs and their total."""
    try:
        view: TicketView = repo.ticket(ticket_id)
    except NotFound:
        path = ticket_path(ticket_id)
        if (repo.root / path).is_file():
            raise NotFound(
                f"unknown ticket {ticket_id}: {path} is not committed yet (commit it to use it)"
            ) from None
        raise
    record = dict.fromkeys(TICKET_KEYS) | dict(view.data)
    record["path"] = view.path
    # what is shown is the committed file; say so when the work tree differs from it
    record["uncommitted"] = view.path in repo.git.uncommitted(view.path)
    problems: list[str] = []
    logs = [
        w
        for w in repo.worklogs(problems=problems)
        if w.ticket == ticket_id and not _before(w.at, view.data.get("created"))
    ]
    record["problems"] = problems  # unreadable worklog files: their time is not counted
    record["worklogs"] = [
        {"minutes": w.minutes, "on": w.on, "note": w.note, "author": w.author, "at": w.at}
        for w in logs
    ]
    record["minutes_logged"] = sum(w.minutes for w in logs)
    links = dict(record.get("links") or {})
    record["links"] = {
        "duplicate_of": links.get("duplicate_of"),
        "related": list(links.get("related") or []),
        "parent": links.get("parent"),
    }
    record["comments"] = list(record.get("comments") or [])
    record["tags"] = list(record.get("tags") or [])
    return record


def _before(logged: str, created: Any) -> bool:
    """Whether time was logged before the ticket was created: then it was logged on a deleted
    ticket that had the same ID (`log` refuses a time before creation)."""
    from datetime import datetime

    try:
        a, b = datetime.fromisoformat(logged), datetime.fromisoformat(str(created))
    except ValueError:
        return False
    return a.tzinfo is not None and b.tzinfo is not None and a < b
