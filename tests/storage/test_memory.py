"""The in-memory desk answers as a repository with the same content does.

One history is written down once as data; it becomes a `MemoryDesk` and, commit by
commit, a real repository. SLA status, one ticket's clocks and the monthly report's
model are then computed on both and must agree.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import DataError, NotFound
from supportctl.domain.events import Event
from supportctl.domain.periods import resolve_period
from supportctl.report.collect import report_model
from supportctl.sla.status import open_clocks
from supportctl.storage.clocks import desk_sla, ticket_sla
from supportctl.storage.desk import Desk, DeskReader
from supportctl.storage.memory import MemoryDesk
from tests.conftest import CONFIG, git

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime.fromisoformat("2026-10-06T12:00:00+03:00")
AUTHOR, EMAIL = "Anna Smirnova", "anna@support.example"  # as conftest pins them for git
TITLES = {"SUP-1": "Printer broken", "SUP-2": "Badge reader dead", "SUP-3": "New laptop"}


def opened(customer: str, priority: str, kind: str) -> dict[str, tuple[str | None, str]]:
    values = {"status": "new", "line": "L1", "priority": priority, "type": kind}
    return {k: (None, v) for k, v in {**values, "customer": customer}.items()}


# (when, ticket, action, changes, details): what supportctl's commands would have committed
STEPS: list[tuple[str, str, str, dict[str, tuple[str | None, str]], dict[str, str]]] = [
    ("2026-10-05T10:00:00+03:00", "SUP-1", "new", opened("acme", "normal", "incident"), {}),
    ("2026-10-05T10:30:00+03:00", "SUP-1", "comment", {}, {"visibility": "public"}),
    ("2026-10-05T11:00:00+03:00", "SUP-2", "new", opened("globex", "critical", "incident"), {}),
    ("2026-10-05T11:20:00+03:00", "SUP-1", "start", {"status": ("new", "in_progress")}, {}),
    (
        "2026-10-05T12:00:00+03:00",
        "SUP-3",
        "new",
        opened("acme", "low", "service_request"),
        {"channel": "portal"},
    ),
    ("2026-10-05T15:00:00+03:00", "SUP-3", "resolve", {"status": ("new", "resolved")}, {}),
    ("2026-10-06T09:30:00+03:00", "SUP-1", "escalate", {"line": ("L1", "L2")}, {}),
]
WORKLOG = """\
- ticket: SUP-1
  minutes: 45
  on: '2026-10-05'
  note: driver
  author: anna
  at: '2026-10-05T12:00:00+03:00'
"""
ARTICLE = """\
---
title: Printer driver
tags: [printer]
customers: [acme]
tickets: [SUP-1]
---
Reinstall the driver.
"""


def ticket_files() -> list[tuple[str, str, dict[str, str]]]:
    """(when, ticket, its whole file after the step) for every step, in order."""
    state: dict[str, dict[str, Any]] = {}
    out = []
    for when, ticket, action, changes, _ in STEPS:
        t = state.setdefault(
            ticket, {"id": ticket, "title": TITLES[ticket], "created": when, "comments": []}
        )
        t.update({k: new for k, (_, new) in changes.items()})
        if action == "comment":
            t["comments"].append({"at": when, "author": "anna", "visibility": "public"})
        out.append((when, ticket, {**t, "comments": list(t["comments"])}))
    return out


def to_yaml(t: dict[str, Any]) -> str:
    lines = [f"{k}: '{t[k]}'" for k in ("id", "title", "customer", "type", "priority")]
    lines += [f"{k}: '{t[k]}'" for k in ("status", "line", "created")]
    lines.append("comments:" + ("" if t["comments"] else " []"))
    for c in t["comments"]:
        lines += [f"  - at: '{c['at']}'", f"    author: {c['author']}", "    visibility: public"]
        lines.append("    text: Looking")
    return "\n".join(lines) + "\n"


def memory_desk() -> MemoryDesk:
    events = [
        Event(f"{i:040x}", ticket, action, at, at, AUTHOR, EMAIL, dict(changes), dict(details))
        for i, (when, ticket, action, changes, details) in enumerate(STEPS, 1)
        for at in [datetime.fromisoformat(when)]
    ]
    final = {ticket: to_yaml(t) for _, ticket, t in ticket_files()}
    return MemoryDesk(
        CONFIG,
        final,
        events,
        worklogs={"2026-10.yaml": WORKLOG},
        articles={"printer-driver": ARTICLE},
    )


def trailers(
    action: str, changes: dict[str, tuple[str | None, str]], details: dict[str, str]
) -> str:
    lines = [f"Action: {action}"]
    for field, (old, new) in changes.items():
        if old is not None:
            lines.append(f"From-{field.capitalize()}: {old}")
        lines.append(f"To-{field.capitalize()}: {new}")
    lines += [f"{k.capitalize()}: {v}" for k, v in details.items()]
    return "\n".join(lines)


@pytest.fixture
def real_desk(support_repo: Path) -> Desk:
    """The same history committed step by step, with the trailers supportctl writes."""
    (support_repo / "data/tickets/0000").mkdir(parents=True, exist_ok=True)
    for (when, ticket, t), (_, _, action, changes, details) in zip(
        ticket_files(), STEPS, strict=True
    ):
        (support_repo / f"data/tickets/0000/{ticket}.yaml").write_text(to_yaml(t), encoding="utf-8")
        if (ticket, action) == ("SUP-1", "escalate"):  # the last step carries the rest along
            (support_repo / "data/worklogs").mkdir(parents=True, exist_ok=True)
            (support_repo / "data/worklogs/2026-10.yaml").write_text(WORKLOG, encoding="utf-8")
            (support_repo / "data/kb").mkdir(parents=True, exist_ok=True)
            (support_repo / "data/kb/printer-driver.md").write_text(ARTICLE, encoding="utf-8")
        git(support_repo, "add", "data")
        message = f"{ticket}: {action}\n\nTicket: {ticket}\n{trailers(action, changes, details)}"
        git(
            support_repo,
            "commit",
            "-qm",
            message,
            env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
        )
    return Desk(support_repo)


def sla_status(desk: DeskReader) -> list[tuple[Any, ...]]:
    """`supportctl sla status`: every open clock, most urgent first."""
    at = NOW
    tickets = desk_sla(desk, at, period=(at, datetime.max.replace(tzinfo=UTC))).tickets
    return [
        (t.ticket, t.attrs, c.metric, c.state, c.elapsed_seconds, c.due, c.at_risk, left)
        for t, c, left in open_clocks(tickets.values(), at)
    ]


def clocks(desk: DeskReader, ticket: str) -> dict[str, dict[str, Any]]:
    """`supportctl sla show`: the ticket's clocks (the stopping commit's id aside)."""
    sla, _ = ticket_sla(desk, ticket, NOW)
    return {m: dataclasses.asdict(c) | {"stopped_by": None} for m, c in sla.clocks.items()}


def test_sla_status_is_the_same_from_memory_and_from_git(real_desk: Desk) -> None:
    memory = memory_desk()
    rows = sla_status(memory)
    assert rows == sla_status(real_desk)
    # the figures themselves, so that two wrong answers cannot agree by accident
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("SUP-2", "first_response", "breached"),  # critical, 24x7: 30m from Mon 11:00
        ("SUP-2", "start_work", "breached"),
        ("SUP-2", "resolution", "breached"),
        ("SUP-1", "resolution", "running"),  # answered and started in time
    ]


@pytest.mark.parametrize("ticket", sorted(TITLES))
def test_a_tickets_clocks_are_the_same_from_memory_and_from_git(
    real_desk: Desk, ticket: str
) -> None:
    assert clocks(memory_desk(), ticket) == clocks(real_desk, ticket)


def test_the_report_model_is_the_same_from_memory_and_from_git(real_desk: Desk) -> None:
    period = resolve_period("2026-10", None, None, NOW, real_desk.config.timezone)
    from_git = report_model(real_desk, period, None, NOW)
    assert _without_commits(report_model(memory_desk(), period, None, NOW)) == _without_commits(
        from_git
    )
    assert [e["action"] for e in from_git["audit"]["events"]] == [s[2] for s in STEPS]
    assert from_git["report"]["commit"] == real_desk.commit_id()  # what was left out above


def _without_commits(model: Any) -> Any:
    """The model without commit ids and the commit's date: the memory desk's are made up."""
    if isinstance(model, dict):
        return {
            k: _without_commits(v) for k, v in model.items() if k not in ("commit", "commit_date")
        }
    if isinstance(model, list):
        return [_without_commits(v) for v in model]
    return model


def test_memory_desk_reads_like_desk(real_desk: Desk) -> None:
    memory = memory_desk()
    assert [v.ticket for v in memory.tickets()] == [v.ticket for v in real_desk.tickets()]
    assert memory.tickets(fields=("id", "status")) == real_desk.tickets(fields=("id", "status"))
    assert memory.worklogs() == real_desk.worklogs()
    assert dict(memory.kb_articles()) == dict(real_desk.kb_articles())
    assert memory.ticket("SUP-3").ticket == real_desk.ticket("SUP-3").ticket
    with pytest.raises(NotFound):
        memory.ticket("SUP-9")


def test_memory_desk_refuses_what_desk_refuses() -> None:
    broken = MemoryDesk(CONFIG, {"SUP-1": "id: SUP-1\nstatus: sleeping\n", "SUP-2": "[x"})
    views = broken.tickets()
    assert [(v.id, v.invalid, v.error is not None) for v in views] == [
        ("SUP-1", True, True),
        ("SUP-2", False, True),
    ]
    with pytest.raises(DataError):
        broken.check_values()
    with pytest.raises(DataError):
        broken.ticket("SUP-2")


def test_sla_on_a_memory_desk_alone_keeps_a_deleted_namesake_apart() -> None:
    def event(when: str, action: str, changes: dict[str, Any]) -> Event:
        at = datetime.fromisoformat(when)
        return Event(f"{when}{action}", "SUP-1", action, at, at, AUTHOR, EMAIL, changes)

    reborn = to_yaml(
        {
            **{k: v for k, (_, v) in opened("globex", "normal", "incident").items()},
            "id": "SUP-1",
            "title": "Second",
            "created": "2026-10-05T12:00:00+03:00",
            "comments": [],
        }
    )
    desk = MemoryDesk(
        CONFIG,
        {"SUP-1": reborn},
        [
            event("2026-10-05T10:00:00+03:00", "new", opened("acme", "critical", "incident")),
            event("2026-10-05T11:00:00+03:00", "delete", {}),
            event("2026-10-05T12:00:00+03:00", "new", opened("globex", "normal", "incident")),
        ],
    )
    tickets = desk_sla(desk, NOW).tickets
    assert sorted(tickets) == ["SUP-1", "SUP-1~1"]
    assert (tickets["SUP-1"].attrs["customer"], tickets["SUP-1~1"].attrs["customer"]) == (
        "globex",
        "acme",
    )
