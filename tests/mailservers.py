"""Real mail servers for the tests: aiosmtpd on 127.0.0.1, on a free port.

`smtp_server` collects every message it accepts (envelope and bytes); it can be told to
refuse recipients or the data, and to offer STARTTLS or implicit TLS with a throwaway
self-signed certificate that the fixture makes. Under CI=true a missing aiosmtpd is a
failure, not a skip: the tests that prove mail goes out must run there.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.ops import tickets
from supportctl.storage.desk import open_repo
from tests.helpers import CONFIG, commit_file, component_missing, git

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path


def need_aiosmtpd() -> None:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        component_missing("aiosmtpd", "pip install -e '.[test]'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def message(self) -> Any:
        import email
        import email.policy

        # as a mail client reads it: the line ends of the wire are the client's business
        return email.message_from_bytes(
            self.data.replace(b"\r\n", b"\n"), policy=email.policy.default
        )


@dataclass
class SmtpServer:
    """What the running server took, and switches to make it misbehave."""

    host: str
    port: int
    security: str
    cert: Path | None
    received: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> "550 ..." reply
    refuse_data: str | None = None  # "554 ..." for every message
    logins: list[tuple[str, str]] = field(default_factory=list)
    controller: Any = None

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **changes: Any) -> dict[str, Any]:
        """The `mail.smtp` mapping for supportctl.yaml."""
        spec: dict[str, Any] = {"host": self.host, "port": self.port, "security": self.security}
        spec.update(changes)
        return spec

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the throwaway certificate."""
        assert self.cert is not None
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl from the system)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        component_missing("openssl", "apt-get install openssl")
    done = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return cert, key


def start_smtp(
    folder: Path, security: str = "none", *, users: dict[str, str] | None = None
) -> SmtpServer:
    """Start aiosmtpd; `security` is none, starttls or ssl; `users` enables AUTH."""
    need_aiosmtpd()
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult

    cert = key = None
    server_context = None
    if security != "none":
        cert, key = make_certificate(folder)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(str(cert), str(key))
    box = SmtpServer("127.0.0.1", free_port(), security, cert)

    class Handler:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.lower() in box.refuse_rcpt:
                return box.refuse_rcpt[address.lower()]
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if box.refuse_data:
                return box.refuse_data
            box.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)
                )
            )
            return "250 Message accepted for delivery"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        user = data.login.decode()
        secret = data.password.decode()
        ok = users is not None and users.get(user) == secret
        if ok:
            box.logins.append((user, secret))
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {}
    if users is not None:
        # aiosmtpd sees a STARTTLS upgrade, not implicit TLS: only STARTTLS asks it
        kwargs.update(authenticator=authenticator, auth_require_tls=security == "starttls")

    class Controlled(Controller):
        def factory(self) -> SMTP:
            return SMTP(
                self.handler,
                hostname="mail.test",
                require_starttls=security == "starttls",
                tls_context=server_context if security == "starttls" else None,
                **kwargs,
            )

    controller = Controlled(
        Handler(),
        hostname="127.0.0.1",
        port=box.port,
        ssl_context=server_context if security == "ssl" else None,
    )
    controller.start()
    box.controller = controller
    return box


@pytest.fixture
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 (security: none) collecting what it takes."""
    box = start_smtp(tmp_path_factory.mktemp("smtp"))
    yield box
    box.stop()


@pytest.fixture
def smtp_server_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """STARTTLS with a throwaway certificate and a login (desk / s3cret)."""
    box = start_smtp(tmp_path_factory.mktemp("smtp"), "starttls", users={"desk": "s3cret"})
    yield box
    box.stop()


@pytest.fixture
def smtp_server_ssl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """Implicit TLS (security: ssl) with a throwaway certificate and a login (desk / s3cret)."""
    box = start_smtp(tmp_path_factory.mktemp("smtp"), "ssl", users={"desk": "s3cret"})
    yield box
    box.stop()


# -- a desk that mails ------------------------------------------------------------------------
CUSTOMER_ID = "<cust-1@acme.example>"
CONTACTS = (
    "    credits: {per_breach: 2%, cap: 15%}\n"
    "    domains: [acme.example]\n"
    "    contacts:\n"
    "      - {email: ivan@acme.example, name: Иван Петров}\n"
    "      - {email: olga@acme.example, name: Ольга Сидорова}\n"
)


def mail_config(port: int, **mail: Any) -> str:
    settings = {
        "address": "support@desk.example",
        "acknowledge": "true",
        "max_auto_per_day": "3",
        **{k: str(v) for k, v in mail.items()},
    }
    lines = [f"  smtp: {{host: 127.0.0.1, port: {port}, security: none}}"]
    lines += [f"  {k}: {v}" for k, v in settings.items()]
    config = CONFIG.replace("    credits: {per_breach: 2%, cap: 15%}\n", CONTACTS, 1)
    return config + "mail:\n" + "\n".join(lines) + "\n"


def mail_ticket(
    root: Path,
    requester: str = "ivan@acme.example",
    cc: Sequence[str] = (),
    title: str = "Не печатает принтер",
) -> str:
    """A ticket that came by mail: its requester, copies and the customer's Message-ID."""
    d = open_repo(str(root))
    result = tickets.new_ticket(
        d,
        title=title,
        customer="acme",
        type="incident",
        priority="normal",
        description="Принтер в бухгалтерии не печатает.",
    )
    path, data = d.load_ticket_file(result.ticket_id)
    data.update(replace(data.ticket, requester=requester, cc=tuple(cc), message_ids=(CUSTOMER_ID,)))
    commit_file(root, path, data.dump().decode(), "The requester, by hand")
    return result.ticket_id


def queued(root: Path, rev: str = "HEAD") -> list[str]:
    out = git(root, "ls-tree", "-r", "--name-only", rev, "--", "data/mail/outbox")
    return sorted(out.split())
