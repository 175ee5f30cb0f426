"""Gather what a report needs from the repo at one commit and build its model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportctl.history import History
from supportctl.periods import Period
from supportctl.report.data import build_report
from supportctl.sla.engine import evaluate
from supportctl.sla_repo import make_policy
from supportctl.store import SupportRepo


def report_model(
    repo: SupportRepo,
    period: Period,
    customer: str | None,
    now: datetime,
    problems: list[str] | None = None,
) -> dict[str, Any]:
    """The report as of `min(now, end of period)`, computed from HEAD."""
    config = repo.config
    if customer:
        config.customer(customer)
    repo.check_values()
    head = repo.git.head()
    evaluated_at = min(now, period.until)
    events = History(repo).by_ticket()
    policy = make_policy(config)
    slas = {tid: evaluate(tid, evs, policy, evaluated_at) for tid, evs in events.items()}
    tickets = {v.id: v.data for v in repo.tickets() if not v.error}
    commit_date = repo.git.commit_date(head) if head else None
    return build_report(
        config,
        events,
        slas,
        tickets,
        repo.worklogs(problems=problems),
        period,
        customer,
        head,
        commit_date,
        evaluated_at,
    )
