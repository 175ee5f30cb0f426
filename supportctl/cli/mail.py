"""`supportctl mail ...`: the e-mail channel."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import repo

mail_app = typer.Typer(help="The e-mail channel: mail in, mail out.", no_args_is_help=True)

# sysexits' EX_TEMPFAIL: something stays queued and a later run (cron) may deliver it
EX_TEMPFAIL = 75


@mail_app.command("send")
def send(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go out; send and write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Deliver the queued replies and acknowledgements over SMTP (mail.smtp).

    Exit 0 when nothing failed, 75 when a message stays queued (the server refused it or
    could not be reached: run again later).

    Example: SMTP_PASSWORD=... supportctl mail send
    """
    from supportctl.domain.errors import ConfigError
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
                out.warn(line + (" (still queued)" if r.outcome == "failed" else ""))
            else:
                out.emit(line)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "nothing queued"
        out.emit(summary + (" (nothing was sent or written)" if dry_run else ""))
    if any(r.outcome == "failed" for r in results):
        raise typer.Exit(EX_TEMPFAIL)
