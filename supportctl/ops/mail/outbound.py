"""The desk's outgoing mail: queued with the action that causes it, delivered by `mail send`.

A public reply (`comment`) and the acknowledgement of a new e-mail ticket put the message
into `data/mail/outbox/<hash>.eml` (+ `.yaml`) in the same commit as the action, so the
queue is exactly what the history says was answered. `send` delivers the queue over SMTP
and, in one commit per run, moves each sent message to `data/mail/<hh>/<hash>.{eml,yaml}`
and adds its Message-ID to the ticket's `message_ids`, which threads the customer's answer
back to the ticket.

Never twice: see `supportctl.storage.outbox` for the send journal. Never to machines:
replies and acknowledgements are not queued for, nor sent to, mailer daemons and no-reply
addresses. Never a loop: automatic messages (acknowledgements) carry `Auto-Submitted`, and
an address receives at most `mail.max_auto_per_day` of them per day (the desk's time
zone), counted from the sent records in the repo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ruamel.yaml.comments import CommentedMap

from supportctl.domain import yamlio
from supportctl.domain.errors import ConfigError, DataError, NotFound, SupportctlError
from supportctl.domain.events import Event
from supportctl.domain.mail import is_machine_address
from supportctl.ops.mail.compose import (
    Outgoing,
    Party,
    build,
    check_email,
    domain_of,
    is_message_id,
    new_message_id,
    subject_for,
    to_bytes,
    wire_bytes,
)
from supportctl.ops.mail.records import mail_hash
from supportctl.ops.mail.smtp import SendFailed
from supportctl.storage import outbox
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Sequence

    from supportctl.domain.ticket import Ticket
    from supportctl.ops.mail.smtp import Transport
    from supportctl.storage.desk import Desk
    from supportctl.storage.transaction import Transaction

LANGUAGES = ("en", "ru", "uk")
SENT = "mail-sent"
QUEUED_TRAILER = "Mail-Queued"
# Outcomes of `send`, per message.
OUTCOMES = (
    "sent",
    "failed",
    "suppressed",
    "uncertain",
    # --dry-run: what the run would do
    "would-send",
    "would-suppress",
    "would-record-sent",
    "would-record-uncertain",
)
# What the daily limit counts: a message that may have gone out counts as gone.
COUNTED = ("sent", "uncertain")
RECORD_KEYS = (
    "message_id",
    "direction",
    "ticket",
    "kind",
    "auto",
    "outcome",
    "reason",
    "queued",
    "sent",
    "decided",
    "from",
    "to",
    "cc",
    "refused",
    "subject",
)


@dataclass(frozen=True)
class QueuedMail:
    """A message put into the outbox: add `files` and `trailers` to the action's commit."""

    message_id: str
    files: dict[str, bytes]
    trailers: list[tuple[str, str]]


@dataclass
class SendResult:
    message_id: str
    ticket: str | None
    kind: str
    to: tuple[str, ...]
    outcome: str  # one of OUTCOMES
    detail: str = ""
    commit: str | None = None

    @property
    def still_queued(self) -> bool:
        """Failed and left in the outbox for the next run (a refused-for-good one is
        `failed` too, but recorded, with its commit)."""
        return self.outcome == "failed" and self.commit is None

    @property
    def refused_for_good(self) -> bool:
        return self.outcome == "failed" and self.commit is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "ticket": self.ticket,
            "kind": self.kind,
            "to": list(self.to),
            "outcome": self.outcome,
            "detail": self.detail,
            "commit": self.commit,
        }


# -- queueing ---------------------------------------------------------------------------
def _desk_address(desk: Desk) -> str | None:
    address = desk.config.mail.address
    return check_email(address, "mail.address") if address else None


def _recipients(
    desk: Desk, ticket: Ticket, desk_address: str
) -> tuple[Party, tuple[Party, ...]] | None:
    """To (the requester) and Cc of a ticket's mail; None when there is no one a person
    reads to write to. The desk's own address is never a recipient (a loop)."""
    if not ticket.requester:
        return None
    names = _contact_names(desk, ticket.customer)
    try:
        to = check_email(ticket.requester, "requester")
    except SupportctlError:
        return None
    if to == desk_address or is_machine_address(to):
        return None
    cc: list[Party] = []
    for raw in ticket.cc:
        try:
            address = check_email(raw, "cc")
        except SupportctlError:
            continue  # a hand-edited list: a broken entry costs that copy, not the reply
        if address not in (to, desk_address) and not is_machine_address(address):
            cc.append(Party(address, names.get(address, "")))
    return Party(to, names.get(to, "")), tuple(dict.fromkeys(cc))


def _contact_names(desk: Desk, customer: str | None) -> dict[str, str]:
    found = desk.config.customers.get(str(customer))
    if found is None:
        return {}
    return {c.email: c.name for c in found.contacts if c.name}


def _customer_last_message(ticket: Ticket) -> str | None:
    """The Message-ID of the customer's latest mail on the ticket: the latest customer
    entry that came by mail, else the mail that opened the ticket."""
    for entry in reversed(ticket.comments):
        if entry.from_customer and entry.message_id and is_message_id(entry.message_id):
            return entry.message_id
    return next((m for m in ticket.message_ids if is_message_id(m)), None)


def _thread_ids(ticket: Ticket) -> tuple[str, ...]:
    """The ticket's Message-IDs a reply's References name: the customer's and the desk's
    messages, not the machine mail noted on it (an auto-reply's ID threads nothing)."""
    machine = {c.message_id for c in ticket.comments if c.message_id and c.kind == "internal"}
    return tuple(m for m in ticket.message_ids if m not in machine)


def _queue(
    ticket: Ticket,
    out: Outgoing,
    queued_at: datetime,
) -> QueuedMail:
    raw = to_bytes(build(out))
    key = mail_hash(out.message_id)
    record = CommentedMap()
    record["message_id"] = out.message_id
    record["ticket"] = ticket.id
    record["kind"] = out.kind
    record["auto"] = out.auto
    record["queued"] = queued_at.isoformat()
    record["from"] = out.sender.email
    record["to"] = [p.email for p in out.to]
    record["cc"] = [p.email for p in out.cc]
    record["subject"] = out.subject
    files = {
        f"{outbox.OUTBOX}/{key}.eml": raw,
        f"{outbox.OUTBOX}/{key}.yaml": yamlio.dump(record),
    }
    return QueuedMail(out.message_id, files, [(QUEUED_TRAILER, out.message_id)])


def queue_reply(
    desk: Desk, ticket: Ticket, text: str, when: datetime, author: str = ""
) -> QueuedMail | None:
    """An agent's public reply as mail to the ticket's requester (and Cc), answering the
    customer's last message; None when the desk sends no mail (no `mail.address`) or the
    ticket has no one to write to."""
    desk_address = _desk_address(desk)
    if desk_address is None:
        return None
    people = _recipients(desk, ticket, desk_address)
    if people is None:
        return None
    to, cc = people
    parent = _customer_last_message(ticket)
    out = Outgoing(
        kind="reply",
        sender=Party(desk_address, author),
        to=(to,),
        cc=cc,
        subject=subject_for(ticket.id, ticket.title or "", reply=True),
        body=text,
        message_id=new_message_id(domain_of(desk_address), ticket.id),
        date=when,
        in_reply_to=parent,
        references=_thread_ids(ticket),
    )
    return _queue(ticket, out, when)


def queue_ack(
    tx: Transaction,
    desk: Desk,
    ticket: Ticket,
    *,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    description: str | None = None,
) -> QueuedMail | None:
    """The acknowledgement of a new e-mail ticket, for the intake's own commit.

    None when nothing is queued: `mail.acknowledge` is off, the desk has no
    `mail.address`, the ticket has no requester, the requester is a machine, or the
    requester already had `mail.max_auto_per_day` automatic messages today."""
    settings = desk.config.mail
    if not settings.acknowledge:
        return None
    desk_address = _desk_address(desk)
    if desk_address is None:
        return None
    people = _recipients(desk, ticket, desk_address)
    if people is None:
        return None
    to, _ = people
    when = tx.author.when
    if _auto_sent_today(desk, tx.head, when, to.email, queued=True) >= settings.max_auto_per_day:
        return None
    body = ack_text(desk, tx.head, ticket, to.name, when, description)
    out = Outgoing(
        kind="ack",
        sender=Party(desk_address),
        # Only the requester: the people in copy did not write to us, and an automatic
        # message to each of them would be noise at best.
        to=(to,),
        cc=(),
        subject=subject_for(ticket.id, ticket.title or "", reply=False),
        body=body,
        message_id=new_message_id(domain_of(desk_address), ticket.id),
        date=when,
        in_reply_to=in_reply_to,
        references=(*references, *([in_reply_to] if in_reply_to else [])),
    )
    return _queue(ticket, out, when)


def customer_language(desk: Desk, customer: str | None) -> str:
    """The customer's language when the configuration names one we have a template for
    (ru, uk, en), else en."""
    found = desk.config.customers.get(str(customer))
    language = str(getattr(found, "language", "") or "").lower()
    return language if language in LANGUAGES else "en"


def first_response_due(desk: Desk, ticket: Ticket, created: datetime) -> datetime | None:
    """When the first response to a ticket created at `created` is due under its plan."""
    from supportctl.sla.engine import ATTRS, evaluate
    from supportctl.storage.clocks import make_policy

    attrs = {name: ticket.value(name) for name in ATTRS if name != "channel"}
    event = Event(
        sha="",
        ticket=ticket.id,
        action="new",
        at=created,
        committed=created,
        author="",
        email="",
        changes={k: (None, v) for k, v in attrs.items() if v is not None},
        details={"channel": str(ticket.channel or "email")},
    )
    try:
        result = evaluate(ticket.id, [event], make_policy(desk.config), created)
    except SupportctlError:
        return None
    clock = result.clocks.get("first_response")
    return clock.due if clock is not None and clock.target_seconds is not None else None


def kb_articles(desk: Desk, rev: str | None, title: str, text: str) -> list[dict[str, str]]:
    """Up to three KB articles that match the request (title first)."""
    from supportctl.storage.catalog import SUGGEST_MIN_SHARE, load_kb

    if rev is None:
        return []
    try:
        hits = load_kb(desk, rev).search(f"{title}\n{text}", 3, highlight=("", ""))
    except SupportctlError:
        return []  # a broken KB file is `validate`'s to report, not a reason to stay silent
    hits = [h for h in hits if h.score >= SUGGEST_MIN_SHARE * hits[0].score] if hits else []
    return [{"slug": h.slug, "title": h.title, "snippet": h.snippet} for h in hits]


def ack_text(
    desk: Desk,
    rev: str | None,
    ticket: Ticket,
    name: str,
    created: datetime,
    description: str | None = None,
) -> str:
    """The acknowledgement's body: `templates/mail/ack.<lang>.txt.j2` of the support repo
    at `rev`, else the packaged one, rendered in the report templates' sandbox."""
    from supportctl.storage.templates import RepoTemplates, render

    zone = ZoneInfo(desk.config.timezone)
    due = first_response_due(desk, ticket, created)
    language = customer_language(desk, ticket.customer)
    text = description if description is not None else ticket.description or ""
    return render(
        RepoTemplates(desk.git, rev),
        f"mail/ack.{language}.txt.j2",
        {},
        ticket_id=ticket.id,
        title=ticket.title or "",
        customer_name=name,
        due=due.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if due else None,
        articles=kb_articles(desk, rev, ticket.title or "", text),
        address=desk.config.mail.address,
    )


def _day(when: datetime, zone: ZoneInfo) -> tuple[float, float]:
    local = when.astimezone(zone)
    start = datetime(local.year, local.month, local.day, tzinfo=zone)
    end = (start + timedelta(days=1)).replace(tzinfo=zone)
    return start.timestamp(), end.timestamp()


def _auto_sent_today(
    desk: Desk, rev: str | None, when: datetime, address: str, *, queued: bool = False
) -> int:
    """Automatic messages to `address` sent on `when`'s day (the desk's time zone); with
    `queued`, those still waiting in the outbox too."""
    start, end = _day(when, ZoneInfo(desk.config.timezone))
    return sum(
        1
        for auto, outcome, sent, to in outbox.outgoing(desk, rev)
        if auto
        and address in to
        and ((outcome in COUNTED and start <= sent < end) or (queued and outcome == "queued"))
    )


# -- sending ------------------------------------------------------------------------------
@dataclass
class _Queued:
    key: str
    paths: dict[str, str]  # .eml / .yaml -> path in the repo
    record: dict[str, Any]
    raw: bytes | None
    problem: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()

    @property
    def message_id(self) -> str:
        value = self.record.get("message_id")
        return value if isinstance(value, str) and is_message_id(value) else f"<{self.key}@outbox>"

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.to, *self.cc)))

    @property
    def ticket(self) -> str | None:
        value = self.record.get("ticket")
        return str(value) if value else None

    @property
    def kind(self) -> str:
        return str(self.record.get("kind") or "reply")


def _addresses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for item in value:
        try:
            out.append(check_email(str(item)))
        except SupportctlError:
            continue
    return tuple(out)


def _read_queue(desk: Desk, rev: str | None) -> list[_Queued]:
    """The outbox at `rev`, oldest first; an entry that cannot be sent as it is carries
    its `problem` (it stays queued and is reported on every run)."""
    files = outbox.outbox_files(desk.git, rev)
    blobs = desk.git.blobs(b for pair in files.values() for _, b in pair.values())
    out = []
    for key, pair in files.items():
        paths = {ext: path for ext, (path, _) in pair.items()}
        record: dict[str, Any] = {}
        problem = None
        if ".yaml" in pair:
            try:
                loaded = yamlio.load_plain(blobs.get(pair[".yaml"][1], b""))
            except (yamlio.YamlProblem, ValueError) as exc:
                loaded, problem = None, f"{pair['.yaml'][0]}: cannot read it ({exc})"
            if isinstance(loaded, dict):
                record = loaded
            elif problem is None:
                problem = f"{pair['.yaml'][0]}: not a mapping"
        else:
            problem = f"{outbox.OUTBOX}/{key}.yaml is missing"
        raw = blobs.get(pair[".eml"][1]) if ".eml" in pair else None
        if raw is None and problem is None:
            problem = f"{outbox.OUTBOX}/{key}.eml is missing"
        item = _Queued(
            key,
            paths,
            record,
            raw,
            problem,
            _addresses(record.get("to")),
            _addresses(record.get("cc")),
        )
        if item.problem is None and not item.to:
            item.problem = f"{outbox.OUTBOX}/{key}.yaml: no recipient in `to`"
        out.append(item)
    out.sort(key=lambda q: (str(q.record.get("queued") or ""), q.key))
    return out


def _suppressed(desk: Desk, item: _Queued, sent_today: dict[str, int]) -> str | None:
    """Why `item` must not go out, or None."""
    if is_machine_address(item.to[0]):
        return f"{item.to[0]} is a machine address"
    limit = desk.config.mail.max_auto_per_day
    if item.record.get("auto") is True:
        for address in item.addresses:
            if sent_today.get(address, 0) >= limit:
                return f"{address} had {limit} automatic messages today (mail.max_auto_per_day)"
    return None


def send(desk: Desk, transport: Transport | None, *, dry_run: bool = False) -> list[SendResult]:
    """Deliver the outbox; return what happened to each queued message.

    Sent messages (and suppressed ones, with their reason) leave the queue in one commit
    whose `commit` every result carries; a failed one stays queued, unless the server
    refused it for good (5xx to its recipients or its data): that one leaves the queue in
    the same commit, recorded `failed` with the server's answer (`commit` set, see
    `SendResult.still_queued`). `dry_run` sends and writes nothing (no transport is
    needed)."""
    if not dry_run and transport is None:
        raise ConfigError("mail send: no SMTP server configured (mail.smtp)")
    with outbox.send_lock(desk.git):
        head = desk.git.head()
        queue = _read_queue(desk, head)
        journal = outbox.SendJournal(desk.git)
        marks = journal.states()
        queued_keys = {q.key for q in queue}
        # a mark whose message left the queue was committed by a run that stopped before it
        # could clear it
        stale = [(k, mid) for k, (_, mid) in marks.items() if k not in queued_keys]
        if stale and not dry_run:
            journal.finish(stale)
        now = desk.git.identity().when
        zone = ZoneInfo(desk.config.timezone)
        start, end = _day(now, zone)
        sent_today: dict[str, int] = {}
        for auto, outcome, sent, to in outbox.outgoing(desk, head):
            if auto and outcome in COUNTED and start <= sent < end:
                for address in to:
                    sent_today[address] = sent_today.get(address, 0) + 1
        desk_address = _desk_address(desk)
        results: list[SendResult] = []
        done: list[tuple[_Queued, SendResult, dict[str, str]]] = []  # to record
        down: str | None = None
        for item in queue:
            result = SendResult(item.message_id, item.ticket, item.kind, item.addresses, "failed")
            results.append(result)
            if item.problem:
                result.detail = item.problem
                continue
            mark = marks.get(item.key)
            if mark is not None:
                result.outcome = "sent" if mark[0] == "accepted" else "uncertain"
                if dry_run:
                    result.outcome = f"would-record-{result.outcome}"
                result.detail = (
                    "taken by the server in a run that stopped before its commit; not sent again"
                    if mark[0] == "accepted"
                    else "a run stopped while sending it: the server may or may not have "
                    "taken it; not sent again"
                )
                if not dry_run:
                    done.append((item, result, {}))
                continue
            reason = _suppressed(desk, item, sent_today)
            if reason:
                result.outcome = "would-suppress" if dry_run else "suppressed"
                result.detail = reason
                if not dry_run:
                    done.append((item, result, {}))
                continue
            if dry_run:
                result.outcome = "would-send"
                continue
            if down is not None:
                result.detail = down
                continue
            assert transport is not None
            assert item.raw is not None
            sender = desk_address or str(item.record.get("from") or "")
            recipients = [a for a in item.addresses if not is_machine_address(a)]
            journal.mark(item.key, "sending", item.message_id)
            try:
                refused = transport.send(sender, recipients, wire_bytes(item.raw))
            except SendFailed as exc:
                journal.finish([(item.key, item.message_id)])
                result.detail = exc.message
                if exc.connection:
                    down = exc.message
                elif exc.permanent:
                    # queued, it would be refused on every run for ever: out of the queue
                    # into a record that says why, for a person to write again another way
                    done.append((item, result, {}))
                continue
            journal.mark(item.key, "accepted", item.message_id)
            result.outcome = "sent"
            if refused:
                result.detail = "refused: " + "; ".join(f"{a} ({r})" for a, r in refused.items())
            if item.record.get("auto") is True:
                for address in recipients:
                    if address not in refused:
                        sent_today[address] = sent_today.get(address, 0) + 1
            done.append((item, result, refused))
        if done:
            sha = _record(desk, done)
            for _, result, _ in done:
                result.commit = sha
            journal.finish([(item.key, item.message_id) for item, _, _ in done])
        return results


def _record(desk: Desk, done: list[tuple[_Queued, SendResult, dict[str, str]]]) -> str:
    """One commit: each message out of the queue into its record, and each sent Message-ID
    on its ticket."""
    files: dict[str, bytes | None] = {}
    trailers: list[tuple[str, str]] = []
    by_ticket: dict[str, list[str]] = {}
    with transaction(desk) as tx:
        present = outbox.outbox_files(desk.git, tx.head)
        when = tx.author.when
        for item, result, refused in done:
            key = item.key
            folder = f"{outbox.MAIL_DIR}/{key[:2]}"
            if key in present:  # gone when another clone's send was synced meanwhile
                for path in item.paths.values():
                    files[path] = None
            if item.raw is not None:
                files[f"{folder}/{key}.eml"] = item.raw
            files[f"{folder}/{key}.yaml"] = _sent_record(item, result, refused, when)
            if result.outcome in ("sent", "uncertain") and item.ticket:
                by_ticket.setdefault(item.ticket, []).append(item.message_id)
            trailers.append(("Message-Id", item.message_id))
        tickets = []
        for ticket_id, ids in by_ticket.items():
            try:
                path, data = desk.load_ticket_file(ticket_id)
            except (NotFound, DataError):
                continue  # the record still names it; the mail went out all the same
            known = data.ticket.message_ids
            data.update(
                replace(data.ticket, message_ids=(*known, *[i for i in ids if i not in known]))
            )
            files[path] = data.dump()
            tickets.append(ticket_id)
        counts: dict[str, int] = {}
        for _, result, _ in done:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        what = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        subject = f"mail: {what}" + (f" ({short(', '.join(tickets), 40)})" if tickets else "")
        all_trailers = [("Ticket", t) for t in tickets] + [("Action", SENT)] + trailers
        return tx.commit(Change(subject, all_trailers, files))


def _sent_record(
    item: _Queued, result: SendResult, refused: dict[str, str], when: datetime
) -> bytes:
    record = CommentedMap()
    went = result.outcome not in ("suppressed", "failed")
    values: dict[str, Any] = {
        "message_id": item.message_id,
        "direction": "out",
        "ticket": item.ticket,
        "kind": item.kind,
        "auto": item.record.get("auto") is True,
        "outcome": result.outcome,
        "reason": result.detail if result.outcome != "sent" else None,
        "queued": item.record.get("queued"),
        # when it went out; a suppressed or refused one never did: when that was decided
        "sent": when.astimezone(UTC).isoformat() if went else None,
        "decided": None if went else when.astimezone(UTC).isoformat(),
        "from": item.record.get("from"),
        "to": list(item.to),
        "cc": list(item.cc),
        "refused": dict(refused) or None,
        "subject": item.record.get("subject"),
    }
    for key in RECORD_KEYS:
        if values.get(key) not in (None, [], {}):
            record[key] = values[key]
    return yamlio.dump(record)
