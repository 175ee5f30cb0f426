"""Reporting periods: `--month 2026-10`, `--month last`, or `--since`/`--until` days.

Month boundaries are midnights in the desk's time zone (`timezone:` in supportctl.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportctl.domain.errors import UsageError

# Dates supportctl accepts on the command line: git cannot record a time before 1970, and
# a year such as 1 or 9999 is a typo (and overflows date arithmetic at the edges).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)


def check_day(day: date, option: str, text: str) -> date:
    """`day` when it lies from FIRST_DAY to LAST_DAY, else a usage error naming `option`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"bad {option} {text!r}: expected a date from {FIRST_DAY} to {LAST_DAY}")
    return day


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime  # exclusive
    label: str

    def previous(self) -> Period:
        """The month before a month period; the same length before any other period."""
        if self.label[:4].isdigit() and len(self.label) == 7:
            y, m = int(self.label[:4]), int(self.label[5:])
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
            return month_period(f"{y:04d}-{m:02d}", self.since.tzinfo)  # type: ignore[arg-type]
        length = self.until - self.since
        return Period(self.since - length, self.since, f"before {self.label}")


def _midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tz)


def month_period(month: str, tz: ZoneInfo) -> Period:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise UsageError(f"bad --month {month!r}: expected YYYY-MM or `last`") from None
    if not FIRST_DAY <= first <= LAST_DAY:
        raise UsageError(f"bad --month {month!r}: expected a month from 1970-01 to 2099-12")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period(_midnight(first, tz), _midnight(nxt, tz), first.strftime("%Y-%m"))


def _day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad {option} {text!r}: expected YYYY-MM-DD") from None
    return check_day(day, option, text)


def resolve_period(
    month: str | None, since: str | None, until: str | None, now: datetime, tz_name: str
) -> Period:
    """The period of `--month`, or of `--since` .. `--until` (both days included; without
    `--until`, up to today in the desk's zone)."""
    tz = ZoneInfo(tz_name)
    if month and (since or until):
        raise UsageError("give --month or --since/--until, not both")
    if month:
        if month == "last":
            local = now.astimezone(tz).date().replace(day=1) - timedelta(days=1)
            month = local.strftime("%Y-%m")
        elif month == "this":
            month = now.astimezone(tz).strftime("%Y-%m")
        return month_period(month, tz)
    if not since:
        raise UsageError("give --month YYYY-MM (or `last`), or --since DATE")
    start = _day(since, "--since")
    last = _day(until, "--until") if until else now.astimezone(tz).date()
    if last < start:
        raise UsageError("--until must not be before --since")
    label = f"{start.isoformat()}..{last.isoformat()}"
    return Period(_midnight(start, tz), _midnight(last + timedelta(days=1), tz), label)
