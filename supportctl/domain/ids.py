"""Ticket IDs: what one looks like, its number, and the file that holds it.

An ID is the desk's prefix (1-10 capital letters and digits, starting with a letter),
a hyphen and a number from 1 to 999,999,999 written without leading zeros: `SUP-42`.
Only that exact text is an ID. `SUP-042`, `SUP-4²`, `SUP-٤٢` or `SUP-42\n` are not: a
second spelling of a number would be a second name for one ticket and a second file.
"""

from __future__ import annotations

import re

from supportctl.domain.errors import UsageError

SHARD_SIZE = 500
_PREFIX = r"[A-Z][A-Z0-9]{0,9}"
_NUMBER = r"[1-9][0-9]{0,8}"
_PREFIX_RE = re.compile(_PREFIX)
_ID_RE = re.compile(rf"({_PREFIX})-({_NUMBER})")
_TICKETS = "data/tickets/"


def is_prefix(text: str) -> bool:
    """Whether `text` can be a desk's `id_prefix`."""
    return _PREFIX_RE.fullmatch(text) is not None


def parse_id(text: str) -> tuple[str, int] | None:
    """(prefix, number) of a ticket ID; None for any other text."""
    m = _ID_RE.fullmatch(text)
    return (m.group(1), int(m.group(2))) if m else None


def is_ticket_id(text: str, prefix: str | None = None) -> bool:
    """Whether `text` is a ticket ID (with `prefix`, one of that desk)."""
    parsed = parse_id(text)
    return parsed is not None and prefix in (None, parsed[0])


def id_number(ticket_id: str) -> int:
    """The number of a ticket ID (`SUP-42` -> 42); ValueError for any other text."""
    parsed = parse_id(ticket_id)
    if parsed is None:
        raise ValueError(f"not a ticket ID: {ticket_id!r}")
    return parsed[1]


def number_key(key: str) -> int:
    """Sort key by number: the number of a ticket ID, 0 for any other key (a deleted
    generation `SUP-7~1`, an ID typed by hand into a commit), so those come first."""
    parsed = parse_id(key)
    return parsed[1] if parsed else 0


def sort_key(key: str) -> tuple[str, int]:
    """Sort key by prefix, then number: SUP-9 before SUP-10."""
    return (key.rpartition("-")[0], number_key(key))


def normalize_id(raw: str, prefix: str) -> str:
    """Return the canonical ticket ID for user input like `sup-42`, `42` or `SUP-42`.

    Anything that could be a path (slashes, dots, NUL, spaces) is refused here, before
    it gets near the file system.
    """
    text = raw.strip()
    if text.isdigit():
        text = f"{prefix}-{text}"
    text = text.upper()
    if not is_ticket_id(text, prefix):
        raise UsageError(f"bad ticket ID {raw!r}: expected {prefix}-<number>")
    return text


def shard_of(number: int) -> str:
    return f"{number // SHARD_SIZE:04d}"


def ticket_path(ticket_id: str) -> str:
    """Path of a ticket file relative to the repo root (POSIX separators)."""
    return f"{_TICKETS}{shard_of(id_number(ticket_id))}/{ticket_id}.yaml"


def id_of_path(path: str) -> str | None:
    """The ID of the ticket whose file `path` is, or None: a ticket file lives at
    `data/tickets/<shard>/<ID>.yaml`, in the shard its number gives. Any other YAML under
    data/tickets is no ticket, and its name reserves no number."""
    if not path.startswith(_TICKETS):
        return None
    stem = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return stem if is_ticket_id(stem) and ticket_path(stem) == path else None


def mention_pattern(prefix: str) -> re.Pattern[str]:
    """What in free text may be read as a mention of one of the desk's tickets.

    Broader than an ID on purpose (leading zeros, any Unicode digits): it is used to mask
    mentions of tickets a report must not name, and `SUP-042` names SUP-42 to a reader.
    """
    return re.compile(rf"\b{re.escape(prefix)}-\d+\b")
