"""One ticket action, one commit: its result, its trailers, and the room a ticket file
keeps for its last moves. Shared by every channel that changes tickets (the commands in
`tickets`, the mail intake), so a change reads the same in history whichever way it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.errors import UsageError
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import TRACKED_FIELDS
from supportctl.storage.transaction import Change

if TYPE_CHECKING:
    from datetime import datetime

    from supportctl.domain.ticket import Comment, Ticket
    from supportctl.storage.desk import Desk
    from supportctl.storage.transaction import Transaction

# The last part of what a file may hold (yamlio.MAX_FILE_BYTES, the reader's cap) is kept
# for the moves that take a ticket to its end: a thread that fills up can always be
# started, resolved (with a resolution of up to 64 K characters) and closed.
CLOSING_RESERVE = 256 * 1024
# The same for the reader's node cap (yamlio.MAX_NODES): a resolve and a close add a few.
CLOSING_NODE_RESERVE = 1_000
CLOSING_ACTIONS = frozenset({"start", "resolve", "close"})


@dataclass
class ActionResult:
    ticket_id: str
    action: str
    commit: str
    subject: str
    ticket: Ticket
    extra: dict[str, Any] = field(default_factory=dict)


def field_trailers(
    before: dict[str, str | None] | None, after: dict[str, str | None]
) -> list[tuple[str, str]]:
    """`From-X`/`To-X` per changed field; a new ticket (no `before`) gets only `To-X`."""
    out = []
    for name in TRACKED_FIELDS:
        old, new = (before or {}).get(name), after.get(name)
        if before is None and name == "title":
            continue
        if (old or None) != (new or None):
            key = name.capitalize()
            if before is not None:
                out.append((f"From-{key}", str(old or "-")))
            out.append((f"To-{key}", str(new or "-")))
    return out


def snapshot(ticket: Ticket) -> dict[str, str | None]:
    return {k: ticket.value(k) for k in TRACKED_FIELDS}


def commit(
    tx: Transaction,
    ticket_id: str,
    action: str,
    change: Change,
    data: Ticket,
    before: dict[str, str | None] | None,
) -> ActionResult:
    """One ticket action's commit: `Ticket`, `Action`, `From-`/`To-` per changed field
    (`before` None: a new ticket, `To-` only) and the change's own trailers."""
    trailers = [("Ticket", ticket_id), ("Action", action)]
    trailers += field_trailers(before, snapshot(data))
    trailers += change.trailers
    subject = f"{ticket_id}: {change.subject}"
    sha = tx.commit(Change(subject, trailers, change.files))
    return ActionResult(ticket_id, action, sha, subject, data)


def check_room(ticket_id: str, path: str, action: str, content: bytes) -> None:
    """Refuse an action that would leave no room for resolving and closing the ticket."""
    limit = yamlio.MAX_FILE_BYTES - CLOSING_RESERVE
    if action in CLOSING_ACTIONS:
        return
    if len(content) <= limit:
        node_limit = yamlio.MAX_NODES - CLOSING_NODE_RESERVE
        try:
            nodes = yamlio.nodes_of(content)
            count = f"{nodes:,}"
        except yamlio.YamlProblem:
            nodes, count = yamlio.MAX_NODES + 1, f"over {yamlio.MAX_NODES:,}"
        if nodes <= node_limit:
            return
        raise UsageError(
            f"{ticket_id}: {action} would give {path} {count} YAML nodes, more than the "
            f"{node_limit:,} a ticket may reach before the room kept for resolve and close; "
            f"nothing was written (continue in a new ticket: `supportctl link NEW --related {ticket_id}`)"
        )
    raise UsageError(
        f"{ticket_id}: {action} would make {path} {len(content):,} bytes, more than the "
        f"{limit:,} a ticket may reach before the room kept for resolve and close; "
        f"nothing was written (continue in a new ticket: `supportctl link NEW --related {ticket_id}`)"
    )


def commit_action(
    tx: Transaction,
    ticket_id: str,
    action: str,
    change: Change,
    ticket: Ticket,
    before: Ticket | None,
) -> ActionResult:
    """An action another channel (mail) prepared under `tx`, committed with the same subject
    form and trailers as every ticket action (`From-`/`To-` per changed field; a new ticket,
    `before` None, gets `To-` only)."""
    return commit(
        tx, ticket_id, action, change, ticket, None if before is None else snapshot(before)
    )


CUSTOMER_MESSAGE = "customer-message"


def with_customer_message(ticket: Ticket, entry: Comment) -> tuple[Ticket, str | None]:
    """The ticket with a customer's message added, and the status it moved from: the
    customer answering a `waiting` ticket hands it back to the desk (in_progress), which
    resumes the resolution clock. Other statuses are the caller's to decide."""
    ticket = replace(ticket, comments=(*ticket.comments, entry))
    if ticket.status == "waiting":
        return replace(ticket, status="in_progress"), "waiting"
    return ticket, None


# What a customer's message does to the ticket it is for (see `customer_message_effect`).
EFFECT_ENTRY, EFFECT_REOPEN, EFFECT_NEW = "entry", "reopen", "new"
REOPEN_REASON = "the customer wrote again"


def customer_message_effect(desk: Desk, rev: str | None, ticket: Ticket, when: datetime) -> str:
    """What a customer's message at `when` does to `ticket`, whether it came by mail or
    was recorded by hand: "entry" (added; a waiting ticket goes back to in_progress),
    "reopen" (resolved at most `mail.reopen_days` ago), or "new" (closed, or resolved
    longer ago: the message opens a new ticket linked `related` to this one)."""
    if ticket.status == "closed":
        return EFFECT_NEW
    if ticket.status == "resolved":
        days = desk.config.mail.reopen_days
        return EFFECT_REOPEN if _resolved_within(desk, rev, ticket.id, when, days) else EFFECT_NEW
    return EFFECT_ENTRY


def _resolved_within(
    desk: Desk, rev: str | None, ticket_id: str | None, when: datetime, days: int
) -> bool:
    """Resolved at most `days` before `when` (the last move to resolved in history)."""
    if rev is None or not ticket_id:
        return False
    resolved_at: datetime | None = None
    for c in desk.git.log(rev, [ticket_path(ticket_id)], newest_first=True):
        trailers = {k.lower(): v for k, v in c.trailers}
        if trailers.get("to-status") == "resolved" or trailers.get("action") == "resolve":
            resolved_at = c.author_time
            break
        if resolved_at is None and not c.trailers:
            resolved_at = c.author_time  # a hand edit: the latest change is the best guess
    if resolved_at is None:
        return False
    return when - resolved_at <= timedelta(days=days)
