"""Where mail lives in the repo, and its records read back.

Every message that came in or went out is kept under `data/mail/`, sharded by the hash of
its Message-ID so no folder grows big: `data/mail/<hh>/<hash>.eml` (the raw bytes),
`<hash>.yaml` (its record: direction, ticket, outcome, ...) and `<hash>/<name>` (its
attachments). Whether a message was seen before, and which ticket a Message-ID belongs
to, is one read of one record at a commit: no index to keep in step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

MAIL_DIR = "data/mail"
QUARANTINE_DIR = f"{MAIL_DIR}/quarantine"
HASH_CHARS = 40


def mail_hash(message_id: str) -> str:
    """The name a message is stored under: sha256 of its Message-ID (as written, with <>)."""
    return hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class MailPaths:
    """The files of one stored message."""

    hash: str

    @property
    def folder(self) -> str:
        return f"{MAIL_DIR}/{self.hash[:2]}"

    @property
    def eml(self) -> str:
        return f"{self.folder}/{self.hash}.eml"

    @property
    def record(self) -> str:
        return f"{self.folder}/{self.hash}.yaml"

    def attachment(self, name: str) -> str:
        return f"{self.folder}/{self.hash}/{name}"

    @property
    def quarantined_eml(self) -> str:
        return f"{QUARANTINE_DIR}/{self.hash}.eml"

    @property
    def quarantined_record(self) -> str:
        return f"{QUARANTINE_DIR}/{self.hash}.yaml"


def paths_of(message_id: str) -> MailPaths:
    return MailPaths(mail_hash(message_id))


def read_yaml(desk: Desk, rev: str, path: str) -> dict[str, Any] | None:
    """A record at `rev`: None when there is none; {} when it cannot be read (it exists,
    which is what deduplication needs to know)."""
    content = desk.git.file_at(rev, path)
    if content is None:
        return None
    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem:
        return {}
    return data if isinstance(data, dict) else {}


def record_of(desk: Desk, rev: str, message_id: str) -> dict[str, Any] | None:
    """The record of a stored message (in or out), None when it was never stored."""
    return read_yaml(desk, rev, paths_of(message_id).record)


def record_bytes(record: dict[str, Any]) -> bytes:
    """A record as the file holds it: keys in the order given, text as it is."""
    return yamlio.dump(record)


def ticket_of_record(record: dict[str, Any] | None) -> str | None:
    if not record:
        return None
    ticket = record.get("ticket")
    return ticket if isinstance(ticket, str) and ticket else None
