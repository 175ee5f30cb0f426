"""Availability of a service in a period: the union of its outage intervals, measured in a
calendar.

Pure: tickets, the terms, a calendar, the period and `now` in; figures out. Downtime comes
from two kinds of ticket of the service (its `service:` key):

* an alert ticket: each `alert.firing` interval, when `alert.severity` is one of the
  severities that count (an interval still firing runs to the end of the period or to
  `now`, whichever comes first);
* a ticket with `impact: outage`: its `outage.start` .. `outage.end` (no end: still down).

Overlapping or touching intervals count once; what lies outside the period or outside the
calendar's open time does not count. Minutes are real elapsed minutes (a month with a
daylight-saving change has an hour more or less), of open time only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from supportctl.domain.ticket import Ticket
    from supportctl.sla.calendar import Calendar


@dataclass(frozen=True)
class Outage:
    """One interval a source says the service was down; `end` None: still down."""

    start: datetime
    end: datetime | None
    source: str  # the ticket that says so


@dataclass(frozen=True)
class Downtime:
    """Merged outage intervals, clipped to the period; `seconds` of open calendar time."""

    start: datetime
    end: datetime
    seconds: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ServiceAvailability:
    """One service of one customer in a period. `percent` is None when the calendar had
    no open time in it (nothing could be down); such a service counts as met."""

    customer: str
    service: str
    target: float
    seconds: float  # open calendar time in the period
    downtime_seconds: float
    percent: float | None  # exact; round for display
    met: bool
    intervals: tuple[Downtime, ...]

    def as_dict(self, zone: tzinfo) -> dict[str, Any]:
        """The JSON form (`sla availability --json`, the report): minutes to three
        decimals, the percent to three decimals, instants in `zone`."""
        return {
            "customer": self.customer,
            "service": self.service,
            "target": self.target,
            "minutes": minutes(self.seconds),
            "downtime_minutes": minutes(self.downtime_seconds),
            "percent": None if self.percent is None else round(self.percent, 3),
            "met": self.met,
            "intervals": [
                {
                    "start": i.start.astimezone(zone).isoformat(),
                    "end": i.end.astimezone(zone).isoformat(),
                    "minutes": minutes(i.seconds),
                    "sources": list(i.sources),
                }
                for i in self.intervals
            ],
        }


def minutes(seconds: float) -> float:
    return round(seconds / 60, 3)


def _instant(raw: object) -> datetime | None:
    """An aware instant from the ISO text a ticket holds; None for anything else."""
    if isinstance(raw, datetime):
        found = raw
    elif isinstance(raw, str) and raw.strip():
        try:
            found = datetime.fromisoformat(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return found if found.tzinfo is not None and found.utcoffset() is not None else None


def ticket_alert(ticket: Ticket) -> Mapping[str, Any] | None:
    """The ticket's `alert:` mapping as plain data, however the model holds it."""
    alert = ticket.to_plain().get("alert")
    return alert if isinstance(alert, dict) else None


def ticket_outages(ticket: Ticket, severities: Iterable[str]) -> list[Outage]:
    """What `ticket` says of its service's downtime (see the module's description).

    A malformed interval (no start, a start that is no aware ISO time, an end before its
    start) is skipped here; `validate` reports it."""
    wanted = {s.lower() for s in severities}
    found: list[tuple[object, object]] = []
    alert = ticket_alert(ticket)
    if alert is not None:
        severity = alert.get("severity")
        if isinstance(severity, str) and severity.lower() in wanted:
            firing = alert.get("firing")
            for item in firing if isinstance(firing, list) else ():
                if isinstance(item, dict):
                    found.append((item.get("start"), item.get("end")))
    if ticket.impact == "outage":
        found.append((ticket.outage.start, ticket.outage.end))
    out = []
    for raw_start, raw_end in found:
        start = _instant(raw_start)
        end = _instant(raw_end)
        if start is None or (raw_end not in (None, "") and end is None):
            continue
        if end is not None and end < start:
            continue
        out.append(Outage(start, end, ticket.id))
    return out


def merge(
    outages: Iterable[Outage], since: datetime, until: datetime
) -> list[tuple[datetime, datetime, tuple[str, ...]]]:
    """The union of `outages` clipped to `[since, until)`, oldest first, with the sources
    of each merged interval (an ongoing outage runs to `until`)."""
    clipped = []
    for o in outages:
        start = max(o.start, since)
        end = until if o.end is None else min(o.end, until)
        if start < end:
            clipped.append((start, end, o.source))
    clipped.sort(key=lambda c: (c[0], c[1]))
    merged: list[tuple[datetime, datetime, list[str]]] = []
    for start, end, source in clipped:
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, []))
        if source not in merged[-1][2]:
            merged[-1][2].append(source)
    return [(a, b, tuple(s)) for a, b, s in merged]


def service_availability(
    customer: str,
    service: str,
    target: float,
    outages: Iterable[Outage],
    calendar: Calendar,
    since: datetime,
    until: datetime,
) -> ServiceAvailability:
    """The availability of one service in `[since, until)` measured in `calendar`."""
    total = calendar.elapsed(since, until)
    intervals = tuple(
        Downtime(a, b, calendar.elapsed(a, b), sources)
        for a, b, sources in merge(outages, since, until)
    )
    down = sum(i.seconds for i in intervals)
    if total <= 0:
        return ServiceAvailability(customer, service, target, 0.0, down, None, True, intervals)
    # Fractions: a month of 43,200 minutes down 43.2 of them is exactly 99.9 %, and meets
    # a 99.9 target; binary floats would put it a hair below.
    exact = 100 * (1 - _fraction(down) / _fraction(total))
    met = exact >= Fraction(str(target))
    return ServiceAvailability(customer, service, target, total, down, float(exact), met, intervals)


def _fraction(seconds: float) -> Fraction:
    return Fraction(round(seconds * 1_000_000), 1_000_000)


def availability_credit(
    results: Sequence[ServiceAvailability],
    per_breach: float,
    steps: Sequence[tuple[float, float]],
) -> float:
    """The credit (a fraction of the fee, before any cap) the breached services earn: each
    one `per_breach`, or the worst of `steps` (below this percent, this fraction) that its
    availability reaches."""
    total = Fraction(0)
    for r in results:
        if r.met or r.percent is None:
            continue
        if steps:
            matching = [share for below, share in steps if r.percent < below]
            total += Fraction(str(max(matching, default=0.0)))
        else:
            total += Fraction(str(per_breach))
    return float(total)
