"""Mail in: each message becomes one commit (a new ticket, an entry on one, an internal note
for machine mail) or goes to the quarantine, never nowhere.

For one message, in this order:
1. Read it (`domain.mail.parse_mail`); bytes that are no message are quarantined.
2. Seen before (its record, or its quarantined copy, exists at HEAD): `duplicate`, no commit.
3. Machine mail (auto-replies, bounces, our own mail coming back): an internal note on the
   ticket whose Message-ID it quotes, else quarantined. It never opens or reopens a ticket.
4. Threading: In-Reply-To/References against the Message-IDs we stored; then a `[SUP-42]`
   subject tag (an alias of a renumbered ticket too), taken only when the sender is on that
   ticket (its requester, a CC, or an address of its customer). A stranger quoting a number
   gets a new ticket linked `related` to it, never an entry on someone else's ticket.
5. On the ticket found: an entry (`customer-message`); `waiting` goes back to
   `in_progress`; `resolved` reopens within `mail.reopen_days`, else, like `closed`, the
   message opens a new ticket linked `related`.
6. No ticket: a new one for the sender's customer (`mail.unknown_sender` for a sender no
   customer claims; `quarantine` there quarantines it).

The raw message, its record and its attachments are committed with the ticket change
(see `records`). A lock held too long, a disk or git failure is `TemporaryFailure` (exit
75 for an MTA: try again); nothing is committed then.
"""

from __future__ import annotations

import contextlib
import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import (
    DataError,
    GitError,
    MailError,
    NotFound,
    SupportctlError,
    TemporaryFailure,
    UsageError,
)
from supportctl.domain.ids import is_ticket_id, ticket_path
from supportctl.domain.mail import clean_subject, fallback_message_id, parse_mail, subject_tags
from supportctl.domain.ticket import (
    MAX_TEXT,
    MAX_TITLE,
    TICKET_KEYS,
    Comment,
    Links,
    Ticket,
    TicketFile,
    check_text,
    clean_line,
)
from supportctl.ops.commits import (
    CUSTOMER_MESSAGE,
    EFFECT_ENTRY,
    EFFECT_NEW,
    EFFECT_REOPEN,
    REOPEN_REASON,
    check_room,
    commit_action,
    customer_message_effect,
    with_customer_message,
)
from supportctl.ops.mail.records import (
    MailPaths,
    paths_of,
    read_yaml,
    record_bytes,
    record_of,
    ticket_of_record,
)
from supportctl.storage import safepath
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from supportctl.domain.mail import InboundMail
    from supportctl.storage.desk import Desk
    from supportctl.storage.transaction import Transaction

OUTCOMES = ("new", "entry", "duplicate", "machine", "quarantined")
MACHINE_MAIL = "machine-mail"
QUARANTINE = "quarantine"
# The trailer of a new ticket whose acknowledgement could not be made, with why.
ACK_FAILED = "Ack-Failed"
NEW_TYPE = "incident"
NEW_PRIORITY = "normal"
# A machine message's note keeps this much of its text: the raw message has the rest.
MACHINE_NOTE_CHARS = 2000
# The subject tags of one message looked at for threading (the first ones).
MAX_TAGS = 5


@dataclass(frozen=True)
class IngestResult:
    """What became of one message. `commit` is None for a duplicate."""

    message_id: str
    outcome: str  # one of OUTCOMES
    ticket: str | None
    commit: str | None
    reason: str | None = None
    # what went wrong beside the message itself (the acknowledgement), for stderr
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "outcome": self.outcome,
            "ticket": self.ticket,
            "commit": self.commit,
            "reason": self.reason,
        }


# A batch (an mbox, a Maildir) holds the desk's lock for this long at a time, so that it
# does not pay for the lock, HEAD and the identity per message, nor keep other commands
# waiting for long. Messages in one hold share the author date of its start.
BATCH_HOLD_SECONDS = 2.0


def ingest(
    desk: Desk,
    raws: Iterable[bytes],
    *,
    on_result: Callable[[IngestResult], None] | None = None,
    hold_seconds: float = BATCH_HOLD_SECONDS,
) -> list[IngestResult]:
    """Take in each message, one commit each (none for a duplicate). `on_result` hears of
    each as it is done, so a batch stopped by a TemporaryFailure has told what it did."""
    results: list[IngestResult] = []
    numbers = _Numbers()
    messages = iter(raws)
    raw = next(messages, None)
    while raw is not None:
        with temporary_failures(), transaction(desk, batch=True) as tx:
            until = time.monotonic() + hold_seconds
            while raw is not None:
                result = _ingest_in(desk, tx, raw, numbers)
                if result.commit is not None and numbers.commit is not None:
                    # an entry or a quarantine takes no number: the memo stays good
                    numbers.commit = result.commit
                results.append(result)
                if on_result is not None:
                    on_result(result)
                raw = next(messages, None)
                if time.monotonic() > until:
                    break
    return results


@dataclass
class _Numbers:
    """The last ticket number this batch handed out, and the commit that took it: while
    HEAD is still that commit, the next number follows without reading history again."""

    commit: str | None = None
    number: int = 0

    def next(self, desk: Desk, head: str | None) -> int:
        if head is None or head != self.commit:
            number = desk.max_ticket_number() + 1
        else:
            number = self.number + 1
            prefix = desk.config.id_prefix
            # a file somebody put in the work tree without committing it takes its number
            while (desk.root / ticket_path(f"{prefix}-{number}")).exists():
                number += 1
        return number


def read_mail(desk: Desk, raw: bytes) -> InboundMail:
    """MailError when the bytes are no message at all; any other failure of the reader
    becomes one too, so the message is quarantined rather than lost."""
    try:
        return parse_mail(raw, fallback_charsets=desk.config.mail.fallback_charsets)
    except MailError:
        raise
    except Exception as exc:  # a reader bug must not lose the message: it is quarantined
        raise MailError(f"the message could not be read ({type(exc).__name__}: {exc})") from None


def _ingest_in(desk: Desk, tx: Transaction, raw: bytes, numbers: _Numbers) -> IngestResult:
    try:
        mail = read_mail(desk, raw)
    except MailError as exc:
        mid = fallback_message_id(raw)
        if _seen(desk, tx.head, paths_of(mid)):
            return IngestResult(mid, "duplicate", None, None, "already in quarantine")
        return quarantine(tx, raw, mid, exc.message, None)
    return _Intake(desk, tx, mail, numbers).place()


@contextlib.contextmanager
def temporary_failures() -> Iterator[None]:
    """What is worth retrying as it is becomes TemporaryFailure (exit 75, which an MTA
    reads as "try again later"): the desk's lock held too long, the disk, git refusing
    for a state of the repo (a merge in progress, a lock file). The message itself is
    never the reason: what cannot be placed is quarantined."""
    try:
        yield
    except GitError as exc:  # a LockTimeout too
        raise TemporaryFailure(f"{exc.message} (the message was not taken in)") from None
    except OSError as exc:
        raise TemporaryFailure(
            f"cannot write the desk: {exc.strerror or exc} (the message was not taken in)"
        ) from None


def _seen(desk: Desk, rev: str | None, paths: MailPaths) -> bool:
    if rev is None:
        return False
    return desk.git.file_at(rev, paths.quarantined_record) is not None


def _now_text(tx: Transaction) -> str:
    return tx.author.when.isoformat()


def quarantine(
    tx: Transaction, raw: bytes, message_id: str, reason: str, mail: InboundMail | None
) -> IngestResult:
    """Keep a message that cannot be read or placed, with why, for a person to decide
    (`mail quarantine accept|drop`)."""
    paths = paths_of(message_id)
    record: dict[str, Any] = {
        "message_id": message_id,
        "reason": reason,
        "received": _now_text(tx),
    }
    if mail is not None:
        record["from"] = mail.sender.email
        record["subject"] = _one_line(mail.subject)
    change = Change(
        f"quarantine mail: {short(reason, 60)}",
        [("Action", QUARANTINE), ("Message-Id", message_id), ("Reason", reason)],
        {paths.quarantined_eml: raw, paths.quarantined_record: record_bytes(record)},
    )
    sha = tx.commit(change)
    return IngestResult(message_id, "quarantined", None, sha, reason)


def _one_line(text: str) -> str:
    return " ".join(_printable(text).split())


def _printable(text: str) -> str:
    """Text a ticket file can hold: no NUL, no lone surrogates (undecodable bytes)."""
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn")
    )


def title_of(mail: InboundMail, prefix: str | None = None) -> str:
    """The ticket title: the subject without Re:/Fwd: and the like, and without our own
    `[PREFIX-N]` tags (a new ticket quoting another must not look like it); `(no subject)`."""
    subject = mail.subject
    if prefix:
        tag = re.compile(rf"\[\s*{re.escape(prefix)}-\d+\s*\]", re.IGNORECASE)
        subject = tag.sub(" ", subject)
    text = _one_line(clean_subject(_one_line(subject)))[:MAX_TITLE]
    try:
        return clean_line(text, what="title", one_line=True) if text else "(no subject)"
    except UsageError:
        return "(no subject)"


def body_of(mail: InboundMail, paths: MailPaths) -> str:
    """The entry's text: the new part of the message (quotes and signature trimmed), or
    the whole body when trimming left nothing; capped, pointing at the raw message."""
    text = _printable(mail.text).strip() or _printable(mail.full_text).strip()
    if not text:
        text = "(no text)"
    limit = MAX_TEXT - 200
    if len(text) > limit:
        text = text[:limit].rstrip() + f"\n\n[…] (the whole message: {paths.eml})"
    return check_text(text, what="message")


def _display(mail: InboundMail) -> str:
    name = _one_line(mail.sender.name)
    return f"{name} <{mail.sender.email}>" if name else mail.sender.email


@dataclass
class _Stored:
    """The files that keep a message, and what its record says."""

    files: dict[str, bytes | None] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


class _Intake:
    """One message placed under one transaction."""

    def __init__(
        self, desk: Desk, tx: Transaction, mail: InboundMail, numbers: _Numbers | None = None
    ) -> None:
        self.desk = desk
        self.numbers = numbers or _Numbers()
        self.tx = tx
        self.mail = mail
        self.config = desk.config
        self.settings = desk.config.mail
        self.paths = paths_of(mail.message_id)
        self.sender = mail.sender.email.lower()
        # other files of the same commit (a quarantined copy that `accept` removes)
        self.extra: dict[str, bytes | None] = {}
        # former IDs -> tickets, at a HEAD: read when a tag first needs it
        self._aliases: tuple[str, dict[str, list[str]]] | None = None

    # -- the decision -----------------------------------------------------------------
    def place(self) -> IngestResult:
        mail, head = self.mail, self.tx.head
        if head is not None:
            existing = read_yaml(self.desk, head, self.paths.record)
            if existing is not None:
                return IngestResult(
                    mail.message_id, "duplicate", ticket_of_record(existing), None, "seen before"
                )
            held = read_yaml(self.desk, head, self.paths.quarantined_record)
            if held is not None:
                why = "dropped from the quarantine" if held.get("dropped") else None
                return IngestResult(
                    mail.message_id, "duplicate", None, None, why or "already in quarantine"
                )
        try:
            return self._place()
        except (DataError, UsageError, NotFound) as exc:
            # a ticket file broken by hand, a thread that is full: a person decides
            return quarantine(self.tx, mail.raw, mail.message_id, exc.message, mail)

    def machine(self) -> str | None:
        """What kind of machine mail this is ("own mail": ours coming back), or None."""
        if self.mail.machine is not None:
            return self.mail.machine
        if self.settings.address and self.sender == self.settings.address:
            return "own mail"
        return None

    def _place(self) -> IngestResult:
        mail = self.mail
        machine = self.machine()
        if machine is not None:
            quoted = (*mail.quoted_ids, *mail.in_reply_to, *reversed(mail.references))
            tid = self._threaded(quoted)
            if tid is None:
                return self._quarantine(f"{machine} that quotes no message of this desk")
            return self._machine_note(tid, machine)
        tid = self._threaded((*mail.in_reply_to, *reversed(mail.references)))
        related: str | None = None
        if tid is None:
            tid, related = self._tagged()
        if tid is not None:
            return self._on_ticket(tid)
        customer = self.config.customer_for_address(self.sender)
        if customer is None and self.settings.unknown_sender != "quarantine":
            customer = self.settings.unknown_sender
        if customer is None:
            return self._quarantine(f"unknown sender {self.sender} (no customer claims it)")
        return self._new_ticket(customer, related)

    def _quarantine(self, reason: str) -> IngestResult:
        return quarantine(self.tx, self.mail.raw, self.mail.message_id, reason, self.mail)

    def _threaded(self, ids: Iterable[str]) -> str | None:
        """The ticket of the first of `ids` we stored (in or out) that still exists."""
        head = self.tx.head
        if head is None:
            return None
        for mid in dict.fromkeys(ids):
            tid = ticket_of_record(record_of(self.desk, head, mid))
            if tid and is_ticket_id(tid) and self._exists(tid):
                return tid
        return None

    def _exists(self, tid: str) -> bool:
        head = self.tx.head
        return head is not None and self.desk.git.file_at(head, ticket_path(tid)) is not None

    def _tagged(self) -> tuple[str | None, str | None]:
        """(the tagged ticket the sender is on, None), or (None, a tagged ticket the sender
        is a stranger to), or (None, None) without a usable tag."""
        prefix = self.config.id_prefix
        stranger: str | None = None
        # a subject stuffed with tags costs no more than a few
        for tag in subject_tags(self.mail.subject, prefix)[:MAX_TAGS]:
            candidates = [tag] if self._exists(tag) else []
            accepted = next((t for t in candidates if self._sender_on(self._ticket(t))), None)
            if accepted is None:
                aliased = self._aliased(tag)
                accepted = next((t for t in aliased if self._sender_on(self._ticket(t))), None)
                candidates += aliased
            if accepted is not None:
                return accepted, None
            if candidates and stranger is None:
                stranger = candidates[0]
        return None, stranger

    def _aliased(self, tag: str) -> list[str]:
        """Tickets that were once `tag` (renumbered by an offline clone's sync). The
        listing (through the desk's ticket cache) is read once per message, whatever
        the number of tags a stranger puts in the subject."""
        head = self.tx.head
        if head is None:
            return []
        if self._aliases is None or self._aliases[0] != head:
            views = self.desk.tickets(head, fields=("id", "aliases"))
            found: dict[str, list[str]] = {}
            for v in views:
                if v.error is None:
                    for alias in v.ticket.aliases:
                        found.setdefault(alias, []).append(v.id)
            self._aliases = (head, found)
        return list(self._aliases[1].get(tag, ()))

    def _ticket(self, tid: str) -> Ticket:
        return self.desk.load_ticket_file(tid)[1].ticket

    def _sender_on(self, ticket: Ticket) -> bool:
        """The sender is the ticket's requester or one of its CCs, or an address of its
        customer (a contact, or the customer's domain)."""
        sender = self.sender
        if sender == (ticket.requester or "").lower() or sender in {c.lower() for c in ticket.cc}:
            return True
        owner = self.config.customer_for_address(sender)
        return owner is not None and owner == ticket.customer

    # -- the changes --------------------------------------------------------------------
    def _store(self, ticket_id: str | None, outcome: str) -> _Stored:
        """The raw message, its attachments (each within the size cap and a safe path) and
        its record, as files of the commit."""
        mail, paths = self.mail, self.paths
        stored = _Stored()
        stored.files[paths.eml] = mail.raw
        cap = self.settings.max_attachment_bytes
        most = self.settings.max_attachments
        for att in mail.attachments:
            path = paths.attachment(att.name)
            reason = None
            if len(att.data) > cap:
                reason = f"larger than mail.max_attachment_bytes ({cap:,} bytes)"
            elif len(stored.attachments) >= most:
                reason = f"more than mail.max_attachments ({most}) in one message"
            else:
                try:
                    safepath.check(self.desk.root, path)
                except (SupportctlError, safepath.UnsafePath) as exc:
                    reason = f"cannot be stored under that name ({exc})"
            if reason is None:
                stored.files[path] = att.data
                stored.attachments.append(path)
            else:
                stored.skipped.append({"name": att.name, "bytes": len(att.data), "reason": reason})
        record: dict[str, Any] = {
            "message_id": mail.message_id,
            "direction": "in",
            "ticket": ticket_id,
            "outcome": outcome,
            "received": _now_text(self.tx),
            "from": self.sender,
            "to": [a.email for a in mail.to],
            "cc": [a.email for a in mail.cc],
            "subject": _one_line(mail.subject),
            "attachments": stored.attachments,
            "skipped_attachments": stored.skipped,
        }
        stored.files[paths.record] = record_bytes(record)
        stored.files.update(self.extra)
        return stored

    def _entry_text(self, stored: _Stored) -> str:
        text = body_of(self.mail, self.paths)
        if stored.skipped:
            lines = [
                f"- {s['name']} ({s['bytes']:,} bytes): not stored, {s['reason']}"
                for s in stored.skipped
            ]
            text += "\n\nAttachments not stored (they are in the raw message):\n" + "\n".join(lines)
        return text

    def _cc_of_mail(self) -> tuple[str, ...]:
        """Everyone the message went to but the desk and the sender: they stay in copy."""
        desk = self.settings.address
        found = [a.email.lower() for a in (*self.mail.to, *self.mail.cc)]
        return tuple(dict.fromkeys(a for a in found if a and a not in (desk, self.sender)))

    def _on_ticket(self, tid: str, *, chosen: bool = False) -> IngestResult:
        """The message as an entry on `tid`; `chosen` (by a person, from the quarantine):
        on that ticket whatever its status, and a resolved or closed one stays so."""
        path, data = self.desk.load_ticket_file(tid)
        ticket = data.ticket
        effect = EFFECT_ENTRY
        if not chosen:
            effect = customer_message_effect(self.desk, self.tx.head, ticket, self.tx.author.when)
        if effect == EFFECT_NEW:
            why = "closed" if ticket.status == "closed" else "resolved long ago"
            return self._new_ticket(ticket.customer or "", tid, why=why)
        stored = self._store(tid, "entry")
        entry = Comment(
            at=_now_text(self.tx),
            author=self.sender,
            from_customer=True,
            text=self._entry_text(stored),
            message_id=self.mail.message_id,
            attachments=tuple(stored.attachments),
        )
        after, moved = with_customer_message(ticket, entry)
        action, trailers = CUSTOMER_MESSAGE, []
        what = "customer message by mail"
        if effect == EFFECT_REOPEN:
            after = replace(after, status="in_progress")
            action, moved = "reopen", "resolved"
            trailers.append(("Reason", REOPEN_REASON))
            what = f"reopen: {REOPEN_REASON}"
        elif moved:
            what = f"customer message by mail ({moved} → {after.status})"
        cc = tuple(dict.fromkeys([*ticket.cc, *self._new_cc(ticket)]))
        after = replace(after, cc=cc, message_ids=(*ticket.message_ids, self.mail.message_id))
        data.update(after)
        content = data.dump()
        check_room(tid, path, action, content)
        change = Change(
            f"{what}: {short(entry.text or '', 40)}",
            [*trailers, ("Message-Id", self.mail.message_id)],
            {path: content, **stored.files},
        )
        result = commit_action(self.tx, tid, action, change, data.ticket, ticket)
        return IngestResult(self.mail.message_id, "entry", tid, result.commit)

    def _new_cc(self, ticket: Ticket) -> list[str]:
        """Addresses in copy that the ticket does not have yet, when its requester wrote:
        who the customer puts in copy hears the answers too."""
        if self.sender != (ticket.requester or "").lower():
            return []
        known = {ticket.requester or "", *ticket.cc}
        return [a for a in self._cc_of_mail() if a not in known]

    def _new_ticket(
        self, customer: str, related: str | None, why: str = "", *, acknowledge: bool = True
    ) -> IngestResult:
        """A new ticket with the message; `acknowledge`: queue the acknowledgement when the
        desk sends them (never for machine mail: a robot answered starts a loop)."""
        mail, tx, desk = self.mail, self.tx, self.desk
        self.config.customer(customer)  # NotFound (quarantined) for a ticket's stale customer
        number = self.numbers.next(desk, tx.head)
        tid = f"{self.config.id_prefix}-{number}"
        path = ticket_path(tid)
        if (desk.root / path).exists():
            raise GitError(f"{path} exists but is not committed; commit or remove it first")
        stored = self._store(tid, "new")
        description = self._entry_text(stored)
        if stored.attachments:
            description += "\n\nAttachments:\n" + "\n".join(f"- {p}" for p in stored.attachments)
        ticket = Ticket(
            id=tid,
            title=title_of(mail, self.config.id_prefix),
            customer=customer,
            type=NEW_TYPE,
            priority=NEW_PRIORITY,
            channel="email",
            reporter=clean_line(_display(mail), what="reporter"),
            requester=self.sender,
            cc=self._cc_of_mail(),
            status="new",
            line=self.config.lines[0],
            assignee=None,
            tags=(),
            created=_now_text(tx),
            description=description,
            links=Links(related=(related,)) if related else Links(),
            message_ids=(mail.message_id,),
        )
        keys = tuple(
            k
            for k in TICKET_KEYS
            if k in _NEW_KEYS
            or (k == "cc" and ticket.cc)
            or (k == "links" and related)
            or k == "message_ids"
        )
        file = TicketFile.new(replace(ticket, keys=keys))
        trailers = [("Channel", "email"), ("Message-Id", mail.message_id)]
        if related:
            trailers.append(("Link", f"related {related}"))
        after = f" (after {related}, {why})" if related and why else ""
        if related and not why:
            after = f" (quoting {related})"
        change = Change(
            f"new {NEW_TYPE} for {customer} by mail{after}: {short(ticket.title or '')}",
            trailers,
            {path: file.dump(), **stored.files},
        )
        warning = None
        if self.settings.acknowledge and acknowledge:
            from supportctl.ops.mail.outbound import queue_ack

            try:
                queued = queue_ack(
                    tx,
                    desk,
                    file.ticket,
                    in_reply_to=mail.message_id,
                    references=mail.references,
                    description=description,
                )
            except Exception as exc:  # a broken template must not cost the customer's ticket
                queued = None
                problem = exc.message if isinstance(exc, SupportctlError) else f"{exc!r}"
                warning = f"{tid}: no acknowledgement queued ({_one_line(problem)})"
                change.trailers.append((ACK_FAILED, _one_line(problem)[:200]))
            if queued is not None:
                change.files.update(queued.files)
                change.trailers += queued.trailers
        result = commit_action(tx, tid, "new", change, file.ticket, None)
        self.numbers.commit, self.numbers.number = result.commit, number
        return IngestResult(mail.message_id, "new", tid, result.commit, warning=warning)

    def _machine_note(self, tid: str, kind: str) -> IngestResult:
        path, data = self.desk.load_ticket_file(tid)
        ticket = data.ticket
        stored = self._store(tid, "machine")
        text = _printable(self.mail.full_text).strip()[:MACHINE_NOTE_CHARS] or "(no text)"
        note = Comment(
            at=_now_text(self.tx),
            author=self.sender or "mail",
            visibility="internal",
            text=check_text(
                f"{kind.capitalize()} from {self.sender}: {_one_line(self.mail.subject)}\n\n"
                f"{text}\n\n(the whole message: {self.paths.eml})",
                what="note",
            ),
            message_id=self.mail.message_id,
            attachments=tuple(stored.attachments),
        )
        after = replace(
            ticket,
            comments=(*ticket.comments, note),
            message_ids=(*ticket.message_ids, self.mail.message_id),
        )
        data.update(after)
        content = data.dump()
        check_room(tid, path, MACHINE_MAIL, content)
        change = Change(
            f"{kind} by mail: {short(_one_line(self.mail.subject), 40)}",
            [("Visibility", "internal"), ("Message-Id", self.mail.message_id)],
            {path: content, **stored.files},
        )
        result = commit_action(self.tx, tid, MACHINE_MAIL, change, data.ticket, ticket)
        return IngestResult(self.mail.message_id, "machine", tid, result.commit, kind)


def place_quarantined(
    desk: Desk,
    tx: Transaction,
    mail: InboundMail,
    remove: dict[str, bytes | None],
    *,
    ticket: str | None = None,
    customer: str | None = None,
) -> IngestResult:
    """A quarantined message put where a person says, removing its quarantined copy
    (`remove`) in the same commit: on `ticket` (an entry, or a note for machine mail), else
    a new ticket for `customer` (default: the sender's customer, then mail.unknown_sender)."""
    intake = _Intake(desk, tx, mail)
    intake.extra = dict(remove)
    machine = intake.machine()
    if ticket is not None:
        if machine is not None:
            return intake._machine_note(ticket, machine)
        return intake._on_ticket(ticket, chosen=True)
    owner = customer or desk.config.customer_for_address(intake.sender)
    if owner is None and desk.config.mail.unknown_sender != "quarantine":
        owner = desk.config.mail.unknown_sender
    if owner is None:
        raise UsageError(f"no customer claims {intake.sender}: give --customer")
    desk.config.customer(owner)
    # a tag it quoted links the new ticket, as it would have when no quarantine was in between
    accepted, stranger = intake._tagged()
    return intake._new_ticket(owner, stranger or accepted, acknowledge=machine is None)


# A new ticket by mail names what `supportctl new` names, and the mail fields it has.
_NEW_KEYS = frozenset(
    (
        "id",
        "title",
        "customer",
        "type",
        "priority",
        "channel",
        "reporter",
        "requester",
        "status",
        "line",
        "assignee",
        "tags",
        "created",
        "description",
    )
)
