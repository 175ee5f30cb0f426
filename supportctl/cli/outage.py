"""`supportctl outage`: mark a ticket as an outage of a service, correct it, or clear it."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_when, repo
from supportctl.cli.root import app
from supportctl.domain.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened (ISO 8601); back-dates the commit's author date."),
]


@app.command()
def outage(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    service: Annotated[
        str | None,
        typer.Option("--service", help="The customer's service that was down (has a target)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="When it went down (ISO 8601; desk time zone if no offset)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="When it came back (ISO 8601); leave out while it is down."),
    ] = None,
    ongoing: Annotated[
        bool, typer.Option("--ongoing", help="Remove the end: the service is still down.")
    ] = False,
    clear: Annotated[
        bool, typer.Option("--clear", help="Withdraw the outage mark (keeps --service).")
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a ticket as an outage of a service (downtime for availability), or correct it.

    Options left out keep their value, so a correction names only what changes.

    Example: supportctl outage SUP-42 --service shop --start "2026-11-03 10:00" --end "2026-11-03 10:42"
    """
    from supportctl.ops.outage import clear_outage, set_outage

    if clear and (service or start or end or ongoing):
        raise UsageError("--clear takes no other outage option")
    r = repo()
    when = parse_when(at)
    if clear:
        result = clear_outage(r, ticket_id, at=when)
    else:
        result = set_outage(
            r,
            ticket_id,
            service=service,
            start=parse_when(start, "--start"),
            end=parse_when(end, "--end"),
            ongoing=ongoing,
            at=when,
        )
    if as_json:  # the form of every ticket action's --json
        out.emit_json(
            {
                "id": result.ticket_id,
                "action": result.action,
                "commit": result.commit,
                "subject": result.subject,
                "ticket": result.ticket.to_plain(),
            }
        )
    else:
        out.emit(result.subject)
