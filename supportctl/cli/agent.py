"""`supportctl queue` and `supportctl search`: what to work on next, and finding a ticket."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportctl.cli import out
from supportctl.cli.common import parse_now, repo
from supportctl.cli.root import app
from supportctl.domain.durations import format_duration

if TYPE_CHECKING:
    from datetime import datetime

    from supportctl.ops.queue import Queue, QueueRow

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

# The urgency of a queue row and its colour at a terminal.
_STYLE = {"breached": "bold red", "at_risk": "yellow", "paused": "dim", "none": "dim"}


def _styled() -> bool:
    """Colour and a fitted table for a person at a terminal; plain columns for pipes."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _iso(t: datetime | None, tz: Any) -> str | None:
    if t is None:
        return None
    return (t.astimezone(tz) if tz is not None else t).isoformat()


def _span(seconds: float | None) -> str:
    """A wall-clock span in its two largest units: `3d4h`, `5h12m`, `7m`."""
    if seconds is None:
        return ""
    minutes = max(0, int(seconds // 60))
    d, rem = divmod(minutes, 1440)
    h, m = divmod(rem, 60)
    if d:
        return f"{d}d{h}h" if h else f"{d}d"
    if h:
        return f"{h}h{m}m" if m else f"{h}h"
    return f"{m}m"


def _left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return format_duration(round(seconds / 60) * 60)  # to the minute: seconds are noise here


def _row_json(r: QueueRow, q: Queue) -> dict[str, Any]:
    c = r.clock
    return {
        "id": r.id,
        "title": r.title,
        "customer": r.customer,
        "priority": r.priority,
        "line": r.line,
        "status": r.status,
        "assignee": r.assignee,
        "created": _iso(r.created, q.zone),
        "age_seconds": r.age_seconds,
        "urgency": r.urgency,
        "clock": None
        if c is None
        else {
            "metric": c.metric,
            "state": c.state,
            "at_risk": c.at_risk,
            "due": _iso(c.due, r.zone),
            "left_seconds": r.left_seconds,
            "calendar": c.calendar,
            "timezone": r.zone.key if r.zone is not None else None,
        },
        "last_activity": None
        if r.last is None
        else {
            "at": _iso(r.last.at, q.zone),
            "author": r.last.author,
            "email": r.last.email,
            "action": r.last.action,
        },
    }


_HEADERS = ("ID", "CUSTOMER", "PRI", "LINE", "STATUS", "ASSIGNEE", "NEXT", "LEFT", "DUE", "AGE")
_HEADERS_TAIL = ("LAST ACTIVITY", "TITLE")


def _cells(r: QueueRow, q: Queue) -> list[str]:
    c = r.clock
    if c is None:
        nxt, left, due = "-", "", ""
    else:
        mark = {"breached": "!", "at_risk": "~"}.get(r.urgency, "")
        nxt = c.metric + mark
        left = _left(r.left_seconds) if c.state != "paused" else "paused"
        due = c.due.astimezone(r.zone).strftime("%Y-%m-%d %H:%M %Z") if c.due and r.zone else ""
    last = ""
    if r.last is not None:
        last = f"{r.last.author} {r.last.action} {_span((q.now - r.last.at).total_seconds())} ago"
    return [
        r.id,
        r.customer or "",
        r.priority or "",
        r.line or "",
        r.status or "",
        r.assignee or "",
        nxt,
        left,
        due,
        _span(r.age_seconds),
        last,
        r.title or "",
    ]


def _rich_table(q: Queue) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    for name in (*_HEADERS, *_HEADERS_TAIL):
        wide = name in ("TITLE", "LAST ACTIVITY")
        table.add_column(
            name,
            no_wrap=True,
            overflow="ellipsis",
            ratio=1 if wide else None,
            min_width=12 if wide else None,
        )
    for r in q.rows:
        style = _STYLE.get(r.urgency, "")
        # Text, never markup: a title may hold "[bold]" or escape sequences of its own
        table.add_row(*(Text(out.visible(cell)) for cell in _cells(r, q)), style=style)
    return table


@app.command("queue")
def queue_cmd(
    mine: Annotated[
        bool,
        typer.Option("--mine", help="Only tickets assigned to you (your git user.email / name)."),
    ] = False,
    agent: Annotated[
        str | None, typer.Option("--agent", "-a", help="Only tickets assigned to this agent.")
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer.")
    ] = None,
    line: Annotated[str | None, typer.Option("--line", "-l", help="Only this line.")] = None,
    at_risk: Annotated[
        bool,
        typer.Option(
            "--at-risk", help="Only tickets whose next clock is at risk, not yet breached."
        ),
    ] = False,
    breached: Annotated[
        bool,
        typer.Option(
            "--breached", help="Only tickets with a breached clock (with --at-risk: both)."
        ),
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="As of this time (ISO 8601); default SUPPORTCTL_NOW or now."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open tickets by their next SLA deadline: breached, at risk, then by due time.

    Example: supportctl queue --mine
    """
    from supportctl.ops.queue import queue

    q = queue(
        repo(),
        parse_now(now),
        mine=mine,
        agent=agent,
        customer=customer,
        line=line,
        at_risk=at_risk,
        breached=breached,
    )
    if as_json:
        out.emit_json([_row_json(r, q) for r in q.rows])
        return
    if not q.rows:
        whose = f" assigned to {q.agent.handle}" if q.agent is not None else ""
        out.emit(f"no open tickets{whose} match")
        return
    if _styled():
        out.emit_rich(_rich_table(q))
    else:
        rows = [_cells(r, q) for r in q.rows]
        out.emit(out.table(rows, (*_HEADERS, *_HEADERS_TAIL)))


@app.command("search")
def search_cmd(
    query: Annotated[
        str,
        typer.Argument(metavar="QUERY", help="Words to look for (Russian, Ukrainian, English)."),
    ],
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Only this status (repeatable).")
    ] = None,
    customer: Annotated[
        list[str] | None,
        typer.Option("--customer", "-c", help="Only this customer's tickets (repeatable)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most N tickets.")
    ] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Ranked full-text search over tickets: title, description, comments (internal notes
    too), resolution; word forms and typos are forgiven.

    Example: supportctl search "принтер не печатает" --customer acme
    """
    from supportctl.ops.ticket_search import search_tickets
    from supportctl.search.index import analyze

    bold = not as_json and _styled()
    result = search_tickets(
        repo(),
        query,
        customers=customer or (),
        statuses=status or (),
        limit=limit,
        highlight=out.BOLD if bold else ("**", "**"),
    )
    for problem in result.problems:
        out.warn(f"{problem} (not searched)")
    if as_json:
        out.emit_json([h.to_dict() for h in result.hits])
        return
    if not result.hits:
        out.warn(
            "no searchable words in the query (only stop words?)"
            if not analyze(query)
            else "no matching tickets"
        )
        return
    blocks = []
    for n, h in enumerate(result.hits, 1):
        who = f", {h.assignee}" if h.assignee else ""
        blocks.append(
            f"{n}. {h.id}  {h.title}\n"
            f"   {h.customer}, {h.status}, {h.priority}{who}  score {h.score:.2f}\n"
            f"   {h.snippet}"
        )
    out.emit("\n\n".join(blocks))
