"""`supportctl report send`: each customer's monthly report, mailed to their report contacts.

One message per customer: the report's HTML as the body (with the Markdown report as its
text/plain alternative) and the PDF attached, in the customer's language, over the SMTP
server of `mail.smtp`. What was sent is recorded in one commit per run,
`data/reports/<YYYY-MM>/<customer>.yaml` (recipients, Message-ID, the report's commit,
sha256 of the PDF, when). That record is what "sent" means: a customer whose record exists
gets nothing again. The PDF itself is not stored: the report's commit makes the same bytes
again, which the sha256 proves.

Never twice, across a crash as well: like `mail send` (see `supportctl.storage.outbox`),
the record is kept beside a journal and the message marked `sending` before the SMTP
transaction and `accepted` once the server took it. A run that finds a mark without the
record commits the record from what was kept, `sent` or (the server may or may not have
taken it) `uncertain`, and sends nothing.

The report itself comes from the caller (`render`), which picks the audience and language:
this module mails what it is given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date
from email.headerregistry import Address
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap

from supportctl.domain import yamlio
from supportctl.domain.errors import ConfigError, NotFound
from supportctl.ops.mail.compose import (
    STORE_POLICY,
    check_email,
    domain_of,
    new_message_id,
    one_line,
    to_bytes,
    wire_bytes,
)
from supportctl.ops.mail.outbound import customer_language
from supportctl.ops.mail.smtp import SendFailed
from supportctl.storage import outbox
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from supportctl.domain.periods import Period
    from supportctl.ops.mail.smtp import Transport
    from supportctl.storage.desk import Desk

REPORTS = "data/reports"
JOURNAL = "report-send.log"
LOCK = "report-send.lock"
ACTION = "report-sent"
OUTCOMES = (
    "sent",
    "already-sent",
    "skipped",  # no contact has `reports: true`
    "failed",  # nothing recorded: a later run sends it
    "uncertain",  # a run stopped while sending it: recorded, not sent again
    # --dry-run
    "would-send",
    "would-record-sent",
    "would-record-uncertain",
)

SUBJECTS = {
    "en": "Support report for {month}: {name}",
    "ru": "Отчёт о поддержке за {month}: {name}",
    "uk": "Звіт про підтримку за {month}: {name}",
}
GREETINGS = {
    "en": (
        "Hello,\n\nthe support report for {month} is attached as a PDF; the same report "
        "follows below.\n\nYour support team\n"
    ),
    "ru": (
        "Здравствуйте!\n\nОтчёт о поддержке за {month} — во вложении (PDF); тот же отчёт "
        "приведён ниже.\n\nВаша служба поддержки\n"
    ),
    "uk": (
        "Добрий день!\n\nЗвіт про підтримку за {month} — у вкладенні (PDF); той самий звіт "
        "наведено нижче.\n\nВаша служба підтримки\n"
    ),
}


@dataclass(frozen=True)
class RenderedReport:
    """One customer's report as the caller rendered it."""

    commit: str  # the commit the report was computed from
    language: str  # en | ru | uk
    html: str
    text: str  # the text/plain alternative
    pdf: bytes


@dataclass
class ReportMail:
    """What happened to one customer's report."""

    customer: str
    outcome: str  # one of OUTCOMES
    to: tuple[str, ...] = ()
    subject: str = ""
    message_id: str = ""
    pdf_sha256: str = ""
    detail: str = ""
    commit: str | None = None
    permanent: bool = False  # failed: the server refused it for good (5xx)

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "outcome": self.outcome,
            "to": list(self.to),
            "subject": self.subject,
            "message_id": self.message_id,
            "pdf_sha256": self.pdf_sha256,
            "detail": self.detail,
            "commit": self.commit,
        }


def record_path(month: str, customer: str) -> str:
    return f"{REPORTS}/{month}/{customer}.yaml"


def month_words(label: str, language: str) -> str:
    """`2026-10` as the customer reads it: "October 2026", "октябрь 2026"."""
    from babel.dates import format_date

    year, month = (int(part) for part in label.split("-"))
    return str(format_date(date(year, month, 1), "LLLL yyyy", locale=language))


def subject_for(label: str, language: str, name: str) -> str:
    return one_line(SUBJECTS[language].format(month=month_words(label, language), name=name))


def build_message(
    *,
    sender: str,
    to: tuple[str, ...],
    subject: str,
    message_id: str,
    when: datetime,
    report: RenderedReport,
    label: str,
    customer: str,
) -> EmailMessage:
    """multipart/mixed: (text/plain | text/html) alternatives, then the PDF."""
    import email.utils

    def address(value: str) -> Address:
        local, _, domain = check_email(value).rpartition("@")
        return Address(username=local, domain=domain)

    msg = EmailMessage(policy=STORE_POLICY)
    msg["From"] = address(sender)
    msg["To"] = [address(a) for a in to]
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = message_id
    # automatic: an out-of-office reply to it would open a ticket
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    greeting = GREETINGS[report.language].format(month=month_words(label, report.language))
    msg.set_content(greeting + "\n" + report.text, cte="quoted-printable")
    msg.add_alternative(report.html, subtype="html", cte="quoted-printable")
    msg.add_attachment(
        report.pdf,
        maintype="application",
        subtype="pdf",
        filename=f"support-report-{label}-{customer}.pdf",
    )
    return msg


def _record(mail: ReportMail, month: str, report_commit: str, language: str) -> bytes:
    record = CommentedMap()
    record["customer"] = mail.customer
    record["month"] = month
    record["outcome"] = mail.outcome
    record["to"] = list(mail.to)
    record["subject"] = mail.subject
    record["message_id"] = mail.message_id
    record["language"] = language
    record["report_commit"] = report_commit
    record["pdf_sha256"] = mail.pdf_sha256
    return yamlio.dump(record)


def _key(month: str, customer: str) -> str:
    return hashlib.sha256(f"{month}/{customer}".encode()).hexdigest()[:40]


def send_reports(
    desk: Desk,
    period: Period,
    render: Callable[[str, str], RenderedReport],
    transport: Transport | None,
    now: datetime,
    *,
    customer: str | None = None,
    dry_run: bool = False,
) -> list[ReportMail]:
    """Mail `period`'s report to every customer with report contacts (or to `customer`).

    `render(customer, language)` gives the report; it is called only for a customer who
    gets mail. Sent reports are recorded in one commit, which every `sent` result names."""
    customers = desk.config.customers
    if customer is not None and customer not in customers:
        known = ", ".join(sorted(customers)) or "none configured"
        raise NotFound(f"unknown customer {customer!r} (known: {known})")
    if not dry_run and transport is None:
        raise ConfigError("report send: no SMTP server configured (mail.smtp)")
    address = desk.config.mail.address
    sender = check_email(address, "mail.address") if address else None
    if sender is None and not dry_run:
        raise ConfigError("report send: supportctl.yaml has no mail.address to send from")
    month = period.label
    results: list[ReportMail] = []
    with outbox.send_lock(desk.git, LOCK, "report send"):
        head = desk.git.head()
        journal = outbox.SendJournal(desk.git, JOURNAL)
        marks = journal.states()
        done: list[tuple[ReportMail, bytes]] = []
        stale: list[tuple[str, str]] = []
        down: str | None = None
        for key in [customer] if customer else sorted(customers):
            mail = ReportMail(key, "failed")
            results.append(mail)
            jkey = _key(month, key)
            path = record_path(month, key)
            sent = desk.git.file_at(head, path) if head else None
            if sent is not None:
                mail.outcome = "already-sent"
                data = yamlio.load_plain(sent)
                if isinstance(data, dict):
                    mail.message_id = str(data.get("message_id") or "")
                    mail.to = tuple(str(a) for a in data.get("to") or ())
                    mail.detail = f"recorded in {path}"
                if jkey in marks:
                    stale.append((jkey, marks[jkey][1]))
            elif jkey in marks:
                state, message_id = marks[jkey]
                kept = journal.noted(jkey) or b""
                mail.outcome = "sent" if state == "accepted" else "uncertain"
                mail.message_id = message_id
                mail.detail = (
                    "taken by the server in a run that stopped before its commit; not sent again"
                    if state == "accepted"
                    else "a run stopped while sending it: the server may or may not have "
                    "taken it; not sent again"
                )
                data = yamlio.load_plain(kept) if kept else {}
                data = data if isinstance(data, dict) else {}
                mail.to = tuple(str(a) for a in data.get("to") or ())
                mail.subject = str(data.get("subject") or "")
                mail.pdf_sha256 = str(data.get("pdf_sha256") or "")
                if dry_run:
                    mail.outcome = f"would-record-{mail.outcome}"
                else:
                    done.append(
                        (
                            mail,
                            _record(
                                mail,
                                month,
                                str(data.get("report_commit") or ""),
                                str(data.get("language") or ""),
                            ),
                        )
                    )
            else:
                down = _send_one(
                    desk,
                    mail,
                    journal,
                    jkey,
                    month,
                    render,
                    transport,
                    sender,
                    now,
                    dry_run,
                    down,
                    done,
                )
        if stale and not dry_run:
            journal.finish(stale)
        if done:
            sha = _commit(desk, month, done, now)
            for mail, _ in done:
                mail.commit = sha
            journal.finish([(_key(month, m.customer), m.message_id) for m, _ in done])
    return results


def _send_one(
    desk: Desk,
    mail: ReportMail,
    journal: outbox.SendJournal,
    jkey: str,
    month: str,
    render: Callable[[str, str], RenderedReport],
    transport: Transport | None,
    sender: str | None,
    now: datetime,
    dry_run: bool,
    down: str | None,
    done: list[tuple[ReportMail, bytes]],
) -> str | None:
    """Render and send one customer's report; return why the server is down, if it is."""
    found = desk.config.customers[mail.customer]
    mail.to = tuple(dict.fromkeys(c.email for c in found.contacts if c.reports))
    if not mail.to:
        mail.outcome = "skipped"
        mail.detail = "no contact has `reports: true`"
        return down
    language = customer_language(desk, mail.customer)
    report = render(mail.customer, language)
    mail.subject = subject_for(month, report.language, found.name or mail.customer)
    mail.pdf_sha256 = hashlib.sha256(report.pdf).hexdigest()
    domain = domain_of(sender) if sender else "desk.invalid"
    mail.message_id = new_message_id(domain, f"report-{month}-{mail.customer}")
    if dry_run:
        mail.outcome = "would-send"
        mail.detail = f"PDF {len(report.pdf)} bytes, report of commit {report.commit[:10]}"
        return down
    if down is not None:
        mail.detail = down
        return down
    assert transport is not None
    assert sender is not None
    msg = build_message(
        sender=sender,
        to=mail.to,
        subject=mail.subject,
        message_id=mail.message_id,
        when=now,
        report=report,
        label=month,
        customer=mail.customer,
    )
    mail.outcome = "sent"
    record = _record(mail, month, report.commit, report.language)
    journal.note(jkey, record)
    journal.mark(jkey, "sending", mail.message_id)
    try:
        refused = transport.send(sender, list(mail.to), wire_bytes(to_bytes(msg)))
    except SendFailed as exc:
        journal.finish([(jkey, mail.message_id)])
        mail.outcome = "failed"
        mail.detail = exc.message
        mail.permanent = exc.permanent
        return exc.message if exc.connection else down
    journal.mark(jkey, "accepted", mail.message_id)
    if refused:
        mail.detail = "refused: " + "; ".join(f"{a} ({r})" for a, r in refused.items())
    done.append((mail, record))
    return down


def _commit(desk: Desk, month: str, done: list[tuple[ReportMail, bytes]], now: datetime) -> str:
    """One commit: a record per customer whose report went (or may have gone) out; `sent`
    is the run's time, the Date of its messages."""
    with transaction(desk) as tx:
        when = now.astimezone(UTC).isoformat()
        files: dict[str, bytes | None] = {}
        for mail, record in done:
            data = yamlio.load_plain(record)
            assert isinstance(data, dict)
            values = CommentedMap(data)
            values["sent"] = when
            if mail.detail.startswith("refused: "):
                values["refused"] = mail.detail.removeprefix("refused: ")
            files[record_path(month, mail.customer)] = yamlio.dump(values)
        names = ", ".join(m.customer for m, _ in done)
        subject = f"report {month} sent to {short(names, 60)}"
        trailers = [("Action", ACTION), ("Report-Month", month)]
        trailers += [("Message-Id", m.message_id) for m, _ in done]
        return tx.commit(Change(subject, trailers, files))
