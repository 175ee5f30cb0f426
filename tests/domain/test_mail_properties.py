"""Property tests of domain/mail.py: no input crashes it with anything but MailError, and
no message loses its bytes."""

from __future__ import annotations

import base64
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.domain.errors import MailError
from supportctl.domain.mail import (
    NAME_MAX_BYTES,
    InboundMail,
    clean_subject,
    parse_mail,
    safe_attachment_name,
    subject_tags,
    trim_reply,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHARSETS = ["utf-8", "koi8-r", "cp1251", "cp866", "latin-1", "iso-8859-7", "utf-16", "utf-7"]
LABELS = [
    *CHARSETS,
    *("koi8r", "win-1251", "x-mac-cyrillic", "unknown-8bit", "x-bogus", "", "base64"),
    *("undefined", "unicode_escape", "punycode", "utf-32"),
]
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Return-Path",
    "Auto-Submitted",
    "Precedence",
    "X-Anything",
]
CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/report; report-type=delivery-status",
    "message/rfc822",
    "message/delivery-status",
    "text/rfc822-headers",
    "application/octet-stream",
    "text",
    "/",
    "multipart/mixed; boundary=",
]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@st.composite
def encoded(draw: st.DrawFn) -> bytes:
    """Text as a message may carry it: raw in some charset, or as an RFC 2047 word with
    a label that may be wrong, unknown or broken."""
    value = draw(text)
    charset = draw(st.sampled_from(CHARSETS))
    data = value.encode(charset, errors="replace")
    how = draw(st.sampled_from(["raw", "b-word", "q-word", "broken-word", "bytes"]))
    label = draw(st.sampled_from(LABELS)).encode()
    if how == "b-word":
        return b"=?" + label + b"?B?" + base64.b64encode(data) + b"?="
    if how == "q-word":
        return b"=?" + label + b"?Q?" + data.hex().encode() + b"?="
    if how == "broken-word":
        return b"=?" + label + b"?B?" + base64.b64encode(data)[:-2] + b"?"
    if how == "bytes":
        return draw(st.binary(max_size=40))
    return data


@st.composite
def params(draw: st.DrawFn) -> bytes:
    pieces = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([b"charset", b"name", b"filename", b"boundary", b"x"]))
        style = draw(st.integers(0, 3))
        value = draw(encoded())
        if style == 0:
            pieces.append(b"; " + name + b'="' + value + b'"')
        elif style == 1:
            pieces.append(
                b"; "
                + name
                + b"*="
                + draw(st.sampled_from(LABELS)).encode()
                + b"''%D0%%"
                + value.hex().encode()
            )
        elif style == 2:
            pieces.append(b"; " + name + b"*0*=utf-8'ru'%D0%A1;\r\n " + name + b"*1=" + value)
        else:
            pieces.append(b"; " + name + b"=" + value)
    return b"".join(pieces)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(HEADER_NAMES)).encode()
        if name in (b"Content-Type", b"Content-Disposition"):
            kind = draw(st.sampled_from([*CONTENT_TYPES, "attachment", "inline"])).encode()
            value = kind + draw(params())
        else:
            value = draw(encoded())
        fold = draw(st.sampled_from([b"", b"\r\n ", b"\n\t", b"\r\n", b"\n"]))
        lines.append(name + b": " + value[: len(value) // 2] + fold + value[len(value) // 2 :])
    newline = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    body_parts = []
    for _ in range(draw(st.integers(0, 3))):
        header = b"Content-Type: " + draw(st.sampled_from(CONTENT_TYPES)).encode() + draw(params())
        body_parts.append(b"--b" + newline + header + newline + newline + draw(encoded()))
    body = newline.join([*body_parts, draw(encoded())]) + draw(st.sampled_from([b"", b"--b--"]))
    raw = newline.join(lines) + newline + newline + body
    cut = draw(st.integers(0, len(raw)))
    return raw if draw(st.booleans()) else raw[:cut]


def _check(mail: InboundMail, raw: bytes) -> None:
    assert mail.raw == raw
    assert re.fullmatch(r"<[!-;=?-~]+>", mail.message_id)
    for header_text in (mail.subject, mail.sender.name, *(a.name for a in mail.to)):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", header_text)
    for address in (mail.sender, *mail.to, *mail.cc):
        assert not re.search(r"[\s\x00-\x1f\x7f]", address.email)
        assert address.email == address.email.lower()
    assert mail.date is None or mail.date.tzinfo is not None
    assert mail.machine in (None, "auto-reply", "bounce")
    names = [a.name for a in mail.attachments]
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert safe_attachment_name(name) == name
    assert all(isinstance(i, str) for i in mail.quoted_ids)
    if mail.full_text.strip():
        assert mail.text.strip()


@SETTINGS
@given(messages())
def test_random_messages_parse_or_raise_mail_error(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except MailError as e:
        message = e.message
    else:
        _check(mail, raw)
        return
    assert message.startswith("not an e-mail message")


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_parse_or_raise_mail_error(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except MailError:
        return
    _check(mail, raw)


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_body_after_real_headers_parses_and_keeps_its_bytes(body: bytes) -> None:
    raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n" + body
    _check(parse_mail(raw), raw)


@SETTINGS
@given(st.text(max_size=300))
def test_safe_attachment_name_is_always_a_plain_file_name(name: str) -> None:
    safe = safe_attachment_name(name)
    assert safe
    assert safe == safe_attachment_name(safe)
    assert not safe.startswith((".", " "))
    assert not re.search(r'[/\\<>:"|?*\x00-\x1f\x7f]', safe)
    assert not any(unicodedata.category(c) in ("Cf", "Cc") for c in safe)
    assert len(safe.encode()) <= NAME_MAX_BYTES


@SETTINGS
@given(st.text(max_size=200))
def test_subject_helpers_never_fail(subject: str) -> None:
    cleaned = clean_subject(subject)
    assert clean_subject(cleaned) == cleaned
    assert all(t.startswith("SUP-") for t in subject_tags(subject, "SUP"))


@SETTINGS
@given(st.text(max_size=500))
def test_trim_reply_keeps_something_of_any_text_with_content(body: str) -> None:
    trimmed = trim_reply(body)
    if body.strip():
        assert trimmed.strip()
