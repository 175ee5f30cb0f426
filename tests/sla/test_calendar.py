"""Business calendar: reference cases from other helpdesks, DST, holidays, config errors, and
properties checked against a brute-force wall-clock oracle."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.sla.calendar import (
    CALENDAR_24X7,
    Calendar,
    CalendarError,
    calendar_from_config,
    parse_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600


def at(
    zone: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0
) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=zone)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def make(
    zone: str, hours: dict[str, str], country: str | None = None, subdivision: str | None = None
) -> Calendar:
    return Calendar("test", zone, parse_hours(hours), country=country, subdivision=subdivision)


BERLIN_8_18 = make("Europe/Berlin", {"mon-fri": "08:00-18:00"})
UTC_9_17 = make("UTC", {"mon-fri": "09:00-17:00"})
BERLIN_24X7 = make("Europe/Berlin", {"mon-sun": "00:00-24:00"})
BERLIN_LUNCH = make("Europe/Berlin", {"mon-fri": "09:00-13:00, 14:00-19:00"})
MOSCOW_9_19 = make("Europe/Moscow", {"mon-fri": "09:00-19:00"})
RU_OFFICE = calendar_from_config(
    "office",
    {
        "timezone": "Europe/Moscow",
        "hours": {"mon-fri": "09:00-13:00, 14:00-18:00"},
        "country": "RU",
        "holidays": [date(2026, 6, 15)],
        "workdays": ["2026-10-31"],
    },
)
# Hours that straddle the DST switch in both zones (02:00-03:00 and 01:00-02:00 local).
BERLIN_NIGHT = make("Europe/Berlin", {"mon-sun": "01:00-05:00"})
NEW_YORK_NIGHT = make("America/New_York", {"mon-sun": "01:00-05:00"})


# -- reference cases (DESIGN.md) -----------------------------------------------------------


def test_reference_berlin_clock_started_on_sunday_starts_monday_morning() -> None:
    start = at(BERLIN, 2016, 1, 31, 12, 25, 30)
    due = BERLIN_8_18.add(start, 5 * HOUR)
    assert due == at(BERLIN, 2016, 2, 1, 13, 0, 0)
    assert due.tzinfo is UTC
    assert BERLIN_8_18.elapsed(start, due) == 5 * HOUR


def test_reference_berlin_carry_over_to_next_morning_keeps_seconds() -> None:
    due = BERLIN_8_18.add(at(BERLIN, 2016, 2, 1, 16, 59, 30), 3.5 * HOUR)
    assert due == at(BERLIN, 2016, 2, 2, 10, 29, 30)


def test_reference_utc_full_day_ends_at_closing_not_next_opening() -> None:
    assert UTC_9_17.add(utc(2016, 1, 29, 9), 8 * HOUR) == utc(2016, 1, 29, 17)


def test_reference_24x7_berlin_spring_forward_is_48_hours_not_49() -> None:
    start, end = at(BERLIN, 2016, 3, 26, 22, 24, 39), at(BERLIN, 2016, 3, 28, 23, 24, 39)
    assert BERLIN_24X7.elapsed(start, end) == 48 * HOUR
    assert BERLIN_24X7.add(start, 48 * HOUR) == end


# -- ordinary days ---------------------------------------------------------------------------


def test_lunch_break_is_skipped() -> None:
    mon = (2026, 2, 2)
    assert BERLIN_LUNCH.elapsed(at(BERLIN, *mon, 12), at(BERLIN, *mon, 15)) == 2 * HOUR
    assert BERLIN_LUNCH.add(at(BERLIN, *mon, 12, 30), HOUR) == at(BERLIN, *mon, 14, 30)
    assert not BERLIN_LUNCH.is_open(at(BERLIN, *mon, 13, 30))
    assert BERLIN_LUNCH.next_open(at(BERLIN, *mon, 13, 30)) == at(BERLIN, *mon, 14)


def test_due_exactly_at_lunch_or_evening_closing_is_that_instant() -> None:
    mon = (2026, 2, 2)
    assert BERLIN_LUNCH.add(at(BERLIN, *mon, 9), 4 * HOUR) == at(BERLIN, *mon, 13)
    assert BERLIN_LUNCH.add(at(BERLIN, *mon, 9), 4 * HOUR + 1) == at(BERLIN, *mon, 14, 0, 1)
    assert BERLIN_LUNCH.add(at(BERLIN, *mon, 9), 9 * HOUR) == at(BERLIN, *mon, 19)
    assert not BERLIN_LUNCH.is_open(at(BERLIN, *mon, 19))
    assert BERLIN_LUNCH.is_open(at(BERLIN, *mon, 18, 59, 59))


def test_weekend_is_skipped() -> None:
    fri, mon = (2026, 2, 6), (2026, 2, 9)
    assert BERLIN_LUNCH.add(at(BERLIN, *fri, 18, 30), HOUR) == at(BERLIN, *mon, 9, 30)
    assert BERLIN_LUNCH.elapsed(at(BERLIN, *fri, 18), at(BERLIN, *mon, 10)) == 2 * HOUR
    assert BERLIN_LUNCH.next_open(at(BERLIN, 2026, 2, 7, 12)) == at(BERLIN, *mon, 9)


def test_night_between_working_days_is_paused() -> None:
    start, end = at(MOSCOW, 2026, 2, 2, 18, 30), at(MOSCOW, 2026, 2, 3, 9, 30)
    # 18:30-19:00 on Monday plus 09:00-09:30 on Tuesday; the night does not count.
    assert MOSCOW_9_19.elapsed(start, end) == 60 * 60
    # Started after closing, only Tuesday's half hour counts.
    assert make("Europe/Moscow", {"mon-fri": "09:00-18:00"}).elapsed(start, end) == 30 * 60


def test_clock_started_before_opening_starts_at_opening() -> None:
    assert UTC_9_17.add(utc(2026, 2, 2, 3, 17), 60) == utc(2026, 2, 2, 9, 1)
    assert UTC_9_17.elapsed(utc(2026, 2, 2, 3, 17), utc(2026, 2, 2, 9, 1)) == 60


def test_elapsed_is_zero_for_empty_or_reversed_spans() -> None:
    t = utc(2026, 2, 2, 10)
    assert UTC_9_17.elapsed(t, t) == 0
    assert UTC_9_17.elapsed(t, t - timedelta(hours=1)) == 0
    assert list(UTC_9_17.intervals(t, t)) == []


def test_add_zero_returns_start_even_when_closed() -> None:
    saturday = at(BERLIN, 2026, 2, 7, 12)
    assert BERLIN_LUNCH.add(saturday, 0) == saturday
    assert BERLIN_LUNCH.add(saturday, 0).tzinfo is UTC
    assert BERLIN_LUNCH.next_open(saturday) == at(BERLIN, 2026, 2, 9, 9)


def test_fractional_seconds_are_kept() -> None:
    assert UTC_9_17.add(utc(2026, 2, 2, 16, 59), 90.5) == utc(2026, 2, 3, 9, 0, 30, 500000)
    assert UTC_9_17.elapsed(utc(2026, 2, 2, 16, 59), utc(2026, 2, 3, 9, 0, 30, 500000)) == 90.5


def test_intervals_are_clipped_and_joined_across_midnight() -> None:
    got = list(BERLIN_LUNCH.intervals(at(BERLIN, 2026, 2, 6, 10), at(BERLIN, 2026, 2, 9, 10)))
    assert got == [
        (at(BERLIN, 2026, 2, 6, 10), at(BERLIN, 2026, 2, 6, 13)),
        (at(BERLIN, 2026, 2, 6, 14), at(BERLIN, 2026, 2, 6, 19)),
        (at(BERLIN, 2026, 2, 9, 9), at(BERLIN, 2026, 2, 9, 10)),
    ]
    weekdays_whole = make("UTC", {"mon-fri": "00:00-24:00"})
    assert list(weekdays_whole.intervals(utc(2026, 2, 5, 12), utc(2026, 2, 10))) == [
        (utc(2026, 2, 5, 12), utc(2026, 2, 7)),
        (utc(2026, 2, 9), utc(2026, 2, 10)),
    ]


def test_naive_datetimes_and_bad_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UTC_9_17.elapsed(datetime(2026, 1, 1), utc(2026, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        UTC_9_17.is_open(datetime(2026, 1, 1))
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite and >= 0"):
            UTC_9_17.add(utc(2026, 1, 1), bad)


def test_calendar_that_never_opens_raises_instead_of_hanging() -> None:
    closed = make("UTC", {})
    assert closed.elapsed(utc(2026, 1, 1), utc(2027, 1, 1)) == 0
    with pytest.raises(ValueError, match="never open"):
        closed.add(utc(2026, 1, 1), 1)


# -- 24x7 ------------------------------------------------------------------------------------


def test_builtin_24x7() -> None:
    assert CALENDAR_24X7.name == "24x7"
    assert CALENDAR_24X7.is_always_open()
    t = at(BERLIN, 2026, 3, 28, 23, 30)
    assert CALENDAR_24X7.is_open(t)
    assert CALENDAR_24X7.next_open(t) == t
    # Real time, not wall time: Berlin springs forward that night.
    assert CALENDAR_24X7.add(t, 86400) == at(BERLIN, 2026, 3, 30, 0, 30)
    assert CALENDAR_24X7.elapsed(t, at(BERLIN, 2026, 5, 7, 23, 30)) == 40 * 86400 - HOUR
    assert list(CALENDAR_24X7.intervals(t, t + timedelta(hours=1))) == [(t, t + timedelta(hours=1))]


def test_always_open_only_without_holidays_or_gaps() -> None:
    assert BERLIN_24X7.is_always_open()
    assert not BERLIN_LUNCH.is_always_open()
    assert not make("UTC", {"mon-sat": "00:00-24:00"}).is_always_open()
    with_holiday = dataclasses.replace(BERLIN_24X7, holidays=frozenset({date(2026, 1, 1)}))
    assert not with_holiday.is_always_open()
    assert with_holiday.elapsed(at(BERLIN, 2025, 12, 31), at(BERLIN, 2026, 1, 3)) == 2 * 86400


# -- holidays and extra working days ---------------------------------------------------------


def test_ru_new_year_holidays_are_closed() -> None:
    for day in range(1, 10):  # 1-8 January, plus the 9th moved from Saturday the 3rd
        assert not RU_OFFICE.is_open(at(MOSCOW, 2026, 1, day, 10)), day
    assert RU_OFFICE.is_open(at(MOSCOW, 2026, 1, 12, 10))
    # 29 and 30 December, then 31 December (moved day off) to 11 January closed, then 12th.
    start, end = at(MOSCOW, 2025, 12, 29), at(MOSCOW, 2026, 1, 13)
    assert RU_OFFICE.elapsed(start, end) == 3 * 8 * HOUR


def test_clock_created_on_a_holiday_starts_at_first_working_morning() -> None:
    created = at(MOSCOW, 2026, 1, 2, 10)
    assert RU_OFFICE.next_open(created) == at(MOSCOW, 2026, 1, 12, 9)
    assert RU_OFFICE.add(created, 5 * HOUR) == at(MOSCOW, 2026, 1, 12, 15)


def test_extra_holiday_after_public_holiday_and_weekend() -> None:
    # Thursday 11 June; Friday 12 June is Russia Day; Monday 15 June is the extra holiday.
    assert RU_OFFICE.next_open(at(MOSCOW, 2026, 6, 11, 18)) == at(MOSCOW, 2026, 6, 16, 9)
    start, end = at(MOSCOW, 2026, 6, 11, 17), at(MOSCOW, 2026, 6, 16, 10)
    assert RU_OFFICE.elapsed(start, end) == 2 * HOUR


def test_extra_working_saturday_gets_mondays_hours() -> None:
    saturday = (2026, 10, 31)
    assert RU_OFFICE.is_open(at(MOSCOW, *saturday, 10))
    assert not RU_OFFICE.is_open(at(MOSCOW, *saturday, 13, 30))
    start, end = at(MOSCOW, 2026, 10, 30, 17), at(MOSCOW, 2026, 11, 2, 10)
    assert RU_OFFICE.elapsed(start, end) == (1 + 8 + 1) * HOUR


def test_ru_working_saturday_by_law_is_worked_with_mondays_hours() -> None:
    # Sat 1 November 2025 is worked so that Mon 3 November can be a day off.
    saturday = (2025, 11, 1)
    assert RU_OFFICE.is_open(at(MOSCOW, *saturday, 10))
    assert not RU_OFFICE.is_open(at(MOSCOW, *saturday, 13, 30))
    assert not RU_OFFICE.is_open(at(MOSCOW, 2025, 11, 3, 10))
    # Fri 31 Oct 17:00 -> Tue 4 Nov 10:00: 1h Friday, 8h Saturday, Mon 3 and Tue 4 (holiday) off
    start, end = at(MOSCOW, 2025, 10, 31, 17), at(MOSCOW, 2025, 11, 5, 10)
    assert RU_OFFICE.elapsed(start, end) == (1 + 8 + 1) * HOUR
    assert RU_OFFICE.add(at(MOSCOW, 2025, 10, 31, 17), 2 * HOUR) == at(MOSCOW, 2025, 11, 1, 10)
    # the other working Saturdays of 2024 too
    for day in (date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28)):
        assert RU_OFFICE.is_open(at(MOSCOW, day.year, day.month, day.day, 10)), day


def test_explicit_holiday_wins_over_a_working_saturday_by_law() -> None:
    cal = calendar_from_config(
        "office",
        {
            "timezone": "Europe/Moscow",
            "hours": {"mon-fri": "09:00-18:00"},
            "country": "RU",
            "holidays": ["2025-11-01"],
        },
    )
    assert not cal.is_open(at(MOSCOW, 2025, 11, 1, 10))
    without_country = make("Europe/Moscow", {"mon-fri": "09:00-18:00"})
    assert not without_country.is_open(at(MOSCOW, 2025, 11, 1, 10))


def test_extra_working_day_wins_over_public_holiday() -> None:
    cal = dataclasses.replace(RU_OFFICE, workdays=frozenset({date(2026, 1, 5)}))
    assert cal.is_open(at(MOSCOW, 2026, 1, 5, 9))
    assert cal.next_open(at(MOSCOW, 2026, 1, 2, 10)) == at(MOSCOW, 2026, 1, 5, 9)


def test_subdivision_holidays() -> None:
    bavaria = make("Europe/Berlin", {"mon-fri": "09:00-17:00"}, country="DE", subdivision="BY")
    berlin = make("Europe/Berlin", {"mon-fri": "09:00-17:00"}, country="DE", subdivision="BE")
    epiphany = at(BERLIN, 2026, 1, 6, 10)  # a holiday in Bavaria, not in Berlin
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


# -- daylight saving time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "day", "hours"),
    [
        (BERLIN_NIGHT, (2026, 3, 29), 3),  # 02:00-03:00 does not exist
        (BERLIN_NIGHT, (2026, 10, 25), 5),  # 02:00-03:00 happens twice
        (NEW_YORK_NIGHT, (2026, 3, 8), 3),  # 02:00-03:00 does not exist
        (NEW_YORK_NIGHT, (2026, 11, 1), 5),  # 01:00-02:00 happens twice
        (BERLIN_NIGHT, (2026, 3, 30), 4),
        (make("Europe/Berlin", {"sun": "02:00-04:00"}), (2026, 3, 29), 1),
        (make("Europe/Berlin", {"sun": "02:15-02:45"}), (2026, 3, 29), 0),
        (make("Europe/Berlin", {"sun": "02:00-03:00"}), (2026, 10, 25), 2),
        (make("America/New_York", {"sun": "02:00-04:00"}), (2026, 11, 1), 2),
        (make("Europe/Berlin", {"sun": "00:00-24:00"}), (2026, 3, 29), 23),
        (make("Europe/Berlin", {"sun": "00:00-24:00"}), (2026, 10, 25), 25),
        (make("America/New_York", {"sun": "00:00-24:00"}), (2026, 11, 1), 25),
        (BERLIN_24X7, (2026, 10, 25), 25),
    ],
)
def test_business_hours_on_dst_days(cal: Calendar, day: tuple[int, int, int], hours: int) -> None:
    zone = ZoneInfo(cal.timezone)
    start = datetime.combine(date(*day), time(0), zone)
    end = datetime.combine(date(*day) + timedelta(days=1), time(0), zone)
    assert cal.elapsed(start, end) == hours * HOUR


def test_dst_day_intervals_in_utc() -> None:
    spring = list(BERLIN_NIGHT.intervals(at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 29, 12)))
    assert spring == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))]  # 01:00 CET-05:00 CEST
    fall = list(BERLIN_NIGHT.intervals(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)))
    assert fall == [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 4))]  # 01:00 CEST-05:00 CET
    # 02:30-04:00 on the fall-back day: 02:30-03:00 CEST, then 02:30-04:00 CET, but the
    # first half hour after the switch reads 02:00-02:30 and stays closed.
    cal = make("Europe/Berlin", {"sun": "02:30-04:00"})
    assert list(cal.intervals(utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)),
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 3)),
    ]


def test_add_across_dst_switches() -> None:
    # New York, 8 March 2026: 01:00 EST + 1h reaches 03:00 EDT, then 30 more minutes.
    due = NEW_YORK_NIGHT.add(at(NEW_YORK, 2026, 3, 8, 1), 90 * 60)
    assert due == utc(2026, 3, 8, 7, 30)
    assert due.astimezone(NEW_YORK).hour == 3
    # Berlin, 25 October 2026: from 01:00 CEST, 4.5h of opening ends at 04:30 CET.
    due = BERLIN_NIGHT.add(utc(2026, 10, 24, 23), 4.5 * HOUR)
    assert due == utc(2026, 10, 25, 3, 30)
    # A spring-forward interval that vanishes entirely is skipped to the next day.
    gap = make("Europe/Berlin", {"sun": "02:15-02:45"})
    assert gap.next_open(at(BERLIN, 2026, 3, 28, 12)) == at(BERLIN, 2026, 4, 5, 2, 15)
    assert not gap.is_open(utc(2026, 3, 29, 1, 30))


# -- parsing and configuration ---------------------------------------------------------------


def test_parse_hours() -> None:
    got = parse_hours(
        {
            "mon-wed,fri": "14:00-19:00, 09:00-13:00",
            "thu": "00:00-24:00",
            "sat": "closed",
            "sun": "",
        }
    )
    split = ((time(9), time(13)), (time(14), time(19)))
    assert got == {0: split, 1: split, 2: split, 3: ((time(0), None),), 4: split, 5: (), 6: ()}
    assert parse_hours({"Sat, Sun": "10:00-14:00"})[6] == ((time(10), time(14)),)
    assert parse_hours({}) == dict.fromkeys(range(7), ())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"mon": "09:00-13:00, 12:00-18:00"},
            r"hours\['mon'\]: intervals 09:00-13:00 and 12:00-18:00 overlap",
        ),
        ({"mon": "00:00-24:00, 10:00-11:00"}, "overlap"),
        ({"tue": "18:00-09:00"}, r"hours\['tue'\]: interval '18:00-09:00' ends before it starts"),
        ({"tue": "09:00-09:00"}, "ends before it starts"),
        ({"wed": "09:00-25:00"}, r"hours\['wed'\]: bad time '25:00'"),
        ({"wed": "24:00-24:00"}, r"bad time '24:00'"),
        ({"wed": "9h-18h"}, "bad time '9h'"),
        ({"wed": "09:60-18:00"}, "bad time '09:60'"),
        ({"thu": "09:00"}, r"bad interval '09:00'.*expected HH:MM-HH:MM"),
        ({"thu": "09:00-12:00-13:00"}, "bad interval"),
        ({"thu": 9}, r"hours\['thu'\]: expected text"),
        ({"mon-fry": "09:00-18:00"}, "unknown day 'mon-fry' in key 'mon-fry'"),
        ({"weekdays": "09:00-18:00"}, "unknown day 'weekdays'"),
        ({"fri-mon": "09:00-18:00"}, "runs backwards"),
        (
            {"mon-fri": "09:00-18:00", "fri": "09:00-16:00"},
            "fri is given twice, by 'mon-fri' and 'fri'",
        ),
    ],
)
def test_parse_hours_errors(spec: dict[str, str], message: str) -> None:
    with pytest.raises(CalendarError, match=message) as info:
        parse_hours(spec)
    assert info.value.path[0] == "hours"


def test_calendar_from_config_matches_design_example() -> None:
    cal = calendar_from_config(
        "office",
        {
            "timezone": "Europe/Moscow",
            "hours": {"mon-fri": "09:00-13:00, 14:00-19:00", "sat": "10:00-14:00"},
            "country": "RU",
            "holidays": [date(2026, 12, 31)],
            "workdays": [date(2026, 11, 1)],
        },
    )
    assert cal.name == "office"
    assert cal.hours[5] == ((time(10), time(14)),)
    assert cal.holidays == {date(2026, 12, 31)}
    assert cal.workdays == {date(2026, 11, 1)}
    assert not cal.is_open(at(MOSCOW, 2026, 12, 31, 10))
    assert cal.is_open(at(MOSCOW, 2026, 11, 1, 18))  # a Sunday with Monday's hours
    assert hash(cal) == hash(dataclasses.replace(cal))
    assert cal == dataclasses.replace(cal)


@pytest.mark.parametrize(
    ("data", "message", "path"),
    [
        ({"timezone": "Europe/Moskow", "hours": {}}, "unknown timezone 'Europe/Moskow'", ("timezone",)),
        ({"timezone": "/etc/passwd", "hours": {}}, "unknown timezone", ("timezone",)),
        ({"timezone": "", "hours": {}}, "timezone must be an IANA name", ("timezone",)),
        ({"hours": {"mon": "09:00-18:00"}}, "missing 'timezone'", ()),
        ({"timezone": "UTC"}, "missing 'hours'", ()),
        ({"timezone": "UTC", "hours": {}}, "every day is closed", ("hours",)),
        ({"timezone": "UTC", "hours": "mon-fri"}, "hours must be a mapping", ("hours",)),
        ({"timezone": "UTC", "hours": {"mon": "9-18"}}, "bad time '9'", ("hours", "mon")),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "country": "XX"}, "Country XX not available", ("country",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "country": "DE", "subdivision": "ZZ"}, "subdivision ZZ", ("subdivision",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "subdivision": "BY"}, "a subdivision needs a country", ("subdivision",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "country": 7}, "country must be a code", ("country",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "holidays": ["2026-02-30"]}, r"holidays\[0\]: bad date '2026-02-30'", ("holidays", 0)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "holidays": [date(2026, 1, 1), datetime(2026, 1, 2, 9)]}, r"holidays\[1\]: bad date", ("holidays", 1)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "workdays": "2026-11-01"}, "workdays must be a list of dates", ("workdays",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "holidays": ["2026-11-01"], "workdays": ["2026-11-01"]}, "both holidays and workdays: 2026-11-01", ("workdays",)),
        ({"timezone": "UTC", "hours": {"tue": "09:00-18:00"}, "workdays": ["2026-11-01"]}, "Monday is closed", ("workdays",)),
        ({"timezone": "UTC", "hours": {"mon": "09:00-18:00"}, "tz": "UTC"}, "unknown key 'tz'", ("tz",)),
        ([], "expected a mapping", ()),
    ],
)  # fmt: skip
def test_calendar_from_config_errors(
    data: dict[str, object], message: str, path: tuple[str | int, ...]
) -> None:
    with pytest.raises(CalendarError, match=message) as info:
        calendar_from_config("office", data)
    assert str(info.value).startswith("calendar 'office': ")
    assert info.value.path == path


def test_24x7_cannot_be_redeclared() -> None:
    with pytest.raises(ValueError, match="'24x7' is built in"):
        calendar_from_config("24x7", {"timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}})


def test_hand_built_hours_are_checked() -> None:
    with pytest.raises(ValueError, match="write None for 24:00"):
        Calendar("x", "UTC", {0: ((time(22), time(0)),)})
    with pytest.raises(ValueError, match="overlap"):
        Calendar("x", "UTC", {0: ((time(12), None), (time(9), time(13)))})
    with pytest.raises(ValueError, match="weekday must be 0"):
        Calendar("x", "UTC", {7: ()})


def test_long_spans_are_fast() -> None:
    fresh = dataclasses.replace(RU_OFFICE)  # empty caches
    began = timer.perf_counter()
    seconds = fresh.elapsed(at(MOSCOW, 2024, 1, 1), at(MOSCOW, 2027, 1, 1))
    assert timer.perf_counter() - began < 1.0
    # about 247 working days a year at 8 hours
    assert 3 * 240 * 8 * HOUR < seconds < 3 * 252 * 8 * HOUR


# -- properties ------------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    BERLIN_LUNCH,
    RU_OFFICE,
    CALENDAR_24X7,
    BERLIN_NIGHT,
    NEW_YORK_NIGHT,
    make("America/New_York", {"mon-fri": "08:30-17:00", "sun": "00:00-24:00"}),
]
DST_SWITCHES = [
    utc(2025, 3, 30, 1),
    utc(2025, 10, 26, 1),
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2027, 3, 14, 7),
]

calendars = st.sampled_from(PROPERTY_CALENDARS)
# Mostly anywhere in three years, often within 18 hours of a DST switch.
instants = st.one_of(
    st.integers(0, 3 * 365 * 86400).map(lambda s: utc(2025, 1, 1) + timedelta(seconds=s)),
    st.builds(
        lambda base, s: base + timedelta(seconds=s),
        st.sampled_from(DST_SWITCHES),
        st.integers(-18 * HOUR, 18 * HOUR),
    ),
)
spans = st.integers(0, 40 * 86400).map(lambda s: timedelta(seconds=s))
amounts = st.integers(0, 300 * HOUR)
PROPERTY = settings(max_examples=200, deadline=None)


@functools.cache
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision, years=year))


@functools.cache
def working_by_law(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(
        holidays_lib.country_holidays(country, subdiv=subdivision, years=year).weekend_workdays
    )


def wall_clock_open(cal: Calendar, t: datetime) -> bool:
    """The definition, read straight off the local wall clock: an independent oracle."""
    local = t.astimezone(ZoneInfo(cal.timezone))
    day = local.date()
    if day in cal.workdays:
        spans = cal.hours.get(0, ())
    elif day in cal.holidays or (
        cal.country and day in public_holidays(cal.country, cal.subdivision, day.year)
    ):
        spans = ()
    elif cal.country and day in working_by_law(cal.country, cal.subdivision, day.year):
        spans = cal.hours.get(0, ())
    else:
        spans = cal.hours.get(day.weekday(), ())
    wall = local.time()
    return any(start <= wall and (end is None or wall < end) for start, end in spans)


@PROPERTY
@given(calendars, instants, amounts)
def test_add_then_elapsed_round_trips(cal: Calendar, start: datetime, seconds: int) -> None:
    due = cal.add(start, seconds)
    assert due >= start
    assert cal.elapsed(start, due) == seconds
    if seconds:
        # ...and `due` is the earliest such instant.
        assert cal.elapsed(start, due - timedelta(seconds=1)) < seconds


@PROPERTY
@given(calendars, instants, spans)
def test_business_time_never_exceeds_wall_time(cal: Calendar, a: datetime, d: timedelta) -> None:
    assert 0 <= cal.elapsed(a, a + d) <= d.total_seconds()


@PROPERTY
@given(calendars, instants, spans, spans)
def test_elapsed_is_additive_and_monotone(
    cal: Calendar, a: datetime, d1: timedelta, d2: timedelta
) -> None:
    b, c = a + d1, a + d1 + d2
    ab, bc, ac = cal.elapsed(a, b), cal.elapsed(b, c), cal.elapsed(a, c)
    assert ab + bc == ac
    assert ab <= ac
    assert bc <= ac


@PROPERTY
@given(calendars, instants, spans)
def test_intervals_are_ordered_disjoint_and_sum_to_elapsed(
    cal: Calendar, a: datetime, d: timedelta
) -> None:
    got = list(cal.intervals(a, a + d))
    for lo, hi in got:
        assert a <= lo < hi <= a + d
    for (_, hi), (lo, _) in itertools.pairwise(got):
        assert hi < lo  # touching intervals are joined
    assert sum((hi - lo for lo, hi in got), timedelta()).total_seconds() == cal.elapsed(a, a + d)


@PROPERTY
@given(calendars, instants)
def test_is_open_and_next_open_follow_the_wall_clock(cal: Calendar, t: datetime) -> None:
    assert cal.is_open(t) == wall_clock_open(cal, t)
    n = cal.next_open(t)
    assert n >= t
    assert cal.is_open(n)
    assert cal.elapsed(t, n) == 0
    assert (n == t) == cal.is_open(t)


@settings(max_examples=60, deadline=None)
@given(calendars, instants, st.integers(0, 30 * 60))
def test_elapsed_counts_open_minutes_on_the_wall_clock(
    cal: Calendar, t: datetime, minutes: int
) -> None:
    # Opening hours and these zones' offsets are whole minutes, so openness is constant
    # within each minute and a minute-by-minute count is exact.
    start = t.replace(second=0)
    expected = 60 * sum(wall_clock_open(cal, start + timedelta(minutes=k)) for k in range(minutes))
    assert cal.elapsed(start, start + timedelta(minutes=minutes)) == expected
