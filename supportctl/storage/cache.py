"""Every cache of a support repo, in `.git/supportctl/cache/`, and all the SQL there is.

A cache only saves time: each one is derived from the commits alone, so deleting the
folder changes no answer. What is read back is never trusted blindly: a file of another
format version, another program or damaged on disk is ignored and rebuilt, never a
crash. A read-only or full disk only costs speed. Files are replaced atomically (a
temporary file renamed over the old one), so a killed writer leaves the old file or
the new one, never half of one.

`CACHE_FORMATS` is the one place that says what format each cache is in. A file's
name carries its version (`events.v9.marshal`), so a bump makes the old file a stranger
that is removed; rows of the blob store carry the version of their kind, so a bump
invalidates that kind only. Beside them, git keeps a copy of the index here whose stat
data it may refresh (`Repo.uncommitted`). The lock, the journal and the private indexes
beside this folder belong to commits, not to caches, and are left alone.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import sqlite3
import tempfile
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from supportctl.storage.git import Repo

# Bump a number when what that cache holds, or how it is derived, changes.
CACHE_FORMATS: Final[dict[str, int]] = {
    # the SQLite file (its tables) that holds the row kinds below
    "blobs": 3,
    # rows by blob id: parsed ticket files, and projections of them for listings
    "ticket": 1,
    # rows by blob id: parsed worklog files
    "worklog": 1,
    # rows by blob id: the ticket IDs a worklog file names (and its error), so one
    # ticket's time is found without decoding every worklog entry
    "worklog-tickets": 1,
    # rows by blob id: parsed and analysed KB articles; the file: the whole KB with
    # its built search index, keyed by the tree of data/kb
    "kb": 2,
    # rows by blob id: search analyses of tickets (recurring problems)
    "ticket-text": 1,
    # rows by blob id: a ticket's searchable text, its analysis and the fields search
    # filters on; the file: the built index of all tickets, keyed by the tree of
    # data/tickets (storage/ticket_search.py)
    "ticket-search": 1,
    # rows by shard folder (its name and tree id) and by the configured lines and
    # customers: the finished listing entries of its ticket files
    "listing": 1,
    # rows by the tree of data/tickets, the vocabulary as for `listing`, the options and
    # the code (`queries.list_view`): a listing's finished text; only the tree's rows kept
    "listing-text": 1,
    # the file: every ticket's events up to a tip commit; rows by commit id: the
    # events of a commit made by hand (they follow the same rules)
    "events": 9,
    # the file: per mail record's blob id, what the daily limit of automatic mail reads
    # of it (storage/outbox.py)
    "mail-records": 1,
    # the file: the highest ticket number ever used, per ID prefix
    "ids": 1,
    # the file: the parsed committed supportctl.yaml, keyed by its bytes and the shape of
    # the settings classes (its calendar specs pickled apart, see `Config.__getstate__`)
    "config": 2,
    # rows by shard folder (its name and tree id): the tickets of its files that are a
    # duplicate or a child of another (storage/links.py, what `show` lists)
    "links": 1,
    # the file: ticket IDs with their titles and statuses, open ones first, keyed by the
    # tree of data/tickets (storage/completion.py: what a Tab offers)
    "completion": 1,
    # rows by tip commit and period: the model of a report of a period that is over (and
    # the worklog problems met computing it); only the tip's rows are kept. Bump it too
    # when a figure of the report is computed differently. Its rows are compressed JSON.
    "report": 2,
}
# The caches kept as files of their own, and the suffix of each file's name.
_FILES: Final = {
    "blobs": "sqlite",
    "events": "marshal",
    "ids": "json",
    "kb": "marshal",
    "mail-records": "marshal",
    "config": "pickle",
    "completion": "txt",
    "ticket-search": "marshal",
}
FOLDER = "cache"
# Where caches lived before they had a folder of their own (in `.git/supportctl/`).
_LEGACY = (
    "cache.sqlite",
    "cache.sqlite-*",
    "events.v*.marshal",
    "events.v*.tmp",
    "ids.v*.json",
    "ids.v*.tmp",
    "kb-index.marshal",
    ".kb-index.marshal.*.tmp",
)
_SQLITE_SIDES = ("-wal", "-shm", "-journal")
# A temporary file older than this was left by a killed writer; a younger one may be
# being written right now.
_ABANDONED_AFTER = 3600.0
# the levels of a value `put_packed` encodes part by part (a report row: its model, the
# model's sections, their lists of tickets and events)
_PACKED_DEPTH = 4
_CHUNK = 900  # SQLite's limit on bound parameters is 999 in old builds


def versioned(kind: str) -> str:
    """The name rows of `kind` (`name` or `name:variant`) are stored under."""
    name, sep, variant = kind.partition(":")
    return f"{name}.v{CACHE_FORMATS[name]}{sep}{variant}"


def file_name(name: str) -> str:
    return f"{name}.v{CACHE_FORMATS[name]}.{_FILES[name]}"


class CachedRepo(Protocol):
    """A repo's git access and its caches: what the readers behind `Desk` use."""

    @property
    def git(self) -> Repo: ...

    @property
    def cache(self) -> Cache: ...

    @property
    def progress(self) -> Callable[[int | None], None] | None:
        """Told how far a long history scan has got (see `Desk.progress`)."""


class Cache:
    """The cache folder of one repo: whole files, and the blob store (SQLite)."""

    def __init__(self, state_dir: Path) -> None:
        self.folder: Path | None = _prepare(state_dir / FOLDER)
        self._blobs: BlobStore | None = None

    def path(self, name: str) -> Path | None:
        """Where the cache file `name` lives (None: there is no usable cache folder)."""
        return None if self.folder is None else self.folder / file_name(name)

    def read(self, name: str) -> bytes | None:
        """The cache file's bytes, or None when it is missing or unreadable. A symbolic
        link there is not followed: a cache is only ever a file written here."""
        path = self.path(name)
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with open(fd, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def write(self, name: str, chunks: Iterable[bytes | memoryview]) -> bool:
        """Replace the cache file atomically; failing to write (False) only costs speed."""
        path = self.path(name)
        if path is None:
            return False
        _remove_abandoned(path)
        tmp = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            tmp = Path(tmp_name)
            with open(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            return False
        return True

    def read_json(self, name: str) -> Any:
        """The JSON of a cache file, or None when it is missing or not JSON."""
        data = self.read(name)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def write_json(self, name: str, value: Any) -> None:
        self.write(name, [json.dumps(value, ensure_ascii=False).encode()])

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            path = self.path("blobs")
            self._blobs = BlobStore(path)
        return self._blobs

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        """Rows of `kind` (a name in CACHE_FORMATS, or `name:variant`) found for `keys`."""
        return self.blobs.get_many(kind, keys)

    def put_many(self, kind: str, items: Mapping[str, Any]) -> None:
        self.blobs.put_many(kind, items)

    def put_only(self, kind: str, prefix: str, items: Mapping[str, Any]) -> None:
        """Add rows of `kind`, dropping those whose key does not start with `prefix`."""
        self.blobs.put_many(kind, items, only=prefix)

    def get_packed(self, kind: str, key: str) -> Any:
        """What `put_packed` kept for `key`; None when nothing (readable) is."""
        data = self.blobs.get_raw(kind, key)
        if data is None:
            return None
        try:
            return json.loads(zlib.decompress(data))
        except (ValueError, zlib.error):
            return None

    def put_packed(self, kind: str, prefix: str, key: str, value: Any) -> None:
        """Keep `value` (JSON data) for `key`, compressed, dropping the rows of `kind` whose
        key does not start with `prefix`. A big value (a report's model: tens of megabytes
        of JSON) is encoded and compressed a part at a time, never held as one text."""
        packer = zlib.compressobj(1)
        parts = [packer.compress(part.encode()) for part in _json_parts(value, _PACKED_DEPTH)]
        parts.append(packer.flush())
        self.blobs.put_raw(kind, key, b"".join(parts), only=prefix)


def _json_parts(value: Any, depth: int) -> Iterator[str]:
    """The JSON text of `value` in parts: lists and objects (with text keys) down to
    `depth` levels piece by piece, anything deeper whole."""
    if depth and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        yield "{"
        for i, (k, v) in enumerate(value.items()):
            yield (", " if i else "") + json.dumps(k, ensure_ascii=False) + ": "
            yield from _json_parts(v, depth - 1)
        yield "}"
    elif depth and isinstance(value, list):
        yield "["
        for i, v in enumerate(value):
            if i:
                yield ", "
            yield from _json_parts(v, depth - 1)
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


def _prepare(folder: Path) -> Path | None:
    """The cache folder, made when missing; the caches of the old layout beside it are
    removed, and strangers in it (other versions, other programs, abandoned temporary
    files) are removed. None when it cannot be made: every cache is then skipped."""
    # here, not at the top: shell completion reads the cache names of this module and
    # must not pay for importing the git runner
    from supportctl.storage.git import INDEX_COPY

    try:
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()  # the caches would be written wherever it points
        # every time, not only when the folder is new: an older supportctl run in this
        # clone since then writes its caches there again
        with contextlib.suppress(FileNotFoundError):  # a fresh clone has no state folder yet
            for old in os.scandir(folder.parent):
                if any(fnmatch.fnmatchcase(old.name, pattern) for pattern in _LEGACY):
                    with contextlib.suppress(OSError):
                        os.unlink(old.path)
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    known = {file_name(name) for name in _FILES}
    known.update(file_name("blobs") + side for side in _SQLITE_SIDES)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return folder
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.name in known and not entry.is_symlink():
                continue
            young = entry.stat(follow_symlinks=False).st_mtime > time.time() - _ABANDONED_AFTER
            if entry.name.startswith(".") and entry.name.endswith(".tmp") and young:
                continue  # perhaps another process is writing it right now
            # git's own format, named after the index it copies (`Repo.uncommitted`); its
            # lock is git's while it refreshes the copy
            copy = entry.name.startswith(INDEX_COPY) and not entry.is_symlink()
            if copy and (young or not entry.name.endswith(".lock")):
                continue
            if entry.is_dir(follow_symlinks=False):
                continue  # not ours to empty
            os.unlink(entry.path)
    return folder


def _remove_abandoned(path: Path) -> None:
    """Temporary copies of `path` left by a process killed while writing one."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):  # gone already
            if tmp.lstat().st_mtime < time.time() - _ABANDONED_AFTER:
                tmp.unlink()


class BlobStore:
    """SQLite table (kind, key) -> JSON: parsed contents by git blob id (tickets,
    worklogs, KB articles), and events of hand-made commits by commit id."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self.db = self._reset()

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return _connect(":memory:")
        for side in ("", *_SQLITE_SIDES):
            other = Path(f"{self.path}{side}")
            if other.is_symlink():
                other.unlink()  # sqlite would write wherever it points
        return _connect(str(self.path))

    def _reset(self) -> sqlite3.Connection:
        """A corrupt or foreign store is never trusted: drop it and start again."""
        with contextlib.suppress(Exception):
            self.db.close()
        if self.path is not None:
            for side in ("", *_SQLITE_SIDES):
                with contextlib.suppress(OSError):
                    Path(f"{self.path}{side}").unlink()
        try:
            return self._open()
        except (sqlite3.Error, OSError):
            # not even a fresh file can be made here: keep working without one
            return _connect(":memory:")

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        stored = versioned(kind)
        wanted = list(keys)
        found: dict[str, Any] = {}
        try:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, data in self.db.execute(
                    f"SELECT key, data FROM blobs WHERE kind=? AND key IN ({marks})",
                    (stored, *chunk),
                ):
                    try:
                        found[key] = json.loads(data)
                    except (ValueError, TypeError):
                        continue
        except sqlite3.DatabaseError:
            self.db = self._reset()  # damaged pages found only now
            return {}
        return found

    def put_many(self, kind: str, items: Mapping[str, Any], only: str | None = None) -> None:
        """Add rows of `kind`; with `only`, the rows whose key does not start with it go."""
        if items:
            rows = [(k, json.dumps(d, ensure_ascii=False)) for k, d in items.items()]
            self._put(kind, rows, only)

    def get_raw(self, kind: str, key: str) -> bytes | None:
        """The bytes `put_raw` kept for `key` of `kind`; None when there are none."""
        try:
            row = self.db.execute(
                "SELECT data FROM blobs WHERE kind=? AND key=?", (versioned(kind), key)
            ).fetchone()
        except sqlite3.DatabaseError:
            self.db = self._reset()  # damaged pages found only now
            return None
        return row[0] if row is not None and isinstance(row[0], bytes) else None

    def put_raw(self, kind: str, key: str, data: bytes, only: str | None = None) -> None:
        """Keep `data` as the row `key` of `kind`; with `only`, as `put_many`."""
        self._put(kind, [(key, data)], only)

    def _put(self, kind: str, rows: Sequence[tuple[str, str | bytes]], only: str | None) -> None:
        stored = versioned(kind)
        try:
            if only is not None:
                self.db.execute(
                    "DELETE FROM blobs WHERE kind=? AND substr(key, 1, ?) != ?",
                    (stored, len(only), only),
                )
            # One transaction for all rows: a commit per row costs an fsync each.
            self.db.executemany(
                "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", [(stored, k, d) for k, d in rows]
            )
            self.db.commit()
        except sqlite3.OperationalError:
            pass  # a read-only or busy cache only costs speed
        except sqlite3.DatabaseError:
            self.db = self._reset()


def _connect(where: str) -> sqlite3.Connection:
    db = sqlite3.connect(where, timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = db.execute("SELECT value FROM meta WHERE key='formats'").fetchone()
        formats = json.dumps(dict(CACHE_FORMATS), sort_keys=True)
        if row is None or row[0] != formats:
            # Made by another version (or by something else): keep the rows whose kind
            # is still current, drop the rest once.
            columns = [(r[1], r[5]) for r in db.execute("PRAGMA table_info(blobs)")]
            if columns and columns != [("kind", 1), ("key", 2), ("data", 0)]:
                db.execute("DROP TABLE blobs")
            elif columns:
                current = {versioned(name) for name in CACHE_FORMATS}
                stale = [
                    (kind,)
                    for (kind,) in db.execute("SELECT DISTINCT kind FROM blobs")
                    if str(kind).partition(":")[0] not in current
                ]
                db.executemany("DELETE FROM blobs WHERE kind=?", stale)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('formats', ?)", (formats,))
        db.execute(
            "CREATE TABLE IF NOT EXISTS blobs "
            "(kind TEXT, key TEXT, data TEXT, PRIMARY KEY (kind, key))"
        )
        db.execute("SELECT count(*) FROM blobs").fetchone()
        db.commit()
    except BaseException:
        db.close()
        raise
    return db
