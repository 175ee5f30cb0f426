"""`supportctl mail ...`: the e-mail channel."""

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
    from collections.abc import Iterator, Sequence

    from supportctl.ops.mail.fetch import FetchedMail
    from supportctl.ops.mail.intake import IngestResult
    from supportctl.ops.mail.quarantine import QuarantinedMail

mail_app = typer.Typer(help="The e-mail channel: mail in, mail out.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Messages the intake could not read or place: list, accept, drop.",
    no_args_is_help=True,
)
mail_app.add_typer(quarantine_app, name="quarantine")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _line(result: IngestResult) -> str:
    reason = f" ({result.reason})" if result.reason else ""
    return f"{result.outcome:<11} {result.ticket or '-':<9} {result.message_id}{reason}"


def _sources(paths: Sequence[str]) -> Iterator[bytes]:
    from supportctl.storage.mailsource import messages_at

    for path in paths:
        if path == "-":
            yield sys.stdin.buffer.read()
        else:
            yield from messages_at(Path(path))


@mail_app.command("ingest")
def ingest_cmd(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...|-",
            help="A message file, an mbox, a Maildir folder, or - for one message on stdin.",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per message, one per line.")
    ] = False,
) -> None:
    """Take in e-mail: one commit per message (a new ticket, an entry on one), or the quarantine.

    For an MTA, an alias like `support: "|supportctl --repo /srv/support mail ingest -"`.
    Exit 0 when every message was committed, was seen before, or was quarantined; 75
    (try again later) whenever a message was not taken in: the desk's lock stayed held,
    the disk or git failed, the desk is not there or its configuration has a mistake, or
    an internal error. A failing acknowledgement never holds back the ticket (a warning).

    Example: supportctl mail ingest ~/Maildir --json
    """
    from supportctl.ops.mail.intake import ingest

    if "-" in paths and len(paths) > 1:
        raise UsageError("- (a message on stdin) goes alone")

    def say(result: IngestResult) -> None:
        if as_json:
            out.emit_json_text(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            out.emit(_line(result))
        if result.warning:
            out.warn(result.warning)

    from supportctl.domain.errors import (
        ConfigError,
        NotASupportRepo,
        SupportctlError,
        TemporaryFailure,
    )

    try:
        desk = repo()
    except (ConfigError, NotASupportRepo) as err:
        # a desk someone must fix, not bad mail: an MTA that reads 75 keeps the message queued
        # until it is fixed, where any other code would bounce it back to the customer
        raise TemporaryFailure(f"{err.message}; no mail was taken in") from err
    try:
        ingest(desk, _sources(paths), on_result=say)
    except (TemporaryFailure, UsageError):
        raise  # a bad PATH is the caller's mistake, not the message's
    except SupportctlError as err:
        # whatever else left a message neither committed nor quarantined: an MTA that
        # reads 75 keeps it queued, where any other code would bounce it to the customer
        raise TemporaryFailure(f"{err.message}; the message was not taken in") from err
    except Exception as exc:
        from supportctl.cli.root import internal_error, state

        if state.debug:
            raise
        internal_error(exc)
        raise typer.Exit(TemporaryFailure.exit_code) from exc


def _fetched_line(mail: FetchedMail, done_folder: str | None) -> str:
    where = f"moved to {done_folder}" if mail.done == "moved" else "flagged seen"
    ticket = mail.ticket or "-"
    reason = f" ({mail.reason})" if mail.reason else ""
    return f"{mail.outcome:<11} {ticket:<9} {mail.message_id}{reason}, {where}"


@mail_app.command("fetch")
def fetch_cmd(as_json: JsonOpt = False) -> None:
    """Fetch new mail from the IMAP server of `mail.imap` into tickets.

    Each message is committed (or quarantined) first, then moved to `done_folder`, or
    flagged seen and $SupportctlDone when there is none; safe to run every minute and after a crash. The
    password comes from the environment variable named by `mail.imap.password_env`.
    Prints one line per message, nothing when there was none. Exit 75 when the server
    cannot be reached or says to try later.

    Example: IMAP_PASSWORD=... supportctl mail fetch --json
    """
    from supportctl.ops.mail.fetch import fetch

    desk = repo()
    done_folder = desk.config.mail.imap.done_folder if desk.config.mail.imap else None

    def say(mail: FetchedMail) -> None:
        # as each message is done, so a run stopped halfway has told what it did
        if not as_json:
            out.emit(_fetched_line(mail, done_folder))

    result = fetch(desk, on_mail=say)
    if as_json:
        out.emit_json(
            [
                {
                    "uid": m.uid,
                    "message_id": m.message_id,
                    "outcome": m.outcome,
                    "ticket": m.ticket,
                    "commit": m.commit,
                    "reason": m.reason,
                    "done": m.done,
                    "folder": result.done_folder if m.done == "moved" else result.folder,
                }
                for m in result.mails
            ]
        )


@mail_app.command("send")
def send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go out; send and write nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Deliver the queued replies and acknowledgements over SMTP (mail.smtp).

    Exit 0 when nothing failed; 11 when the server refused a message for good (a 5xx
    answer: it leaves the queue, recorded as failed with the answer); else 75 when a
    message stays queued (the server could not be reached or said to try later: run again
    later).

    Example: SMTP_PASSWORD=... supportctl mail send
    """
    from supportctl.domain.errors import ConfigError, MailRefused, TemporaryFailure
    from supportctl.ops.mail.outbound import send as run_send
    from supportctl.ops.mail.smtp import SmtpTransport

    desk = repo()
    settings = desk.config.mail
    transport = None
    if not dry_run:
        if settings.smtp is None:
            raise ConfigError("mail send: supportctl.yaml has no mail.smtp server to send through")
        if not settings.address:
            raise ConfigError("mail send: supportctl.yaml has no mail.address to send from")
        transport = SmtpTransport.from_settings(settings.smtp)
    if transport is None:
        results = run_send(desk, None, dry_run=True)
    else:
        with transport:
            results = run_send(desk, transport, dry_run=False)
    if as_json:
        out.emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            to = ", ".join(r.to) or "?"
            line = f"{r.outcome} {r.ticket or '-'} {r.message_id} → {to}"
            line += f": {r.detail}" if r.detail else ""
            # what needs a person (cron mails stderr to one) goes to stderr
            if r.outcome in ("failed", "uncertain"):
                if r.still_queued:
                    line += " (still queued)"
                elif r.refused_for_good:
                    line += " (refused for good: recorded, no longer queued)"
                out.warn(line)
            else:
                out.emit(line)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "nothing queued"
        out.emit(summary + (" (nothing was sent or written)" if dry_run else ""))
    if any(r.refused_for_good for r in results):
        # before 75: no later run delivers it, a person must act (the rest still goes on cron)
        raise typer.Exit(MailRefused.exit_code)
    if any(r.still_queued for r in results):
        # EX_TEMPFAIL: what stays queued, a later run (cron) may deliver
        raise typer.Exit(TemporaryFailure.exit_code)


def _quarantined_line(q: QuarantinedMail) -> str:
    from supportctl.ops.mail.quarantine import SHORT_ID

    subject = q.subject or "(no subject)"
    return f"{q.id[:SHORT_ID]}  {q.received}  {q.sender or '?'}  {subject}\n    {q.reason}"


@quarantine_app.command("list")
def quarantine_list(as_json: JsonOpt = False) -> None:
    """List the quarantined messages with why each is there.

    Example: supportctl mail quarantine list
    """
    from supportctl.ops.mail.quarantine import list_quarantine

    held = list_quarantine(repo())
    if as_json:
        out.emit_json([q.to_dict() for q in held])
        return
    if not held:
        out.emit("the quarantine is empty")
    for q in held:
        out.emit(_quarantined_line(q))


@quarantine_app.command("accept")
def quarantine_accept(
    message: Annotated[str, typer.Argument(metavar="ID", help="Its id from `list` (a prefix).")],
    ticket: Annotated[str | None, typer.Option("--ticket", help="Add it to this ticket.")] = None,
    new: Annotated[bool, typer.Option("--new", help="Open a new ticket with it.")] = False,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="With --new: the customer (default: the sender's)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a quarantined message into a ticket you name, or a new one.

    Example: supportctl mail quarantine accept 3f2a9c1d --ticket SUP-42
    """
    from supportctl.ops.mail.quarantine import accept

    result = accept(repo(), message, ticket=ticket, new=new, customer=customer)
    if as_json:
        out.emit_json(result.to_dict())
    else:
        out.emit(
            f"{result.ticket}: {result.outcome} ({result.commit[:7] if result.commit else '-'})"
        )


@quarantine_app.command("drop")
def quarantine_drop(
    message: Annotated[str, typer.Argument(metavar="ID", help="Its id from `list` (a prefix).")],
) -> None:
    """Remove a quarantined message (git history keeps it).

    Example: supportctl mail quarantine drop 3f2a9c1d
    """
    from supportctl.ops.mail.quarantine import drop

    sha = drop(repo(), message)
    out.emit(f"dropped ({sha[:7]})")
