"""Reading one message: domain/mail.py on small hand-written messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportctl.domain.errors import MailError, UsageError
from supportctl.domain.mail import Address, parse_mail


def test_plain_message_parses_into_its_fields() -> None:
    raw = (
        b"From: =?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <Ivan@Acme.Example>\r\n"
        b"To: support@desk.example, Anna <anna@acme.example>\r\n"
        b"Cc: boss@acme.example\r\n"
        b"Subject: =?utf-8?q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?=\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0300\r\n"
        b"Message-ID: <abc@acme.example>\r\n"
        b"In-Reply-To: <out-1@desk.example>\r\n"
        b"References: <out-0@desk.example> <out-1@desk.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Hello\r\n"
    )
    mail = parse_mail(raw)
    assert mail.sender == Address("Иван Петров", "ivan@acme.example")
    assert mail.to == (Address("", "support@desk.example"), Address("Anna", "anna@acme.example"))
    assert mail.cc == (Address("", "boss@acme.example"),)
    assert mail.subject == "Привет"
    assert mail.message_id == "<abc@acme.example>"
    assert mail.in_reply_to == ("<out-1@desk.example>",)
    assert mail.references == ("<out-0@desk.example>", "<out-1@desk.example>")
    assert mail.date == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert mail.text == "Hello"
    assert mail.full_text == "Hello"
    assert mail.machine is None
    assert mail.raw == raw


def test_message_without_id_gets_one_from_its_bytes() -> None:
    raw = b"From: a@b.example\nSubject: x\n\nbody\n"
    first = parse_mail(raw).message_id
    assert first == parse_mail(raw).message_id
    assert first.endswith("@supportctl.invalid>")
    assert first != parse_mail(raw + b"more\n").message_id


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01binary", b"just some text\n"])
def test_bytes_that_are_no_message_raise_mail_error(raw: bytes) -> None:
    with pytest.raises(MailError, match="not an e-mail message"):
        parse_mail(raw)


def test_mail_error_is_an_input_error() -> None:
    assert issubclass(MailError, UsageError)
