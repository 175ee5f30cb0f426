"""`supportctl report`: the monthly report in Markdown, HTML, JSON or PDF; `report send`
mails each customer theirs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_now, repo
from supportctl.domain.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from supportctl.domain.periods import Period
    from supportctl.ops.report_send import RenderedReport
    from supportctl.storage.desk import Desk

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
    A PDF (`--format pdf`) is written with -o FILE, or to stdout when it is not a terminal.

    Example: supportctl report --month last --customer acme --format pdf -o acme-2026-10.pdf
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
    from supportctl.report.collect import report_for
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
    model = report_for(r, period, customer, at, problems, audience=audience, language=lang)
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
        # one line end at the end; the text is passed on as it is when it has just that
        # (a report's: megabytes), not copied
        whole = data.endswith("\n") and not data.endswith(("\n\n", "\r\n"))
        out.emit(data if whole else data.rstrip("\n"))


# what the callback's options are when not given, to tell `report -f pdf send` apart
_DEFAULTS: dict[str, object] = {"fmt": "md"}


@report_app.command("send")
def send(
    month: Annotated[
        str, typer.Option("--month", help="YYYY-MM, or `last` for the previous month.")
    ] = "last",
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            help="Only this customer's report.",
            autocompletion=complete.customer,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and write nothing.")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Take `last` and the send time as of this time.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Mail each customer the month's report: PDF attached, HTML as the body, in their language.

    Goes to the customer's contacts with `reports: true`, over `mail.smtp`; each report is
    recorded in data/reports/<YYYY-MM>/<customer>.yaml (one commit per run) and never sent
    twice. Exit 0 when nothing failed; 11 when the server refused a report for good; 75
    when one could not be sent now (run again later).

    Example: SMTP_PASSWORD=... supportctl report send --month last
    """
    from supportctl.domain.errors import ConfigError, MailRefused, TemporaryFailure
    from supportctl.domain.periods import resolve_period
    from supportctl.ops.mail.smtp import SmtpTransport
    from supportctl.ops.report_send import send_reports

    desk = repo()
    at = parse_now(now)
    period = resolve_period(month, None, None, at, desk.config.timezone)
    transport = None
    if not dry_run:
        if desk.config.mail.smtp is None:
            raise ConfigError(
                "report send: supportctl.yaml has no mail.smtp server to send through"
            )
        transport = SmtpTransport.from_settings(desk.config.mail.smtp)
    render = customer_report(desk, period, at)
    if transport is None:
        results = send_reports(desk, period, render, None, at, customer=customer, dry_run=True)
    else:
        with transport:
            results = send_reports(desk, period, render, transport, at, customer=customer)
    if as_json:
        out.emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            line = f"{r.outcome} {period.label} {r.customer}"
            line += f" → {', '.join(r.to)}" if r.to else ""
            line += f" {r.message_id}" if r.message_id else ""
            line += f": {r.detail}" if r.detail else ""
            # what needs a person (cron mails stderr to one) goes to stderr
            (out.warn if r.outcome in ("failed", "uncertain") else out.emit)(line)
        if dry_run:
            out.emit("(dry run: nothing was sent or written)")
    if any(r.outcome == "failed" and r.permanent for r in results):
        raise typer.Exit(MailRefused.exit_code)
    if any(r.outcome == "failed" for r in results):
        raise typer.Exit(TemporaryFailure.exit_code)


def customer_report(
    desk: Desk, period: Period, at: datetime
) -> Callable[[str, str], RenderedReport]:
    """How `report send` renders one customer's report (HTML, Markdown and PDF of one model).

    The one place where the mailed report's audience and language are chosen: the
    customer's own report (audience customer), in the customer's `language:`, which the
    mail's own words use too."""
    from supportctl.ops.report_send import RenderedReport
    from supportctl.report.collect import report_for
    from supportctl.report.pdf import html_to_pdf
    from supportctl.report.render import render

    def render_for(customer: str, language: str) -> RenderedReport:
        model = report_for(desk, period, customer, at, audience="customer", language=language)
        html = render(model, "html", desk.git)
        meta = model["report"]
        return RenderedReport(
            commit=str(meta["commit"]),
            language=language,
            html=html,
            text=render(model, "md", desk.git),
            pdf=html_to_pdf(html, str(meta["commit_date"])),
        )

    return render_for
