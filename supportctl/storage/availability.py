"""The availability of a desk's customers in a period, from the tickets at the tip.

Which tickets say a service was down, and when, is read from the committed tip, not from
the history as of the period's end: an outage corrected after the month (its end was
wrong, it belonged to another service or customer) changes that month's figure when the
figure is asked for again, and the correction is a commit of its own, with its author and
date, in the ticket's history. A report of a past month is recomputed from the tip as
before, so it shows the corrected figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportctl.sla.availability import service_availability, ticket_outages
from supportctl.storage.queries import text_key

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from supportctl.domain.periods import Period
    from supportctl.domain.ticket import Ticket
    from supportctl.sla.availability import ServiceAvailability
    from supportctl.storage.desk import DeskReader

# what deciding a ticket's part in the downtime takes
FIELDS = ("id", "customer", "service", "impact", "outage", "alert")


def desk_availability(
    desk: DeskReader,
    period: Period,
    now: datetime,
    customers: Sequence[str] | None = None,
) -> dict[str, list[ServiceAvailability]]:
    """customer -> its services' availability in `period` as of `now` (the window ends at
    the earlier of the two), for `customers` (default: every customer), those with an
    availability target only, in key order; services in name order."""
    config = desk.config
    keys = sorted(config.customers if customers is None else customers, key=text_key)
    terms = {k: a for k in keys if (a := config.availability(k)) is not None}
    if not terms:
        return {}
    views = desk.tickets(fields=FIELDS)
    by_service: dict[tuple[str, str], list[str]] = {}
    tickets: dict[str, Ticket] = {}
    for v in views:  # an unreadable file names no service; `validate` reports it
        t = v.ticket
        if v.error or not t.service or t.customer not in terms:
            continue
        tickets[v.id] = t
        by_service.setdefault((str(t.customer), t.service), []).append(v.id)
    since, until = period.since, min(period.until, max(now, period.since))
    out: dict[str, list[ServiceAvailability]] = {}
    for key, term in terms.items():
        calendar = config.calendar(term.calendar)
        rows = []
        for service in sorted(term.services, key=text_key):
            outages = [
                o
                for tid in by_service.get((key, service), ())
                for o in ticket_outages(tickets[tid], term.severities)
            ]
            rows.append(
                service_availability(
                    key, service, term.services[service], outages, calendar, since, until
                )
            )
        out[key] = rows
    return out
