"""Where mail lives in the repo, and its records read back.

Every message that came in or went out is kept under `data/mail/`, sharded by the hash of
its Message-ID so no folder grows big: `data/mail/<hh>/<hash>.eml` (the raw bytes),
`<hash>.yaml` (its record: direction, ticket, outcome, ...) and `<hash>/<name>` (its
attachments). Whether a message was seen before, and which ticket a Message-ID belongs
to, is one read of one record at a commit: no index to keep in step.
"""

from __future__ import annotations

import hashlib
import re
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
    """A record as the file holds it: keys in the order given, text as it is.

    The same bytes as `yamlio.dump` gives, written here for what records hold (a flat
    mapping of text, numbers, lists of text and lists of flat mappings) where the style
    of every value is certain; anything else goes through `yamlio.dump`."""
    lines: list[str] = []
    for key, value in record.items():
        if not _emit(lines, "", key, value):
            return yamlio.dump(record)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _emit(lines: list[str], indent: str, key: Any, value: Any) -> bool:
    if not (isinstance(key, str) and _KEY.fullmatch(key)):
        return False
    if isinstance(value, list):
        if not value:
            lines.append(f"{indent}{key}: []")
            return True
        lines.append(f"{indent}{key}:")
        for item in value:
            if isinstance(item, dict):
                if not item:
                    return False
                first = len(lines)
                for k, v in item.items():
                    if isinstance(v, (list, dict)) or not _emit(lines, indent + "    ", k, v):
                        return False
                lines[first] = f"{indent}  - {lines[first][len(indent) + 4 :]}"
                continue
            text = _scalar(item)
            if text is None:
                return False
            lines.append(f"{indent}  - {text}")
        return True
    text = _scalar(value)
    if text is None:
        return False
    lines.append(f"{indent}{key}: {text}" if text else f"{indent}{key}:")
    return True


def _scalar(value: Any) -> str | None:
    """How `yamlio.dump` writes `value`, when that is certain; None otherwise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if not value:
        return "''"
    if _TIMESTAMP.fullmatch(value):
        return f"'{value}'"
    if not _TEXT.fullmatch(value) or value[0] == " " or value[-1] == " ":
        return None
    if value[0] in "-?:" or any(c in value for c in "[]{}"):
        return None
    if ": " in value or " #" in value or value[-1] == ":" or value[0] in _INDICATORS:
        return None if "'" in value else f"'{value}'"
    if value[0] in "+-.0123456789" or value.lower() in _WORDS:
        return None  # what YAML could read as a number, a boolean or null
    return value


_KEY = re.compile(r"[a-z][a-z_]*")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")
# Printable text of the scripts mail comes in, on one line: nothing a YAML writer escapes.
_TEXT = re.compile(
    "[ -~\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u2013\u2014\u2018-\u201e\u2026\u00ab\u00bb\u2116]+"
)
_INDICATORS = frozenset("#,&*!|>'\"%@`")
_WORDS = frozenset(
    ("true", "false", "null", "~", "yes", "no", "on", "off", "y", "n", "=", "<<", ".inf", ".nan")
)


def ticket_of_record(record: dict[str, Any] | None) -> str | None:
    if not record:
        return None
    ticket = record.get("ticket")
    return ticket if isinstance(ticket, str) and ticket else None
