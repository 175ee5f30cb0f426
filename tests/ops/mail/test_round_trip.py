"""Customer mail in -> ticket -> reply out (a real SMTP server) -> the customer answers
the reply -> the same ticket; and the agent's next reply answers that answer."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from supportctl.ops import tickets
from supportctl.ops.mail import outbound
from supportctl.ops.mail.intake import ingest
from supportctl.ops.mail.smtp import SmtpTransport
from supportctl.storage.desk import open_repo
from tests.helpers import commit_file
from tests.mailservers import mail_config, queued

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.storage.desk import Desk
    from tests.mailservers import SmtpServer


def customer_mail(
    subject: str,
    body: str,
    message_id: str,
    *,
    in_reply_to: str | None = None,
    references: str = "",
) -> bytes:
    from datetime import datetime

    msg = EmailMessage()
    msg["From"] = "Иван Петров <ivan@acme.example>"
    msg["To"] = "support@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(datetime.fromisoformat("2026-10-05T09:55:00+03:00"))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def desk(root: Path) -> Desk:
    return open_repo(str(root))


def send(root: Path, server: SmtpServer) -> list[outbound.SendResult]:
    from supportctl.config.settings import ServerSettings

    settings = ServerSettings(host=server.host, port=server.port, security="none")
    with SmtpTransport.from_settings(settings) as smtp:
        return outbound.send(desk(root), smtp)


def test_mail_in_reply_out_answer_in_same_ticket(
    support_repo: Path, smtp_server: SmtpServer
) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port), "Mail settings")
    first = customer_mail(
        "Не печатает принтер", "Принтер в бухгалтерии молчит.", "<cust-1@acme.example>"
    )
    (created,) = ingest(desk(support_repo), [first])
    assert created.outcome == "new"
    tid = created.ticket
    assert tid is not None
    ticket = desk(support_repo).ticket(tid).ticket
    assert ticket.requester == "ivan@acme.example"

    tickets.comment(desk(support_repo), tid, "Проверьте кабель.")
    results = send(support_repo, smtp_server)
    reply = next(r for r in results if r.kind == "reply")
    assert reply.outcome == "sent"
    got = next(g for g in smtp_server.received if g.message()["Message-ID"] == reply.message_id)
    out = got.message()
    assert out["To"] == "Иван Петров <ivan@acme.example>"
    assert out["Subject"] == f"Re: [{tid}] Не печатает принтер"
    assert out["In-Reply-To"] == "<cust-1@acme.example>"
    assert queued(support_repo) == []

    # the customer's client answers the reply; it keeps no tag in the subject, only the
    # threading headers
    answer = customer_mail(
        "Re: Не печатает",
        "Кабель на месте, всё равно не печатает.",
        "<cust-2@acme.example>",
        in_reply_to=reply.message_id,
        references=f"<cust-1@acme.example> {reply.message_id}",
    )
    (entry,) = ingest(desk(support_repo), [answer])
    assert entry.outcome == "entry"
    assert entry.ticket == tid
    ticket = desk(support_repo).ticket(tid).ticket
    assert ticket.comments[-1].kind == "customer"
    assert ticket.comments[-1].message_id == "<cust-2@acme.example>"
    assert reply.message_id in ticket.message_ids

    # the next reply answers the customer's latest message
    tickets.comment(desk(support_repo), tid, "Перезагрузите принтер.")
    second = next(r for r in send(support_repo, smtp_server) if r.kind == "reply")
    got = next(g for g in smtp_server.received if g.message()["Message-ID"] == second.message_id)
    assert got.message()["In-Reply-To"] == "<cust-2@acme.example>"
    references = got.message()["References"].split()
    assert references[-1] == "<cust-2@acme.example>"
    assert "<cust-1@acme.example>" in references
    assert reply.message_id in references
