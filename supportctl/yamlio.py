"""YAML in round-trip mode: hand-added comments and key order survive our edits.

Loading is guarded against hostile files: a size cap, a depth cap and a cap on
alias expansion, so a "billion laughs" file fails fast with a clear message.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.docinfo import DocInfo, version
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
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
        return constructor.construct_document(node)
    finally:
        parser.dispose()
        _RT.reader.reset_reader()
        _RT.scanner.reset_scanner()
        # ruamel keeps one entry per document ever loaded; we load one at a time
        del _RT.doc_infos[:-1]


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
    return data
