"""Open clocks ordered by urgency. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from supportctl.sla.engine import Clock, TicketSla


def open_clocks(
    tickets: Iterable[TicketSla],
    now: datetime,
    *,
    customer: str | None = None,
    at_risk: bool = False,
    breached: bool = False,
) -> list[tuple[TicketSla, Clock, float]]:
    """(ticket, clock, business seconds left) for running/paused clocks of open tickets.

    `at_risk` keeps running clocks at or past the warning share and not yet breached,
    `breached` the breached ones; both keep either kind.

    Breached clocks come first (most overdue first), then by time left to the due instant;
    paused clocks (waiting on the customer: no due instant) come last.
    """
    rows = []
    for t in tickets:
        if t.attrs.get("status") in ("resolved", "closed") or (
            customer and t.attrs.get("customer") != customer
        ):
            continue
        for c in t.clocks.values():
            if c.stopped is not None or c.target_seconds is None:
                continue
            # at risk and breached are apart (an at-risk clock is not yet breached); with
            # both flags, both kinds are listed
            if (at_risk or breached) and not (
                (at_risk and c.at_risk and c.state == "running")
                or (breached and c.state == "breached")
            ):
                continue
            rows.append((t, c, c.target_seconds - c.elapsed_seconds))
    rows.sort(
        key=lambda r: (
            r[1].state != "breached",
            r[1].due is None,
            (r[1].due or now).timestamp(),
            r[0].ticket,
            r[1].metric,
        )
    )
    return rows
