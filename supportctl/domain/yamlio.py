"""YAML in round-trip mode: hand-added comments and key order survive our edits.

Loading is guarded against hostile files: a size cap, a depth cap, and caps on the
nodes a file makes (counting every node an alias repeats) and on its anchors and
aliases. The caps are counted while the file is composed, event by event, so a file of
400,000 flow items or 150,000 anchors stops at the first node past a cap, in well under
a second, instead of being read whole first.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.docinfo import DocInfo, version
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.tokens import (
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

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


class _GuardedComposer(Composer):
    """ruamel's composer, counting each node against a `_Budget` before composing it."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        # a reused anchor is valid YAML; ruamel would print a multi-line warning per use
        self.warn_double_anchors = False
        self.budget = _Budget()

    def compose_document(self) -> Any:
        self.budget = _Budget()
        self.depth = 0  # a document refused half-way left its count behind
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            self.budget.enter(event.anchor, event.start_mark, alias=True)
            return super().compose_node(parent, index)
        opens = isinstance(event, SequenceStartEvent | MappingStartEvent)
        self.budget.enter(event.anchor, event.start_mark, opens=opens)
        node = super().compose_node(parent, index)
        if opens:
            self.budget.close()
        return node


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Composer = _GuardedComposer
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    return y


_RT = _yaml()


def _check_graph(node: Node) -> None:
    # Walk the node graph as a consumer would, aliases expanded, for its depth: an alias
    # can put a deep structure deeper still. The budget already bounds the walk.
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels", n.start_mark.line + 1)
        if isinstance(n, SequenceNode):
            stack.extend((c, depth + 1) for c in n.value)
        elif isinstance(n, MappingNode):
            for k, v in n.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))


def _check_flow_depth(text: str) -> None:
    # ruamel's scanner keeps a possible key per open flow collection and walks them all for
    # every token, so 1,000 nested "[" cost seconds before the composer ever sees a node.
    # Count the depth from the tokens and stop at the first one that is too deep.
    depth = 0
    tokens = _RT.scan(text)
    try:
        for token in tokens:
            if isinstance(token, FlowSequenceStartToken | FlowMappingStartToken):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlProblem(
                        f"nested deeper than {MAX_DEPTH} levels", token.start_mark.line + 1
                    )
            elif isinstance(token, FlowSequenceEndToken | FlowMappingEndToken):
                depth -= 1
    finally:
        tokens.close()


def _load_checked(text: str) -> Any:
    # YAML.load() with the graph check between composing and constructing, so each
    # document is parsed once (the same steps as ruamel's own load()).
    _RT.doc_infos.append(DocInfo(requested_version=version(_RT.version)))
    _RT.tags = {}
    constructor, parser = _RT.get_constructor_parser(text)
    try:
        node = constructor.composer.get_single_node()
        if node is None:
            return None
        _check_graph(node)
        try:
            return constructor.construct_document(node)
        except (ValueError, OverflowError) as exc:
            # a well-formed scalar that is not a value, e.g. the date 2026-13-01
            line, value = _bad_scalar(constructor, node)
            detail = f" {value!r}" if value is not None else ""
            raise YamlProblem(f"invalid value{detail}: {exc}", line) from None
    finally:
        parser.dispose()
        _RT.reader.reset_reader()
        _RT.scanner.reset_scanner()
        # ruamel keeps one entry per document ever loaded; we load one at a time
        del _RT.doc_infos[:-1]


def _bad_scalar(constructor: Any, root: Node) -> tuple[int, str | None]:
    """Line and text of the first scalar that cannot be constructed (0, None if none)."""
    # the failed construction left its half-built objects behind
    constructor.constructed_objects.clear()
    constructor.recursive_objects.clear()
    stack = [root]
    while stack:
        n = stack.pop()
        if isinstance(n, ScalarNode):
            try:
                constructor.construct_object(n, deep=True)
            except (ValueError, OverflowError):
                return n.start_mark.line + 1, str(n.value)
        elif isinstance(n, SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, MappingNode):
            stack.extend(x for k, v in reversed(n.value) for x in (v, k))
    return 0, None


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
    try:
        _count_events(text)
        if text.count("[") + text.count("{") > MAX_DEPTH:
            _check_flow_depth(text)
        with warnings.catch_warnings():
            # ruamel warns in several lines on stderr (a reused anchor, a YAML 1.1 float);
            # the file is valid YAML, so the warning is nobody's business
            warnings.simplefilter("ignore")
            return _load_checked(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise YamlProblem(f"invalid YAML: {problem}", line) from None
    except YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels") from None
    except AssertionError as exc:  # ruamel asserts on a %YAML version it does not know
        raise YamlProblem(f"invalid YAML: {str(exc).splitlines()[0]}") from None


class _Slow(Exception):
    """The fast reader met something only the round-trip reader gets exactly right."""


_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")
# Where libyaml (YAML 1.1) and ruamel (1.2) are known to disagree on what is valid: tabs,
# the 1.1-only line breaks, CR, directives, anchors, and block scalar headers run into a
# comment. Such files are left to ruamel.
_SLOW_TEXT = re.compile(
    "[\t\r\x85\u2028\u2029]|^%|(?:^|[ \\[{,:?-])&[^ \n]|[|>][-+0-9]*#", re.MULTILINE
)

try:  # libyaml through PyYAML: ~20x faster than the pure-Python round-trip parser
    from ruamel.yaml.resolver import VersionedResolver
    from yaml import AliasEvent as _PyAlias
    from yaml import DocumentEndEvent as _PyDocEnd
    from yaml import DocumentStartEvent as _PyDocStart
    from yaml import MappingEndEvent as _PyMapEnd
    from yaml import MappingStartEvent as _PyMapStart
    from yaml import ScalarEvent as _PyScalar
    from yaml import SequenceEndEvent as _PySeqEnd
    from yaml import SequenceStartEvent as _PySeqStart
    from yaml import StreamEndEvent as _PyStreamEnd
    from yaml import YAMLError as _PyYAMLError
    from yaml.cyaml import CParser as _CParserType  # type: ignore[attr-defined]

    _CParser: type[_CParserType] | None = _CParserType
except ImportError:  # PyYAML without libyaml: every file takes the round-trip reader
    _CParser = None

if _CParser is not None:
    _RESOLVER = VersionedResolver(version=(1, 2))

    # ruamel keys its implicit resolvers by first character; any other first character
    # means a string. Answers for the rest are remembered (statuses, names, numbers repeat).
    _RESOLVED_FIRST = frozenset(_RESOLVER.versioned_resolver)
    _RESOLVED: dict[str, str] = {}

    def _resolve_plain(value: str) -> str:
        if value and value[0] not in _RESOLVED_FIRST:
            return _STR
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = str(_RESOLVER.resolve(ScalarNode, value, (True, False)))
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
    if _CParser is None:
        load(text)  # without libyaml the round-trip reader's composer holds the caps
        return 0
    return _count_events(text)


def _count_events(text: str) -> int:
    """Hold the first document of `text` to the budget at libyaml's speed (about a
    microsecond a node; ruamel takes thirty), returning its nodes. Where libyaml cannot
    read the text, ruamel's composer counts instead."""
    if _CParser is None:
        return 0
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        # YAML 1.1 line breaks that libyaml refuses where ruamel (YAML 1.2) reads an ordinary
        # character; "_" is read as the same kind of character, so the events are ruamel's
        text = text.translate(_NOT_BREAKS)
    parser = _CParser(text)
    budget = _Budget()
    try:
        while True:
            event: Any = parser.get_event()
            kind = type(event)
            if kind is _PyScalar:
                budget.enter(event.anchor, event.start_mark)
            elif kind is _PySeqStart or kind is _PyMapStart:
                budget.enter(event.anchor, event.start_mark, opens=True)
            elif kind is _PySeqEnd or kind is _PyMapEnd:
                budget.close()
            elif kind is _PyAlias:
                budget.enter(event.anchor, event.start_mark, alias=True)
            elif kind is _PyDocEnd or kind is _PyStreamEnd:
                return budget.nodes
    except _PyYAMLError:
        return budget.nodes
    finally:
        parser.dispose()


_NO_KEY = object()


def _plain_events(parser: Any) -> Any:
    """Plain data built straight from libyaml's events, with exactly the values
    plain(load(...)) gives; anything else (anchors, aliases, merge keys, timestamps,
    floats, other tags, duplicate keys, more than one document) raises _Slow. Building
    from the events stops a hostile file at the budget (YamlProblem), where composing it
    whole first would not. Without anchors and aliases the budget is one per node, so
    it is counted here inline (this loop reads every ticket of a cold listing)."""
    get = parser.get_event
    get()  # stream start
    if type(get()) is not _PyDocStart:
        raise _Slow  # an empty file
    stack: list[list[Any]] = []  # [container, key waiting for its value] per open collection
    nodes = 0
    value: Any
    while True:
        event: Any = get()
        kind = type(event)
        if kind is _PyScalar:
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
            elif tag == _INT and _DECIMAL.fullmatch(event.value):
                value = int(event.value)
            else:
                raise _Slow
        elif kind is _PySeqEnd:
            value = stack.pop()[0]
        elif kind is _PyMapEnd:
            value = {str(k): v for k, v in stack.pop()[0].items()}
        elif kind is _PySeqStart or kind is _PyMapStart:
            if event.anchor is not None or len(stack) > MAX_DEPTH:
                raise _Slow
            nodes += 1
            if nodes > MAX_NODES:
                raise _too_many_nodes(event.start_mark)
            want = _SEQ if kind is _PySeqStart else _MAP
            tag = event.tag
            if tag is None or tag == "!":
                tag = want if event.implicit else "!"
            if tag != want:
                raise _Slow
            stack.append([[] if kind is _PySeqStart else {}, _NO_KEY])
            continue
        else:  # an alias
            raise _Slow
        if not stack:
            if not isinstance(value, dict | list):  # a bare scalar: not a file of ours
                raise _Slow
            if type(get()) is not _PyDocEnd or type(get()) is not _PyStreamEnd:
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
    text = _fast_candidate(data)
    if text is not None and _CParser is not None:
        parser = _CParser(text)
        try:
            return True, _plain_events(parser)
        except (_Slow, _PyYAMLError, RecursionError):
            pass
        finally:
            parser.dispose()
    return False, None


def _fast_candidate(data: bytes) -> str | None:
    if _CParser is None or len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count("[") + text.count("{") > MAX_DEPTH or _SLOW_TEXT.search(text):
        return None
    return text


def dump(data: Any) -> bytes:
    buf = io.StringIO()
    _RT.dump(data, buf)
    return buf.getvalue().encode("utf-8")


# Characters YAML cannot carry literally (YAML 1.2, 5.1); in a literal block they would make
# the file unreadable, so text holding one is written double-quoted, where they are escaped.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def text_value(text: str) -> str:
    """Multi-line text is written as a literal block so diffs show whole lines."""
    if "\n" in text and not _NOT_PRINTABLE.search(text):
        literal: str = LiteralScalarString(text + "\n" if not text.endswith("\n") else text)
        return literal
    return text


def line_of(container: Any, key: Any) -> int:
    """1-based line of `key` in a round-trip mapping or sequence, 0 when unknown."""
    try:
        if isinstance(container, CommentedMap):
            return int(container.lc.key(key)[0]) + 1
        if isinstance(container, CommentedSeq):
            return int(container.lc.item(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return 0


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
    if isinstance(data, TaggedScalar):  # `!custom x` or `!!str 5`: keep the text
        return str(data.value)
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
