"""Events from the git history: the event log every SLA number is computed from.

One streaming `git log --raw` pass reads trailers; only commits without trailers
(hand edits in an editor) have their ticket blobs parsed and compared. The derived
events are cached (the "events" cache of `supportctl.storage.cache`): per commit for
hand edits, and as the whole list up to a tip commit, extended incrementally when
history grows and rebuilt when it was rewritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import marshal
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from supportctl.domain.events import Event
from supportctl.domain.ticket import TRACKED_FIELDS, parse_ticket
from supportctl.sla.engine import settled_at
from supportctl.storage.cache import CACHE_FORMATS
from supportctl.storage.git import ZERO, RawCommit

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.storage.cache import CachedRepo

EVENTS = "events"  # the cache of this module (see CACHE_FORMATS)
TICKET_PREFIX = "data/tickets/"
DATA_PREFIX = "data/"


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def events_from_trailers(c: RawCommit) -> list[Event]:
    tickets: list[str] = []
    action: str | None = None
    changes: dict[str, tuple[str | None, str | None]] = {}
    details: dict[str, str] = {}
    for key, value in c.trailers:  # one pass: this runs for every commit of the history
        low = key.lower()
        if low == "ticket":
            tickets.append(value)
        elif low == "action":
            action = value if action is None else action
        elif low.startswith(("from-", "to-")):
            side, _, name = low.partition("-")
            if name in TRACKED_FIELDS:
                old, new = changes.get(name, (None, None))
                changes[name] = (_none(value), new) if side == "from" else (old, _none(value))
        else:
            details[low] = value
    if not tickets:
        return []
    action = action or "edit"
    return [
        Event(
            c.sha,
            t,
            action,
            c.author_time,
            c.committer_time,
            c.author_name,
            c.author_email,
            dict(changes),
            dict(details),
        )
        for t in tickets
    ]


def _fields(data: dict[str, Any]) -> dict[str, str | None]:
    return {k: (str(data[k]) if data.get(k) not in (None, "") else None) for k in TRACKED_FIELDS}


def events_from_diff(c: RawCommit, blob: Any) -> list[Event]:
    """Events of a commit made by hand: compare each ticket file before and after.

    A ticket file deleted and another added in the same commit with the same `created`
    time is one ticket renamed by hand: it gives a `rename` event (detail `from`) on the
    new ID, so the ticket keeps its history and clocks, instead of a delete and a new. So does
    a file whose `id` changes in place (the second half of a rename made in two commits).
    """
    events = []
    files = []
    for path, old_blob, new_blob in c.changes:
        if not (path.startswith(TICKET_PREFIX) and path.endswith(".yaml")):
            continue
        old = parse_ticket(blob(old_blob)) if old_blob != ZERO else {}
        new = parse_ticket(blob(new_blob)) if new_blob != ZERO else {}
        if "__error__" in old:
            old = {}
        if "__error__" in new:
            continue  # a broken file carries no facts; validate reports it
        files.append((path, old, new))
    renamed_from = _renames(files)
    for path, old, new in files:
        if not new and path in renamed_from.values():
            continue  # the rename event on the new ID stands for it
        if path in renamed_from:
            old = next(o for p, o, _ in files if p == renamed_from[path])
        ticket = str(new.get("id") or old.get("id") or path.rsplit("/", 1)[-1][:-5])
        before, after = _fields(old), _fields(new)
        changes = {k: (before[k], after[k]) for k in TRACKED_FIELDS if before[k] != after[k]}
        base = {
            "sha": c.sha,
            "ticket": ticket,
            "at": c.author_time,
            "committed": c.committer_time,
            "author": c.author_name,
            "email": c.author_email,
            "manual": True,
        }
        if (
            path not in renamed_from
            and old
            and new
            and old.get("id")
            and old.get("id") != new.get("id")
        ):
            # the id changed in place (e.g. after a `git mv` committed on its own): a rename too
            renamed_from[path] = path
        if path in renamed_from:
            was = str(old.get("id") or renamed_from[path].rsplit("/", 1)[-1][:-5])
            # `file`: the name the file has, which tells a typo from its correction in _merge
            stem = path.rsplit("/", 1)[-1][:-5]
            details = {"from": was, "file": stem}
            events.append(Event(action="rename", changes=changes, details=details, **base))  # type: ignore[arg-type]
        elif not old:
            # like the `Channel:` trailer of `supportctl new`: plan rules may match on it
            details = {"channel": str(new["channel"])} if new.get("channel") else {}
            events.append(Event(action="new", changes=changes, details=details, **base))  # type: ignore[arg-type]
            continue
        elif not new:
            events.append(Event(action="delete", **base))  # type: ignore[arg-type]
            continue
        elif changes:
            events.append(Event(action=_action_for(changes), changes=changes, **base))  # type: ignore[arg-type]
        old_comments = old.get("comments") or []
        for comment in (new.get("comments") or [])[len(old_comments) :]:
            if isinstance(comment, dict):
                vis = str(comment.get("visibility") or "public")
                events.append(Event(action="comment", details={"visibility": vis}, **base))  # type: ignore[arg-type]
    return events


def _renames(files: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> dict[str, str]:
    """Added ticket file -> the deleted one it continues (same `created` time), per commit."""
    gone: dict[str, list[str]] = {}
    for path, old, new in files:
        if old and not new and old.get("created") not in (None, ""):
            gone.setdefault(str(old["created"]), []).append(path)
    found: dict[str, str] = {}
    for path, old, new in files:
        if new and not old and gone.get(str(new.get("created"))):
            found[path] = gone[str(new["created"])].pop(0)
    return found


def _action_for(changes: dict[str, tuple[str | None, str | None]]) -> str:
    status = changes.get("status")
    if status:
        return {
            "in_progress": "reopen" if status[0] in ("resolved", "closed") else "start",
            "waiting": "wait",
            "resolved": "resolve",
            "closed": "close",
        }.get(status[1] or "", "edit")
    if "line" in changes:
        return "escalate"
    if "assignee" in changes:
        return "assign"
    return "edit"


# -- cache encoding (marshal: fast, and unlike pickle it cannot run code) -------------
def _enc_time(t: datetime) -> tuple[int, int]:
    off = t.utcoffset() or timedelta(0)
    return int(t.timestamp()), int(off.total_seconds() // 60)


_ZONES: dict[int, timezone] = {}


def _dec_time(v: Any) -> datetime:
    tz = _ZONES.get(v[1])
    if tz is None:
        tz = _ZONES[v[1]] = timezone(timedelta(minutes=v[1]))
    return datetime.fromtimestamp(v[0], tz)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the cache is read or written.

    Decoding 200,000 cached events allocates millions of tuples, dicts and datetimes;
    the collections those allocations trigger walk every object made so far and took
    about half of the load time of a warm `sla check`. Nothing built here has cycles.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _encode(e: Event) -> tuple[Any, ...]:
    return (
        e.sha,
        e.ticket,
        e.action,
        _enc_time(e.at),
        _enc_time(e.committed),
        e.author,
        e.email,
        {k: list(v) for k, v in e.changes.items()},
        e.details,
        e.manual,
    )


def _decode(v: Any) -> Event:
    return Event(
        v[0],
        v[1],
        v[2],
        _dec_time(v[3]),
        _dec_time(v[4]),
        v[5],
        v[6],
        {k: (x[0], x[1]) for k, x in v[7].items()},
        dict(v[8]),
        bool(v[9]),
    )


@dataclass(frozen=True)
class TicketSpan:
    """What the events cache knows of a ticket without decoding its events (unix times)."""

    first: float  # its earliest event
    last: float  # its latest event
    settled: float | None  # when every SLA clock had stopped for good; None: one can still run
    # its encoded events, read only when a question needs them
    payload: bytes = dataclasses.field(default=b"", repr=False, compare=False)

    def reordered(self, field: str) -> bool:
        """Whether the events changing `field` are in another order by time than by commit:
        a back-dated commit changed it before a change committed earlier, so the value the
        events end with is not the one of the ticket's latest file."""
        if not self.payload:
            return False
        try:
            encoded = marshal.loads(self.payload)
        except (ValueError, EOFError, TypeError):
            return True  # unreadable: nothing can be assumed about it
        previous = -1
        for v in encoded:  # time order; v[10] is the commit's sequence, v[7] the changes
            if field in v[7]:
                if v[10] < previous:
                    return True
                previous = v[10]
        return False


Keep = Callable[[str, TicketSpan], bool]
# ticket -> (first, last, settled, marshal of its encoded events with their commit sequence)
Index = dict[str, tuple[float, float, float | None, bytes]]


class CacheCorrupt(Exception):
    pass


class History:
    """All ticket events reachable from a revision.

    The cache keeps each ticket's events apart (in time order, with their commit
    sequence), so a question about one ticket or one month decodes only the tickets
    it needs.
    """

    def __init__(self, repo: CachedRepo, progress: bool = True) -> None:
        """`progress`: tell the desk's progress reporter (if the caller gave it one) about
        a long scan."""
        self.repo = repo
        self.progress = repo.progress if progress else None

    @property
    def path(self) -> Path | None:
        """The cache file (None when there is no usable cache folder)."""
        return self.repo.cache.path(EVENTS)

    def by_ticket(self, rev: str = "HEAD", keep: Keep | None = None) -> dict[str, list[Event]]:
        """Events per ticket, each list in time order (author date, then commit order)."""
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            try:
                return _kept(index, keep)
            except CacheCorrupt:
                continue  # a damaged entry: read the history again, never trust it
        return {}

    def with_action(self, action: str, rev: str = "HEAD") -> dict[str, list[Event]]:
        """Events of the tickets that have an event of `action` (e.g. `rename`), in time order.

        Only the entries whose encoded events contain the action's name are decoded, so a
        rare action is found on a 200,000-commit history at about the cost of loading it.
        """
        needle = action.encode()
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            try:
                found = {
                    t: [e for _, e in _decode_ticket(payload)]
                    for t, (_, _, _, payload) in index.items()
                    if needle in payload
                }
            except CacheCorrupt:
                continue
            return {t: evs for t, evs in found.items() if any(e.action == action for e in evs)}
        return {}

    def events(self, rev: str = "HEAD") -> list[Event]:
        """Every event, oldest commit first."""
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            try:
                pairs = [p for _, _, _, payload in index.values() for p in _decode_ticket(payload)]
            except CacheCorrupt:
                continue
            pairs.sort(key=lambda p: p[0])
            return [e for _, e in pairs]
        return []

    def _index(self, rev: str, rebuild: bool = False) -> Index:
        tip = self.repo.git.rev(rev)
        if tip is None:
            return {}
        cached_tip, seq, index = (None, 0, {}) if rebuild else self._load()
        if cached_tip == tip:
            return index
        if cached_tip and self.repo.git.is_ancestor(cached_tip, tip):
            fresh = self._scan(f"{cached_tip}..{tip}")
        else:
            seq, index, fresh = 0, {}, self._scan(tip)
        try:
            seq = _merge(index, fresh, seq)
        except CacheCorrupt:  # an entry the new events belong to is damaged
            index = {}
            seq = _merge(index, self._scan(tip), 0)
        self._save(tip, seq, index)
        return index

    def _scan(self, rev: str) -> list[Event]:
        # Newest first and without a pathspec: git starts printing at once (no walk of
        # the whole history first, no TREESAME check per commit, no history
        # simplification that could hide a side branch), and parsing here overlaps
        # git's work. Commits are put oldest first below.
        commits = self.repo.git.log(rev, paths=(), newest_first=True)
        found_by_commit: list[tuple[str, tuple[str, ...], list[Event]]] = []
        hand_made: list[tuple[RawCommit, list[Event]]] = []  # events derived below
        for c in self._with_progress(commits):
            found: list[Event] = []
            # A merge brings its parents' events, which are in the log themselves; a
            # commit that changes nothing under data/ is one `git log -- data` leaves out.
            if len(c.parents) <= 1 and not c.changes:
                # an action sync kept in history after a later one on the other side won
                # (its commit changes nothing): still an event, in its place in time
                found = [
                    dataclasses.replace(e, details={**e.details, "overridden": "yes"})
                    for e in events_from_trailers(c)
                ]
            elif len(c.parents) <= 1 and any(p.startswith(DATA_PREFIX) for p, _, _ in c.changes):
                found = events_from_trailers(c)
                if not found and any(p.startswith(TICKET_PREFIX) for p, _, _ in c.changes):
                    hand_made.append((c, found))
            found_by_commit.append((c.sha, c.parents, found))
        if hand_made:
            self._hand_made(hand_made)
        out: list[Event] = []
        for _, _, found in parents_first(found_by_commit):
            out.extend(found)
        return out

    def _hand_made(self, commits: list[tuple[RawCommit, list[Event]]]) -> None:
        """Fill in the events of commits made by hand: from the cache, else by comparing
        their ticket files (all the blobs in one pipelined `git cat-file --batch`)."""
        cache = self.repo.cache
        known = cache.get_many(EVENTS, (c.sha for c, _ in commits))
        missing: list[tuple[RawCommit, list[Event]]] = []
        for c, found in commits:
            cached = _decode_rows(known.get(c.sha))
            if cached is None:
                missing.append((c, found))
            else:
                found.extend(cached)
        if not missing:
            return
        blobs = self.repo.git.blobs(
            b
            for c, _ in missing
            for path, old, new in c.changes
            if path.startswith(TICKET_PREFIX)
            for b in (old, new)
            if b != ZERO
        )
        fresh: dict[str, Any] = {}
        for c, found in missing:
            found.extend(events_from_diff(c, lambda b: blobs.get(b) or self.repo.git.blob(b)))
            fresh[c.sha] = [_encode(e) for e in found]
        cache.put_many(EVENTS, fresh)

    def _with_progress(self, commits: Iterator[RawCommit]) -> Iterable[RawCommit]:
        report = self.progress
        if report is None:
            yield from commits
            return
        report(0)
        try:
            for i, c in enumerate(commits, 1):
                if i % 500 == 0:
                    report(i)
                yield c
        finally:
            report(None)

    def _load(self) -> tuple[str | None, int, Index]:
        data = self.repo.cache.read(EVENTS)
        if data is None:
            return None, 0, {}
        try:
            tip, version, seq, crc, body = marshal.loads(data)
            if (
                version != CACHE_FORMATS[EVENTS]
                or not isinstance(tip, str)
                or not isinstance(body, bytes)
                or zlib.crc32(body) != crc
            ):
                return None, 0, {}
            with gc_paused():
                index = marshal.loads(body)
            if (
                not isinstance(index, dict)
                or not isinstance(seq, int)
                or not all(
                    isinstance(v, tuple) and len(v) == 4 and isinstance(v[3], bytes)
                    for v in index.values()
                )
            ):
                return None, 0, {}
            return tip, seq, index
        except (EOFError, ValueError, TypeError):
            return None, 0, {}  # corrupt or foreign: rebuild, never trust

    def _save(self, tip: str, seq: int, index: Index) -> None:
        body = marshal.dumps(index)
        self.repo.cache.write(
            EVENTS, [marshal.dumps((tip, CACHE_FORMATS[EVENTS], seq, zlib.crc32(body), body))]
        )


def grouped_events(events: Iterable[Event], keep: Keep | None = None) -> dict[str, list[Event]]:
    """Events of commits (oldest commit first) per ticket, as `History.by_ticket` gives
    them: in time order, a deleted namesake's under `ID~n`, a renamed ticket's under its
    new ID; with `keep`, only the tickets it accepts."""
    index: Index = {}
    _merge(index, list(events), 0)
    return _kept(index, keep)


def _kept(index: Index, keep: Keep | None) -> dict[str, list[Event]]:
    return {
        t: [e for _, e in _decode_ticket(payload)]
        for t, (first, last, settled, payload) in index.items()
        if keep is None or keep(t, TicketSpan(first, last, settled, payload))
    }


def _decode_rows(rows: Any) -> list[Event] | None:
    """Cached events of a hand-made commit, or None when there are none or they are not
    events (damaged or foreign)."""
    if not isinstance(rows, list):
        return None
    try:
        return [_decode(v) for v in rows]
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError, OSError):
        return None


def _decode_ticket(payload: Any) -> list[tuple[int, Event]]:
    try:
        with gc_paused():
            return [(v[10], _decode(v)) for v in marshal.loads(payload)]
    except (
        ValueError,
        EOFError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        OverflowError,
        OSError,
    ) as exc:
        raise CacheCorrupt(str(exc)) from None


def _merge(index: Index, fresh: list[Event], seq: int) -> int:
    """Add events (oldest commit first) to the index; returns the next commit sequence.

    A ticket ID has generations: once its file was deleted, whatever later appears under
    the same ID (by hand, or from an old clone) is another ticket. The earlier generation
    keeps its events under `ID~1`, `ID~2`, ... so they never count for the new one. A
    `rename` event moves the old ID's events to the new ID: the ticket keeps its history.
    """
    work: dict[str, list[tuple[int, Event]]] = {}
    last: dict[str, str] = {}  # ticket -> action of its latest event in commit order

    def events_of(ticket: str) -> list[tuple[int, Event]]:
        if ticket not in work:
            pairs = _decode_ticket(index[ticket][3]) if ticket in index else []
            work[ticket] = pairs
            if pairs:
                last[ticket] = max(pairs, key=lambda p: p[0])[1].action
        return work[ticket]

    def retire(ticket: str) -> None:
        """Move the ticket's events to its next free `~n` key."""
        n = 1
        while f"{ticket}~{n}" in index or work.get(f"{ticket}~{n}"):
            n += 1
        key = f"{ticket}~{n}"
        work[key] = [(k, dataclasses.replace(e, ticket=key)) for k, e in events_of(ticket)]
        work[ticket] = []
        last.pop(ticket, None)

    for e in fresh:
        pairs = events_of(e.ticket)
        was = e.details.get("from", "") if e.action == "rename" else ""
        named = e.details.get("file") if e.action == "rename" else None
        if e.action == "rename":
            e = dataclasses.replace(e, details={"from": was})
        if e.action == "rename" and was in ("", e.ticket):
            # only the file moved (its id still says the same ticket): validate reports it
            e = dataclasses.replace(e, action="edit", details={})
        elif (
            e.action == "rename" and pairs and last.get(e.ticket) != "delete" and named == e.ticket
        ):
            # an id typo put right: the id says the file's own ticket again, which it always
            # was; what else the commit changed is that ticket's
            e = dataclasses.replace(e, action=_action_for(e.changes), details={})
        elif e.action == "rename" and pairs and last.get(e.ticket) != "delete":
            # an id edited to that of another live ticket (a typo): the file is still the old
            # ticket's, and the other keeps its history; validate reports the file
            e = dataclasses.replace(e, ticket=was, action="edit", details={})
            pairs = events_of(was)
        if e.action == "rename":
            moved = events_of(was)
            if pairs:
                retire(e.ticket)
            if not moved:  # nothing known of the old ID: the ticket starts here
                e = dataclasses.replace(e, action="new")
            work[e.ticket] = [(k, dataclasses.replace(x, ticket=e.ticket)) for k, x in moved]
            if moved:
                work[was] = []
                last.pop(was, None)
        elif pairs and last.get(e.ticket) == "delete" and e.action != "delete":
            retire(e.ticket)
        work[e.ticket].append((seq, e))
        last[e.ticket] = e.action
        seq += 1
    for ticket, pairs in work.items():
        if not pairs:
            index.pop(ticket, None)
            continue
        pairs.sort(key=lambda p: (p[1].at.timestamp(), p[0]))
        evs = [e for _, e in pairs]
        settled = settled_at(evs)
        times = [e.at.timestamp() for e in evs]
        index[ticket] = (
            min(times),
            max(times),
            settled.timestamp() if settled is not None else None,
            marshal.dumps([(*_encode(e), n) for n, e in pairs]),
        )
    return seq


def parents_first(
    newest_first: list[tuple[str, tuple[str, ...], list[Event]]],
) -> list[tuple[str, tuple[str, ...], list[Event]]]:
    """Commits listed newest first (git's default order) put oldest first, parents first.

    Reversing is enough unless commit dates are skewed across a merge; then a
    depth-first walk places every listed parent before its children.
    """
    order = newest_first[::-1]
    by_sha = {item[0]: item for item in order}
    seen: set[str] = set()
    for sha, parents, _ in order:
        if any(p in by_sha and p not in seen for p in parents):
            break
        seen.add(sha)
    else:
        return order
    placed: set[str] = set()
    result = []
    for item in order:
        stack = [(item, False)]
        while stack:
            (sha, parents, found), expanded = stack.pop()
            if sha in placed:
                continue
            if expanded:
                placed.add(sha)
                result.append((sha, parents, found))
                continue
            stack.append(((sha, parents, found), True))
            for p in reversed(parents):
                if p in by_sha and p not in placed:
                    stack.append((by_sha[p], False))
    return result


def generation_at(grouped: dict[str, list[Event]], ticket: str, when: datetime) -> str:
    """The key (`ID`, or `ID~n` for a deleted namesake) of the ticket that bore this ID at
    `when`: the latest generation created at or before it."""
    firsts: dict[str, float | None] = {}
    n = 0
    key = ticket
    while key == ticket or key in grouped:
        evs = grouped.get(key)
        firsts[key] = evs[0].at.timestamp() if evs else None
        n += 1
        key = f"{ticket}~{n}"
    return generation_of(firsts, ticket, when)


def generation_of(firsts: Mapping[str, float | None], ticket: str, when: datetime) -> str:
    """`generation_at` from each generation's first event time (unix; None: no events), as
    the events cache knows them without decoding a ticket's events."""
    older: list[str] = []
    while f"{ticket}~{len(older) + 1}" in firsts:
        older.append(f"{ticket}~{len(older) + 1}")
    found = ticket
    at = when.timestamp()
    for key in [*older, ticket]:  # oldest first
        first = firsts.get(key)
        if first is not None and first <= at:
            found = key
    return found
