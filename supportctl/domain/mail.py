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
import email.message
import email.parser
import email.policy
import email.utils
import hashlib
import html as html_lib
import math
import quopri
import re
import unicodedata
import urllib.parse
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
# Codecs no mail is written in (byte transforms, escapes, domain-name codecs): a part
# labelled with one is treated as undeclared.
_NOT_TEXT_CODECS = {
    "base64",
    "hex",
    "quopri",
    "uu",
    "zlib",
    "bz2",
    "rot-13",
    "rot13",
    "undefined",
    "unicode-escape",
    "raw-unicode-escape",
    "escape",
    "punycode",
    "idna",
}


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


def fallback_message_id(raw: bytes) -> str:
    """The stable Message-ID of a message that gives none: a hash of its bytes."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@supportctl.invalid>"


def is_charset(name: str) -> bool:
    """Whether `name` (as mail or `mail.fallback_charsets` writes it: `koi8-r`, `koi8r`,
    `windows-1251`, `win-1251`, `x-mac-cyrillic`, ...) names a charset text is read in."""
    return _codec(name) is not None


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


def _cyrillic_score(text: str) -> float:
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
    general detector says, else the first fallback that reads them at all, else UTF-8
    with replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeError:
        pass
    best = _best_cyrillic(data, fallbacks)
    if best is not None and best[0] >= _PLAUSIBLE:
        return best[1]
    detected = _detect(data)
    if detected is not None:
        return detected
    for name in fallbacks:
        codec = _codec(name)
        if codec is not None:
            try:
                return data.decode(codec)
            except UnicodeError:
                continue
    return data.decode("utf-8", errors="replace")


_SCORED_CHARS = 20_000  # enough text to tell readings apart; a long body costs no more


def _best_cyrillic(data: bytes, fallbacks: Sequence[str]) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for name in fallbacks:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            text = data.decode(codec)
        except UnicodeError:
            continue
        score = _cyrillic_score(text[:_SCORED_CHARS])
        if best is None or score > best[0]:
            best = (score, text)
    return best


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # heavy, and only odd mail needs it

    try:
        match = from_bytes(data).best()
    except Exception:  # the detector must never be why a message is lost
        return None
    return None if match is None else str(match)


def decode_bytes(data: bytes, declared: str | None, fallbacks: Sequence[str]) -> str:
    """Text of a body or header made of `data`, declared to be in charset `declared`.

    A declared charset is believed when the bytes decode under it and the reading is
    plausible. Mislabelled Russian mail is common: a Latin label (iso-8859-1, us-ascii,
    windows-1252) on text whose letters are nearly all 8-bit, or one Cyrillic charset
    named for another (KOI8-R sent as windows-1251). There the fallback charsets are
    tried too and a clearly more plausible Cyrillic reading wins. Labels of other scripts
    (Greek, Hebrew, ...) are believed: the Cyrillic check says nothing about them.
    """
    codec = _codec(declared)
    if data.isascii():
        return _decode_7bit(data, codec)
    if codec is None:
        return _guess_8bit(data, fallbacks)
    try:
        text = data.decode(codec)
    except UnicodeError:
        return _guess_8bit(data, fallbacks)
    if codec in _LATIN_CODECS or codec in _CYRILLIC_CODECS:
        sample = text[:_SCORED_CHARS]
        if _mostly_8bit_letters(sample):
            declared_score = _cyrillic_score(sample)
            if declared_score < _CONFIDENT:
                best = _best_cyrillic(data, fallbacks)
                if best is not None and best[0] >= _CONFIDENT and best[0] > declared_score + 1:
                    return best[1]
    return text


_CYRILLIC_CODECS = {"koi8-r", "koi8-u", "cp1251", "cp866", "mac-cyrillic", "iso8859-5"}
_CONFIDENT = -4.0  # a reading this plausible is taken over a worse declared one


# Charsets that write non-ASCII text in ASCII bytes, so ASCII bytes are no proof of ASCII.
_SEVEN_BIT_CODECS = {"utf-7", "hz"}


def _decode_7bit(data: bytes, codec: str | None) -> str:
    if codec is not None and (codec in _SEVEN_BIT_CODECS or codec.startswith("iso2022")):
        try:
            return data.decode(codec)
        except UnicodeError:
            pass
    elif codec is None and (b"\x1b$" in data or b"\x1b(" in data):
        # Undeclared ISO-2022-JP (Japanese mail from old clients): escape sequences.
        try:
            return data.decode("iso2022_jp")
        except UnicodeError:
            pass
    return data.decode("ascii")


def _mostly_8bit_letters(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    high = sum(1 for c in letters if not c.isascii())
    return len(letters) > 0 and high / len(letters) > 0.5


# ---------------------------------------------------------------------------------------
# Headers

# Whitespace inside an encoded word is against RFC 2047 but written by real mailers.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*?)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _header_bytes(value: str) -> bytes:
    # The parser keeps 8-bit header bytes as surrogate escapes; get them back.
    return value.encode("utf-8", errors="surrogateescape")


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    raw = payload.encode("ascii", errors="ignore")
    if encoding in "Bb":
        # Mailers cut words short and lose or add padding: decode what is there.
        digits = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
        if len(digits) % 4 == 1:
            digits = digits[:-1]  # a lone last digit carries no whole byte
        try:
            return base64.b64decode(digits + b"=" * (-len(digits) % 4))
        except (binascii.Error, ValueError):
            return raw
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
        return _decode_7bit(text.encode("ascii"), None) if "\x1b" in text else text
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
    if not found and _BARE_MSGID.fullmatch(value.strip()):
        found = [f"<{value.strip()}>"]
    return tuple(dict.fromkeys(found))


_ADDRESS_SEPARATORS = re.compile(r"[\s<>\"'(),;:]+")


def _bare_addresses(value: str) -> list[str]:
    # Split first and test each piece: a search pattern would backtrack on long values.
    return [
        token
        for token in _ADDRESS_SEPARATORS.split(value)
        if token.count("@") == 1 and not token.startswith("@") and not token.endswith("@")
    ]


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
            parsed = [("", a) for a in _bare_addresses(value)]
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
    name = unicodedata.normalize("NFC", name.replace("\x00", ""))
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


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: paragraphs and line breaks kept, lists and tables
    laid out, scripts and styles dropped."""
    cleaned = _XML_DECL.sub("", _CONTROL.sub(" ", html).replace("\x00", ""))
    if not cleaned.strip():
        return ""
    try:
        # loads lxml: only when a message has HTML
        from inscriptis import get_text
        from inscriptis.css_profiles import CSS_PROFILES
        from inscriptis.model.config import ParserConfig

        # "strict" renders the markup as written; the default pads every <div> with
        # spaces, which would indent whole messages.
        text = str(get_text(cleaned, ParserConfig(css=CSS_PROFILES["strict"])))
    except Exception:  # a tree the library cannot build still has readable text
        return _tidy(_strip_tags(cleaned))
    stripped = _strip_tags(cleaned)
    if _visible(text) * 2 < _visible(stripped):
        # lxml gives up on markup nested thousands deep and drops the rest silently
        return _tidy(stripped)
    return _tidy(text)


def _visible(text: str) -> int:
    return len(text) - sum(text.count(c) for c in " \n\t\xa0")


_BREAKING_TAGS = ("<br", "<p", "</p", "<div", "</div", "<li", "<tr", "<h", "</h", "<blockquote")


def _strip_tags(html: str) -> str:
    """Text of HTML without a parser: tags dropped, scripts and styles with their
    content, entities decoded. Only string searches: no pattern that could backtrack."""
    low = html.lower()
    out: list[str] = []
    pos = 0
    while pos < len(html):
        start = low.find("<", pos)
        if start < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:start])
        end = low.find(">", start)
        if end < 0:
            break
        pos = end + 1
        for tag in ("script", "style"):
            if low.startswith(tag, start + 1):
                close = low.find(f"</{tag}", pos)
                pos = len(html) if close < 0 else max(pos, low.find(">", close) + 1 or len(html))
        out.append("\n" if low.startswith(_BREAKING_TAGS, start) else "")
    return html_lib.unescape("".join(out))


def unflow(text: str, *, delsp: bool = False) -> str:
    """Text sent as `format=flowed` (RFC 3676, Thunderbird's default) with its soft line
    breaks joined: a line ending in a space goes on in the next line of the same quote
    depth; the signature line `-- ` stays a line of its own."""
    out: list[str] = []
    pending: tuple[int, str] | None = None  # (quote depth, text so far)
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing
        if pending is not None and pending[0] != depth:
            out.append(">" * pending[0] + (" " if pending[0] else "") + pending[1])
            pending = None
        joined = body if pending is None else pending[1] + body
        if body.endswith(" ") and body != "-- ":
            pending = (depth, joined[:-1] if delsp else joined)
            continue
        out.append(">" * depth + (" " if depth else "") + joined)
        pending = None
    if pending is not None:
        out.append(">" * pending[0] + (" " if pending[0] else "") + pending[1])
    return "\n".join(out)


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
    r"(?:wrote|пишет|написал\(а\)|написала?|писал\(а\)|пише|написав\(ла\)|написав|"
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
    kept = "\n".join(line.rstrip() for line in _trim_lines(lines, 0)).strip("\n")
    return kept if kept.strip() else text.strip("\n")


_SEPARATOR = re.compile(r"^\s*[-_=*~]{4,}\s*$")


def _trim_lines(lines: list[str], depth: int) -> list[str]:
    marker = _first_marker(lines)
    if marker is None:
        return lines
    cut, kind = marker
    before = lines[:cut]
    if any(line.strip() for line in before):
        # Top-posting: the new text is above. Outlook draws a line above its headers.
        while before and (not before[-1].strip() or _SEPARATOR.match(before[-1])):
            before.pop()
        return before
    if kind == "attribution" and depth < 5:
        # Bottom-posting: history first, the answer below it.
        return _trim_lines(_after_quote(lines, cut), depth + 1)
    return lines


def _after_quote(lines: list[str], cut: int) -> list[str]:
    i = cut + 1
    if i < len(lines) and not _is_quote(lines[i]) and lines[i].strip():
        i += 1  # the second half of a wrapped attribution line
    while i < len(lines) and (_is_quote(lines[i]) or not lines[i].strip()):
        i += 1
    return lines[i:]


def _first_marker(lines: list[str]) -> tuple[int, str] | None:
    """The first line where history or a signature begins, and which sign it is."""
    # Where the trailing run of quoted lines (blank lines allowed) begins; a signature
    # below the quote ("> ...", "-- ", "Ivan") still ends the text.
    end = next((i for i, line in enumerate(lines) if _SIG.match(line)), len(lines))
    tail_quotes = end
    for i in range(end - 1, -1, -1):
        if _is_quote(lines[i]):
            tail_quotes = i
        elif lines[i].strip():
            break
    for i, line in enumerate(lines):
        if i >= tail_quotes:
            return (tail_quotes, "quote")
        if _SIG.match(line):
            return (i, "signature")
        if _ORIGINAL.match(line.strip()) or (
            _HEADER_FROM.match(line) and _header_block_follows(lines, i)
        ):
            return (i, "headers")
        if _is_attribution(lines, i):
            return (i, "attribution")
    return None


def _next_nonblank(lines: list[str], i: int) -> str:
    for line in lines[i + 1 :]:
        if line.strip():
            return line
    return ""


# "On", "Am", "Le", ... : how the attribution lines that clients wrap begin
_ATTRIBUTION_START = re.compile(r"(?i)^(?:on|am|le|el|il|op|den)\s")


def _is_attribution(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if not line or _is_quote(line):
        return False
    # Clients wrap long attribution lines: "On Mon, ... John <" / "john@example.com> wrote:".
    wrapped = i + 1 < len(lines) and _ATTRIBUTION_START.match(line) is not None
    for joined in (line, f"{line} {lines[i + 1].strip()}" if wrapped else ""):
        if not joined:
            continue
        if _WROTE.search(joined) and (
            re.search(r"\d|@", joined) or _is_quote(_next_nonblank(lines, i))
        ):
            return True
        # the length check first: the pattern backtracks on long lines
        if len(joined) < 300 and "@" in joined and _DATED_ADDRESS.search(joined):
            return True
    return False


def _header_block_follows(lines: list[str], i: int) -> bool:
    """Whether the `From:` line at `i` opens a header block: at least two of Sent, To,
    Subject, ... among the next six lines (`From: x [mailto:x]` may wrap onto a second)."""
    return sum(1 for line in lines[i + 1 : i + 7] if _HEADER_OTHER.match(line)) >= 2


# ---------------------------------------------------------------------------------------
# Machine mail

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|auto[ -]?response|autoreply|out of (?:the )?office|"
    r"автоответ|автоматический ответ|автоматична відповідь|abwesenheitsnotiz|"
    r"automatische antwort|réponse automatique)\b",
    re.IGNORECASE,
)
# Subjects only a mail system writes (a person forwarding one starts with "Fwd:").
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered mail|delivery status notification \(failure\)|"
    r"mail delivery failed|returned mail|delivery failure|недоставленное сообщение|"
    r"не доставлено|unzustellbar)\b",
    re.IGNORECASE,
)
_DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_AUTO_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-Autogenerated",
    "X-Auto-Response-Suppress",
)


# Mailboxes no person reads: the mail system, no-reply senders, bounce and auto-reply
# boxes, list robots (`owner-list-request@`, `list-bounces@`).
_MACHINE_LOCALPART = re.compile(
    r"(?i)^(?:(?:mailer[-_.]?daemon|mail[-_.]?daemon|maildaemon|postmaster|daemon|"
    r"no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|bounces?|auto[-_.]?reply|"
    r"autoresponder|listserv|majordomo|nobody)(?:[-+._].*)?"
    r"|.*-(?:bounces?|request)(?:\+.*)?)$"
)


def is_machine_address(address: str) -> bool:
    """Whether an address belongs to a machine that must never be answered: the mail
    system (`MAILER-DAEMON`, `postmaster`, `daemon`), `noreply`/`no-reply`/`donotreply`
    and their variants (`noreply-42@`, `no-reply.x@`), bounce and auto-reply mailboxes
    (`bounces+abc@`), list robots (`*-request@`, `*-bounces@`, `listserv@`) and
    `nobody@`. The one rule for the intake and the outgoing mail."""
    local = address.strip().strip("<>").rpartition("@")[0] or address.strip()
    return _MACHINE_LOCALPART.match(local) is not None


def is_machine(msg: Message) -> str | None:
    """Whether a machine wrote a message: "bounce" for a delivery failure report,
    "auto-reply" for any other mail a machine wrote (RFC 3834 auto-replies, vacation
    notices, read receipts, list and bulk mail), None for mail a person wrote."""
    ctype = _safe_content_type(msg)
    report_type = (_param(msg, "report-type") or "").strip().lower()
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
    if any(_raw_header(msg, name) is not None for name in _AUTO_HEADERS):
        return "auto-reply"
    precedence = (_raw_header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "auto-reply"
    # iCloud's vacation notices say so only in a header of their own
    if (_raw_header(msg, "X-Apple-Action") or "").strip().upper() == "VACATION":
        return "auto-reply"
    # A subject alone proves nothing ("Out of office laptop can't reach VPN" is a person's):
    # it only says which kind, once a machine sender or an empty Return-Path says machine.
    subject = decode_header(_raw_header(msg, "Subject") or "")
    return_path = _raw_header(msg, "Return-Path")
    null_sender = return_path is not None and return_path.strip() in ("<>", "")
    machine_sender = bool(sender) and is_machine_address(sender[0].email)
    if not (null_sender or machine_sender):
        return None
    if _BOUNCE_SUBJECT.match(subject):
        return "bounce"
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply"
    return "bounce" if null_sender else "auto-reply"


def _safe_content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a parameter the policy cannot read
        return "text/plain"


def _param(part: Message, name: str, header: str = "Content-Type") -> str | None:
    """A parameter of a MIME header as raw text (RFC 2231 continuations joined, still
    encoded): read from the header as it came, so a header the policy cannot parse still
    gives its parameters."""
    value = _raw_header(part, header)
    if value is None:
        return None
    found = _param_segments(value, name)
    return None if found is None else found[1].decode("utf-8", errors="surrogateescape")


_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_SEGMENT = re.compile(r"(\d+)(\*?)")


def _params(value: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    for m in _PARAM.finditer(_FOLD.sub("", value)):
        raw = m.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(
                r"\\(.)", r"\1", raw[1:-1] if raw.endswith('"') and len(raw) > 1 else raw[1:]
            )
        result.append((m.group(1).lower(), raw))
    return result


def _param_segments(value: str, name: str) -> tuple[str | None, bytes, bool] | None:
    """(declared charset, bytes, whether RFC 2231 encoded) of parameter `name`: `name`,
    `name*` or the continuations `name*0*`, `name*1` ..., joined in order."""
    key = name.lower()
    plain: str | None = None
    pieces: dict[int, tuple[str, bool]] = {}
    for param, raw in _params(value):
        if param == key and plain is None:
            plain = raw
        elif param == f"{key}*":
            pieces.setdefault(0, (raw, True))
        elif param.startswith(f"{key}*"):
            m = _SEGMENT.fullmatch(param[len(key) + 1 :])
            if m is not None:
                pieces.setdefault(int(m.group(1)), (raw, m.group(2) == "*"))
    if not pieces:
        return None if plain is None else (None, _header_bytes(plain), False)
    charset: str | None = None
    data = bytearray()
    for index, (_n, (raw, extended)) in enumerate(sorted(pieces.items())):
        text = raw
        if extended and index == 0 and text.count("'") >= 2:
            charset, _lang, text = text.split("'", 2)
        if extended:
            data += urllib.parse.unquote_to_bytes(text)
        else:
            data += _header_bytes(text)
    return (charset or None, bytes(data), True)


def _param_text(part: Message, name: str, header: str, fallbacks: Sequence[str]) -> str | None:
    value = _raw_header(part, header)
    if value is None:
        return None
    found = _param_segments(value, name)
    if found is None:
        return None
    charset, data, encoded = found
    if encoded:
        return decode_bytes(data, charset, fallbacks)
    # Plain parameters carry RFC 2047 words (against the RFC, but most clients write
    # file names that way) or raw 8-bit text.
    return decode_header(data.decode("utf-8", errors="surrogateescape"), fallbacks)


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
    last_header = max((i for i, t in enumerate(texts) if _HEADER_LINE.match(t)), default=0)
    fixed = False
    for i in range(1, last_header):
        line = texts[i]
        if line and line[:1] not in b" \t" and not _HEADER_LINE.match(line):
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


_MIME_HEADER = re.compile(rb"(?im)^content-[a-z-]*[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")
_MIME_HEADER_MAX = 4096


def _has_huge_mime_header(data: bytes) -> bool:
    return any(len(m.group()) > _MIME_HEADER_MAX for m in _MIME_HEADER.finditer(data))


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
    policies = [email.policy.default, email.policy.compat32]
    if _has_huge_mime_header(data):
        # The modern policy's parameter parser takes time growing with the square of a
        # header's parameters; a hostile header with thousands would stall the intake.
        policies.pop(0)
    for policy in policies:
        try:
            return _read(email.message_from_bytes(data, policy=policy), raw, fallback_charsets)
        except Exception:  # the modern policy trips over some broken headers
            continue
    return _read_headers_only(raw, data, fallback_charsets)


def _read(msg: Message, raw: bytes, fallbacks: Sequence[str]) -> InboundMail:
    header = _HeaderReader(msg, fallbacks)
    machine = is_machine(msg)
    # A returned message in a bounce is our own mail; one a person forwards is news.
    walker = _Walker(fallbacks, forwards=machine is None, linesep=_linesep(raw))
    walker.walk(msg)
    full_text = walker.text()
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
        # a message whose only content is a forwarded one: that is its news
        text=walker.reply_text() or full_text,
        full_text=full_text,
        attachments=attachments,
        machine=machine,
        quoted_ids=quoted,
        raw=raw,
    )


def _read_headers_only(raw: bytes, data: bytes, fallbacks: Sequence[str]) -> InboundMail:
    """The last resort for a structure nothing can walk (nesting deeper than the parser
    recurses): the headers, and the bytes after them as text."""
    end = re.search(rb"\r?\n\r?\n|\r\r", data)
    try:
        msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            data[: end.start()] if end else data
        )
    except Exception:
        msg = email.message.Message()
    header = _HeaderReader(msg, fallbacks)
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


_TEXT_MSGID = re.compile(r"(?im)^\s*(?:original-)?message-id\s*:\s*(<[^<>\s]+>)")


def _ids_in_text(text: str) -> list[str]:
    # Bounces that paste the returned message's headers as plain text.
    found: list[str] = []
    for m in _TEXT_MSGID.findall(text):
        found.extend(message_ids(m))
    return found


def _linesep(raw: bytes) -> str:
    end = raw.find(b"\n")
    return "\r\n" if end > 0 and raw[end - 1 : end] == b"\r" else "\n"


class _HeaderReader:
    def __init__(self, msg: Message, fallbacks: Sequence[str]) -> None:
        self.msg = msg
        self.fallbacks = fallbacks

    def raw(self, name: str) -> str | None:
        return _raw_header(self.msg, name)

    def text(self, name: str) -> str:
        value = self.raw(name)
        return "" if value is None else " ".join(decode_header(value, self.fallbacks).split())

    def message_id(self, raw: bytes) -> str:
        ids = message_ids(self.raw("Message-ID"))
        if ids:
            return ids[0]
        return fallback_message_id(raw)

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

    def __init__(self, fallbacks: Sequence[str], *, forwards: bool, linesep: str) -> None:
        self.fallbacks = fallbacks
        # Attached messages are written back as they came: headers not refolded, the
        # message's own line ends.
        self.writer = email.policy.default.clone(refold_source="none", linesep=linesep)
        self.forwards = forwards  # whether attached messages add their text to the body
        self.bodies: list[tuple[str, str]] = []  # (kind: plain|html|forward, text)
        self.attachments: list[_Part] = []
        self.quoted_ids: list[str] = []
        self.files_only = 0  # inside alternatives not chosen for the body

    def text(self) -> str:
        texts = [html_to_text(t) if kind == "html" else _tidy(t) for kind, t in self.bodies]
        return "\n\n".join(t for t in texts if t.strip())

    def reply_text(self) -> str:
        """The new text: each body trimmed; messages forwarded as attachments left out
        (they are in the full text and kept as files)."""
        texts = []
        for kind, t in self.bodies:
            if kind == "html":
                texts.append(trim_reply(_html_to_quoted_text(t)))
            elif kind == "plain":
                texts.append(trim_reply(_tidy(t)))
        return "\n\n".join(t for t in texts if t.strip())

    def walk(self, part: Message, depth: int = 0) -> None:
        ctype = _safe_content_type(part)
        if depth > 50:  # a hostile nesting depth: keep what was found so far
            return
        if ctype in ("message/rfc822", "message/global", "text/rfc822-headers"):
            self._returned(part, ctype, depth)
            return
        if ctype.startswith("message/"):
            # delivery-status, disposition-notification, ...: the parser reads their
            # header blocks as sub-messages; kept as the file they were sent as
            data = _body_bytes(part, self.writer)
            self._attach(part, ctype, data)
            if ctype == "message/disposition-notification":
                # a read receipt names the message read (RFC 8098 Original-Message-ID)
                self.quoted_ids.extend(_ids_in_text(data.decode("ascii", errors="replace")))
            return
        if part.is_multipart():
            subparts = [p for p in part.get_payload() if not isinstance(p, str)]
            if ctype == "multipart/alternative":
                self._alternative(subparts, depth)
            else:
                for sub in subparts:
                    self.walk(sub, depth + 1)
            return
        if ctype in ("text/plain", "text/html") and not self._is_attachment(part, depth):
            if not self.files_only:
                text = self._decode(part)
                self.bodies.append(("html" if ctype == "text/html" else "plain", text))
            return
        self._attach(part, ctype)

    def _alternative(self, subparts: list[Message], depth: int) -> None:
        """The body from one alternative: the plain one when it has text, else the
        richest other one. The others still give their files: a screenshot pasted into
        an HTML reply lives only in the HTML alternative's multipart/related."""
        chosen = self._choose(subparts)
        for sub in subparts:
            if sub is chosen:
                self.walk(sub, depth + 1)
            else:
                self.files_only += 1
                self.walk(sub, depth + 1)
                self.files_only -= 1

    def _choose(self, subparts: list[Message]) -> Message | None:
        for p in subparts:
            if _safe_content_type(p) == "text/plain" and self._decode(p).strip():
                return p
        others = [p for p in subparts if _safe_content_type(p) != "text/plain"]
        return others[-1] if others else None

    def _is_attachment(self, part: Message, depth: int) -> bool:
        """Whether a text part is a file rather than the body: it says `attachment`, or
        it is named (a named text part is a file the sender attached, shown inline or
        not), unless it is the whole message."""
        disposition = (_raw_header(part, "Content-Disposition") or "").split(";", 1)[0]
        if disposition.strip().lower() == "attachment":
            return True
        return depth > 0 and _filename(part, self.fallbacks) is not None

    def _decode(self, part: Message) -> str:
        data = _payload_bytes(part)
        text = decode_bytes(data, _param(part, "charset"), self.fallbacks)
        if (_param(part, "format") or "").strip().lower() == "flowed":
            delsp = (_param(part, "delsp") or "").strip().lower() == "yes"
            text = unflow(text, delsp=delsp)
        return text

    def _attach(self, part: Message, ctype: str, data: bytes | None = None) -> None:
        name = _filename(part, self.fallbacks)
        if not name:
            name = _DEFAULT_NAMES.get(ctype, "attachment")
        self.attachments.append(_Part(name, ctype, _payload_bytes(part) if data is None else data))

    def _returned(self, part: Message, ctype: str, depth: int) -> None:
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
                    data = inner.as_bytes(policy=self.writer)
                except Exception:  # a returned message too broken to write back
                    data = _payload_bytes(part)
        self.quoted_ids.extend(message_ids(_raw_header(inner, "Message-ID")))
        self._attach(part, ctype, data)
        if self.forwards and not self.files_only and ctype != "text/rfc822-headers":
            self._forwarded(inner, depth)

    def _forwarded(self, inner: Message, depth: int) -> None:
        walker = _Walker(self.fallbacks, forwards=True, linesep=self.writer.linesep)
        walker.walk(inner, depth + 1)
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To"):
            value = _raw_header(inner, name)
            if value is not None:
                lines.append(f"{name}: {' '.join(decode_header(value, self.fallbacks).split())}")
        self.bodies.append(("forward", "\n".join(lines) + "\n\n" + walker.text()))


def _filename(part: Message, fallbacks: Sequence[str]) -> str | None:
    """The file name a part declares (Content-Disposition `filename`, else Content-Type
    `name`), decoded; None when it declares none or only blanks."""
    for header, key in (("Content-Disposition", "filename"), ("Content-Type", "name")):
        name = _param_text(part, key, header, fallbacks)
        if name is not None and name.strip():
            return name
    return None


def _body_bytes(part: Message, writer: email.policy.Policy) -> bytes:
    """A part's body as it is written in the message (after its header block)."""
    try:
        whole = part.as_bytes(policy=writer)
    except Exception:  # a part too broken to write back
        return _payload_bytes(part)
    end = re.search(rb"\r?\n\r?\n", whole)
    return whole[end.end() :] if end else b""


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
