"""Business calendars: when the SLA clock runs, and how much business time lies between instants.

Pure module: no I/O, no clock, no git. Every instant that goes in must be timezone-aware;
every instant that comes out is in UTC.

Model. A calendar is open at instant ``t`` exactly when the local wall clock at ``t`` (in
the calendar's IANA time zone) shows a time inside one of the opening intervals of that
local date. Everything else follows from this one rule, including daylight saving time:

* on a spring-forward day the wall-clock times that do not exist are never open, so an
  interval ``02:00-04:00`` in Europe/Berlin lasts one real hour that day;
* on a fall-back day the repeated wall-clock times are open twice, so ``00:00-24:00``
  lasts 25 real hours and ``01:00-05:00`` lasts 5.

Which hours apply to a local date: an extra working day (``workdays``) gets Monday's hours,
even when it is a weekend or a public holiday; otherwise an extra holiday (``holidays``) or
a public holiday of ``country``/``subdivision`` is closed; otherwise a day the law of
``country`` makes a working one (Russia's working Saturdays, which a moved day off pays
for) gets Monday's hours too; otherwise the weekday's hours.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CALENDAR_24X7",
    "Calendar",
    "CalendarError",
    "calendar_from_config",
    "parse_hours",
]

Interval = tuple[time, time | None]
"""An opening interval in local wall time; an end of ``None`` means 24:00."""

WeekHours = dict[int, tuple[Interval, ...]]
"""Weekday (0 = Monday .. 6 = Sunday) -> opening intervals, sorted, not overlapping."""

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ONE_DAY = timedelta(days=1)
_WHOLE_DAY: tuple[Interval, ...] = ((time(0), None),)

# UTC offsets in tzdata stay within about -15h..+16h (historical local mean times included),
# so every instant whose local date is D lies in this window around D's midnight read as UTC.
_BEFORE_MIDNIGHT = timedelta(hours=17)
_AFTER_MIDNIGHT = timedelta(hours=41)
# Offset changes are found by sampling; no zone changes its offset twice within this step.
_SAMPLE_STEP = timedelta(hours=3)
# `add` walks forward in chunks; a calendar that stays shut this long has no opening hours
# at all (e.g. every weekday closed and no extra working days left), and looping forever
# would hang the caller.
_ADD_CHUNK = timedelta(days=7)
_MAX_CLOSED_SPAN = timedelta(days=3660)


class CalendarError(ValueError):
    """A calendar definition is wrong.

    ``path`` locates the culprit inside the calendar's configuration mapping, e.g.
    ``("hours", "mon-fri")`` or ``("holidays", 2)``, so that a config loader can point at
    the file line; it is empty when the problem is not tied to one key.
    """

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Calendar:
    """Opening hours in one time zone, with public and extra holidays and extra working days.

    Treat every field as immutable: computed days are cached on the instance.
    """

    name: str
    timezone: str
    hours: dict[int, tuple[tuple[time, time | None], ...]]
    country: str | None = None
    subdivision: str | None = None
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    # Caches and derived state. Not part of equality or repr; `dataclasses.replace` gives
    # the copy fresh ones.
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _week: WeekHours = field(init=False, repr=False, compare=False)
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _public: dict[int, tuple[frozenset[date], frozenset[date]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tz", _zone(self.timezone))
        object.__setattr__(self, "_week", _check_week(self.hours))
        if self.subdivision is not None and self.country is None:
            raise CalendarError("a subdivision needs a country", ("subdivision",))
        both = self.holidays & self.workdays
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise CalendarError(f"dates both holidays and workdays: {days}", ("workdays",))
        if self.workdays and not self._week.get(0):
            # Extra working days borrow Monday's hours; with Monday closed they would be
            # silently closed too, which is certainly not what the author meant.
            raise CalendarError("workdays get Monday's hours, but Monday is closed", ("workdays",))

    def __hash__(self) -> int:
        # The generated hash would fail on the `hours` dict; calendars are handy as keys.
        week = tuple(sorted(self._week.items()))
        return hash(
            (
                self.name,
                self.timezone,
                week,
                self.country,
                self.subdivision,
                self.holidays,
                self.workdays,
            )
        )

    # -- queries -----------------------------------------------------------------------

    def is_always_open(self) -> bool:
        """True when every instant is business time (whole days, every day, no holidays)."""
        return (
            all(self._week.get(wd) == _WHOLE_DAY for wd in range(7))
            and self.country is None
            and not self.holidays
        )

    def is_open(self, t: datetime) -> bool:
        """True when ``t`` lies inside an opening interval (the closing instant does not)."""
        u = _to_utc(t, "t")
        if self.is_always_open():
            return True
        return any(a <= u < b for a, b in self._day(u.astimezone(self._tz).date()))

    def next_open(self, t: datetime) -> datetime:
        """``t`` (in UTC) when open at ``t``, else the next opening instant."""
        u = _to_utc(t, "t")
        if self.is_always_open():
            return u
        for a, _b in self._intervals_from(u):
            return a
        raise AssertionError("unreachable: _intervals_from raises rather than ending")

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals in UTC, clipped to ``[start, end)``, in order, adjacent ones joined."""
        s, e = _to_utc(start, "start"), _to_utc(end, "end")
        if e <= s:
            return
        if self.is_always_open():
            yield s, e
            return
        merged: tuple[datetime, datetime] | None = None
        for a, b in self._clipped(s, e):
            if merged is not None and a <= merged[1]:
                merged = (merged[0], max(merged[1], b))
                continue
            if merged is not None:
                yield merged
            merged = (a, b)
        if merged is not None:
            yield merged

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds in ``[start, end)``; 0 when ``end <= start``.

        Exact for instants on whole seconds (sums are kept in integer microseconds).
        """
        s, e = _to_utc(start, "start"), _to_utc(end, "end")
        if e <= s:
            return 0.0
        if self.is_always_open():
            return (e - s).total_seconds()
        total = timedelta(0)
        for a, b in self._clipped(s, e):
            total += b - a
        return total.total_seconds()

    def add(self, start: datetime, seconds: float) -> datetime:
        """The due instant: ``seconds`` of business time after ``start``, in UTC.

        Defined as the earliest instant ``t >= start`` with ``elapsed(start, t) >= seconds``.
        Hence a clock started while closed starts at the next opening; a due time that
        falls on a closing time is that closing instant, not the next opening; and
        ``add(start, 0)`` is ``start`` itself (in UTC) even when closed.

        ``seconds`` is rounded to microseconds; negative, NaN and infinite values raise
        ``ValueError``.
        """
        s = _to_utc(start, "start")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"business seconds to add must be finite and >= 0, got {seconds!r}")
        # timedelta keeps integer microseconds, so whole-second results are exact.
        remaining = timedelta(seconds=seconds)
        if not remaining:
            return s
        if self.is_always_open():
            return s + remaining
        for a, b in self._intervals_from(s):
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        raise AssertionError("unreachable: _intervals_from raises rather than ending")

    # -- internals ---------------------------------------------------------------------

    def _intervals_from(self, s: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals after ``s``, unbounded; may split an interval at chunk edges."""
        cursor = s
        idle_since = s
        while True:
            stop = cursor + _ADD_CHUNK
            found = False
            for iv in self._clipped(cursor, stop):
                found = True
                yield iv
            if found:
                idle_since = stop
            elif stop - idle_since > _MAX_CLOSED_SPAN:
                raise ValueError(
                    f"calendar {self.name!r} is never open in the "
                    f"{_MAX_CLOSED_SPAN.days} days after {idle_since.isoformat()}"
                )
            cursor = stop

    def _clipped(self, s: datetime, e: datetime) -> list[tuple[datetime, datetime]]:
        """Day intervals clipped to ``[s, e)``, sorted; not merged across midnight."""
        # One spare day on each side costs little (days are cached) and stays correct even
        # where a zone's local date once ran backwards (19th-century date-line moves).
        d = s.astimezone(self._tz).date() - _ONE_DAY
        last = e.astimezone(self._tz).date() + _ONE_DAY
        out: list[tuple[datetime, datetime]] = []
        while d <= last:
            for a, b in self._day(d):
                a, b = max(a, s), min(b, e)
                if a < b:
                    out.append((a, b))
            d += _ONE_DAY
        out.sort()
        return out

    def _day(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """Opening intervals of local date ``d`` as UTC instants, sorted and joined."""
        cached = self._days.get(d)
        if cached is None:
            cached = _wall_to_utc(d, self._hours_on(d), self._tz)
            self._days[d] = cached
        return cached

    def _hours_on(self, d: date) -> tuple[Interval, ...]:
        if d in self.workdays:
            return self._week.get(0, ())
        if d in self.holidays:
            return ()
        days_off, working = self._public_year(d.year)
        if d in days_off:
            return ()
        if d in working:
            # A working day by law (a Saturday that pays for a moved day off) is worked
            # like an ordinary weekday; a calendar with Monday closed keeps its own hours.
            return self._week.get(0) or self._week.get(d.weekday(), ())
        return self._week.get(d.weekday(), ())

    def _public_year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """(public holidays, working days by law) of ``country`` in ``year``."""
        if self.country is None:
            return frozenset(), frozenset()
        found = self._public.get(year)
        if found is None:
            found = _public_days(self.country, self.subdivision, year)
            self._public[year] = found
        return found


def _wall_to_utc(
    d: date, hours: tuple[Interval, ...], zone: ZoneInfo
) -> tuple[tuple[datetime, datetime], ...]:
    """UTC instants whose wall-clock time on local date ``d`` lies in ``hours``.

    Within a stretch of constant UTC offset the wall clock is UTC shifted by that offset,
    so each interval maps to ``[start - offset, end - offset)`` cut to the stretch. Doing
    this stretch by stretch drops wall times skipped by DST and counts repeated ones twice.
    """
    if not hours:
        return ()
    midnight = datetime.combine(d, time(0), UTC)
    out: list[tuple[datetime, datetime]] = []
    for lo, hi, offset in _stretches(midnight - _BEFORE_MIDNIGHT, midnight + _AFTER_MIDNIGHT, zone):
        for start, end in hours:
            wall_start = datetime.combine(d, start, UTC)
            wall_end = midnight + _ONE_DAY if end is None else datetime.combine(d, end, UTC)
            a, b = max(lo, wall_start - offset), min(hi, wall_end - offset)
            if a < b:
                out.append((a, b))
    out.sort()
    joined: list[tuple[datetime, datetime]] = []
    for a, b in out:
        if joined and a <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], b))
        else:
            joined.append((a, b))
    return tuple(joined)


def _stretches(
    lo: datetime, hi: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime, timedelta]]:
    """Split ``[lo, hi)`` (UTC) into pieces of constant UTC offset in ``zone``."""
    # zoneinfo offers no list of transitions, so sample the offset and bisect each change
    # down to the second (tzdata transitions fall on whole seconds).
    out: list[tuple[datetime, datetime, timedelta]] = []
    piece_start, piece_offset = lo, _offset(lo, zone)
    prev = lo
    while prev < hi:
        nxt = min(prev + _SAMPLE_STEP, hi)
        if _offset(nxt, zone) != piece_offset:
            change = _first_change(prev, nxt, piece_offset, zone)
            out.append((piece_start, change, piece_offset))
            piece_start, piece_offset = change, _offset(change, zone)
        prev = nxt
    out.append((piece_start, hi, piece_offset))
    return out


def _first_change(good: datetime, bad: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """Earliest instant in ``(good, bad]`` whose offset is not ``offset``."""
    lo, hi = 0, int((bad - good).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(good + timedelta(seconds=mid), zone) == offset:
            lo = mid
        else:
            hi = mid
    return good + timedelta(seconds=hi)


def _offset(u: datetime, zone: ZoneInfo) -> timedelta:
    off = u.astimezone(zone).utcoffset()
    assert off is not None  # a ZoneInfo always knows its offset for an aware instant
    return off


def _public_days(
    country: str, subdivision: str | None, year: int
) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and the weekend days the law makes working, from `holidays`."""
    # A slow import (~70 ms), so only calendars that name a country pay for it.
    import holidays as holidays_lib

    try:
        found = holidays_lib.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:
        # The holidays package signals unknown countries and subdivisions this way.
        path: tuple[str | int, ...] = (
            ("subdivision",) if "subdivision" in str(exc) else ("country",)
        )
        raise CalendarError(f"holidays: {exc}", path) from exc
    # `weekend_workdays` lists e.g. Russia's Sat 2025-11-01, worked so that Mon 2025-11-03
    # could be a day off; it holds the days of the years asked for.
    working = frozenset(
        d for d in getattr(found, "weekend_workdays", ()) if d.year == year and d not in found
    )
    return frozenset(found.keys()), working


def _to_utc(t: datetime, what: str) -> datetime:
    if not isinstance(t, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {t.isoformat()}")
    return t.astimezone(UTC)


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(
            f"timezone must be an IANA name like 'Europe/Moscow', got {name!r}", ("timezone",)
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # ValueError covers malformed keys such as absolute paths or "..".
        raise CalendarError(
            f"unknown timezone {name!r}: expected an IANA name like 'Europe/Moscow'",
            ("timezone",),
        ) from exc


def _check_week(hours: Mapping[int, Any]) -> WeekHours:
    """Validate hand-built ``hours`` and return a sorted copy without closed days."""
    if not isinstance(hours, Mapping):
        raise CalendarError(f"hours must be a mapping, got {type(hours).__name__}", ("hours",))
    week: dict[int, tuple[Interval, ...]] = {}
    for wd, intervals in hours.items():
        if not isinstance(wd, int) or isinstance(wd, bool) or not 0 <= wd <= 6:
            raise CalendarError(
                f"hours: weekday must be 0 (Monday) .. 6 (Sunday), got {wd!r}", ("hours",)
            )
        day = _DAY_NAMES[wd]
        checked: list[Interval] = []
        for iv in intervals:
            if (
                not isinstance(iv, tuple)
                or len(iv) != 2
                or not isinstance(iv[0], time)
                or not (iv[1] is None or isinstance(iv[1], time))
            ):
                raise CalendarError(
                    f"hours[{day}]: expected (time, time | None), got {iv!r}", ("hours",)
                )
            start, end = iv
            if start.tzinfo is not None or (end is not None and end.tzinfo is not None):
                raise CalendarError(
                    f"hours[{day}]: times are local wall times, drop the tzinfo in {iv!r}",
                    ("hours",),
                )
            if end is not None and end <= start:
                hint = " (write None for 24:00)" if end == time(0) else ""
                raise CalendarError(
                    f"hours[{day}]: interval {_fmt(start, end)} ends before it starts{hint}",
                    ("hours",),
                )
            checked.append((start, end))
        checked.sort(key=lambda iv: iv[0])
        for (s1, e1), (s2, e2) in itertools.pairwise(checked):
            if e1 is None or e1 > s2:
                raise CalendarError(
                    f"hours[{day}]: intervals {_fmt(s1, e1)} and {_fmt(s2, e2)} overlap",
                    ("hours",),
                )
        if checked:
            week[wd] = tuple(checked)
    return week


def _fmt(start: time, end: time | None) -> str:
    return f"{start:%H:%M}-{'24:00' if end is None else f'{end:%H:%M}'}"


CALENDAR_24X7 = Calendar(name="24x7", timezone="UTC", hours=dict.fromkeys(range(7), _WHOLE_DAY))
"""Always open; exists without being declared in supportctl.yaml."""


# -- configuration -------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_CLOSED = ("", "closed")


def parse_hours(spec: Mapping[str, Any]) -> WeekHours:
    """Parse the ``hours:`` mapping of a calendar into weekday -> sorted opening intervals.

    Keys name days (``mon`` .. ``sun``), forward ranges (``mon-fri``) or comma lists
    (``sat,sun``, ``mon-wed,fri``); a day may be named by one key only. Values are comma
    separated ``HH:MM-HH:MM`` intervals; ``24:00`` may end one; ``00:00-24:00`` is the whole
    day; ``""``, ``closed`` or an empty YAML value mean closed. Unnamed days are closed.
    The result has all seven weekdays, closed ones with ``()``.
    """
    if not isinstance(spec, Mapping):
        raise CalendarError(
            f"hours must be a mapping like {{mon-fri: '09:00-18:00'}}, got {type(spec).__name__}",
            ("hours",),
        )
    week: dict[int, tuple[Interval, ...]] = dict.fromkeys(range(7), ())
    named_by: dict[int, str] = {}
    for key, value in spec.items():
        for wd in _parse_days(key):
            if wd in named_by:
                raise CalendarError(
                    f"hours: {_DAY_NAMES[wd]} is given twice, by {named_by[wd]!r} and {key!r}",
                    ("hours", key),
                )
            named_by[wd] = key
            week[wd] = _parse_intervals(key, value)
    return week


def _parse_days(key: object) -> list[int]:
    if not isinstance(key, str):
        raise CalendarError(
            f"hours: day key must be text like 'mon-fri', got {key!r}", ("hours", str(key))
        )
    days: list[int] = []
    for part in key.lower().split(","):
        ends = [p.strip() for p in part.split("-")]
        if len(ends) > 2 or any(p not in _DAY_NAMES for p in ends):
            raise CalendarError(
                f"hours: unknown day {part.strip()!r} in key {key!r}: "
                "expected mon, tue, wed, thu, fri, sat, sun, a range like mon-fri "
                "or a list like sat,sun",
                ("hours", key),
            )
        first, last = _DAY_NAMES.index(ends[0]), _DAY_NAMES.index(ends[-1])
        if last < first:
            raise CalendarError(
                f"hours: range {part.strip()!r} in key {key!r} runs backwards; "
                "ranges go mon..sun, use a list like 'fri-sun,mon'",
                ("hours", key),
            )
        days.extend(range(first, last + 1))
    return days


def _parse_intervals(key: str, value: object) -> tuple[Interval, ...]:
    if value is None:
        return ()
    if not isinstance(value, str):
        raise CalendarError(
            f"hours[{key!r}]: expected text like '09:00-13:00, 14:00-18:00', got {value!r}",
            ("hours", key),
        )
    if value.strip().lower() in _CLOSED:
        return ()
    intervals: list[Interval] = []
    for part in value.split(","):
        text = part.strip()
        bounds = [b.strip() for b in text.split("-")]
        if len(bounds) != 2:
            raise CalendarError(
                f"hours[{key!r}]: bad interval {text!r} in {value!r}: expected HH:MM-HH:MM",
                ("hours", key),
            )
        start = _parse_time(key, value, bounds[0])
        end = _parse_end(key, value, bounds[1])
        if end is not None and end <= start:
            raise CalendarError(
                f"hours[{key!r}]: interval {text!r} ends before it starts "
                "(opening hours cannot run past midnight; write 24:00 for the end of the day)",
                ("hours", key),
            )
        intervals.append((start, end))
    intervals.sort(key=lambda iv: iv[0])
    for (s1, e1), (s2, e2) in itertools.pairwise(intervals):
        if e1 is None or e1 > s2:
            raise CalendarError(
                f"hours[{key!r}]: intervals {_fmt(s1, e1)} and {_fmt(s2, e2)} overlap",
                ("hours", key),
            )
    return tuple(intervals)


def _parse_time(key: str, value: str, text: str) -> time:
    m = _TIME.fullmatch(text)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return time(int(m.group(1)), int(m.group(2)))
    raise CalendarError(
        f"hours[{key!r}]: bad time {text!r} in {value!r}: expected HH:MM from 00:00 to 23:59",
        ("hours", key),
    )


def _parse_end(key: str, value: str, text: str) -> time | None:
    # 24:00 is not a `time`; None stands for it, as in Calendar.hours.
    if text == "24:00":
        return None
    return _parse_time(key, value, text)


_CONFIG_KEYS = ("timezone", "hours", "country", "subdivision", "holidays", "workdays")


def calendar_from_config(name: str, data: Mapping[str, Any]) -> Calendar:
    """Build the calendar ``name`` from its mapping in supportctl.yaml.

    Raises ``CalendarError`` (a ``ValueError``) whose message starts with the calendar's
    name and whose ``path`` names the offending key.
    """
    try:
        return _calendar_from_config(name, data)
    except CalendarError as exc:
        raise CalendarError(f"calendar {name!r}: {exc}", exc.path) from exc


def _calendar_from_config(name: str, data: Mapping[str, Any]) -> Calendar:
    if name == CALENDAR_24X7.name:
        raise CalendarError("'24x7' is built in and cannot be redefined; pick another name")
    if not isinstance(data, Mapping):
        raise CalendarError(
            f"expected a mapping with timezone and hours, got {type(data).__name__}"
        )
    unknown = [k for k in data if k not in _CONFIG_KEYS]
    if unknown:
        raise CalendarError(
            f"unknown key {unknown[0]!r}: expected one of {', '.join(_CONFIG_KEYS)}",
            (str(unknown[0]),),
        )
    for required in ("timezone", "hours"):
        if required not in data:
            raise CalendarError(f"missing {required!r}", ())
    _zone(data["timezone"])  # report a bad zone before any problem in the hours
    hours = parse_hours(data["hours"])
    if not any(hours.values()):
        raise CalendarError("hours: every day is closed", ("hours",))
    country = _optional_text(data, "country")
    subdivision = _optional_text(data, "subdivision")
    calendar = Calendar(
        name=name,
        timezone=data["timezone"],
        hours=hours,
        country=country,
        subdivision=subdivision,
        holidays=_dates(data, "holidays"),
        workdays=_dates(data, "workdays"),
    )
    if country is not None:
        # Fail now, while the config is being read, not at the first SLA computation.
        _public_days(country, subdivision, 2000)
    return calendar


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CalendarError(f"{key} must be a code like 'RU', got {value!r}", (key,))
    return value.strip()


def _dates(data: Mapping[str, Any], key: str) -> frozenset[date]:
    value = data.get(key)
    if value is None:
        return frozenset()
    if isinstance(value, (str, date)) or not isinstance(value, (list, tuple)):
        raise CalendarError(
            f"{key} must be a list of dates like [2026-12-31], got {value!r}", (key,)
        )
    out: set[date] = set()
    for i, item in enumerate(value):
        # A YAML timestamp with a time part loads as datetime, itself a date subclass.
        if isinstance(item, date) and not isinstance(item, datetime):
            out.add(item)
            continue
        if isinstance(item, str):
            try:
                out.add(date.fromisoformat(item.strip()))
                continue
            except ValueError:
                pass
        raise CalendarError(f"{key}[{i}]: bad date {item!r}: expected YYYY-MM-DD", (key, i))
    return frozenset(out)
