"""The SMTP client against a real aiosmtpd on 127.0.0.1: plain, STARTTLS, SSL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from supportctl.config.settings import is_loopback
from supportctl.domain.errors import ConfigError
from supportctl.ops.mail.smtp import SendFailed, SmtpTransport
from tests.mailservers import free_port

if TYPE_CHECKING:
    from tests.mailservers import SmtpServer

MESSAGE = b"From: support@desk.example\r\nTo: ivan@acme.example\r\nSubject: hi\r\n\r\nbody\r\n"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    user: str | None = None
    password_env: str | None = None


def test_plain_to_loopback(smtp_server: SmtpServer) -> None:
    server = Server(smtp_server.host, smtp_server.port, "none")
    with SmtpTransport.from_settings(server, environ={}) as smtp:
        refused = smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert refused == {}
    (got,) = smtp_server.received
    assert got.mail_from == "support@desk.example"
    assert got.rcpt_tos == ["ivan@acme.example"]
    assert got.message()["Subject"] == "hi"


def test_starttls_with_login(smtp_server_tls: SmtpServer) -> None:
    box = smtp_server_tls
    server = Server(box.host, box.port, "starttls", "desk", "SMTP_PASSWORD")
    transport = SmtpTransport.from_settings(
        server, environ={"SMTP_PASSWORD": "s3cret"}, context=box.client_context()
    )
    with transport as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert box.logins == [("desk", "s3cret")]
    assert len(box.received) == 1


def test_ssl_with_login(smtp_server_ssl: SmtpServer) -> None:
    box = smtp_server_ssl
    server = Server(box.host, box.port, "ssl", "desk", "SMTP_PASSWORD")
    transport = SmtpTransport.from_settings(
        server, environ={"SMTP_PASSWORD": "s3cret"}, context=box.client_context()
    )
    with transport as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert box.logins == [("desk", "s3cret")]
    assert len(box.received) == 1


def test_an_untrusted_certificate_is_refused(smtp_server_tls: SmtpServer) -> None:
    box = smtp_server_tls
    server = Server(box.host, box.port, "starttls", "desk", "SMTP_PASSWORD")
    transport = SmtpTransport.from_settings(server, environ={"SMTP_PASSWORD": "s3cret"})
    with pytest.raises(SendFailed) as caught, transport as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert caught.value.connection
    assert "TLS failed" in caught.value.message
    assert box.received == []


def test_a_wrong_password_is_a_connection_failure(smtp_server_tls: SmtpServer) -> None:
    box = smtp_server_tls
    server = Server(box.host, box.port, "starttls", "desk", "SMTP_PASSWORD")
    transport = SmtpTransport.from_settings(
        server, environ={"SMTP_PASSWORD": "wrong"}, context=box.client_context()
    )
    with pytest.raises(SendFailed) as caught, transport as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert caught.value.connection
    assert caught.value.message.startswith(
        f"SMTP 127.0.0.1:{box.port} refused the login of desk: 535"
    )


def test_starttls_is_required_when_configured(smtp_server: SmtpServer) -> None:
    # a server without STARTTLS: the client stops rather than log in in clear text
    server = Server(smtp_server.host, smtp_server.port, "starttls")
    with pytest.raises(SendFailed) as caught, SmtpTransport.from_settings(server) as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert "does not offer STARTTLS" in caught.value.message
    assert smtp_server.received == []


def test_unset_password_variable_is_one_clear_line() -> None:
    server = Server("smtp.desk.example", 587, "starttls", "desk", "SMTP_PASSWORD")
    with pytest.raises(ConfigError) as caught:
        SmtpTransport.from_settings(server, environ={})
    assert caught.value.message == (
        "mail.smtp.password_env: the environment variable SMTP_PASSWORD is not set "
        "(it holds the SMTP password for desk@smtp.desk.example)"
    )


def test_security_none_only_to_loopback() -> None:
    with pytest.raises(ConfigError) as caught:
        SmtpTransport.from_settings(Server("smtp.desk.example", 25, "none"))
    assert "none is only for a server on this machine" in caught.value.message
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("10.0.0.1")


def test_refused_recipients(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_rcpt["gone@acme.example"] = "550 5.1.1 no such user"
    server = Server(smtp_server.host, smtp_server.port, "none")
    with SmtpTransport.from_settings(server) as smtp:
        refused = smtp.send(
            "support@desk.example", ["ivan@acme.example", "gone@acme.example"], MESSAGE
        )
        assert refused == {"gone@acme.example": "550 5.1.1 no such user"}
        with pytest.raises(SendFailed) as caught:
            smtp.send("support@desk.example", ["gone@acme.example"], MESSAGE)
    assert not caught.value.connection
    assert (
        "every recipient refused: gone@acme.example (550 5.1.1 no such user)"
        in caught.value.message
    )
    assert len(smtp_server.received) == 1


def test_refused_data_keeps_the_session(smtp_server: SmtpServer) -> None:
    server = Server(smtp_server.host, smtp_server.port, "none")
    with SmtpTransport.from_settings(server) as smtp:
        smtp_server.refuse_data = "554 5.7.1 spam"
        with pytest.raises(SendFailed) as caught:
            smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
        assert not caught.value.connection
        assert caught.value.message == "refused: 554 5.7.1 spam"
        smtp_server.refuse_data = None
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("rcpt", "data", "permanent"),
    [
        ("550 5.1.1 no such user", None, True),
        ("450 4.2.1 try later", None, False),
        (None, "554 5.7.1 spam", True),
        (None, "451 4.3.0 local error", False),
    ],
)
def test_a_5xx_to_recipients_or_data_is_permanent_a_4xx_is_not(
    smtp_server: SmtpServer, rcpt: str | None, data: str | None, permanent: bool
) -> None:
    if rcpt is not None:
        smtp_server.refuse_rcpt["ivan@acme.example"] = rcpt
    smtp_server.refuse_data = data
    server = Server(smtp_server.host, smtp_server.port, "none")
    with pytest.raises(SendFailed) as caught, SmtpTransport.from_settings(server) as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert caught.value.permanent is permanent
    assert not caught.value.connection


def test_server_down_is_a_connection_failure() -> None:
    server = Server("127.0.0.1", free_port(), "none")
    with pytest.raises(SendFailed) as caught, SmtpTransport.from_settings(server) as smtp:
        smtp.send("support@desk.example", ["ivan@acme.example"], MESSAGE)
    assert caught.value.connection
    assert (
        caught.value.message == f"SMTP 127.0.0.1:{server.port}: cannot connect (connection refused)"
    )
