"""SLA numbers for a support repo: history and configuration in, evaluated tickets out.

This is the glue between the pure engine (`supportctl.sla`) and the repo: it turns the
configuration into a policy and the git history into per-ticket event lists.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from supportctl.domain.errors import NotFound
from supportctl.sla.engine import Policy, Target, TicketSla, evaluate

if TYPE_CHECKING:
    from datetime import datetime

    from supportctl.config.settings import Config
    from supportctl.domain.events import Event
    from supportctl.storage.desk import DeskReader
    from supportctl.storage.history import Keep, TicketSpan


def make_policy(config: Config) -> Policy:
    # Every calendar is built now, used or not: a mistake in one is reported by every SLA
    # and report command, not only once a ticket happens to need that calendar.
    for name in config.calendar_specs:
        config.calendar(name)
    cache: dict[tuple[object, ...], Target] = {}
    fallback = Target(None, config.calendar("24x7"), 0.8, "no plan")

    def policy(attrs: dict[str, str | None], metric: str) -> Target:
        key = (
            attrs.get("customer"),
            attrs.get("priority"),
            attrs.get("type"),
            attrs.get("class"),
            attrs.get("line"),
            attrs.get("channel"),
            metric,
        )
        if key in cache:
            return cache[key]
        customer = config.customers.get(str(attrs.get("customer")))
        plan = config.plans.get(customer.plan) if customer else None
        target = fallback
        if plan is not None:
            found = plan.rule_for(attrs)
            if found:
                i, rule = found
                target = Target(
                    rule.targets.get(metric),
                    config.calendar(rule.calendar),
                    plan.warn_at,
                    f"{plan.name} rule {i} ({rule.describe()})",
                )
            else:
                target = Target(
                    None, config.calendar(plan.calendar), plan.warn_at, f"{plan.name}: no rule"
                )
        cache[key] = target
        return target

    return policy


@dataclass
class DeskSla:
    tickets: dict[str, TicketSla]
    events: dict[str, list[Event]]
    head: str | None


def desk_sla(
    repo: DeskReader,
    now: datetime,
    rev: str = "HEAD",
    only: str | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> DeskSla:
    """Every ticket's clocks as of `now`; with `period`, only the tickets that can count in it.

    A ticket cannot count in [since, until) when its first event is at or after `until`
    (every clock starts at creation), or when all its clocks had stopped for good before
    `since` (a clock is met or breached no later than its stop).
    """
    if only is not None:
        with contextlib.suppress(NotFound):  # a deleted ticket: its history is all there is
            repo.ticket(only)
    keep: Keep | None = None
    if only is not None:
        keep = partial(_is_ticket, only)
    elif period is not None:
        keep = partial(_counts_in, period[0].timestamp(), period[1].timestamp())

    grouped = repo.events_by_ticket(rev, keep)
    if only is None:
        # only the evaluated tickets' files: a cold `sla check` of a month reads no others
        repo.check_values(among=grouped)
    policy = make_policy(repo.config)
    tickets = {tid: evaluate(tid, evs, policy, now) for tid, evs in grouped.items()}
    return DeskSla(tickets, grouped, repo.commit_id(rev))


def _is_ticket(only: str, ticket_id: str, span: TicketSpan) -> bool:
    return ticket_id == only


def _counts_in(since: float, until: float, ticket_id: str, span: TicketSpan) -> bool:
    return span.first < until and (span.settled is None or span.settled >= since)


def ticket_sla(repo: DeskReader, ticket_id: str, now: datetime) -> tuple[TicketSla, list[Event]]:
    desk = desk_sla(repo, now, only=ticket_id)
    if ticket_id not in desk.tickets:
        # a committed file the reader refuses (hostile YAML) is named as such (exit 7), as
        # by `show`, instead of "unknown ticket"
        repo.ticket(ticket_id)
        raise NotFound(f"unknown ticket {ticket_id}")
    return desk.tickets[ticket_id], desk.events[ticket_id]
