"""`supportctl devtask`: a support ticket (usually an L3 one) as a developer task.

The task is Markdown rendered from the template `devtask.md.j2` (a file of that
name in the support repo's committed `templates/` wins over the packaged one; it runs
in the sandbox of supportctl/templating.py, which escapes every value). The model
handed to the template is built here from the ticket, its duplicates and links,
its conversation and its SLA resolution clock; `task_model` is what a custom
template can use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from supportctl.domain.durations import format_duration
from supportctl.domain.errors import SupportctlError
from supportctl.domain.ids import number_key
from supportctl.domain.thread import duplicate_links, thread_root
from supportctl.domain.ticket import OPEN_STATUSES
from supportctl.ops.recurring import readable_tickets
from supportctl.storage.templates import RepoTemplates
from supportctl.storage.templates import render as render_template

if TYPE_CHECKING:
    from datetime import datetime

    from supportctl.domain.ticket import Ticket
    from supportctl.storage.desk import Desk

TEMPLATE = "devtask.md.j2"

_STEPS = r"steps to reproduce|how to reproduce|steps|шаги воспроизведения|как воспроизвести|шаги|кроки відтворення|як відтворити|кроки"
_EXPECTED = (
    r"expected result|expected behaviou?r|expected|ожидаемый результат|ожидается|ожидалось|"
    r"должно быть|очікуваний результат|очікується|має бути"
)
_ACTUAL = (
    r"actual result|actual behaviou?r|actual|фактический результат|фактически|на деле|"
    r"фактичний результат|фактично|насправді"
)
_LABEL = re.compile(
    rf"^\s*#{{0,6}}\s*\**\s*(?:(?P<steps>{_STEPS})|(?P<expected>{_EXPECTED})|(?P<actual>{_ACTUAL}))"
    r"\s*\**\s*(?:[:：—–-]\**\s*(?P<rest>.*)|$)",
    re.IGNORECASE,
)


def split_description(text: str) -> dict[str, str]:
    """The description cut at labels like `Steps to reproduce:`, `Ожидаемый результат:`,
    `Фактично:` (en/ru/uk, as a line start or a heading): keys description, steps,
    expected, actual; text before the first label is the description."""
    parts: dict[str, list[str]] = {"description": [], "steps": [], "expected": [], "actual": []}
    current = "description"
    for line in text.splitlines():
        m = _LABEL.match(line)
        if m:
            current = next(k for k in ("steps", "expected", "actual") if m.group(k))
            if (m.group("rest") or "").strip():
                parts[current].append(m.group("rest").strip())
            continue
        parts[current].append(line)
    return {k: "\n".join(v).strip() for k, v in parts.items()}


def _ticket_row(t: Ticket, relation: str) -> dict[str, Any]:
    return {
        "id": t.id,
        "relation": relation,
        "title": t.title or "",
        "status": t.status or "",
        "customer": t.customer or "",
        "created": t.created or "",
        "priority": t.priority or "",
    }


def task_model(repo: Desk, ticket_id: str, now: datetime) -> dict[str, Any]:
    """Everything the devtask template shows, as plain data."""
    from supportctl.storage.catalog import get_article
    from supportctl.storage.clocks import ticket_sla

    tid = repo.ticket_id(ticket_id)
    ticket = repo.ticket(tid).ticket
    tickets, _ = readable_tickets(repo)
    tickets[tid] = ticket
    config = repo.config

    # The thread: the ticket this one duplicates (if any) and every report of the same failure.
    duplicate_of = duplicate_links(tickets)
    root = thread_root(tid, duplicate_of)
    thread = sorted((k for k in tickets if thread_root(k, duplicate_of) == root), key=number_key)
    links = ticket.links
    linked: list[dict[str, Any]] = []
    for other in thread:
        if other != tid:
            relation = "duplicate of this" if other != root else "this duplicates it"
            if other == root and tid != root:
                relation = "original report (this duplicates it)"
            linked.append(_ticket_row(tickets[other], relation))
    related = list(links.related)
    related += [k for k, t in tickets.items() if tid in t.links.related]
    for other in dict.fromkeys(related):
        if other in tickets and other not in thread:
            linked.append(_ticket_row(tickets[other], "related"))
    if links.parent and links.parent in tickets:
        linked.append(_ticket_row(tickets[links.parent], "parent"))
    for t in tickets.values():
        if (t.links.parent or "") == tid:
            linked.append(_ticket_row(t, "child"))

    by_customer: dict[str, list[str]] = {}
    for k in thread:
        by_customer.setdefault(tickets[k].customer or "?", []).append(k)
    customers = [
        {
            "key": key,
            "name": config.customers[key].name if key in config.customers else key,
            "tickets": ids,
        }
        for key, ids in sorted(by_customer.items())
    ]

    parts = split_description(ticket.description or "")
    notes: list[dict[str, Any]] = []
    escalations: list[str] = []
    for c in ticket.comments:
        text = (c.text or "").strip()
        if not text:
            continue
        internal = c.internal
        if internal and text.startswith("Escalated "):
            # Written by `escalate`: it belongs in the summary, not in the workaround.
            escalations.append(text)
            continue
        notes.append(
            {
                "at": c.at or "",
                "author": c.author or "",
                "internal": internal,
                "text": text,
            }
        )

    sla, _ = ticket_sla(repo, tid, now)
    clock = sla.clocks.get("resolution")
    # The engine works in UTC; a person reads the desk's own time zone.
    zone = ZoneInfo(config.timezone)

    def local(t: datetime | None) -> str | None:
        return t.astimezone(zone).isoformat() if t else None

    sla_model = None
    if clock is not None:
        sla_model = {
            "state": clock.state,
            "due": local(clock.due),
            "target_seconds": clock.target_seconds,
            "elapsed_seconds": clock.elapsed_seconds,
            "at_risk": clock.at_risk,
            "stopped": local(clock.stopped),
            "rule": clock.rule,
        }

    kb = None
    if ticket.kb:
        try:
            article = get_article(repo, ticket.kb)
            kb = {"slug": article.slug, "title": article.title, "path": article.path}
        except SupportctlError:  # a missing or broken article must not block the task
            kb = {"slug": ticket.kb, "title": "", "path": ""}

    customer_key = ticket.customer or ""
    return {
        "now": now.isoformat(),
        "ticket": {
            "id": tid,
            "title": ticket.title or "",
            "customer": customer_key,
            "customer_name": config.customers[customer_key].name
            if customer_key in config.customers
            else customer_key,
            "type": (ticket.type or "").replace("_", " "),
            "priority": ticket.priority or "",
            "class": ticket.class_ or "",
            "status": ticket.status or "",
            "open": ticket.status in OPEN_STATUSES,
            "line": ticket.line or "",
            "assignee": ticket.assignee or "",
            "reporter": ticket.reporter or "",
            "created": ticket.created or "",
            "tags": list(ticket.tags),
        },
        "description": parts["description"],
        "steps": parts["steps"],
        "expected": parts["expected"],
        "actual": parts["actual"],
        "escalations": escalations,
        "impact": {
            "tickets": thread,
            "count": len(thread),
            "customers": customers,
            "open": sum(1 for k in thread if tickets[k].status in OPEN_STATUSES),
        },
        "linked": linked,
        "notes": notes,
        "resolution": (ticket.resolution or "").strip(),
        "kb": kb,
        "sla": sla_model,
    }


def _dur(seconds: Any) -> str:
    return "—" if seconds is None else format_duration(float(seconds))


def render_devtask(repo: Desk, ticket_id: str, now: datetime) -> str:
    """The developer task for `ticket_id` as Markdown."""
    model = task_model(repo, ticket_id, now)
    templates = RepoTemplates(repo.git, repo.git.head())
    text = render_template(templates, TEMPLATE, {"dur": _dur}, t=model)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
