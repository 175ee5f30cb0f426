"""The SLA use cases on a desk held in memory, against figures worked out by hand.

The plan (tests/helpers.py CONFIG): critical tickets run on 24x7 with 30m / 1h / 4h,
the others on the office calendar (Mon-Fri 09-13, 14-18, Moscow) with 2h / 4h / 16h;
warning at 80%. Monday is 2026-10-05.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportctl.domain.errors import NotFound, UsageError
from supportctl.domain.events import Event
from supportctl.ops import sla
from supportctl.storage.memory import MemoryDesk
from tests.helpers import CONFIG

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime.fromisoformat("2026-10-06T12:00:00+03:00")  # Tuesday noon
HOUR = 3600
CRITICAL = "standard rule 1 (priority=critical)"
OTHER = "standard rule 2 (any ticket)"


def at(when: str) -> datetime:
    """`Mon 10:00` or `Tue 10:20`, in Moscow."""
    day, hhmm = when.split()
    return datetime.fromisoformat(f"2026-10-0{5 if day == 'Mon' else 6}T{hhmm}:00+03:00")


def event(
    ticket: str,
    when: str,
    action: str,
    changes: dict[str, tuple[str | None, str | None]] | None = None,
    *,
    late: int = 0,
    **details: str,
) -> Event:
    moment = at(when)
    committed = moment + timedelta(seconds=late)
    sha = f"{ticket}-{when}-{action}".ljust(40, "0")
    return Event(sha, ticket, action, moment, committed, "Anna", "anna@x", changes or {}, details)


def new(ticket: str, when: str, customer: str, priority: str) -> Event:
    values = {"status": "new", "line": "L1", "priority": priority, "type": "incident"}
    return event(
        ticket, when, "new", {k: (None, v) for k, v in {**values, "customer": customer}.items()}
    )


def status(ticket: str, when: str, action: str, old: str, to: str, *, late: int = 0) -> Event:
    return event(ticket, when, action, {"status": (old, to)}, late=late)


def ticket_file(ticket: str, customer: str, priority: str, state: str, created: str) -> str:
    return (
        f"id: {ticket}\ntitle: Broken\ncustomer: {customer}\ntype: incident\n"
        f"priority: {priority}\nstatus: {state}\nline: L1\ncreated: '{at(created).isoformat()}'\n"
        "comments: []\n"
    )


def desk() -> MemoryDesk:
    """SUP-1 answered, started, then waiting on the customer; SUP-2 critical and untouched
    since Monday; SUP-4 opened this morning; SUP-5 solved within the hour."""
    events = [
        new("SUP-1", "Mon 10:00", "acme", "normal"),
        event("SUP-1", "Mon 10:30", "comment", late=HOUR, visibility="public"),
        new("SUP-2", "Mon 11:00", "globex", "critical"),
        status("SUP-1", "Mon 11:20", "start", "new", "in_progress"),
        new("SUP-5", "Mon 14:00", "acme", "normal"),
        status("SUP-1", "Mon 15:00", "wait", "in_progress", "waiting"),
        status("SUP-5", "Mon 15:00", "resolve", "new", "resolved"),
        new("SUP-4", "Tue 10:20", "acme", "normal"),
    ]
    files = {
        "SUP-1": ticket_file("SUP-1", "acme", "normal", "waiting", "Mon 10:00"),
        "SUP-2": ticket_file("SUP-2", "globex", "critical", "new", "Mon 11:00"),
        "SUP-4": ticket_file("SUP-4", "acme", "normal", "new", "Tue 10:20"),
        "SUP-5": ticket_file("SUP-5", "acme", "normal", "resolved", "Mon 14:00"),
    }
    return MemoryDesk(CONFIG, files, events)


# -- sla show ----------------------------------------------------------------------------------
def test_show_names_the_rule_of_each_clock_after_a_priority_change() -> None:
    # normal until 10:00, critical from then: first_response stopped under the normal rule,
    # the other two answer to the critical one
    events = [
        new("SUP-3", "Mon 09:00", "acme", "normal"),
        event("SUP-3", "Mon 09:30", "comment", visibility="public"),
        event("SUP-3", "Mon 10:00", "edit", {"priority": ("normal", "critical")}),
    ]
    files = {"SUP-3": ticket_file("SUP-3", "acme", "critical", "new", "Mon 09:00")}
    shown = sla.show(MemoryDesk(CONFIG, files, events), "sup-3", at("Mon 10:20"))

    assert shown.ticket.ticket == "SUP-3"
    assert shown.rules == {OTHER: ["first_response"], CRITICAL: ["start_work", "resolution"]}
    assert shown.now == at("Mon 10:20")
    assert shown.zone == MOSCOW
    clocks = shown.ticket.clocks
    assert (clocks["first_response"].state, clocks["first_response"].elapsed_seconds) == (
        "met",
        1800,
    )
    # 09:00-10:00 on the office calendar, 10:00-10:20 around the clock: 1h20m of 1h
    assert (clocks["start_work"].state, clocks["start_work"].elapsed_seconds) == (
        "breached",
        4800,
    )
    # 4h - 1h20m left from 10:20, around the clock: due at 13:00
    assert clocks["resolution"].state == "running"
    assert clocks["resolution"].due == at("Mon 13:00")


def test_show_of_a_ticket_with_one_rule() -> None:
    shown = sla.show(desk(), "2", NOW)
    assert shown.rules == {CRITICAL: ["first_response", "start_work", "resolution"]}


def test_show_of_an_unknown_ticket_is_not_found() -> None:
    with pytest.raises(NotFound):
        sla.show(desk(), "SUP-9", NOW)


def test_show_refuses_a_malformed_id() -> None:
    with pytest.raises(UsageError, match="bad ticket ID"):
        sla.show(desk(), "../x", NOW)


# -- sla status --------------------------------------------------------------------------------
def rows(result: sla.OpenClocks) -> list[tuple[str, str, str, float]]:
    return [(t.ticket, c.metric, c.state, left) for t, c, left in result.rows]


def test_status_lists_open_clocks_most_urgent_first() -> None:
    result = sla.status(desk(), NOW)
    assert rows(result) == [
        # 25h around the clock since Monday 11:00, most overdue first
        ("SUP-2", "first_response", "breached", 1800 - 25 * HOUR),
        ("SUP-2", "start_work", "breached", HOUR - 25 * HOUR),
        ("SUP-2", "resolution", "breached", 4 * HOUR - 25 * HOUR),
        # 1h40m of office time since 10:20: due 12:20, 15:20 (lunch), Thursday 10:20
        ("SUP-4", "first_response", "running", 2 * HOUR - 6000),
        ("SUP-4", "start_work", "running", 4 * HOUR - 6000),
        ("SUP-4", "resolution", "running", 16 * HOUR - 6000),
        # waiting since Monday 15:00 after 10:00-13:00 and 14:00-15:00: paused, last
        ("SUP-1", "resolution", "paused", 16 * HOUR - 4 * HOUR),
    ]
    due = [c.due for _, c, _ in result.rows[3:6]]
    assert due == [
        at("Tue 12:20"),
        at("Tue 15:20"),
        datetime.fromisoformat("2026-10-08T10:20:00+03:00"),
    ]
    assert result.zone == MOSCOW
    # SUP-5 is resolved: none of its clocks is open
    assert "SUP-5" not in {t.ticket for t, _, _ in result.rows}


def test_status_filters() -> None:
    # 6000 of 7200 seconds is past the 80% warning; 6000 of 14400 is not
    assert rows(sla.status(desk(), NOW, at_risk=True)) == [
        ("SUP-4", "first_response", "running", 1200)
    ]
    assert [r[:2] for r in rows(sla.status(desk(), NOW, breached=True))] == [
        ("SUP-2", "first_response"),
        ("SUP-2", "start_work"),
        ("SUP-2", "resolution"),
    ]
    both = sla.status(desk(), NOW, at_risk=True, breached=True)
    assert [r[0] for r in rows(both)] == ["SUP-2", "SUP-2", "SUP-2", "SUP-4"]
    assert {r[0] for r in rows(sla.status(desk(), NOW, customer="acme"))} == {"SUP-1", "SUP-4"}


def test_status_of_an_unknown_customer_is_not_found() -> None:
    with pytest.raises(NotFound, match="unknown customer 'initech'"):
        sla.status(desk(), NOW, customer="initech")


def test_status_sees_tickets_opened_before_now_only() -> None:
    # Monday 12:00: SUP-4 does not exist yet, SUP-5 not yet opened, SUP-1 just started
    early = at("Mon 12:00")
    assert [r[:3] for r in rows(sla.status(desk(), early))] == [
        ("SUP-2", "first_response", "breached"),
        ("SUP-2", "start_work", "running"),
        ("SUP-2", "resolution", "running"),
        ("SUP-1", "resolution", "running"),
    ]


# -- sla check ---------------------------------------------------------------------------------
def test_check_counts_met_and_breached_clocks_in_the_month() -> None:
    result = sla.check(desk(), NOW, month="2026-10", minimum=70)

    assert (result.period.label, result.period.since) == (
        "2026-10",
        datetime(2026, 10, 1, tzinfo=MOSCOW),
    )
    # met: SUP-1's first response and start, SUP-5's three clocks; breached: SUP-2's three;
    # SUP-1's resolution (paused) and SUP-4's (running) do not count yet
    assert result.result.as_dict() == {
        "first_response": {"met": 2, "breached": 1, "percent": 66.67},
        "start_work": {"met": 2, "breached": 1, "percent": 66.67},
        "resolution": {"met": 1, "breached": 1, "percent": 50.0},
        "overall": {"met": 5, "breached": 3, "percent": 62.5},
    }
    assert result.below
    assert result.minimum == 70
    assert result.customer is None


def test_check_at_or_above_the_minimum_is_not_below() -> None:
    assert not sla.check(desk(), NOW, month="2026-10", minimum=62.5).below


def test_check_of_one_customer() -> None:
    result = sla.check(desk(), NOW, month="2026-10", customer="acme", minimum=100)
    assert result.result.overall.percent == 100.0
    assert result.result.overall.met == 5
    assert not result.below
    assert result.customer == "acme"


def test_check_of_an_empty_period_is_never_below() -> None:
    result = sla.check(desk(), NOW, since="2026-09-01", until="2026-09-30", minimum=99)
    assert result.result.overall.percent is None
    assert result.period.label == "2026-09-01..2026-09-30"
    assert not result.below


def test_check_refuses_a_minimum_outside_0_to_100() -> None:
    with pytest.raises(UsageError, match="--min must be between 0 and 100"):
        sla.check(desk(), NOW, minimum=101)


def test_check_refuses_an_unknown_customer() -> None:
    with pytest.raises(NotFound, match="unknown customer"):
        sla.check(desk(), NOW, customer="initech")


# -- sla explain -------------------------------------------------------------------------------
def test_explain_counts_business_time_between_events() -> None:
    result = sla.explain(desk(), "1", NOW)

    assert result.ticket.ticket == "SUP-1"
    assert result.backdate_tolerance == 600
    assert result.zone == MOSCOW
    assert [
        (r.action, r.status, r.wall_seconds, r.business_seconds, r.counting) for r in result.rows
    ] == [
        ("new", "new", 0, 0, False),
        ("comment", "new", 1800, 1800, True),
        ("start", "in_progress", 3000, 3000, True),
        # 11:20-15:00 on the wall; the lunch hour 13-14 does not count
        ("wait", "waiting", 13200, 9600, True),
        # and on to now, Tuesday noon: 21h waiting on the customer count nothing
        ("now", "waiting", 21 * HOUR, 0, False),
    ]
    comment = result.rows[1]
    assert (comment.detail, comment.backdated_seconds) == ("public", HOUR)
    assert result.ticket.clocks["resolution"].elapsed_seconds == 4 * HOUR


def test_explain_of_an_unknown_ticket_is_not_found() -> None:
    with pytest.raises(NotFound):
        sla.explain(desk(), "SUP-9", NOW)
