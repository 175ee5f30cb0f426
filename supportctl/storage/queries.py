"""Read-only questions about tickets: filtered lists and one ticket's full record."""

from __future__ import annotations

import contextlib
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from supportctl.domain.errors import NotFound, UsageError
from supportctl.domain.ids import id_of_path, sort_key, ticket_path
from supportctl.domain.ticket import (
    PRIORITIES,
    STATUSES,
    TICKET_KEYS,
    TYPES,
    Ticket,
    TicketView,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from supportctl.storage.desk import Desk, Worklog

# The fields of a listing, in the order its JSON rows have them.
LIST_FIELDS = (
    "id",
    "title",
    "customer",
    "status",
    "line",
    "priority",
    "type",
    "assignee",
    "class",
    "channel",
    "tags",
    "created",
)


def text_key(text: str) -> str:
    """Case- and ё/е-insensitive sort key that keeps Cyrillic in alphabetical order."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return folded.replace("ё", "е\uffff").replace("ї", "і\uffff").replace("є", "е\ufffe")


@dataclass(frozen=True)
class Filters:
    status: Sequence[str] = ()
    customer: Sequence[str] = ()
    assignee: Sequence[str] = ()
    line: Sequence[str] = ()
    priority: Sequence[str] = ()
    type: Sequence[str] = ()
    tag: Sequence[str] = ()
    open_only: bool = False

    def __post_init__(self) -> None:
        # Stored values are canonical (lowercase tags, vocab words, L-lines); accept any case.
        for name, vocab in (("status", STATUSES), ("priority", PRIORITIES), ("type", TYPES)):
            values = tuple(v.strip().lower().replace("-", "_") for v in getattr(self, name))
            unknown = [v for v in values if v not in vocab]
            if unknown:
                raise UsageError(
                    f"unknown --{name} {unknown[0]!r}: expected one of {', '.join(vocab)}"
                )
            object.__setattr__(self, name, values)
        object.__setattr__(self, "tag", tuple(t.strip().lower() for t in self.tag))
        object.__setattr__(self, "line", tuple(x.strip().upper() for x in self.line))

    def match(self, t: Listed) -> bool:
        if self.open_only and t.status in ("resolved", "closed"):
            return False
        for wanted, value in (
            (self.status, t.status),
            (self.customer, t.customer),
            (self.assignee, t.assignee),
            (self.line, t.line),
            (self.priority, t.priority),
            (self.type, t.type),
        ):
            if wanted and (value or "") not in wanted:
                return False
        return all(tag in t.tags for tag in self.tag)


_NO_FILTERS = Filters()


class Listed(NamedTuple):
    """One row of a listing: the committed ticket's listed fields, typed as `Ticket` has
    them (what filters, sorting and the table read), the same fields as the file holds
    them (`plain`, for the JSON row), and whether the work tree differs."""

    id: str
    title: str | None
    customer: str | None
    status: str | None
    line: str | None
    priority: str | None
    type: str | None
    assignee: str | None
    class_: str | None
    channel: str | None
    tags: Sequence[str]
    created: str | None
    plain: Sequence[Any]
    uncommitted: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON row: the listed fields as the file holds them."""
        return dict(zip(LIST_FIELDS, self.plain, strict=True)) | {"uncommitted": self.uncommitted}


def _created(t: Listed) -> float:
    from datetime import datetime

    return datetime.fromisoformat(t.created).timestamp() if t.created else 0


# Sort key -> how a ticket sorts by it; "id" is the order tickets come in.
_ORDER: dict[str, Callable[[Listed], Any]] = {
    "created": _created,
    "priority": lambda t: PRIORITIES.index(t.priority) if t.priority in PRIORITIES else 9,
    "status": lambda t: STATUSES.index(t.status) if t.status in STATUSES else 9,
    "customer": lambda t: text_key(t.customer or ""),
    "title": lambda t: text_key(t.title or ""),
    "line": lambda t: text_key(t.line or ""),
    "assignee": lambda t: text_key(t.assignee or ""),
}
SORT_KEYS = ("id", *_ORDER)


def list_tickets(
    repo: Desk,
    filters: Filters,
    sort: str = "id",
    reverse: bool = False,
) -> tuple[list[Listed], list[str]]:
    """Matching tickets as summaries (committed state; `uncommitted` when the work tree
    differs), plus one problem line per unreadable or not yet committed file."""
    if sort not in SORT_KEYS:
        raise UsageError(f"unknown sort key {sort!r}: expected one of {', '.join(SORT_KEYS)}")
    return _list(repo, filters, sort, reverse, None, _changed(repo))


def _changed(repo: Desk) -> dict[str, str]:
    # The listing is the committed state (HEAD), as everything else supportctl computes;
    # a file with hand edits not yet committed is flagged, a new one not yet committed named.
    return repo.git.uncommitted("data/tickets", repo.cache.folder)


def _list(
    repo: Desk,
    filters: Filters,
    sort: str,
    reverse: bool,
    tree: str | None,
    changed: dict[str, str],
) -> tuple[list[Listed], list[str]]:
    entries = listing(repo, tree)
    problems = [e[1] for e in entries if e[1]]
    if changed:
        listed = {e[0] for e in entries}
        problems += [
            f"{path}: not committed yet (commit it to list it)"
            for path in sorted(changed)
            if path.endswith(".yaml") and path not in listed and (repo.root / path).is_file()
        ]
    make = Listed._make
    rows = [make((*(e[5] or e[4]), e[4], e[0] in changed)) for e in entries if not e[1]]
    if filters != _NO_FILTERS:
        rows = [r for r in rows if filters.match(r)]
    order = _ORDER.get(sort)
    if order is not None:
        rows.sort(key=order)
    if reverse:
        rows.reverse()
    return rows, problems


# A listing entry, as the cache keeps it: [path, error, ID prefix, ID number, plain, typed]:
# `error` says why the file is not listed (unreadable, or a value outside its vocabulary;
# then the last two are null); `plain` holds the LIST_FIELDS as the file has them, `typed`
# as `Ticket` reads them, null when they are the same.
Entry = list[Any]


def listing(repo: Desk, tree: str | None = None) -> list[Entry]:
    """Every ticket file at HEAD (or in the `data/tickets` tree `tree`) as a listing entry,
    in the order `Desk.tickets` gives.

    The entries are cached per shard folder, by the folder's tree id, and for the
    configured lines and customers (which decide what is invalid): a warm listing reads
    the tree of data/tickets, one cache row per shard, and parses nothing; a commit that
    changes one shard computes that shard's entries again, and only those."""
    top = repo.git.tree(tree or "HEAD:data/tickets") or []
    # Only a shard folder holds ticket files (`id_of_path`); other entries are skipped.
    shards = [(name, oid) for mode, name, oid in top if mode == "040000"]
    kind = "listing:" + _vocab_key(repo)
    keys = [f"{name} {oid}" for name, oid in shards]
    cached = repo.cache.get_many(kind, keys)
    missing = [(name, oid, key) for (name, oid), key in zip(shards, keys, strict=True)]
    missing = [m for m in missing if m[2] not in cached]
    if missing:
        fresh = _shard_entries(repo, missing)
        repo.cache.put_many(kind, fresh)
        cached.update(fresh)
    entries = [e for key in keys for e in cached[key]]
    # Within a shard the entries are in order already; across shards a hand-edited `id:`
    # may put a ticket elsewhere. A stable sort keeps ties in tree order, as `Desk.tickets`.
    entries.sort(key=itemgetter(2, 3))
    return entries


def _vocab_key(repo: Desk) -> str:
    config = repo.config
    # in their configured order: the message for a value outside them lists them so
    vocab = json.dumps([config.lines, list(config.customers)], ensure_ascii=False)
    return hashlib.sha256(vocab.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ListView:
    """A listing as printed: the text `render` made of its rows, the problem lines, and
    whether a listed file has uncommitted changes."""

    text: str
    problems: list[str]
    uncommitted: bool


def list_view(
    repo: Desk,
    filters: Filters,
    sort: str,
    reverse: bool,
    limit: int,
    view: str,
    render: Callable[[list[Listed]], str],
) -> ListView:
    """`render` of what `list_tickets` gives (the first `limit` rows, all for 0), kept in
    the cache when it can be.

    While no ticket file has uncommitted changes, the text is a function of the tree of
    `data/tickets`, the configured vocabulary, the options, `view` (whatever else the
    caller's `render` depends on, such as the format) and the code that
    made it; it is kept under all of them, so a warm listing of tens of thousands of
    tickets reads one cache row and neither decodes nor formats a row. Only the current
    tree's texts are kept."""
    if sort not in SORT_KEYS:
        raise UsageError(f"unknown sort key {sort!r}: expected one of {', '.join(SORT_KEYS)}")
    tree = repo.git.tree_id("HEAD:data/tickets")
    changed = _changed(repo)
    key = kind = None
    if tree is not None and not changed:
        kind = "listing-text:" + _vocab_key(repo)
        # the formats of the rows it is made of, too: a bump of theirs must reach it
        from supportctl.storage.cache import CACHE_FORMATS

        formats = sorted(CACHE_FORMATS.items())
        options = [repr(filters), sort, reverse, max(limit, 0), view, formats, _code_stamp()]
        digest = hashlib.sha256(repr(options).encode()).hexdigest()[:24]
        key = f"{tree} {digest}"
        hit = repo.cache.get_many(kind, [key]).get(key)
        if isinstance(hit, dict) and isinstance(hit.get("text"), str):
            return ListView(hit["text"], list(hit.get("problems") or []), False)
    rows, problems = _list(repo, filters, sort, reverse, tree, changed)
    if limit > 0:
        rows = rows[:limit]
    text = render(rows)
    if kind is not None and key is not None:
        repo.cache.put_only(kind, f"{tree} ", {key: {"text": text, "problems": problems}})
    return ListView(text, problems, any(r.uncommitted for r in rows))


def _code_stamp() -> str:
    """What identifies the code now loaded that may shape a listing's text: Python's
    version (case folding, Unicode data), supportctl's modules as installed, and the
    folder of the libraries beside them (an upgrade changes its entries)."""
    import os
    import site
    import sys

    stamps: list[object] = [sys.version]
    # (an embedded Python's `site` may have no such function)
    for folder in getattr(site, "getsitepackages", list)():
        with contextlib.suppress(OSError):
            stamps.append(os.stat(folder).st_mtime_ns)
    for name, module in sorted(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and name.partition(".")[0] == "supportctl":
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamps.append((name, st.st_mtime_ns, st.st_size))
    return repr(stamps)


def _shard_entries(repo: Desk, shards: list[tuple[str, str, str]]) -> dict[str, list[Entry]]:
    files: list[tuple[str, str]] = []
    for name, oid, _ in shards:
        for mode, file_name, blob in repo.git.tree(oid) or []:
            path = f"data/tickets/{name}/{file_name}"
            if mode != "040000" and id_of_path(path):
                files.append((path, blob))
    found: dict[str, list[Entry]] = {key: [] for _, _, key in shards}
    key_of = {name: key for name, _, key in shards}
    for view in repo.ticket_files(files, LIST_FIELDS):
        prefix, number = sort_key(view.id)
        if view.error:
            entry: Entry = [view.path, view.error, prefix, number, None, None]
        else:
            t = view.ticket
            plain = t.to_plain()
            values = [plain.get(k) for k in LIST_FIELDS]
            values[LIST_FIELDS.index("tags")] = list(plain.get("tags") or [])
            typed = [
                *(t.id, t.title, t.customer, t.status, t.line, t.priority, t.type),
                *(t.assignee, t.class_, t.channel, list(t.tags), t.created),
            ]
            # through JSON as the cache gives them back: a first run prints what later runs do
            values, typed = json.loads(json.dumps([values, typed], ensure_ascii=False))
            entry = [view.path, None, prefix, number, values, None if typed == values else typed]
        found[key_of[view.path.split("/")[2]]].append(entry)
    return found


@dataclass(frozen=True)
class TicketRecord:
    """Everything `show` prints about one ticket."""

    ticket: Ticket  # the committed file
    path: str
    uncommitted: bool  # the work tree's file differs from it
    problems: list[str]  # unreadable worklog files: their time is not counted
    worklogs: list[Worklog]

    @property
    def minutes_logged(self) -> int:
        return sum(w.minutes for w in self.worklogs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: every field of a ticket file (null when unset) and the file's
        own keys, then the facts above."""
        plain = self.ticket.to_plain()
        record = dict.fromkeys(TICKET_KEYS) | plain
        record["path"] = self.path
        record["uncommitted"] = self.uncommitted
        record["problems"] = self.problems
        record["worklogs"] = [
            {"minutes": w.minutes, "on": w.on, "note": w.note, "author": w.author, "at": w.at}
            for w in self.worklogs
        ]
        record["minutes_logged"] = self.minutes_logged
        links = self.ticket.links
        record["links"] = {
            "duplicate_of": links.duplicate_of,
            "related": list(links.related),
            "parent": links.parent,
        }
        record["comments"] = list(plain.get("comments") or [])
        record["tags"] = list(plain.get("tags") or [])
        for key in ("cc", "aliases", "message_ids"):
            record[key] = list(plain.get(key) or [])
        return record


def ticket_record(repo: Desk, ticket_id: str) -> TicketRecord:
    """The ticket file's committed content, whether the work tree differs from it, its
    worklogs and their total."""
    try:
        view: TicketView = repo.ticket(ticket_id)
    except NotFound:
        path = ticket_path(ticket_id)
        if (repo.root / path).is_file():
            raise NotFound(
                f"unknown ticket {ticket_id}: {path} is not committed yet (commit it to use it)"
            ) from None
        raise
    # what is shown is the committed file; say so when the work tree differs from it
    uncommitted = view.path in repo.git.uncommitted(view.path)
    problems: list[str] = []
    logs = [
        w
        for w in repo.ticket_worklogs(ticket_id, problems=problems)
        if not _before(w.at, view.ticket.created)
    ]
    return TicketRecord(view.ticket, view.path, uncommitted, problems, logs)


def _before(logged: str, created: str | None) -> bool:
    """Whether time was logged before the ticket was created: then it was logged on a deleted
    ticket that had the same ID (`log` refuses a time before creation)."""
    from datetime import datetime

    try:
        a, b = datetime.fromisoformat(logged), datetime.fromisoformat(str(created))
    except ValueError:
        return False
    return a.tzinfo is not None and b.tzinfo is not None and a < b
