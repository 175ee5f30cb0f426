"""A desk held in memory: the read side of `Desk` (`DeskReader`) over plain data.

Reports and SLA questions read a desk only through `DeskReader`, so they can be run on
tickets, events and worklogs written down in a test, without a repository, a commit or
a cache. The tickets are read, checked and grouped by the same code as `Desk`'s, so the
same content gives the same answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from supportctl.config.settings import CONFIG_NAME, Config, parse_config
from supportctl.domain.articles import (
    Article,
    ArticleError,
    article_path,
    from_fields,
    parse_content,
)
from supportctl.domain.ids import ticket_path
from supportctl.domain.text import is_slug
from supportctl.domain.ticket import parse_ticket, parse_worklog_file
from supportctl.storage.desk import (
    DeskReader,
    project,
    refuse_invalid,
    ticket_view,
    ticket_views,
    worklog_entries,
)
from supportctl.storage.history import grouped_events

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from supportctl.domain.events import Event
    from supportctl.domain.ticket import TicketView
    from supportctl.storage.desk import Worklog
    from supportctl.storage.history import Keep

HEAD = "1" * 40  # the commit id a memory desk reports for its one state


class MemoryDesk(DeskReader):
    """One committed state of a desk, given as text.

    `tickets`: ticket ID -> the YAML of its file; `events`: the history's events, oldest
    commit first (grouped as the history is: generations, renames); `worklogs`: file
    name -> YAML; `articles`: slug -> Markdown; `past`: for a commit id, the ticket files
    as they were in it (what a report reads for a ticket changed after its period).
    """

    def __init__(
        self,
        config: Config | str,
        tickets: Mapping[str, str] | None = None,
        events: Sequence[Event] = (),
        *,
        worklogs: Mapping[str, str] | None = None,
        articles: Mapping[str, str] | None = None,
        past: Mapping[str, Mapping[str, str]] | None = None,
        head: str = HEAD,
        committed: datetime | None = None,
    ) -> None:
        if isinstance(config, str):
            config = parse_config(config.encode(), Path(CONFIG_NAME))
        self._config = config
        self.head = head
        self.committed = committed or datetime(1970, 1, 1, tzinfo=UTC)
        self._tickets = {tid: text.encode() for tid, text in (tickets or {}).items()}
        self._events = list(events)
        self._worklogs = {name: text.encode() for name, text in (worklogs or {}).items()}
        self._articles = {slug: text.encode() for slug, text in (articles or {}).items()}
        self._past = {
            sha: {tid: text.encode() for tid, text in files.items()}
            for sha, files in (past or {}).items()
        }

    @property
    def config(self) -> Config:
        return self._config

    def commit_id(self, rev: str = "HEAD") -> str | None:
        if rev in ("HEAD", self.head):
            return self.head
        return rev if rev in self._past else None

    def commit_date(self, sha: str) -> datetime:
        return self.committed

    def _files(self, rev: str) -> Mapping[str, bytes]:
        if rev in ("HEAD", self.head):
            return self._tickets
        return self._past.get(rev, {})

    def tickets(
        self,
        rev: str = "HEAD",
        fields: Sequence[str] | None = None,
        among: Collection[str] | None = None,
    ) -> list[TicketView]:
        files = [
            (ticket_path(tid), parse_ticket(content))
            for tid, content in self._files(rev).items()
            if among is None or PurePosixPath(ticket_path(tid)).stem in among
        ]
        if fields is not None:
            files = [(path, project(data, tuple(fields))) for path, data in files]
        return ticket_views(files, self.config)

    def ticket(self, ticket_id: str, rev: str = "HEAD", *, past: bool = False) -> TicketView:
        content = self._files(rev).get(ticket_id)
        return ticket_view(ticket_id, content, None if past else self.config)

    def check_values(self, among: Collection[str] | None = None) -> None:
        refuse_invalid(self.tickets(among=among))

    def worklogs(self, rev: str = "HEAD", problems: list[str] | None = None) -> list[Worklog]:
        files = [
            (f"data/worklogs/{name}", parse_worklog_file(content))
            for name, content in sorted(self._worklogs.items())
        ]
        return worklog_entries(files, problems)

    def events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> dict[str, list[Event]]:
        return grouped_events(self._events, keep) if self.commit_id(rev) else {}

    def iter_events_by_ticket(
        self, rev: str = "HEAD", keep: Keep | None = None
    ) -> Iterator[tuple[str, list[Event]]]:
        return iter(self.events_by_ticket(rev, keep).items())

    def forget_events(self) -> None:
        pass  # nothing is kept between questions

    def kb_articles(self, rev: str = "HEAD") -> Mapping[str, Article]:
        found: dict[str, Article] = {}
        for slug, content in sorted(self._articles.items(), key=lambda i: article_path(i[0])):
            if not is_slug(slug):
                continue
            try:
                found[slug] = from_fields(parse_content(content), article_path(slug))
            except ArticleError:
                continue  # a broken file: `validate` names it, readers skip it
        return found

    def stored_report(self, head: str, key: str) -> Any:
        return None  # every memory desk has the same commit id: nothing is kept

    def store_report(self, head: str, key: str, value: Any) -> None:
        return None
