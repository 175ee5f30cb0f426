"""`supportctl alert ...`: the monitoring channel (webhook payloads in, incidents out)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import repo
from supportctl.domain.errors import UsageError

if TYPE_CHECKING:
    from supportctl.ops.alerts import AlertResult, QuarantinedAlert

alert_app = typer.Typer(
    help="Monitoring alerts: webhook payloads in, incidents opened, noted and resolved.",
    no_args_is_help=True,
)

FORMAT_NAMES = ("alertmanager", "grafana", "zabbix", "generic")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def result_line(result: AlertResult) -> str:
    reason = f" ({result.reason})" if result.reason else ""
    return f"{result.outcome:<11} {result.ticket or '-':<9} {result.identity}{reason}"


def check_format(fmt: str | None) -> str | None:
    if fmt is not None and fmt not in FORMAT_NAMES:
        raise UsageError(f"unknown --format {fmt!r}: expected one of {', '.join(FORMAT_NAMES)}")
    return fmt


@alert_app.command("ingest")
def ingest_cmd(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FILE...|-]",
            help="Webhook payloads (JSON), one per file, or - (the default) for one on stdin.",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="|".join(FORMAT_NAMES),
            help="The payloads' format (default: detected from each payload).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per alert, one per line.")
    ] = False,
) -> None:
    """Apply webhook payloads: one commit per alert that changes a ticket.

    Per alert: `new` (a ticket opened), `repeat` (an internal note with the count),
    `resolved` (the firing interval ends; with auto_resolve the ticket is resolved),
    `reopened`, `unchanged` (seen before), or `quarantined` (no route places it).
    Every payload is read first: one that is not valid for its format is refused with
    one line and exit 2, and nothing is written. 75 (try again later) when the desk's
    lock stayed held or git failed; what was committed before stays, and is `unchanged`
    when the payload is sent again.

    Example: supportctl alert ingest --format alertmanager payload.json --json
    """
    from supportctl.domain.alerts import parse_payload
    from supportctl.ops.alerts import ingest

    fmt = check_format(fmt)
    paths = paths or ["-"]
    if "-" in paths and len(paths) > 1:
        raise UsageError("- (a payload on stdin) goes alone")
    payloads = []
    for path in paths:
        if path == "-":
            body = sys.stdin.buffer.read()
        else:
            try:
                body = Path(path).read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            payloads.append(parse_payload(body, fmt))
        except UsageError as exc:
            where = f"{path}: " if len(paths) > 1 else ""
            raise type(exc)(where + exc.message) from None

    def say(result: AlertResult) -> None:
        if as_json:
            out.emit_json_text(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            out.emit(result_line(result))

    desk = repo()
    for path, payload in zip(paths, payloads, strict=True):
        if payload.truncated:
            where = f"{path}: " if len(paths) > 1 else ""
            out.warn(
                f"{where}the sender left out {payload.truncated} alert(s) of this group "
                "(truncatedAlerts); they were not taken in"
            )
    ingest(desk, payloads, on_result=say)


quarantine_app = typer.Typer(invoke_without_command=True)
alert_app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.callback()
def quarantine_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the alerts no route placed, with why each is there; accept or drop one.

    Add or fix a route in supportctl.yaml (`alerts.routes`) and have the sender send them
    again; each is kept under data/alerts/quarantine/ by its notification digest.

    Example: supportctl alert quarantine
    """
    if ctx.invoked_subcommand is not None:
        return
    from supportctl.ops.alerts import list_quarantine

    held = list_quarantine(repo())
    if as_json:
        out.emit_json([q.to_dict() for q in held])
        return
    if not held:
        out.emit("the alert quarantine is empty")
        return
    for q in held:
        out.emit(_quarantined_line(q))


def _quarantined_line(q: QuarantinedAlert) -> str:
    return f"{q.id[:12]}  {q.received}  {q.status:<8} {q.identity}  {q.title} ({q.reason})"


@quarantine_app.command("accept")
def quarantine_accept(
    alert: Annotated[str, typer.Argument(metavar="ID", help="Its id from the list (a prefix).")],
    ticket: Annotated[str | None, typer.Option("--ticket", help="Put it on this ticket.")] = None,
    new: Annotated[bool, typer.Option("--new", help="Open a new incident with it.")] = False,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="With --new: the customer (default: the routes' one)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a quarantined alert into a ticket you name, or a new incident.

    Example: supportctl alert quarantine accept 3f2a9c1d --new --customer acme
    """
    from supportctl.ops.alerts import accept_quarantined

    result = accept_quarantined(repo(), alert, ticket=ticket, new=new, customer=customer)
    if as_json:
        out.emit_json(result.to_dict())
    else:
        out.emit(result_line(result))


@quarantine_app.command("drop")
def quarantine_drop(
    alert: Annotated[str, typer.Argument(metavar="ID", help="Its id from the list (a prefix).")],
) -> None:
    """Remove a quarantined alert (git history keeps it); the same notification sent again
    changes nothing.

    Example: supportctl alert quarantine drop 3f2a9c1d
    """
    from supportctl.ops.alerts import drop_quarantined

    sha = drop_quarantined(repo(), alert)
    out.emit(f"dropped ({sha[:7]})")


@alert_app.command("serve")
def serve_cmd(
    listen: Annotated[
        str,
        typer.Option("--listen", metavar="HOST:PORT", help="Address and port to listen on."),
    ] = "127.0.0.1:9095",
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Accept requests without a bearer token (only on a loopback address).",
        ),
    ] = False,
) -> None:
    """Receive Alertmanager, Grafana, Zabbix and generic webhooks over HTTP.

    POST a payload to /alerts (format detected) or /alerts/FORMAT, with the header
    `Authorization: Bearer TOKEN`, the token read from the environment variable that
    `alerts.token_env` names (SUPPORTCTL_ALERT_TOKEN by default). Without the variable
    the server refuses to start, unless it listens on loopback with --no-auth.
    Answers 200 only once every alert is committed; 400 for a payload that is not valid
    (with the reason), 401, 404, 405, 411, 413 (over `alerts.max_body_bytes`), and 503 on
    any failure, so the sender retries. GET /healthz answers 200. One log line per
    request on stderr. SIGTERM or SIGINT stops it once the requests under way are done.

    Example: SUPPORTCTL_ALERT_TOKEN=s3cret supportctl alert serve --listen 127.0.0.1:9095
    """
    from supportctl.cli.alertserver import serve

    serve(repo(), listen, no_auth=no_auth)
