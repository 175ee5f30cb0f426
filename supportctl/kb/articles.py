"""KB articles: `data/kb/<slug>.md` with YAML front matter and a Markdown body.

Slugs are ASCII: Cyrillic titles are transliterated, so a slug is safe in a file
name, a URL and a shell on every system.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from supportctl import yamlio

FRONT_KEYS = ("title", "tags", "products", "customers", "tickets", "updated")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Ukrainian letters that differ from Russian
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
}


class ArticleError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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


def slugify(title: str, limit: int = 60) -> str:
    text = unicodedata.normalize("NFC", title).casefold()
    out = []
    for ch in text:
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base if base.isalnum() else "-")
    slug = re.sub(r"-+", "-", "".join(out)).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug or "article"


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line where the body starts)."""
    if not text.startswith("---"):
        raise ArticleError("missing front matter (the file must start with ---)", 1)
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]).strip("\n"), i + 2
    raise ArticleError("front matter is not closed with ---", 1)


def _str_list(meta: Any, key: str) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ArticleError(f"`{key}` must be a list", yamlio.line_of(meta, key) + 1)
    return [str(v) for v in value]


def parse_article(content: bytes, path: str) -> Article:
    if len(content) > yamlio.MAX_FILE_BYTES:
        raise ArticleError(f"file is too large ({len(content)} bytes)")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 (byte {exc.start})") from None
    front, body, _ = split_front_matter(text.replace("\r\n", "\n"))
    try:
        meta = yamlio.load(front)
    except yamlio.YamlProblem as exc:
        raise ArticleError(f"front matter: {exc.message}", exc.line + 1) from None
    if not isinstance(meta, dict):
        raise ArticleError("front matter must be a mapping", 2)
    title = str(meta.get("title") or "").strip()
    if not title:
        raise ArticleError("front matter: missing `title`", 2)
    slug = path.rsplit("/", 1)[-1].removesuffix(".md")
    if not SLUG_RE.match(slug):
        raise ArticleError(f"bad slug {slug!r}: lowercase ASCII letters, digits and - only")
    updated = meta.get("updated")
    return Article(
        slug=slug,
        title=title,
        tags=_str_list(meta, "tags"),
        products=_str_list(meta, "products"),
        customers=_str_list(meta, "customers"),
        tickets=_str_list(meta, "tickets"),
        updated=str(updated) if updated is not None else "",
        body=body,
        path=path,
    )
