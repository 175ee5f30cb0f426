"""`supportctl report`: the monthly report in Markdown, HTML, JSON or PDF; `report send`
mails each customer theirs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import parse_now, repo
from supportctl.domain.errors import UsageError

# A group whose own callback is the report, so `supportctl report --month M` works as it
# always has and `supportctl report send` is a subcommand beside it.
report_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)


@report_app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
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
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | html | json | pdf")] = "md",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Evaluate an open period as of this time.")
    ] = None,
) -> None:
    """Monthly report: summary, SLA, breakdowns, hours and money, recurring problems, audit trail.

    A PDF (`--format pdf`) is written with -o FILE, or to stdout when it is not a terminal.

    Example: supportctl report --month last --format html -o reports/2026-10.html
    """
    if ctx.invoked_subcommand is not None:
        given = [k for k, v in ctx.params.items() if v != _DEFAULTS.get(k)]
        if given:
            raise UsageError(
                f"`report {ctx.invoked_subcommand}` takes its own options: give them after "
                f"{ctx.invoked_subcommand!r}"
            )
        return
    from supportctl.domain.periods import resolve_period
    from supportctl.report.collect import report_model
    from supportctl.report.render import FORMATS, render
    from supportctl.storage.templates import uncommitted_templates

    if fmt not in (*FORMATS, "pdf"):
        raise UsageError(f"unknown --format {fmt!r}: expected md, html, json or pdf")
    if output is not None:
        out.output_path(output)
    elif fmt == "pdf" and sys.stdout.isatty():
        # refused before the work: a PDF on a terminal is garbage that drives the terminal
        raise UsageError("--format pdf is binary: give -o FILE or redirect stdout")
    r = repo()
    at = parse_now(now)
    period = resolve_period(month, since, until, at, r.config.timezone)
    problems: list[str] = []
    model = report_model(r, period, customer, at, problems)
    if fmt == "pdf":
        from supportctl.report.pdf import render_pdf

        data: str | bytes = render_pdf(model, r.git)
    else:
        data = render(model, fmt, r.git)
    for path in uncommitted_templates(r):
        out.warn(f"{path} has uncommitted changes: the report uses the committed version")
    for problem in problems:
        out.warn(f"skipped {problem} (time logged there is not counted; run `supportctl validate`)")
    if output is not None:
        out.write_file(output, data)
        out.warn(f"wrote {output}")
    elif isinstance(data, bytes):
        out.emit_binary(data)
    elif fmt == "json":
        out.emit_json_text(data)
    else:
        out.emit(data.rstrip("\n"))


# what the callback's options are when not given, to tell `report -f pdf send` apart
_DEFAULTS: dict[str, object] = {"fmt": "md"}
