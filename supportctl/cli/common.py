"""Helpers shared by the command modules: opening the repo, parsing times and text input."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

from supportctl.errors import UsageError
from supportctl.store import SupportRepo, open_repo


def repo(*, check_config: bool = True) -> SupportRepo:
    """The support repo, its committed configuration read and checked: a mistake in it
    stops every command (exit 4). Not for `validate`, which reads the work tree's
    supportctl.yaml itself, nor for `sync`, which may be what brings the fix."""
    from supportctl import out
    from supportctl.cli import state
    from supportctl.config import CONFIG_NAME

    r = open_repo(state.repo)
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


def parse_when(text: str | None, what: str = "--at") -> datetime | None:
    """ISO 8601 date-time; without an offset it is local time of this machine."""
    if text is None or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"bad {what} {text!r}: expected ISO 8601 like 2026-10-05T14:30+03:00"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return when


def parse_now(text: str | None) -> datetime:
    """`--now`, else SUPPORTCTL_NOW, else the wall clock (the only place it is read)."""
    raw = text or os.environ.get("SUPPORTCTL_NOW")
    when = parse_when(raw, "--now") if raw else None
    return when or datetime.now().astimezone()


def parse_day(text: str | None, what: str = "--on") -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad {what} {text!r}: expected a date like 2026-10-05") from None


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
