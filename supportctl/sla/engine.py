"""SLA clocks of one ticket, computed from its events. Pure: events, policy and `now` in.

Rules (also in the README):
- first_response runs from creation to the first public reply or the resolution,
  start_work to the first time the ticket leaves `new` (to in_progress, waiting or
  resolved); neither pauses.
- resolution counts while the ticket is new or in_progress; waiting, resolved and
  closed time does not count, and a reopen resumes the clock where it stopped.
- Each counting span is measured in the calendar of the rule that matched the ticket
  during that span; the target compared is the one of the rule that matches the
  ticket as it is at the end (its stop, or now). So a priority change re-targets the
  clock from that moment on, and the elapsed time is kept.
- A clock is breached from the first instant its elapsed time exceeds its target
  (`breached_from`, the instant that decides the period the breach counts in); `due`
  and `breached_at` are the instant the target was used up. They differ when the target
  runs out exactly at a closing time: the clock is still met until the next opening.
- A due not reached by the counted spans is the rest of the target added, from the stop
  or now, in the calendar of the rule the target comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from supportctl.domain.events import Event

if TYPE_CHECKING:
    from supportctl.sla.calendar import Calendar

METRICS = ("first_response", "start_work", "resolution")
ATTRS = ("status", "line", "priority", "type", "class", "customer", "assignee", "channel")
COUNTING = ("new", "in_progress")


@dataclass(frozen=True)
class Target:
    seconds: int | None
    calendar: Calendar
    warn_at: float = 0.8
    rule: str = ""


Policy = Callable[[dict[str, str | None], str], Target]


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None  # None: still counting
    attrs: dict[str, str | None]


@dataclass
class Clock:
    metric: str
    target_seconds: int | None
    elapsed_seconds: float
    due: datetime | None
    state: str  # running | paused | met | breached | none (no target)
    started: datetime
    stopped: datetime | None = None
    stopped_by: str | None = None  # sha of the stopping event
    stop_action: str | None = None
    breached_at: datetime | None = None  # the instant the target was used up (= due)
    # the first instant past the target: the next opening when the target ran out at a
    # closing time; the breach counts in the period that contains it
    breached_from: datetime | None = None
    at_risk: bool = False
    calendar: str = ""
    rule: str = ""

    @property
    def counted(self) -> bool:
        return self.state in ("met", "breached")


@dataclass
class TicketSla:
    ticket: str
    created: datetime | None
    attrs: dict[str, str | None]
    clocks: dict[str, Clock] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)


class Moment(Protocol):
    """What the clocks read of an event: an `Event`, or a light view of an event's cached
    encoding whose `at` is in unix seconds (see `settled_second`)."""

    @property
    def at(self) -> Any: ...
    @property
    def action(self) -> str: ...
    @property
    def changes(self) -> Mapping[str, Sequence[str | None]]: ...
    @property
    def details(self) -> Mapping[str, str]: ...
    @property
    def public_reply(self) -> bool: ...


M = TypeVar("M", bound=Moment)


def replay(events: Sequence[M]) -> list[tuple[M, dict[str, str | None]]]:
    """Each event with the ticket's attributes right after it."""
    attrs: dict[str, str | None] = dict.fromkeys(ATTRS)
    out = []
    for e in events:
        for name, (_, new) in e.changes.items():
            attrs[name] = new
        if e.action == "new" and e.details.get("channel"):
            attrs["channel"] = e.details["channel"]
        out.append((e, dict(attrs)))
    return out


def _spans(
    states: list[tuple[Event, dict[str, str | None]]],
    now: datetime,
    counting: Callable[[dict[str, str | None]], bool],
) -> list[Span]:
    spans: list[Span] = []
    open_start: datetime | None = None
    open_attrs: dict[str, str | None] = {}
    for e, attrs in states:
        if e.at > now:
            break
        if open_start is not None:
            # attributes changed mid-span: close it so each part uses its own rule
            spans.append(Span(open_start, e.at, open_attrs))
            open_start = None
        if counting(attrs):
            open_start, open_attrs = e.at, attrs
    if open_start is not None:
        spans.append(Span(open_start, None, open_attrs))
    return [s for s in spans if s.end is None or s.end > s.start]


def _measure(
    metric: str,
    spans: list[Span],
    target: Target,
    policy: Policy,
    now: datetime,
    stop: tuple[datetime, Event] | None,
    created: datetime,
) -> Clock:
    elapsed = 0.0
    due: datetime | None = None
    past: datetime | None = None
    for s in spans:
        cal = policy(s.attrs, metric).calendar
        end = min(s.end or now, now)
        part = cal.elapsed(s.start, end) if end > s.start else 0.0
        if target.seconds is not None:
            left = target.seconds - elapsed
            if due is None and part >= left:
                due = cal.add(s.start, left)
            if past is None and part > left:
                # strictly more than the target by the end of this span: business time
                # runs on right after the used-up instant, or from the next opening
                past = cal.next_open(cal.add(s.start, max(0.0, left)))
        elapsed += part
    running = bool(spans) and spans[-1].end is None and stop is None
    if due is None and target.seconds is not None and (running or stop is not None):
        # not used up yet: the rest of the target in the target's own calendar, from now for
        # a running clock, from the stop (where it would have fallen) for a stopped one
        base = now if stop is None else stop[0]
        due = target.calendar.add(base, max(0.0, target.seconds - elapsed))
    clock = Clock(
        metric,
        target.seconds,
        round(elapsed, 3),
        due,
        "none",
        created,
        calendar=target.calendar.name,
        rule=target.rule,
    )
    if stop is not None:
        clock.stopped, clock.stopped_by, clock.stop_action = stop[0], stop[1].sha, stop[1].action
    if target.seconds is None:
        clock.state = "none"
    elif elapsed > target.seconds:
        clock.state = "breached"
        clock.breached_at, clock.breached_from = due, past
    elif stop is not None:
        clock.state = "met"
    elif running:
        clock.state = "running"
        clock.at_risk = elapsed >= target.warn_at * target.seconds
    else:
        clock.state = "paused"
    return clock


Stop = tuple[datetime, Event]


def _stops(
    states: list[tuple[M, dict[str, str | None]]], created: Any, now: Any
) -> dict[str, tuple[Any, M] | None]:
    """The event that stopped each clock as of `now`, None for a clock still able to run.
    Times are datetimes, or unix seconds (`settled_second`): only compared here."""

    def first(pred: Callable[[M, dict[str, str | None]], bool]) -> tuple[Any, M] | None:
        return next(
            ((e.at, e) for e, a in states if e.at <= now and e.at >= created and pred(e, a)), None
        )

    def resolved(e: M, a: dict[str, str | None]) -> bool:
        return "status" in e.changes and a["status"] in ("resolved", "closed")

    # The resolution clock stops at the move that ended the last open stretch; a later
    # close does not move the stop, a reopen clears it.
    res_stop: tuple[Any, M] | None = None
    was_open = True
    for e, a in states:
        if e.at > now:
            break
        is_open = a["status"] not in ("resolved", "closed")
        if not is_open and was_open and e.action != "new":
            res_stop = (e.at, e)
        elif is_open:
            res_stop = None
        was_open = is_open
    return {
        "first_response": first(lambda e, a: e.public_reply or resolved(e, a)),
        # the first move out of `new`, wherever to: asking the customer (waiting) starts the
        # work as much as in_progress does
        "start_work": first(
            lambda e, a: "status" in e.changes and a["status"] not in (None, "new")
        ),
        "resolution": res_stop,
    }


def _created(states: list[tuple[M, dict[str, str | None]]]) -> Any:
    return next((e.at for e, _ in states if e.action == "new"), states[0][0].at if states else None)


def settled_at(events: Sequence[Event]) -> datetime | None:
    """When every clock of the ticket had stopped for good, given all its events; None while
    one can still run. A stopped clock counts in the period of its stop when met, or of its
    `breached_from` when breached, and that instant lies before the stop (business time ran
    past the target while the clock was running), so a period starting after this instant
    counts nothing of this ticket. A clock paused at its target (waiting) has not stopped:
    its breach counts when it resumes."""
    states = replay(events)
    created = _created(states)
    if created is None:
        return None
    stops = _stops(states, created, datetime.max.replace(tzinfo=created.tzinfo))
    if any(stop is None for stop in stops.values()):
        return None
    return max(stop[0] for stop in stops.values() if stop is not None)  # type: ignore[no-any-return]


def settled_second(moments: Sequence[Moment]) -> float | None:
    """`settled_at` of events whose `at` is in unix seconds (whole seconds, as git keeps
    them): the same instant, found without making a datetime of each event. The events
    cache finds it for every ticket of a history this way."""
    states = replay(moments)
    created = _created(states)
    if created is None:
        return None
    stops = _stops(states, created, math.inf)
    if any(stop is None for stop in stops.values()):
        return None
    return float(max(stop[0] for stop in stops.values() if stop is not None))


def evaluate(ticket: str, events: Sequence[Event], policy: Policy, now: datetime) -> TicketSla:
    """All clocks of one ticket as of `now`. `events` must be this ticket's, in time order."""
    states = replay(events)
    created = _created(states)
    current: dict[str, str | None] = dict.fromkeys(ATTRS)
    for e, attrs in states:
        if e.at <= now:
            current = attrs
    result = TicketSla(ticket, created, current)
    if created is None or created > now:
        return result
    stops = _stops(states, created, now)
    for metric in ("first_response", "start_work"):
        stop = stops[metric]
        attrs_now = current if stop is None else next(a for e, a in states if e is stop[1])
        # from creation on: an event back-dated before the `new` one does not start these clocks
        until = stop[0] if stop else now
        spans = _spans(
            [(e, a) for e, a in states if created <= e.at <= until], until, lambda a: True
        )
        if stop is not None and spans:
            spans[-1] = Span(spans[-1].start, stop[0], spans[-1].attrs)
        result.clocks[metric] = _measure(
            metric, spans, policy(attrs_now, metric), policy, now, stop, created
        )

    res_spans = _spans(states, now, lambda a: a["status"] in COUNTING)
    res_stop = stops["resolution"]
    # like the other clocks, a stopped clock keeps the target in force at its stop: a later
    # edit (a priority fixed on a closed ticket) does not re-judge it
    res_attrs = current if res_stop is None else next(a for e, a in states if e is res_stop[1])
    result.clocks["resolution"] = _measure(
        "resolution", res_spans, policy(res_attrs, "resolution"), policy, now, res_stop, created
    )
    result.spans = res_spans
    return result


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    action: str
    author: str
    sha: str
    status: str | None
    line: str | None
    priority: str | None
    detail: str
    wall_seconds: float  # since the previous row
    business_seconds: float  # of the resolution clock, since the previous row
    counting: bool  # whether the resolution clock ran since the previous row
    backdated_seconds: float
    manual: bool


def timeline(events: Sequence[Event], policy: Policy, now: datetime) -> list[TimelineRow]:
    """The ticket's events with the resolution clock's business time between them."""
    rows: list[TimelineRow] = []
    prev: tuple[datetime, dict[str, str | None]] | None = None
    for e, attrs in replay(events):
        wall = biz = 0.0
        counting = False
        if prev is not None:
            start, prev_attrs = prev
            end = max(e.at, start)
            wall = (end - start).total_seconds()
            counting = prev_attrs.get("status") in COUNTING
            if counting:
                biz = policy(prev_attrs, "resolution").calendar.elapsed(start, end)
        detail = "; ".join(
            f"{k} {old or '-'} → {new or '-'}"
            for k, (old, new) in e.changes.items()
            if k != "status" and e.action != "new"
        )
        extra = (
            e.details.get("reason") or e.details.get("visibility") or e.details.get("minutes", "")
        )
        if e.action == "log" and extra:
            extra = f"{extra} min"
        if e.action == "rename" and e.details.get("from"):
            extra = f"renamed from {e.details['from']}"
        detail = "; ".join(x for x in (detail, extra) if x)
        rows.append(
            TimelineRow(
                e.at,
                e.action,
                e.author,
                e.sha,
                attrs.get("status"),
                attrs.get("line"),
                attrs.get("priority"),
                detail,
                wall,
                biz,
                counting,
                e.backdated.total_seconds(),
                e.manual,
            )
        )
        prev = (max(e.at, prev[0]) if prev else e.at, attrs)
    if prev is not None and now > prev[0]:
        start, prev_attrs = prev
        counting = prev_attrs.get("status") in COUNTING
        biz = policy(prev_attrs, "resolution").calendar.elapsed(start, now) if counting else 0.0
        rows.append(
            TimelineRow(
                now,
                "now",
                "",
                "",
                prev_attrs.get("status"),
                prev_attrs.get("line"),
                prev_attrs.get("priority"),
                "",
                (now - start).total_seconds(),
                biz,
                counting,
                0.0,
                False,
            )
        )
    return rows
