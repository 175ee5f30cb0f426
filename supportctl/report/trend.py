"""The last six months of a report, ending with its period (requests, SLA compliance, hours),
and the compliance its customers' plans promise. Pure: collect.py gives the data.

One evaluation serves every month: a clock counts in the month it stopped met or first went
past its target (`sla.compliance.counts_in`), and that does not change when the clock is
evaluated later, so the tickets of the six months are evaluated once, as of the report's
own evaluation, and counted month by month. Which tickets can count at all is decided from
the events cache alone (first event, when the clocks settled), as for the report itself.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportctl.domain.periods import Period, month_period
from supportctl.sla.compliance import MetricCompliance
from supportctl.sla.compliance import counts_in as clock_counts_in
from supportctl.sla.engine import evaluate

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from zoneinfo import ZoneInfo

    from supportctl.config.settings import Config
    from supportctl.domain.events import Event
    from supportctl.sla.engine import Policy, TicketSla
    from supportctl.storage.desk import Worklog
    from supportctl.storage.history import TicketSpan

MONTHS = 6


def trend_months(period: Period, tz: ZoneInfo) -> list[Period]:
    """The six calendar months ending with the one `period` ends in, oldest first; the last
    one stops where the period stops (a report of days ending mid-month counts no later day)."""
    last_instant = (period.until - timedelta(microseconds=1)).astimezone(tz)
    month = month_period(last_instant.strftime("%Y-%m"), tz)
    months = [Period(month.since, min(month.until, period.until), month.label)]
    for _ in range(MONTHS - 1):
        month = month.previous()
        months.append(month)
    return months[::-1]


def counts_in(months: Sequence[Period], span: TicketSpan) -> bool:
    """Whether a ticket can change a figure of the months: created before their end, and a
    clock still running at their start (every clock starts at creation, and stops for good
    no later than `settled`)."""
    since, until = months[0].since.timestamp(), months[-1].until.timestamp()
    return span.first < until and (span.settled is None or span.settled >= since)


def customer_as_of(events: Sequence[Event], when: datetime) -> str | None:
    """The ticket's customer as `sla.engine.evaluate` finds it at `when`, without measuring
    its clocks: a customer's report evaluates only its own tickets."""
    customer = None
    for e in events:
        if e.at <= when and "customer" in e.changes:
            customer = e.changes["customer"][1]
    return customer


class TrendTickets:
    """What the trend counts of the tickets it reads, kept without their events or clocks:
    when each was created (`created`: the times of its `new` events), how many of its
    clocks count met and breached in each month (`counted`, as `sla.compliance` counts
    them) and its customer as of the evaluation (`customer`). A customer's report
    evaluates only the tickets that were the customer's; `customer` holds every ticket's."""

    def __init__(self, months: Sequence[Period]) -> None:
        self.months = months
        self.created: dict[str, tuple[datetime, ...]] = {}
        self.counted: dict[str, tuple[tuple[int, int], ...]] = {}
        self.customer: dict[str, str | None] = {}
        self._same: dict[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = {}

    def add(
        self,
        ticket: str,
        events: Sequence[Event],
        policy: Policy,
        when: datetime,
        customer: str | None,
    ) -> None:
        """A ticket the report itself does not evaluate, evaluated as of `when` for a report
        of `customer` (None: the whole desk)."""
        owner = customer_as_of(events, when)
        self.customer[ticket] = owner
        if customer and owner != customer:
            return
        self.add_evaluated(ticket, events, evaluate(ticket, events, policy, when))

    def add_evaluated(self, ticket: str, events: Sequence[Event], sla: TicketSla) -> None:
        """A ticket the report evaluated itself."""
        self.created[ticket] = tuple(e.at for e in events if e.action == "new")
        counted = _counted(sla, self.months)
        # most tickets count alike (once, or never): one tuple serves them all
        self.counted[ticket] = self._same.setdefault(counted, counted)
        self.customer[ticket] = sla.attrs.get("customer")


def _counted(sla: TicketSla, months: Sequence[Period]) -> tuple[tuple[int, int], ...]:
    """Per month, how many of the ticket's clocks count met and breached in it."""
    out = []
    for m in months:
        verdicts = [clock_counts_in(c, m.since, m.until) for c in sla.clocks.values()]
        out.append((verdicts.count("met"), verdicts.count("breached")))
    return tuple(out)


def trend(
    months: Sequence[Period],
    created: Mapping[str, Sequence[datetime]],
    counted: Mapping[str, Sequence[tuple[int, int]]],
    logs: Sequence[Worklog],
    ticket_customer: Mapping[str, str | None],
    customers: Collection[str] | None,
) -> list[dict[str, Any]]:
    """`{"month", "requests", "compliance_percent", "hours"}` per month, oldest first.

    `created` and `counted` (see `TrendTickets`): every ticket that can count in the months
    (`counts_in`); `ticket_customer`: each ticket's customer as the report has it;
    `customers`: those the report is for (None: the whole desk)."""

    def mine(ticket: str) -> bool:
        return customers is None or ticket_customer.get(ticket) in customers

    my_created = [times for t, times in created.items() if mine(t)]
    my_counted = [c for t, c in counted.items() if mine(t)]
    minutes: dict[str, int] = {}
    for w in logs:
        if mine(w.ticket):
            minutes[w.on[:7]] = minutes.get(w.on[:7], 0) + w.minutes
    out = []
    for i, m in enumerate(months):
        requests = sum(1 for times in my_created for at in times if m.since <= at < m.until)
        logged = _minutes_in(logs, minutes, m, mine)
        clocks = MetricCompliance(
            "overall", sum(c[i][0] for c in my_counted), sum(c[i][1] for c in my_counted)
        )
        out.append(
            {
                "month": m.label,
                "requests": requests,
                "compliance_percent": clocks.percent,
                "hours": round(logged / 60, 2),
            }
        )
    return out


def _minutes_in(
    logs: Sequence[Worklog], by_month: Mapping[str, int], month: Period, mine: Any
) -> int:
    """Minutes logged on the days of `month` (by the worklog's day, as the report's time
    section counts them); a month cut short by the period is summed day by day."""
    since, until = month.since.date(), month.until.date()
    if until == _next_month(since):
        return by_month.get(month.label, 0)
    total = 0
    for w in logs:
        if mine(w.ticket) and w.on[:7] == month.label and since <= date.fromisoformat(w.on) < until:
            total += w.minutes
    return total


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def compliance_target(config: Config, customers: Collection[str] | None) -> float | None:
    """The compliance (percent) promised by the plans of `customers` (None: every configured
    customer): their common `compliance_target`, or None when they promise none or differ."""
    keys = config.customers if customers is None else customers
    plans = {config.customers[c].plan for c in keys if c in config.customers}
    targets = {config.plans[p].compliance_target for p in plans if p in config.plans}
    if len(targets) != 1:
        return None
    (target,) = targets
    return None if target is None else round(100 * target, 2)
