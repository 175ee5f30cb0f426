"""Compliance for a period, from evaluated tickets. Pure.

Each clock counts once: a met clock in the period where it stopped, a breached clock
in the period that contains the first instant past its target (`breached_from`; whether
it is still running or has stopped since). A target used up exactly at a closing time is
still met until the next opening, so such a breach counts where business time resumes,
not where the due fell. Running clocks not yet due are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supportctl.sla.engine import METRICS, Clock, TicketSla

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime


@dataclass
class MetricCompliance:
    metric: str
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.total, 2) if self.total else None


@dataclass
class Breach:
    ticket: str
    metric: str
    customer: str | None
    priority: str | None
    target_seconds: int
    elapsed_seconds: float
    breached_at: datetime
    state: str

    @property
    def over_seconds(self) -> float:
        return self.elapsed_seconds - self.target_seconds


@dataclass
class Compliance:
    since: datetime
    until: datetime
    metrics: dict[str, MetricCompliance] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)
    met_clocks: list[tuple[str, Clock]] = field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, int | float | None]]:
        """Per metric and `overall`: met, breached, percent (the JSON of reports and `sla check`)."""
        rows = [*self.metrics.values(), self.overall]
        return {
            m.metric: {"met": m.met, "breached": m.breached, "percent": m.percent} for m in rows
        }

    @property
    def overall(self) -> MetricCompliance:
        total = MetricCompliance("overall")
        for m in self.metrics.values():
            total.met += m.met
            total.breached += m.breached
        return total


def counts_in(clock: Clock, since: datetime, until: datetime) -> str | None:
    """'met' or 'breached' when this clock counts in [since, until), else None."""
    if clock.state == "met" and clock.stopped is not None and since <= clock.stopped < until:
        return "met"
    if clock.state == "breached":
        past = clock.breached_from or clock.breached_at
        if past is not None and since <= past < until:
            return "breached"
    return None


def compliance(tickets: Iterable[TicketSla], since: datetime, until: datetime) -> Compliance:
    result = Compliance(since, until, {m: MetricCompliance(m) for m in METRICS})
    for t in tickets:
        for metric, clock in t.clocks.items():
            verdict = counts_in(clock, since, until)
            if verdict == "met":
                result.metrics[metric].met += 1
                result.met_clocks.append((t.ticket, clock))
            elif verdict == "breached":
                result.metrics[metric].breached += 1
                assert clock.target_seconds is not None
                assert clock.breached_at is not None
                result.breaches.append(
                    Breach(
                        t.ticket,
                        metric,
                        t.attrs.get("customer"),
                        t.attrs.get("priority"),
                        clock.target_seconds,
                        clock.elapsed_seconds,
                        clock.breached_at,
                        "running" if clock.stopped is None else "stopped",
                    )
                )
    result.breaches.sort(key=lambda b: (b.breached_at, b.ticket, METRICS.index(b.metric)))
    return result
