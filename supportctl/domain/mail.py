"""Reading one e-mail message: who sent it, about what, the new text, its attachments, and
whether a machine wrote it.

Pure: bytes in, an `InboundMail` out; no files, git or network. Real mail is often broken
(undeclared 8-bit Russian text, charset names no codec knows, headers that stop the
standard parser), so every step falls back to something readable instead of failing:
only bytes that are no message at all raise `MailError`. The raw bytes are always kept
as they came, so nothing a later, better reading could use is lost.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import email.utils
import hashlib
import html as html_lib
import math
import quopri
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from supportctl.domain.errors import MailError
from supportctl.domain.ids import is_ticket_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from email.message import Message

DEFAULT_FALLBACK: tuple[str, ...] = ("koi8-r", "cp1251", "cp866")
"""Charsets tried, in order, for 8-bit text that declares none (still common in Russian mail)."""

NAME_MAX_BYTES = 150
"""Longest attachment name in UTF-8 bytes: room for the folder it is stored in under the
255-byte limit of common file systems."""


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower-cased


@dataclass(frozen=True)
class Attachment:
    name: str  # sanitised: a plain file name, unique within its message
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # with <>; made from the bytes' hash when the message has none
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None  # aware
    text: str  # the new part only: quoted history and signature trimmed
    full_text: str  # the whole body as text
    attachments: tuple[Attachment, ...]
    machine: str | None  # None, "auto-reply" or "bounce"
    quoted_ids: tuple[str, ...]  # Message-IDs a bounce or auto-reply quotes
    raw: bytes


# ---------------------------------------------------------------------------------------
# Charsets

# Names seen in real mail that no codec knows by that spelling.
_CHARSET_ALIASES = {
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "koi8u": "koi8_u",
    "win1251": "cp1251",
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "win1252": "cp1252",
    "win-1252": "cp1252",
    "windows1252": "cp1252",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "maccyrillic": "mac_cyrillic",
    "mac-cyrillic": "mac_cyrillic",
    "cp-866": "cp866",
    "ibm866": "cp866",
    "x-ibm866": "cp866",
    "alt": "cp866",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-unknown": "",
    "unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "charset": "",
}
# Decoders that are no text encoding: a part labelled with one is treated as undeclared.
_NOT_TEXT_CODECS = {"base64", "hex", "quopri", "uu", "zlib", "bz2", "rot-13", "rot13"}


def _codec(name: str | None) -> str | None:
    """The Python codec for a charset name from a message, or None when there is none
    (absent, unknown, or a name that is no text encoding)."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = key.split("*", 1)[0]  # an RFC 2231 language suffix: utf-8*ru
    key = _CHARSET_ALIASES.get(key, key)
    if not key:
        return None
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError):
        return None
    if info.name in _NOT_TEXT_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


_LATIN_CODECS = {"ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}

# Relative frequency of Russian/Ukrainian letters (per mille, lower case), for telling
# which single-byte reading of a text is the real one.
_CYR_FREQ = {
    "о": 110,
    "е": 85,
    "а": 80,
    "и": 74,
    "н": 67,
    "т": 63,
    "с": 55,
    "р": 47,
    "в": 45,
    "л": 44,
    "к": 35,
    "м": 32,
    "д": 30,
    "п": 28,
    "у": 26,
    "я": 20,
    "ы": 19,
    "ь": 17,
    "г": 17,
    "з": 16,
    "б": 16,
    "ч": 14,
    "й": 12,
    "х": 10,
    "ж": 9,
    "ш": 7,
    "ю": 6,
    "ц": 5,
    "щ": 4,
    "э": 3,
    "ф": 3,
    "ъ": 0.5,
    "ё": 1,
    "і": 20,
    "ї": 5,
    "є": 4,
    "ґ": 0.5,
}
_CYR_LOGP = {c: math.log(f / 1000) for c, f in _CYR_FREQ.items()}
_JUNK_LOGP = math.log(0.0001)  # box drawing, Latin-1 symbols, controls in a Cyrillic reading
_WORD_RE = re.compile(r"[^\W\d_]+")


def cyrillic_score(text: str) -> float:
    """How plausible `text` is as Russian/Ukrainian, per non-ASCII character: near -3 for
    real text, far lower for the wrong single-byte reading of it.

    The wrong readings give themselves away: cp866 read as cp1251 (or the reverse) gives
    box-drawing characters and Latin-1 symbols; KOI8-R read as cp1251 (or the reverse)
    gives Cyrillic letters whose case is inverted (`пРИВЕТ`) and rare letters where
    common ones belong.
    """
    total = 0.0
    count = 0
    for word in _WORD_RE.findall(text):
        if word.isascii():
            continue
        upper_inside = any(c.isupper() for c in word[1:])
        lower_inside = any(c.islower() for c in word[1:])
        # Lower after the first letter, upper after it: a case pattern no writer uses.
        mixed = upper_inside and lower_inside
        starts_lower_then_upper = word[0].islower() and upper_inside
        for c in word:
            if c.isascii():
                continue
            count += 1
            low = c.lower()
            if low in _CYR_LOGP:
                total += _CYR_LOGP[low]
                if c.isupper() and word.isupper() and len(word) > 1:
                    total -= 0.7  # all capitals: possible, less likely than lower case
            else:
                total += _JUNK_LOGP
        if mixed or starts_lower_then_upper:
            total -= 4.0 * len(word)
    for c in text:
        if not c.isascii() and not c.isalpha():
            count += 1
            # typographic quotes, dashes and the like are ordinary; the rest is junk
            total += -4.0 if c in "«»„“”‘’–—…№·" or c.isspace() else _JUNK_LOGP
    return total / count if count else 0.0


_PLAUSIBLE = -5.5  # average log-probability per non-ASCII character to accept a reading


def _guess_8bit(data: bytes, fallbacks: Sequence[str]) -> str:
    """Text of 8-bit bytes whose charset is unknown or wrong: UTF-8 when they are valid
    UTF-8, else the most plausible Cyrillic reading among `fallbacks`, else what the
    general detector says, else UTF-8 with replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best: tuple[float, str] | None = None
    for name in fallbacks:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = cyrillic_score(text)
        if best is None or score > best[0]:
            best = (score, text)
    if best is not None and best[0] >= _PLAUSIBLE:
        return best[1]
    detected = _detect(data)
    if detected is not None:
        return detected
    return data.decode("utf-8", errors="replace")


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # heavy, and only odd mail needs it

    try:
        match = from_bytes(data).best()
    except Exception:  # the detector must never be why a message is lost
        return None
    return None if match is None else str(match)


def decode_bytes(data: bytes, declared: str | None, fallbacks: Sequence[str]) -> str:
    """Text of a body or header made of `data`, declared to be in charset `declared`.

    A declared charset is believed when the bytes decode under it, except that a Latin
    label on text whose letters are nearly all 8-bit is the usual mislabelled Russian
    mail, which is read as such when a Cyrillic reading is plausible.
    """
    if data.isascii():
        return data.decode("ascii")
    codec = _codec(declared)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            return _guess_8bit(data, fallbacks)
        if codec in _LATIN_CODECS and _mostly_8bit_letters(text):
            guessed = _guess_8bit(data, fallbacks)
            if cyrillic_score(guessed) >= _PLAUSIBLE:
                return guessed
        return text
    return _guess_8bit(data, fallbacks)


def _mostly_8bit_letters(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    high = sum(1 for c in letters if not c.isascii())
    return len(letters) > 0 and high / len(letters) > 0.5


# ---------------------------------------------------------------------------------------
# Headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def _header_bytes(value: str) -> bytes:
    # The parser keeps 8-bit header bytes as surrogate escapes; get them back.
    return value.encode("utf-8", errors="surrogateescape")


def _decode_word_payload(encoding: str, payload: str) -> bytes:

    raw = payload.encode("ascii", errors="ignore")
    if encoding in "Bb":
        raw = raw.rstrip(b"=")
        raw += b"=" * (-len(raw) % 4)
        try:
            return base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            return base64.b64decode(raw[: len(raw) // 4 * 4] or b"", validate=False)
    return quopri.decodestring(raw.replace(b"_", b" "), header=True)


def decode_header(value: str, fallbacks: Sequence[str] = DEFAULT_FALLBACK) -> str:
    """A header's text: RFC 2047 encoded words decoded (also with charset names no codec
    knows, or words a client left in quotes), raw 8-bit bytes read like an undeclared body,
    folding removed and control characters turned into spaces."""
    value = _FOLD.sub("", value)
    value = _BETWEEN_WORDS.sub("", value)
    out: list[str] = []
    pos = 0
    # Consecutive words in one charset are joined before decoding: a multi-byte character
    # may be split between two of them.
    pending: tuple[str, bytearray] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            out.append(decode_bytes(bytes(pending[1]), pending[0], fallbacks))
            pending = None

    for m in _ENCODED_WORD.finditer(value):
        if m.start() > pos:
            flush()
            out.append(_plain_header_text(value[pos : m.start()], fallbacks))
        charset = m.group(1)
        data = _decode_word_payload(m.group(2), m.group(3))
        if pending is not None and pending[0].lower() == charset.lower():
            pending[1].extend(data)
        else:
            flush()
            pending = (charset, bytearray(data))
        pos = m.end()
    flush()
    if pos < len(value):
        out.append(_plain_header_text(value[pos:], fallbacks))
    return _CONTROL.sub(" ", "".join(out)).strip()


def _plain_header_text(text: str, fallbacks: Sequence[str]) -> str:
    if text.isascii():
        return text
    try:
        data = _header_bytes(text)
    except UnicodeEncodeError:
        return text
    return decode_bytes(data, None, fallbacks)


def _raw_headers(msg: Message, name: str) -> list[str]:
    key = name.lower()
    values: list[str] = []
    for k, v in msg.raw_items():
        if k.lower() == key:
            values.append(v if isinstance(v, str) else str(v))
    return values


def _raw_header(msg: Message, name: str) -> str | None:
    values = _raw_headers(msg, name)
    return values[0] if values else None


_MSGID = re.compile(r"<([!-;=?-~]{1,990})>")
_BARE_MSGID = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every Message-ID in a Message-ID, In-Reply-To or References header, with <>, in
    order, without repeats; a lone ID written without brackets is accepted too."""
    if not value:
        return ()
    found = [f"<{m}>" for m in _MSGID.findall(value)]
    if not found:
        bare = _BARE_MSGID.findall(value.strip())
        found = [f"<{b}>" for b in bare[:1]]
    return tuple(dict.fromkeys(found))


_EMAIL_RE = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+")


def _addresses(values: Iterable[str], fallbacks: Sequence[str]) -> tuple[Address, ...]:
    result: list[Address] = []
    for value in values:
        value = _FOLD.sub("", value)
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:  # a parser bug on odd input must not cost the sender
            pairs = []
        parsed = [(n, a) for n, a in pairs if "@" in a]
        if not parsed:
            parsed = [("", a) for a in _EMAIL_RE.findall(value)]
        for name, addr in parsed:
            address = _plain_header_text(addr, fallbacks).strip().strip("<>").lower()
            address = _CONTROL.sub("", address).replace(" ", "")
            result.append(Address(decode_header(name, fallbacks).strip('"').strip(), address))
    return tuple(result)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_FOLD.sub("", value).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# Subjects


_PREFIX_WORDS = r"re|aw|fwd?|fw|wg|sv|vs|отв|ответ|пересл|відп"
_SUBJECT_PREFIX = re.compile(
    rf"^\s*(?:{_PREFIX_WORDS})\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*", re.IGNORECASE
)


def clean_subject(subject: str) -> str:
    """The subject without reply and forward prefixes (`Re:`, `RE:`, `AW:`, `Fwd:`, `FW:`,
    `WG:`, `SV:`, `VS:`, `Отв:`, `Ответ:`, `Пересл:`, `Відп:`, counters like `Re[2]:`),
    however many are stacked, with runs of whitespace made one space."""
    text = " ".join(subject.split())
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


def subject_tags(subject: str, prefix: str) -> tuple[str, ...]:
    """The ticket IDs of the desk with `prefix` tagged in a subject as `[SUP-42]`, in
    order, without repeats. Only real IDs count (`[SUP-042]` is none)."""
    pattern = re.compile(rf"\[\s*({re.escape(prefix)}-\d+)\s*\]", re.IGNORECASE)
    found = [m.upper() for m in pattern.findall(subject)]
    return tuple(dict.fromkeys(t for t in found if is_ticket_id(t, prefix)))


# ---------------------------------------------------------------------------------------
# Attachment names

_PATH_SEPARATORS = re.compile(r"[/\\]")
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")


def safe_attachment_name(name: str) -> str:
    """A file name that is safe to store: the last path component only, without control
    or invisible formatting characters, characters Windows refuses, leading dots or
    surrounding spaces; at most NAME_MAX_BYTES bytes of UTF-8 (the extension kept);
    letters of any script kept. `attachment` when nothing is left."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in name
        if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn")
    )
    parts = [p for p in _PATH_SEPARATORS.split(name) if p.strip(" .")]
    name = parts[-1] if parts else ""
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    name = _cap_bytes(name, NAME_MAX_BYTES)
    return name or "attachment"


def _cap_bytes(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    room = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{cut}{suffix}"


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate = name
        n = 2
        while candidate.lower() in seen:
            stem, dot, ext = name.rpartition(".")
            if not dot or not stem:
                stem, ext = name, ""
            suffix = f".{ext}" if ext else ""
            candidate = _cap_bytes(f"{stem} ({n}){suffix}", NAME_MAX_BYTES)
            n += 1
        seen.add(candidate.lower())
        result.append(candidate)
    return result


# ---------------------------------------------------------------------------------------
# HTML


_TAG = re.compile(r"<[^>]*>")
_SCRIPT_STYLE = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: paragraphs and line breaks kept, lists and tables
    laid out, scripts and styles dropped."""
    cleaned = _XML_DECL.sub("", _CONTROL.sub(" ", html).replace("\x00", ""))
    if not cleaned.strip():
        return ""
    try:
        from inscriptis import get_text  # loads lxml: only when a message has HTML

        text = str(get_text(cleaned))
    except Exception:  # a tree the library cannot build still has readable text
        text = html_lib.unescape(_TAG.sub(" ", _SCRIPT_STYLE.sub(" ", cleaned)))
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue  # one blank line at most between paragraphs
        out.append(line)
    return "\n".join(out).strip("\n")


# ---------------------------------------------------------------------------------------
# Reply trimming

_SIG = re.compile(r"^-- ?$")
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|original e-?mail message|исходное сообщение|"
    r"оригинальное сообщение|ursprüngliche nachricht|message d'origine|"
    r"вихідне повідомлення|оригінальне повідомлення)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"(?:wrote|пишет|написал\(а\)|написала?|пише|написав\(ла\)|написав|написала|писал\(а\)|"
    r"schrieb|a écrit|escribió|skrev|kirjoitti|ha scritto|schreef)\s*:\s*$",
    re.IGNORECASE,
)
# "чт, 14 мар. 2019 г. в 12:34, Ivan <ivan@example.com>:" (Gmail in Russian),
# "14.03.2019, 12:34, "Ivan" <ivan@example.com>:" (Yandex), "... от Ivan <ivan@mail.ru>:"
# (Mail.ru): a date and an address, ending in a colon.
_DATED_ADDRESS = re.compile(r"\d.*[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?\s*:\s*$")
_HEADER_FROM = re.compile(
    r"^\s*\**\s*(?:from|от|від|von|de|från|fra|van)\s*\**\s*:\s*\**\s*\S", re.IGNORECASE
)
_HEADER_OTHER = re.compile(
    r"^\s*\**\s*(?:sent|date|to|cc|subject|отправлено|дата|кому|копия|тема|надіслано|"
    r"відправлено|gesendet|datum|an|betreff|envoyé|à|objet|enviado|para|asunto)\s*\**\s*:",
    re.IGNORECASE,
)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def trim_reply(text: str) -> str:
    """The new part of a reply: everything from the first sign of quoted history or a
    signature on is dropped. Signs: a `-- ` signature line; a `-----Original Message-----`
    line; an attribution line (`On ... wrote:`, `... пишет:`, `... написал(а):`,
    `... пише:`, or a date and an address ending in a colon as Gmail, Yandex and Mail.ru
    write it); an Outlook header block (`From:`/`От:`/`Від:` followed by `Sent:`,
    `Отправлено:`, `To:`, `Subject:` ...); a run of `>` lines that nothing new follows.
    A message that would be left empty is returned whole."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _cut_index(lines)
    kept = "\n".join(lines[:cut]).rstrip()
    return kept.strip("\n") if kept.strip() else text.strip("\n")


def _cut_index(lines: list[str]) -> int:
    # Where the trailing run of quoted lines (blank lines allowed) begins.
    tail_quotes = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if _is_quote(lines[i]) or not lines[i].strip():
            if _is_quote(lines[i]):
                tail_quotes = i
            continue
        break
    for i, line in enumerate(lines):
        if i >= tail_quotes:
            return tail_quotes
        stripped = line.strip()
        if _SIG.match(line.rstrip("\r")) or _ORIGINAL.match(stripped):
            return i
        if _is_attribution(lines, i):
            return i
        if _HEADER_FROM.match(line) and _header_block_follows(lines, i):
            return i
    return len(lines)


def _next_nonblank(lines: list[str], i: int) -> str:
    for line in lines[i + 1 :]:
        if line.strip():
            return line
    return ""


def _is_attribution(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if not line or _is_quote(line):
        return False
    # Clients wrap long attribution lines: "On Mon, ... John <" / "john@example.com> wrote:".
    for joined in (line, f"{line} {lines[i + 1].strip()}" if i + 1 < len(lines) else ""):
        if not joined:
            continue
        if _WROTE.search(joined) and (
            re.search(r"\d|@", joined) or _is_quote(_next_nonblank(lines, i))
        ):
            return True
        if _DATED_ADDRESS.search(joined) and len(joined) < 300:
            return True
    return False


def _header_block_follows(lines: list[str], i: int) -> bool:
    others = 0
    for line in lines[i + 1 : i + 7]:
        if not line.strip():
            continue
        if _HEADER_OTHER.match(line):
            others += 1
            if others >= 2:
                return True
        elif others == 0:
            # "From: x [mailto:x]" may wrap onto a second line before Sent:
            continue
    return others >= 2


# ---------------------------------------------------------------------------------------
# Machine mail

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|auto[ -]?response|autoreply|out of (?:the )?office|"
    r"автоответ|автоматический ответ|автоматична відповідь|abwesenheitsnotiz|"
    r"automatische antwort|réponse automatique)\b",
    re.IGNORECASE,
)
_DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


def is_machine(msg: Message) -> str | None:
    """ "bounce" for a delivery failure report, "auto-reply" for any other mail a machine
    wrote (RFC 3834 auto-replies, vacation notices, read receipts, list and bulk mail),
    None for mail a person wrote."""
    ctype = _safe_content_type(msg)
    report_type = (_param(msg, "report-type") or "").lower()
    if ctype == "multipart/report" and report_type == "delivery-status":
        return "bounce"
    if _raw_header(msg, "X-Failed-Recipients") is not None:
        return "bounce"
    sender = _addresses(_raw_headers(msg, "From"), DEFAULT_FALLBACK)
    if sender and sender[0].email.split("@", 1)[0] in _DAEMON_LOCALPARTS:
        return "bounce"
    if ctype == "multipart/report":
        return "auto-reply"
    auto = _raw_header(msg, "Auto-Submitted")
    if auto is not None and auto.split(";", 1)[0].split("(", 1)[0].strip().lower() != "no":
        return "auto-reply"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress"):
        if _raw_header(msg, name) is not None:
            return "auto-reply"
    precedence = (_raw_header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "auto-reply"
    subject = decode_header(_raw_header(msg, "Subject") or "")
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply"
    return_path = _raw_header(msg, "Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "bounce"
    return None


def _safe_content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a parameter the policy cannot read
        return "text/plain"


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        return email.utils.collapse_rfc2231_value(value)
    return str(value)


# ---------------------------------------------------------------------------------------
# The message


_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_KNOWN_HEADERS = re.compile(
    rb"(?im)^(?:from|to|cc|subject|date|message-id|received|return-path|mime-version|"
    rb"content-type|sender|delivered-to|reply-to|in-reply-to|references)[ \t]*:"
)


def _prepare(raw: bytes) -> bytes:
    """The bytes the standard parser is given: without lines before the headers, and with
    a header line that lost its leading whitespace joined to the header it continues
    (the parser would end the header block there and read the rest as body)."""
    data = raw
    # A line or two pasted before the headers (an mbox `From ` line, a forwarding
    # client's "---- Original email message ----") is no part of the message.
    for _ in range(3):
        if _HEADER_LINE.match(data) or b"\n" not in data:
            break
        rest = data.split(b"\n", 1)[1]
        if not _HEADER_LINE.match(rest):
            break
        data = rest
    end = re.search(rb"\r?\n\r?\n|\r\r", data)
    head, rest = (data[: end.start()], data[end.start() :]) if end else (data, b"")
    lines = re.split(rb"(\r?\n)", head)
    texts = lines[0::2]
    seps = lines[1::2]
    fixed = False
    for i in range(1, len(texts)):
        line = texts[i]
        if not line or line[:1] in b" \t" or _HEADER_LINE.match(line):
            continue
        if any(_HEADER_LINE.match(t) for t in texts[i + 1 :]):
            texts[i] = b" " + line
            fixed = True
    if not fixed:
        return data
    out = bytearray()
    for i, text in enumerate(texts):
        out += text
        if i < len(seps):
            out += seps[i]
    return bytes(out) + rest


def _check_is_message(data: bytes) -> None:
    if not data.strip():
        raise MailError("not an e-mail message: it is empty")
    if not _HEADER_LINE.match(data.lstrip(b"\r\n")):
        raise MailError("not an e-mail message: it does not start with a header line")
    end = re.search(rb"\r?\n\r?\n|\r\r", data)
    head = data[: end.start()] if end else data
    if not _KNOWN_HEADERS.search(head):
        raise MailError("not an e-mail message: none of From, To, Subject, Date, Message-ID")


def parse_mail(raw: bytes, *, fallback_charsets: Sequence[str] = DEFAULT_FALLBACK) -> InboundMail:
    """Read one message. `MailError` (one line) only for bytes that are no message at
    all; anything else parses, however broken, into the best reading there is."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailError("not an e-mail message: not bytes")
    raw = bytes(raw)
    data = _prepare(raw)
    _check_is_message(data)
    msg: Message
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        return _read(msg, raw, fallback_charsets)
    except MailError:
        raise
    except Exception:  # the modern policy trips over some broken headers
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        try:
            return _read(msg, raw, fallback_charsets)
        except MailError:
            raise
        except Exception:
            return _read_headers_only(msg, raw, data, fallback_charsets)


def _read(msg: Message, raw: bytes, fallbacks: Sequence[str]) -> InboundMail:
    header = _HeaderReader(msg, fallbacks)
    walker = _Walker(fallbacks)
    walker.walk(msg)
    full_text = walker.text()
    machine = is_machine(msg)
    in_reply_to = message_ids(header.raw("In-Reply-To"))
    references = message_ids(" ".join(_raw_headers(msg, "References")))
    quoted: tuple[str, ...] = ()
    if machine is not None:
        quoted = tuple(
            dict.fromkeys(
                [
                    *walker.quoted_ids,
                    *in_reply_to,
                    *reversed(references),
                    *(_ids_in_text(full_text) if machine == "bounce" else ()),
                ]
            )
        )
    names = _unique_names([safe_attachment_name(a.name) for a in walker.attachments])
    attachments = tuple(
        Attachment(name, a.content_type, a.data)
        for name, a in zip(names, walker.attachments, strict=True)
    )
    return InboundMail(
        message_id=header.message_id(raw),
        in_reply_to=in_reply_to,
        references=references,
        subject=header.text("Subject"),
        sender=header.sender(),
        to=_addresses(_raw_headers(msg, "To"), fallbacks),
        cc=_addresses(_raw_headers(msg, "Cc"), fallbacks),
        date=_date(header.raw("Date")),
        text=walker.reply_text(),
        full_text=full_text,
        attachments=attachments,
        machine=machine,
        quoted_ids=quoted,
        raw=raw,
    )


def _read_headers_only(
    msg: Message, raw: bytes, data: bytes, fallbacks: Sequence[str]
) -> InboundMail:
    """The last resort for a structure nothing can walk: the headers, and the bytes after
    them as text."""
    header = _HeaderReader(msg, fallbacks)
    end = re.search(rb"\r?\n\r?\n|\r\r", data)
    body = decode_bytes(data[end.end() :] if end else b"", None, fallbacks)
    return InboundMail(
        message_id=header.message_id(raw),
        in_reply_to=message_ids(header.raw("In-Reply-To")),
        references=message_ids(" ".join(_raw_headers(msg, "References"))),
        subject=header.text("Subject"),
        sender=header.sender(),
        to=_addresses(_raw_headers(msg, "To"), fallbacks),
        cc=_addresses(_raw_headers(msg, "Cc"), fallbacks),
        date=_date(header.raw("Date")),
        text=trim_reply(body),
        full_text=body,
        attachments=(),
        machine=None,
        quoted_ids=(),
        raw=raw,
    )


_TEXT_MSGID = re.compile(r"(?im)^\s*message-id\s*:\s*(<[^<>\s]+>)")


def _ids_in_text(text: str) -> list[str]:
    # Bounces that paste the returned message's headers as plain text.
    found: list[str] = []
    for m in _TEXT_MSGID.findall(text):
        found.extend(message_ids(m))
    return found


class _HeaderReader:
    def __init__(self, msg: Message, fallbacks: Sequence[str]) -> None:
        self.msg = msg
        self.fallbacks = fallbacks

    def raw(self, name: str) -> str | None:
        return _raw_header(self.msg, name)

    def text(self, name: str) -> str:
        value = self.raw(name)
        return "" if value is None else decode_header(value, self.fallbacks)

    def message_id(self, raw: bytes) -> str:
        ids = message_ids(self.raw("Message-ID"))
        if ids:
            return ids[0]
        return f"<{hashlib.sha256(raw).hexdigest()[:32]}@supportctl.invalid>"

    def sender(self) -> Address:
        for name in ("From", "Sender", "Reply-To", "Return-Path"):
            found = _addresses(_raw_headers(self.msg, name), self.fallbacks)
            if found:
                return found[0]
        return Address("", "")


@dataclass
class _Part:
    name: str
    content_type: str
    data: bytes


_DEFAULT_NAMES = {
    "message/rfc822": "message.eml",
    "text/rfc822-headers": "headers.txt",
    "message/delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "message/feedback-report": "feedback-report.txt",
    "text/plain": "text.txt",
    "text/html": "text.html",
    "text/calendar": "invite.ics",
    "image/png": "image.png",
    "image/jpeg": "image.jpg",
    "image/gif": "image.gif",
    "application/pdf": "document.pdf",
}


class _Walker:
    """One pass over the MIME tree: body text (plain preferred, HTML when there is no
    plain text), attachments, and the Message-IDs of returned messages."""

    def __init__(self, fallbacks: Sequence[str]) -> None:
        self.fallbacks = fallbacks
        self.bodies: list[tuple[str, str]] = []  # (kind: plain|html, text)
        self.attachments: list[_Part] = []
        self.quoted_ids: list[str] = []

    def text(self) -> str:
        texts = [html_to_text(t) if kind == "html" else _tidy(t) for kind, t in self.bodies]
        return "\n\n".join(t for t in texts if t.strip())

    def reply_text(self) -> str:
        texts = []
        for kind, t in self.bodies:
            texts.append(trim_reply(_html_to_quoted_text(t) if kind == "html" else _tidy(t)))
        return "\n\n".join(t for t in texts if t.strip())

    def walk(self, part: Message, depth: int = 0) -> None:
        ctype = _safe_content_type(part)
        if depth > 50:  # a hostile nesting depth: keep what was found so far
            return
        if ctype in ("message/rfc822", "message/global", "text/rfc822-headers"):
            self._returned(part, ctype)
            return
        if part.is_multipart():
            subparts = [p for p in part.get_payload() if not isinstance(p, str)]
            if ctype == "multipart/alternative":
                self._alternative(subparts, depth)
            else:
                for sub in subparts:
                    self.walk(sub, depth + 1)
            return
        if ctype in ("text/plain", "text/html") and not self._is_attachment(part):
            text = self._decode(part)
            self.bodies.append(("html" if ctype == "text/html" else "plain", text))
            return
        self._attach(part, ctype)

    def _alternative(self, subparts: list[Message], depth: int) -> None:
        # The plain alternative when it has text, else the richest other one.
        plain = [p for p in subparts if _safe_content_type(p) == "text/plain"]
        for p in plain:
            if self._decode(p).strip():
                self.walk(p, depth + 1)
                return
        others = [p for p in subparts if _safe_content_type(p) != "text/plain"]
        if others:
            self.walk(others[-1], depth + 1)

    @staticmethod
    def _is_attachment(part: Message) -> bool:
        disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        if disposition == "attachment":
            return True
        return disposition != "inline" and _filename(part) is not None

    def _decode(self, part: Message) -> str:
        data = _payload_bytes(part)
        return decode_bytes(data, _param(part, "charset"), self.fallbacks)

    def _attach(self, part: Message, ctype: str, data: bytes | None = None) -> None:
        name = _filename(part)
        if name is not None:
            name = decode_header(name, self.fallbacks)
        if not name:
            name = _DEFAULT_NAMES.get(ctype, "attachment")
        self.attachments.append(_Part(name, ctype, _payload_bytes(part) if data is None else data))

    def _returned(self, part: Message, ctype: str) -> None:
        if ctype == "text/rfc822-headers":
            data = _payload_bytes(part)
            inner = email.message_from_bytes(data, policy=email.policy.compat32)
        else:
            payload = part.get_payload()
            inner_msg = payload[0] if isinstance(payload, list) and payload else None
            if inner_msg is None or isinstance(inner_msg, str):
                data = _payload_bytes(part)
                inner = email.message_from_bytes(data, policy=email.policy.compat32)
            else:
                inner = inner_msg
                try:
                    data = inner.as_bytes()
                except Exception:  # a returned message too broken to write back
                    data = _payload_bytes(part)
        self.quoted_ids.extend(message_ids(_raw_header(inner, "Message-ID")))
        self._attach(part, ctype, data)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        return None
    return str(name)


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""


_BQ_START = "supportctl-blockquote-start-8d1c"
_BQ_END = "supportctl-blockquote-end-8d1c"


def _html_to_quoted_text(html: str) -> str:
    """HTML as text with `<blockquote>` content turned into `>` lines, so the quoted
    history of an HTML-only reply is found like that of a plain one."""
    marked = re.sub(r"(?i)<blockquote\b[^>]*>", f"<div>{_BQ_START}</div>", html)
    marked = re.sub(r"(?i)</blockquote\s*>", f"<div>{_BQ_END}</div>", marked)
    text = html_to_text(marked)
    out: list[str] = []
    depth = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped == _BQ_START:
            depth += 1
            continue
        if stripped == _BQ_END:
            depth = max(0, depth - 1)
            continue
        out.append(("> " * depth + line.strip()) if depth else line)
    return "\n".join(out)
