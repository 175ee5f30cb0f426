"""ops/mail/imap.py against a real dovecot: security modes, errors, moving and flagging."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import pytest

from supportctl.config.settings import is_loopback
from supportctl.domain.errors import ConfigError, TemporaryFailure
from supportctl.ops.mail.imap import ImapServer, open_mailbox
from tests.mailservers import free_port

if TYPE_CHECKING:
    from tests.mailservers import ImapAccount


def _mail(n: int) -> bytes:
    return (
        f"From: Ivan <ivan@acme.example>\r\nTo: support@desk.example\r\n"
        f"Subject: Printer {n}\r\nMessage-ID: <m{n}@acme.example>\r\n\r\nIt is on fire.\r\n"
    ).encode()


def _server(account: ImapAccount, security: str = "ssl", **changes: object) -> ImapServer:
    port = account.port if security == "ssl" else account.starttls_port
    values: dict[str, object] = {
        "host": account.host,
        "port": port,
        "security": security,
        "user": account.user,
        "password": account.password,
    }
    values.update(changes)
    return ImapServer(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
def test_fetch_by_uid_leaves_messages_unseen(imap_account: ImapAccount, security: str) -> None:
    imap_account.append(_mail(1), _mail(2))
    with open_mailbox(_server(imap_account, security), "INBOX") as box:
        uids = box.uids(unseen_only=True)
        fetched = dict(box.fetch(uids))
    assert len(uids) == 2
    assert [raw.splitlines()[3] for raw in fetched.values()] == [
        b"Message-ID: <m1@acme.example>",
        b"Message-ID: <m2@acme.example>",
    ]
    assert [flags for _, flags in imap_account.messages()] == [frozenset(), frozenset()]


def test_move_and_seen(imap_account: ImapAccount) -> None:
    imap_account.append(_mail(1), _mail(2), _mail(3))
    with open_mailbox(_server(imap_account), "INBOX") as box:
        first, second, third = box.uids(unseen_only=False)
        box.ensure_folder("Processed")
        box.move([first], "Processed")
        box.can_move = False  # the COPY + \Deleted + UID EXPUNGE way of servers without MOVE
        box.move([second], "Processed")
        box.mark_seen([third])
        assert box.uids(unseen_only=True) == []
    assert imap_account.messages("Processed") == [
        (b"Message-ID: <m1@acme.example>", frozenset()),
        (b"Message-ID: <m2@acme.example>", frozenset()),
    ]
    assert imap_account.messages() == [(b"Message-ID: <m3@acme.example>", frozenset([b"\\Seen"]))]


def test_move_without_uidplus_expunges_the_folder(imap_account: ImapAccount) -> None:
    imap_account.append(_mail(1))
    with open_mailbox(_server(imap_account), "INBOX") as box:
        box.can_move = box.can_uid_expunge = False
        box.ensure_folder("Done")
        box.move(box.uids(unseen_only=False), "Done")
    assert imap_account.messages() == []
    assert len(imap_account.messages("Done")) == 1


def test_wrong_password_is_a_clear_config_error(imap_account: ImapAccount) -> None:
    with pytest.raises(ConfigError) as caught:
        open_mailbox(_server(imap_account, password="wrong"), "INBOX")
    assert caught.value.message == (
        f"IMAP login as {imap_account.user}@127.0.0.1:{imap_account.port} refused: "
        "[AUTHENTICATIONFAILED] Authentication failed. (check mail.imap.user and the password "
        "in the environment variable named by mail.imap.password_env)"
    )


def test_a_temporary_login_failure_is_temporary(imap_account: ImapAccount) -> None:
    # the test server's user database is "down" for users it does not list
    with pytest.raises(TemporaryFailure) as caught:
        open_mailbox(_server(imap_account, user="flaky"), "INBOX")
    # dovecot ends the line with its host name and the time, for finding it in its log
    assert caught.value.message.startswith(
        f"IMAP login as flaky@127.0.0.1:{imap_account.port} failed for now: "
        "[UNAVAILABLE] Temporary authentication failure. ["
    )


@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
def test_server_down_is_temporary(imap_account: ImapAccount, security: str) -> None:
    port = free_port()
    with pytest.raises(TemporaryFailure, match=rf"^IMAP server 127\.0\.0\.1:{port} unreachable"):
        open_mailbox(_server(imap_account, security, port=port), "INBOX")


def test_untrusted_certificate_is_refused(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    context = ssl.create_default_context()  # the system's CAs only
    with pytest.raises(ConfigError, match=r"its TLS certificate is not trusted .*SSL_CERT_FILE"):
        open_mailbox(_server(imap_account), "INBOX", ssl_context=context)


def test_plain_text_only_to_loopback(imap_account: ImapAccount) -> None:
    with pytest.raises(ConfigError, match="security none is allowed only for a server on loopback"):
        open_mailbox(_server(imap_account, "none", host="imap.desk.example"), "INBOX")
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("10.0.0.1")


def test_missing_folder(imap_account: ImapAccount) -> None:
    with pytest.raises(ConfigError, match="IMAP folder 'Support' does not exist for desk"):
        open_mailbox(_server(imap_account), "Support")
