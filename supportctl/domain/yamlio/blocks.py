"""Block YAML of the shape supportctl writes, read line by line.

A ticket file is a mapping of keys to plain or quoted one-line scalars, literal block
scalars (`|`, `|-`), flow lists of words (`[vip, network]`), and lists of scalars or of
such mappings, as the round-trip writer lays them out. Read line by line with a few compiled patterns, such a file costs a
fraction of building it from libyaml's events one Python object per event, which matters
where thousands of files are read at once (a cold listing, the hand edits of a history).

The reader is only sure of that shape: anything else in a file (flow collections other
than `[]` and `{}`, multi-line flow scalars, escapes, comments, anchors, tags, other
block scalar headers, a sequence at its key's own indentation, duplicate keys, ...)
raises `Unsure`, and the file is left to the libyaml reader, which in turn leaves what
it is unsure of to the round-trip reader. Whatever this reader returns is what those
give (tests/domain/test_yamlio.py compares them on generated and mutated files).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Unsure", "read"]


class Unsure(Exception):
    """The text is not of the shape this reader knows: another reader must read it."""


# libyaml allows a key of up to 1,024 characters on one line (YAML, 7.4.2); kept well within
_LONGEST_KEY = 1000
# Characters that end or change a plain scalar, or start something else, where they
# stand; `: `, ` #` and a final `:` are checked apart.
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")


class _Patterns(NamedTuple):
    key: re.Pattern[str]  # `key:` and what follows it; a key that is a plain word
    single: re.Pattern[str]
    double: re.Pattern[str]
    # a flow sequence of words (`tags: [vip, network]`): the one flow collection files hold
    words: re.Pattern[str]
    # what YAML does not allow in a stream at all, and the byte order mark: the other
    # readers say what is wrong with such a file
    unprintable: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    """Compiled when the first file is read, not when the module is imported (a few
    milliseconds that commands reading no YAML need not pay)."""
    return _Patterns(
        re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?\Z"),
        re.compile(r"'((?:[^']|'')*)' *\Z"),
        re.compile(r'"([^"\\]*)" *\Z'),
        re.compile(r"\[ *(\w[\w.-]*(?: *, *\w[\w.-]*)*) *\] *\Z"),
        re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"),
    )


def read(
    text: str,
    plain: Callable[[str], Any],
    typed: frozenset[str],
    max_nodes: int,
    max_depth: int,
) -> dict[str, Any]:
    """The mapping a file of that shape holds. `plain(value)` is a plain scalar's value
    (raising `Unsure` where it cannot tell); only a plain scalar whose first character
    is in `typed` can be anything but the string it is. Unsure past `max_nodes` nodes or
    `max_depth` levels: the other readers report those limits."""
    patterns = _patterns()
    if patterns.unprintable.search(text):
        raise Unsure
    lines = text.split("\n")
    reader = _Reader(lines, plain, typed, max_depth, patterns)
    first = reader.skip_blank(0)
    if first == len(lines) or lines[first][:1] == " ":
        raise Unsure
    value, end = reader.mapping(first, 0, 1)
    if end != len(lines) or reader.nodes > max_nodes:
        raise Unsure
    return value


# keys already known to be plain strings (`id`, `status`, ...: the same few in every file)
_KEYS: set[str] = set()


class _Reader:
    __slots__ = ("depth", "key", "lines", "nodes", "patterns", "plain", "typed")

    def __init__(
        self,
        lines: list[str],
        plain: Callable[[str], Any],
        typed: frozenset[str],
        depth: int,
        patterns: _Patterns,
    ) -> None:
        self.patterns = patterns
        self.key = patterns.key.match
        self.lines = lines
        self.plain = plain
        self.typed = typed
        self.nodes = 0  # counted as libyaml's events count them, checked at the end
        self.depth = depth

    def skip_blank(self, i: int) -> int:
        lines = self.lines
        while i < len(lines) and not lines[i].strip(" "):
            i += 1
        return i

    def mapping(self, i: int, n: int, depth: int) -> tuple[dict[str, Any], int]:
        """The block mapping whose keys stand at column `n`, from line `i`."""
        if depth > self.depth:
            raise Unsure
        lines = self.lines
        found: dict[str, Any] = {}
        end = len(lines)
        while i < end:
            line = lines[i]
            content = line.lstrip(" ")
            if not content:
                i += 1
                continue
            at = len(line) - len(content)
            if at < n:
                break
            if at > n:
                raise Unsure  # a continuation line, or a key out of line
            m = self.key(content)
            if m is None:
                raise Unsure
            key, rest = m.groups()
            if key in found or len(key) > _LONGEST_KEY:
                raise Unsure
            if key not in _KEYS:
                if self.plain(key) != key:
                    raise Unsure  # `true:`, `null:`: keys that are not strings
                if len(_KEYS) < 1000:
                    _KEYS.add(key)
            found[key], i = self.value(i, n, rest.rstrip(" ") if rest else "", depth)
        self.nodes += 1 + len(found)
        return found, i

    def sequence(self, i: int, n: int, depth: int) -> tuple[list[Any], int]:
        """The block sequence whose dashes stand at column `n`, from line `i`."""
        if depth > self.depth:
            raise Unsure
        self.nodes += 1
        lines = self.lines
        items: list[Any] = []
        while i < len(lines):
            line = lines[i]
            if not line.strip(" "):
                i += 1
                continue
            at = len(line) - len(line.lstrip(" "))
            if at < n:
                break
            if at > n or not line.startswith("- ", n):
                raise Unsure
            rest = line[n + 2 :].lstrip(" ")
            column = len(line) - len(rest)
            rest = rest.rstrip(" ")
            if not rest or rest[0] == "-":
                raise Unsure  # an item on the lines below, or a sequence in a sequence
            if self.key(rest):
                lines[i] = " " * column + rest  # its first key, where its others stand
                item, i = self.mapping(i, column, depth + 1)
            else:
                item, i = self.value(i, n, rest, depth)
            items.append(item)
        return items, i

    def value(self, i: int, n: int, rest: str, depth: int) -> tuple[Any, int]:
        """The value written after a key or dash on line `i` (`rest`, stripped) of a
        collection at column `n`, and the line after it."""
        if not rest:
            j = self.skip_blank(i + 1)
            if j == len(self.lines):
                self.nodes += 1
                return None, j
            line = self.lines[j]
            at = len(line) - len(line.lstrip(" "))
            if at <= n:
                if at == n and line.startswith("-", n):
                    raise Unsure  # a sequence at its key's own column
                self.nodes += 1
                return None, i + 1
            if line.startswith("-", at):
                return self.sequence(j, at, depth + 1)
            return self.mapping(j, at, depth + 1)
        self.nodes += 1
        first = rest[0]
        if first == "'":
            m = self.patterns.single.match(rest)
            if m is None:
                raise Unsure
            return m.group(1).replace("''", "'"), i + 1
        if first == '"':
            m = self.patterns.double.match(rest)
            if m is None:
                raise Unsure
            return m.group(1), i + 1
        if first == "|":
            if rest == "|":
                return self.literal(i, n, keep_last=True)
            if rest == "|-":
                return self.literal(i, n, keep_last=False)
            raise Unsure
        if first in "[{" and depth >= self.depth:
            raise Unsure  # a collection one level deeper, past the readers' limit
        if rest == "[]":
            return [], i + 1
        if first == "[":
            m = self.patterns.words.match(rest)
            if m is None:
                raise Unsure
            words = [self.plain(word.strip(" ")) for word in m.group(1).split(",")]
            self.nodes += len(words)
            return words, i + 1
        if rest == "{}":
            return {}, i + 1
        if first in _NOT_PLAIN_START or ": " in rest or " #" in rest or rest[-1] == ":":
            raise Unsure
        return (self.plain(rest) if first in self.typed else rest), i + 1

    def literal(self, i: int, n: int, keep_last: bool) -> tuple[str, int]:
        """A literal block scalar (`|` keeps its last line break, `|-` none) whose header
        is on line `i`, under a collection at column `n`."""
        lines = self.lines
        j = i + 1
        if j == len(lines) or not lines[j].strip(" "):
            raise Unsure  # empty, or leading blank lines: rare, and subtle
        m = len(lines[j]) - len(lines[j].lstrip(" "))
        if m <= n:
            raise Unsure
        parts: list[str] = []
        blank = 0  # blank lines not yet known to be inside the text
        while j < len(lines):
            line = lines[j]
            if not line.strip(" "):
                if len(line) > m:
                    raise Unsure  # spaces past the indentation: text, or not
                blank += 1
                j += 1
                continue
            if len(line) - len(line.lstrip(" ")) < m:
                break
            if blank:
                parts.append("\n" * blank)
                blank = 0
            parts.append(line[m:])
            parts.append("\n")
            j += 1
        # `|-` keeps no line break at the end; `|` keeps the one the text has (none at the
        # end of a file without a final line break)
        if not keep_last or (j == len(lines) and not blank):
            parts.pop()
        return "".join(parts), j
