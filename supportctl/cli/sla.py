"""`supportctl sla show|status|check|explain`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_now, repo
from supportctl.domain.durations import format_duration
from supportctl.domain.errors import BelowTarget

if TYPE_CHECKING:
    from datetime import datetime

    from supportctl.ops.sla import (
        AvailabilityCheck,
        ComplianceCheck,
        Explanation,
        OpenClocks,
        TicketClocks,
    )
    from supportctl.report.i18n import Formats
    from supportctl.sla.engine import TimelineRow

sla_app = typer.Typer(help="SLA clocks, compliance and explanations.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now", help="Evaluate as of this time (ISO 8601); default SUPPORTCTL_NOW or now."
    ),
]


def _(message: str) -> str:
    """Marks a customer-facing string for the catalogs (translated where it is printed)."""
    return message


def _iso(t: datetime | None, tz: Any = None) -> str | None:
    """ISO 8601 in the desk's time zone, so every instant of one answer reads alike."""
    if t is None:
        return None
    return (t.astimezone(tz) if tz is not None else t).isoformat()


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


def _clock_line(c: Any, tz: Any, words: Formats | None = None) -> str:
    if words is not None:
        return _clock_words(c, tz, words)
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


def _show_json(s: TicketClocks) -> dict[str, Any]:
    t = s.ticket
    return {
        "id": t.ticket,
        "now": _iso(s.now, s.zone),
        "created": _iso(t.created, s.zone),
        "status": t.attrs.get("status"),
        "customer": t.attrs.get("customer"),
        "priority": t.attrs.get("priority"),
        "metrics": {m: clock_json(c, s.zone) for m, c in t.clocks.items()},
    }


def _clock_words(c: Any, tz: Any, f: Formats) -> str:
    """`_clock_line` in the customer's language (`sla show --lang`)."""
    t = f.t
    target = f.dur(c.target_seconds) if c.target_seconds is not None else t(_("no target"))
    state = f.clock_state(c.state) + (" " + t(_("(at risk)")) if c.at_risk else "")
    due = ""
    if c.due and c.state in ("running", "paused"):
        due = t(_("due %(when)s")) % {"when": f.when(_iso(c.due, tz))}
    if c.breached_at is not None:
        due = t(_("breached %(when)s")) % {"when": f.when(_iso(c.breached_at, tz))}
    stop = due
    if c.stopped:
        stop = t(_("stopped at %(when)s")) % {"when": f.when(_iso(c.stopped, tz))}
        stop = f"{due}; {stop}" if c.breached_at is not None else stop
    elapsed = t(_("%(elapsed)s of %(target)s")) % {
        "elapsed": f.dur(c.elapsed_seconds),
        "target": target,
    }
    return f"  {f.words(c.metric):<15} {state:<20} {elapsed:>20} {stop}".rstrip()


def _show_lines(s: TicketClocks, words: Formats | None = None) -> list[str]:
    if words is not None:
        return _show_words(s, words)
    a = s.ticket.attrs
    lines = [
        f"{s.ticket.ticket} ({a.get('customer')}, {a.get('priority')}, "
        f"{a.get('status')}) as of {s.now.astimezone(s.zone).isoformat('T', 'seconds')}"
    ]
    lines += [_clock_line(c, s.zone) for c in s.ticket.clocks.values()]
    if len(s.rules) == 1:
        lines.append(f"  targets from {next(iter(s.rules))}")
    else:
        lines += [f"  targets of {', '.join(ms)} from {rule}" for rule, ms in s.rules.items()]
    return lines


def _show_words(s: TicketClocks, f: Formats) -> list[str]:
    """`sla show` in the customer's words: what can be pasted into a reply."""
    a = s.ticket.attrs
    lines = [
        f.t(_("%(ticket)s (%(priority)s, %(status)s) as of %(now)s"))
        % {
            "ticket": s.ticket.ticket,
            "priority": f.words(a.get("priority")),
            "status": f.words(a.get("status")),
            "now": f.when(_iso(s.now, s.zone)),
        }
    ]
    lines += [_clock_line(c, s.zone, f) for c in s.ticket.clocks.values()]
    return lines


@sla_app.command("show")
def show(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    now: NowOpt = None,
    as_json: JsonOpt = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="en | ru | uk: the clocks in the customer's words, to paste into a reply.",
        ),
    ] = None,
) -> None:
    """Each SLA metric of a ticket: target, elapsed business time, due, state.

    Example: supportctl sla show SUP-42 --json
    """
    from supportctl.config.settings import LANGUAGES
    from supportctl.domain.errors import UsageError
    from supportctl.ops import sla
    from supportctl.report.i18n import Formats

    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: expected {', '.join(LANGUAGES)}")
    r = repo()
    result = sla.show(r, ticket_id, parse_now(now))
    if as_json:
        out.emit_json(_show_json(result))
        return
    for line in _show_lines(result, Formats(lang) if lang else None):
        out.emit(line)


def _status_json(s: OpenClocks) -> list[dict[str, Any]]:
    return [
        {
            "id": t.ticket,
            "customer": t.attrs.get("customer"),
            "priority": t.attrs.get("priority"),
            "status": t.attrs.get("status"),
            "line": t.attrs.get("line"),
            "metric": c.metric,
            "remaining_seconds": rem,
            **clock_json(c, s.zone),
        }
        for t, c, rem in s.rows
    ]


def _status_table(s: OpenClocks) -> str:
    from tabulate import tabulate

    table = [
        [
            t.ticket,
            t.attrs.get("customer"),
            t.attrs.get("priority"),
            c.metric,
            c.state + ("!" if c.at_risk else ""),
            format_duration(rem),
            _iso(c.due, s.zone) or "",
        ]
        for t, c, rem in s.rows
    ]
    return tabulate(
        table,
        headers=["ID", "CUSTOMER", "PRIORITY", "METRIC", "STATE", "LEFT", "DUE"],
        tablefmt="plain",
    )


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
        str | None,
        typer.Option(
            "--customer", "-c", help="Only this customer.", autocompletion=complete.customer
        ),
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open tickets with their running clocks, most urgent first.

    Example: supportctl sla status --at-risk --now 2026-10-15T12:00+03:00
    """
    from supportctl.ops import sla

    r = repo()
    at = parse_now(now)
    result = sla.status(r, at, customer=customer, at_risk=at_risk, breached=breached)
    if as_json:
        out.emit_json(_status_json(result))
    elif not result.rows:
        out.emit("no open clocks match")
    else:
        out.emit(_status_table(result))


def _check_json(c: ComplianceCheck) -> dict[str, Any]:
    table = c.result.as_dict()
    return {
        "period": {
            "label": c.period.label,
            "since": c.period.since.isoformat(),
            "until": c.period.until.isoformat(),
        },
        "customer": c.customer,
        "metrics": {m: v for m, v in table.items() if m != "overall"},
        "overall": table["overall"],
        "min": c.minimum,
        "ok": not c.below,
    }


def _check_lines(c: ComplianceCheck) -> list[str]:
    lines = [f"SLA compliance {c.period.label}" + (f" for {c.customer}" if c.customer else "")]
    for m in [*c.result.metrics.values(), c.result.overall]:
        pct = f"{m.percent:.1f}%" if m.percent is not None else "n/a"
        lines.append(f"  {m.metric:<15} {pct:>7}  ({m.met} met, {m.breached} breached)")
    return lines


# the period and customer of `check` and `availability`
MonthOpt = Annotated[str | None, typer.Option("--month", help="YYYY-MM, or `last`.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="First day (YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last day, inclusive (YYYY-MM-DD).")]
CustomerOpt = Annotated[
    str | None,
    typer.Option("--customer", "-c", help="Only this customer.", autocompletion=complete.customer),
]


@sla_app.command("check")
def check(
    month: MonthOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    customer: CustomerOpt = None,
    minimum: Annotated[
        float | None, typer.Option("--min", help="Fail (exit 1) below this percentage.")
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compliance per metric and overall for a period; exit 1 when below --min.

    Example: supportctl sla check --month 2026-10 --min 95
    """
    from supportctl.ops import sla

    r = repo()
    at = parse_now(now)
    c = sla.check(r, at, month=month, since=since, until=until, customer=customer, minimum=minimum)
    if as_json:
        out.emit_json(_check_json(c))
    else:
        for line in _check_lines(c):
            out.emit(line)
    if c.below:
        raise BelowTarget(f"compliance {c.result.overall.percent:.1f}% is below --min {minimum:g}%")


def _event_json(row: TimelineRow, tz: Any) -> dict[str, Any]:
    return {
        "at": _iso(row.at, tz),
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


def _explain_json(e: Explanation) -> dict[str, Any]:
    return {
        "id": e.ticket.ticket,
        "now": _iso(e.now, e.zone),
        "events": [_event_json(row, e.zone) for row in e.rows],
        "metrics": {m: clock_json(c, e.zone) for m, c in e.ticket.clocks.items()},
    }


def _event_cells(row: TimelineRow, tz: Any, tolerance: int) -> list[Any]:
    flags = ("hand edit " if row.manual else "") + (
        f"back-dated {format_duration(row.backdated_seconds)}"
        if row.backdated_seconds > tolerance
        else ""
    )
    counted = (
        ""
        if row.action == "new"
        else (format_duration(row.business_seconds) if row.counting else "paused")
    )
    return [
        _iso(row.at, tz),
        row.action,
        row.author,
        row.status,
        row.line,
        format_duration(row.wall_seconds),
        counted,
        (row.detail + " " + flags).strip()[:60],
    ]


def _explain_lines(e: Explanation) -> list[str]:
    from tabulate import tabulate

    table = [_event_cells(row, e.zone, e.backdate_tolerance) for row in e.rows]
    return [
        tabulate(
            table,
            headers=["WHEN", "ACTION", "BY", "STATUS", "LINE", "WALL", "COUNTED", "DETAIL"],
            tablefmt="plain",
        ),
        "",
        *(_clock_line(c, e.zone) for c in e.ticket.clocks.values()),
    ]


@sla_app.command("explain")
def explain(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A timeline of a ticket's events with the business time counted between them.

    Example: supportctl sla explain SUP-42
    """
    from supportctl.ops import sla

    r = repo()
    result = sla.explain(r, ticket_id, parse_now(now))
    if as_json:
        out.emit_json(_explain_json(result))
        return
    for line in _explain_lines(result):
        out.emit(line)


def _availability_json(a: AvailabilityCheck) -> dict[str, Any]:
    return {
        "period": {
            "label": a.period.label,
            "since": a.period.since.isoformat(),
            "until": a.period.until.isoformat(),
        },
        "customer": a.customer,
        "measured_until": _iso(a.measured_until, a.zone),
        "services": [r.as_dict(a.zone) for rows in a.customers.values() for r in rows],
    }


def _number(value: float) -> str:
    """Minutes as they are: 43200, 42.5 (at most three decimals)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _availability_lines(a: AvailabilityCheck) -> list[str]:
    from tabulate import tabulate

    head = f"Availability {a.period.label}" + (f" for {a.customer}" if a.customer else "")
    if a.measured_until < a.period.until:
        head += f" (so far: to {_iso(a.measured_until, a.zone)})"
    rows = [r.as_dict(a.zone) for found in a.customers.values() for r in found]
    if not rows:
        return [head, "no customer has an availability target"]
    table = [
        [
            r["customer"],
            r["service"],
            f"{r['target']:g}%",
            _number(r["minutes"]),
            _number(r["downtime_minutes"]),
            "n/a" if r["percent"] is None else f"{r['percent']:.3f}%",
            "met" if r["met"] else "BREACHED",
        ]
        for r in rows
    ]
    lines = [
        head,
        tabulate(
            table,
            headers=["CUSTOMER", "SERVICE", "TARGET", "MINUTES", "DOWN", "AVAILABLE", "STATUS"],
            tablefmt="plain",
            disable_numparse=True,
        ),
    ]
    for r in rows:
        if r["intervals"]:
            lines.append("")
            lines.append(f"{r['customer']} {r['service']} downtime:")
        for i in r["intervals"]:
            lines.append(
                f"  {i['start']} – {i['end']}  {_number(i['minutes'])} min  "
                f"({', '.join(i['sources'])})"
            )
    return lines


@sla_app.command("availability")
def availability(
    month: MonthOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    customer: CustomerOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Availability per customer and service: downtime, percent, target, met or breached.

    Example: supportctl sla availability --month 2026-11 --customer acme
    """
    from supportctl.ops import sla

    r = repo()
    result = sla.availability(
        r, parse_now(now), month=month, since=since, until=until, customer=customer
    )
    if as_json:
        out.emit_json(_availability_json(result))
        return
    for line in _availability_lines(result):
        out.emit(line)
