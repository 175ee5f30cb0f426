"""Outgoing mail end to end: queued in the action's commit, delivered to a real aiosmtpd,
recorded in one commit per run, never twice, never to machines, rate-limited."""

from __future__ import annotations

import email
import email.policy
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain import yamlio
from supportctl.ops import tickets
from supportctl.ops.mail import outbound
from supportctl.ops.mail.records import mail_hash, paths_of
from supportctl.ops.mail.smtp import SendFailed, SmtpTransport
from supportctl.storage.desk import open_repo
from supportctl.storage.transaction import Change, transaction
from tests.helpers import at, commit_file, git, head, trailers
from tests.mailservers import CUSTOMER_ID, mail_config, mail_ticket, queued

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from supportctl.storage.desk import Desk
    from tests.mailservers import SmtpServer


@pytest.fixture
def desk_root(support_repo: Path, smtp_server: SmtpServer) -> Path:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port), "Mail settings")
    return support_repo


def desk(root: Path) -> Desk:
    return open_repo(str(root))


def transport(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport.from_settings(outbound_settings(server))


def outbound_settings(server: SmtpServer) -> Any:
    from supportctl.config.settings import ServerSettings

    return ServerSettings(host=server.host, port=server.port, security="none")


def comment(root: Path, tid: str, text: str, **options: Any) -> tickets.ActionResult:
    return tickets.comment(desk(root), tid, text, **options)


def send(root: Path, server: SmtpServer, **kwargs: Any) -> list[outbound.SendResult]:
    with transport(server) as smtp:
        return outbound.send(desk(root), smtp, **kwargs)


# -- queueing ---------------------------------------------------------------------------------
def test_a_public_reply_is_queued_in_the_same_commit(desk_root: Path) -> None:
    tid = mail_ticket(desk_root, cc=["olga@acme.example"])
    comment(desk_root, tid, "Проверьте, включён ли принтер.")
    files = git(desk_root, "show", "--name-only", "--format=", "HEAD").split()
    (eml, yml) = queued(desk_root)
    assert sorted(files) == sorted([eml, yml, "data/tickets/0000/SUP-1.yaml"])
    record = yamlio.load_plain((desk_root / yml).read_bytes())
    msg = email.message_from_bytes((desk_root / eml).read_bytes(), policy=email.policy.default)
    assert record["ticket"] == tid
    assert record["kind"] == "reply"
    assert record["auto"] is False
    assert record["to"] == ["ivan@acme.example"]
    assert record["cc"] == ["olga@acme.example"]
    assert record["message_id"] == msg["Message-ID"]
    assert eml == f"data/mail/outbox/{mail_hash(msg['Message-ID'])}.eml"
    assert ("Mail-Queued", msg["Message-ID"]) in trailers(desk_root)
    assert ("Action", "comment") in trailers(desk_root)
    assert msg["To"] == "Иван Петров <ivan@acme.example>"
    assert msg["Cc"] == "Ольга Сидорова <olga@acme.example>"
    assert msg["From"] == "Anna Smirnova <support@desk.example>"
    assert msg["Subject"] == "Re: [SUP-1] Не печатает принтер"
    assert msg["In-Reply-To"] == CUSTOMER_ID
    assert msg["References"] == CUSTOMER_ID
    assert msg["Auto-Submitted"] is None
    assert msg["Message-ID"].endswith("@desk.example>")
    assert msg.get_content() == "Проверьте, включён ли принтер.\n"
    # the entry names the mail it went out as
    assert desk(desk_root).ticket(tid).ticket.comments[-1].message_id == msg["Message-ID"]


def test_internal_notes_and_tickets_without_requester_queue_nothing(desk_root: Path) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "между нами", internal=True)
    assert queued(desk_root) == []
    plain = tickets.new_ticket(
        desk(desk_root), title="Phone call", customer="acme", type="incident", priority="normal"
    )
    comment(desk_root, plain.ticket_id, "Answered on the phone.")
    assert queued(desk_root) == []


@pytest.mark.parametrize(
    "requester", ["MAILER-DAEMON@acme.example", "noreply@acme.example", "postmaster@acme.example"]
)
def test_nothing_is_queued_for_machine_senders(desk_root: Path, requester: str) -> None:
    tid = mail_ticket(desk_root, requester=requester)
    comment(desk_root, tid, "Hello?")
    with transaction(desk(desk_root)) as tx:
        ticket = desk(desk_root).ticket(tid)
        assert outbound.queue_ack(tx, desk(desk_root), ticket.ticket) is None
    assert queued(desk_root) == []


def test_no_mail_address_means_no_mail(support_repo: Path) -> None:
    tid = mail_ticket(support_repo)
    comment(support_repo, tid, "A reply kept in the file only.")
    assert queued(support_repo) == []


def queue_ack(
    root: Path, tid: str, env: dict[str, str] | None = None
) -> outbound.QueuedMail | None:
    """What the intake does for a new e-mail ticket: the ack in the ticket's own commit."""
    d = desk(root)
    with transaction(d) as tx:
        ticket = d.ticket(tid).ticket
        q = outbound.queue_ack(tx, d, ticket, in_reply_to=CUSTOMER_ID)
        if q is not None:
            tx.commit(Change(f"{tid}: ack", [("Ticket", tid), *q.trailers], dict(q.files)))
    return q


def test_the_acknowledgement(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root)
    q = queue_ack(desk_root, tid)
    assert q is not None
    (result,) = send(desk_root, smtp_server)
    assert result.outcome == "sent"
    (got,) = smtp_server.received
    msg = got.message()
    assert got.rcpt_tos == ["ivan@acme.example"]
    assert msg["Subject"] == "[SUP-1] Не печатает принтер"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == CUSTOMER_ID
    body = msg.get_content()
    assert body.startswith("Hello Иван Петров,\n\nthank you for your message.")
    assert "ticket SUP-1" in body
    # created 2026-10-05 10:00 Moscow, normal priority: 2 business hours (lunch 13-14)
    assert "You will have our first answer by 2026-10-05 12:00 MSK." in body
    assert "knowledge base" not in body  # no KB yet


def test_the_acknowledgement_names_matching_kb_articles(desk_root: Path) -> None:
    from supportctl.ops.kb import new_article

    d = desk(desk_root)
    for title, body in [
        ("Принтер не печатает", "Проверьте кабель принтера и очередь печати."),
        ("VPN не подключается", "Переустановите клиент VPN."),
    ]:
        text = f"---\ntitle: {title}\ntags: []\n---\n\n{body}\n".encode()
        new_article(d, text)
    tid = mail_ticket(desk_root)
    q = queue_ack(desk_root, tid)
    assert q is not None
    eml = next(p for p in q.files if p.endswith(".eml"))
    body = email.message_from_bytes(q.files[eml], policy=email.policy.default).get_content()
    assert "  - Принтер не печатает\n" in body
    assert "VPN" not in body


def test_a_repo_template_overrides_the_packaged_one(desk_root: Path) -> None:
    commit_file(
        desk_root,
        "templates/mail/ack.en.txt.j2",
        "{{ ticket_id }} <{{ title }}> & {{ customer_name }}\n",
        "Our own acknowledgement",
    )
    tid = mail_ticket(desk_root, title="a_b *c* <d>")
    q = queue_ack(desk_root, tid)
    assert q is not None
    eml = next(p for p in q.files if p.endswith(".eml"))
    body = email.message_from_bytes(q.files[eml], policy=email.policy.default).get_content()
    # plain text: nothing is escaped for Markdown or HTML
    assert body == "SUP-1 <a_b *c* <d>> & Иван Петров\n"


def test_no_acknowledgement_unless_enabled(support_repo: Path, smtp_server: SmtpServer) -> None:
    config = mail_config(smtp_server.port, acknowledge="false")
    commit_file(support_repo, "supportctl.yaml", config, "Mail settings")
    tid = mail_ticket(support_repo)
    assert queue_ack(support_repo, tid) is None


# -- sending ----------------------------------------------------------------------------------
def test_send_delivers_and_records_in_one_commit(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root, cc=["olga@acme.example"])
    comment(desk_root, tid, "Первый ответ.")
    comment(desk_root, tid, "Второй ответ.")
    before = head(desk_root)
    results = send(desk_root, smtp_server)
    assert [r.outcome for r in results] == ["sent", "sent"]
    assert git(desk_root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert {r.commit for r in results} == {head(desk_root)}
    assert queued(desk_root) == []
    assert len(smtp_server.received) == 2
    # queued in the same second: sent in the order of their hashes
    bodies = sorted(got.message().get_content() for got in smtp_server.received)
    assert bodies == ["Второй ответ.\n", "Первый ответ.\n"]
    for got in smtp_server.received:
        assert got.rcpt_tos == ["ivan@acme.example", "olga@acme.example"]
        assert got.mail_from == "support@desk.example"
    ids = [r.message_id for r in results]
    ticket = desk(desk_root).ticket(tid).ticket
    assert ticket.message_ids == (CUSTOMER_ID, *ids)
    for mid in ids:
        key = mail_hash(mid)
        record = yamlio.load_plain((desk_root / f"data/mail/{key[:2]}/{key}.yaml").read_bytes())
        assert record["direction"] == "out"
        assert record["outcome"] == "sent"
        assert record["ticket"] == tid
        assert record["sent"] == "2026-10-05T07:00:00+00:00"
        raw = (desk_root / f"data/mail/{key[:2]}/{key}.eml").read_bytes()
        assert email.message_from_bytes(raw)["Message-ID"] == mid
    pairs = trailers(desk_root)
    assert ("Action", "mail-sent") in pairs
    assert ("Ticket", tid) in pairs
    assert [v for k, v in pairs if k == "Message-Id"] == ids
    assert git(desk_root, "status", "--porcelain") == ""


def test_the_mail_sent_commit_changes_no_sla_clock(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    from datetime import datetime

    from supportctl.ops.sla import show

    tid = mail_ticket(desk_root)
    now = datetime.fromisoformat("2026-10-06T10:00:00+03:00")
    comment(desk_root, tid, "Ответ.")
    before = show(desk(desk_root), tid, now).ticket.clocks
    send(desk_root, smtp_server)
    after = show(desk(desk_root), tid, now).ticket.clocks
    assert {m: c.state for m, c in after.items()} == {m: c.state for m, c in before.items()}
    assert after["first_response"].state == "met"


def test_dry_run_sends_and_writes_nothing(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    before = head(desk_root)
    (result,) = outbound.send(desk(desk_root), None, dry_run=True)
    assert result.outcome == "would-send"
    assert result.ticket == tid
    assert result.to == ("ivan@acme.example",)
    assert smtp_server.received == []
    assert head(desk_root) == before
    assert len(queued(desk_root)) == 2
    assert not (desk_root / ".git/supportctl/mail-send.log").exists()


def test_a_refusing_server_keeps_the_queue(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    before = head(desk_root)
    smtp_server.refuse_data = "451 4.7.1 not today"
    (result,) = send(desk_root, smtp_server)
    assert result.outcome == "failed"
    assert result.detail == "refused: 451 4.7.1 not today"
    assert result.commit is None
    assert head(desk_root) == before
    assert len(queued(desk_root)) == 2
    smtp_server.refuse_data = None
    (again,) = send(desk_root, smtp_server)
    assert again.outcome == "sent"
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_keeps_the_queue(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Один.")
    comment(desk_root, tid, "Два.")
    before = head(desk_root)
    smtp_server.stop()
    results = send(desk_root, smtp_server)
    assert [r.outcome for r in results] == ["failed", "failed"]
    assert all("cannot connect (connection refused)" in r.detail for r in results)
    assert head(desk_root) == before
    assert len(queued(desk_root)) == 4


def test_a_run_again_sends_nothing_twice(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    send(desk_root, smtp_server)
    before = head(desk_root)
    assert send(desk_root, smtp_server) == []
    assert head(desk_root) == before
    assert len(smtp_server.received) == 1


class Killed(BaseException):
    """The process dying at a chosen moment (no `except Exception` catches it)."""


class DyingTransport:
    """Dies in the middle of the SMTP transaction: whether the server took the message is
    unknown to the sender."""

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> dict[str, str]:
        raise Killed


def test_killed_after_the_server_took_it_is_recorded_not_resent(
    desk_root: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    before = head(desk_root)

    def killed_before_the_commit(*args: Any, **kwargs: Any) -> str:
        raise Killed

    monkeypatch.setattr(outbound, "_record", killed_before_the_commit)
    with pytest.raises(Killed), transport(smtp_server) as smtp:
        outbound.send(desk(desk_root), smtp)
    monkeypatch.undo()
    assert head(desk_root) == before
    assert len(smtp_server.received) == 1
    (result,) = send(desk_root, smtp_server)
    assert result.outcome == "sent"
    assert "not sent again" in result.detail
    assert len(smtp_server.received) == 1
    assert queued(desk_root) == []
    assert not (desk_root / ".git/supportctl/mail-send.log").exists()


def test_killed_while_sending_is_uncertain_and_not_resent(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    with pytest.raises(Killed):
        outbound.send(desk(desk_root), DyingTransport())
    (dry,) = outbound.send(desk(desk_root), None, dry_run=True)
    assert dry.outcome == "would-record-uncertain"
    (result,) = send(desk_root, smtp_server)
    assert result.outcome == "uncertain"
    assert smtp_server.received == []
    assert queued(desk_root) == []
    key = mail_hash(result.message_id)
    record = yamlio.load_plain((desk_root / f"data/mail/{key[:2]}/{key}.yaml").read_bytes())
    assert record["outcome"] == "uncertain"
    # it may have gone out: an answer to it must still thread
    assert result.message_id in desk(desk_root).ticket(tid).ticket.message_ids


def test_a_second_send_in_the_same_clone_waits_for_none(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    from supportctl.domain.errors import GitError
    from supportctl.storage.outbox import send_lock

    d = desk(desk_root)
    with send_lock(d.git), pytest.raises(GitError) as caught:
        outbound.send(desk(desk_root), None, dry_run=True)
    assert caught.value.message == "another `supportctl mail send` is running in this clone"


def test_machine_recipients_are_never_sent_to(desk_root: Path, smtp_server: SmtpServer) -> None:
    # queued by an older version, or by hand: the send checks again
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    (_, yml) = queued(desk_root)
    text = (desk_root / yml).read_text(encoding="utf-8")
    commit_file(desk_root, yml, text.replace("ivan@acme.example", "mailer-daemon@acme.example"))
    (result,) = send(desk_root, smtp_server)
    assert result.outcome == "suppressed"
    assert result.detail == "mailer-daemon@acme.example is a machine address"
    assert smtp_server.received == []
    assert queued(desk_root) == []


def test_automatic_messages_per_address_per_day(desk_root: Path, smtp_server: SmtpServer) -> None:
    config = mail_config(smtp_server.port, max_auto_per_day=2)
    commit_file(desk_root, "supportctl.yaml", config, "Two a day")
    first = [mail_ticket(desk_root) for _ in range(3)]
    assert queue_ack(desk_root, first[0]) is not None
    assert queue_ack(desk_root, first[1]) is not None
    assert queue_ack(desk_root, first[2]) is None  # two are waiting already
    assert [r.outcome for r in send(desk_root, smtp_server)] == ["sent", "sent"]
    later = mail_ticket(desk_root)
    assert queue_ack(desk_root, later) is None  # two went out today
    # replies are a person's: never limited
    comment(desk_root, later, "Ответ.")
    assert [r.outcome for r in send(desk_root, smtp_server)] == ["sent"]
    # the next day (Moscow) the count starts again
    with pytest.MonkeyPatch.context() as mp:
        for k, v in at("2026-10-06T00:30:00+03:00").items():
            mp.setenv(k, v)
        assert queue_ack(desk_root, later) is not None
    assert len(smtp_server.received) == 3


def test_the_limit_is_checked_again_when_sending(desk_root: Path, smtp_server: SmtpServer) -> None:
    for _ in range(3):
        assert queue_ack(desk_root, mail_ticket(desk_root)) is not None
    commit_file(desk_root, "supportctl.yaml", mail_config(smtp_server.port, max_auto_per_day=1))
    results = send(desk_root, smtp_server)
    assert [r.outcome for r in results] == ["sent", "suppressed", "suppressed"]
    assert results[1].detail == (
        "ivan@acme.example had 1 automatic messages today (mail.max_auto_per_day)"
    )
    assert len(smtp_server.received) == 1
    assert queued(desk_root) == []
    key = mail_hash(results[1].message_id)
    record = yamlio.load_plain((desk_root / f"data/mail/{key[:2]}/{key}.yaml").read_bytes())
    assert record["outcome"] == "suppressed"
    assert "sent" not in record  # it never went out: when that was decided instead
    assert record["decided"] == "2026-10-05T07:00:00+00:00"
    assert record["reason"] == results[1].detail
    assert (
        results[1].message_id
        not in desk(desk_root).ticket(results[1].ticket or "").ticket.message_ids
    )


def test_cyrillic_arrives_intact(desk_root: Path, smtp_server: SmtpServer) -> None:
    tid = mail_ticket(desk_root, title="Ошибка «1С» — не сохраняется документ")
    comment(desk_root, tid, "Добрый день!\nОбновите платформу до 8.3.25.\n\n— Анна")
    send(desk_root, smtp_server)
    (got,) = smtp_server.received
    assert got.data.isascii()
    msg = got.message()
    assert msg["Subject"] == "Re: [SUP-1] Ошибка «1С» — не сохраняется документ"
    assert msg["To"].addresses[0].display_name == "Иван Петров"
    assert msg.get_content() == "Добрый день!\nОбновите платформу до 8.3.25.\n\n— Анна\n"


def test_a_failure_is_not_lost_among_successes(desk_root: Path, smtp_server: SmtpServer) -> None:
    a = mail_ticket(desk_root)
    b = mail_ticket(desk_root, requester="gone@acme.example")
    comment(desk_root, a, "Вам.")
    comment(desk_root, b, "А это не дойдёт.")
    smtp_server.refuse_rcpt["gone@acme.example"] = "452 4.2.2 mailbox full"
    results = {r.ticket: r for r in send(desk_root, smtp_server)}
    assert results[a].outcome == "sent"
    assert results[b].outcome == "failed"
    assert "452 4.2.2 mailbox full" in results[b].detail
    assert len(queued(desk_root)) == 2  # b's message waits for the next run


def queued_id(root: Path, requester: str) -> str:
    """The Message-ID of the queued message to `requester`."""
    for path in queued(root):
        record = yamlio.load_plain((root / path).read_bytes()) if path.endswith(".yaml") else {}
        if requester in (record.get("to") or []):
            return str(record["message_id"])
    raise AssertionError(f"nothing queued for {requester}")


def assert_refused_for_good(
    root: Path, smtp_server: SmtpServer, result: outbound.SendResult, message_id: str, answer: str
) -> None:
    assert result.outcome == "failed"
    assert answer in result.detail
    assert result.commit == head(root)
    assert result.refused_for_good
    assert not result.still_queued
    assert queued(root) == []
    record = yamlio.load_plain((root / paths_of(message_id).record).read_bytes())
    assert record["outcome"] == "failed"
    assert answer in record["reason"]
    assert "sent" not in record
    assert "decided" in record
    assert ("Message-Id", message_id) in trailers(root)
    # the ticket's thread does not claim a mail that never went out
    assert message_id not in desk(root).load_ticket_file(str(result.ticket))[1].ticket.message_ids
    before = head(root)
    assert send(root, smtp_server) == []  # never offered again: a later run has nothing to do
    assert head(root) == before
    assert not (root / ".git/supportctl/mail-send.log").exists()


def test_a_5xx_to_every_recipient_leaves_the_queue_recorded_as_failed(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    a = mail_ticket(desk_root)
    b = mail_ticket(desk_root, requester="gone@acme.example")
    comment(desk_root, a, "Вам.")
    comment(desk_root, b, "А это не дойдёт.")
    gone = queued_id(desk_root, "gone@acme.example")
    smtp_server.refuse_rcpt["gone@acme.example"] = "550 5.1.1 no such user"
    results = {r.ticket: r for r in send(desk_root, smtp_server)}
    assert results[a].outcome == "sent"
    assert results[a].commit == results[b].commit
    assert_refused_for_good(desk_root, smtp_server, results[b], gone, "550 5.1.1 no such user")


def test_a_5xx_to_the_data_leaves_the_queue_recorded_as_failed(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    tid = mail_ticket(desk_root)
    comment(desk_root, tid, "Ответ.")
    message_id = queued_id(desk_root, "ivan@acme.example")
    smtp_server.refuse_data = "554 5.7.1 rejected as spam"
    (result,) = send(desk_root, smtp_server)
    assert result.ticket == tid
    smtp_server.refuse_data = None
    assert_refused_for_good(
        desk_root, smtp_server, result, message_id, "554 5.7.1 rejected as spam"
    )
    assert smtp_server.received == []


def test_one_4xx_among_refused_recipients_keeps_the_message_queued(
    desk_root: Path, smtp_server: SmtpServer
) -> None:
    tid = mail_ticket(desk_root, cc=["olga@acme.example"])
    comment(desk_root, tid, "Ответ.")
    smtp_server.refuse_rcpt["ivan@acme.example"] = "550 5.1.1 no such user"
    smtp_server.refuse_rcpt["olga@acme.example"] = "452 4.2.2 mailbox full"
    (result,) = send(desk_root, smtp_server)
    assert result.still_queued
    assert len(queued(desk_root)) == 2


def test_send_failed_is_per_message_unless_the_connection_is_gone() -> None:
    assert not SendFailed("x").connection
    assert SendFailed("x", connection=True).connection


@pytest.mark.parametrize(
    ("language", "greeting", "due"),
    [
        ("en", "Hello Иван Петров,\n", "You will have our first answer by 2026-10-05 12:00 MSK."),
        ("ru", "Здравствуйте, Иван Петров!\n", "Первый ответ вы получите до 2026-10-05 12:00 MSK."),
        ("uk", "Вітаємо, Иван Петров!\n", "Першу відповідь ви отримаєте до 2026-10-05 12:00 MSK."),
    ],
)
def test_the_acknowledgement_in_each_language(
    desk_root: Path, monkeypatch: pytest.MonkeyPatch, language: str, greeting: str, due: str
) -> None:
    monkeypatch.setattr(outbound, "customer_language", lambda desk, customer: language)
    tid = mail_ticket(desk_root)
    d = desk(desk_root)
    body = outbound.ack_text(
        d, d.git.head(), d.ticket(tid).ticket, "Иван Петров", d.git.identity().when
    )
    assert body.startswith(greeting)
    assert due in body
    assert "[SUP-1]" in body


def test_english_unless_the_customer_has_a_language(desk_root: Path) -> None:
    assert outbound.customer_language(desk(desk_root), "acme") == "en"
    assert outbound.customer_language(desk(desk_root), None) == "en"


def test_the_customer_configured_in_russian_is_acknowledged_in_russian(
    support_repo: Path, smtp_server: SmtpServer
) -> None:
    config = mail_config(smtp_server.port).replace(
        "    credits: {per_breach", "    language: ru\n    credits: {per_breach", 1
    )
    assert "language: ru" in config
    commit_file(support_repo, "supportctl.yaml", config, "Mail settings, in Russian")
    assert outbound.customer_language(desk(support_repo), "acme") == "ru"
    tid = mail_ticket(support_repo)
    d = desk(support_repo)
    body = outbound.ack_text(
        d, d.git.head(), d.ticket(tid).ticket, "Иван Петров", d.git.identity().when
    )
    assert body.startswith("Здравствуйте, Иван Петров!\n")
