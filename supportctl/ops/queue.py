"""`supportctl queue`: the open tickets in the order they need work, by SLA deadline.

The clocks are those of `sla status` (the same evaluation of the same history). A
ticket's place is decided by its most urgent clock: breached clocks first (the longest
overdue first), then clocks at risk, then the other running ones, each by due instant;
then tickets whose clocks are all paused (waiting on the customer), then tickets with no
running clock at all. Due instants are compared as absolute times: two customers'
calendars may lie in different time zones, and "17:00" in one is not "17:00" in the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from supportctl.domain.errors import NotFound, UsageError
from supportctl.domain.ids import sort_key
from supportctl.domain.ticket import OPEN_STATUSES
from supportctl.storage.clocks import desk_sla

if TYPE_CHECKING:
    from supportctl.config.settings import Agent, Config
    from supportctl.domain.events import Event
    from supportctl.sla.engine import Clock, TicketSla
    from supportctl.storage.desk import Desk

# A ticket's urgency, most urgent first: the state of its most urgent clock.
URGENCIES = ("breached", "at_risk", "running", "paused", "none")


@dataclass(frozen=True)
class QueueRow:
    id: str
    title: str | None
    customer: str | None
    priority: str | None
    line: str | None
    status: str | None
    assignee: str | None
    created: datetime | None
    age_seconds: float | None
    urgency: str  # one of URGENCIES
    clock: Clock | None  # the most urgent running or paused clock
    left_seconds: float | None  # business time left on it (negative: overdue)
    zone: ZoneInfo | None  # the time zone of that clock's calendar
    last: Event | None  # the last thing that happened to the ticket


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    now: datetime
    zone: ZoneInfo  # the desk's
    agent: Agent | None  # whose queue (`--mine`, `--agent`), None: everybody's


def _urgency(c: Clock) -> str:
    if c.state == "breached":
        return "breached"
    if c.state == "running":
        return "at_risk" if c.at_risk else "running"
    return "paused"


def next_clock(t: TicketSla) -> Clock | None:
    """The ticket's most urgent clock that still runs (or waits), None when none does."""
    clocks = [c for c in t.clocks.values() if c.stopped is None and c.target_seconds is not None]
    if not clocks:
        return None
    return min(
        clocks,
        key=lambda c: (
            URGENCIES.index(_urgency(c)),
            c.due.timestamp() if c.due is not None else math.inf,
        ),
    )


def agent_of_identity(config: Config, name: str, email: str) -> Agent:
    """The configured agent that a git identity is: by e-mail, else by full name."""
    found = config.agent_for_email(email) if email else None
    if found is None and name:
        folded = name.casefold()
        found = next((a for a in config.agents.values() if a.name.casefold() == folded), None)
    if found is None:
        known = ", ".join(sorted(config.agents)) or "none are configured"
        raise UsageError(
            f"--mine: your git identity {name} <{email}> is no agent in supportctl.yaml "
            f"(agents: {known}); match its e-mail or name there, or use --agent HANDLE"
        )
    return found


def _agent(desk: Desk, mine: bool, handle: str | None) -> Agent | None:
    config = desk.config
    if mine and handle:
        raise UsageError("give --mine or --agent, not both")
    if mine:
        who = desk.git.identity()
        return agent_of_identity(config, who.name, who.email)
    if handle is None:
        return None
    if handle not in config.agents:
        known = ", ".join(sorted(config.agents)) or "none configured"
        raise NotFound(f"unknown agent {handle!r} (known: {known})")
    return config.agents[handle]


def queue(
    desk: Desk,
    now: datetime,
    *,
    mine: bool = False,
    agent: str | None = None,
    customer: str | None = None,
    line: str | None = None,
    at_risk: bool = False,
    breached: bool = False,
) -> Queue:
    """Open tickets as of `now`, most urgent first (see the module's docstring).

    `at_risk` keeps tickets whose most urgent clock is at risk and not yet breached,
    `breached` those with a breached clock; given both, both kinds."""
    config = desk.config
    who = _agent(desk, mine, agent)
    if customer:
        config.customer(customer)  # an unknown customer is an error, not an empty queue
    if line:
        line = line.strip().upper()
        if line not in config.lines:
            raise UsageError(f"unknown --line {line!r}: expected one of {', '.join(config.lines)}")
    # a ticket open at `now` has a clock that had not stopped for good by then
    evaluated = desk_sla(desk, now, period=(now, datetime.max.replace(tzinfo=UTC)))
    picked: list[tuple[TicketSla, Clock | None, str]] = []
    for t in evaluated.tickets.values():
        a = t.attrs
        if (
            a.get("status") not in OPEN_STATUSES
            or (customer and a.get("customer") != customer)
            or (who is not None and a.get("assignee") != who.handle)
            or (line and a.get("line") != line)
        ):
            continue
        clock = next_clock(t)
        urgency = _urgency(clock) if clock is not None else "none"
        if (at_risk or breached) and not (
            (at_risk and urgency == "at_risk") or (breached and urgency == "breached")
        ):
            continue
        picked.append((t, clock, urgency))
    picked.sort(
        key=lambda p: (
            URGENCIES.index(p[2]),
            p[1].due.timestamp() if p[1] is not None and p[1].due is not None else math.inf,
            sort_key(p[0].ticket),
        )
    )
    titles = {
        v.id: v.ticket.title
        for v in desk.tickets(fields=("id", "title"), among=[t.ticket for t, _, _ in picked])
    }
    rows = []
    for t, clock, urgency in picked:
        a = t.attrs
        last = next((e for e in reversed(evaluated.events.get(t.ticket, [])) if e.at <= now), None)
        zone = ZoneInfo(config.calendar(clock.calendar).timezone) if clock else None
        rows.append(
            QueueRow(
                id=t.ticket,
                title=titles.get(t.ticket),
                customer=a.get("customer"),
                priority=a.get("priority"),
                line=a.get("line"),
                status=a.get("status"),
                assignee=a.get("assignee"),
                created=t.created,
                age_seconds=(now - t.created).total_seconds() if t.created else None,
                urgency=urgency,
                clock=clock,
                left_seconds=(
                    clock.target_seconds - clock.elapsed_seconds
                    if clock is not None and clock.target_seconds is not None
                    else None
                ),
                zone=zone,
                last=last,
            )
        )
    return Queue(rows, now, ZoneInfo(config.timezone), who)
