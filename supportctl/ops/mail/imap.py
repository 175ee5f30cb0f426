"""The IMAP client of `mail fetch` (imapclient): one logged-in connection, messages by UID.

Everything the server or the network can say goes out as one of our errors: what is worth
retrying unchanged (no connection, a dropped one, a server that says UNAVAILABLE) as
`TemporaryFailure` (exit 75), what a person must fix (the password, the certificate, a
folder that does not exist) as `ConfigError`.
"""

from __future__ import annotations

import ast
import socket
import ssl
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportctl.config.settings import is_loopback
from supportctl.domain.errors import ConfigError, SupportctlError, TemporaryFailure

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import TracebackType

    from imapclient import IMAPClient

SECURITIES = ("ssl", "starttls", "none")
# Long enough for a slow server's greeting and a big FETCH chunk; short enough that a hung
# server does not pile up cron runs.
TIMEOUT_SECONDS = 60.0
# RFC 5530 response codes that mean "the same login may work later".
_TEMPORARY_CODES = (b"[UNAVAILABLE]", b"[INUSE]", b"[LIMIT]", b"[SERVERBUG]")
# The keyword (RFC 3501 flag-keyword) on every message `mail fetch` has taken in, when it
# keeps the message in the folder: \Seen alone cannot tell ours from what a person opened.
DONE_KEYWORD = "$SupportctlDone"


@dataclass(frozen=True)
class ImapServer:
    """Where and how to log in; the password comes from the environment, never a file."""

    host: str
    port: int
    security: str  # ssl | starttls | none
    user: str
    password: str

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def _text(data: Any) -> str:
    """The server's words, on one line. imaplib hands them over as bytes, or as the str() of
    those bytes (`b'[AUTHENTICATIONFAILED] ...'`) inside its errors."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    if len(text) >= 3 and text[:2] in ("b'", 'b"') and text[-1] == text[1]:
        with suppress(ValueError, SyntaxError):
            raw = ast.literal_eval(text)
            if isinstance(raw, bytes):
                text = raw.decode("utf-8", "replace")
    return " ".join(text.split())


class Mailbox:
    """A logged-in IMAP connection with one folder selected (see `open_mailbox`)."""

    def __init__(
        self, client: IMAPClient, server: ImapServer, folder: str, *, keeps_keywords: bool = False
    ) -> None:
        self._client = client
        self.server = server
        self.folder = folder
        self.can_move = client.has_capability("MOVE")
        self.can_uid_expunge = client.has_capability("UIDPLUS")
        # PERMANENTFLAGS with \* (or our keyword already in it): the folder keeps a keyword
        # we set; without, it may accept it for the session only and forget it
        self.keeps_keywords = keeps_keywords

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        _close(self._client)

    def uids(self, *, unseen_only: bool) -> list[int]:
        """The folder's messages, oldest first: all of them, or those without \\Seen."""
        with _server_errors(self.server, "SEARCH"):
            found = self._client.search("UNSEEN" if unseen_only else "ALL")
        return sorted(int(uid) for uid in found)

    def not_done(self) -> list[int]:
        """The messages `mark_done` has not marked, oldest first: those without our keyword,
        whether or not someone has opened them; without \\Seen where the folder keeps no
        keywords."""
        criteria: Any = ["NOT", "KEYWORD", DONE_KEYWORD] if self.keeps_keywords else "UNSEEN"
        with _server_errors(self.server, "SEARCH"):
            found = self._client.search(criteria)
        return sorted(int(uid) for uid in found)

    def mark_done(self, uids: Sequence[int]) -> None:
        """\\Seen and our keyword (only \\Seen where the folder keeps no keywords)."""
        if not uids:
            return
        flags = [b"\\Seen", *([DONE_KEYWORD.encode()] if self.keeps_keywords else [])]
        with _server_errors(self.server, "STORE"):
            self._client.add_flags(list(uids), flags, silent=True)

    def fetch(self, uids: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw bytes) of each message still there. BODY.PEEK leaves \\Seen alone, so a
        run that dies before the intake has committed leaves the message unseen for the next."""
        if not uids:
            return
        with _server_errors(self.server, "FETCH"):
            data = self._client.fetch(list(uids), ["BODY.PEEK[]"])
        for uid in uids:
            raw = data.get(uid, {}).get(b"BODY[]")
            if isinstance(raw, bytes):  # expunged meanwhile by another client: nothing to do
                yield uid, raw

    def ensure_folder(self, name: str) -> None:
        with _server_errors(self.server, "CREATE"):
            if not self._client.folder_exists(name):
                self._client.create_folder(name)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """Move to `folder`: MOVE (RFC 6851) where the server has it, else COPY, \\Deleted and
        an expunge of just those UIDs (or of the folder when the server lacks UIDPLUS)."""
        if not uids:
            return
        with _server_errors(self.server, "MOVE"):
            if self.can_move:
                self._client.move(list(uids), folder)
                return
            self._client.copy(list(uids), folder)
            self._client.add_flags(list(uids), [b"\\Deleted"], silent=True)
            if self.can_uid_expunge:
                self._client.uid_expunge(list(uids))
            else:
                self._client.expunge()

    def mark_seen(self, uids: Sequence[int]) -> None:
        if not uids:
            return
        with _server_errors(self.server, "STORE"):
            self._client.add_flags(list(uids), [b"\\Seen"], silent=True)


@contextmanager
def _server_errors(server: ImapServer, command: str) -> Iterator[None]:
    """Turns what the connection raises during one command into our errors."""
    try:
        yield
    except SupportctlError:
        raise
    except Exception as exc:
        raise _translate(exc, server, command) from exc


def _translate(exc: Exception, server: ImapServer, command: str) -> Exception:
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

    where = server.where
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConfigError(
            f"IMAP server {server.host}:{server.port}: its TLS certificate is not trusted "
            f"({exc.verify_message}); give a CA bundle that holds it in SSL_CERT_FILE"
        )
    if isinstance(exc, LoginError):
        said = _text(exc.args[0] if exc.args else exc)
        if any(code.decode() in said for code in _TEMPORARY_CODES):
            return TemporaryFailure(f"IMAP login as {where} failed for now: {said}")
        return ConfigError(
            f"IMAP login as {where} refused: {said} (check mail.imap.user and the password "
            "in the environment variable named by mail.imap.password_env)"
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return TemporaryFailure(f"IMAP server {server.host}:{server.port} did not answer in time")
    if isinstance(exc, IMAPClientAbortError | OSError | EOFError):
        return TemporaryFailure(
            f"IMAP server {server.host}:{server.port} unreachable or dropped the connection "
            f"during {command}: {_text(exc) or type(exc).__name__}"
        )
    if isinstance(exc, IMAPClientError):
        said = _text(exc)
        if any(code.decode() in said for code in _TEMPORARY_CODES):
            return TemporaryFailure(f"IMAP {command} as {where} failed for now: {said}")
        return ConfigError(f"IMAP {command} as {where} refused: {said}")
    return exc


def _close(client: IMAPClient) -> None:
    # The work is done or lost by now; a server that drops the goodbye changes nothing.
    try:
        client.logout()
    except Exception:
        with suppress(Exception):
            client.shutdown()


def open_mailbox(
    server: ImapServer,
    folder: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    ssl_context: ssl.SSLContext | None = None,
) -> Mailbox:
    """Connect, secure, log in and select `folder` (read-write). The default TLS context
    verifies the certificate and the host name against the system's CAs, or SSL_CERT_FILE."""
    from imapclient import IMAPClient

    if server.security not in SECURITIES:
        raise ConfigError(f"mail.imap.security must be one of {', '.join(SECURITIES)}")
    if server.security == "none" and not is_loopback(server.host):
        # the config check says so too; this keeps a password off the wire whatever the caller
        raise ConfigError(
            f"mail.imap: security none is allowed only for a server on loopback, not {server.host}"
        )
    context = ssl_context or ssl.create_default_context()
    client = None
    try:
        with _server_errors(server, "connect"):
            client = IMAPClient(
                server.host,
                port=server.port,
                ssl=server.security == "ssl",
                ssl_context=context,
                timeout=timeout,
            )
            if server.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise ConfigError(
                        f"IMAP server {server.host}:{server.port} does not offer STARTTLS "
                        "(use security: ssl and its TLS port, usually 993)"
                    )
                client.starttls(context)
        with _server_errors(server, "LOGIN"):
            client.login(server.user, server.password)
        with _server_errors(server, "SELECT"):
            if not client.folder_exists(folder):
                raise ConfigError(f"IMAP folder {folder!r} does not exist for {server.where}")
            selected = client.select_folder(folder)
    except BaseException:
        if client is not None:
            _close(client)
        raise
    permanent = {bytes(f) for f in selected.get(b"PERMANENTFLAGS") or ()}
    keeps = b"\\*" in permanent or DONE_KEYWORD.encode() in permanent
    return Mailbox(client, server, folder, keeps_keywords=keeps)
