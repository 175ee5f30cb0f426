"""Text rules shared by every layer: KB slugs and escaping text for Markdown.

Markdown escaping has one rule, `escape_markdown`; the other functions only decide
which whitespace of a value survives before it is applied (one line, a quote block, a
code span). Text in data never becomes markup, a link or an image.
"""

from __future__ import annotations

import re
from typing import Any

from supportctl.domain.errors import UsageError

SLUG_MAX = 80
_SLUG_RE = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{SLUG_MAX - 1}}}")

# Markdown's inline specials (backslash-escaped; `#` too, for a value at a line start) and
# HTML's (as entities: Python-Markdown does not honour `\<`).
_MD_SPECIAL = "\\`*_[]|~#"
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans({**_HTML_SPECIAL, **{ch: "\\" + ch for ch in _MD_SPECIAL}})
# str.translate is slow on non-ASCII text, and most values (names, titles, dates) have
# nothing to escape: a search finds those first.
_ANY_SPECIAL = re.compile("[" + re.escape(_MD_SPECIAL + "".join(_HTML_SPECIAL)) + "]")
_BREAKS = re.compile(r"[^\S ]")  # whitespace other than a space: a value stays on its line


def is_slug(text: str) -> bool:
    """Whether `text` is a KB slug as it stands: 1-80 lowercase ASCII letters, digits and
    `-`, not starting with `-` (safe in a file name, a URL and a shell). Nothing is
    trimmed first: a file named ` x.md` or `x\\n.md` has no slug."""
    return _SLUG_RE.fullmatch(text) is not None


def check_slug(raw: str) -> str:
    """A slug the user typed, without surrounding spaces; UsageError if it is none."""
    slug = raw.strip()
    if not is_slug(slug):
        raise UsageError(
            f"bad slug {raw!r}: lowercase ASCII letters, digits and - only, at most {SLUG_MAX}"
        )
    return slug


def escape_markdown(text: str) -> str:
    """The one escaping rule for Markdown output: line breaks become spaces, HTML specials
    entities, Markdown specials backslash-escaped. Spaces are kept as they are."""
    text = _BREAKS.sub(" ", text)
    return text if _ANY_SPECIAL.search(text) is None else text.translate(_ESCAPES)


def _text(value: Any) -> str:
    return str(value if value is not None else "")


def md_text(value: Any) -> str:
    """One line of text, safe anywhere in Markdown (table cells included): whitespace
    collapsed, HTML specials as entities, Markdown specials backslash-escaped."""
    return escape_markdown(" ".join(_text(value).split()))


def md_quote(value: Any, indent: int = 0) -> str:
    """A block of text as a Markdown quote, line by line; each line is escaped (its
    indentation and inner spaces kept), so it cannot open markup."""
    pad = " " * indent
    lines = []
    for line in _text(value).strip().splitlines():
        lead = line[: len(line) - len(line.lstrip())].replace("\t", "    ")
        lines.append(f"{pad}> {lead}{escape_markdown(line.strip())}".rstrip())
    return "\n".join(lines) or f"{pad}>"


def md_code(value: Any) -> str:
    """One line of text as a Markdown code span (shown literally; a backtick in the text
    cannot close it, `<` stays text)."""
    text = " ".join(_text(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
