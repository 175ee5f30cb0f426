"""YAML in round-trip mode (ruamel): hand-added comments and key order survive our edits.

What edits a file, or needs the line of a key, reads it here; `yamlio.load` is the one
entry (it holds the file to the caps at libyaml's speed first). ruamel costs more to
import than a short command costs to run, so nothing that only reads files imports it:
`yamlio.load_plain` reads ordinary files with libyaml alone.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
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
    from collections.abc import Callable


class Problem(Exception):
    """Why a file cannot be read, and its 1-based line (0 when unknown); `yamlio.load`
    raises it as its YamlProblem."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Caps:
    """The reading side's caps (`yamlio`), handed in by each load: this module never
    imports that one, which loads this one."""

    budget: Callable[[], Any]  # a fresh count of what a document makes
    max_depth: int


_CAPS = _Caps()


class _GuardedComposer(Composer):
    """ruamel's composer, counting each node against the reader's budget before composing
    it."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        # a reused anchor is valid YAML; ruamel would print a multi-line warning per use
        self.warn_double_anchors = False
        self.budget = _CAPS.budget()

    def compose_document(self) -> Any:
        self.budget = _CAPS.budget()
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
        if depth > _CAPS.max_depth:
            raise Problem(f"nested deeper than {_CAPS.max_depth} levels", n.start_mark.line + 1)
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
                if depth > _CAPS.max_depth:
                    raise Problem(
                        f"nested deeper than {_CAPS.max_depth} levels", token.start_mark.line + 1
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
            raise Problem(f"invalid value{detail}: {exc}", line) from None
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


def load_text(text: str, budget: Callable[[], Any], max_depth: int) -> Any:
    """Round-trip objects of `text`, already held to the caps by libyaml (`yamlio.load`),
    or Problem; `budget` counts each document's nodes (it raises the reader's own error)."""
    _CAPS.budget = budget
    _CAPS.max_depth = max_depth
    try:
        if text.count("[") + text.count("{") > _CAPS.max_depth:
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
        raise Problem(f"invalid YAML: {problem}", line) from None
    except YAMLError as exc:
        raise Problem(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise Problem(f"nested deeper than {_CAPS.max_depth} levels") from None
    except AssertionError as exc:  # ruamel asserts on a %YAML version it does not know
        raise Problem(f"invalid YAML: {str(exc).splitlines()[0]}") from None


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
    """Multi-line text as a literal block, so diffs show whole lines."""
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
