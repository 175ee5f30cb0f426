"""Top-level ticket verbs: init, new, show, list, assign, comment, log, start, wait,
escalate, resolve, close, reopen, link, tag, edit, validate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_day, parse_when, read_text_input, repo
from supportctl.cli.root import app
from supportctl.domain.durations import format_duration, parse_duration
from supportctl.domain.errors import UsageError, ValidationFailed
from supportctl.domain.ticket import TICKET_KEYS

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportctl.ops import tickets as actions
    from supportctl.storage.links import PointingHere
    from supportctl.storage.queries import Listed, TicketRecord

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened (ISO 8601); back-dates the commit's author date."),
]


def _done(result: actions.ActionResult, as_json: bool) -> None:
    if as_json:
        out.emit_json(
            {
                "id": result.ticket_id,
                "action": result.action,
                "commit": result.commit,
                "subject": result.subject,
                "ticket": result.ticket.to_plain(),
                **result.extra,
            }
        )
    else:
        out.emit(result.subject)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder to turn into a support repo.")] = Path("."),
    hooks: Annotated[
        bool,
        typer.Option(
            "--hooks",
            help="Also install a git pre-commit hook that runs `supportctl validate`.",
        ),
    ] = False,
) -> None:
    """Create a support repo (or complete one); harmless to run twice.

    Example: supportctl init ~/support --hooks
    """
    from supportctl.ops.init import init_repo, install_hook

    result = init_repo(path.resolve())
    if result.commit:
        out.emit(f"Initialised support repo in {result.root} ({result.commit[:10]})")
    else:
        out.emit(f"{result.root} is already a support repo")
    if hooks:
        hook, changed = install_hook(result.root)
        done = "Installed" if changed else "Already installed:"
        out.emit(f"{done} pre-commit hook {hook} (runs supportctl validate on every commit)")


@app.command()
def new(
    title: Annotated[str, typer.Argument(help="One-line summary of the request.")],
    customer: Annotated[
        str,
        typer.Option(
            "--customer",
            "-c",
            help="Customer key from supportctl.yaml.",
            autocompletion=complete.customer,
        ),
    ],
    type: Annotated[
        str,
        typer.Option(
            "--type", "-t", help="incident | service_request | change_request | information_request"
        ),
    ],
    priority: Annotated[
        str, typer.Option("--priority", "-p", help="critical | high | normal | low")
    ],
    cls: Annotated[str | None, typer.Option("--class", help="Request class or category.")] = None,
    channel: Annotated[
        str, typer.Option("--channel", help="email | phone | messenger | portal | monitoring")
    ] = "email",
    reporter: Annotated[str | None, typer.Option("--reporter", help="Who reported it.")] = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="Description text.")
    ] = None,
    description_file: Annotated[
        str | None,
        typer.Option(
            "--description-file", help="Read the description from a file, or - for stdin."
        ),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    assignee: Annotated[
        str | None, typer.Option("--assignee", help="Agent handle.", autocompletion=complete.agent)
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a ticket and print its ID.

    Example: supportctl new "Checkout fails with 500" --customer acme --type incident --priority high
    """
    from supportctl.ops import tickets as actions

    text = read_text_input(description, description_file, "--description")
    r = repo()
    result = actions.new_ticket(
        r,
        title=title,
        customer=customer,
        type=type,
        priority=priority,
        cls=cls,
        channel=channel,
        reporter=reporter,
        description=text,
        tags=tag or [],
        assignee=assignee,
        at=parse_when(at),
    )
    from supportctl.ops.suggest import suggestions

    hints = suggestions(r, result.ticket)
    if as_json:
        out.emit_json(
            {
                "id": result.ticket_id,
                "commit": result.commit,
                "subject": result.subject,
                "ticket": result.ticket.to_plain(),
                "suggestions": hints,
            }
        )
        return
    out.emit(result.ticket_id)
    if hints:
        out.warn("KB articles that may answer it:")
        for h in hints:
            out.warn(f"  {h['slug']}: {h['title']}")


@app.command("list")
def list_(
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Filter by status (repeatable).")
    ] = None,
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer", "-c", help="Filter by customer.", autocompletion=complete.customer
        ),
    ] = None,
    assignee: Annotated[
        list[str] | None,
        typer.Option("--assignee", "-a", help="Filter by assignee.", autocompletion=complete.agent),
    ] = None,
    line: Annotated[
        list[str] | None, typer.Option("--line", "-l", help="Filter by support line.")
    ] = None,
    priority: Annotated[
        list[str] | None, typer.Option("--priority", "-p", help="Filter by priority.")
    ] = None,
    type: Annotated[list[str] | None, typer.Option("--type", "-t", help="Filter by type.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only tickets with this tag.")
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only new, in_progress and waiting tickets.")
    ] = False,
    sort: Annotated[
        str,
        typer.Option(
            "--sort", help="id | created | priority | status | customer | title | line | assignee"
        ),
    ] = "id",
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the order.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Show at most N tickets (0 = all).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List tickets, filtered and sorted.

    Example: supportctl list --status new --status in_progress --customer acme --sort priority
    """
    from supportctl.storage.queries import Filters, list_view

    filters = Filters(
        status or (),
        customer or (),
        assignee or (),
        line or (),
        priority or (),
        type or (),
        tag or (),
        open_only,
    )

    def render(rows: list[Listed]) -> str:
        if as_json:
            return out.json_text([r.to_dict() for r in rows])
        return _list_table(rows)

    view = list_view(repo(), filters, sort, reverse, limit, "json" if as_json else "table", render)
    for p in view.problems:
        out.warn(f"skipped {p}")
    if as_json:
        out.emit_json_text(view.text)
        return
    out.emit(view.text)
    if view.uncommitted:
        out.warn(
            "* the file has uncommitted changes; listed as last committed "
            "(`git status data/tickets` shows them)"
        )


def _list_table(rows: list[Listed]) -> str:
    if not rows:
        return "no tickets"
    titles = [out.visible(str(t.title)) for t in rows]
    table = list(
        zip(
            [t.id + "*" if t.uncommitted else t.id for t in rows],
            [t.status for t in rows],
            [t.line for t in rows],
            [t.priority for t in rows],
            [t.type for t in rows],
            [t.customer for t in rows],
            [t.assignee or "" for t in rows],
            [t if len(t) <= 60 else _clip(t, 60) for t in titles],
            strict=True,
        )
    )
    return out.table(
        table, ["ID", "STATUS", "LINE", "PRIORITY", "TYPE", "CUSTOMER", "ASSIGNEE", "TITLE"]
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command()
def show(
    ticket_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Ticket ID, e.g. SUP-42.", autocompletion=complete.ticket
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show one ticket with its comments, worklogs and links.

    Example: supportctl show SUP-42
    """
    from supportctl.storage.links import pointing_at
    from supportctl.storage.queries import ticket_record

    r = repo()
    record = ticket_record(r, r.ticket_id(ticket_id))
    here = pointing_at(r, str(record.ticket.id))
    for problem in record.problems:
        out.warn(f"skipped {problem} (time logged there is not counted; run `supportctl validate`)")
    if record.uncommitted:
        path = record.path
        out.warn(
            f"{path} has uncommitted changes; shown as last committed "
            f"(`git diff HEAD -- {path}` shows them)"
        )
    if as_json:
        out.emit_json(record.to_dict() | {"duplicates": here.duplicates, "children": here.children})
        return
    out.emit(_format_ticket(record, here))


# the one-value fields, in file order; the rest have their own lines below
_SHOWN_FIELDS = tuple(
    k
    for k in TICKET_KEYS
    if k
    not in (
        "id",
        "title",
        "tags",
        "description",
        "links",
        "resolution",
        "comments",
        "cc",
        "aliases",
        "alert",
        "message_ids",
        "outage",
    )
)


def _format_ticket(record: TicketRecord, here: PointingHere) -> str:
    t = record.ticket
    lines = [f"{t.id}: {t.title}", ""]
    for key in _SHOWN_FIELDS:
        value = t.value(key)
        if value:
            lines.append(f"  {key + ':':<10} {value}")
    if t.cc:
        lines.append(f"  {'cc:':<10} {', '.join(t.cc)}")
    if t.tags:
        lines.append(f"  {'tags:':<10} {', '.join(t.tags)}")
    if t.aliases:
        lines.append(f"  {'aliases:':<10} {', '.join(t.aliases)}")
    if t.impact == "outage" and t.outage.start:
        lines.append(f"  {'outage:':<10} {t.outage.start} – {t.outage.end or 'ongoing'}")
    for kind, other in (("duplicate_of", t.links.duplicate_of), ("parent", t.links.parent)):
        if other:
            lines.append(f"  {kind.replace('_', ' ') + ':':<10} {other}")
    if t.links.related:
        lines.append(f"  {'related:':<10} {', '.join(t.links.related)}")
    # the other way round: tickets whose links point here
    for kind, others in (("duplicates", here.duplicates), ("children", here.children)):
        if others:
            lines.append(f"  {kind + ':':<10} {', '.join(others)}")
    if t.description:
        lines += ["", t.description.rstrip()]
    for c in t.comments:
        mark = {"internal": "internal note", "public": "reply", "customer": "customer"}[c.kind]
        lines += ["", f"--- {c.at} {c.author} ({mark})", (c.text or "").rstrip()]
        if c.attachments:
            lines += [f"    attached: {path}" for path in c.attachments]
    if t.resolution:
        lines += ["", "Resolution:", t.resolution.rstrip()]
    if record.worklogs:
        lines += ["", f"Time logged: {format_duration(record.minutes_logged * 60)}"]
        for w in record.worklogs:
            lines.append(f"  {w.on}  {format_duration(w.minutes * 60):>6}  {w.author}  {w.note}")
    return "\n".join(lines)


@app.command()
def assign(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    rest: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ASSIGNEE | ID...]",
            help="Agent handle (omit to unassign); with --to, more ticket IDs.",
            autocompletion=complete.assignee_or_ticket,
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Assign every ID given to this agent (one commit per ticket).",
            autocompletion=complete.agent,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Change several tickets without asking.")
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign a ticket to an agent (or unassign it), or several tickets --to one agent.

    Example: supportctl assign SUP-42 boris; supportctl assign SUP-42 SUP-43 SUP-50 --to boris
    """
    from supportctl.ops import tickets as actions

    if to is not None and not rest:
        # one ticket --to an agent is the one-ticket form: nothing to confirm
        _done(actions.assign(repo(), ticket_id, to, at=parse_when(at)), as_json)
        return
    if to is None:
        if len(rest or []) > 1:
            raise UsageError("to assign several tickets give --to AGENT")
        assignee = rest[0] if rest else None
        _done(actions.assign(repo(), ticket_id, assignee, at=parse_when(at)), as_json)
        return
    r = repo()
    when = parse_when(at)
    plan = actions.plan_assign(r, [ticket_id, *(rest or [])], to)
    _bulk(
        plan,
        "assign",
        yes,
        lambda tid: actions.assign(r, tid, to, at=when),
        as_json,
    )


def _bulk(
    plan: list[actions.Planned],
    verb: str,
    yes: bool,
    one: Callable[[str], actions.ActionResult],
    as_json: bool,
) -> None:
    """One action on every planned ticket, after a confirmation at a terminal (or `--yes`);
    each ticket is its own commit, a failure is reported and the others go on."""
    import sys

    from supportctl.ops import tickets as actions

    if not plan:
        if as_json:
            out.emit_json({"action": verb, "done": [], "failed": []})
        else:
            out.warn(f"nothing to {verb}")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                f"{verb} would change {len(plan)} ticket(s); not at a terminal, so give --yes"
            )
        for p in plan:
            out.warn(f"  {p.ticket_id}: {p.before} → {p.after}  {_clip(out.visible(p.title), 50)}")
        if not typer.confirm(f"{verb.capitalize()} {len(plan)} ticket(s)?", err=True):
            out.warn("nothing changed")
            raise typer.Exit(1)

    def report(outcome: actions.ActionResult | actions.Failure) -> None:
        if isinstance(outcome, actions.Failure):
            out.error(f"{outcome.ticket_id}: {outcome.error.message}")
        elif not as_json:
            out.emit(outcome.subject)

    result = actions.for_each([p.ticket_id for p in plan], one, report)
    if as_json:
        out.emit_json(
            {
                "action": verb,
                "done": [
                    {"id": d.ticket_id, "commit": d.commit, "subject": d.subject}
                    for d in result.done
                ],
                "failed": [
                    {"id": f.ticket_id, "error": f.error.message, "exit_code": f.error.exit_code}
                    for f in result.failed
                ],
            }
        )
    else:
        failed = f", {len(result.failed)} failed" if result.failed else ""
        out.warn(f"{verb}: {len(result.done)} of {len(plan)} ticket(s) changed{failed}")
    if result.failed:
        raise typer.Exit(result.exit_code)


@app.command()
def comment(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    text: Annotated[
        str | None, typer.Argument(help="Comment text (or use --file or --reply).")
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Internal note, not a reply to the customer.")
    ] = False,
    from_customer: Annotated[
        bool,
        typer.Option(
            "--from-customer",
            help=(
                "Record what the customer said (by phone, messenger); a waiting ticket "
                "goes back to in_progress, a resolved one reopens within mail.reopen_days, "
                "and a closed (or long-resolved) one gets a new ticket linked to it."
            ),
        ),
    ] = False,
    file: Annotated[
        str | None, typer.Option("--file", help="Read the text from a file, or - for stdin.")
    ] = None,
    reply: Annotated[
        str | None,
        typer.Option(
            "--reply",
            help="Send the canned reply NAME (templates/replies/), in the customer's language.",
            autocompletion=complete.reply,
        ),
    ] = None,
    edit: Annotated[
        bool,
        typer.Option("--edit", help="With --reply: edit the rendered text in $EDITOR first."),
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reply to the customer, add an --internal note, or record a message --from-customer.

    Example: supportctl comment SUP-42 "We are on it, next update in 1 hour"
    """
    from supportctl.ops import tickets as actions

    if reply is not None:
        body = _canned(ticket_id, reply, edit, text, file, from_customer)
    elif edit:
        raise UsageError("--edit goes with --reply NAME")
    elif text is None and file is None:
        raise UsageError("give the comment text, or --file")
    else:
        body = read_text_input(text, file, "TEXT", "--file") if file else (text or "")
    result = actions.comment(
        repo(), ticket_id, body, internal=internal, from_customer=from_customer, at=parse_when(at)
    )
    _done(result, as_json)


def _canned(
    ticket_id: str, name: str, edit: bool, text: str | None, file: str | None, customer: bool
) -> str:
    """The canned reply's text for the ticket, edited in $EDITOR first with `--edit`."""
    import os
    import sys
    import tempfile

    from supportctl.ops.replies import render_reply

    if text is not None or file is not None:
        raise UsageError("give TEXT, --file or --reply, not two of them (--edit adds to a reply)")
    if customer:
        raise UsageError("--reply writes our answer; --from-customer records theirs")
    if edit and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("--edit needs a terminal; without it the reply is sent as rendered")
    rendered = render_reply(repo(), ticket_id, name)
    if not edit:
        return rendered.text
    from supportctl.storage.editor import run_editor

    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    fd, path = tempfile.mkstemp(prefix="supportctl-reply-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(rendered.text)
    try:
        code = run_editor(editor, path)
    except OSError as exc:
        Path(path).unlink(missing_ok=True)
        raise UsageError(f"cannot run $EDITOR {editor!r}: {exc.strerror}") from None
    edited = Path(path).read_text(encoding="utf-8", errors="replace")
    Path(path).unlink(missing_ok=True)
    if code != 0:
        raise UsageError(f"{editor} exited with status {code}; nothing written")
    if not edited.strip():
        raise UsageError("the reply is empty; nothing written")
    return edited


@app.command()
def log(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    minutes: Annotated[int | None, typer.Option("--minutes", "-m", help="Minutes spent.")] = None,
    time: Annotated[str | None, typer.Option("--time", help="Time spent like 1h30m.")] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="What was done.")] = "",
    on: Annotated[
        str | None, typer.Option("--on", help="Day the work was done (default: today).")
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log time spent on a ticket (feeds hour packages and billing).

    Example: supportctl log SUP-42 --time 1h30m --note "log analysis" --on 2026-10-05
    """
    from supportctl.ops import tickets as actions

    if (minutes is None) == (time is None):
        raise UsageError("give exactly one of --minutes N or --time 1h30m")
    if time is not None:
        if time.strip().startswith("-"):
            raise UsageError(f"time must be positive, got {time}")
        seconds = parse_duration(time, what="--time")
        if seconds % 60:
            raise UsageError(f"--time {time}: log whole minutes")
        minutes = seconds // 60
    assert minutes is not None
    result = actions.log_time(
        repo(), ticket_id, minutes=minutes, note=note, on=parse_day(on), at=parse_when(at)
    )
    _done(result, as_json)


@app.command()
def start(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start work on a ticket (status in_progress).

    Example: supportctl start SUP-42
    """
    from supportctl.ops import tickets as actions

    _done(actions.start(repo(), ticket_id, at=parse_when(at)), as_json)


@app.command()
def wait(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="What we wait for from the customer.")
    ],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Wait on the customer (pauses the resolution clock).

    Example: supportctl wait SUP-42 --reason "asked for server logs"
    """
    from supportctl.ops import tickets as actions

    _done(actions.wait(repo(), ticket_id, reason=reason, at=parse_when(at)), as_json)


@app.command()
def escalate(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it goes up a line.")],
    to: Annotated[
        str | None, typer.Option("--to", help="Target line (default: the next one).")
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Escalate to the next support line, or --to a later one.

    Example: supportctl escalate SUP-42 --to L3 --reason "needs a code fix"
    """
    from supportctl.ops import tickets as actions

    _done(actions.escalate(repo(), ticket_id, reason=reason, to=to, at=parse_when(at)), as_json)


@app.command()
def deescalate(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    to: Annotated[str, typer.Option("--to", help="The earlier line it goes back to.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it goes back down.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a ticket back down to an earlier support line (not counted as an escalation).

    Example: supportctl deescalate SUP-42 --to L1 --reason "workaround found, L1 follows up"
    """
    from supportctl.ops import tickets as actions

    _done(actions.deescalate(repo(), ticket_id, to=to, reason=reason, at=parse_when(at)), as_json)


@app.command()
def resolve(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    resolution: Annotated[str, typer.Option("--resolution", "-r", help="How it was solved.")],
    kb: Annotated[
        str | None,
        typer.Option(
            "--kb", help="Slug of the KB article that solved it.", autocompletion=complete.kb_slug
        ),
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve a ticket with a resolution text.

    Example: supportctl resolve SUP-42 --resolution "Cleared the cache" --kb checkout-500
    """
    from supportctl.ops import tickets as actions

    _done(
        actions.resolve(repo(), ticket_id, resolution=resolution, kb=kb, at=parse_when(at)), as_json
    )


@app.command()
def close(
    ticket_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID]...", help="Resolved tickets to close.", autocompletion=complete.ticket
        ),
    ] = None,
    resolved_before: Annotated[
        str | None,
        typer.Option(
            "--resolved-before",
            help="Close every ticket resolved before this day (desk's time zone), e.g. 2026-11-01.",
        ),
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            help="With --resolved-before: only this customer's.",
            autocompletion=complete.customer,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Close several tickets without asking.")
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a resolved ticket, several, or all resolved --resolved-before a day.

    Example: supportctl close SUP-42; supportctl close --resolved-before 2026-11-01 --yes
    """
    from supportctl.ops import tickets as actions

    ids = ticket_ids or []
    if resolved_before is None:
        if customer is not None:
            raise UsageError("--customer goes with --resolved-before")
        if not ids:
            raise UsageError("give the ticket ID, or --resolved-before DAY")
        if len(ids) == 1:
            _done(actions.close(repo(), ids[0], at=parse_when(at)), as_json)
            return
    elif ids:
        raise UsageError("give ticket IDs or --resolved-before, not both")
    r = repo()
    when = parse_when(at)
    if resolved_before is not None:
        day = parse_day(resolved_before, "--resolved-before")
        assert day is not None
        plan = actions.resolved_before(r, day, customer)
    else:
        plan = actions.plan_close(r, ids)
    _bulk(plan, "close", yes, lambda tid: actions.close(r, tid, at=when), as_json)


@app.command()
def reopen(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it is open again.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a resolved or closed ticket (the resolution clock resumes).

    Example: supportctl reopen SUP-42 --reason "fails again after restart"
    """
    from supportctl.ops import tickets as actions

    _done(actions.reopen(repo(), ticket_id, reason=reason, at=parse_when(at)), as_json)


@app.command()
def link(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    duplicate_of: Annotated[
        str | None,
        typer.Option(
            "--duplicate-of", help="This ticket repeats OTHER.", autocompletion=complete.ticket
        ),
    ] = None,
    related: Annotated[
        str | None,
        typer.Option("--related", help="Related ticket.", autocompletion=complete.ticket),
    ] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent ticket.", autocompletion=complete.ticket)
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Link two tickets: --duplicate-of, --related or --parent.

    Example: supportctl link SUP-43 --duplicate-of SUP-42
    """
    from supportctl.ops import tickets as actions

    given = [
        (k, v)
        for k, v in (("duplicate_of", duplicate_of), ("related", related), ("parent", parent))
        if v
    ]
    if len(given) != 1:
        raise UsageError("give exactly one of --duplicate-of, --related, --parent")
    kind, other = given[0]
    _done(actions.link(repo(), ticket_id, kind=kind, other=other, at=parse_when(at)), as_json)


@app.command()
def tag(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    tags: Annotated[list[str] | None, typer.Argument(help="Tags to add.")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Tag to remove (repeatable).")
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add tags to a ticket, or --remove them.

    Example: supportctl tag SUP-42 payments urgent --remove triage
    """
    from supportctl.ops import tickets as actions

    _done(
        actions.tag(repo(), ticket_id, add=tags or [], remove=remove or [], at=parse_when(at)),
        as_json,
    )


@app.command()
def edit(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete.ticket)],
    title: Annotated[str | None, typer.Option("--title", help="New one-line summary.")] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help="critical | high | normal | low")
    ] = None,
    type: Annotated[
        str | None,
        typer.Option(
            "--type", help="incident | service_request | change_request | information_request"
        ),
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            help="Customer key from supportctl.yaml.",
            autocompletion=complete.customer,
        ),
    ] = None,
    cls: Annotated[str | None, typer.Option("--class", help="Request class or category.")] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a ticket's title, priority, type, customer or class.

    Example: supportctl edit SUP-42 --priority critical
    """
    from supportctl.ops import tickets as actions

    changes = {
        k: v
        for k, v in (
            ("title", title),
            ("priority", priority),
            ("type", type),
            ("customer", customer),
            ("class", cls),
        )
        if v is not None
    }
    _done(actions.edit(repo(), ticket_id, changes, at=parse_when(at)), as_json)


@app.command()
def validate(
    as_json: JsonOpt = False,
) -> None:
    """Check every ticket, worklog and KB file against the schema and the config.

    Prints `path:line: message` per problem and exits 9 when there is any.
    Example: supportctl validate
    """
    from supportctl.domain.ticket import Problem
    from supportctl.ops.validate import validate_repo

    notes: list[Problem] = []
    problems = validate_repo(repo(check_config=False), notes)
    for note in notes:
        out.warn(f"note: {note}")
    if as_json:
        out.emit_json([{"path": p.path, "line": p.line, "message": p.message} for p in problems])
    else:
        for p in problems:
            out.emit(str(p))
    if problems:
        raise ValidationFailed(f"{len(problems)} problem(s) found")
    if not as_json:
        out.warn("no problems found")
