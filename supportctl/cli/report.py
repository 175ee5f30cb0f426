"""`supportctl report`: the monthly report in Markdown, HTML or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportctl import out
from supportctl.cli import app
from supportctl.cli.common import parse_now, repo
from supportctl.errors import UsageError


@app.command()
def report(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, or `last` for the previous month.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day, inclusive (YYYY-MM-DD).")
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer's data.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | html | json")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate an open period as of this time.")
    ] = None,
) -> None:
    """Monthly report: summary, SLA, breakdowns, hours and money, recurring problems, audit trail.

    Example: supportctl report --month last --format html -o reports/2026-10.html
    """
    from datetime import date, timedelta

    from supportctl.periods import resolve_period
    from supportctl.report.collect import report_model
    from supportctl.report.render import FORMATS, render
    from supportctl.templating import uncommitted_templates

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: expected md, html or json")
    r = repo()
    at = parse_now(now)
    until_next = None
    if until:
        try:
            until_next = (date.fromisoformat(until) + timedelta(days=1)).isoformat()
        except ValueError:
            raise UsageError(f"bad --until {until!r}: expected YYYY-MM-DD") from None
    period = resolve_period(month, since, until_next, at, r.config.timezone)
    problems: list[str] = []
    text = render(report_model(r, period, customer, at, problems), fmt, r.git)
    for path in uncommitted_templates(r):
        out.warn(f"{path} has uncommitted changes: the report uses the committed version")
    for problem in problems:
        out.warn(f"skipped {problem} (time logged there is not counted; run `supportctl validate`)")
    if output is None:
        out.emit(text.rstrip("\n"))
        return
    target = output if output.is_absolute() else Path.cwd() / output
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    out.warn(f"wrote {output}")
