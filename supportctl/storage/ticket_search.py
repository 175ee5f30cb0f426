"""Full-text search over the tickets at HEAD, with the analyser and ranking of KB search.

A ticket's searchable text is its title and tags, and as body its description, every
comment of its thread (internal notes too: this is an agent's tool) and its resolution.
Analysing a ticket is the expensive part, so each one is cached in the blob store under
the kind "ticket-search", keyed by the blob id of its file: after a commit only the
changed files are analysed again. Building an index from 20,000 analyses still takes
seconds, so the built indexes, with what the filters read of each ticket, are also kept as
one snapshot file keyed by the tree id of data/tickets: while no ticket changes, a search
reads that file, decodes the one index it needs and nothing else. A snapshot whose key or
checksum does not match is ignored and replaced; a stale one costs time, never a wrong
answer.

A customer filter never lets another customer's tickets show or count: there is one
index per customer, built from that customer's tickets alone, so its word statistics,
field lengths, typo candidates and snippets are that customer's only. A status filter
(or several customers at once) is applied inside an index before ranking (see
`SearchIndex.search(within=...)`).
"""

from __future__ import annotations

import marshal
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from supportctl import __version__
from supportctl.domain.ids import id_of_path
from supportctl.search.index import Document, SearchIndex, analyze_document
from supportctl.storage.cache import CACHE_FORMATS

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from supportctl.domain.ticket import Ticket
    from supportctl.storage.desk import Desk

CACHE_KIND = "ticket-search"
TICKETS_DIR = "data/tickets"
_MAGIC = b"supportctl ticket search snapshot\n"
# After the magic: the lengths of the key, the marshal data and the raw byte strings
# that follow it, then the CRC-32 of everything after the key.
_SIZES = struct.Struct("<QQQI")
# What each hit shows and each filter reads, in this order, from the snapshot.
META = ("customer", "status", "priority", "assignee")


@lru_cache(maxsize=1)
def analyzer_id() -> str:
    """Id of the current analyser (as the KB cache has it; its module is not loaded here)."""
    return str(analyze_document(Document("", "", (), ""))["analyzer"])


@dataclass(frozen=True)
class TicketHit:
    id: str
    title: str
    customer: str | None
    status: str | None
    priority: str | None
    assignee: str | None
    score: float
    snippet: str
    matched_terms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "customer": self.customer,
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "matched_terms": list(self.matched_terms),
        }


def document(t: Ticket) -> Document:
    """The searchable text of a ticket: the thread and the resolution go in the body."""
    parts = [t.description or ""]
    parts += [c.text or "" for c in t.comments]
    parts.append(t.resolution or "")
    return Document(
        key=t.id,
        title=t.title or "",
        tags=tuple(t.tags),
        body="\n\n".join(p for p in parts if p.strip()),
    )


class TicketIndex:
    """The search indexes of the tickets at one tree of data/tickets: one over every
    ticket, and one per customer over that customer's tickets only, so that a search for
    one customer draws every statistic of its ranking (word rarity, field lengths, typo
    candidates) from that customer's tickets alone. Each is made when first asked for:
    restored from its stored form when there is one (a snapshot), else built."""

    def __init__(
        self,
        meta: dict[str, tuple[str | None, ...]],
        blobs: dict[str, str],
        problems: list[str],
        stored: dict[str, Part],
        build: Callable[[str | None], SearchIndex],
    ) -> None:
        self.meta = meta  # ticket ID -> values of META
        self.blobs = blobs  # ticket ID -> blob id of its file
        self.problems = problems
        self._stored = stored  # "" (every ticket) or a customer -> its index, stored
        self._build = build
        self._made: dict[str | None, SearchIndex] = {}

    def index(self, customer: str | None = None) -> SearchIndex:
        """Every ticket's index (None), or one customer's."""
        if customer not in self._made:
            part = self._stored.get(customer or "")
            self._made[customer] = _restore(part) if part else self._build(customer)
        return self._made[customer]

    def stored(self, customer: str | None = None) -> Part:
        """The index in the form a snapshot keeps it."""
        part = self._stored.get(customer or "")
        if part is None:
            part = self._stored[customer or ""] = _store(self.index(customer))
        return part

    def keep(self, customer: str, part: Part) -> None:
        """Use `part` (an index of the same tickets, stored) for `customer`'s index."""
        self._stored[customer] = part

    def customer_blobs(self, customer: str) -> dict[str, str]:
        c = META.index("customer")
        return {k: b for k, b in self.blobs.items() if self.meta[k][c] == customer}

    def customers(self) -> list[str]:
        c = META.index("customer")
        return sorted({str(v[c]) for v in self.meta.values() if v[c]})

    def keys_where(
        self, customers: Collection[str] = (), statuses: Collection[str] = ()
    ) -> list[str]:
        c, s = META.index("customer"), META.index("status")
        return [
            key
            for key, values in self.meta.items()
            if (not customers or values[c] in customers) and (not statuses or values[s] in statuses)
        ]

    def search(
        self,
        query: str,
        *,
        limit: int,
        highlight: tuple[str, str],
        customers: Collection[str] = (),
        statuses: Collection[str] = (),
    ) -> list[TicketHit]:
        """One customer: that customer's own index. Several: the desk's index, ranked
        among their tickets only (see `SearchIndex.search`); they share word rarity and
        typo candidates, but the average field length is the desk's."""
        index = self.index(next(iter(customers)) if len(customers) == 1 else None)
        within = None
        if statuses or len(customers) > 1:
            within = self.keys_where(customers, statuses)
        hits = index.search(query, limit=limit, highlight=highlight, within=within)
        results = []
        for h in hits:
            customer, status, priority, assignee = self.meta[h.key]
            results.append(
                TicketHit(
                    h.key,
                    index.document(h.key).title,
                    customer,
                    status,
                    priority,
                    assignee,
                    h.score,
                    h.snippet,
                    h.matched_terms,
                )
            )
        return results


def load_ticket_index(desk: Desk) -> TicketIndex:
    """The indexes of the tickets at HEAD, from the snapshot when it is current."""
    at = desk.git.folder_at("HEAD", TICKETS_DIR)
    if at is None:  # no commit yet, or no ticket yet
        return TicketIndex({}, {}, [], {}, lambda customer: SearchIndex([]))
    commit, tree = at
    key = _snapshot_key(tree)
    saved = _read_snapshot(desk.cache.read(CACHE_KIND))
    if saved is not None and saved[0] == key:
        return saved[1]
    # Another tree: a customer whose ticket files are all as they were keeps its index
    # from the old snapshot (same analyser and version only); the rest are built.
    previous = saved[1] if saved is not None and saved[0][:-1] == key[:-1] else None
    # the commit, not HEAD: HEAD may move meanwhile, and the snapshot must hold exactly
    # the files of the tree it is filed under
    found = _build(desk, commit, previous)
    desk.cache.write(CACHE_KIND, _snapshot_chunks(key, found))
    return found


def _entry(t: Ticket) -> dict[str, Any]:
    doc = document(t)
    return {
        "title": doc.title,
        "tags": list(doc.tags),
        "body": doc.body,
        "meta": [t.customer, t.status, t.priority, t.assignee],
        "analysis": analyze_document(doc),
    }


def _usable(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and isinstance(entry.get("analysis"), Mapping)
        and entry["analysis"].get("analyzer") == analyzer_id()
        and isinstance(entry.get("meta"), list)
        and len(entry["meta"]) == len(META)
    )


def _build(desk: Desk, commit: str, previous: TicketIndex | None) -> TicketIndex:
    files = [(p, b) for p, b in desk.git.ls_tree(TICKETS_DIR, commit) if id_of_path(p)]
    cached = desk.cache.get_many(CACHE_KIND, (b for _, b in files))
    missing = [(p, b) for p, b in files if not _usable(cached.get(b))]
    problems: list[str] = []
    if missing:
        blob_of = dict(missing)
        fresh: dict[str, Any] = {}
        for view in desk.ticket_files(missing):
            if view.error and not view.invalid:
                problems.append(str(view.error))  # unreadable: not searchable
                continue
            fresh[blob_of[view.path]] = _entry(view.ticket)
        desk.cache.put_many(CACHE_KIND, fresh)
        cached.update(fresh)
    pairs: dict[str, tuple[Document, Mapping[str, Any]]] = {}
    meta: dict[str, tuple[str | None, ...]] = {}
    blobs: dict[str, str] = {}
    for path, blob in files:
        entry = cached.get(blob)
        if entry is None or not _usable(entry):
            continue
        key = path.rsplit("/", 1)[-1].removesuffix(".yaml")
        doc = Document(key, str(entry["title"]), tuple(entry["tags"]), str(entry["body"]))
        pairs[key] = (doc, entry["analysis"])
        meta[key] = tuple(entry["meta"])
        blobs[key] = blob
    c = META.index("customer")

    def build(customer: str | None) -> SearchIndex:
        return SearchIndex.from_analyzed(
            p for key, p in pairs.items() if customer is None or meta[key][c] == customer
        )

    found = TicketIndex(meta, blobs, sorted(problems), {}, build)
    if previous is not None:
        for customer in found.customers():
            if previous.customer_blobs(customer) == found.customer_blobs(customer):
                found.keep(customer, previous.stored(customer))
    return found


# --- The snapshot -----------------------------------------------------------------

# An index as a snapshot keeps it: the marshal data of its plain values, and its byte
# strings (ticket text, posting lists: most of it) as they are.
Part = tuple[Any, dict[str, Any]]


def _store(index: SearchIndex) -> Part:
    snapshot = index.snapshot()
    fields = {name: value for name, value in snapshot.items() if isinstance(value, bytes)}
    rest = {name: value for name, value in snapshot.items() if name not in fields}
    return marshal.dumps(rest), fields


def _restore(part: Part) -> SearchIndex:
    rest, fields = part
    snapshot = dict(marshal.loads(rest))
    snapshot.update(fields)
    return SearchIndex.from_snapshot(snapshot)


def _snapshot_key(tree: str) -> tuple[Any, ...]:
    return (CACHE_FORMATS[CACHE_KIND], __version__, analyzer_id(), tree)


def _read_snapshot(data: bytes | None) -> tuple[tuple[Any, ...], TicketIndex] | None:
    """The key and the indexes of a snapshot, or None when there is none or it cannot
    be trusted. Each index is restored only when a search asks for it."""
    if data is None:
        return None
    try:
        if not data.startswith(_MAGIC):
            return None
        key_size, payload_size, raw_size, crc = _SIZES.unpack_from(data, len(_MAGIC))
        start = len(_MAGIC) + _SIZES.size + key_size
        if start + payload_size + raw_size != len(data):
            return None  # cut short, or something appended
        key = marshal.loads(data[start - key_size : start])
        if not isinstance(key, tuple) or len(key) != 4 or key[0] != CACHE_FORMATS[CACHE_KIND]:
            return None
        view = memoryview(data)
        if zlib.crc32(view[start:]) != crc:
            return None
        saved = marshal.loads(view[start : start + payload_size])
        raw = view[start + payload_size :]
        keys, values, blobs = saved["keys"], saved["meta"], saved["blobs"]
        if not len(keys) == len(values) == len(blobs):
            return None
        stored = {
            name: (raw[a:b], {field: raw[x:y] for field, (x, y) in fields.items()})
            for name, ((a, b), fields) in saved["parts"].items()
        }
    except Exception:
        return None
    found = TicketIndex(
        dict(zip(keys, values, strict=True)),
        dict(zip(keys, blobs, strict=True)),
        list(saved["problems"]),
        stored,
        lambda customer: SearchIndex([]),  # a customer without tickets has no stored index
    )
    return key, found


def _snapshot_chunks(key: tuple[Any, ...], found: TicketIndex) -> list[bytes]:
    """The snapshot file: every index (the desk's, then each customer's), each as its
    own marshal data and byte strings, so that reading one decodes only that one."""
    chunks: list[bytes] = []
    size = 0

    def put(data: bytes | memoryview) -> tuple[int, int]:
        nonlocal size
        chunks.append(bytes(data))
        size += len(data)
        return (size - len(data), size)

    parts: dict[str, Any] = {}
    for customer in [None, *found.customers()]:
        rest, fields = found.stored(customer)
        parts[customer or ""] = (put(rest), {name: put(v) for name, v in fields.items()})
    payload = marshal.dumps(
        {
            "keys": list(found.meta),
            "blobs": [found.blobs[k] for k in found.meta],
            "meta": list(found.meta.values()),
            "problems": found.problems,
            "parts": parts,
        }
    )
    head = marshal.dumps(key)
    crc = zlib.crc32(payload)
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    return [_MAGIC + _SIZES.pack(len(head), len(payload), size, crc) + head + payload, *chunks]
