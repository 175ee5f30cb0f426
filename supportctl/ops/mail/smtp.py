"""Delivering mail to the desk's SMTP server (smtplib): SSL, STARTTLS, or plain to loopback.

The password is read from the environment variable the configuration names
(`mail.smtp.password_env`), never from supportctl.yaml, which is committed and
replicated to every clone. A STARTTLS server that does not offer STARTTLS is an error,
never a reason to log in in clear text.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from supportctl.config.settings import is_loopback
from supportctl.domain.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

SECURITY = ("ssl", "starttls", "none")
TIMEOUT = 60.0


class ServerLike(Protocol):
    """The part of `mail.smtp` in supportctl.yaml the client reads."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def security(self) -> str: ...

    @property
    def user(self) -> str | None: ...

    @property
    def password_env(self) -> str | None: ...


class SendFailed(Exception):
    """The server did not take one message. `connection`: the server could not be reached
    or logged in to, so the rest of the queue would fail alike. `permanent`: it answered
    5xx to the message's recipients or its data, so sending it again cannot help."""

    def __init__(self, message: str, *, connection: bool = False, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.connection = connection
        self.permanent = permanent


class Transport(Protocol):
    """What `outbound.send` hands messages to (the SMTP client, or a test's stand-in)."""

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> dict[str, str]:
        """Deliver `data`; return the recipients the server refused (address -> reply)
        while it took the message for the others. Raise SendFailed when it took it for
        nobody."""
        ...


def password(server: ServerLike, environ: Mapping[str, str] | None = None) -> str | None:
    """The password from the variable `password_env` names; None when no user logs in.

    ConfigError when a user is configured and the variable is unset."""
    if not server.user:
        return None
    name = server.password_env
    if not name:
        raise ConfigError(
            "mail.smtp: `user` is set but `password_env` is not (name the environment "
            "variable that holds the password; it is never written in supportctl.yaml)"
        )
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        raise ConfigError(
            f"mail.smtp.password_env: the environment variable {name} is not set "
            f"(it holds the SMTP password for {server.user}@{server.host})"
        )
    return value


@dataclass
class SmtpTransport:
    """One SMTP session, opened at the first message (a run with nothing to send never
    connects) and closed by `close` or the `with` block."""

    server: ServerLike
    secret: str | None
    context: ssl.SSLContext | None = None
    timeout: float = TIMEOUT
    _smtp: smtplib.SMTP | None = None

    @classmethod
    def from_settings(
        cls,
        server: ServerLike,
        environ: Mapping[str, str] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> SmtpTransport:
        """Checked now, before anything is sent: the security mode and the password."""
        if server.security not in SECURITY:
            raise ConfigError(
                f"mail.smtp.security: {server.security!r} is not one of {', '.join(SECURITY)}"
            )
        if server.security == "none" and not is_loopback(server.host):
            raise ConfigError(
                f"mail.smtp.security: none is only for a server on this machine, not {server.host}"
            )
        return cls(server, password(server, environ), context)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _where(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    def _context(self) -> ssl.SSLContext:
        # The system's trust store (SSL_CERT_FILE and SSL_CERT_DIR are honoured), with
        # host name checking: a desk's mail server is reached by its real name.
        return self.context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        host, port, mode = self.server.host, self.server.port, self.server.security
        try:
            smtp: smtplib.SMTP
            if mode == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if mode == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise SendFailed(
                            f"SMTP {self._where()} does not offer STARTTLS (security: starttls); "
                            "nothing was sent",
                            connection=True,
                        )
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self.server.user:
                    smtp.login(self.server.user, self.secret or "")
            except BaseException:
                smtp.close()
                raise
        except SendFailed:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendFailed(
                f"SMTP {self._where()} refused the login of {self.server.user}: "
                f"{exc.smtp_code} {_text(exc.smtp_error)}",
                connection=True,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SendFailed(
                f"SMTP {self._where()} offers no login (AUTH) on this connection",
                connection=True,
            ) from None
        except ssl.SSLError as exc:
            raise SendFailed(
                f"SMTP {self._where()}: TLS failed ({exc.reason or exc})", connection=True
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(
                f"SMTP {self._where()}: cannot connect ({_describe(exc)})", connection=True
            ) from None
        return smtp

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> dict[str, str]:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.sendmail(sender, list(recipients), data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(
                "every recipient refused: "
                + "; ".join(f"{a} ({c} {_text(m)})" for a, (c, m) in exc.recipients.items()),
                # one 4xx among them (a full mailbox, greylisting) is worth another try
                permanent=all(_permanent(c) for c, _ in exc.recipients.values()),
            ) from None
        except smtplib.SMTPResponseException as exc:
            # refused with a reply (sender, data, size): this message only, the session
            # goes on (RSET is sent by smtplib). A 5xx to MAIL FROM is about the desk's own
            # address, the same for every message: fixed by a person, then sent again.
            raise SendFailed(
                f"refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=isinstance(exc, smtplib.SMTPDataError) and _permanent(exc.smtp_code),
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise SendFailed(
                f"SMTP {self._where()}: connection lost ({_describe(exc)})", connection=True
            ) from None
        return {a: f"{c} {_text(m)}" for a, (c, m) in refused.items()}

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the messages were taken already; a dropped goodbye changes nothing
        finally:
            self._drop()


def _permanent(code: int) -> bool:
    """A 5xx reply (RFC 5321 4.2.1): the same message will be refused again."""
    return 500 <= code < 600


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__
