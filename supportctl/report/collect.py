"""Gather what a report needs from the repo at one commit and build its model."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from supportctl import __version__
from supportctl.config.settings import LANGUAGES
from supportctl.domain.errors import DataError, SupportctlError, UsageError
from supportctl.domain.ticket import Ticket, vocabulary
from supportctl.report.data import OPEN, build_report, for_audience, ticket_summary
from supportctl.report.i18n import AUDIENCES
from supportctl.report.trend import (
    TrendTickets,
    compliance_target,
    counts_in,
    trend,
    trend_months,
)
from supportctl.sla.engine import evaluate
from supportctl.storage.availability import desk_availability
from supportctl.storage.clocks import make_policy
from supportctl.storage.history import generation_of

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Iterable, Mapping, Sequence

    from supportctl.domain.events import Event
    from supportctl.domain.periods import Period
    from supportctl.domain.ticket import TicketView
    from supportctl.storage.desk import DeskReader, Worklog
    from supportctl.storage.history import TicketSpan


def report_for(
    repo: DeskReader,
    period: Period,
    customer: str | None,
    now: datetime,
    problems: list[str] | None = None,
    *,
    audience: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The report model for its reader: `audience` customer (the default with a customer)
    or internal (the default for the whole desk), in `language` (default: the customer's
    `language:`, else English). Every audience and language shares one computed model."""
    audience = audience or ("customer" if customer else "internal")
    if audience not in AUDIENCES:
        raise UsageError(f"unknown audience {audience!r}: expected customer or internal")
    if audience == "customer" and not customer:
        raise UsageError("a customer report is for one customer: name it with --customer")
    if language is None:
        language = repo.config.customer(customer).language if customer else "en"
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}: expected {', '.join(LANGUAGES)}")
    model = report_model(repo, period, customer, now, problems)
    return for_audience(model, audience, language)


def report_model(
    repo: DeskReader,
    period: Period,
    customer: str | None,
    now: datetime,
    problems: list[str] | None = None,
    *,
    every_ticket: bool = False,
    trend: bool = True,
) -> dict[str, Any]:
    """The report as of `min(now, end of period)`, computed from HEAD.

    Only the tickets that can change a figure of the period are evaluated (see `_Scope`);
    `every_ticket` evaluates them all, for checking that this gives the same report;
    without `trend` the six months' trend (which reads the tickets of six months) is left
    out, for measuring what the report alone reads.
    The report of a period that is over depends only on the commit: it is kept for as long
    as that commit is the tip, so asking again (another format, the same month) reads it.
    """
    config = repo.config
    if customer:
        config.customer(customer)
    head = repo.commit_id()
    key = None
    if head and not every_ticket and trend and now >= period.until:
        key = " ".join(
            (__version__, period.label, period.since.isoformat(), period.until.isoformat())
        ) + (f" {customer}" if customer else "")
        stored = repo.stored_report(head, key)
        if _is_stored_report(stored):
            if problems is not None:
                problems.extend(stored["problems"])
            return stored["model"]  # type: ignore[no-any-return]
    met: list[str] = []
    model = _computed(repo, period, customer, now, met, every_ticket, head, trend)
    if problems is not None:
        problems.extend(met)
    if key is not None and head is not None:
        repo.store_report(head, key, {"model": model, "problems": met})
    return model


def _is_stored_report(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("model"), dict)
        and isinstance(value.get("problems"), list)
        and all(isinstance(p, str) for p in value["problems"])
    )


def _computed(
    repo: DeskReader,
    period: Period,
    customer: str | None,
    now: datetime,
    problems: list[str],
    every_ticket: bool,
    head: str | None,
    with_trend: bool = True,
) -> dict[str, Any]:
    config = repo.config
    # the history first: the first scan of a long one (no events cache yet) then has the
    # memory to itself, not beside every ticket's fields listed below
    repo.events_by_ticket("HEAD", _none)
    # every ticket's vocabulary (a bad value anywhere is refused), and what deciding which
    # tickets count takes; the whole file only of those that count (below)
    fields = ("id", "customer", "status", "links", "kb", *vocabulary(config.lines))
    views = repo.tickets(fields=tuple(dict.fromkeys(fields)))
    bad = next((v for v in views if v.invalid), None)
    if bad is not None:  # a hand edit outside the lists of values: its figures would be wrong
        raise DataError(str(bad.error))
    evaluated_at = min(now, period.until)
    current = {v.id: v.ticket for v in views if not v.error}
    scope = _Scope(current, period, evaluated_at, every_ticket)
    months = trend_months(period, ZoneInfo(config.timezone))
    trend_only: set[str] = set()

    def keep(ticket_id: str, span: TicketSpan) -> bool:
        # the six months' trend reads its tickets in the same pass as the report's own
        if scope.keep(ticket_id, span):
            return True
        if with_trend and counts_in(months, span):
            trend_only.add(ticket_id)
            return True
        return False

    policy = make_policy(config)
    # a ticket read only for the trend is reduced to what the trend counts of it as soon
    # as it is decoded: the events of six months of tickets are never held at once
    read = TrendTickets(months)
    decoded: dict[str, list[Event]] = {}
    for t, evs in repo.iter_events_by_ticket("HEAD", keep):
        if t in trend_only:
            read.add(t, evs, policy, evaluated_at, customer)
        else:
            decoded[t] = evs
    # tickets only the previous period's summary needs: counted there, not evaluated
    prior = {t: evs for t, evs in decoded.items() if scope.only_before(t)}
    events = {t: evs for t, evs in decoded.items() if t not in prior}
    del decoded  # the events are let go of below, as soon as each ticket's are used up
    files = {v.id: PurePosixPath(v.path).stem for v in views}  # an `id` edited by hand
    tickets = tickets_as_of(repo, _files_of(repo, files, events), events, period.until)
    while missing := scope.missing_targets(tickets, events):
        # a thread of the period leads to a ticket left out: it is needed after all
        found = {t: prior.pop(t) for t in missing if t in prior}
        if len(found) < len(missing):
            found.update(repo.events_by_ticket("HEAD", partial(_among, missing - set(found))))
        if not found:
            break
        events.update(found)
        tickets.update(tickets_as_of(repo, _files_of(repo, files, found), found, period.until))
    # every question to the history is asked: the index of the whole desk's events is not
    # held through the rest of the report
    repo.forget_events()
    # a ticket that counts only in the previous period's summary is reduced to what it
    # adds there (and, for the trend, to what the trend counts of it): its events go
    previous = period.previous()
    before: dict[str, Counter[str]] = {}
    for t in list(prior):
        evs = prior.pop(t)
        before[t] = ticket_summary(evs, previous)
        if with_trend:
            read.add(t, evs, policy, evaluated_at, customer)
    events = {t: events[t] for t in scope.spans if t in events}  # the history's order
    tickets = {t: tickets[t] for t in events if t in tickets}
    slas = {tid: evaluate(tid, evs, policy, evaluated_at) for tid, evs in events.items()}
    left_out = [t for t in scope.spans if t not in events]
    until = period.until.timestamp()
    quiet = {t: current[t] for t in left_out if scope.spans[t].first < until}
    tickets.update(quiet)
    commit_date = repo.commit_date(head) if head else None
    logs = _by_generation(repo.worklogs(problems=problems), scope.spans)
    model = build_report(
        config,
        events,
        slas,
        tickets,
        logs,
        period,
        customer,
        head,
        commit_date,
        evaluated_at,
        kb_articles(repo),
        {t: quiet[t].customer if t in quiet else None for t in left_out},
        before,
        availability=desk_availability(repo, period, now, [customer] if customer else None),
    )
    mine = [customer] if customer else None
    model["sla"]["compliance_target"] = compliance_target(config, mine)
    for section in model.get("customers", []):
        section["sla"]["compliance_target"] = compliance_target(config, [section["key"]])
    if not with_trend:
        return model
    ticket_customer: dict[str, str | None] = {t: c.customer for t, c in current.items()}
    # the trend needs none of the ticket files, and each ticket's events only until they
    # are counted: the memory of a report is at its highest here
    del views, current, tickets, quiet, files
    scope.current = {}  # every ticket is placed: the scope's files of them go too
    for t in list(events):
        read.add_evaluated(t, events.pop(t), slas.pop(t))
    ticket_customer.update(read.customer)
    model["trend"] = trend(months, read.created, read.counted, logs, ticket_customer, mine)
    return model


class _Scope:
    """Which tickets a report of `period` must evaluate, decided from what the events cache
    knows of each (first and last event, when its clocks settled) and its file at HEAD.

    A ticket is left out when it cannot change a figure of the period: created at or after
    the period's end (no clock had started, it had no customer then), or quiet since before
    the period began, with every clock stopped for good by then, not open, and no thread
    leading to it, and no customer change back-dated before one committed earlier. Its
    file at HEAD is then its file as of the period's end, so its customer (for the hours
    logged on it and the packages' rollover) and its KB article (for what a customer
    section may name) come from there, not from its events. Of those quiet since before the
    period but not before the previous one, only the events are read, for the previous
    period's summary.
    """

    def __init__(
        self, current: Mapping[str, Ticket], period: Period, evaluated_at: datetime, every: bool
    ) -> None:
        self.current = current
        self.every = every
        self.spans: dict[str, TicketSpan] = {}
        self.until = period.until.timestamp()
        self.since = min(period.since, evaluated_at).timestamp()
        self.previous_since = min(period.previous().since, evaluated_at).timestamp()
        self.targets = {t.links.duplicate_of for t in current.values() if t.links.duplicate_of}
        # tickets whose customer changes are in another order by time than by commit
        self.reordered: set[str] = set()

    def keep(self, ticket_id: str, span: TicketSpan) -> bool:
        """Whether the ticket's events are read."""
        # what its encoded events say is asked now: kept in `spans`, the encoded events of
        # every ticket of the desk would stay in memory for the whole report
        if self._may_be_quiet(ticket_id, span, self.since) and span.reordered("customer"):
            self.reordered.add(ticket_id)
        self.spans[ticket_id] = dataclasses.replace(span, payload=b"")
        if self.every or span.first >= self.until:
            return self.every
        return not self._quiet(ticket_id, span, self.previous_since)

    def only_before(self, ticket_id: str) -> bool:
        """Whether a ticket whose events are read counts only in the previous period."""
        return not self.every and self._quiet(ticket_id, self.spans[ticket_id], self.since)

    def _quiet(self, ticket_id: str, span: TicketSpan, since: float) -> bool:
        return (
            self._may_be_quiet(ticket_id, span, since)
            # its customer at HEAD is the one its events end with
            and ticket_id not in self.reordered
        )

    def _may_be_quiet(self, ticket_id: str, span: TicketSpan, since: float) -> bool:
        t = self.current.get(ticket_id)  # None: deleted, or a deleted namesake
        return (
            t is not None
            and span.last < since
            and span.settled is not None
            and span.settled < since
            and t.status not in OPEN
            and ticket_id not in self.targets
        )

    def missing_targets(
        self, tickets: Mapping[str, Ticket], events: Mapping[str, list[Event]]
    ) -> set[str]:
        """Tickets left out that a kept ticket's file (as of the period's end) duplicates."""
        return {
            t.links.duplicate_of
            for t in tickets.values()
            if t.links.duplicate_of
            and t.links.duplicate_of in self.spans
            and t.links.duplicate_of not in events
        }


# what a report reads of a ticket's file (`build_report`): its title and the links, tags
# and KB article that make its recurring problems; the rest of each file is never held
REPORT_FIELDS = ("id", "title", "customer", "status", "kb", "tags", "links")


def _files_of(
    repo: DeskReader, files: Mapping[str, str], ticket_ids: Iterable[str]
) -> list[TicketView]:
    """The files at HEAD of these tickets, as much of each as a report reads."""
    return repo.tickets(fields=REPORT_FIELDS, among={files[t] for t in ticket_ids if t in files})


def _report_fields(ticket: Ticket) -> Ticket:
    """A ticket's file with only what a report reads of it (`REPORT_FIELDS`)."""
    return Ticket(
        id=ticket.id,
        title=ticket.title,
        customer=ticket.customer,
        status=ticket.status,
        kb=ticket.kb,
        tags=ticket.tags,
        links=ticket.links,
    )


def _none(ticket_id: str, span: TicketSpan) -> bool:
    return False


def _among(wanted: set[str], ticket_id: str, span: TicketSpan) -> bool:
    return ticket_id in wanted


def _by_generation(logs: list[Worklog], spans: Mapping[str, TicketSpan]) -> list[Worklog]:
    """Time logged on a deleted ticket is billed to it, not to a later namesake."""
    firsts: dict[str, float | None] = {}
    out = []
    for w in logs:
        if f"{w.ticket}~1" in spans:
            try:
                when = datetime.fromisoformat(w.at)
            except ValueError:
                when = None
            if when is not None and when.tzinfo is not None:
                if not firsts:
                    firsts = {t: s.first for t, s in spans.items()}
                w = dataclasses.replace(w, ticket=generation_of(firsts, w.ticket, when))
        out.append(w)
    return out


def tickets_as_of(
    repo: DeskReader, views: list[TicketView], events: dict[str, list[Event]], until: datetime
) -> dict[str, Ticket]:
    """Each ticket's file (what a report reads of it, `REPORT_FIELDS`) as it was at `until`
    (events come ordered by time), so a ticket moved to another customer and retitled later
    shows its title of the period, never the new customer's."""
    current = {v.id: v.ticket for v in views if not v.error}
    result: dict[str, Ticket] = {}
    for tid, evs in events.items():
        last = _last_before(evs, until)
        if last is None:
            continue
        if last == len(evs) - 1 and tid in current:  # nothing since: HEAD's file
            result[tid] = current[tid]
            continue
        try:
            # A deleted generation (`SUP-7~1`) was the file `SUP-7` in its time.
            past = repo.ticket(tid.partition("~")[0], rev=evs[last].sha, past=True).ticket
            result[tid] = _report_fields(past)
        except SupportctlError:  # deleted or broken then: no text to show
            result[tid] = Ticket()
    return result


def _last_before(events: Sequence[Event], until: datetime) -> int | None:
    """Index of the event whose commit holds the ticket as it was at `until`: the last one
    dated before it. A back-dated commit also holds whatever was committed before it; when
    that includes a move to another customer or a new title dated after `until`, an earlier
    event's commit is taken, so nothing of the later state shows."""
    moved = min(
        (e.committed for e in events if e.at >= until and {"customer", "title"} & set(e.changes)),
        default=None,
    )
    for i in range(len(events) - 1, -1, -1):
        e = events[i]
        if e.at < until and (moved is None or e.committed < moved):
            return i
    return None


def kb_articles(repo: DeskReader) -> dict[str, dict[str, list[str]]]:
    """The tickets and customers each KB article names (a customer's report must not name
    an article that also serves another customer)."""
    return {
        slug: {"tickets": list(a.tickets), "customers": list(a.customers)}
        for slug, a in repo.kb_articles().items()
    }
