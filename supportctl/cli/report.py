"""`supportctl report`: the monthly report in Markdown, HTML or JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import parse_now, repo
from supportctl.cli.root import app
from supportctl.domain.errors import UsageError


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
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            help="customer | internal (default: customer with --customer, else internal).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="en | ru | uk (default: the customer's `language:`, else en)."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate an open period as of this time.")
    ] = None,
) -> None:
    """Monthly report: summary, SLA, breakdowns, hours and money, recurring problems, audit trail.

    With --customer it is the customer's own report, in their language: no internal notes,
    audit trail, per-agent hours or staff names (--audience internal shows everything).

    Example: supportctl report --month last --customer acme --format html -o acme-2026-10.html
    """
    from supportctl.domain.periods import resolve_period
    from supportctl.report.collect import report_for
    from supportctl.report.render import FORMATS, render
    from supportctl.storage.templates import uncommitted_templates

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: expected md, html or json")
    if output is not None:
        out.output_path(output)
    r = repo()
    at = parse_now(now)
    period = resolve_period(month, since, until, at, r.config.timezone)
    problems: list[str] = []
    model = report_for(r, period, customer, at, problems, audience=audience, language=lang)
    text = render(model, fmt, r.git)
    for path in uncommitted_templates(r):
        out.warn(f"{path} has uncommitted changes: the report uses the committed version")
    for problem in problems:
        out.warn(f"skipped {problem} (time logged there is not counted; run `supportctl validate`)")
    if output is not None:
        out.write_file(output, text)
        out.warn(f"wrote {output}")
    elif fmt == "json":
        out.emit_json_text(text)
    else:
        out.emit(text.rstrip("\n"))
