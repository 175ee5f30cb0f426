"""`outage`: mark a ticket as an outage of one of its customer's services, correct the
interval, or withdraw the mark. One action, one commit, like every ticket action: the
availability figures read these keys (`service`, `impact: outage`, `outage`), so each
correction is in the ticket's history with its author and date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from supportctl.domain.errors import IllegalTransition, UsageError
from supportctl.domain.ticket import Outage
from supportctl.ops.tickets import ticket_action
from supportctl.storage.transaction import Change

if TYPE_CHECKING:
    from supportctl.domain.ticket import TicketFile
    from supportctl.ops.commits import ActionResult
    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Identity


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def set_outage(
    repo: Desk,
    raw_id: str,
    *,
    service: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    ongoing: bool = False,
    at: datetime | None = None,
) -> ActionResult:
    """Mark the ticket `impact: outage` of `service` from `start` to `end`, or correct
    what it says: what is not given stays as it was (`ongoing` removes the end)."""
    if ongoing and end is not None:
        raise UsageError("give --end or --ongoing, not both")
    if any(t is not None and t.tzinfo is None for t in (start, end)):
        raise UsageError("outage times must carry a time zone")
    if service is not None:
        service = service.strip()

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        customer = str(ticket.customer or "")
        terms = repo.config.availability(customer)
        new_service = service or ticket.service
        if not new_service:
            raise UsageError(f"{ticket.id}: give --service (the ticket names none)")
        if terms is None or new_service not in terms.services:
            known = ", ".join(sorted(terms.services)) if terms else "none"
            raise UsageError(
                f"{ticket.id}: customer {customer} has no availability target for service "
                f"{new_service!r} (services with a target: {known})"
            )
        was = ticket.outage if ticket.impact == "outage" else Outage()
        new_start = start or _instant(was.start)
        if new_start is None:
            raise UsageError(f"{ticket.id}: give --start (when the outage began)")
        new_end = None if ongoing else (end or _instant(was.end))
        if new_end is not None and new_end <= new_start:
            raise UsageError(
                f"{ticket.id}: the outage ends ({new_end.isoformat()}) before it starts "
                f"({new_start.isoformat()})"
            )
        zone = _zone(repo)
        start_text = new_start.astimezone(zone).isoformat()
        end_text = new_end.astimezone(zone).isoformat() if new_end is not None else None
        outage = Outage(start=start_text, end=end_text, keys=("start", "end"))
        if (
            ticket.service == new_service
            and ticket.impact == "outage"
            and (ticket.outage.start, ticket.outage.end) == (start_text, end_text)
        ):
            raise IllegalTransition(f"{ticket.id}: nothing changed")
        data.update(replace(ticket, service=new_service, impact="outage", outage=outage))
        what = "correct outage" if ticket.impact == "outage" else "outage"
        until = end_text or "ongoing"
        return Change(
            f"{what} of {new_service}: {start_text} – {until}",
            [("Service", new_service), ("Outage-Start", start_text), ("Outage-End", until)],
        )

    return ticket_action(repo, raw_id, "outage", at, fn)


def clear_outage(repo: Desk, raw_id: str, *, at: datetime | None = None) -> ActionResult:
    """Withdraw the outage mark (`impact` and `outage`); the ticket keeps its `service`."""

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        if ticket.impact != "outage" and not data.ticket.has("outage"):
            raise IllegalTransition(f"{ticket.id}: it is not marked as an outage")
        data.remove("impact", "outage")
        return Change(f"not an outage of {ticket.service or 'its service'}", [])

    return ticket_action(repo, raw_id, "outage", at, fn)


def _zone(repo: Desk) -> ZoneInfo:
    return ZoneInfo(repo.config.timezone)
