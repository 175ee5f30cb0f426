"""Durations written by people: `15m`, `4h`, `1h30m`, `2d`, `90` (minutes)."""

from __future__ import annotations

import re

from supportctl.domain.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, *, what: str = "duration") -> int:
    """Return seconds for `1h30m`, `15m`, `24h`, `2d`, `45s`; bare numbers are minutes."""
    s = str(text).strip().lower().replace(" ", "")
    if not s:
        raise UsageError(f"empty {what}")
    if re.fullmatch(r"\d+", s):
        return int(s) * 60
    pos = 0
    total = 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise UsageError(f"bad {what} {text!r}: expected e.g. 15m, 4h, 1h30m, 2d")
    return round(total)


def format_duration(seconds: float) -> str:
    """`5400` -> `1h30m`; negative values get a leading minus; zero is `0m`."""
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = []
    if h:
        parts.append(f"{h}h")
    if m:
        parts.append(f"{m}m")
    if sec:
        parts.append(f"{sec}s")
    return sign + ("".join(parts) or "0m")
