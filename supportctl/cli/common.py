"""Helpers shared by the command modules: opening the repo, parsing times and text input."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from supportctl.domain.errors import UsageError
from supportctl.domain.periods import FIRST_DAY, LAST_DAY, check_day

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk


def repo(*, check_config: bool = True) -> Desk:
    """The support repo, its committed configuration read and checked: a mistake in it
    stops every command (exit 4). Not for `validate`, which reads the work tree's
    supportctl.yaml itself, nor for `sync`, which may be what brings the fix."""
    from supportctl.cli import out
    from supportctl.cli.root import state
    from supportctl.config.settings import CONFIG_NAME
    from supportctl.storage.desk import open_repo

    r = open_repo(state.repo, notify=out.warn)
    if sys.stderr.isatty():  # a person is waiting; a script reads stderr as text
        r.progress = out.ScanBar()
    if check_config:
        if not r.config_committed:
            out.warn(
                f"{CONFIG_NAME} is not committed yet; commit it so that every clone computes "
                f"with it: git add {CONFIG_NAME} && git commit -m 'Configuration'"
            )
        elif r.config_changed:
            out.warn(
                f"{CONFIG_NAME} has uncommitted changes, which are not used until they are "
                f"committed: git commit {CONFIG_NAME} -m '...'"
            )
        r.config  # noqa: B018  (read now: a broken configuration stops every command)
    return r


# Times given on the command line lie on the days periods.py accepts (git cannot record an
# author date before 1970; a year 1 or 9999 is a typo), read in UTC.
EARLIEST = datetime.combine(FIRST_DAY, time(0), UTC)
LATEST = datetime.combine(LAST_DAY + timedelta(days=1), time(0), UTC)  # exclusive


def desk_zone() -> ZoneInfo:
    """The desk's time zone (`timezone:` in supportctl.yaml)."""
    # the command has opened the repo and said what there is to say of its configuration
    return ZoneInfo(repo(check_config=False).config.timezone)


def parse_when(text: str | None, what: str = "--at") -> datetime | None:
    """ISO 8601 date-time; without an offset it is wall time in the desk's time zone.

    The one parser of `--at`, `--now` and SUPPORTCTL_NOW. A wall time that the desk's zone
    skips (clocks going forward) or shows twice (going back) is refused: give the offset.
    """
    if text is None or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"bad {what} {text!r}: expected ISO 8601 like 2026-10-05T14:30+03:00"
        ) from None
    if when.tzinfo is None:
        when = _desk_wall_time(when, text, what)
    try:
        too_early, too_late = when < EARLIEST, when >= LATEST
    except OverflowError:  # 0001-01-01T00:00+01:00 lies before datetime.min in UTC
        too_early, too_late = True, False
    if too_early:
        raise UsageError(f"bad {what} {text!r}: before 1970-01-01T00:00Z, which git cannot record")
    if too_late:
        raise UsageError(f"bad {what} {text!r}: expected a time before the year 2100")
    return when


def _desk_wall_time(naive: datetime, text: str, what: str) -> datetime:
    zone = desk_zone()
    if not EARLIEST.replace(tzinfo=None) <= naive < LATEST.replace(tzinfo=None):
        return naive.replace(tzinfo=UTC)  # out of range whatever the zone: refused by the caller
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold tells the two readings of a repeated wall time apart, and gives two offsets
        # for a skipped one too; a skipped one does not survive the trip through UTC
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise UsageError(
                f"bad {what} {text!r}: that wall time does not exist in {zone.key} "
                "(the clocks went forward); give the offset"
            )
        raise UsageError(
            f"bad {what} {text!r}: that wall time happens twice in {zone.key} "
            f"(the clocks went back); give the offset: {_offset(first)} or {_offset(second)}"
        )
    return first


def _offset(t: datetime) -> str:
    return t.isoformat()[-6:]


def parse_now(text: str | None) -> datetime:
    """`--now`, else SUPPORTCTL_NOW, else the wall clock (the only place it is read), to the
    second like every time in git history."""
    raw = text or os.environ.get("SUPPORTCTL_NOW")
    when = parse_when(raw, "--now") if raw else None
    return when or datetime.now().astimezone().replace(microsecond=0)


def parse_day(text: str | None, what: str = "--on") -> date | None:
    """A date like 2026-10-05, from periods.FIRST_DAY to periods.LAST_DAY."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: expected a date like 2026-10-05") from None
    return check_day(day, what, text)


def read_text_input(text: str | None, file: str | None, what: str, file_option: str = "") -> str:
    """Text from an option, a file or `-` (stdin); refuses non-UTF-8 and binary input.

    `what` names the text as the user gave it (`--description`, `TEXT`), `file_option`
    the file option (default `<what>-file`)."""
    file_option = file_option or f"{what}-file"
    if text is not None and file is not None:
        raise UsageError(f"give {what} or {file_option}, not both")
    if file is None:
        return text or ""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file_option} {file}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise UsageError(f"{file_option} {file} is binary")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file_option} {file} is not UTF-8 (byte {exc.start})") from None
