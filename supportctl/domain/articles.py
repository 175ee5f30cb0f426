"""KB articles: `data/kb/<slug>.md`, YAML front matter and a Markdown body.

The file format (public: people write and review these files by hand)::

    ---
    title: Не печатаются чеки на кассе            # required
    tags: [pos, kkt]                              # optional lists of strings
    products: [АТОЛ 30Ф]
    customers: [marketplus]                       # customer keys from supportctl.yaml
    tickets: [SUP-7, SUP-31]                      # tickets this article answers
    updated: 2026-10-05                           # date of the last content edit
    ---
    ## Problem
    ...

A new file gets the keys in exactly that order; hand-added keys and comments
survive every supportctl edit (round-trip YAML), and the body is never rewritten
unless its text changes.

Slugs (the file name without `.md`) are ASCII: lowercase letters, digits and `-`,
at most 80 characters, so a slug is safe in a file name, a URL and a shell on
every system. `slugify` makes one from a title: Russian is transliterated with
the common passport-style table (ж→zh, х→kh, щ→shch, я→ya), a title with Ukrainian
letters (і ї є ґ) with the Ukrainian national system (г→h, и→y, я→ia, and є/ї/й/ю/я
as ye/yi/y/yu/ya at the start of a word), other Latin letters lose their accents,
anything else becomes `-`. Slugs are cut at a word boundary near 60 characters.
A title with nothing transliterable gets `article-N`. The slug never changes when
the title is edited, so links from tickets keep working.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from supportctl.domain import yamlio
from supportctl.domain.text import SLUG_MAX, is_slug

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date

KB_DIR = "data/kb"
SLUG_LIMIT = 60
MAX_ARTICLE_TITLE = 200

_TRANSLIT_RU = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian letters inside an otherwise Russian-looking title
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}  # fmt: skip
# Ukrainian national transliteration (2010), as in passports and on road signs.
_TRANSLIT_UK = {
    **_TRANSLIT_RU,
    "г": "h", "ґ": "g", "е": "e", "є": "ie", "и": "y", "і": "i", "ї": "i", "й": "i",
    "ю": "iu", "я": "ia", "ь": "",
}  # fmt: skip
# Dropped, not turned into "-": "don't" -> dont, "п'ять" -> pyat / piat.
_APOSTROPHES = frozenset("'’ʼ")
_UK_WORD_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")


class ArticleError(Exception):
    """A KB file that cannot be read; `line` is 1-based in the file."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class ArticleMeta:
    """A KB article's front matter, read and checked (`parse_meta`). Field order is the
    key order of a new article's front matter."""

    title: str
    tags: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    tickets: tuple[str, ...] = ()  # the tickets the article answers
    updated: str = ""  # the date of the last change, as written

    def to_plain(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "tags": list(self.tags),
            "products": list(self.products),
            "customers": list(self.customers),
            "tickets": list(self.tickets),
            "updated": self.updated,
        }


# The front matter's keys in their order: from the fields above.
FRONT_KEYS = tuple(f.name for f in dataclasses.fields(ArticleMeta))


@dataclass
class Article:
    slug: str
    title: str
    tags: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    updated: str = ""
    body: str = ""
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "tags": self.tags,
            "products": self.products,
            "customers": self.customers,
            "tickets": self.tickets,
            "updated": self.updated,
            "body": self.body,
            "path": self.path,
        }


def article_path(slug: str) -> str:
    return f"{KB_DIR}/{slug}.md"


def slug_of_path(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def slugify(title: str, limit: int = SLUG_LIMIT) -> str:
    """ASCII slug of a title, or "" when nothing in it can be transliterated.

    >>> slugify("Не печатаются чеки на кассе")
    'ne-pechatayutsya-cheki-na-kasse'
    >>> slugify("Не працює VPN після зміни пароля")
    'ne-pratsiuie-vpn-pislia-zminy-parolia'
    """
    text = unicodedata.normalize("NFC", title).casefold()
    table = _TRANSLIT_UK if _UKRAINIAN.search(text) else _TRANSLIT_RU
    ukrainian = table is _TRANSLIT_UK
    out = []
    prev = ""
    for ch in text:
        if ch in _APOSTROPHES:
            continue
        if ukrainian and ch in _UK_WORD_START and not prev.isalpha():
            out.append(_UK_WORD_START[ch])
        elif ch in table:
            out.append(table[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode().lower()
            out.append(base if base.isalnum() else "-")
        prev = ch
    slug = re.sub(r"-+", "-", "".join(out)).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-")


def new_slug(title: str, taken: Callable[[str], bool]) -> str:
    """The slug a new article with `title` gets; `article-N` (first free N) if it has none."""
    slug = slugify(title)
    if slug:
        return slug
    n = 1
    while taken(f"article-{n}"):
        n += 1
    return f"article-{n}"


# -- reading ---------------------------------------------------------------------------
def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line where the body starts)."""
    front, rest, line = _split_raw(text)
    return front, rest.strip("\n"), line


def _split_raw(text: str) -> tuple[str, str, int]:
    """(front matter, everything after the closing ---, its first line), body verbatim."""
    if not text.startswith("---"):
        raise ArticleError("missing front matter (the file must start with ---)", 1)
    first_end = text.find("\n")
    if first_end == -1 or text[:first_end].rstrip() != "---":
        raise ArticleError("missing front matter (the file must start with a --- line)", 1)
    pos = first_end + 1
    line = 2
    while pos <= len(text):
        end = text.find("\n", pos)
        current = text[pos:] if end == -1 else text[pos:end]
        if current.rstrip() == "---":
            rest = "" if end == -1 else text[end + 1 :]
            return text[first_end + 1 : pos], rest, line + 1
        if end == -1:
            break
        pos = end + 1
        line += 1
    raise ArticleError("front matter is not closed with ---", 1)


def _decode(content: bytes) -> str:
    if len(content) > yamlio.MAX_FILE_BYTES:
        raise ArticleError(f"file is too large ({len(content)} bytes)")
    if b"\x00" in content:
        raise ArticleError("file is binary (contains NUL bytes)")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 (byte {exc.start})") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _load_front(front: str) -> Any:
    try:
        meta = yamlio.load(front)
    except yamlio.YamlProblem as exc:
        # The front matter starts on the file's second line.
        raise ArticleError(
            f"front matter: {exc.message}", exc.line + 1 if exc.line else 2
        ) from None
    if meta is None:
        meta = CommentedMap()
    if not isinstance(meta, dict):
        raise ArticleError("front matter must be a mapping of keys like `title:`", 2)
    return meta


def _str_list(meta: Any, key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    line = yamlio.line_of(meta, key) + 1 or 2
    if not isinstance(value, list):
        raise ArticleError(f"`{key}` must be a list like [a, b]", line)
    if any(isinstance(v, dict | list) for v in value):
        raise ArticleError(f"`{key}` must be a list of plain values", line)
    return tuple(str(v) for v in value if v is not None)


def parse_content(content: bytes) -> dict[str, Any]:
    """Front matter fields and body of a KB file, as plain data (no slug: that is the name).

    Raises ArticleError with the file line at fault.
    """
    meta, body = parse_meta(content)
    return {**meta.to_plain(), "body": body}


def parse_meta(content: bytes) -> tuple[ArticleMeta, str]:
    """The front matter and the body of a KB file; ArticleError with the line at fault."""
    front, body, _ = split_front_matter(_decode(content))
    meta = _load_front(front)
    raw_title = meta.get("title")
    if isinstance(raw_title, dict | list):
        raise ArticleError("`title` must be text", yamlio.line_of(meta, "title") + 1 or 2)
    title = " ".join(str(raw_title or "").split())
    if not title:
        raise ArticleError("front matter: missing `title`", 2)
    updated = meta.get("updated")
    article = ArticleMeta(
        title=title,
        tags=_str_list(meta, "tags"),
        products=_str_list(meta, "products"),
        customers=_str_list(meta, "customers"),
        tickets=_str_list(meta, "tickets"),
        updated=str(yamlio.plain(updated)) if updated is not None else "",
    )
    return article, body


def from_fields(fields: dict[str, Any], path: str) -> Article:
    return Article(
        slug=slug_of_path(path),
        title=str(fields["title"]),
        tags=list(fields["tags"]),
        products=list(fields["products"]),
        customers=list(fields["customers"]),
        tickets=list(fields["tickets"]),
        updated=str(fields["updated"]),
        body=str(fields["body"]),
        path=path,
    )


def parse_article(content: bytes, path: str) -> Article:
    """An article from its file content and repo path; ArticleError when it is broken."""
    slug = slug_of_path(path)
    if not is_slug(slug):
        raise ArticleError(
            f"bad slug {slug!r}: lowercase ASCII letters, digits and - only (at most {SLUG_MAX})"
        )
    return from_fields(parse_content(content), path)


# -- writing ---------------------------------------------------------------------------
def _flow(values: Iterable[str]) -> CommentedSeq:
    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


def render_article(
    *,
    title: str,
    tags: Sequence[str] = (),
    products: Sequence[str] = (),
    customers: Sequence[str] = (),
    tickets: Sequence[str] = (),
    updated: date | None = None,
    body: str = "",
) -> bytes:
    """A new KB file with the keys in their documented order."""
    meta = CommentedMap()
    meta["title"] = title
    meta["tags"] = _flow(tags)
    meta["products"] = _flow(products)
    meta["customers"] = _flow(customers)
    meta["tickets"] = _flow(tickets)
    # A date, not a string: written unquoted (updated: 2026-10-05) like hand-written files.
    meta["updated"] = updated
    return _assemble(meta, "\n" + body.strip("\n") + "\n" if body.strip() else "")


def _assemble(meta: Any, rest: str) -> bytes:
    front = yamlio.dump(meta).decode("utf-8")
    return ("---\n" + front + "---\n" + rest).encode("utf-8")


def front_matter(content: bytes) -> Any:
    """The round-trip front matter mapping of a KB file (ArticleError when unreadable)."""
    front, _, _ = _split_raw(_decode(content))
    return _load_front(front)


def split_article(content: bytes) -> tuple[Any, str]:
    """(round-trip front matter, everything after its closing --- verbatim); ArticleError."""
    front, rest, _ = _split_raw(_decode(content))
    return _load_front(front), rest


def assemble_article(meta: Any, rest: str) -> bytes:
    return _assemble(meta, rest)


def update_article(content: bytes, change: Callable[[Any], None], body: str | None = None) -> bytes:
    """Apply `change` to the round-trip front matter; replace the body only when `body` is given.

    Keys and comments the author added by hand survive; so does the body, byte for byte.
    """
    front, rest, _ = _split_raw(_decode(content))
    meta = _load_front(front)
    change(meta)
    if body is not None:
        rest = "\n" + body.strip("\n") + "\n" if body.strip() else ""
    return _assemble(meta, rest)


def set_key(meta: Any, key: str, value: Any) -> None:
    """Set a front matter key, inserting a missing one at its documented place."""
    yamlio.set_in_order(meta, key, value, FRONT_KEYS)


def str_list(meta: Any, key: str) -> Any:
    """The list under `key`, created when missing; an empty `[]` stays one line when filled."""
    value = meta.get(key)
    if not isinstance(value, list):
        value = _flow([])
        set_key(meta, key, value)
    elif not value and isinstance(value, CommentedSeq):
        value.fa.set_flow_style()
    return value
