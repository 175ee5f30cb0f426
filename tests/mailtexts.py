"""What the mail tests share: a desk configuration with customers' addresses and the mail
section, and messages written the way mail clients write them."""

from __future__ import annotations

from email.header import Header
from email.utils import formataddr
from typing import TYPE_CHECKING

from tests.helpers import CONFIG, git

if TYPE_CHECKING:
    from pathlib import Path

MAIL_CONFIG = (
    CONFIG.replace(
        "    credits: {per_breach: 2%, cap: 15%}\n",
        "    credits: {per_breach: 2%, cap: 15%}\n"
        "    domains: [acme.example]\n"
        "    contacts:\n"
        "      - {email: ivan@acme.example, name: Иван Петров, reports: true}\n",
        1,
    ).replace(
        "    name: Globex\n    plan: standard\n",
        "    name: Globex\n    plan: standard\n    domains: [globex.example]\n",
        1,
    )
    + "mail:\n"
    "  address: support@desk.example\n"
    "  reopen_days: 14\n"
    "  max_attachment_bytes: 1KiB\n"
)
DESK = "support@desk.example"


def use_mail_config(root: Path, text: str = MAIL_CONFIG) -> None:
    (root / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(root, "commit", "-qm", "Mail configuration", "supportctl.yaml")


def message(
    sender: str = "ivan@acme.example",
    subject: str = "VPN does not connect",
    body: str = "Hello,\n\nthe VPN fails since this morning.\n",
    *,
    message_id: str | None = "<m1@acme.example>",
    name: str = "Иван Петров",
    to: str = DESK,
    cc: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
) -> bytes:
    """One plain-text message, headers encoded as a mail client would (RFC 2047)."""
    lines = [
        f"From: {formataddr((name, sender), charset='utf-8')}",
        f"To: {to}",
        f"Subject: {Header(subject, 'utf-8').encode()}",
        "Date: Mon, 05 Oct 2026 09:55:00 +0300",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: 8bit",
    ]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if cc:
        lines.append(f"Cc: {cc}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    head = "\r\n".join(lines).encode("ascii")
    return head + b"\r\n\r\n" + body.replace("\n", "\r\n").encode(charset)


def with_attachment(raw_text: str, name: str, data: bytes, *, message_id: str) -> bytes:
    """A multipart message: `raw_text` and one base64 attachment."""
    import base64

    boundary = "b0undary"
    payload = base64.encodebytes(data).decode("ascii")
    return (
        "From: Ivan <ivan@acme.example>\r\n"
        f"To: {DESK}\r\n"
        "Subject: Screenshot\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{raw_text}\r\n"
        f"--{boundary}\r\n"
        f'Content-Type: application/octet-stream; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{payload}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
