"""The support repo on disk: finding it, reading tickets and worklogs, the blob cache.

Current state is served from a cache keyed by git blob id under `.git/supportctl/`,
so listing 20,000 tickets parses only the files that changed since the last run.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from supportctl.config.settings import CONFIG_NAME, LINKED_CONFIG, Config, load_config, parse_config
from supportctl.domain import yamlio
from supportctl.domain.errors import ConfigError, DataError, GitError, NotASupportRepo, NotFound
from supportctl.domain.ids import id_of_path, normalize_id, parse_id, sort_key, ticket_path
from supportctl.domain.ticket import (
    Ticket,
    TicketFile,
    TicketView,
    UnreadableTicket,
    WorklogEntry,
    invalid_value,
    parse_ticket,
    read_ticket,
    vocabulary,
)
from supportctl.storage import safepath
from supportctl.storage.git import Repo

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence

    # Told how many commits a long history scan has read: 0 when it starts, then every few
    # hundred, None when it ends. Storage never writes to the terminal; the CLI draws this.
    ScanProgress = Callable[[int | None], None]

CACHE_VERSION = 2


def find_root(start: Path | None = None, override: str | None = None) -> Path:
    """The support repo: `--repo`/`SUPPORTCTL_REPO`, else walk up to a `supportctl.yaml`."""
    chosen = override or os.environ.get("SUPPORTCTL_REPO")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise NotASupportRepo(f"{root}: no {CONFIG_NAME} here (run `supportctl init {chosen}`)")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
        if (folder / ".git").exists():
            break
    raise NotASupportRepo(
        f"{here}: not inside a support repo (no {CONFIG_NAME}; see `supportctl init`)"
    )


class BlobCache:
    """sqlite table blob id -> parsed content; shared by tickets, worklogs and KB articles."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()  # sqlite would write wherever it points; a cache is only rebuilt
        self.path = path
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            # A corrupt cache is never trusted: drop it and start again.
            path.unlink(missing_ok=True)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if row is None or row[0] != str(CACHE_VERSION):
            db.execute("DROP TABLE IF EXISTS blobs")
            db.execute("DROP TABLE IF EXISTS events")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(CACHE_VERSION),))
        db.execute(
            "CREATE TABLE IF NOT EXISTS blobs (kind TEXT, blob TEXT, data TEXT, PRIMARY KEY (kind, blob))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS events (sha TEXT PRIMARY KEY, data TEXT)")
        db.execute("SELECT count(*) FROM blobs").fetchone()
        db.commit()
        return db

    def get_many(self, kind: str, blobs: Iterable[str]) -> dict[str, Any]:
        wanted = list(blobs)
        found: dict[str, Any] = {}
        for i in range(0, len(wanted), 900):
            chunk = wanted[i : i + 900]
            marks = ",".join("?" * len(chunk))
            for blob, data in self.db.execute(
                f"SELECT blob, data FROM blobs WHERE kind=? AND blob IN ({marks})", (kind, *chunk)
            ):
                try:
                    found[blob] = json.loads(data)
                except ValueError:
                    continue
        return found

    def put_many(self, kind: str, items: dict[str, Any]) -> None:
        if not items:
            return
        try:
            self.db.executemany(
                "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)",
                [(kind, b, json.dumps(d, ensure_ascii=False)) for b, d in items.items()],
            )
            self.db.commit()
        except sqlite3.OperationalError:
            pass  # a read-only or busy cache only costs speed


@dataclass
class Worklog:
    ticket: str
    minutes: int
    on: str
    note: str
    author: str
    at: str
    path: str


class Desk:
    """A support repo: its root, configuration, git access and cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git = Repo(root)
        self.progress: ScanProgress | None = None

    @cached_property
    def config(self) -> Config:
        """The committed supportctl.yaml (HEAD's): what every clone computes with, never an
        uncommitted edit. Only a repo whose configuration was never committed reads the
        work tree's."""
        committed = self._committed_config
        if committed is None:
            return load_config(self.root)
        config = parse_config(committed, self.root / CONFIG_NAME)
        if self.config_changed:
            config.uncommitted = self._work_tree_config
        return config

    @cached_property
    def _committed_config(self) -> bytes | None:
        return self.git.file_at("HEAD", CONFIG_NAME) if self.git.head() else None

    @cached_property
    def _work_tree_config(self) -> bytes | None:
        try:
            return safepath.read_bytes(self.root, CONFIG_NAME)
        except safepath.UnsafePath:
            raise ConfigError(f"{CONFIG_NAME}: {LINKED_CONFIG}") from None
        except OSError:
            return None

    @property
    def config_committed(self) -> bool:
        return self._committed_config is not None

    @property
    def config_changed(self) -> bool:
        """The work tree's supportctl.yaml differs from the committed one (or is not
        committed at all)."""
        return self._work_tree_config != self._committed_config

    @cached_property
    def cache(self) -> BlobCache:
        return BlobCache(self.git.state_dir / "cache.sqlite")

    def ticket_id(self, raw: str) -> str:
        return normalize_id(raw, self.config.id_prefix)

    # -- tickets ----------------------------------------------------------------
    def _parsed(self, kind: str, entries: list[tuple[str, str]], parse: Any) -> dict[str, Any]:
        cached = self.cache.get_many(kind, (b for _, b in entries))
        missing = {b for _, b in entries if b not in cached}
        contents = self.git.blobs(missing) if len(missing) > 1 else {}
        fresh = {b: parse(contents.get(b) or self.git.blob(b)) for b in missing}
        self.cache.put_many(kind, fresh)
        cached.update(fresh)
        return cached

    def _rows(self, entries: list[tuple[str, str]], fields: tuple[str, ...]) -> dict[str, Any]:
        # A second cache kind holding only `fields` of each ticket: a listing of 20,000
        # tickets then decodes a few hundred bytes per ticket instead of whole tickets.
        kind = "row:" + ",".join(fields)
        cached = self.cache.get_many(kind, (b for _, b in entries))
        missing = [(p, b) for p, b in entries if b not in cached]
        if missing:
            full = self._parsed("ticket", missing, parse_ticket)
            fresh = {b: _project(full[b], fields) for _, b in missing}
            self.cache.put_many(kind, fresh)
            cached.update(fresh)
        return cached

    def tickets(
        self,
        rev: str = "HEAD",
        fields: Sequence[str] | None = None,
        among: Collection[str] | None = None,
    ) -> list[TicketView]:
        """Every ticket at `rev` (or those of them whose IDs are `among`), sorted by number;
        broken files carry `.error`.

        With `fields`, each view's data holds only those fields (faster on big desks).
        """
        entries = [(p, b) for p, b in self.git.ls_tree("data/tickets", rev) if id_of_path(p)]
        if among is not None:
            wanted = set(among)
            entries = [(p, b) for p, b in entries if PurePosixPath(p).stem in wanted]
        if fields is None:
            parsed = self._parsed("ticket", entries, parse_ticket)
        else:
            parsed = self._rows(entries, tuple(fields))
        views = []
        for path, blob in entries:
            data = parsed[blob]
            if "__error__" in data:
                line = data.get("__line__") or 0
                views.append(
                    TicketView(
                        path, Ticket(id=Path(path).stem), f"{path}:{line}: {data['__error__']}"
                    )
                )
            else:
                ticket = Ticket.from_plain(data)
                problem = self._invalid(ticket)
                views.append(TicketView(path, ticket, problem, invalid=problem is not None))
        views.sort(key=lambda v: sort_key(v.id))
        return views

    def _invalid(self, ticket: Ticket) -> str | None:
        return invalid_value(ticket, self.config.lines, tuple(self.config.customers))

    def check_values(self, among: Collection[str] | None = None) -> None:
        """DataError for the first ticket at HEAD (or of those `among`) holding a status,
        priority, type, channel, line or customer outside its vocabulary: figures computed
        from it would be silently wrong."""
        fields = ("id", "customer", *vocabulary(self.config.lines))
        for view in self.tickets(fields=fields, among=among):
            if view.invalid:
                raise DataError(str(view.error))

    def ticket(self, ticket_id: str, rev: str = "HEAD", *, past: bool = False) -> TicketView:
        """The ticket's file at `rev`. `past`: a version from history, shown as it was; the
        configuration's lists of values are today's, so they are not applied to it."""
        path = ticket_path(ticket_id)
        content = self.git.file_at(rev, path)
        if content is None:
            raise NotFound(f"unknown ticket {ticket_id}")
        try:
            ticket = read_ticket(content)
        except UnreadableTicket as exc:
            raise DataError(f"{path}:{exc.line}: {exc.message}") from None
        problem = None if past else self._invalid(ticket)
        if problem:
            raise DataError(problem)
        return TicketView(path, ticket)

    def load_ticket_file(self, ticket_id: str) -> tuple[str, TicketFile]:
        """A ticket file at HEAD, open for editing."""
        path = ticket_path(ticket_id)
        content = self.git.file_at("HEAD", path)
        if content is None:
            raise NotFound(f"unknown ticket {ticket_id}")
        try:
            file = TicketFile.parse(content)
        except UnreadableTicket as exc:
            raise DataError(f"{path}:{exc.line}: {exc.message}") from None
        check_identity(path, file.ticket, ticket_id)
        problem = self._invalid(file.ticket)
        if problem:
            raise DataError(problem)
        return path, file

    def max_ticket_number(self) -> int:
        """Highest ticket number ever used: in the work tree, in HEAD, and in any commit
        reachable from HEAD (a ticket deleted since keeps its number: IDs are never reused)."""
        from supportctl.storage.history import highest_ticket_numbers

        prefix = self.config.id_prefix
        best = highest_ticket_numbers(self).get(prefix, 0)

        def see(path: str) -> None:
            nonlocal best
            parsed = parse_id(tid) if (tid := id_of_path(path)) else None
            if parsed and parsed[0] == prefix:
                best = max(best, parsed[1])

        base = self.root / "data" / "tickets"
        shards = (
            sorted((d for d in base.iterdir() if d.is_dir()), reverse=True) if base.is_dir() else []
        )
        for shard in shards[:2]:
            for f in shard.iterdir():
                see(f"data/tickets/{shard.name}/{f.name}")
        for path, _ in self.git.ls_tree(
            f"data/tickets/{shards[0].name}" if shards else "data/tickets"
        ):
            see(path)
        return best

    # -- worklogs ---------------------------------------------------------------
    def worklogs(self, rev: str = "HEAD", problems: list[str] | None = None) -> list[Worklog]:
        """Every worklog entry at `rev`; an unreadable file adds `path:line: message` to
        `problems` (its time is missing from the result, so callers must say so)."""
        entries = [(p, b) for p, b in self.git.ls_tree("data/worklogs", rev) if p.endswith(".yaml")]
        parsed = self._parsed("worklog", entries, _parse_worklog_file)
        result = []
        for path, blob in entries:
            if "__error__" in parsed[blob] and problems is not None:
                problems.append(
                    f"{path}:{parsed[blob].get('__line__') or 0}: {parsed[blob]['__error__']}"
                )
            for item in parsed[blob].get("entries", []):
                entry = WorklogEntry.from_plain(item)
                result.append(
                    Worklog(
                        entry.ticket,
                        entry.minutes,
                        entry.on,
                        entry.note,
                        entry.author,
                        entry.at,
                        path,
                    )
                )
        result.sort(key=lambda w: (w.at, w.ticket))
        return result


def check_identity(path: str, ticket: Ticket, ticket_id: str) -> None:
    """An action on a file whose `id:` names another ticket would split that ticket's
    history between two IDs: refused (a hand rename that forgot the id, or the reverse)."""
    found = ticket.id
    if found != ticket_id:
        raise DataError(
            f"{path}: its id says {found or 'nothing'}, not {ticket_id}; fix the file or its "
            f"name (see `supportctl validate`)"
        )


def _project(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    if "__error__" in data:
        return data
    return {k: data[k] for k in fields if k in data}


def _parse_worklog_file(content: bytes) -> dict[str, Any]:
    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem as exc:
        return {"entries": [], "__error__": exc.message, "__line__": exc.line}
    if not isinstance(data, list):
        return {"entries": [], "__error__": "expected a list of worklog entries", "__line__": 1}
    return {"entries": [e for e in data if isinstance(e, dict)]}


def open_repo(override: str | None = None) -> Desk:
    """The support repo around the current folder (or `override`). When a killed command
    left something behind, it is put right first, under the lock, and the user is told."""
    repo = Desk(find_root(override=override))
    if repo.git.needs_recovery():
        try:
            with repo.git.lock():
                pass
        except GitError as exc:
            # Reading is still sound (it reads commits, not the work tree): a command that
            # only reads goes on and says why at the end; one that writes meets the same
            # problem under its own lock, as its error.
            from supportctl.storage.git import notice

            notice(f"{exc.message} (commands that only read go on; commands that write stop)")
    return repo
