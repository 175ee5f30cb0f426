"""Real mail servers for the tests: aiosmtpd on 127.0.0.1, on a free port.

`smtp_server` collects every message it accepts (envelope and bytes); it can be told to
refuse recipients or the data, and to offer STARTTLS or implicit TLS with a throwaway
self-signed certificate that the fixture makes. Under CI=true a missing aiosmtpd is a
failure, not a skip: the tests that prove mail goes out must run there.

The IMAP server is Debian's dovecot with a throwaway configuration: one per test session
listens on two free loopback ports (IMAP with STARTTLS, and IMAPS) with a self-signed
certificate made here; every test gets an account of its own (`imap_account`), so its
mailbox starts empty. Messages reach the mailbox by IMAP APPEND, as a mail client would
put them there. `scripts/ensure-dovecot` (run by `make test`) installs dovecot; without it a
developer's run skips those tests and a CI run fails them.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.ops import tickets
from supportctl.storage.desk import open_repo
from tests.helpers import CONFIG, commit_file, component_missing, git

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from imapclient import IMAPClient


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


# -- IMAP: dovecot ------------------------------------------------------------------------------
HOST = "127.0.0.1"
START_SECONDS = 15.0
# Made before dovecot starts: it rereads a passwd-file that changed at most once a second.
ACCOUNTS = 500


def _user(n: int) -> str:
    return f"desk{n}"


def _password(n: int) -> str:
    return f"secret-{n}"


def find_dovecot() -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    return shutil.which("dovecot", path=path)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    result = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            f"subjectAltName=IP:{HOST},DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"openssl could not make the test certificate: {result.stderr}")
    return cert, key


def _config(
    folder: Path, mail_root: Path, cert: Path, key: Path, imap_port: int, imaps_port: int
) -> str:
    me = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        # dovecot refuses root for its login processes and for mail access (uid 0 is "no
        # uid" to its userdb): those run as nobody, the rest as root
        mail_user = pwd.getpwnam("nobody")
        users = (
            "default_internal_user = root\n"
            "default_internal_group = root\n"
            "default_login_user = nobody\n"
        )
    else:
        # as anyone else every process runs as that user, with no chroot to set up
        mail_user = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(os.getgid()).gr_name
        users = (
            f"default_internal_user = {me}\n"
            f"default_internal_group = {group}\n"
            f"default_login_user = {me}\n"
            "service imap-login {\n  chroot =\n}\n"
        )
    return f"""\
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = supportctl-test-{imap_port}
listen = {HOST}
protocols = imap
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
# The user "flaky" gets dovecot's "temporary authentication failure" ([UNAVAILABLE]), as when
# its user database is down: a checkpassword program answers 111 ("temporary problem") for
# it and 1 ("no") for anyone else, who goes on to the passwd-file.
passdb {{
  driver = checkpassword
  args = {folder}/tempfail
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail_root}/%u
}}
mail_location = maildir:~/Maildir
{users}
log_path = {folder}/dovecot.log
# no growing delay for the address a wrong-password test failed from (dovecot's documented
# switch: an auth-penalty socket nobody may open)
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


@dataclass
class Dovecot:
    """A running dovecot of this session."""

    folder: Path
    cert: Path
    imap_port: int  # plain IMAP, STARTTLS offered
    imaps_port: int
    process: subprocess.Popen[bytes]
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_account(self) -> ImapAccount:
        """An unused user, with an empty mailbox."""
        n = next(self._names)
        if n > ACCOUNTS:
            pytest.fail(f"more than {ACCOUNTS} IMAP accounts in one session: raise ACCOUNTS")
        return ImapAccount(self, _user(n), _password(n))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@dataclass
class ImapAccount:
    server: Dovecot
    user: str
    password: str
    host: str = HOST

    @property
    def port(self) -> int:
        return self.server.imaps_port

    @property
    def starttls_port(self) -> int:
        return self.server.imap_port

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.server.cert))

    def client(self) -> IMAPClient:
        """A second, independent client: the test's view of the mailbox."""
        from imapclient import IMAPClient

        client = IMAPClient(HOST, port=self.port, ssl_context=self.context(), timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, *raws: bytes, folder: str = "INBOX", flags: Sequence[str] = ()) -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw, flags=list(flags))
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, frozenset[bytes]]]:
        """Each message's Message-ID header line and flags but \\Recent, in UID order ([] for
        no folder)."""
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        finally:
            client.logout()
        return [
            (
                data[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].strip(),
                frozenset(data[uid][b"FLAGS"]) - {b"\\Recent"},  # the server's, not ours
            )
            for uid in sorted(data)
        ]


# -- a desk that fetches from an account -------------------------------------------------------
PASSWORD_ENV = "SUPPORTCTL_TEST_IMAP_PASSWORD"


def mail(n: int, *, sender: str = "ivan@acme.example", reply_to: int | None = None) -> bytes:
    thread = f"In-Reply-To: <m{reply_to}@acme.example>\r\n" if reply_to else ""
    subject = f"Re: Printer {reply_to}" if reply_to else f"Printer {n} is on fire"
    return (
        f"From: Ivan Petrov <{sender}>\r\nTo: support@desk.example\r\n"
        f"Subject: {subject}\r\nDate: Mon, 05 Oct 2026 09:{n:02d}:00 +0300\r\n"
        f"Message-ID: <m{n}@acme.example>\r\n{thread}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nMessage number {n}.\r\n"
    ).encode()


def configure(
    root: Path,
    account: ImapAccount,
    *,
    security: str = "ssl",
    done_folder: str | None = "Processed",
    port: int | None = None,
) -> None:
    if port is None:
        port = account.port if security == "ssl" else account.starttls_port
    done = f", done_folder: {done_folder}" if done_folder else ""
    config = CONFIG.replace(
        "  acme:\n    name: ACME LLC\n",
        "  acme:\n    name: ACME LLC\n    domains: [acme.example]\n",
    )
    config += (
        "mail:\n"
        "  address: support@desk.example\n"
        f"  imap: {{host: 127.0.0.1, port: {port}, security: {security}, user: {account.user},"
        f" password_env: {PASSWORD_ENV}, folder: INBOX{done}}}\n"
    )
    (root / "supportctl.yaml").write_text(config, encoding="utf-8")
    git(root, "commit", "-qam", "Mail configuration")


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def _wait_until_it_answers(server: Dovecot) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"dovecot stopped at start:\n{server.log()}")
        try:
            with socket.create_connection((HOST, server.imap_port), timeout=2) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"dovecot did not answer within {START_SECONDS:.0f} s:\n{server.log()}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    binary = find_dovecot()
    if binary is None:
        component_missing("dovecot", "make test installs Debian's dovecot-imapd")
    folder = tmp_path_factory.mktemp("dovecot")
    cert, key = _self_signed(folder)
    tempfail = folder / "tempfail"
    tempfail.write_text(
        "#!/bin/bash\nIFS= read -r -d '' user <&3\n[ \"$user\" = flaky ] && exit 111\nexit 1\n"
    )
    tempfail.chmod(0o755)
    (folder / "users").write_text(
        "".join(f"{_user(n)}:{{PLAIN}}{_password(n)}\n" for n in range(1, ACCOUNTS + 1))
    )
    if os.getuid() == 0:
        # mail is kept as nobody, who cannot enter pytest's private tmp folders
        outer = Path(tempfile.mkdtemp(prefix="supportctl-imap-", dir="/tmp"))
        outer.chmod(0o711)
        mail_root = outer / "mail"
        mail_root.mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(mail_root, nobody.pw_uid, nobody.pw_gid)
    else:
        outer = None
        mail_root = folder / "mail"
        mail_root.mkdir()
    imap_port, imaps_port = free_port(), free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(_config(folder, mail_root, cert, key, imap_port, imaps_port))
    with (folder / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=stderr
        )
    server = Dovecot(folder, cert, imap_port, imaps_port, process)
    try:
        _wait_until_it_answers(server)
        yield server
    finally:
        server.stop()
        if outer is not None:
            shutil.rmtree(outer, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    """A fresh, empty account; supportctl trusts the test certificate through SSL_CERT_FILE,
    as it would a private CA's."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))
    return dovecot.add_account()
