"""Compliance for a period from hand-made clocks: which clock counts where, and the figures.

No events, no calendar, no git: the clocks are written out as the engine would return them.
October 2026 in UTC is the period unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportctl.sla.compliance import Breach, MetricCompliance, compliance, counts_in
from supportctl.sla.engine import Clock, TicketSla

OCT = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
H = 3600


def t(day: int, hour: int = 12, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def clock(
    metric: str,
    state: str,
    *,
    target: int = 2 * H,
    elapsed: float = H,
    stopped: datetime | None = None,
    breached_at: datetime | None = None,
    breached_from: datetime | None = None,
) -> Clock:
    return Clock(
        metric,
        target,
        elapsed,
        breached_at,
        state,
        t(1, 0),
        stopped=stopped,
        breached_at=breached_at,
        breached_from=breached_from,
    )


def ticket(name: str, *clocks: Clock, customer: str = "acme", priority: str = "high") -> TicketSla:
    attrs: dict[str, str | None] = {"customer": customer, "priority": priority}
    return TicketSla(name, t(1, 0), attrs, {c.metric: c for c in clocks})


# -- counts_in: the period a clock counts in ---------------------------------------------------
@pytest.mark.parametrize(
    ("stopped", "verdict"),
    [
        (OCT[0], "met"),  # the period includes its first instant
        (t(31, 23), "met"),
        (OCT[1], None),  # and excludes its end: that instant is November's
        (t(30, 23, month=9), None),
    ],
)
def test_a_met_clock_counts_where_it_stopped(stopped: datetime, verdict: str | None) -> None:
    assert counts_in(clock("resolution", "met", stopped=stopped), *OCT) == verdict


def test_a_breach_counts_where_the_first_instant_past_the_target_falls() -> None:
    # used up at Friday's closing on Oct 30, business time resumes on Monday Nov 2
    friday = clock("first_response", "breached", breached_at=t(30, 18), breached_from=t(2, 9, 11))
    assert counts_in(friday, *OCT) is None
    assert counts_in(friday, t(1, 0, 11), datetime(2026, 12, 1, tzinfo=UTC)) == "breached"
    # without `breached_from`, the instant the target was used up decides
    plain = clock("first_response", "breached", breached_at=t(30, 18))
    assert counts_in(plain, *OCT) == "breached"


@pytest.mark.parametrize("state", ["running", "paused", "none"])
def test_a_clock_not_yet_decided_never_counts(state: str) -> None:
    assert counts_in(clock("resolution", state, stopped=None), *OCT) is None


def test_a_met_state_without_a_stop_does_not_count() -> None:
    assert counts_in(clock("resolution", "met", stopped=None), *OCT) is None


# -- compliance: the figures -------------------------------------------------------------------
def test_each_metric_is_met_over_met_plus_breached() -> None:
    tickets = [
        ticket(
            "SUP-1",
            clock("first_response", "met", stopped=t(2)),
            clock("start_work", "met", stopped=t(2)),
            clock("resolution", "breached", elapsed=3 * H, breached_at=t(3)),
        ),
        ticket(
            "SUP-2",
            clock("first_response", "met", stopped=t(5)),
            clock("start_work", "breached", elapsed=5 * H, breached_at=t(5)),
            clock("resolution", "running"),  # not yet due: not counted
        ),
        ticket(
            "SUP-3",
            clock("first_response", "breached", elapsed=4 * H, breached_at=t(7)),
            clock("start_work", "met", stopped=t(30, 11, month=9)),  # September's
            clock("resolution", "met", stopped=t(8)),
        ),
    ]
    c = compliance(tickets, *OCT)
    # first_response: met 2 (SUP-1, SUP-2), breached 1 (SUP-3): 2/3 = 66.67%
    # start_work: met 1 (SUP-1), breached 1 (SUP-2): 1/2 = 50%
    # resolution: met 1 (SUP-3), breached 1 (SUP-1): 50%
    assert {m: (v.met, v.breached, v.percent) for m, v in c.metrics.items()} == {
        "first_response": (2, 1, 66.67),
        "start_work": (1, 1, 50.0),
        "resolution": (1, 1, 50.0),
    }
    # overall: met 2+1+1 = 4, breached 1+1+1 = 3: 4/7 = 57.142..% -> 57.14
    assert (c.overall.met, c.overall.breached, c.overall.percent) == (4, 3, 57.14)
    assert c.as_dict() == {
        "first_response": {"met": 2, "breached": 1, "percent": 66.67},
        "start_work": {"met": 1, "breached": 1, "percent": 50.0},
        "resolution": {"met": 1, "breached": 1, "percent": 50.0},
        "overall": {"met": 4, "breached": 3, "percent": 57.14},
    }
    assert [(name, k.metric) for name, k in c.met_clocks] == [
        ("SUP-1", "first_response"),
        ("SUP-1", "start_work"),
        ("SUP-2", "first_response"),
        ("SUP-3", "resolution"),
    ]


def test_no_counted_clock_is_no_percentage_not_zero_or_hundred() -> None:
    c = compliance([ticket("SUP-1", clock("resolution", "running"))], *OCT)
    assert c.as_dict()["resolution"] == {"met": 0, "breached": 0, "percent": None}
    assert c.overall.percent is None
    assert MetricCompliance("x", met=1).percent == 100.0
    assert MetricCompliance("x", breached=1).percent == 0.0


def test_breaches_are_listed_by_time_then_ticket_then_metric_order() -> None:
    same = t(10)
    tickets = [
        ticket(
            "SUP-2",
            clock("resolution", "breached", elapsed=2.5 * H, breached_at=same, stopped=t(11)),
            clock("first_response", "breached", elapsed=3 * H, breached_at=same),
        ),
        ticket(
            "SUP-1",
            clock("start_work", "breached", target=4 * H, elapsed=4 * H + 90, breached_at=same),
            customer="globex",
            priority="normal",
        ),
        ticket("SUP-3", clock("first_response", "breached", elapsed=7201, breached_at=t(4))),
    ]
    breaches = compliance(tickets, *OCT).breaches
    assert [(b.ticket, b.metric) for b in breaches] == [
        ("SUP-3", "first_response"),  # Oct 4, earliest
        ("SUP-1", "start_work"),  # Oct 10: SUP-1 before SUP-2
        ("SUP-2", "first_response"),  # then first_response before resolution
        ("SUP-2", "resolution"),
    ]
    assert breaches[1] == Breach(
        "SUP-1", "start_work", "globex", "normal", 4 * H, 4 * H + 90, same, "running"
    )
    assert breaches[3].state == "stopped"
    # over by elapsed - target: 7201-7200 = 1 s; 4h+90s-4h = 90 s; 3h-2h = 1h; 2.5h-2h = 30m
    assert [b.over_seconds for b in breaches] == [1, 90, H, 0.5 * H]
