"""`mail fetch`: the messages waiting in an IMAP folder, through the intake, then out of the way.

Safe to run every minute and again after a crash: a message leaves the folder (or gets
its mark) only after the intake has committed or quarantined it, and the intake's Message-ID
dedupe turns a second look at a message that was committed but not yet moved into a
`duplicate`, which is moved then with no second commit. Messages are read with BODY.PEEK,
so one that was fetched but never committed stays unseen for the next run.

Without a done folder, the mark is our own keyword `$SupportctlDone` (with \\Seen): a
message someone opened in webmail before the run is \\Seen but not ours, and is taken in
all the same. Only a folder that keeps no keywords (PERMANENTFLAGS without \\*) falls back
to \\Seen alone, where a message read before the run is missed.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportctl.domain.errors import ConfigError, SupportctlError
from supportctl.ops.mail.imap import ImapServer, open_mailbox

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping

    from supportctl.config.settings import ServerSettings
    from supportctl.ops.mail.intake import IngestResult
    from supportctl.storage.desk import Desk

# Messages fetched, ingested and moved per round: a crash repeats at most this many dedupe
# lookups, and one FETCH stays a reasonable size even with attachments.
CHUNK = 25


@dataclass(frozen=True)
class FetchedMail:
    """One message of the folder and what became of it."""

    uid: int
    message_id: str
    outcome: str  # the intake's: new | entry | duplicate | machine | quarantined
    ticket: str | None
    commit: str | None
    reason: str | None
    done: str  # "moved" to done_folder, or flagged "seen" (\\Seen and our keyword)


@dataclass(frozen=True)
class FetchResult:
    server: str  # user@host:port
    folder: str
    done_folder: str | None
    mails: tuple[FetchedMail, ...]


def imap_server(settings: ServerSettings | None, environ: Mapping[str, str]) -> ImapServer:
    """Where to log in, with the password from the environment variable the config names."""
    if settings is None:
        raise ConfigError("mail.imap is not configured in supportctl.yaml (see README, Mail fetch)")
    if not settings.password_env:
        raise ConfigError(
            "mail.imap.password_env is not set: name the environment variable that holds "
            "the IMAP password (the password itself never goes into supportctl.yaml)"
        )
    password = environ.get(settings.password_env)
    if not password:
        raise ConfigError(
            f"the environment variable {settings.password_env} (mail.imap.password_env) is "
            "not set: it must hold the IMAP password"
        )
    if not settings.user:
        raise ConfigError("mail.imap.user is not set")
    return ImapServer(settings.host, settings.port, settings.security, settings.user, password)


def fetch(
    desk: Desk,
    *,
    environ: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    on_mail: Callable[[FetchedMail], None] | None = None,
) -> FetchResult:
    """Ingest every waiting message of `mail.imap.folder`, oldest first, then move it to
    `done_folder`, or mark it done (\\Seen and `$SupportctlDone`) when there is none. With
    a done folder every message in the folder is waiting; without one, those without our
    keyword are, read in a mail client or not (those without \\Seen where the server keeps
    no keywords). `on_mail` hears of each message as it is done."""
    from supportctl.ops.mail.intake import ingest

    settings = desk.config.mail.imap
    server = imap_server(settings, os.environ if environ is None else environ)
    assert settings is not None  # imap_server refused a missing section
    done_folder = settings.done_folder or None
    done = "moved" if done_folder is not None else "seen"
    mails: list[FetchedMail] = []
    with open_mailbox(server, settings.folder, ssl_context=ssl_context) as box:

        def put_away(uids: list[int]) -> None:
            if done_folder is not None:
                box.move(uids, done_folder)
            else:
                box.mark_done(uids)

        uids = box.uids(unseen_only=False) if done_folder is not None else box.not_done()
        if uids and done_folder is not None:
            box.ensure_folder(done_folder)
        for start in range(0, len(uids), CHUNK):
            fetched = list(box.fetch(uids[start : start + CHUNK]))
            results: list[IngestResult] = []
            try:
                ingest(desk, [raw for _, raw in fetched], on_result=results.append)
            except SupportctlError:
                # what the intake took in before it stopped is put away now; the rest stays
                # for the next run (and what did not get put away is a duplicate then)
                with suppress(SupportctlError):
                    put_away([uid for (uid, _), _ in zip(fetched, results, strict=False)])
                raise
            put_away([uid for uid, _ in fetched])
            for (uid, _), result in zip(fetched, results, strict=True):
                mail = FetchedMail(
                    uid=uid,
                    message_id=result.message_id,
                    outcome=result.outcome,
                    ticket=result.ticket,
                    commit=result.commit,
                    reason=result.reason,
                    done=done,
                )
                mails.append(mail)
                if on_mail is not None:
                    on_mail(mail)
    return FetchResult(server.where, settings.folder, done_folder, tuple(mails))
