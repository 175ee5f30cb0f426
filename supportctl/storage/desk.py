"""The support repo on disk: finding it, and `Desk`, the one facade use cases read through.

`Desk` reads tickets, worklogs, events and KB articles at a commit. Current state is
served from the blob cache (see `supportctl.storage.cache`), so listing 20,000 tickets
parses only the files that changed since the last run. `DeskReader` is the read side
that reports and SLA questions need; an in-memory desk offers it too
(`supportctl.storage.memory`), so those use cases are tested without git.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from supportctl.config import settings
from supportctl.config.settings import CONFIG_NAME, LINKED_CONFIG, Config, parse_config
from supportctl.domain.errors import ConfigError, DataError, GitError, NotASupportRepo, NotFound
from supportctl.domain.ids import id_of_path, normalize_id, parse_id, sort_key, ticket_path
from supportctl.domain.ticket import (
    Ticket,
    TicketFile,
    TicketView,
    UnreadableTicket,
    invalid_value,
    parse_ticket,
    parse_worklog_file,
    read_ticket,
    ticket_of,
    vocabulary,
)
from supportctl.storage import safepath
from supportctl.storage.cache import Cache
from supportctl.storage.config_file import load_config
from supportctl.storage.git import Repo
from supportctl.storage.transaction import lock, needs_recovery

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
    from datetime import datetime

    # Told how many commits a long history scan has read: 0 when it starts, then every few
    # hundred, None when it ends. Storage never writes to the terminal; the CLI draws this.
    ScanProgress = Callable[[int | None], None]

    from supportctl.domain.articles import Article
    from supportctl.domain.events import Event
    from supportctl.storage.catalog import KnowledgeBase
    from supportctl.storage.history import History, Keep


REPORT = "report"  # the cache kind of report models


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


# files read, parsed and cached at a time when many are not in the cache yet
_SLICE = 1000
# worklog files read at a time (each holds a month of one agent's entries)
_WORKLOG_SLICE = 16


@dataclass(slots=True)
class Worklog:
    ticket: str
    minutes: int
    on: str
    note: str
    author: str
    at: str
    path: str


class DeskReader(Protocol):
    """What reports and SLA questions read from a desk, all of it as of a commit.

    `Desk` answers from git and its caches; `supportctl.storage.memory.MemoryDesk` from
    plain data, so a use case typed with this is unit-tested without a repository.
    """

    @property
    def config(self) -> Config: ...

    def commit_id(self, rev: str = "HEAD") -> str | None: ...

    def commit_date(self, sha: str) -> datetime: ...

    def tickets(
        self,
        rev: str = "HEAD",
        fields: Sequence[str] | None = None,
        among: Collection[str] | None = None,
    ) -> list[TicketView]: ...

    def ticket(self, ticket_id: str, rev: str = "HEAD", *, past: bool = False) -> TicketView: ...

    def check_values(self, among: Collection[str] | None = None) -> None: ...

    def worklogs(self, rev: str = "HEAD", problems: list[str] | None = None) -> list[Worklog]: ...

    def events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> dict[str, list[Event]]: ...

    def iter_events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> Iterator[tuple[str, list[Event]]]: ...

    def forget_events(self) -> None:
        """Let go of the events cache read so far (its memory); a later question reads it
        again."""

    def kb_articles(self, rev: str = "HEAD") -> Mapping[str, Article]: ...

    def stored_report(self, head: str, key: str) -> Any:
        """What `store_report` kept for `key` at commit `head`; None when nothing is."""

    def store_report(self, head: str, key: str, value: Any) -> None:
        """Keep `value` (JSON data) for `key` at commit `head`, for as long as it is the tip."""


class Desk(DeskReader):
    """A support repo: its root, configuration, git access and cache."""

    def __init__(self, root: Path, notify: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.git = Repo(root, notify)
        self.progress: ScanProgress | None = None

    @cached_property
    def config(self) -> Config:
        """The committed supportctl.yaml (HEAD's): what every clone computes with, never an
        uncommitted edit. Only a repo whose configuration was never committed reads the
        work tree's."""
        committed = self._committed_config
        if committed is None:
            return load_config(self.root)
        config = self._parsed_config(committed)
        if self.config_changed:
            config.uncommitted = self._work_tree_config
        return config

    def _parsed_config(self, committed: bytes) -> Config:
        """`parse_config` of the committed file, kept in the cache: parsing it costs more
        than most commands do. Pickled rather than stored as data, because the settings
        keep the YAML nodes whose line numbers a calendar's mistake is reported at.
        Only a file without mistakes is kept, so every error is found anew, as before."""
        path = self.root / CONFIG_NAME
        key = config_key(committed, path)
        stored = self.cache.read("config")
        header, _, payload = (stored or b"").partition(b"\n")
        if header == key + b" " + hashlib.sha256(payload).hexdigest().encode():
            try:
                config = pickle.loads(payload)
            except Exception:  # a damaged cache is rebuilt, whatever broke
                config = None
            if isinstance(config, Config):
                return config
        config = parse_config(committed, path)
        payload = pickle.dumps(config)
        header = key + b" " + hashlib.sha256(payload).hexdigest().encode()
        self.cache.write("config", [header, b"\n", payload])
        return config

    @cached_property
    def _committed_config(self) -> bytes | None:
        return self.git.file_at("HEAD", CONFIG_NAME)  # None before the first commit too

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
    def cache(self) -> Cache:
        return Cache(self.git.state_dir)

    def ticket_id(self, raw: str) -> str:
        return normalize_id(raw, self.config.id_prefix)

    # -- tickets ----------------------------------------------------------------
    def _parsed(self, kind: str, entries: list[tuple[str, str]], parse: Any) -> dict[str, Any]:
        cached = self.cache.get_many(kind, (b for _, b in entries))
        missing = list(dict.fromkeys(b for _, b in entries if b not in cached))
        # in slices: the contents, parses and rows of a whole desk's files are never held
        # at once (a first listing of 20,000 tickets would otherwise take 150 MB more)
        for i in range(0, len(missing), _SLICE):
            some = missing[i : i + _SLICE]
            contents = self.git.blobs(some) if len(some) > 1 else {}
            fresh = {b: parse(contents.get(b) or self.git.blob(b)) for b in some}
            del contents
            self.cache.put_many(kind, fresh)
            cached.update(fresh)
        return cached

    def _rows(self, entries: list[tuple[str, str]], fields: tuple[str, ...]) -> dict[str, Any]:
        # A second cache kind holding only `fields` of each ticket: a listing of 20,000
        # tickets then decodes a few hundred bytes per ticket instead of whole tickets.
        kind = "ticket:" + ",".join(fields)
        cached = self.cache.get_many(kind, (b for _, b in entries))
        missing = [(p, b) for p, b in entries if b not in cached]
        for i in range(0, len(missing), _SLICE):
            # the whole files of a slice only: what is kept of each is its few fields
            full = self._parsed("ticket", missing[i : i + _SLICE], parse_ticket)
            fresh = {b: project(full[b], fields) for _, b in missing[i : i + _SLICE]}
            del full
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
        return self.ticket_files(entries, fields)

    def ticket_files(
        self, entries: list[tuple[str, str]], fields: Sequence[str] | None = None
    ) -> list[TicketView]:
        """Views of the ticket files `entries` (path, blob id), as `tickets` gives them."""
        if fields is None:
            parsed = self._parsed("ticket", entries, parse_ticket)
        else:
            parsed = self._rows(entries, tuple(fields))
        return ticket_views(((path, parsed[blob]) for path, blob in entries), self.config)

    def _invalid(self, ticket: Ticket) -> str | None:
        return invalid_value(ticket, self.config.lines, tuple(self.config.customers))

    def check_values(self, among: Collection[str] | None = None) -> None:
        """DataError for the first ticket at HEAD (or of those `among`) holding a status,
        priority, type, channel, line or customer outside its vocabulary: figures computed
        from it would be silently wrong."""
        fields = ("id", "customer", *vocabulary(self.config.lines))
        refuse_invalid(self.tickets(fields=fields, among=among))

    def ticket(self, ticket_id: str, rev: str = "HEAD", *, past: bool = False) -> TicketView:
        """The ticket's file at `rev`. `past`: a version from history, shown as it was; the
        configuration's lists of values are today's, so they are not applied to it."""
        path = ticket_path(ticket_id)
        found = self.git.blob_at(rev, path)
        if found is None:
            return ticket_view(ticket_id, None, None)  # NotFound
        # parsed once per blob, as listings parse it: a warm `show` reads no YAML
        blob, content = found
        data = self.cache.get_many("ticket", [blob]).get(blob)
        if data is None:
            data = parse_ticket(content)
            self.cache.put_many("ticket", {blob: data})
        return ticket_view(ticket_id, content, None if past else self.config, data)

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
        prefix = self.config.id_prefix
        best = self.ticket_numbers_used().get(prefix, 0)

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
        committed = (
            self.git.files_in("HEAD", f"data/tickets/{shards[0].name}")
            if shards
            else self.git.ls_tree("data/tickets")
        )
        for path, _ in committed:
            see(path)
        return best

    # -- worklogs ---------------------------------------------------------------
    def worklogs(self, rev: str = "HEAD", problems: list[str] | None = None) -> list[Worklog]:
        """Every worklog entry at `rev`; an unreadable file adds `path:line: message` to
        `problems` (its time is missing from the result, so callers must say so)."""
        entries = [(p, b) for p, b in self.git.ls_tree("data/worklogs", rev) if p.endswith(".yaml")]
        found: list[Worklog] = []
        same: dict[str, str] = {}
        # a few files at a time: the parsed files of every month are never held at once
        # beside the entries made of them
        for i in range(0, len(entries), _WORKLOG_SLICE):
            some = entries[i : i + _WORKLOG_SLICE]
            parsed = self._parsed("worklog", some, parse_worklog_file)
            files = ((path, parsed[blob]) for path, blob in some)
            found.extend(worklog_entries(files, problems, same))
            del parsed
        found.sort(key=_worklog_order)  # as one sort of them all (a sort keeps ties in order)
        return found

    def ticket_worklogs(
        self, ticket_id: str, rev: str = "HEAD", problems: list[str] | None = None
    ) -> list[Worklog]:
        """The worklog entries of one ticket at `rev`, as `worklogs` would give them, and
        the same `problems`. Only the files that name the ticket are decoded: a small
        index (the tickets each file names) says which."""
        entries = [(p, b) for p, b in self.git.ls_tree("data/worklogs", rev) if p.endswith(".yaml")]
        index = self.cache.get_many("worklog-tickets", (b for _, b in entries))
        missing = [(p, b) for p, b in entries if b not in index]
        if missing:
            full = self._parsed("worklog", missing, parse_worklog_file)
            fresh = {b: worklog_index_row(full[b]) for _, b in missing}
            self.cache.put_many("worklog-tickets", fresh)
            index.update(fresh)
        if problems is not None:
            worklog_entries(((p, index[b]) for p, b in entries), problems)
        wanted = [(p, b) for p, b in entries if ticket_id in index[b]["tickets"]]
        parsed = self._parsed("worklog", wanted, parse_worklog_file)
        found = worklog_entries((path, parsed[blob]) for path, blob in wanted)
        return [w for w in found if w.ticket == ticket_id]

    # -- commits, history, KB -------------------------------------------------------
    def commit_id(self, rev: str = "HEAD") -> str | None:
        """Commit id of `rev`; None before the first commit."""
        return self.git.rev(rev)

    def commit_date(self, sha: str) -> datetime:
        return self.git.commit_date(sha)

    def events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> dict[str, list[Event]]:
        """Events per ticket (a deleted namesake under `ID~n`), each list in time order;
        with `keep`, only the tickets it accepts are decoded."""
        return self._history.by_ticket(rev, keep)

    def iter_events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> Iterator[tuple[str, list[Event]]]:
        """`events_by_ticket`, one ticket at a time: each ticket's events are decoded when
        the loop comes to it, so a caller that keeps only some figures of each ticket never
        holds the events of them all."""
        return self._history.each_ticket(rev, keep)

    def forget_events(self) -> None:
        self.__dict__.pop("_history", None)  # the cached_property below

    def events_with_action(self, action: str, rev: str = "HEAD") -> dict[str, list[Event]]:
        """Events of the tickets that have an event of `action` (e.g. `rename`)."""
        return self._history.with_action(action, rev)

    def events(self, rev: str = "HEAD") -> list[Event]:
        """Every event, oldest commit first."""
        return self._history.events(rev)

    @cached_property
    def _history(self) -> History:
        """One reader of the events cache per desk: asking twice about the same commit
        (a report asks first which tickets exist, then for the ones it needs) loads the
        cache once."""
        from supportctl.storage.history import History

        return History(self)

    def ticket_numbers_used(self, rev: str = "HEAD") -> dict[str, int]:
        """Per ID prefix, the highest ticket number the history of `rev` ever used."""
        from supportctl.storage.numbers import highest_ticket_numbers

        return highest_ticket_numbers(self, rev)

    def kb(self, rev: str = "HEAD") -> KnowledgeBase:
        """The KB at `rev`: readable articles, problems of the others, the search index."""
        from supportctl.storage.catalog import load_kb

        return load_kb(self, rev)

    def kb_articles(self, rev: str = "HEAD") -> Mapping[str, Article]:
        return self.kb(rev).articles

    def stored_report(self, head: str, key: str) -> Any:
        if not self.config_committed:  # computed with the work tree's: not in the key
            return None
        return self.cache.get_packed(REPORT, f"{head} {key}")

    def store_report(self, head: str, key: str, value: Any) -> None:
        if self.config_committed:
            # a new tip makes every older row a stranger: dropped, so they never pile up
            self.cache.put_packed(REPORT, f"{head} ", f"{head} {key}", value)

    def article(self, slug: str, rev: str = "HEAD") -> Article:
        """One article; NotFound for an unknown slug, DataError for a broken file."""
        from supportctl.storage.catalog import get_article

        return get_article(self, slug, rev)


def config_key(content: bytes, path: Path) -> bytes:
    """What a cached configuration must match: the file, where it lives (its path is part
    of the settings), and the fields of the settings classes, so a program whose settings
    changed shape never reads an older one's."""
    digest = hashlib.sha256(content)
    digest.update(b"\0" + os.fsencode(path))
    for value in vars(settings).values():
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            fields = ",".join(f.name for f in dataclasses.fields(value))
            digest.update(f"\0{value.__name__}:{fields}".encode())
    return digest.hexdigest().encode()


def ticket_views(files: Iterable[tuple[str, dict[str, Any]]], config: Config) -> list[TicketView]:
    """Views of parsed ticket files (path, data), sorted by number; an unreadable file
    carries `.error`, one holding a value outside its vocabulary also `.invalid`."""
    views = []
    for path, data in files:
        if "__error__" in data:
            line = data.get("__line__") or 0
            error = f"{path}:{line}: {data['__error__']}"
            views.append(TicketView(path, Ticket(id=Path(path).stem), error))
        else:
            ticket = Ticket.from_plain(data)
            problem = invalid_value(ticket, config.lines, tuple(config.customers))
            views.append(TicketView(path, ticket, problem, invalid=problem is not None))
    views.sort(key=lambda v: sort_key(v.id))
    return views


def refuse_invalid(views: Iterable[TicketView]) -> None:
    """DataError for the first view holding a value outside its vocabulary."""
    for view in views:
        if view.invalid:
            raise DataError(str(view.error))


def ticket_view(
    ticket_id: str,
    content: bytes | None,
    config: Config | None,
    parsed: Mapping[str, Any] | None = None,
) -> TicketView:
    """One ticket file's view; NotFound when there is none, DataError when it cannot be
    read or (checked against `config`, unless None) holds a value outside its lists.
    `parsed`: `parse_ticket(content)`, when it is known already."""
    path = ticket_path(ticket_id)
    if content is None:
        raise NotFound(f"unknown ticket {ticket_id}")
    try:
        ticket = read_ticket(content) if parsed is None else ticket_of(parsed)
    except UnreadableTicket as exc:
        raise DataError(f"{path}:{exc.line}: {exc.message}") from None
    problem = (
        None if config is None else invalid_value(ticket, config.lines, tuple(config.customers))
    )
    if problem:
        raise DataError(problem)
    return TicketView(path, ticket)


def check_identity(path: str, ticket: Ticket, ticket_id: str) -> None:
    """An action on a file whose `id:` names another ticket would split that ticket's
    history between two IDs: refused (a hand rename that forgot the id, or the reverse)."""
    found = ticket.id
    if found != ticket_id:
        raise DataError(
            f"{path}: its id says {found or 'nothing'}, not {ticket_id}; fix the file or its "
            f"name (see `supportctl validate`)"
        )


def project(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    if "__error__" in data:
        return data
    return {k: data[k] for k in fields if k in data}


def worklog_index_row(data: dict[str, Any]) -> dict[str, Any]:
    """What the worklog index keeps of a parsed worklog file: the tickets it names, and
    its error (in `parse_worklog_file`'s form) when it could not be read."""
    row: dict[str, Any] = {k: v for k, v in data.items() if k in ("__error__", "__line__")}
    row["tickets"] = sorted({str(item.get("ticket", "")) for item in data.get("entries", [])})
    return row


def worklog_entries(
    files: Iterable[tuple[str, dict[str, Any]]],
    problems: list[str] | None = None,
    same: dict[str, str] | None = None,
) -> list[Worklog]:
    """Entries of parsed worklog files (path, data), by time; an unreadable file adds
    `path:line: message` to `problems`. `same`: the strings of earlier calls' entries,
    shared by the entries made here (see below)."""
    result = []
    # one string object per distinct ticket, day, note and author: a report holds every
    # entry of the desk (tens of thousands), and these repeat
    same = {} if same is None else same
    for path, data in files:
        if "__error__" in data and problems is not None:
            problems.append(f"{path}:{data.get('__line__') or 0}: {data['__error__']}")
        for item in data.get("entries", []):
            ticket, on = str(item.get("ticket", "")), str(item.get("on", ""))
            note, author = str(item.get("note") or ""), str(item.get("author") or "")
            result.append(
                Worklog(
                    ticket=same.setdefault(ticket, ticket),
                    minutes=int(item.get("minutes") or 0),
                    on=same.setdefault(on, on),
                    note=same.setdefault(note, note),
                    author=same.setdefault(author, author),
                    at=str(item.get("at") or ""),
                    path=path,
                )
            )
    result.sort(key=_worklog_order)
    return result


def _worklog_order(w: Worklog) -> tuple[str, str]:
    return (w.at, w.ticket)


def open_repo(override: str | None = None, notify: Callable[[str], None] | None = None) -> Desk:
    """The support repo around the current folder (or `override`). When a killed command
    left something behind, it is put right first, under the lock, and the user is told
    through `notify`."""
    repo = Desk(find_root(override=override), notify)
    if needs_recovery(repo.git):
        try:
            with lock(repo.git):
                pass
        except GitError as exc:
            # Reading is still sound (it reads commits, not the work tree): a command that
            # only reads goes on and says why at the end; one that writes meets the same
            # problem under its own lock, as its error.
            from supportctl.storage.git import notice

            notice(f"{exc.message} (commands that only read go on; commands that write stop)")
    return repo
