"""Outgoing mail as `email.message.EmailMessage` objects, built from structured headers.

Every header goes through `email.headerregistry` under the SMTP policy, never through
string concatenation: names and subjects are RFC 2047-encoded when they are not ASCII,
and a line break in a customer's name or a ticket's title becomes a space before it
reaches a header, so no text from a ticket can start a header of its own (`Bcc:`).
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import secrets
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from typing import TYPE_CHECKING

from supportctl.domain.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

# An agent's reply goes out as written; acknowledgements and notices are automatic and
# say so (RFC 3834 and Microsoft's header), so that a customer's auto-responder does not
# answer them and start a loop.
KINDS = ("reply", "ack", "notice")
AUTOMATIC = frozenset({"ack", "notice"})

# What the stored .eml is written with: LF line ends (a text file in the repo); the SMTP
# client turns them into CRLF on the wire.
STORE_POLICY = email.policy.SMTP.clone(linesep="\n", max_line_length=78)

# A Message-ID as we accept it from a stored record or an inbound mail: angle brackets,
# no white space, no angle brackets inside, nothing that could end a header.
_MSGID = re.compile(r"^<[^<>\s\x00-\x1f\x7f]{1,250}>$")
# A deliberately plain address check: one @, no white space or control characters, no
# characters that have a meaning in an address header. What passes is given to
# `Address(addr_spec=...)`, which parses it again.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,253}$")


@dataclass(frozen=True)
class Party:
    """A mailbox on a message: a display name (may be empty) and an address."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One message the desk sends, before it is turned into bytes."""

    kind: str  # reply | ack | notice
    sender: Party
    to: tuple[Party, ...]
    cc: tuple[Party, ...]
    subject: str
    body: str
    message_id: str
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()

    @property
    def auto(self) -> bool:
        return self.kind in AUTOMATIC

    @property
    def recipients(self) -> tuple[str, ...]:
        """Envelope recipients: To then Cc, each address once."""
        return tuple(dict.fromkeys(p.email for p in (*self.to, *self.cc)))


def one_line(text: str) -> str:
    """Text for a header: every control or line-separator character becomes a space and
    runs of white space one space, so the text can never end its header."""
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text).split())


def check_email(address: str, what: str = "address") -> str:
    """The address, lower-cased, or UsageError when it is not one plain mailbox."""
    value = address.strip().lower()
    if not _EMAIL.match(value) or ".." in value or value.endswith("."):
        raise UsageError(f"bad e-mail {what} {address!r}")
    return value


def is_message_id(value: str) -> bool:
    return bool(_MSGID.match(value))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def new_message_id(domain: str, ticket_id: str) -> str:
    """A fresh Message-ID in the desk's domain, naming the ticket (readable in a mail
    client's source view, and never the same twice)."""
    local = re.sub(r"[^A-Za-z0-9-]", "", ticket_id).lower() or "mail"
    return f"<{local}.{secrets.token_hex(12)}@{domain.lower()}>"


def subject_for(ticket_id: str, title: str, *, reply: bool) -> str:
    """`[SUP-42] <title>`, after `Re: ` on a reply."""
    subject = f"[{one_line(ticket_id)}] {one_line(title)}".rstrip()
    return f"Re: {subject}" if reply else subject


def thread_ids(
    in_reply_to: str | None, references: Sequence[str]
) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To and References as sent: only well-formed ids, each once, the one
    replied to last in References (RFC 5322 3.6.4)."""
    refs = [r for r in dict.fromkeys(references) if is_message_id(r)]
    parent = in_reply_to if in_reply_to and is_message_id(in_reply_to) else None
    if parent:
        refs = [r for r in refs if r != parent] + [parent]
    # A thread of hundreds of mails would make a header of kilobytes: the first one and
    # the latest ones are what mail clients thread by.
    if len(refs) > 20:
        refs = [refs[0], *refs[-19:]]
    return parent, tuple(refs)


def _address(party: Party) -> Address:
    email_ = check_email(party.email)
    local, _, domain = email_.rpartition("@")
    return Address(display_name=one_line(party.name), username=local, domain=domain)


def build(out: Outgoing) -> EmailMessage:
    """The message, every header structured; the body as UTF-8 quoted-printable, so it
    passes any server (no 8BITMIME needed) and keeps its line breaks."""
    if out.kind not in KINDS:
        raise UsageError(f"unknown kind of mail {out.kind!r}")
    if not out.to:
        raise UsageError("a message needs a recipient")
    if not is_message_id(out.message_id):
        raise UsageError(f"bad Message-ID {out.message_id!r}")
    msg = EmailMessage(policy=STORE_POLICY)
    msg["From"] = _address(out.sender)
    msg["To"] = [_address(p) for p in out.to]
    if out.cc:
        msg["Cc"] = [_address(p) for p in out.cc]
    msg["Subject"] = one_line(out.subject)
    msg["Date"] = email.utils.format_datetime(out.date)
    msg["Message-ID"] = out.message_id
    parent, refs = thread_ids(out.in_reply_to, out.references)
    if parent:
        msg["In-Reply-To"] = parent
    if refs:
        msg["References"] = " ".join(refs)
    if out.auto:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    body = out.body.replace("\r\n", "\n").replace("\r", "\n")
    msg.set_content(body if body.endswith("\n") else body + "\n", cte="quoted-printable")
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as stored in the repo (LF line ends)."""
    return msg.as_bytes(policy=STORE_POLICY)


def wire_bytes(stored: bytes) -> bytes:
    """A stored message as sent: every line end CRLF (the stored body is quoted-printable
    ASCII, so nothing else changes)."""
    return stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
