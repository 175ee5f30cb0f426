"""`supportctl sla show|status|check|explain`: the SLA questions a desk answers.

Each takes the read side of a desk and the instant to answer for (`now` is given, never
read here), and returns what the command prints, in the desk's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from supportctl.domain.errors import UsageError
from supportctl.domain.ids import normalize_id
from supportctl.domain.periods import resolve_period
from supportctl.sla.compliance import compliance
from supportctl.sla.engine import timeline
from supportctl.sla.status import open_clocks
from supportctl.storage.availability import desk_availability
from supportctl.storage.clocks import desk_sla, make_policy, ticket_sla

if TYPE_CHECKING:
    from supportctl.domain.periods import Period
    from supportctl.sla.availability import ServiceAvailability
    from supportctl.sla.compliance import Compliance
    from supportctl.sla.engine import Clock, TicketSla, TimelineRow
    from supportctl.storage.desk import DeskReader


@dataclass(frozen=True)
class TicketClocks:
    """`sla show`: one ticket's clocks, and which rule set the targets of which metrics."""

    ticket: TicketSla
    now: datetime
    zone: ZoneInfo
    # rule -> its metrics, in clock order: after a priority change the clocks may answer to
    # different rules (each clock's is the one in force at its stop, or now)
    rules: dict[str, list[str]]


@dataclass(frozen=True)
class OpenClocks:
    """`sla status`: (ticket, clock, business seconds left), most urgent first."""

    rows: list[tuple[TicketSla, Clock, float]]
    zone: ZoneInfo


@dataclass(frozen=True)
class ComplianceCheck:
    """`sla check`: compliance in a period, and whether it fell below the minimum."""

    period: Period
    customer: str | None
    result: Compliance
    minimum: float | None
    below: bool


@dataclass(frozen=True)
class Explanation:
    """`sla explain`: a ticket's events with the business time counted between them."""

    ticket: TicketSla
    rows: list[TimelineRow]
    now: datetime
    zone: ZoneInfo
    backdate_tolerance: int


def _zone(desk: DeskReader) -> ZoneInfo:
    return ZoneInfo(desk.config.timezone)


def _check_customer(desk: DeskReader, customer: str | None) -> None:
    if customer:
        desk.config.customer(customer)  # an unknown customer is an error, not an empty answer


def show(desk: DeskReader, ticket_id: str, now: datetime) -> TicketClocks:
    ticket, _ = ticket_sla(desk, normalize_id(ticket_id, desk.config.id_prefix), now)
    rules: dict[str, list[str]] = {}
    for c in ticket.clocks.values():
        if c.rule:
            rules.setdefault(c.rule, []).append(c.metric)
    return TicketClocks(ticket, now, _zone(desk), rules)


def status(
    desk: DeskReader,
    now: datetime,
    *,
    customer: str | None = None,
    at_risk: bool = False,
    breached: bool = False,
) -> OpenClocks:
    _check_customer(desk, customer)
    # a ticket open at `now` has a clock that had not stopped for good by then
    evaluated = desk_sla(desk, now, period=(now, datetime.max.replace(tzinfo=UTC)))
    rows = open_clocks(
        evaluated.tickets.values(), now, customer=customer, at_risk=at_risk, breached=breached
    )
    return OpenClocks(rows, _zone(desk))


def check(
    desk: DeskReader,
    now: datetime,
    *,
    month: str | None = None,
    since: str | None = None,
    until: str | None = None,
    customer: str | None = None,
    minimum: float | None = None,
) -> ComplianceCheck:
    _check_customer(desk, customer)
    if minimum is not None and not 0 <= minimum <= 100:
        raise UsageError("--min must be between 0 and 100")
    period = resolve_period(month, since, until, now, desk.config.timezone)
    evaluated = desk_sla(desk, min(now, period.until), period=(period.since, period.until))
    tickets = [
        t for t in evaluated.tickets.values() if not customer or t.attrs.get("customer") == customer
    ]
    result = compliance(tickets, period.since, period.until)
    percent = result.overall.percent
    below = minimum is not None and percent is not None and percent < minimum
    return ComplianceCheck(period, customer, result, minimum, below)


def explain(desk: DeskReader, ticket_id: str, now: datetime) -> Explanation:
    ticket, events = ticket_sla(desk, normalize_id(ticket_id, desk.config.id_prefix), now)
    rows = timeline(events, make_policy(desk.config), now)
    return Explanation(ticket, rows, now, _zone(desk), desk.config.backdate_tolerance)


@dataclass(frozen=True)
class AvailabilityCheck:
    """`sla availability`: per customer, its services' availability in the period."""

    period: Period
    customer: str | None
    customers: dict[str, list[ServiceAvailability]]
    zone: ZoneInfo
    measured_until: datetime  # the end of the period, or `now` while it runs


def availability(
    desk: DeskReader,
    now: datetime,
    *,
    month: str | None = None,
    since: str | None = None,
    until: str | None = None,
    customer: str | None = None,
) -> AvailabilityCheck:
    _check_customer(desk, customer)
    if customer and desk.config.availability(customer) is None:
        raise UsageError(f"customer {customer} has no availability target (see README)")
    period = resolve_period(month, since, until, now, desk.config.timezone)
    found = desk_availability(desk, period, now, [customer] if customer else None)
    measured = min(period.until, max(now, period.since))
    return AvailabilityCheck(period, customer, found, _zone(desk), measured)
