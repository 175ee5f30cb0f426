"""Events from the git history: the event log every SLA number is computed from.

One streaming `git log --raw` pass reads trailers; only commits without trailers
(hand edits in an editor) have their ticket blobs parsed and compared. The derived
events are cached under `.git/supportctl/`: per commit for hand edits, and as the
whole list up to a tip commit, extended incrementally when history grows and
rebuilt when it was rewritten.
"""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from supportctl.events import Event
from supportctl.gitio import ZERO, RawCommit
from supportctl.model import TRACKED_FIELDS
from supportctl.store import SupportRepo, parse_ticket

EVENTS_VERSION = 3
TICKET_PREFIX = "data/tickets/"
DATA_PREFIX = "data/"


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def events_from_trailers(c: RawCommit) -> list[Event]:
    tickets = [v for k, v in c.trailers if k.lower() == "ticket"]
    if not tickets:
        return []
    action = next((v for k, v in c.trailers if k.lower() == "action"), "edit")
    changes: dict[str, tuple[str | None, str | None]] = {}
    details: dict[str, str] = {}
    for key, value in c.trailers:
        low = key.lower()
        if low.startswith(("from-", "to-")):
            name = low.split("-", 1)[1]
            if name in TRACKED_FIELDS:
                old, new = changes.get(name, (None, None))
                changes[name] = (
                    (_none(value), new) if low.startswith("from-") else (old, _none(value))
                )
        elif low not in ("ticket", "action"):
            details[low] = value
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
    """Events of a commit made by hand: compare each ticket file before and after."""
    events = []
    for path, old_blob, new_blob in c.changes:
        if not (path.startswith(TICKET_PREFIX) and path.endswith(".yaml")):
            continue
        old = parse_ticket(blob(old_blob)) if old_blob != ZERO else {}
        new = parse_ticket(blob(new_blob)) if new_blob != ZERO else {}
        if "__error__" in old:
            old = {}
        if "__error__" in new:
            continue  # a broken file carries no facts; validate reports it
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
        if not old:
            # like the `Channel:` trailer of `supportctl new`: plan rules may match on it
            details = {"channel": str(new["channel"])} if new.get("channel") else {}
            events.append(Event(action="new", changes=changes, details=details, **base))  # type: ignore[arg-type]
            continue
        if not new:
            events.append(Event(action="delete", **base))  # type: ignore[arg-type]
            continue
        if changes:
            events.append(Event(action=_action_for(changes), changes=changes, **base))  # type: ignore[arg-type]
        old_comments = old.get("comments") or []
        for comment in (new.get("comments") or [])[len(old_comments) :]:
            if isinstance(comment, dict):
                vis = str(comment.get("visibility") or "public")
                events.append(Event(action="comment", details={"visibility": vis}, **base))  # type: ignore[arg-type]
    return events


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


class History:
    """All ticket events reachable from a revision, oldest commit first."""

    def __init__(self, repo: SupportRepo, progress: bool | None = None) -> None:
        self.repo = repo
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.path = repo.git.state_dir / f"events.v{EVENTS_VERSION}.marshal"

    def events(self, rev: str = "HEAD") -> list[Event]:
        tip = self.repo.git.rev(rev)
        if tip is None:
            return []
        cached_tip, cached = self._load()
        if cached_tip == tip:
            return cached
        if cached_tip and self.repo.git.is_ancestor(cached_tip, tip):
            events = cached + self._scan(f"{cached_tip}..{tip}")
        else:
            events = self._scan(tip)
        self._save(tip, events)
        return events

    def _scan(self, rev: str) -> list[Event]:
        manual_cache = self.repo.cache
        fresh: list[tuple[str, str]] = []
        # Newest first and without a pathspec: git starts printing at once (no walk of
        # the whole history first, no TREESAME check per commit, no history
        # simplification that could hide a side branch), and parsing here overlaps
        # git's work. Commits are put oldest first below.
        commits = self.repo.git.log(rev, paths=(), newest_first=True)
        found_by_commit: list[tuple[str, tuple[str, ...], list[Event]]] = []
        for c in self._with_progress(commits):
            found: list[Event] = []
            # A merge brings its parents' events, which are in the log themselves; a
            # commit that changes nothing under data/ is one `git log -- data` leaves out.
            if len(c.parents) <= 1 and any(p.startswith(DATA_PREFIX) for p, _, _ in c.changes):
                found = events_from_trailers(c)
                if not found and any(p.startswith(TICKET_PREFIX) for p, _, _ in c.changes):
                    found = self._manual(c, manual_cache, fresh)
            found_by_commit.append((c.sha, c.parents, found))
        out: list[Event] = []
        for _, _, found in parents_first(found_by_commit):
            out.extend(found)
        # One transaction for all new hand-edit rows: a commit per row costs an fsync each.
        try:
            if fresh:
                manual_cache.db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?)", fresh)
                manual_cache.db.commit()
        except sqlite3.Error:
            pass  # a read-only or busy cache only costs speed
        return out

    def _manual(self, c: RawCommit, cache: Any, fresh: list[tuple[str, str]]) -> list[Event]:
        row = cache.db.execute("SELECT data FROM events WHERE sha=?", (c.sha,)).fetchone()
        if row:
            try:
                return [_decode(v) for v in json.loads(row[0])]
            except (ValueError, IndexError, KeyError, TypeError):
                pass
        found = events_from_diff(c, self.repo.git.blob)
        fresh.append((c.sha, json.dumps([_encode(e) for e in found], ensure_ascii=False)))
        return found

    def _with_progress(self, commits: Iterator[RawCommit]) -> Iterable[RawCommit]:
        if not self.progress:
            yield from commits
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("reading history: {task.completed} commits"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("history", total=None)
            for i, c in enumerate(commits, 1):
                if i % 500 == 0:
                    bar.update(task, completed=i)
                yield c

    def _load(self) -> tuple[str | None, list[Event]]:
        try:
            with open(self.path, "rb") as fh, gc_paused():
                tip, version, raw = marshal.load(fh)
                if version != EVENTS_VERSION or not isinstance(tip, str):
                    return None, []
                return tip, [_decode(v) for v in raw]
        except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            return None, []  # missing or corrupt: rebuild, never trust

    def _save(self, tip: str, events: list[Event]) -> None:
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh, gc_paused():
                marshal.dump((tip, EVENTS_VERSION, [_encode(e) for e in events]), fh)
            tmp.replace(self.path)
        except OSError:
            pass


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


def events_by_ticket(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events grouped per ticket, each list in time order (author date, then commit order)."""
    grouped: dict[str, list[Event]] = {}
    for i, e in enumerate(events):
        grouped.setdefault(e.ticket, []).append(e)
    for evs in grouped.values():
        evs.sort(key=lambda e: e.at.timestamp())  # stable: commit order breaks ties
    return grouped


def load_events(repo: SupportRepo, rev: str = "HEAD") -> list[Event]:
    return History(repo).events(rev)
