"""`supportctl sla show|status|check|explain`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from supportctl.cli import out
from supportctl.cli.common import parse_now, repo
from supportctl.domain.durations import format_duration
from supportctl.domain.errors import BelowTarget, UsageError

sla_app = typer.Typer(help="SLA clocks, compliance and explanations.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now", help="Evaluate as of this time (ISO 8601); default SUPPORTCTL_NOW or now."
    ),
]


def _iso(t: datetime | None, tz: Any = None) -> str | None:
    """ISO 8601 in the desk's time zone, so every instant of one answer reads alike."""
    if t is None:
        return None
    return (t.astimezone(tz) if tz is not None else t).isoformat()


def _zone(r: Any) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(r.config.timezone)


def clock_json(c: Any, tz: Any = None) -> dict[str, Any]:
    def _iso_tz(t: datetime | None) -> str | None:
        return _iso(t, tz)

    return {
        "target_seconds": c.target_seconds,
        "elapsed_seconds": c.elapsed_seconds,
        "due": _iso_tz(c.due),
        "state": c.state,
        "at_risk": c.at_risk,
        "started": _iso_tz(c.started),
        "stopped": _iso_tz(c.stopped),
        "stopped_by": c.stopped_by,
        "stop_action": c.stop_action,
        "breached_at": _iso_tz(c.breached_at),
        "breached_from": _iso_tz(c.breached_from),
        "calendar": c.calendar,
        "rule": c.rule,
    }


def _clock_line(c: Any, tz: Any) -> str:
    target = format_duration(c.target_seconds) if c.target_seconds is not None else "no target"
    state = c.state + (" (at risk)" if c.at_risk else "")
    due = f"due {_iso(c.due, tz)}" if c.due and c.state in ("running", "paused") else ""
    if c.breached_at is not None:
        due = f"breached {_iso(c.breached_at, tz)}"
        if c.breached_from is not None and c.breached_from != c.breached_at:
            # used up at a closing time: met until business time resumed
            due += f" (counts from {_iso(c.breached_from, tz)})"
    stop = f"stopped by {c.stop_action} at {_iso(c.stopped, tz)}" if c.stopped else due
    if c.stopped and c.breached_at is not None:
        stop = f"{due}; {stop}"
    return f"  {c.metric:<15} {state:<20} {format_duration(c.elapsed_seconds):>9} of {target:<9} {stop}"


@sla_app.command("show")
def show(
    ticket_id: Annotated[str, typer.Argument(metavar="ID")],
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each SLA metric of a ticket: target, elapsed business time, due, state.

    Example: supportctl sla show SUP-42 --json
    """
    from supportctl.storage.clocks import ticket_sla

    r = repo()
    at = parse_now(now)
    result, _ = ticket_sla(r, r.ticket_id(ticket_id), at)
    if as_json:
        out.emit_json(
            {
                "id": result.ticket,
                "now": _iso(at, _zone(r)),
                "created": _iso(result.created, _zone(r)),
                "status": result.attrs.get("status"),
                "customer": result.attrs.get("customer"),
                "priority": result.attrs.get("priority"),
                "metrics": {m: clock_json(c, _zone(r)) for m, c in result.clocks.items()},
            }
        )
        return
    out.emit(
        f"{result.ticket} ({result.attrs.get('customer')}, {result.attrs.get('priority')}, "
        f"{result.attrs.get('status')}) as of {at.astimezone(_zone(r)).isoformat('T', 'seconds')}"
    )
    for c in result.clocks.values():
        out.emit(_clock_line(c, _zone(r)))
    # each clock's rule is the one in force at its stop, or now for a running clock: after a
    # priority change the clocks may answer to different rules
    metrics_of: dict[str, list[str]] = {}
    for c in result.clocks.values():
        if c.rule:
            metrics_of.setdefault(c.rule, []).append(c.metric)
    if len(metrics_of) == 1:
        out.emit(f"  targets from {next(iter(metrics_of))}")
    else:
        for rule, metrics in metrics_of.items():
            out.emit(f"  targets of {', '.join(metrics)} from {rule}")


@sla_app.command("status")
def status(
    at_risk: Annotated[
        bool,
        typer.Option(
            "--at-risk",
            help="Only running clocks at or past the warning share, not yet breached.",
        ),
    ] = False,
    breached: Annotated[
        bool,
        typer.Option("--breached", help="Only breached clocks (with --at-risk: both kinds)."),
    ] = False,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer.")
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open tickets with their running clocks, most urgent first.

    Example: supportctl sla status --at-risk --now 2026-10-15T12:00+03:00
    """
    from supportctl.sla.status import open_clocks
    from supportctl.storage.clocks import desk_sla

    r = repo()
    if customer:
        r.config.customer(customer)
    at = parse_now(now)
    # a ticket open at `at` has a clock that had not stopped for good by then
    desk = desk_sla(r, at, period=(at, datetime.max.replace(tzinfo=UTC)))
    rows = open_clocks(
        desk.tickets.values(), at, customer=customer, at_risk=at_risk, breached=breached
    )
    if as_json:
        out.emit_json(
            [
                {
                    "id": t.ticket,
                    "customer": t.attrs.get("customer"),
                    "priority": t.attrs.get("priority"),
                    "status": t.attrs.get("status"),
                    "line": t.attrs.get("line"),
                    "metric": c.metric,
                    "remaining_seconds": rem,
                    **clock_json(c, _zone(r)),
                }
                for t, c, rem in rows
            ]
        )
        return
    if not rows:
        out.emit("no open clocks match")
        return
    from tabulate import tabulate

    table = [
        [
            t.ticket,
            t.attrs.get("customer"),
            t.attrs.get("priority"),
            c.metric,
            c.state + ("!" if c.at_risk else ""),
            format_duration(rem),
            _iso(c.due, _zone(r)) or "",
        ]
        for t, c, rem in rows
    ]
    out.emit(
        tabulate(
            table,
            headers=["ID", "CUSTOMER", "PRIORITY", "METRIC", "STATE", "LEFT", "DUE"],
            tablefmt="plain",
        )
    )


@sla_app.command("check")
def check(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM, or `last`.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day, inclusive (YYYY-MM-DD).")
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer.")
    ] = None,
    minimum: Annotated[
        float | None, typer.Option("--min", help="Fail (exit 1) below this percentage.")
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compliance per metric and overall for a period; exit 1 when below --min.

    Example: supportctl sla check --month 2026-10 --min 95
    """
    from supportctl.domain.periods import resolve_period
    from supportctl.sla.compliance import compliance
    from supportctl.storage.clocks import desk_sla

    r = repo()
    if customer:
        r.config.customer(customer)
    if minimum is not None and not 0 <= minimum <= 100:
        raise UsageError("--min must be between 0 and 100")
    at = parse_now(now)
    period = resolve_period(month, since, until, at, r.config.timezone)
    evaluate_at = min(at, period.until)
    tickets = [
        t
        for t in desk_sla(r, evaluate_at, period=(period.since, period.until)).tickets.values()
        if not customer or t.attrs.get("customer") == customer
    ]
    result = compliance(tickets, period.since, period.until)
    overall = result.overall
    below = minimum is not None and overall.percent is not None and overall.percent < minimum
    if as_json:
        table = result.as_dict()
        out.emit_json(
            {
                "period": {
                    "label": period.label,
                    "since": period.since.isoformat(),
                    "until": period.until.isoformat(),
                },
                "customer": customer,
                "metrics": {m: v for m, v in table.items() if m != "overall"},
                "overall": table["overall"],
                "min": minimum,
                "ok": not below,
            }
        )
    else:
        out.emit(f"SLA compliance {period.label}" + (f" for {customer}" if customer else ""))
        for m in [*result.metrics.values(), overall]:
            pct = f"{m.percent:.1f}%" if m.percent is not None else "n/a"
            out.emit(f"  {m.metric:<15} {pct:>7}  ({m.met} met, {m.breached} breached)")
    if below:
        raise BelowTarget(f"compliance {overall.percent:.1f}% is below --min {minimum:g}%")


@sla_app.command("explain")
def explain(
    ticket_id: Annotated[str, typer.Argument(metavar="ID")],
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A timeline of a ticket's events with the business time counted between them.

    Example: supportctl sla explain SUP-42
    """
    from supportctl.sla.engine import timeline
    from supportctl.storage.clocks import make_policy, ticket_sla

    r = repo()
    at = parse_now(now)
    tid = r.ticket_id(ticket_id)
    result, events = ticket_sla(r, tid, at)
    rows = timeline(events, make_policy(r.config), at)
    if as_json:
        out.emit_json(
            {
                "id": tid,
                "now": _iso(at, _zone(r)),
                "events": [
                    {
                        "at": _iso(row.at, _zone(r)),
                        "action": row.action,
                        "author": row.author,
                        "commit": row.sha,
                        "status": row.status,
                        "line": row.line,
                        "priority": row.priority,
                        "detail": row.detail,
                        "wall_seconds": row.wall_seconds,
                        "business_seconds": row.business_seconds,
                        "counting": row.counting,
                        "backdated_seconds": row.backdated_seconds,
                        "manual": row.manual,
                    }
                    for row in rows
                ],
                "metrics": {m: clock_json(c, _zone(r)) for m, c in result.clocks.items()},
            }
        )
        return
    from tabulate import tabulate

    tol = r.config.backdate_tolerance
    table = []
    for row in rows:
        flags = ("hand edit " if row.manual else "") + (
            f"back-dated {format_duration(row.backdated_seconds)}"
            if row.backdated_seconds > tol
            else ""
        )
        counted = (
            ""
            if row.action == "new"
            else (format_duration(row.business_seconds) if row.counting else "paused")
        )
        table.append(
            [
                _iso(row.at, _zone(r)),
                row.action,
                row.author,
                row.status,
                row.line,
                format_duration(row.wall_seconds),
                counted,
                (row.detail + " " + flags).strip()[:60],
            ]
        )
    out.emit(
        tabulate(
            table,
            headers=["WHEN", "ACTION", "BY", "STATUS", "LINE", "WALL", "COUNTED", "DETAIL"],
            tablefmt="plain",
        )
    )
    out.emit("")
    for c in result.clocks.values():
        out.emit(_clock_line(c, _zone(r)))
