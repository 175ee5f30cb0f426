"""The quarantine: messages the intake could not read or place, each kept with the reason
(`data/mail/quarantine/<hash>.eml` and `.yaml`), until a person accepts one into a ticket
or drops it. Each decision is one commit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import MailError, NotFound, UsageError
from supportctl.ops.mail.intake import IngestResult, place_quarantined, read_mail
from supportctl.ops.mail.records import QUARANTINE_DIR, MailPaths, read_yaml, record_bytes
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

QUARANTINE_DROP = "quarantine-drop"
SHORT_ID = 12  # how many characters of a message's hash `list` shows


@dataclass(frozen=True)
class QuarantinedMail:
    """One quarantined message. `id` is the hash it is stored under; any unique prefix
    of it names it on the command line."""

    id: str
    message_id: str
    reason: str
    received: str
    sender: str
    subject: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "reason": self.reason,
            "received": self.received,
            "from": self.sender,
            "subject": self.subject,
        }


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)


def list_quarantine(desk: Desk, rev: str = "HEAD") -> list[QuarantinedMail]:
    """Every quarantined message at `rev`, oldest first."""
    found = []
    for path, _ in desk.git.ls_tree(QUARANTINE_DIR, rev):
        if not path.endswith(".yaml") or path.count("/") != 3:
            continue
        record = read_yaml(desk, rev, path) or {}
        if record.get("dropped"):
            continue  # a dropped message's tombstone: it keeps the Message-ID seen
        found.append(
            QuarantinedMail(
                id=path.rsplit("/", 1)[1].removesuffix(".yaml"),
                message_id=_text(record, "message_id"),
                reason=_text(record, "reason"),
                received=_text(record, "received"),
                sender=_text(record, "from"),
                subject=_text(record, "subject"),
            )
        )
    return sorted(found, key=lambda q: (q.received, q.id))


def find(desk: Desk, ref: str) -> QuarantinedMail:
    """The quarantined message whose id starts with `ref` (or whose Message-ID is `ref`)."""
    key = ref.strip().lower()
    every = list_quarantine(desk)
    exact = [q for q in every if ref.strip() == q.message_id]
    matches = exact or ([q for q in every if q.id.startswith(key)] if len(key) >= 4 else [])
    if not matches:
        raise NotFound(f"no quarantined message {ref!r} (see `supportctl mail quarantine list`)")
    if len(matches) > 1:
        raise UsageError(f"{ref!r} names {len(matches)} quarantined messages; give more of its id")
    return matches[0]


def accept(
    desk: Desk,
    ref: str,
    *,
    ticket: str | None = None,
    new: bool = False,
    customer: str | None = None,
) -> IngestResult:
    """Take a quarantined message in: onto `ticket`, or (`new`) as a new ticket for
    `customer` (default: the sender's). One commit, which also removes it from the
    quarantine."""
    if (ticket is None) == (not new):
        raise UsageError("accept needs --ticket ID or --new (one of the two)")
    if customer and not new:
        raise UsageError("--customer goes with --new")
    tid = desk.ticket_id(ticket) if ticket else None
    if customer:
        desk.config.customer(customer)
    held = find(desk, ref)
    paths = MailPaths(held.id)
    with transaction(desk) as tx:
        raw = desk.git.file_at(tx.head or "HEAD", paths.quarantined_eml)
        if raw is None:
            raise NotFound(f"{paths.quarantined_eml} is missing; drop the message")
        try:
            mail = read_mail(desk, raw)
        except MailError as exc:
            raise UsageError(
                f"{held.id[:SHORT_ID]} cannot be read as an e-mail message ({exc.message}); "
                "drop it, or read it in the repo"
            ) from None
        if tid is not None:
            desk.load_ticket_file(tid)  # NotFound for an unknown ticket
        remove: dict[str, bytes | None] = {
            paths.quarantined_eml: None,
            paths.quarantined_record: None,
        }
        if mail.message_id != held.message_id:
            # stored under another name (its ID was made from its bytes): keep that name
            mail = replace(mail, message_id=held.message_id)
        return place_quarantined(desk, tx, mail, remove, ticket=tid, customer=customer)


def drop(desk: Desk, ref: str) -> str:
    """Remove a quarantined message (it stays in history); the commit. Its record stays
    as a tombstone (`dropped`, `by`), so the same message delivered again is a duplicate
    rather than a new quarantine commit each time."""
    held = find(desk, ref)
    paths = MailPaths(held.id)
    with transaction(desk) as tx:
        record = read_yaml(desk, tx.head or "HEAD", paths.quarantined_record) or {}
        tombstone: dict[str, Any] = {"message_id": held.message_id}
        tombstone.update({k: v for k, v in record.items() if k != "message_id"})
        tombstone["dropped"] = tx.author.when.isoformat()
        tombstone["by"] = tx.author.email or tx.author.name
        change = Change(
            f"drop quarantined mail: {short(held.subject or held.message_id, 60)}",
            [("Action", QUARANTINE_DROP), ("Message-Id", held.message_id)],
            {paths.quarantined_eml: None, paths.quarantined_record: record_bytes(tombstone)},
        )
        return tx.commit(change)
