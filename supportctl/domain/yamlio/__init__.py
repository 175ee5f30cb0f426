"""Reading YAML files, guarded against hostile ones; the round trip (`roundtrip`) for edits.

Loading is guarded against hostile files: a size cap, a depth cap, and caps on the
nodes a file makes (counting every node an alias repeats) and on its anchors and
aliases. The caps are counted while the file is composed, event by event, so a file of
400,000 flow items or 150,000 anchors stops at the first node past a cap, in well under
a second, instead of being read whole first.

Ordinary files are read with libyaml (`load_plain`), and that path never imports ruamel:
ruamel, which keeps hand-added comments and key order through our edits, costs more to
import than a command that only reads costs to run. It is loaded by the functions that
edit (`load`, `dump`, `text_value`) and by any file the fast reader leaves to it.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from supportctl.domain.yamlio import blocks

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "YamlProblem",
    "dump",
    "line_of",
    "load",
    "load_fast",
    "load_plain",
    "nodes_of",
    "plain",
    "set_in_order",
    "text_value",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000  # nodes of a file, each alias counted as the nodes it repeats
MAX_ALIASES = 1_000  # anchors and aliases together; a hand-written config uses a handful


class YamlProblem(Exception):
    """A YAML file is unreadable; `line` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Budget:
    """What one YAML stream may make, counted node by node while it is composed.

    One rule for every reader: libyaml's event stream (a quick pass before the round-trip
    reader, and the fast reader itself) and ruamel's composer (the backstop where libyaml
    is absent or reads a file differently) count the same events in the same order, so a
    file is refused at the same node, with the same message and line, whichever reads it.
    """

    __slots__ = ("marks", "nodes", "open", "sizes")

    def __init__(self) -> None:
        self.nodes = 0  # nodes so far, an alias counting as the nodes of its anchor
        self.marks = 0  # anchors and aliases so far
        self.sizes: dict[str, int] = {}  # anchor -> nodes it stands for; -1 while composing
        self.open: list[tuple[str | None, int]] = []  # collections being composed

    def enter(
        self, anchor: str | None, mark: Any, alias: bool = False, opens: bool = False
    ) -> None:
        """A node starts: a scalar, an alias, or a collection (`opens`, until `close()`)."""
        if anchor is not None:
            self.marks += 1
            if self.marks > MAX_ALIASES:
                raise YamlProblem(
                    f"too many anchors and aliases (more than {MAX_ALIASES})", mark.line + 1
                )
        if alias:
            size = self.sizes.get(str(anchor), 1)  # undefined: the reader says so
            if size < 0:
                raise YamlProblem(f"alias *{anchor} repeats a node that contains it", mark.line + 1)
            self.nodes += size
        else:
            self.nodes += 1
            if opens:
                self.open.append((anchor, self.nodes - 1))
                if anchor is not None:
                    self.sizes[anchor] = -1
            elif anchor is not None:
                self.sizes[anchor] = 1
        if self.nodes > MAX_NODES:
            raise _too_many_nodes(mark)

    def close(self) -> None:
        anchor, start = self.open.pop()
        if anchor is not None:
            self.sizes[anchor] = self.nodes - start


def _too_many_nodes(mark: Any) -> YamlProblem:
    return YamlProblem(
        f"too many nodes (more than {MAX_NODES}, counting what aliases repeat)", mark.line + 1
    )


def load(data: bytes | str, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse YAML text into round-trip objects, or raise YamlProblem."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise YamlProblem(f"file is too large ({len(data)} bytes, at most {max_bytes})")
        if b"\x00" in data:
            raise YamlProblem("file is binary (contains NUL bytes)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlProblem(f"not UTF-8 (byte {exc.start})") from None
    else:
        text = data
        if len(text) > max_bytes:
            raise YamlProblem(f"file is too large ({len(text)} characters, at most {max_bytes})")
    _count_events(text)
    from supportctl.domain.yamlio import roundtrip

    try:
        return roundtrip.load_text(text, _Budget, MAX_DEPTH)
    except roundtrip.Problem as exc:
        raise YamlProblem(exc.message, exc.line) from None


class _Slow(Exception):
    """The fast reader met something only the round-trip reader gets exactly right."""


_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")
# Longer numbers are left to the round-trip reader, which says what is wrong with them
# (Python refuses to read integers of more than 4,300 digits from text).
_DIGITS = 4000
# Where libyaml (YAML 1.1) and ruamel (1.2) are known to disagree on what is valid: tabs,
# the 1.1-only line breaks, CR, directives, anchors, and block scalar headers run into a
# comment. Such files are left to ruamel.
# Looked for a part at a time, each only where its first character is in the text at all:
# one pattern of all the alternatives, tried at every character, cost about as much as
# reading a whole ticket file.
_ANCHOR = re.compile("(?:^|[ \\[{,:?-])&[^ \n]", re.MULTILINE)
_HEADER_COMMENT = re.compile("[|>][-+0-9]*#")


def _slow_text(text: str) -> bool:
    """Whether the text has any of those."""
    if "\t" in text or "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return True
    if text.startswith("%") or "\n%" in text:
        return True
    if "&" in text and _ANCHOR.search(text):
        return True
    return "#" in text and _HEADER_COMMENT.search(text) is not None


class _LibYaml(NamedTuple):
    """libyaml's parser class, and PyYAML's event and error classes."""

    parser: Any
    alias: Any
    doc_end: Any
    doc_start: Any
    map_end: Any
    map_start: Any
    scalar: Any
    seq_end: Any
    seq_start: Any
    stream_end: Any
    error: Any


# libyaml through PyYAML: ~20x faster than the pure-Python round-trip parser. Imported on
# first use, by `_libyaml()`: a command whose files all come from the caches reads no YAML.
_LIB: _LibYaml | None = None
_UNSET = object()


def _libyaml() -> _LibYaml | None:
    """libyaml, or None: then every file takes the round-trip reader. `_CParser` (the
    parser class, None without libyaml) is set once it is known, and honoured when set."""
    global _LIB
    if globals().get("_CParser", _UNSET) is None:
        return None
    if _LIB is None:
        try:
            import yaml
            from yaml.cyaml import CParser  # type: ignore[attr-defined]
        except ImportError:
            globals()["_CParser"] = None
            return None
        _LIB = _LibYaml(
            CParser,
            yaml.AliasEvent,
            yaml.DocumentEndEvent,
            yaml.DocumentStartEvent,
            yaml.MappingEndEvent,
            yaml.MappingStartEvent,
            yaml.ScalarEvent,
            yaml.SequenceEndEvent,
            yaml.SequenceStartEvent,
            yaml.StreamEndEvent,
            yaml.YAMLError,
        )
        globals()["_CParser"] = CParser
    return _LIB


def __getattr__(name: str) -> Any:
    if name == "_CParser":  # asked for before the first file was read
        lib = _libyaml()
        return None if lib is None else lib.parser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The implicit tags of plain scalars by ruamel's YAML 1.2 rules (ruamel.yaml.resolver's
# `implicit_resolvers` for 1.2, in its order), kept here so that reading does not import
# ruamel; tests/domain/test_yamlio.py checks them against ruamel's own resolver. Keyed by
# first character, as ruamel keys them: any other first character means a string.
def _implicit_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    found: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, first in (
        (_BOOL, r"""^(?:true|True|TRUE|false|False|FALSE)$""", "tTfF"),
        (
            "tag:yaml.org,2002:float",
            r"""^(?:
             [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
            |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
            "-+0123456789.",
        ),
        (
            _INT,
            r"""^(?:[-+]?0b[0-1_]+
            |[-+]?0o?[0-7_]+
            |[-+]?[0-9_]+
            |[-+]?0x[0-9a-fA-F_]+)$""",
            "-+0123456789",
        ),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
        (
            _NULL,
            r"""^(?: ~
            |null|Null|NULL
            | )$""",
            "~nN",
        ),
        (
            "tag:yaml.org,2002:timestamp",
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
            |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
            (?:[Tt]|[ \t]+)[0-9][0-9]?
            :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
            (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
            "0123456789",
        ),
        ("tag:yaml.org,2002:value", r"^(?:=)$", "="),
        ("tag:yaml.org,2002:yaml", r"^(?:!|&|\*)$", "!&*"),
    ):
        for c in [*first, *([""] if tag == _NULL else [])]:
            found.setdefault(c, []).append((tag, re.compile(pattern, re.X)))
    return found


_RESOLVERS = _implicit_resolvers()
# the first characters of plain scalars that may be anything but strings
_TYPED = frozenset(c for c in _RESOLVERS if c)
# Answers are remembered: statuses, names and numbers repeat across files.
_RESOLVED: dict[str, str] = {}


def _resolve_plain(value: str) -> str:
    resolvers = _RESOLVERS.get(value[:1])
    if resolvers is None:
        return _STR
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = next((t for t, pattern in resolvers if pattern.match(value)), _STR)
        if len(_RESOLVED) < 100_000:
            _RESOLVED[value] = tag
    return tag


_NOT_BREAKS = str.maketrans("\x85\u2028\u2029", "___")


def nodes_of(data: bytes) -> int:
    """The nodes YAML that supportctl is about to write makes, counted as the reader counts
    them; YamlProblem where the reader would refuse it (size, nodes, anchors). A writer
    checks this so that it never leaves a file no command can read again."""
    if len(data) > MAX_FILE_BYTES:
        raise YamlProblem(f"file is too large ({len(data)} bytes, at most {MAX_FILE_BYTES})")
    text = data.decode("utf-8")
    if _libyaml() is None:
        load(text)  # without libyaml the round-trip reader's composer holds the caps
        return 0
    return _count_events(text)


def _count_events(text: str) -> int:
    """Hold the first document of `text` to the budget at libyaml's speed (about a
    microsecond a node; ruamel takes thirty), returning its nodes. Where libyaml cannot
    read the text, ruamel's composer counts instead."""
    lib = _libyaml()
    if lib is None:
        return 0
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        # YAML 1.1 line breaks that libyaml refuses where ruamel (YAML 1.2) reads an ordinary
        # character; "_" is read as the same kind of character, so the events are ruamel's
        text = text.translate(_NOT_BREAKS)
    parser = lib.parser(text)
    budget = _Budget()
    scalar, alias, seq_start, map_start = lib.scalar, lib.alias, lib.seq_start, lib.map_start
    seq_end, map_end, doc_end, stream_end = lib.seq_end, lib.map_end, lib.doc_end, lib.stream_end
    try:
        while True:
            event: Any = parser.get_event()
            kind = type(event)
            if kind is scalar:
                budget.enter(event.anchor, event.start_mark)
            elif kind is seq_start or kind is map_start:
                budget.enter(event.anchor, event.start_mark, opens=True)
            elif kind is seq_end or kind is map_end:
                budget.close()
            elif kind is alias:
                budget.enter(event.anchor, event.start_mark, alias=True)
            elif kind is doc_end or kind is stream_end:
                return budget.nodes
    except lib.error:
        return budget.nodes
    finally:
        parser.dispose()


_NO_KEY = object()


def _plain_events(parser: Any, lib: _LibYaml) -> Any:
    """Plain data built straight from libyaml's events, with exactly the values
    plain(load(...)) gives; anything else (anchors, aliases, merge keys, timestamps,
    floats, other tags, duplicate keys, more than one document) raises _Slow. Building
    from the events stops a hostile file at the budget (YamlProblem), where composing it
    whole first would not. Without anchors and aliases the budget is one per node, so
    it is counted here inline (this loop reads every ticket of a cold listing)."""
    scalar, seq_start, map_start = lib.scalar, lib.seq_start, lib.map_start
    seq_end, map_end, doc_start = lib.seq_end, lib.map_end, lib.doc_start
    doc_end, stream_end = lib.doc_end, lib.stream_end
    get = parser.get_event
    get()  # stream start
    if type(get()) is not doc_start:
        raise _Slow  # an empty file
    stack: list[list[Any]] = []  # [container, key waiting for its value] per open collection
    nodes = 0
    value: Any
    while True:
        event: Any = get()
        kind = type(event)
        if kind is scalar:
            if event.anchor is not None or len(stack) > MAX_DEPTH:
                raise _Slow
            nodes += 1
            if nodes > MAX_NODES:
                raise _too_many_nodes(event.start_mark)
            # tags resolved by ruamel's YAML 1.2 rules (PyYAML's own are YAML 1.1: `yes`,
            # `on`, `010` would mean other things); the non-specific tag `!` is left to ruamel
            tag = event.tag
            if tag is None or tag == "!":
                plain_implicit, quoted_implicit = event.implicit
                if plain_implicit:
                    tag = _resolve_plain(event.value)
                else:
                    tag = _STR if quoted_implicit else "!"
            if tag == _STR:
                value = event.value
            elif event.style:  # not plain (libyaml's plain style is "" or None)
                raise _Slow
            elif tag == _NULL:
                value = None
            elif tag == _BOOL:
                value = event.value.lower() == "true"
            elif tag == _INT and _DECIMAL.fullmatch(event.value) and len(event.value) < _DIGITS:
                value = int(event.value)
            else:
                raise _Slow
        elif kind is seq_end:
            value = stack.pop()[0]
        elif kind is map_end:
            value = {str(k): v for k, v in stack.pop()[0].items()}
        elif kind is seq_start or kind is map_start:
            if event.anchor is not None or len(stack) > MAX_DEPTH:
                raise _Slow
            nodes += 1
            if nodes > MAX_NODES:
                raise _too_many_nodes(event.start_mark)
            want = _SEQ if kind is seq_start else _MAP
            tag = event.tag
            if tag is None or tag == "!":
                tag = want if event.implicit else "!"
            if tag != want:
                raise _Slow
            stack.append([[] if kind is seq_start else {}, _NO_KEY])
            continue
        else:  # an alias
            raise _Slow
        if not stack:
            if not isinstance(value, dict | list):  # a bare scalar: not a file of ours
                raise _Slow
            if type(get()) is not doc_end or type(get()) is not stream_end:
                raise _Slow  # a second document
            return value
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            if isinstance(value, dict | list) or value in container:
                raise _Slow
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _NO_KEY


def load_plain(data: bytes) -> Any:
    """plain(load(data)), reading ordinary files with libyaml.

    For reading only (the cache, listings, history); commands that edit a file use
    load(). Files the fast path is unsure of, and every error, take load() itself, so
    results and error messages are identical either way.
    """
    done, value = _load_fast(data)
    return value if done else plain(load(data))


def load_fast(data: bytes) -> tuple[bool, Any]:
    """(True, plain data) when libyaml read the file; (False, None) when it must be left to
    load(): unusual content, or an error (whose message and line load() gives)."""
    try:
        return _load_fast(data)
    except YamlProblem:
        return False, None


def _load_fast(data: bytes) -> tuple[bool, Any]:
    # A file past the budget raises YamlProblem here: load() would count the same libyaml
    # events first and stop at the same one, so the error is load()'s, found once.
    lib = _libyaml()
    text = _fast_candidate(data)
    if text is not None:
        try:
            return True, blocks.read(text, _plain_scalar, _TYPED, MAX_NODES, MAX_DEPTH)
        except blocks.Unsure:
            pass  # libyaml's events next
    if text is not None and lib is not None:
        parser = lib.parser(text)
        try:
            return True, _plain_events(parser, lib)
        except (_Slow, lib.error, RecursionError):
            pass
        finally:
            parser.dispose()
    return False, None


def _plain_scalar(value: str) -> Any:
    """A plain scalar's value as `_plain_events` makes it, for `blocks.read`."""
    tag = _resolve_plain(value)
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT and _DECIMAL.fullmatch(value) and len(value) < _DIGITS:
        return int(value)
    raise blocks.Unsure


def _fast_candidate(data: bytes) -> str | None:
    if _libyaml() is None or len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count("[") + text.count("{") > MAX_DEPTH or _slow_text(text):
        return None
    return text


def dump(data: Any) -> bytes:
    from supportctl.domain.yamlio import roundtrip

    return roundtrip.dump(data)


def text_value(text: str) -> str:
    """Multi-line text is written as a literal block so diffs show whole lines."""
    from supportctl.domain.yamlio import roundtrip

    return roundtrip.text_value(text)


def line_of(container: Any, key: Any) -> int:
    """1-based line of `key` in a round-trip mapping or sequence, 0 when unknown."""
    if "ruamel.yaml.comments" not in sys.modules:
        return 0  # nothing was read with ruamel, so no container knows its lines
    from supportctl.domain.yamlio import roundtrip

    return roundtrip.line_of(container, key)


def plain(data: Any) -> Any:
    """Round-trip objects to plain dicts/lists/str (for JSON and the cache)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [plain(v) for v in data]
    if isinstance(data, str):
        return str(data)
    if hasattr(data, "isoformat"):
        return data.isoformat()
    comments = sys.modules.get("ruamel.yaml.comments")  # only ruamel makes tagged scalars
    if comments is not None and isinstance(data, comments.TaggedScalar):
        return str(data.value)  # `!custom x` or `!!str 5`: keep the text
    if isinstance(data, bytes | bytearray):  # `!!binary`: not ticket text, shown as text
        return data.decode("utf-8", "replace")
    return data


def set_in_order(mapping: Any, key: str, value: Any, order: Sequence[str]) -> None:
    """Set `key` in a round-trip mapping; a missing key documented in `order` is inserted
    before the first later key present, so a new file and an edited one read alike."""
    if key in mapping or key not in order:
        mapping[key] = value
        return
    rank = order.index(key)
    pos = len(mapping)
    for i, existing in enumerate(mapping):
        if existing in order and order.index(existing) > rank:
            pos = i
            break
    mapping.insert(pos, key, value)
