"""Outgoing messages: headers built structurally, encoded right, never injectable."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from supportctl.domain.errors import UsageError
from supportctl.ops.mail.compose import (
    Outgoing,
    Party,
    build,
    check_email,
    new_message_id,
    subject_for,
    thread_ids,
    to_bytes,
    wire_bytes,
)
from supportctl.ops.mail.records import mail_hash

WHEN = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
DESK = Party("support@desk.example", "Служба поддержки")


def outgoing(**changes: object) -> Outgoing:
    fields: dict[str, object] = {
        "kind": "reply",
        "sender": DESK,
        "to": (Party("ivan@acme.example", "Иван Петров"),),
        "cc": (),
        "subject": subject_for("SUP-42", "Не работает принтер", reply=True),
        "body": "Здравствуйте!\nПроверьте кабель.\n",
        "message_id": "<sup-42.abc@desk.example>",
        "date": WHEN,
        "in_reply_to": "<cust-2@acme.example>",
        "references": ("<cust-1@acme.example>", "<cust-2@acme.example>"),
    }
    fields.update(changes)
    return Outgoing(**fields)  # type: ignore[arg-type]


def parsed(out: Outgoing) -> email.message.EmailMessage:
    raw = to_bytes(build(out))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_reply_headers() -> None:
    msg = parsed(outgoing())
    assert msg["From"] == "Служба поддержки <support@desk.example>"
    assert msg["To"] == "Иван Петров <ivan@acme.example>"
    assert msg["Subject"] == "Re: [SUP-42] Не работает принтер"
    assert msg["Message-ID"] == "<sup-42.abc@desk.example>"
    assert msg["In-Reply-To"] == "<cust-2@acme.example>"
    assert msg["References"] == "<cust-1@acme.example> <cust-2@acme.example>"
    assert msg["Date"] == "Wed, 02 Dec 2026 09:30:00 +0000"
    assert msg["Cc"] is None
    # an agent's reply is a person's mail: auto-responders may answer it
    assert msg["Auto-Submitted"] is None
    assert msg["X-Auto-Response-Suppress"] is None
    assert msg.get_content() == "Здравствуйте!\nПроверьте кабель.\n"


def test_acknowledgement_is_marked_automatic() -> None:
    msg = parsed(outgoing(kind="ack", subject=subject_for("SUP-42", "Принтер", reply=False)))
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Subject"] == "[SUP-42] Принтер"


def test_cyrillic_is_encoded_in_headers_and_body() -> None:
    raw = to_bytes(build(outgoing(cc=(Party("olga@acme.example", "Ольга"),))))
    assert raw.isascii()
    head = raw.partition(b"\n\n")[0]
    assert b"=?utf-8?" in head
    assert b"Content-Transfer-Encoding: quoted-printable" in head
    assert all(len(line) <= 78 for line in raw.split(b"\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Cc"] == "Ольга <olga@acme.example>"


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\x85", "\r\n\t"])
def test_line_breaks_in_names_and_titles_never_make_headers(breaker: str) -> None:
    evil = f"Иван{breaker}Bcc: thief@evil.example{breaker}X-Evil: 1"
    out = outgoing(
        to=(Party("ivan@acme.example", evil),),
        sender=Party("support@desk.example", evil),
        subject=subject_for("SUP-42", evil, reply=True),
    )
    raw = to_bytes(build(out))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert msg["X-Evil"] is None
    assert [k for k, _ in msg.items()].count("To") == 1
    assert msg["To"].addresses[0].addr_spec == "ivan@acme.example"
    assert "thief@evil.example" in msg["Subject"]  # kept as text of the subject
    assert b"\nBcc:" not in raw
    assert b"\nX-Evil" not in raw


@pytest.mark.parametrize(
    "address",
    [
        "ivan@acme.example\r\nBcc: x@evil.example",
        "a b@acme.example",
        "<x@y.example>",
        "x",
        "a@b,c@d",
        "",
    ],
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(UsageError):
        check_email(address)
    with pytest.raises(UsageError):
        build(outgoing(to=(Party(address, "x"),)))


def test_bad_message_ids_are_left_out_of_threading_headers() -> None:
    msg = parsed(
        outgoing(
            in_reply_to="<a@b>\r\nBcc: x@evil.example",
            references=("not-an-id", "<ok@acme.example>", "<x y@z>"),
        )
    )
    assert msg["In-Reply-To"] is None
    assert msg["References"] == "<ok@acme.example>"
    assert msg["Bcc"] is None


def test_thread_ids_put_the_parent_last_and_stay_short() -> None:
    refs = tuple(f"<m{i}@a.example>" for i in range(50))
    parent, out = thread_ids("<m3@a.example>", refs)
    assert parent == "<m3@a.example>"
    assert out[-1] == "<m3@a.example>"
    assert out[0] == "<m0@a.example>"
    assert len(out) == 20


def test_message_ids_are_in_the_desk_domain_and_unique() -> None:
    ids = {new_message_id("Desk.Example", "SUP-42") for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("<sup-42.") for i in ids)
    assert all(i.endswith("@desk.example>") for i in ids)
    assert len(mail_hash("<a@b>")) == 40


def test_wire_bytes_end_every_line_with_crlf() -> None:
    raw = to_bytes(build(outgoing()))
    wire = wire_bytes(raw)
    assert b"\r\n" in wire
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert wire_bytes(wire) == wire
