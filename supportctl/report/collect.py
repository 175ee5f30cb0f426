"""Gather what a report needs from the repo at one commit and build its model."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import DataError, SupportctlError
from supportctl.domain.ticket import Ticket
from supportctl.report.data import build_report
from supportctl.sla.engine import evaluate
from supportctl.storage.clocks import make_policy
from supportctl.storage.history import generation_at

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supportctl.domain.events import Event
    from supportctl.domain.periods import Period
    from supportctl.domain.ticket import TicketView
    from supportctl.storage.desk import DeskReader, Worklog


def report_model(
    repo: DeskReader,
    period: Period,
    customer: str | None,
    now: datetime,
    problems: list[str] | None = None,
) -> dict[str, Any]:
    """The report as of `min(now, end of period)`, computed from HEAD."""
    config = repo.config
    if customer:
        config.customer(customer)
    views = repo.tickets()
    bad = next((v for v in views if v.invalid), None)
    if bad is not None:  # a hand edit outside the lists of values: its figures would be wrong
        raise DataError(str(bad.error))
    head = repo.commit_id()
    evaluated_at = min(now, period.until)
    events = repo.events_by_ticket()
    policy = make_policy(config)
    slas = {tid: evaluate(tid, evs, policy, evaluated_at) for tid, evs in events.items()}
    tickets = tickets_as_of(repo, views, events, period.until)
    commit_date = repo.commit_date(head) if head else None
    return build_report(
        config,
        events,
        slas,
        tickets,
        _by_generation(repo.worklogs(problems=problems), events),
        period,
        customer,
        head,
        commit_date,
        evaluated_at,
        kb_articles(repo),
    )


def _by_generation(logs: list[Worklog], events: dict[str, list[Event]]) -> list[Worklog]:
    """Time logged on a deleted ticket is billed to it, not to a later namesake."""
    out = []
    for w in logs:
        if f"{w.ticket}~1" in events:
            try:
                when = datetime.fromisoformat(w.at)
            except ValueError:
                when = None
            if when is not None and when.tzinfo is not None:
                w = dataclasses.replace(w, ticket=generation_at(events, w.ticket, when))
        out.append(w)
    return out


def tickets_as_of(
    repo: DeskReader, views: list[TicketView], events: dict[str, list[Event]], until: datetime
) -> dict[str, Ticket]:
    """Each ticket's file as it was at `until` (events come ordered by time), so a ticket
    moved to another customer and retitled later shows its title of the period, never the
    new customer's."""
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
            result[tid] = repo.ticket(tid.partition("~")[0], rev=evs[last].sha, past=True).ticket
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
