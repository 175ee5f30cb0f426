"""YAML in round-trip mode: hand-added comments and key order survive our edits.

Loading is guarded against hostile files: a size cap, a depth cap and a cap on
alias expansion, so a "billion laughs" file fails fast with a clear message.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.docinfo import DocInfo, version
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.tokens import (
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000


class YamlProblem(Exception):
    """A YAML file is unreadable; `line` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    return y


_RT = _yaml()


def _check_graph(node: Node) -> None:
    # Walk the node graph counting every node an alias would expand to. ruamel keeps
    # aliases shared in memory, but any consumer walking the data would explode.
    count = 0
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YamlProblem(f"too many nodes (more than {MAX_NODES}; alias bomb?)")
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
        if text.count("[") + text.count("{") > MAX_DEPTH:
            _check_flow_depth(text)
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
    from yaml import MappingNode as _PyMap
    from yaml import ScalarNode as _PyScalar
    from yaml import SequenceNode as _PySeq
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

    class _FastParser(_CParserType):
        # libyaml composes the node graph; tags are resolved by ruamel's YAML 1.2 rules
        # (PyYAML's own are YAML 1.1: `yes`, `on`, `010` would mean other things).
        # `implicit` is False only for the non-specific tag `!`, which is left to ruamel.
        def resolve(self, kind: type, value: str | None, implicit: Any) -> str:
            if kind is _PyScalar:
                if implicit[0]:
                    return _resolve_plain(value or "")
                return _STR if implicit[1] else "!"
            if not implicit:
                return "!"
            return _SEQ if kind is _PySeq else _MAP

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


def _plain_node(node: Any, depth: int, seen: set[int]) -> Any:
    # Plain data of a libyaml node with exactly the values plain(load(...)) gives; anything
    # else (aliases, merge keys, timestamps, floats, other tags, duplicate keys) goes slow.
    if depth > MAX_DEPTH or len(seen) > MAX_NODES // 2 or id(node) in seen:
        raise _Slow
    seen.add(id(node))
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _MAP and isinstance(node, _PyMap):
        result: dict[Any, Any] = {}
        for k, v in node.value:
            key = _plain_node(k, depth + 1, seen)
            if isinstance(key, dict | list) or key in result:
                raise _Slow
            result[key] = _plain_node(v, depth + 1, seen)
        return {str(k): v for k, v in result.items()}
    if tag == _SEQ and isinstance(node, _PySeq):
        return [_plain_node(v, depth + 1, seen) for v in node.value]
    if isinstance(node, _PyScalar) and not node.style:  # plain (libyaml: style "" or None)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return node.value.lower() == "true"
        if tag == _INT and _DECIMAL.fullmatch(node.value):
            return int(node.value)
    raise _Slow


def load_plain(data: bytes) -> Any:
    """plain(load(data)), reading ordinary files with libyaml.

    For reading only (the cache, listings, history); commands that edit a file use
    load(). Files the fast path is unsure of, and every error, take load() itself, so
    results and error messages are identical either way.
    """
    done, value = load_fast(data)
    return value if done else plain(load(data))


def load_fast(data: bytes) -> tuple[bool, Any]:
    """(True, plain data) when libyaml read the file; (False, None) when it must be left to
    load(): unusual content, or an error (whose message and line load() gives)."""
    text = _fast_candidate(data)
    if text is not None:
        parser = _FastParser(text)
        try:
            node = parser.get_single_node()
            if isinstance(node, _PyMap | _PySeq):  # a file of ours, not a bare scalar
                return True, _plain_node(node, 0, set())
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
