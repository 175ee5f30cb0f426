"""The ticket data model: vocabularies, ID rules, file layout, legal status moves, and the
typed `Ticket` with its one reader (`read_ticket`, bytes to Ticket) and one writer
(`TicketFile.update`, a changed Ticket back into the YAML as a minimal edit).

Pure: no I/O. Everything here is what `validate`, the store and the actions agree on.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

from supportctl.domain.errors import IllegalTransition, UsageError

STATUSES = ("new", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "waiting")
TYPES = ("incident", "service_request", "change_request", "information_request")
PRIORITIES = ("critical", "high", "normal", "low")
CHANNELS = ("email", "phone", "messenger", "portal", "monitoring")
EDITABLE_FIELDS = ("title", "priority", "type", "customer", "class")

# Fields whose changes are events (trailers `From-<Field>` / `To-<Field>`).
TRACKED_FIELDS = ("status", "line", "priority", "type", "customer", "class", "assignee", "title")

MAX_TITLE = 200
MAX_TEXT = 64 * 1024
MAX_TAG = 40

_TAG_RE = re.compile(r"^[\w][\w.+-]*$", re.UNICODE)
_HANDLE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


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
    "deescalate": Move("deescalate", OPEN_STATUSES, None),
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


def lower_line(lines: tuple[str, ...], current: str, to: str, ticket_id: str) -> str:
    """The line `to`, which must come before `current` in the configured order."""
    if current not in lines:
        raise IllegalTransition(
            f"cannot de-escalate {ticket_id}: its line {current!r} is not in config"
        )
    target = to.strip().upper()
    if target not in lines:
        raise UsageError(f"unknown line {to!r}: expected one of {', '.join(lines)}")
    if lines.index(target) >= lines.index(current):
        raise IllegalTransition(f"cannot de-escalate {ticket_id} from {current} to {target}")
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
    ticket: Ticket, lines: tuple[str, ...], customers: tuple[str, ...] | None = None
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
        value = ticket.value(key)
        if value not in (None, "") and str(value) not in allowed:
            return (
                f"{ticket.id or '?'}: invalid {key} {str(value)!r} (expected one of "
                f"{', '.join(allowed) or 'none configured'}); run supportctl validate"
            )
    return None


@dataclass
class TicketView:
    """A ticket file at a commit (what `list`/`show` and reports read).

    `error`: why the file cannot be used (unreadable, or `invalid`: a value outside its
    vocabulary); an unreadable file's `ticket` holds only the ID its name gives."""

    path: str
    ticket: Ticket = field(default_factory=lambda: Ticket())
    error: str | None = None
    invalid: bool = False

    @property
    def id(self) -> str:
        return self.ticket.id


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, as `path:line: message` (validate, unreadable KB files)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# -- the typed ticket ---------------------------------------------------------------------
# A ticket file is YAML a person may edit by hand, so a record keeps what it cannot type:
# keys the format does not know, and values that do not fit their field (`title: 42`, a
# `tags:` that is not a list; `validate` reports those). `to_plain` writes them back as they
# were read, so JSON output and caches see the file's own data.

# Python names of fields whose YAML key is a keyword.
_KEY_OF = {"class_": "class"}
_ATTR_OF = {v: k for k, v in _KEY_OF.items()}

# (value, exact): the field's typed value read from `raw`, and whether it carries all of it.
Coerced = tuple[Any, bool]


def _text(raw: object) -> Coerced:
    if raw is None or type(raw) is str:
        return raw, True
    return str(raw), False


def _id_text(raw: object) -> Coerced:  # text that is never null: "" when unset
    if type(raw) is str:
        return raw, True
    return ("" if raw is None else str(raw)), False


def _texts(raw: object) -> Coerced:
    if not isinstance(raw, list):
        return (), raw is None
    value = tuple(x if type(x) is str else str(x) for x in raw)
    return value, all(type(x) is str for x in raw)


def _plain_of(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain_of(v) for v in value]
    if isinstance(value, _Record):
        return value.to_plain()
    return value


class _Record:
    """What the typed records share: reading from and writing back to a YAML mapping.

    `keys` are the mapping's keys in file order (empty for a record built in code);
    `kept` the values written back as they were read (see above)."""

    keys: tuple[str, ...]
    kept: Mapping[str, object]
    # YAML key -> how its value is read; filled for each record class below
    _read: ClassVar[dict[str, Callable[[object], Coerced]]]

    def has(self, key: str) -> bool:
        """Whether the mapping read holds `key` (one set to null counts)."""
        return key in self.keys

    @classmethod
    def from_plain(cls, data: Mapping[str, object]) -> Self:
        # only the fields the mapping holds are the record's own: the others are read from
        # the class, which holds every field's default (see `_record`). A ticket of a
        # listing holds a few of its 28 fields: 20,000 of them take 7 MB less this way.
        values: dict[str, object] = {}
        kept: dict[str, object] = {}
        read = cls._read
        texts = _TEXTS[cls]
        for key, raw in data.items():
            if type(raw) is str and key in texts:  # most values: taken as they are
                values[texts[key]] = raw
                continue
            reader = read.get(key)
            if reader is None:
                kept[key] = raw
                continue
            value, exact = reader(raw)
            if not exact:
                kept[key] = raw
            values[_ATTR_OF.get(key, key)] = value
        values["keys"] = tuple(data)
        values["kept"] = kept
        # Filled in directly: a listing reads tens of thousands of tickets, and a frozen
        # dataclass's __init__ sets each field through object.__setattr__ (five times slower)
        # and every field, not only those the mapping holds.
        record = object.__new__(cls)
        record.__dict__.update(values)
        return record

    def to_plain(self) -> dict[str, Any]:
        """The mapping as plain data (str keys; str, int, bool, None, lists and mappings),
        in file order; fields set in code that the file did not have come last."""
        out: dict[str, Any] = {}
        read = type(self)._read
        for key in self.keys:
            reader = read.get(key)
            if reader is None:
                out[key] = self.kept[key]
                continue
            value = getattr(self, _ATTR_OF.get(key, key))
            if key in self.kept and reader(self.kept[key])[0] == value:
                out[key] = self.kept[key]
            else:
                out[key] = _plain_of(value)
        for key in read:
            if key not in out:
                value = getattr(self, _ATTR_OF.get(key, key))
                if value != _DEFAULTS[type(self)][key]:
                    out[key] = _plain_of(value)
        return out


def _record(cls: type[_Record], readers: Mapping[str, Callable[[object], Coerced]]) -> None:
    """Fill `cls._read` from its dataclass fields (the one place the field names live),
    reading each by its annotation through `readers`."""
    read: dict[str, Callable[[object], Coerced]] = {}
    defaults: dict[str, object] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in ("keys", "kept"):
            continue
        key = _KEY_OF.get(f.name, f.name)
        read[key] = readers[str(f.type)]
        factory = f.default_factory
        defaults[key] = f.default if factory is dataclasses.MISSING else factory()
    cls._read = read
    _DEFAULTS[cls] = defaults
    for key, value in defaults.items():
        # what a record made by `from_plain` reads of a field its mapping did not hold; the
        # dataclass leaves none on the class for a field with a factory. Records are
        # frozen, so one default value serves them all.
        if not hasattr(cls, _ATTR_OF.get(key, key)):
            setattr(cls, _ATTR_OF.get(key, key), value)
    _TEXTS[cls] = {k: _ATTR_OF.get(k, k) for k, r in read.items() if r in _TEXT_READERS}


_DEFAULTS: dict[type[_Record], dict[str, object]] = {}  # by YAML key
_TEXTS: dict[type[_Record], dict[str, str]] = {}  # YAML key -> field, for str fields


def _mapping(cls: type[_Record]) -> Callable[[object], Coerced]:
    def read(raw: object) -> Coerced:
        if isinstance(raw, dict):
            return cls.from_plain(raw), True
        return cls(), raw is None

    return read


def _mappings(cls: type[_Record]) -> Callable[[object], Coerced]:
    def read(raw: object) -> Coerced:
        if not isinstance(raw, list):
            return (), raw is None
        items = tuple(cls.from_plain(x) if isinstance(x, dict) else cls() for x in raw)
        return items, all(isinstance(x, dict) for x in raw)

    return read


@dataclass(frozen=True)
class Comment(_Record):
    """One entry of a ticket's `comments:` thread."""

    at: str | None = None
    author: str | None = None
    # A message from the customer (mail, or typed in from a call): absent for agents' entries.
    from_customer: bool = False
    visibility: str | None = None  # absent means public
    text: str | None = None
    message_id: str | None = None  # the mail it came in, or went out, as
    attachments: tuple[str, ...] = ()  # repo paths of the files that came with it
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)

    @property
    def internal(self) -> bool:
        return self.visibility == "internal" and not self.from_customer

    @property
    def kind(self) -> str:
        """`customer` (the customer wrote it), `internal` (a note for agents) or `public`
        (an agent's reply to the customer). Only `public` answers the customer."""
        if self.from_customer:
            return "customer"
        return "internal" if self.visibility == "internal" else "public"


@dataclass(frozen=True)
class Links(_Record):
    """A ticket's `links:`: other tickets it duplicates, relates to or belongs under."""

    duplicate_of: str | None = None
    related: tuple[str, ...] = ()
    parent: str | None = None
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Outage(_Record):
    """A ticket's `outage:`, when the service was down: aware ISO 8601 instants; no `end`
    while it is still down."""

    start: str | None = None
    end: str | None = None
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class FiringInterval(_Record):
    """One stretch of time an alert was firing: ISO times, `end` None while it still is."""

    start: str | None = None
    end: str | None = None
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)


IMPACTS = ("outage",)


@dataclass(frozen=True)
class AlertState(_Record):
    """A ticket's `alert:`, the monitoring alert it was opened for (see ops.alerts):
    `count` notifications applied while it was open, `firing` intervals oldest first,
    `seen` digests of the notifications already applied (newest last, bounded)."""

    identity: str | None = None
    source: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    severity: str | None = None
    count: int = 0
    firing: tuple[FiringInterval, ...] = ()
    seen: tuple[str, ...] = ()
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)

    @property
    def firing_now(self) -> bool:
        return bool(self.firing) and self.firing[-1].end is None


@dataclass(frozen=True)
class Ticket(_Record):
    """A ticket file's content. Field order is the key order of a new ticket file (a
    hand-added key stays where its author put it)."""

    id: str = ""
    title: str | None = None
    customer: str | None = None
    type: str | None = None
    priority: str | None = None
    class_: str | None = None
    channel: str | None = None
    reporter: str | None = None
    requester: str | None = None  # the e-mail address replies go to
    cc: tuple[str, ...] = ()
    status: str | None = None
    line: str | None = None
    assignee: str | None = None
    tags: tuple[str, ...] = ()
    created: str | None = None
    description: str | None = None
    links: Links = field(default_factory=Links)
    aliases: tuple[str, ...] = ()  # former IDs (an offline clone's number, renumbered on sync)
    kb: str | None = None
    resolution: str | None = None
    # the customer's service it concerns; with `impact: outage`, `outage` says when it was down
    service: str | None = None
    impact: str | None = None
    outage: Outage = field(default_factory=Outage)
    comments: tuple[Comment, ...] = ()
    message_ids: tuple[str, ...] = ()  # every mail that came in or went out for it
    alert: AlertState = field(default_factory=AlertState)  # the monitoring alert it is for
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)

    def value(self, key: str) -> str | None:
        """A one-value field by its YAML name (`status`, `class`, ...), for the callers
        that take the field name as data: filters, sort keys, vocabularies."""
        if key not in ONE_VALUE_KEYS:
            raise KeyError(key)
        value: str | None = getattr(self, _ATTR_OF.get(key, key))
        return value

    def with_value(self, key: str, value: str | None) -> Ticket:
        """The ticket with the one-value field `key` (its YAML name) set to `value`."""
        if key not in ONE_VALUE_KEYS:
            raise KeyError(key)
        changed: dict[str, Any] = {_ATTR_OF.get(key, key): value}
        return dataclasses.replace(self, **changed)


@dataclass(frozen=True)
class WorklogEntry(_Record):
    """One entry of a worklog file (`data/worklogs/<month>/<agent>.yaml`)."""

    ticket: str = ""
    minutes: int = 0
    on: str = ""
    note: str = ""
    author: str = ""
    at: str = ""
    keys: tuple[str, ...] = field(default=(), repr=False)
    kept: Mapping[str, object] = field(default_factory=dict, repr=False)


def _int(raw: object) -> Coerced:
    if type(raw) is int:
        return raw, True
    try:
        return int(raw or 0), False  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0, False


def _labels(raw: object) -> Coerced:
    if not isinstance(raw, dict):
        return {}, raw is None
    value = {str(k): v if type(v) is str else str(v) for k, v in raw.items()}
    return value, all(type(k) is str and type(v) is str for k, v in raw.items())


def _flag(raw: object) -> Coerced:
    if type(raw) is bool:
        return raw, True
    return raw is True, False


_TEXT_READERS = (_text, _id_text)  # each takes any str as it is
_TICKET_READERS = {
    "str": _id_text,
    "str | None": _text,
    "bool": _flag,
    "tuple[str, ...]": _texts,
    "Links": _mapping(Links),
    "Outage": _mapping(Outage),
    "tuple[Comment, ...]": _mappings(Comment),
    "int": _int,
    "Mapping[str, str]": _labels,
    "tuple[FiringInterval, ...]": _mappings(FiringInterval),
    "AlertState": _mapping(AlertState),
}
for _cls in (Comment, Links, Outage, FiringInterval, AlertState, Ticket):
    _record(_cls, _TICKET_READERS)
_record(WorklogEntry, {"str": _id_text, "int": _int})

# The YAML keys, in the order a new file has them: one list, from the fields above.
TICKET_KEYS = tuple(Ticket._read)
COMMENT_KEYS = tuple(Comment._read)
LINK_KINDS = tuple(Links._read)
WORKLOG_KEYS = tuple(WorklogEntry._read)
ONE_VALUE_KEYS = frozenset(k for k, r in Ticket._read.items() if r in (_text, _id_text))

# Fields written as literal blocks when they hold more than one line.
_TEXT_KEYS = ("description", "resolution")
NOT_A_TICKET = "expected a mapping of ticket fields"


def parse_ticket(content: bytes) -> dict[str, Any]:
    """A ticket file's plain data (see `Ticket.to_plain`), or `{'__error__': message,
    '__line__': n}` when it cannot be read: the form the cache keeps."""
    from supportctl.domain import yamlio

    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem as exc:
        return {"__error__": exc.message, "__line__": exc.line}
    if not isinstance(data, dict):
        return {"__error__": NOT_A_TICKET, "__line__": 1}
    return data


def parse_worklog_file(content: bytes) -> dict[str, Any]:
    """A worklog file's entries as plain data, `{'entries': [...]}`, with `__error__` and
    `__line__` beside an empty list when it cannot be read: the form the cache keeps."""
    from supportctl.domain import yamlio

    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem as exc:
        return {"entries": [], "__error__": exc.message, "__line__": exc.line}
    if not isinstance(data, list):
        return {"entries": [], "__error__": "expected a list of worklog entries", "__line__": 1}
    return {"entries": [e for e in data if isinstance(e, dict)]}


class UnreadableTicket(Exception):
    """A ticket file that is no YAML mapping; `line` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def ticket_of(plain: Mapping[str, Any]) -> Ticket:
    """The ticket in `parse_ticket`'s result; UnreadableTicket for its error form."""
    if "__error__" in plain:
        raise UnreadableTicket(str(plain["__error__"]), int(plain.get("__line__") or 0))
    return Ticket.from_plain(plain)


def read_ticket(content: bytes) -> Ticket:
    """The one reader: a ticket file's bytes as a `Ticket` (UnreadableTicket when not)."""
    return ticket_of(parse_ticket(content))


class TicketFile:
    """A ticket file open for editing. `update` writes a changed `Ticket` back as the
    smallest edit of the YAML document: the file's comments, key order and hand-added
    keys stay; a key it lacks goes to its place in `TICKET_KEYS`."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc  # ruamel's round-trip mapping
        self._ticket: Ticket | None = None

    @classmethod
    def parse(cls, content: bytes) -> TicketFile:
        """UnreadableTicket (with yamlio's message and line) when it is no mapping."""
        from supportctl.domain import yamlio

        try:
            doc = yamlio.load(content)
        except yamlio.YamlProblem as exc:
            raise UnreadableTicket(exc.message, exc.line) from None
        if not isinstance(doc, dict):
            raise UnreadableTicket(NOT_A_TICKET, 1)
        return cls(doc)

    @classmethod
    def new(cls, ticket: Ticket) -> TicketFile:
        """A new file holding `ticket`'s keys (`ticket.keys`, else every field that is set)."""
        from ruamel.yaml.comments import CommentedMap

        file = cls(CommentedMap())
        for key, value in ticket.to_plain().items():
            file._doc[key] = file._value(key, value)
        return file

    @property
    def ticket(self) -> Ticket:
        if self._ticket is None:
            from supportctl.domain import yamlio

            self._ticket = Ticket.from_plain(yamlio.plain(self._doc))
        return self._ticket

    def dump(self) -> bytes:
        from supportctl.domain import yamlio

        return yamlio.dump(self._doc)

    def update(self, after: Ticket) -> None:
        """Write the fields in which `after` differs from `self.ticket`. Comments can only
        be added at the end, links only added or replaced."""
        self._update(after, merged=False)

    def merge_in(self, after: Ticket) -> None:
        """Write `after`, the result of a three-way merge (`sync`), as the smallest edit:
        like `update`, but the thread may be reordered, edited or shortened, related links
        removed, and hand-added keys change or go. What stays keeps its lines."""
        before = self.ticket
        self._update(after, merged=True)
        doc = self._doc
        for key in dict.fromkeys([*before.keys, *after.keys]):
            if key not in after.keys:
                if key not in TICKET_KEYS:
                    del doc[key]
            elif key not in TICKET_KEYS and key not in before.keys:
                doc[key] = after.kept[key]
            elif key in after.kept and after.kept[key] != before.kept.get(key):
                # a hand-added key, or a value the typed field cannot hold (kept as written)
                self._set(key, after.kept[key])
            elif key in before.kept and key not in after.kept:
                self._set(key, self._value(key, _plain_of(getattr(after, _ATTR_OF.get(key, key)))))
        self._ticket = None

    def _update(self, after: Ticket, *, merged: bool) -> None:
        before = self.ticket
        for key in TICKET_KEYS:
            attr = _ATTR_OF.get(key, key)
            old, new = getattr(before, attr), getattr(after, attr)
            if old == new:
                continue
            if key == "tags":
                self._set_tags(before.tags, after.tags)
            elif key == "comments":
                self._set_comments(before.comments, after.comments, merged=merged)
            elif key == "links":
                self._set_links(before.links, after.links, merged=merged)
            elif isinstance(new, tuple):
                self._set_texts(key, old, new)
            elif isinstance(new, _Record):
                self._set(key, self._value(key, new.to_plain()))
            else:
                self._set(key, self._value(key, _plain_of(new)))
        self._ticket = None

    def remove(self, *keys: str) -> None:
        """Take `keys` out of the file (a correction that withdraws a field, rather than
        leaving it behind as null)."""
        for key in keys:
            if key in self._doc:
                del self._doc[key]
        self._ticket = None

    def _set_texts(self, key: str, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        """A list of addresses or IDs: items added at the end are appended (the lines
        before them stay), any other change writes the list afresh."""
        current = self._doc.get(key)
        if new[: len(old)] == old and isinstance(current, list) and list(current) == list(old):
            current.extend(new[len(old) :])
            return
        self._set(key, self._value(key, list(new)))

    # -- the edits -----------------------------------------------------------------------
    @staticmethod
    def _value(key: str, value: Any) -> Any:
        """A plain value as the file writes it: lists of tags and related IDs on one line,
        long texts as literal blocks."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        from supportctl.domain import yamlio

        if key in _TEXT_KEYS and isinstance(value, str):
            return yamlio.text_value(value)
        if key in ("tags", "related", "cc", "aliases") and isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            return seq
        if key == "comments" and isinstance(value, list):
            return CommentedSeq(TicketFile._comment(c) for c in value)
        if key in ("labels", "firing") and isinstance(value, dict):
            flow = CommentedMap(value)  # short mappings read best on one line
            flow.fa.set_flow_style()
            return flow
        if key == "firing" and isinstance(value, list):
            return CommentedSeq(TicketFile._value(key, v) for v in value)
        if isinstance(value, dict):
            out = CommentedMap()
            for k, v in value.items():
                out[k] = TicketFile._value(k, v)
            if key == "outage":
                out.fa.set_flow_style()  # outage: {start: ..., end: ...} reads as one fact
            return out
        return value

    @staticmethod
    def _comment(value: Any) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        from supportctl.domain import yamlio

        if not isinstance(value, dict):
            return value
        entry = CommentedMap()
        for k, v in value.items():
            if k == "text" and isinstance(v, str):
                v = yamlio.text_value(v)
            elif k == "attachments" and isinstance(v, list):
                v = CommentedSeq(v)
            entry[k] = v
        return entry

    def _set(self, key: str, value: Any) -> None:
        """Set a key, inserting a missing one at its documented place in the key order."""
        from supportctl.domain import yamlio

        yamlio.set_in_order(self._doc, key, value, TICKET_KEYS)

    def _list(self, key: str) -> Any:
        from ruamel.yaml.comments import CommentedSeq

        value = self._doc.get(key)
        if not isinstance(value, list):
            value = CommentedSeq()
            self._set(key, value)
        return value

    def _set_tags(self, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        tags = self._list("tags")
        for t in dict.fromkeys(old):
            if t not in new and t in tags:
                tags.remove(t)
        for t in new:
            if t not in old:
                tags.append(t)
        if hasattr(tags, "fa"):
            tags.fa.set_flow_style()  # short lists read best on one line: tags: [a, b]

    def _set_comments(
        self, old: tuple[Comment, ...], new: tuple[Comment, ...], *, merged: bool
    ) -> None:
        if not merged and new[: len(old)] != old:
            raise ValueError("comments can only be added at the end of the thread")
        thread = self._list("comments")
        if new[: len(old)] == old:
            for c in new[len(old) :]:
                thread.append(self._comment(c.to_plain()))
            return
        # A merged thread (sync): comments both sides have keep their own lines, in the
        # new order; edited or new ones are written afresh, removed ones go.
        pool = list(zip(old, thread, strict=False))
        rebuilt = []
        for c in new:
            at = next((i for i, (was, _) in enumerate(pool) if was == c), None)
            rebuilt.append(self._comment(c.to_plain()) if at is None else pool.pop(at)[1])
        del thread[:]
        thread.extend(rebuilt)

    def _set_links(self, old: Links, new: Links, *, merged: bool) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        links = self._doc.get("links")
        if not isinstance(links, dict):
            links = CommentedMap()
            self._set("links", links)
        for kind in LINK_KINDS:
            before, after = getattr(old, kind), getattr(new, kind)
            if before == after:
                continue
            if kind == "related":
                related = links.get("related")
                if not isinstance(related, list):
                    related = CommentedSeq()
                    related.fa.set_flow_style()
                    links["related"] = related
                for other in before if merged else ():
                    if other not in after and other in related:
                        related.remove(other)
                for other in after:
                    if other not in before:
                        related.append(other)
            else:
                links[kind] = after
