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
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from supportctl.domain.events import Event, is_public_reply
from supportctl.domain.ticket import TRACKED_FIELDS, parse_ticket
from supportctl.sla.engine import settled_second
from supportctl.storage.cache import CACHE_FORMATS
from supportctl.storage.git import ZERO, RawCommit, parse_git_time

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.storage.cache import CachedRepo

EVENTS = "events"  # the cache of this module (see CACHE_FORMATS)
TICKET_PREFIX = "data/tickets/"
DATA_PREFIX = "data/"
DATA = DATA_PREFIX.rstrip("/")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's id of a tree with nothing in it
_DATA_SLICE = 20_000  # commits whose `data` entries one `git cat-file` is asked for
# a scan of more events than this keeps none of them decoded for the caller (`History._built`)
_KEEP_BUILT = 5_000
S = TypeVar("S", bound=Sequence[Any])
T = TypeVar("T")
# An event found by a scan: the event, or only its cache encoding (a tuple, see `_encode`).
# The scan of trailers makes only the encoding: a history's 200,000 events are never all
# held as objects at once (see `_merge`).
Fresh = Event | tuple[Any, ...]
# A commit as a scan keeps it until its events are put in commit order: one list
# `[sha, parents, *events]`, where `parents` is the one parent's id (most commits), else a
# tuple of them (a root commit, a merge). One small list per commit of a 200,000-commit
# history, not a tuple, a tuple of parents and a list of events (40 MB less at 20k tickets).
_Commit = list[Any]


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def events_from_trailers(c: RawCommit) -> list[Event]:
    tickets, action, changes, details = _trailer_facts(c.trailers)
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


Changes = dict[str, tuple[str | None, str | None]]


def _trailer_facts(
    trailers: Iterable[tuple[str, str]],
) -> tuple[list[str], str, Changes, dict[str, str]]:
    """The tickets a commit's trailers name, and what they say happened to each."""
    tickets: list[str] = []
    action: str | None = None
    changes: Changes = {}
    details: dict[str, str] = {}
    for key, value in trailers:  # one pass: this runs for every commit of the history
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
    return tickets, action or "edit", changes, details


def _trailer_pairs(text: str) -> list[tuple[str, str]]:
    """`git log`'s `%(trailers:only,unfold)` as (key, value) pairs, read as `Repo.log` does."""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return pairs


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
                if comment.get("from_customer") is True:  # never an answer to the customer
                    vis = "customer"
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


# The facts of the trailers after a leading `Ticket:` line, by their text: supportctl writes
# few distinct ones (`Action: close` + the status change, ...), so most commits share one.
_Facts = tuple[list[str], str, Changes, dict[str, str], dict[str, list[str | None]]]
_NO_FACTS: _Facts = ([], "edit", {}, {}, {})


def _read_log(
    records: Iterable[list[str]],
    newest_first: list[_Commit],
    checks: _DataCheck,
    by_hand: list[tuple[list[str], str | None, _Commit]],
    report: Callable[[int | None], None] | None,
) -> None:
    """Sort the commits of `Repo.commit_fields` out, and make the events of their trailers.

    This runs for every commit of the history: strings are cut with C-level methods, the
    facts of a block of trailers are worked out once per distinct block, and each event's
    cache encoding is made here from git's own numbers."""
    known: dict[str, _Facts] = {}
    same: dict[str, str] = {}
    # one string object per commit id, its own record's and its children's parent entries
    # alike; a table of this scan's own (not `sys.intern`'s, whose table never shrinks)
    one_id: dict[str, str] = {}
    intern = one_id.setdefault
    zones: dict[str, int] = {}
    # `_DataCheck.seen` and `.add` written out here for the usual case (a commit whose
    # child changed something, all of it under data/): this loop runs 200,000 times
    waiting, wanted = checks.waiting, checks.trees
    n = 0
    for fields in records:
        n += 1
        if report is not None and n % 500 == 0:
            report(n)
        sha, tree = fields[0].strip(), fields[1]
        sha = intern(sha, sha)  # its children's parent entry, read before it, if any
        children = waiting.pop(sha, None)
        if children is not None:
            for child, commit, outside in children:
                if outside or child == tree:
                    checks.compare(child, tree, commit, outside)
        if sha in wanted:
            wanted[sha] = tree
        ids = fields[2].split()
        if len(ids) > 1:
            # a merge brings its parents' events, which are in the log themselves
            newest_first.append([sha, tuple(intern(p, p) for p in ids)])
            continue
        parent = intern(ids[0], ids[0]) if ids else None
        text = fields[8] if len(fields) > 9 else ""
        first, _, rest = text.partition("\n")
        if first.startswith("Ticket:") and first.isprintable():
            # the line `_trailer_pairs` would read first: the rest decides everything else
            facts = known.get(rest)
            if facts is None:
                t, action, changes, details = _trailer_facts(_trailer_pairs(rest))
                coded = {k: list(v) for k, v in changes.items()}
                facts = known[rest] = (t, action, changes, details, coded)
            tickets = [first[7:].strip(), *facts[0]]
        elif text.strip():
            t, action, changes, details = _trailer_facts(_trailer_pairs(text))
            facts = (t, action, changes, details, {k: list(v) for k, v in changes.items()})
            tickets = t
        else:
            facts, tickets = _NO_FACTS, []
        if not tickets:
            entry: _Commit = [sha, parent or ()]
            newest_first.append(entry)
            by_hand.append((fields, parent, entry))
            if parent is not None:
                wanted[parent] = None
            continue
        _, action, _, details, coded = facts
        authored, committed = fields[5], fields[6]
        seconds, _, offset = authored.partition(" ")
        zone = zones.get(offset)
        if zone is None:
            zone = zones[offset] = _zone(offset)
        at_code = committed_code = int(seconds) * _ZONE_SPAN + zone
        if committed != authored:  # else one number for both
            seconds, _, offset = committed.partition(" ")
            zone = zones.get(offset)
            if zone is None:
                zone = zones[offset] = _zone(offset)
            committed_code = int(seconds) * _ZONE_SPAN + zone
        # one string object per distinct value: marshal then writes a repeat as a
        # reference, which keeps the cache small and quick to load
        name = same.setdefault(fields[3], fields[3])
        email = same.setdefault(fields[4], fields[4])
        facts_of = (action, at_code, committed_code, name, email, coded, details, False)
        events = [(sha, same.setdefault(t, t), *facts_of) for t in tickets]
        # a list of its own length, no room kept for growth: 200,000 of them
        entry = (
            [sha, parent or (), events[0]] if len(events) == 1 else [sha, parent or (), *events][:]
        )
        newest_first.append(entry)
        outside = fields[-1] == "1"
        if parent is None:
            checks.compare(tree, EMPTY_TREE, entry, outside)
        else:
            later = waiting.get(parent)
            if later is None:
                waiting[parent] = [(tree, entry, outside)]
            else:
                later.append((tree, entry, outside))


class _DataCheck:
    """Keeps the trailer events of the commits that changed something under data/, marks
    those of commits that changed nothing `overridden`, and drops the rest, as the log is
    read.

    A commit changed nothing when its tree is its parent's. One that changed something,
    and nothing outside data/ (the log says which did), changed something under data/.
    For the few that changed something outside it, the `data` entries of both trees tell
    (asked for a slice of commits at a time, one `git cat-file` each). A parent's record
    follows its child's in the log, so each commit waits only until its parent is read.
    No tree of the history is held beyond that. Parents read before their child (skewed
    dates) or outside the range read are asked for at the end. `_read_log` puts each
    commit with trailers in `waiting` under its parent, and compares the children of
    each commit it reads (`compare`).
    """

    def __init__(self, object_ids: Callable[[list[str]], list[tuple[str, str] | None]]) -> None:
        self.object_ids = object_ids
        # parent -> its children: (tree, commit, whether it changed anything outside data/)
        self.waiting: dict[str, list[tuple[str, _Commit, bool]]] = {}
        self.ready: list[tuple[str, str, _Commit]] = []  # (tree, parent's tree, commit)
        # parents whose trees other readers of the log asked for (hand-made commits)
        self.trees: dict[str, str | None] = {}

    def finish(self) -> None:
        """Decide what is left, once the whole log is read."""
        unknown = [*self.waiting, *(p for p, t in self.trees.items() if t is None)]
        unseen = list(dict.fromkeys(unknown))
        if unseen:
            answers = self.object_ids([f"{p}^{{tree}}" for p in unseen])
            tree_of = {p: _tree_id(a) or EMPTY_TREE for p, a in zip(unseen, answers, strict=True)}
            waiting, self.waiting = self.waiting, {}
            for parent, children in waiting.items():
                for child, commit, outside in children:
                    self.compare(child, tree_of[parent], commit, outside)
            for p, t in self.trees.items():
                if t is None:
                    self.trees[p] = tree_of[p]
        self._decide()

    def compare(self, tree: str, before: str, commit: _Commit, outside: bool) -> None:
        """The events of a commit with this tree, whose parent's tree is `before`, to be
        kept or dropped; `outside`: it changed something outside data/."""
        if tree == before:
            commit[2:] = [_overridden(x) for x in commit[2:]]
            return
        if not outside:
            return  # what changed is under data/
        self.ready.append((tree, before, commit))
        if len(self.ready) >= _DATA_SLICE:
            self._decide()

    def _decide(self) -> None:
        wanted = dict.fromkeys(t for tree, before, _ in self.ready for t in (tree, before))
        wanted.pop(EMPTY_TREE, None)
        answers = self.object_ids([f"{t}:data" for t in wanted])
        data_of = {t: _tree_id(a) for t, a in zip(wanted, answers, strict=True)}
        data_of[EMPTY_TREE] = None
        for tree, before, commit in self.ready:
            if data_of[tree] == data_of[before]:
                del commit[2:]
        self.ready = []


def _release_free_memory() -> None:
    """Hand the memory a long scan freed back to the system. Python's own allocator does so
    for each arena left empty; the C library keeps what it freed (the events of a ticket,
    its encoding: tens of megabytes at 20,000 tickets) for later, unless told otherwise
    (glibc's `malloc_trim`). Elsewhere, nothing to do."""
    try:
        import ctypes

        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the C library in use
    except (ImportError, OSError, TypeError):  # a Python without ctypes; no C library
        return
    if trim is not None:
        trim(0)


def _tree_id(found: tuple[str, str] | None) -> str | None:
    """The id of a tree that `Repo.object_ids` found; None for anything else, and for the
    empty tree, in which `git log --raw` sees no file either."""
    if found is None or found[0] != "tree" or found[1] == EMPTY_TREE:
        return None
    return found[1]


def _overridden(x: Fresh) -> Fresh:
    """An event of a commit that changed nothing, marked `overridden`."""
    if isinstance(x, Event):
        return dataclasses.replace(x, details={**x.details, "overridden": "yes"})
    return (*x[:8], {**x[8], "overridden": "yes"}, *x[9:])


def _zone(offset: str) -> int:
    """A raw date's offset (`+0300`) as `parse_git_time` reads it, as `_enc_time` encodes
    it (the remainder of the encoding)."""
    return _enc_time(parse_git_time("0", offset))


# -- cache encoding (marshal: fast, and unlike pickle it cannot run code) -------------
# A time is one number: its unix seconds times _ZONE_SPAN, plus its offset from UTC in
# minutes and _ZONE_BIAS (an offset is less than a day either way). One int per time, not a
# tuple of two: a scan of 200,000 commits holds 11 MB less.
_ZONE_SPAN = 4096
_ZONE_BIAS = 2048


def _enc_time(t: datetime) -> int:
    off = t.utcoffset() or timedelta(0)
    return int(t.timestamp()) * _ZONE_SPAN + int(off.total_seconds() // 60) + _ZONE_BIAS


_ZONES: dict[int, timezone] = {}


def _git_time(raw: str) -> datetime:
    """A raw git date (`1788165822 +0300`) as `parse_git_time` reads it."""
    seconds, _, offset = raw.partition(" ")
    return parse_git_time(seconds, offset)


def _dec_time(v: int) -> datetime:
    seconds, zone = divmod(v, _ZONE_SPAN)
    tz = _ZONES.get(zone)
    if tz is None:
        tz = _ZONES[zone] = timezone(timedelta(minutes=zone - _ZONE_BIAS))
    return datetime.fromtimestamp(seconds, tz)


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
    # its encoded events, read only when a question needs them; a memoryview into the cache
    # file as read: marshal reads it, but `in` does not search it (use a compiled pattern)
    payload: bytes | memoryview = dataclasses.field(default=b"", repr=False, compare=False)

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
# ticket -> (first, last, settled, marshal of its encoded events with their commit sequence;
# a view into the cache file as it was read, for the tickets a scan did not change)
Index = dict[str, tuple[float, float, float | None, bytes | memoryview]]
# ticket -> its events with their commit sequence, as its index entry holds them
Built = dict[str, list[tuple[int, Event]]]


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
        self._progress = progress
        self._built: Built = {}
        self._last: tuple[str, Index] | None = None  # the index of the tip asked for last

    @property
    def path(self) -> Path | None:
        """The cache file (None when there is no usable cache folder)."""
        return self.repo.cache.path(EVENTS)

    def by_ticket(self, rev: str = "HEAD", keep: Keep | None = None) -> dict[str, list[Event]]:
        """Events per ticket, each list in time order (author date, then commit order)."""
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            try:
                return _kept(index, keep, self._built)
            except CacheCorrupt:
                continue  # a damaged entry: read the history again, never trust it
        return {}

    def each_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> Iterator[tuple[str, list[Event]]]:
        """The tickets of `by_ticket`, in its order, one at a time: a ticket's events are
        decoded only when the caller comes to it, so a caller that keeps a few figures of
        each holds the events of one ticket at a time, not of them all."""
        given: set[str] = set()
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            # this revision's decoded events, whatever the caller asks in between
            built = self._built
            try:
                for t, (first, last, settled, payload) in index.items():
                    if keep is not None and not keep(t, TicketSpan(first, last, settled, payload)):
                        continue
                    if t in given:  # given before a damaged entry was found: not twice
                        continue
                    evs = [e for _, e in _pairs(built, t, payload)]
                    given.add(t)
                    yield t, evs
                return
            except CacheCorrupt:
                continue  # a damaged entry: read the history again, never trust it

    def with_action(self, action: str, rev: str = "HEAD") -> dict[str, list[Event]]:
        """Events of the tickets that have an event of `action` (e.g. `rename`), in time order.

        Only the entries whose encoded events contain the action's name are decoded, so a
        rare action is found on a 200,000-commit history at about the cost of loading it.
        """
        # searched in the payloads where they lie (a memoryview is no substring container)
        needle = re.compile(re.escape(action.encode()))
        for attempt in (1, 2):
            index = self._index(rev, rebuild=attempt == 2)
            try:
                found = {
                    t: [e for _, e in _pairs(self._built, t, payload)]
                    for t, (_, _, _, payload) in index.items()
                    if needle.search(payload)
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
                pairs = [
                    p
                    for t, (_, _, _, payload) in index.items()
                    for p in _pairs(self._built, t, payload)
                ]
            except CacheCorrupt:
                continue
            pairs.sort(key=lambda p: p[0])
            return [e for _, e in pairs]
        return []

    def _index(self, rev: str, rebuild: bool = False, read_back: bool = True) -> Index:
        """The index of the events up to `rev`: the cache, brought up to date. The events of
        the tickets a scan just merged are kept at hand (`_built`), not decoded again.
        After a long scan the index is read back from the file just written (`read_back`),
        which lets the memory of the scan go."""
        tip = self.repo.git.rev(rev)
        if tip is None:
            return {}
        if not rebuild and self._last is not None and self._last[0] == tip:
            return self._last[1]
        self._built, self._last = {}, None
        cached_tip, seq, index = (None, 0, {}) if rebuild else self._load()
        if cached_tip == tip:
            self._last = (tip, index)
            return index
        # a scan makes millions of objects and no cycles (see gc_paused)
        with gc_paused():
            if cached_tip and self.repo.git.is_ancestor(cached_tip, tip):
                fresh = self._scan(f"{cached_tip}..{tip}")
            else:
                seq, index, fresh = 0, {}, self._scan(tip)
            try:
                seq, long = self._merged(index, fresh, seq)
            except CacheCorrupt:  # an entry the new events belong to is damaged
                index, self._built = {}, {}
                seq, long = self._merged(index, self._scan(tip), 0)
            del fresh
            saved = self._save(tip, seq, index)
        if long and saved and read_back:
            # the index as the file holds it, read back: what a long scan made is spread
            # over the memory its millions of objects took, and kept there by the little
            # that outlives it (each ticket's entry); let go of, all of that memory is free
            del index
            _release_free_memory()
            reread, _, index = self._load()
            if reread != tip:  # the file changed in between (another process): again,
                return self._index(tip, rebuild, read_back=False)  # keeping what it makes
        self._last = (tip, index)
        return index

    def _merged(self, index: Index, fresh: list[Fresh], seq: int) -> tuple[int, bool]:
        """`_merge` of a scan's events (emptying `fresh`): the next commit sequence, and
        whether the scan was long. The events of a short stretch of history stay decoded
        for the caller (`_built`); those of a long one are decoded again only for the
        tickets a question needs (memory)."""
        long = len(fresh) > _KEEP_BUILT
        return _merge(index, _drained(fresh), seq, None if long else self._built), long

    def _scan(self, rev: str) -> list[Fresh]:
        """Events of the commits of `rev` (a commit or a range), oldest commit first.

        A commit's events are those of its trailers when it changed something under
        data/; when it changed nothing at all they still count, marked `overridden` (a
        sync kept an action another side's later one undid); a merge brings none (its
        parents' events are in the history themselves). A commit without `Ticket:`
        trailers that changed ticket files was made by hand: its files are compared.

        One `git log` reads every commit's trailers and root tree, and whether it changed
        anything outside data/ (a diff of root trees only, not of the folders of ticket
        files); which trailer commits changed data/ at all follows from that and their
        parents' trees (`_DataCheck`, which asks git for the `data` entries of the few
        commits that changed something outside data/), and only commits made by hand are
        diffed (one `git diff-tree`). Newest first: git starts printing at once (no walk
        of the whole history first, no history simplification that could hide a side
        branch), and parsing here overlaps git's work.
        """
        newest_first: list[_Commit] = []
        checks = _DataCheck(self.repo.git.object_ids)
        by_hand: list[tuple[list[str], str | None, _Commit]] = []
        # asked at the scan, not when this reader was made: the desk keeps one reader
        report = self.repo.progress if self._progress else None
        if report is not None:
            report(0)
        try:
            _read_log(self.repo.git.commit_fields(rev, DATA), newest_first, checks, by_hand, report)
        finally:
            if report is not None:
                report(None)
        checks.finish()
        self._hand_made(by_hand, checks.trees)
        return [x for commit in parents_first(newest_first) for x in commit[2:]]

    def _hand_made(
        self,
        commits: list[tuple[list[str], str | None, _Commit]],
        tree_of: Mapping[str, str | None],
    ) -> None:
        """Fill in the events of commits made by hand: from the cache, else by comparing
        their ticket files (all the blobs in one pipelined `git cat-file --batch`)."""
        # a commit that changed nothing has no files to compare
        commits = [c for c in commits if c[1] is None or tree_of.get(c[1]) != c[0][1]]
        if not commits:
            return
        cache = self.repo.cache
        known = cache.get_many(EVENTS, (fields[0].strip() for fields, _, _ in commits))
        missing: list[tuple[list[str], _Commit]] = []
        for fields, _, found in commits:
            cached = _decode_rows(known.get(fields[0].strip()))
            if cached is None:
                missing.append((fields, found))
            else:
                found.extend(cached)
        if not missing:
            return
        changed = self.repo.git.tree_changes((f[0].strip() for f, _ in missing), TICKET_PREFIX)
        raw: list[tuple[RawCommit, _Commit]] = []
        for fields, found in missing:
            sha = fields[0].strip()
            if sha in changed:
                at, committed = _git_time(fields[5]), _git_time(fields[6])
                c = RawCommit(sha, (), fields[3], fields[4], at, committed, "", (), changed[sha])
                raw.append((c, found))
        if not raw:
            return
        blobs = self.repo.git.blobs(
            b for c, _ in raw for _, old, new in c.changes for b in (old, new) if b != ZERO
        )
        fresh: dict[str, Any] = {}
        for c, found in raw:
            events = events_from_diff(c, lambda b: blobs.get(b) or self.repo.git.blob(b))
            found.extend(events)
            fresh[c.sha] = [_encode(e) for e in events]
        cache.put_many(EVENTS, fresh)

    def _load(self) -> tuple[str | None, int, Index]:
        data = self.repo.cache.read(EVENTS)
        if data is None:
            return None, 0, {}
        try:
            size = int.from_bytes(data[:4], "little")
            tip, version, seq, crc, length = marshal.loads(data[4 : 4 + size])
            # each ticket's events are read where they lie in the file: not copied
            body = memoryview(data)[4 + size :]
            if (
                version != CACHE_FORMATS[EVENTS]
                or not isinstance(tip, str)
                or not isinstance(seq, int)
                or not isinstance(length, int)
                or zlib.crc32(body) != crc
            ):
                return None, 0, {}
            with gc_paused():
                table = marshal.loads(body[:length])
            if not isinstance(table, dict):
                return None, 0, {}
            index: Index = {}
            at = length
            for ticket, (first, last, settled, n) in table.items():
                if not isinstance(n, int) or at + n > len(body):
                    return None, 0, {}
                index[ticket] = (first, last, settled, body[at : at + n])
                at += n
            if at != len(body):
                return None, 0, {}
            return tip, seq, index
        except (EOFError, ValueError, TypeError):
            return None, 0, {}  # corrupt or foreign: rebuild, never trust

    def _save(self, tip: str, seq: int, index: Index) -> bool:
        """The file: the length of the header, the header (tip, format, next commit
        sequence, checksum of the rest, length of the table), the table (per ticket its
        first and last event, when its clocks settled, and the length of its events),
        then each ticket's encoded events in the table's order, written one by one:
        the whole is never made into one string."""
        table = marshal.dumps({t: (f, last, s, len(p)) for t, (f, last, s, p) in index.items()})
        crc = zlib.crc32(table)
        for _, _, _, payload in index.values():
            crc = zlib.crc32(payload, crc)
        header = marshal.dumps((tip, CACHE_FORMATS[EVENTS], seq, crc, len(table)))
        chunks = [len(header).to_bytes(4, "little"), header, table]
        return self.repo.cache.write(EVENTS, [*chunks, *(p for _, _, _, p in index.values())])


def grouped_events(events: Iterable[Event], keep: Keep | None = None) -> dict[str, list[Event]]:
    """Events of commits (oldest commit first) per ticket, as `History.by_ticket` gives
    them: in time order, a deleted namesake's under `ID~n`, a renamed ticket's under its
    new ID; with `keep`, only the tickets it accepts."""
    index: Index = {}
    built: Built = {}
    _merge(index, events, 0, built)
    return _kept(index, keep, built)


def _kept(index: Index, keep: Keep | None, built: Built) -> dict[str, list[Event]]:
    return {
        t: [e for _, e in _pairs(built, t, payload)]
        for t, (first, last, settled, payload) in index.items()
        if keep is None or keep(t, TicketSpan(first, last, settled, payload))
    }


def _pairs(built: Built, ticket: str, payload: bytes | memoryview) -> list[tuple[int, Event]]:
    """A ticket's events with their commit sequence: as a scan just made them, else
    decoded from its index entry."""
    return built.get(ticket) or _decode_ticket(payload)


def _drained(items: list[T]) -> Iterator[T]:
    """The items of a list, first to last, each let go of by the list as it is given: a
    scan's events then live only as long as their ticket's entry is being made."""
    items.reverse()
    while items:
        yield items.pop()


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


def _merge(index: Index, fresh: Iterable[Fresh], seq: int, built: Built | None = None) -> int:
    """Add events (oldest commit first) to the index; returns the next commit sequence.
    `built` is given the events of each ticket stored, as its entry decodes them.

    A ticket ID has generations: once its file was deleted, whatever later appears under
    the same ID (by hand, or from an old clone) is another ticket. The earlier generation
    keeps its events under `ID~1`, `ID~2`, ... so they never count for the new one. A
    `rename` event moves the old ID's events to the new ID: the ticket keeps its history.
    An event that comes with its encoding is stored with it; any other is encoded here.
    One that comes only as its encoding (a scan's) becomes an event only while its
    ticket's entry is made (to find when its clocks settled), one ticket at a time.
    """
    # ticket -> (commit sequence, event or None, its encoding or None)
    work: dict[str, list[tuple[int, Event | None, tuple[Any, ...] | None]]] = {}
    last: dict[str, str] = {}  # ticket -> action of its latest event in commit order

    def events_of(ticket: str) -> list[tuple[int, Event | None, tuple[Any, ...] | None]]:
        if ticket not in work:
            pairs = _decode_ticket(index[ticket][3]) if ticket in index else []
            work[ticket] = [(k, e, None) for k, e in pairs]
            if pairs:
                last[ticket] = max(pairs, key=lambda p: p[0])[1].action
        return work[ticket]

    def retire(ticket: str) -> None:
        """Move the ticket's events to its next free `~n` key."""
        n = 1
        while f"{ticket}~{n}" in index or work.get(f"{ticket}~{n}"):
            n += 1
        key = f"{ticket}~{n}"
        work[key] = [
            (k, dataclasses.replace(_event(e, code), ticket=key), None)
            for k, e, code in events_of(ticket)
        ]
        work[ticket] = []
        last.pop(ticket, None)

    e: Event | None
    code: tuple[Any, ...] | None
    for x in fresh:
        if isinstance(x, Event):
            e, code = x, None
            ticket, action = e.ticket, e.action
        else:
            e, code = None, x
            ticket, action = code[1], code[2]
            if action == "rename":  # rare: the rules below read and rewrite the event
                e = _decode(code)
        pairs = work.get(ticket)
        if pairs is None:
            pairs = events_of(ticket)
        was = ""
        if action == "rename":
            assert e is not None
            code = None
            was = e.details.get("from", "")
            named = e.details.get("file")
            e = dataclasses.replace(e, details={"from": was})
            if was in ("", e.ticket):
                # only the file moved (its id still says the same ticket): validate reports it
                e = dataclasses.replace(e, action="edit", details={})
            elif pairs and last.get(e.ticket) != "delete" and named == e.ticket:
                # an id typo put right: the id says the file's own ticket again, which it
                # always was; what else the commit changed is that ticket's
                e = dataclasses.replace(e, action=_action_for(e.changes), details={})
            elif pairs and last.get(e.ticket) != "delete":
                # an id edited to that of another live ticket (a typo): the file is still the
                # old ticket's, and the other keeps its history; validate reports the file
                e = dataclasses.replace(e, ticket=was, action="edit", details={})
                pairs = events_of(was)
            ticket, action = e.ticket, e.action
        if action == "rename":
            assert e is not None
            moved = events_of(was)
            if pairs:
                retire(ticket)
            if not moved:  # nothing known of the old ID: the ticket starts here
                e = dataclasses.replace(e, action="new")
                action = "new"
            work[ticket] = [
                (k, dataclasses.replace(_event(x, c), ticket=ticket), None) for k, x, c in moved
            ]
            if moved:
                work[was] = []
                last.pop(was, None)
        elif pairs and action != "delete" and last.get(ticket) == "delete":
            retire(ticket)
        work[ticket].append((seq, e, code))
        last[ticket] = action
        seq += 1
    for ticket in list(work):
        entries = work.pop(ticket)  # each ticket's events freed once it is stored
        if not entries:
            index.pop(ticket, None)
            continue
        # in time order (author time, then commit sequence, then as they came: a damaged
        # cache may repeat a sequence); an encoding's whole seconds (the time over
        # _ZONE_SPAN) are the event's instant
        timed = sorted(
            (float(code[3] // _ZONE_SPAN) if code is not None else e.at.timestamp(), n, i, e, code)  # type: ignore[union-attr]
            for i, (n, e, code) in enumerate(entries)
        )
        # when the clocks settled, read from the encodings: no event is made for it
        settled = settled_second(
            [
                _Moment(t, code[2], code[7], code[8]) if code is not None else _moment(t, e, code)
                for t, _, _, e, code in timed
            ]
        )
        index[ticket] = (
            timed[0][0],
            timed[-1][0],
            settled,
            marshal.dumps([(*(code or _encode(e)), n) for _, n, _, e, code in timed]),  # type: ignore[arg-type]
        )
        if built is not None:
            built[ticket] = [(n, _event(e, code)) for _, n, _, e, code in timed]
    return seq


class _Moment:
    """An event as `sla.engine.settled_second` reads it: its time in unix seconds, its
    action, changes and details, straight from its encoding."""

    __slots__ = ("action", "at", "changes", "details")

    def __init__(
        self, at: float, action: str, changes: Mapping[str, Any], details: Mapping[str, str]
    ) -> None:
        self.at, self.action, self.changes, self.details = at, action, changes, details

    @property
    def public_reply(self) -> bool:
        return is_public_reply(self.action, self.details)


def _moment(at: float, e: Event | None, code: tuple[Any, ...] | None) -> _Moment:
    if code is not None:
        return _Moment(at, code[2], code[7], code[8])
    assert e is not None
    return _Moment(at, e.action, e.changes, e.details)


def _event(e: Event | None, code: tuple[Any, ...] | None) -> Event:
    """The event of a `Fresh` pair, decoded from its encoding when it came without one."""
    if e is not None:
        return e
    assert code is not None
    return _decode(code)


def parents_first(newest_first: list[S]) -> list[S]:
    """Commits listed newest first (git's default order) put oldest first, parents first.
    Each commit is a sequence whose first item is its id and second its parents (a tuple
    of ids, or one id: see `_Commit`).

    Reversing is enough unless commit dates are skewed across a merge; then a
    depth-first walk places every listed parent before its children.
    """
    later: set[str] = set()  # the commits listed so far: a parent among them is misplaced
    skewed = False
    for item in newest_first:
        if any(p in later for p in _ids(item[1])):
            skewed = True
            break
        later.add(item[0])
    del later
    order = newest_first[::-1]
    if not skewed:
        return order
    by_sha = {item[0]: item for item in order}
    placed: set[str] = set()
    result = []
    for item in order:
        stack = [(item, False)]
        while stack:
            commit, expanded = stack.pop()
            sha = commit[0]
            if sha in placed:
                continue
            if expanded:
                placed.add(sha)
                result.append(commit)
                continue
            stack.append((commit, True))
            for p in reversed(_ids(commit[1])):
                if p in by_sha and p not in placed:
                    stack.append((by_sha[p], False))
    return result


def _ids(parents: str | tuple[str, ...]) -> tuple[str, ...]:
    """A commit's parents, kept as one id or a tuple of them (see `_Commit`)."""
    return (parents,) if isinstance(parents, str) else parents


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
