"""`supportctl mail ...`: the e-mail channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import repo

if TYPE_CHECKING:
    from supportctl.ops.mail.fetch import FetchedMail

mail_app = typer.Typer(
    help="The e-mail channel: fetch, ingest and send mail.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _fetched_line(mail: FetchedMail, done_folder: str | None) -> str:
    where = f"moved to {done_folder}" if mail.done == "moved" else "flagged seen"
    ticket = mail.ticket or "-"
    reason = f" ({mail.reason})" if mail.reason else ""
    return f"{mail.outcome:<11} {ticket:<9} {mail.message_id}{reason}, {where}"


@mail_app.command("fetch")
def fetch_cmd(as_json: JsonOpt = False) -> None:
    """Fetch new mail from the IMAP server of `mail.imap` into tickets.

    Each message is committed (or quarantined) first, then moved to `done_folder`, or
    flagged seen when there is none; safe to run every minute and after a crash. The
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
