"""The open clocks of `sla status`, from hand-made clocks: which are listed, in which order.

No events, no calendar, no git: the clocks are written out as the engine would return them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportctl.sla.engine import Clock, TicketSla
from supportctl.sla.status import open_clocks

NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)
H = 3600


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, 5, hour, minute, tzinfo=UTC)


def clock(
    metric: str,
    state: str,
    elapsed: float,
    due: datetime | None,
    *,
    target: int | None = 2 * H,
    at_risk: bool = False,
    stopped: datetime | None = None,
) -> Clock:
    return Clock(metric, target, elapsed, due, state, at(9), stopped=stopped, at_risk=at_risk)


def ticket(name: str, *clocks: Clock, status: str = "new", customer: str = "acme") -> TicketSla:
    attrs: dict[str, str | None] = {"status": status, "customer": customer}
    return TicketSla(name, at(9), attrs, {c.metric: c for c in clocks})


def listed(rows: list[tuple[TicketSla, Clock, float]]) -> list[tuple[str, str, float]]:
    return [(t.ticket, c.metric, left) for t, c, left in rows]


@pytest.fixture
def desk() -> list[TicketSla]:
    return [
        ticket(
            "SUP-1",
            clock("first_response", "running", 1.5 * H, at(12, 30), at_risk=True),
            clock("start_work", "running", 1.5 * H, at(14, 30), target=4 * H),
            clock("resolution", "paused", 3 * H, None, target=16 * H),
        ),
        ticket(
            "SUP-2",
            clock("first_response", "breached", 2.5 * H, at(11, 30)),
            clock("start_work", "met", H, at(13), stopped=at(10)),  # stopped: not open
            clock("resolution", "running", H, at(17), target=None),  # no target
            customer="globex",
        ),
        ticket(
            "SUP-3",
            clock("first_response", "breached", 3 * H, at(11)),
            clock("start_work", "running", 3.5 * H, at(12, 30), target=4 * H, at_risk=True),
        ),
        ticket(
            "SUP-4",  # resolved: none of its clocks is open, whatever they say
            clock("resolution", "running", H, at(13)),
            status="resolved",
        ),
        ticket("SUP-5", clock("first_response", "running", H, at(13)), status="closed"),
    ]


def test_breached_first_most_overdue_first_then_by_due_and_paused_last(
    desk: list[TicketSla],
) -> None:
    # seconds left are target - elapsed: 2h-3h = -1h, 2h-2.5h = -30m, 2h-1.5h = 30m,
    # 4h-3.5h = 30m, 4h-1.5h = 2.5h, 16h-3h = 13h
    assert listed(open_clocks(desk, NOW)) == [
        ("SUP-3", "first_response", -H),  # due 11:00
        ("SUP-2", "first_response", -0.5 * H),  # due 11:30
        ("SUP-1", "first_response", 0.5 * H),  # due 12:30, SUP-1 before SUP-3
        ("SUP-3", "start_work", 0.5 * H),  # due 12:30
        ("SUP-1", "start_work", 2.5 * H),  # due 14:30
        ("SUP-1", "resolution", 13 * H),  # paused: no due instant
    ]


def test_at_risk_lists_running_clocks_past_the_warning_share_not_breached_ones(
    desk: list[TicketSla],
) -> None:
    assert listed(open_clocks(desk, NOW, at_risk=True)) == [
        ("SUP-1", "first_response", 0.5 * H),
        ("SUP-3", "start_work", 0.5 * H),
    ]


def test_a_paused_clock_is_not_at_risk_even_when_flagged() -> None:
    paused = ticket(
        "SUP-9", clock("resolution", "paused", 15 * H, None, target=16 * H, at_risk=True)
    )
    assert open_clocks([paused], NOW, at_risk=True) == []
    assert listed(open_clocks([paused], NOW)) == [("SUP-9", "resolution", H)]


def test_breached_lists_only_breached_clocks(desk: list[TicketSla]) -> None:
    assert listed(open_clocks(desk, NOW, breached=True)) == [
        ("SUP-3", "first_response", -H),
        ("SUP-2", "first_response", -0.5 * H),
    ]


def test_both_flags_list_both_kinds(desk: list[TicketSla]) -> None:
    assert [(t, m) for t, m, _ in listed(open_clocks(desk, NOW, at_risk=True, breached=True))] == [
        ("SUP-3", "first_response"),
        ("SUP-2", "first_response"),
        ("SUP-1", "first_response"),
        ("SUP-3", "start_work"),
    ]


def test_a_customer_keeps_only_its_tickets(desk: list[TicketSla]) -> None:
    assert listed(open_clocks(desk, NOW, customer="globex")) == [
        ("SUP-2", "first_response", -0.5 * H)
    ]
    assert open_clocks(desk, NOW, customer="initech") == []


def test_equal_dues_go_by_ticket_then_metric() -> None:
    due = at(15)
    tickets = [
        ticket("SUP-2", clock("first_response", "running", H, due)),
        ticket(
            "SUP-1",
            clock("start_work", "running", H, due),
            clock("first_response", "running", H, due),
        ),
    ]
    # by ticket id as text, then by metric name: first_response < start_work
    assert [(t, m) for t, m, _ in listed(open_clocks(tickets, NOW))] == [
        ("SUP-1", "first_response"),
        ("SUP-1", "start_work"),
        ("SUP-2", "first_response"),
    ]
