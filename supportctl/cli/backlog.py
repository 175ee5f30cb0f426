"""`supportctl similar|backlog|devtask`: recurring problems and the road to developers."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_day, parse_now, repo
from supportctl.cli.root import app
from supportctl.domain.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now", help="Evaluate as of this time (ISO 8601); default SUPPORTCTL_NOW or now."
    ),
]


@app.command()
def similar(
    ticket_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Ticket ID, e.g. SUP-42.", autocompletion=complete.ticket
        ),
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most N tickets.")
    ] = 10,
    days: Annotated[
        int,
        typer.Option("--days", min=1, help="Closed tickets count if created in the last N days."),
    ] = 90,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open and recent tickets that look like this one (same words, customer, KB article).

    Example: supportctl similar SUP-42 --limit 5
    """
    from supportctl.ops.recurring import similar_tickets

    r = repo()
    rows = similar_tickets(r, ticket_id, parse_now(now), limit=limit, days=days)
    if as_json:
        out.emit_json([s.to_dict() for s in rows])
        return
    if not rows:
        out.warn("no similar open or recent tickets")
        return
    from tabulate import tabulate

    table = [
        [s.id, f"{s.score:.2f}", s.status, s.customer, _clip(s.title, 50), "; ".join(s.reasons)]
        for s in rows
    ]
    out.emit(
        tabulate(
            table, headers=["ID", "SCORE", "STATUS", "CUSTOMER", "TITLE", "WHY"], tablefmt="plain"
        )
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command()
def backlog(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only tickets created on or after this day (YYYY-MM-DD)."),
    ] = None,
    min_count: Annotated[
        int, typer.Option("--min", min=2, help="Smallest group worth a task.")
    ] = 2,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | json")] = "md",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Recurring problems as candidate developer tasks, most frequent first.

    Groups duplicate threads (link --duplicate-of), tickets solved with the same KB
    article, and frequent tags.
    Example: supportctl backlog --since 2026-10-01 --format md
    """
    from supportctl.ops.recurring import backlog as find_backlog
    from supportctl.ops.recurring import backlog_markdown

    if fmt not in ("md", "json"):
        raise UsageError(f"unknown --format {fmt!r}: expected md or json")
    day = parse_day(since, "--since")
    rows = find_backlog(repo(), day, min_count)
    if fmt == "json":
        import json

        text = json.dumps([c.to_dict() for c in rows], ensure_ascii=False, indent=2) + "\n"
    else:
        text = backlog_markdown(rows, day)
    _write(text, output, fmt == "json")


@app.command()
def devtask(
    ticket_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Ticket ID, e.g. SUP-42.", autocompletion=complete.ticket
        ),
    ],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    now: NowOpt = None,
) -> None:
    """Turn a ticket (usually an L3 one) into a developer task in Markdown.

    Uses the template devtask.md.j2 (the committed templates/ of the support repo overrides it).
    Example: supportctl devtask SUP-42 -o task.md --now 2026-10-20T12:00+03:00
    """
    from supportctl.ops.devtask import render_devtask
    from supportctl.storage.templates import uncommitted_templates

    r = repo()
    text = render_devtask(r, ticket_id, parse_now(now))
    for path in uncommitted_templates(r):
        out.warn(f"{path} has uncommitted changes: the task uses the committed version")
    _write(text, output)


def _write(text: str, output: str | None, as_json: bool = False) -> None:
    if output is not None:
        out.write_file(output, text)
        out.warn(f"wrote {output}")
    elif as_json:
        out.emit_json_text(text)
    else:
        out.emit(text)
