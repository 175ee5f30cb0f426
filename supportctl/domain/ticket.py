"""The ticket data model: vocabularies, ID rules, file layout and legal status moves.

Pure: no I/O. Everything here is what `validate`, the store and the actions agree on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from supportctl.domain.errors import IllegalTransition, UsageError

STATUSES = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "waiting")
TYPES = ("incident", "service_request", "change_request", "information_request")
PRIORITIES = ("critical", "high", "normal", "low")
CHANNELS = ("email", "phone", "messenger", "portal", "monitoring")
LINK_KINDS = ("duplicate_of", "related", "parent")
EDITABLE_FIELDS = ("title", "priority", "type", "customer", "class")

# Key order of a new ticket file. Hand-added keys are kept where the author put them.
TICKET_KEYS = (
    "id",
    "title",
    "customer",
    "type",
    "priority",
    "class",
    "channel",
    "reporter",
    "status",
    "line",
    "assignee",
    "tags",
    "created",
    "description",
    "links",
    "kb",
    "resolution",
    "comments",
)
COMMENT_KEYS = ("at", "author", "visibility", "text")
WORKLOG_KEYS = ("ticket", "minutes", "on", "note", "author", "at")

# Fields whose changes are events (trailers `From-<Field>` / `To-<Field>`).
TRACKED_FIELDS = ("status", "line", "priority", "type", "customer", "class", "assignee", "title")

SHARD_SIZE = 500
MAX_TITLE = 200
MAX_TEXT = 64 * 1024
MAX_TAG = 40

_ID_RE = re.compile(r"^([A-Z][A-Z0-9]{0,9})-([1-9][0-9]{0,8})$")
_TAG_RE = re.compile(r"^[\w][\w.+-]*$", re.UNICODE)
_HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def normalize_id(raw: str, prefix: str) -> str:
    """Return the canonical ticket ID for user input like `sup-42`, `42` or `SUP-42`.

    Anything that could be a path (slashes, dots, NUL, spaces) is refused here, before
    it gets near the file system.
    """
    text = raw.strip()
    if text.isdigit():
        text = f"{prefix}-{text}"
    text = text.upper()
    m = _ID_RE.match(text)
    if not m or m.group(1) != prefix:
        raise UsageError(f"bad ticket ID {raw!r}: expected {prefix}-<number>")
    return text


def id_number(ticket_id: str) -> int:
    return int(ticket_id.rsplit("-", 1)[1])


def shard_of(number: int) -> str:
    return f"{number // SHARD_SIZE:04d}"


def ticket_path(ticket_id: str) -> str:
    """Path of a ticket file relative to the repo root (POSIX separators)."""
    return f"data/tickets/{shard_of(id_number(ticket_id))}/{ticket_id}.yaml"


def is_ticket_file(path: str) -> bool:
    """Whether `path` is where a ticket file lives (`data/tickets/<shard>/<ID>.yaml`, the
    shard the ID's number gives); any other YAML under data/tickets is no ticket."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return _ID_RE.match(stem) is not None and ticket_path(stem) == path


def worklog_path(month: str, author_email: str) -> str:
    """One file per agent per month, so two agents never write the same file."""
    return f"data/worklogs/{month}/{author_slug(author_email)}.yaml"


def author_slug(email: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", email.strip().lower().replace("@", "_at_")).strip("-.")
    return slug[:80] or "unknown"


LINE_BREAKS = ("\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def clean_line(text: str, *, what: str, limit: int = MAX_TITLE, one_line: bool = False) -> str:
    """One-line text for titles, reasons and names: control characters become spaces.

    With `one_line` (titles), text holding a line break is refused rather than joined:
    a title is one line, and a pasted paragraph is more likely a mistake."""
    if one_line and any(b in text for b in LINE_BREAKS):
        raise UsageError(f"{what} must be one line (it contains a line break)")
    if len(text) > max(limit, MAX_TEXT):
        # Report the real limit, not the generous pre-cleaning cap.
        raise UsageError(f"{what} is too long ({len(text)} characters, at most {limit})")
    _guard(text, what, max(limit, MAX_TEXT))
    one = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())
    if not one:
        raise UsageError(f"{what} is empty")
    if len(one) > limit:
        raise UsageError(f"{what} is too long ({len(one)} characters, at most {limit})")
    return one


def _guard(text: str, what: str, limit: int) -> None:
    if "\x00" in text:
        raise UsageError(f"{what} looks binary (it contains NUL bytes)")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise UsageError(f"{what} is not valid UTF-8")
    if len(text) > limit:
        raise UsageError(f"{what} is too long ({len(text)} characters, at most {limit})")


def check_text(text: str, *, what: str, limit: int = MAX_TEXT) -> str:
    """Multi-line text: keep newlines and tabs, drop other control characters, cap the size."""
    _guard(text, what, limit)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return cleaned.rstrip()


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    v = value.strip().lower().replace("-", "_")
    if v not in choices:
        raise UsageError(f"unknown {what} {value!r}: expected one of {', '.join(choices)}")
    return v


def check_tag(tag: str) -> str:
    t = tag.strip().lower()
    if not t or len(t) > MAX_TAG or not _TAG_RE.match(t):
        raise UsageError(f"bad tag {tag!r}: letters, digits and . + - _ only, at most {MAX_TAG}")
    return t


def check_handle(handle: str, what: str = "assignee") -> str:
    h = handle.strip()
    if not _HANDLE_RE.match(h):
        raise UsageError(f"bad {what} {handle!r}: letters, digits and . _ - only")
    return h


@dataclass(frozen=True)
class Move:
    action: str
    allowed_from: tuple[str, ...]
    to: str | None  # None: status unchanged


MOVES: dict[str, Move] = {
    "start": Move("start", ("new", "waiting"), "in_progress"),
    "wait": Move("wait", ("new", "in_progress"), "waiting"),
    "resolve": Move("resolve", OPEN_STATUSES, "resolved"),
    "close": Move("close", ("resolved",), "closed"),
    "reopen": Move("reopen", ("resolved", "closed"), "in_progress"),
    "escalate": Move("escalate", OPEN_STATUSES, None),
}


def check_move(action: str, ticket_id: str, status: str) -> str:
    """Return the status after `action`, or raise IllegalTransition saying why not."""
    move = MOVES[action]
    if status not in move.allowed_from:
        hint = {
            "close": " (resolve it first)" if status in OPEN_STATUSES else "",
            "reopen": " (it is still open)",
            "start": " (it is already in progress)" if status == "in_progress" else "",
        }.get(action, "")
        raise IllegalTransition(f"cannot {action} {ticket_id}: it is {status}{hint}")
    return move.to or status


def next_line(lines: tuple[str, ...], current: str, to: str | None, ticket_id: str) -> str:
    if current not in lines:
        raise IllegalTransition(
            f"cannot escalate {ticket_id}: its line {current!r} is not in config"
        )
    idx = lines.index(current)
    if to is None:
        if idx + 1 >= len(lines):
            raise IllegalTransition(f"cannot escalate {ticket_id}: {current} is the last line")
        return lines[idx + 1]
    target = to.strip().upper()
    if target not in lines:
        raise UsageError(f"unknown line {to!r}: expected one of {', '.join(lines)}")
    if lines.index(target) <= idx:
        raise IllegalTransition(f"cannot escalate {ticket_id} from {current} to {target}")
    return target


# Ticket fields whose value must come from a fixed list; `line` from the config's lines.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "type": TYPES,
    "priority": PRIORITIES,
    "status": STATUSES,
    "channel": CHANNELS,
}


def vocabulary(lines: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Field -> its allowed values, for a desk with these support lines."""
    return {**VOCABULARY, "line": lines}


def invalid_value(
    data: dict[str, Any], lines: tuple[str, ...], customers: tuple[str, ...] | None = None
) -> str | None:
    """`SUP-3: invalid status 'in progres' (expected one of ...); run supportctl validate`
    for the first field holding a value outside its vocabulary (a hand edit), else None.
    With `customers` (the configured ones), a customer that is not one of them is such a
    value too: its SLA would be computed with no plan and counted nowhere.

    Every reader of tickets applies it, so no command shows, counts or acts on such a value."""
    rules = vocabulary(lines)
    if customers is not None:
        rules["customer"] = customers
    for key, allowed in rules.items():
        value = data.get(key)
        if value not in (None, "") and str(value) not in allowed:
            return (
                f"{data.get('id') or '?'}: invalid {key} {str(value)!r} (expected one of "
                f"{', '.join(allowed) or 'none configured'}); run supportctl validate"
            )
    return None


@dataclass
class TicketView:
    """A ticket's current content as plain data (what `list`/`show` and reports read).

    `error`: why the file cannot be used (unreadable, or `invalid`: a value outside its
    vocabulary)."""

    path: str
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    invalid: bool = False

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, as `path:line: message` (validate, unreadable KB files)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
