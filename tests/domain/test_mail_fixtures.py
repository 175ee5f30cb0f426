"""Acceptance: real third-party mail from ../shared/fixtures/email/, read as each source expects.

The files stay where they are (their licences differ from ours; see SOURCES.md there); this
module reads them and skips when the folder is absent. Each check compares one thing a
source expects that our model covers: subject, sender, recipients, body text, trimmed reply,
attachment names and bytes, machine mail. Where we differ on purpose the check is a strict
xfail with the reason, in DIFFERENCES, so a case that starts to agree is noticed.

Comparisons ignore what our model normalises by design: runs of whitespace (a subject or
body is compared word by word), the case of e-mail addresses (we lower-case them), and
HTML (a source that expects an HTML body is compared with that HTML as text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from supportctl.domain.mail import InboundMail, html_to_text, parse_mail

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).parents[2] / ".." / "shared" / "fixtures" / "email"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is absent")

# (fixture, check) -> why we differ from what the source expects.
DIFFERENCES: dict[tuple[str, str], str] = {
    ("zammad/mail018.box", "subject"): (
        "the subject is an RFC 2047 word in UTF-7 (unicode-1-1-utf-7) with spaces inside; "
        "we decode it (Übermittlungsstatus), Zammad keeps '+ANw-' as it stands"
    ),
    ("zammad/mail018.box", "body"): (
        "the body is declared unicode-1-1-utf-7; we decode it (über, Empfänger), "
        "Zammad keeps '+APw-' and '+AOQ-' undecoded"
    ),
    ("zammad/mail054.box", "body"): (
        "a header line lost its leading whitespace; Zammad stops at it and shows "
        "'no visible content', we join it to the header it continues and read the body"
    ),
    ("rt/crashes-file-based-parser", "attachments_count"): (
        "RT counts every MIME entity as an attachment (the multipart container and the "
        "text bodies too: 5); we keep body parts as text and the image as the one file"
    ),
    ("rt/very-long-subject", "subject"): (
        "RT cuts subjects to its database's 200 characters; we keep the whole subject "
        "(300 characters) and leave any limit to where it is stored"
    ),
    ("talon/standard_replies__sparrow.eml", "text"): (
        "talon keeps the '-- ' signature in the reply; we trim signatures from the entry "
        "(the full text keeps them)"
    ),
}


@dataclass(frozen=True)
class Check:
    fixture: str  # path below FIXTURES
    check: str
    expected: Any


def _words(text: str) -> str:
    return " ".join(text.split())


def _emails(value: str) -> set[str]:
    return {m.lower() for m in re.findall(r"[\w.+-]+@[\w.-]+", value)}


class _RubyLoader(yaml.SafeLoader):
    """Zammad's expectations are Ruby-tagged YAML; the tags carry nothing we compare."""


def _ruby_mapping(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


_RubyLoader.add_multi_constructor("!ruby/", _ruby_mapping)


def _zammad_checks(box: Path) -> list[Check]:
    name = f"zammad/{box.name}"
    yml = box.with_suffix(".yml")
    if not yml.exists():
        return [Check(name, "parses", None)]  # no expectation shipped
    expected = yaml.load(yml.read_text(encoding="utf-8"), Loader=_RubyLoader)
    checks = [
        Check(name, "from_email", expected["from_email"].lower()),
        Check(name, "from_name", expected["from_display_name"]),
        Check(name, "subject", _words(expected["subject"])),
    ]
    for key in ("to", "cc"):
        if key in expected:
            checks.append(Check(name, key, _emails(expected[key])))
    if "body" in expected:
        body = expected["body"]
        # mail034.yml gives no content_type for its HTML body
        if expected.get("content_type", "text/html") == "text/html" and "<" in body:
            body = html_to_text(body)
        checks.append(Check(name, "body", _words(body)))
    files = [a for a in expected.get("attachments", []) if a["filename"] != "message.html"]
    # Zammad's message.html is its own copy of the HTML body, not a file the sender sent.
    if files:
        checks.append(
            Check(name, "attachments", [(a["filename"], a["data"].encode()) for a in files])
        )
    return checks


def _sisimai_checks(path: Path) -> list[Check]:
    name = f"sisimai/{path.name}"
    if path.name.startswith("rfc3834-"):
        return [Check(name, "machine", "auto-reply")]
    if path.name.startswith(("lhost-", "rhost-")):
        return [Check(name, "machine", "bounce")]
    return [Check(name, "machine", None)]  # is-not-bounce-*


def _talon_checks(path: Path) -> list[Check]:
    name = f"talon/{path.name}"
    if path.suffix == ".html":
        return [Check(name, "html_reply", "Hi.Iamfine.Thanks,Alex")]
    stem = path.name.removesuffix(".eml")
    reply = path.with_name(f"{stem}_reply_text")
    text = reply.read_text(encoding="utf-8") if reply.exists() else "Hello"
    return [Check(name, "text", text)]


def _rt_checks(path: Path) -> list[Check]:
    name = f"rt/{path.name}"
    expected: dict[str, list[Check]] = {
        # t/mail/sendmail.t, with EmailInputEncodings koi8-r
        "russian-subject-no-content-type": [Check(name, "subject", "тест тест")],
        # t/mail/sendmail.t: content matches /FYI/ and 5 attachments
        "crashes-file-based-parser": [
            Check(name, "text_contains", "FYI"),
            Check(name, "attachments_count", 5),
        ],
        "subject-with-folding-ws": [Check(name, "subject", "test")],
        "very-long-subject": [Check(name, "subject", "0123456789" * 20)],
        # t/mail/rfc2231-attachment.t
        "rfc2231-attachment-filename-continuations": [
            Check(name, "attachment_names", ["新しいテキスト ドキュメント.txt"])
        ],
    }
    return expected.get(path.name, [Check(name, "parses", None)])


def _flanker_checks(path: Path) -> list[Check]:
    name = f"flanker/{path.name}"
    if path.name in ("mailbox-full.eml", "gmail-invalid-address.eml"):
        return [Check(name, "machine", "bounce")]
    if path.name == "disposition-notification.eml":
        return [Check(name, "machine", "auto-reply")]
    if path.name == "no-ctype.eml":
        # flanker: read as text/plain, the body as the standard library decodes it
        body = path.read_bytes().split(b"\n\n", 1)[1].decode("utf-8")
        return [Check(name, "body", _words(body)), Check(name, "machine", None)]
    return [Check(name, "parses", None)]


_SOURCES = {
    "zammad": _zammad_checks,
    "sisimai": _sisimai_checks,
    "talon": _talon_checks,
    "rt": _rt_checks,
    "flanker": _flanker_checks,
}


def _inputs() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix != ".yml" and not p.name.endswith("_reply_text")
    )


def _checks() -> list[Check]:
    checks: list[Check] = []
    for path in _inputs():
        checks.extend(_SOURCES[path.parent.name](path))
    return checks


def _params() -> list[Any]:
    params = []
    for c in _checks():
        reason = DIFFERENCES.get((c.fixture, c.check))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(c, id=f"{c.fixture}:{c.check}", marks=marks))
    return params


def _parse(fixture: str) -> InboundMail:
    return parse_mail((FIXTURES / fixture).read_bytes())


def _actual(c: Check) -> Any:
    if c.check == "html_reply":
        # talon's HTML cases are bodies, not messages: sent as an HTML-only mail
        msg = EmailMessage()
        msg["From"] = "alex@example.com"
        msg["Subject"] = "Re: How are you?"
        msg.set_content((FIXTURES / c.fixture).read_text(encoding="utf-8"), subtype="html")
        return re.sub(r"\s", "", parse_mail(msg.as_bytes()).text)
    mail = _parse(c.fixture)
    actual: dict[str, Callable[[InboundMail], Any]] = {
        "parses": lambda m: None,
        "from_email": lambda m: m.sender.email,
        "from_name": lambda m: m.sender.name,
        "subject": lambda m: _words(m.subject),
        "to": lambda m: {a.email for a in m.to},
        "cc": lambda m: {a.email for a in m.cc},
        "body": lambda m: _words(m.full_text),
        "text": lambda m: m.text,
        "machine": lambda m: m.machine,
        "attachments": lambda m: [(a.name, a.data) for a in m.attachments],
        "attachment_names": lambda m: [a.name for a in m.attachments],
        "attachments_count": lambda m: len(m.attachments),
        "text_contains": lambda m: c.expected if c.expected in m.text else m.text,
    }
    return actual[c.check](mail)


def _expected(c: Check) -> Any:
    if c.check == "text":
        return "\n".join(line.rstrip() for line in str(c.expected).strip().split("\n"))
    return c.expected


@pytest.mark.parametrize("case", _params())
def test_fixture_reads_as_its_source_expects(case: Check) -> None:
    assert _actual(case) == _expected(case)


def test_every_fixture_file_is_checked() -> None:
    checked = {c.fixture for c in _checks()}
    assert checked == {str(p.relative_to(FIXTURES)) for p in _inputs()}
    assert len(checked) >= 30


def test_every_listed_difference_names_a_check() -> None:
    known = {(c.fixture, c.check) for c in _checks()}
    assert set(DIFFERENCES) <= known


_BOUNCES_WITH_ORIGINAL = [
    "flanker/gmail-invalid-address.eml",  # the returned headers pasted as text
    "flanker/mailbox-full.eml",  # text/rfc822-headers
    "sisimai/lhost-mailru-01.eml",  # pasted as text
    "sisimai/lhost-yandex-01.eml",  # message/rfc822
    "sisimai/rhost-iua-01.eml",
    "zammad/mail018.box",
]


@pytest.mark.parametrize("fixture", _BOUNCES_WITH_ORIGINAL)
def test_bounce_quotes_the_message_id_of_the_returned_message(fixture: str) -> None:
    mail = _parse(fixture)
    assert mail.machine == "bounce"
    assert mail.quoted_ids
    assert mail.message_id not in mail.quoted_ids
    for quoted in mail.quoted_ids:
        assert quoted.encode() in mail.raw


@pytest.mark.parametrize(
    "fixture",
    [  # the bounces that attach the returned message (the others paste it as text)
        "flanker/mailbox-full.eml",
        "sisimai/lhost-yandex-01.eml",
        "sisimai/rhost-iua-01.eml",
        "zammad/mail018.box",
    ],
)
def test_returned_messages_and_reports_are_kept_byte_for_byte(fixture: str) -> None:
    mail = _parse(fixture)
    assert mail.attachments
    for attachment in mail.attachments:
        assert attachment.data.strip() in mail.raw


def test_read_receipt_quotes_the_message_it_reports_on() -> None:
    mail = _parse("flanker/disposition-notification.eml")
    assert mail.machine == "auto-reply"
    assert mail.quoted_ids
    assert b"Original-Message-ID: " + mail.quoted_ids[0].encode() in mail.raw
