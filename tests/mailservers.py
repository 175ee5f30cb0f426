"""A real IMAP server for the tests: Debian's dovecot with a throwaway configuration.

One dovecot per test session listens on two free loopback ports (IMAP with STARTTLS, and
IMAPS) with a self-signed certificate made here; every test gets an account of its own, so
its mailbox starts empty. Messages reach the mailbox by IMAP APPEND, as a mail client would
put them there. `scripts/ensure-dovecot` (run by `make test`) installs dovecot; without it a
developer's run skips these tests and a CI run fails them.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import CONFIG, component_missing, git

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from imapclient import IMAPClient

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


def free_port() -> int:
    """A loopback port nothing listens on now (also the "server down" address)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


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
