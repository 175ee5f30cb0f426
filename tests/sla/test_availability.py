"""sla/availability.py: the union of outage intervals, clipped to the period and the
calendar, checked against an independent minute-by-minute count."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.domain.periods import month_period
from supportctl.domain.ticket import Outage as TicketOutage
from supportctl.domain.ticket import Ticket
from supportctl.sla.availability import (
    Outage,
    availability_credit,
    merge,
    service_availability,
    ticket_outages,
)
from supportctl.sla.calendar import CALENDAR_24X7, calendar_from_config

KYIV = ZoneInfo("Europe/Kyiv")
MOSCOW = ZoneInfo("Europe/Moscow")
MINUTE = timedelta(minutes=1)


def kyiv(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KYIV)


def down_minutes_by_enumeration(
    outages: list[Outage], since: datetime, until: datetime, is_open: object = None
) -> int:
    """Every real minute of the period, one by one: down when some outage covers it (an
    ongoing one to the end of the period), counted when the calendar is open then."""
    count = 0
    t = since.astimezone(UTC)
    end = until.astimezone(UTC)
    while t < end:
        covered = any(o.start <= t < (o.end or end) for o in outages)
        if covered and (is_open is None or is_open(t)):  # type: ignore[operator]
            count += 1
        t += MINUTE
    return count


def test_overlapping_intervals_count_once() -> None:
    period = month_period("2026-11", MOSCOW)
    at = period.since
    outages = [
        Outage(at + timedelta(hours=10), at + timedelta(hours=11), "SUP-1"),
        Outage(at + timedelta(hours=10, minutes=30), at + timedelta(hours=12), "SUP-2"),
        Outage(at + timedelta(hours=12), at + timedelta(hours=12, minutes=5), "SUP-3"),
        Outage(at + timedelta(hours=20), at + timedelta(hours=20, minutes=1), "SUP-1"),
    ]
    r = service_availability("acme", "shop", 99.9, outages, CALENDAR_24X7, *_bounds(period))
    assert [(i.seconds / 60, i.sources) for i in r.intervals] == [
        (125, ("SUP-1", "SUP-2", "SUP-3")),  # touching at 12:00 joins SUP-3 too
        (1, ("SUP-1",)),
    ]
    assert r.downtime_seconds == 126 * 60
    assert r.seconds == 30 * 24 * 3600
    assert r.downtime_seconds / 60 == down_minutes_by_enumeration(outages, *_bounds(period))


def _bounds(period: object) -> tuple[datetime, datetime]:
    return period.since, period.until  # type: ignore[attr-defined]


def test_an_outage_across_midnight_counts_on_both_days() -> None:
    period = month_period("2026-11", MOSCOW)
    start = datetime(2026, 11, 3, 23, 30, tzinfo=MOSCOW)
    outages = [Outage(start, start + timedelta(hours=1), "SUP-1")]
    r = service_availability("acme", "shop", 99.9, outages, CALENDAR_24X7, *_bounds(period))
    assert r.downtime_seconds == 3600
    assert r.intervals[0].start == start


def test_a_month_with_the_autumn_clock_change_has_an_hour_more() -> None:
    # Europe/Kyiv goes back from 04:00 to 03:00 on the last Sunday of October 2026
    october = month_period("2026-10", KYIV)
    november = month_period("2026-11", KYIV)
    quiet = service_availability("a", "shop", 99.9, [], CALENDAR_24X7, *_bounds(october))
    assert quiet.seconds / 60 == 31 * 24 * 60 + 60
    assert quiet.percent == 100
    assert service_availability("a", "s", 99.9, [], CALENDAR_24X7, *_bounds(november)).seconds == (
        30 * 24 * 3600
    )
    # 02:30 to 04:30 wall time on the change day is three real hours
    outage = Outage(kyiv("2026-10-25T02:30"), kyiv("2026-10-25T04:30"), "SUP-1")
    r = service_availability("a", "shop", 99.9, [outage], CALENDAR_24X7, *_bounds(october))
    assert r.downtime_seconds == 3 * 3600
    assert r.downtime_seconds / 60 == down_minutes_by_enumeration([outage], *_bounds(october))
    assert r.percent == pytest.approx(100 * (1 - 180 / 44700))


def test_the_spring_clock_change_gives_a_month_an_hour_less() -> None:
    march = month_period("2026-03", KYIV)  # forward from 03:00 to 04:00 on 29 March
    r = service_availability("a", "shop", 99.9, [], CALENDAR_24X7, *_bounds(march))
    assert r.seconds / 60 == 31 * 24 * 60 - 60


def test_an_outage_over_the_month_boundary_counts_in_each_month_in_part() -> None:
    outage = Outage(kyiv("2026-10-31T23:00"), kyiv("2026-11-01T01:30"), "SUP-1")
    october = service_availability(
        "a", "shop", 99.9, [outage], CALENDAR_24X7, *_bounds(month_period("2026-10", KYIV))
    )
    november = service_availability(
        "a", "shop", 99.9, [outage], CALENDAR_24X7, *_bounds(month_period("2026-11", KYIV))
    )
    assert october.downtime_seconds == 3600
    assert november.downtime_seconds == 90 * 60
    assert october.intervals[0].end == kyiv("2026-11-01T00:00")
    assert november.intervals[0].start == kyiv("2026-11-01T00:00")


def test_an_ongoing_outage_runs_to_the_end_of_the_window() -> None:
    period = month_period("2026-11", KYIV)
    outage = Outage(kyiv("2026-11-30T20:00"), None, "SUP-9")
    r = service_availability("a", "shop", 99.9, [outage], CALENDAR_24X7, *_bounds(period))
    assert r.downtime_seconds == 4 * 3600
    so_far = kyiv("2026-11-30T21:15")  # while the month runs, up to now
    r = service_availability("a", "shop", 99.9, [outage], CALENDAR_24X7, period.since, so_far)
    assert r.downtime_seconds == 75 * 60
    assert r.seconds == (so_far - period.since).total_seconds()


BUSINESS = calendar_from_config(
    "office", {"timezone": "Europe/Kyiv", "hours": {"mon-fri": "09:00-13:00, 14:00-18:00"}}
)


def test_a_business_hours_calendar_counts_only_open_time() -> None:
    period = month_period("2026-11", KYIV)  # 21 working days of 8 hours
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday; the lunch hour and
    # the weekend are closed
    outages = [
        Outage(kyiv("2026-11-06T17:00"), kyiv("2026-11-09T10:00"), "SUP-1"),
        Outage(kyiv("2026-11-10T12:30"), kyiv("2026-11-10T14:30"), "SUP-2"),
    ]
    r = service_availability("a", "shop", 99.0, outages, BUSINESS, *_bounds(period))
    assert r.seconds == 21 * 8 * 3600
    assert [i.seconds / 60 for i in r.intervals] == [120, 60]
    assert r.downtime_seconds / 60 == down_minutes_by_enumeration(
        outages, *_bounds(period), BUSINESS.is_open
    )
    assert r.percent == pytest.approx(100 * (1 - 180 / (21 * 8 * 60)))
    assert r.met is False


def test_an_outage_only_in_closed_time_is_listed_but_costs_nothing() -> None:
    period = month_period("2026-11", KYIV)
    outage = Outage(kyiv("2026-11-07T10:00"), kyiv("2026-11-07T11:00"), "SUP-1")  # Saturday
    r = service_availability("a", "shop", 99.9, [outage], BUSINESS, *_bounds(period))
    assert r.downtime_seconds == 0
    assert r.met is True
    assert len(r.intervals) == 1


def test_the_target_is_met_exactly_at_its_boundary() -> None:
    # 43,200 minutes in November (Moscow has no clock change); 43.2 minutes down is 99.9 %
    period = month_period("2026-11", MOSCOW)
    start = datetime(2026, 11, 2, 10, tzinfo=MOSCOW)
    at_limit = Outage(start, start + timedelta(minutes=43, seconds=12), "SUP-1")
    over = Outage(start, start + timedelta(minutes=43, seconds=13), "SUP-1")
    assert service_availability("a", "s", 99.9, [at_limit], CALENDAR_24X7, *_bounds(period)).met
    assert not service_availability("a", "s", 99.9, [over], CALENDAR_24X7, *_bounds(period)).met


def _alert_ticket(severity: str, firing: list[dict[str, str | None]], **extra: object) -> Ticket:
    return Ticket.from_plain(
        {
            "id": "SUP-5",
            "customer": "acme",
            "service": "shop",
            "alert": {"identity": "x", "severity": severity, "firing": firing},
            **extra,
        }
    )


def test_alert_and_manual_outages_of_one_service_overlap_once() -> None:
    period = month_period("2026-11", KYIV)
    alert = _alert_ticket(
        "critical",
        [
            {"start": "2026-11-03T08:00:00+00:00", "end": "2026-11-03T08:42:00+00:00"},
            {"start": "2026-11-20T08:00:00+00:00", "end": None},  # still firing
        ],
    )
    manual = Ticket(
        id="SUP-6",
        customer="acme",
        service="shop",
        impact="outage",
        outage=TicketOutage(start="2026-11-03T10:30:00+02:00", end="2026-11-03T11:00:00+02:00"),
    )
    outages = ticket_outages(alert, ["critical"]) + ticket_outages(manual, ["critical"])
    assert len(outages) == 3
    now = kyiv("2026-11-20T10:10")  # 10 minutes into the second firing
    r = service_availability("acme", "shop", 99.9, outages, CALENDAR_24X7, period.since, now)
    assert [(i.seconds / 60, i.sources) for i in r.intervals] == [
        (60, ("SUP-5", "SUP-6")),  # 10:00-10:42 and 10:30-11:00, Kyiv time
        (10, ("SUP-5",)),
    ]


def test_alerts_of_other_severities_and_malformed_intervals_do_not_count() -> None:
    warning = _alert_ticket(
        "warning", [{"start": "2026-11-03T08:00:00+00:00", "end": "2026-11-03T09:00:00+00:00"}]
    )
    assert ticket_outages(warning, ["critical"]) == []
    assert len(ticket_outages(warning, ["Critical", "WARNING"])) == 1
    broken = _alert_ticket(
        "critical",
        [
            {"start": "yesterday", "end": None},
            {"start": "2026-11-03T08:00:00", "end": None},  # no offset
            {"start": "2026-11-03T09:00:00+00:00", "end": "2026-11-03T08:00:00+00:00"},
        ],
    )
    assert ticket_outages(broken, ["critical"]) == []
    not_marked = Ticket(id="SUP-1", service="shop", outage=TicketOutage(start="2026-11-03T08:00Z"))
    assert ticket_outages(not_marked, ["critical"]) == []


def test_credit_per_breach_and_the_worst_step() -> None:
    period = month_period("2026-11", MOSCOW)
    start = period.since + timedelta(days=2)

    def down(minutes: int, target: float = 99.9) -> object:
        outage = Outage(start, start + timedelta(minutes=minutes), "SUP-1")
        return service_availability("a", "s", target, [outage], CALENDAR_24X7, *_bounds(period))

    met, slight, bad = down(10), down(60), down(600)  # 100 %, 99.861 %, 98.611 %
    rows = [met, slight, bad]
    assert availability_credit(rows, 0.05, ()) == pytest.approx(0.10)  # type: ignore[arg-type]
    steps = ((99.0, 0.10), (99.9, 0.05))
    assert availability_credit(rows, 0.0, steps) == pytest.approx(0.15)  # type: ignore[arg-type]
    # a breach of a lower target reaching no step earns nothing by steps
    assert availability_credit([down(300, 99.95)], 0.0, ((99.0, 0.1),)) == 0  # type: ignore[list-item]


# -- the union against a brute-force count -------------------------------------------------
_BASE = datetime(2026, 10, 24, 0, 0, tzinfo=KYIV)  # spans the clock change of the 25th


@st.composite
def _outages(draw: st.DrawFn) -> list[Outage]:
    items = []
    for i in range(draw(st.integers(0, 6))):
        start = draw(st.integers(-120, 2 * 24 * 60))
        length = draw(st.one_of(st.none(), st.integers(0, 24 * 60)))
        items.append(
            Outage(
                _BASE + timedelta(minutes=start),
                None if length is None else _BASE + timedelta(minutes=start + length),
                f"SUP-{i}",
            )
        )
    return items


@settings(max_examples=30, deadline=None)
@given(_outages(), st.booleans())
def test_the_union_matches_a_minute_by_minute_count(outages: list[Outage], business: bool) -> None:
    since = _BASE + timedelta(hours=6)
    until = _BASE + timedelta(days=1, hours=18)  # past the clock change on the 25th
    calendar = BUSINESS if business else CALENDAR_24X7
    r = service_availability("a", "s", 99.9, outages, calendar, since, until)
    expected = down_minutes_by_enumeration(
        outages, since, until, BUSINESS.is_open if business else None
    )
    assert r.downtime_seconds / 60 == expected
    merged = merge(outages, since, until)
    for (_, end, _), (start, _, _) in itertools.pairwise(merged):
        assert end < start  # merged intervals neither overlap nor touch
