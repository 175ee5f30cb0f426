"""The fast reader (libyaml) gives exactly what the round-trip reader gives, or defers to it."""

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.domain import yamlio
from supportctl.domain.yamlio import blocks


def slow(data: bytes):
    try:
        return ("ok", yamlio.plain(yamlio.load(data)))
    except yamlio.YamlProblem as exc:
        return ("error", exc.message, exc.line)


def fast(data: bytes):
    try:
        return ("ok", yamlio.load_plain(data))
    except yamlio.YamlProblem as exc:
        return ("error", exc.message, exc.line)


def test_the_fast_reader_is_present():
    # Without libyaml every file would silently take the slow path; make that visible.
    assert yamlio._CParser is not None


TRICKY = [
    "a: yes\nb: no\nc: on\nd: off\ne: y\n",  # YAML 1.1 booleans are strings in 1.2
    "a: 010\nb: 0x1f\nc: 0o17\nd: +5\ne: 1_000\nf: -3\ng: 0\n",
    "a: 1.5\nb: .inf\nc: 1e3\nd: .NaN\n",
    "a: 2026-10-01\nb: 2026-10-01T09:00:00+03:00\nc: '2026-10-01'\nd: 2026-10-01 09:00:00\n",
    "a: ~\nb: null\nc: NULL\nd:\ne: 'null'\nf: \"~\"\n",
    "a: true\nb: True\nc: FALSE\nd: 'true'\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
    "a: &x [1, 2]\nb: *x\n",
    "a: 1\na: 2\n",
    "1: one\n'1': other\n",
    "true: t\n1: one\n",
    "? [a, b]\n: complex key\n",
    "%YAML 1.1\n---\na: yes\n",
    "---\na: 1\n---\nb: 2\n",
    "a: !!str 5\nb: !!int '7'\nc: !custom x\nd: !!binary aGVsbG8=\n",
    "a: [1, 2\n",
    "a:\n\tb: 1\n",
    "\ufeffa: bom\n",
    "a: b\r\nc: d\r\n",
    "text: |\n  line one\n  line two\n\n  after blank\nnext: >-\n  folded\n  text\n",
    "a: 'it''s'\nb: \"tab\\there \\u263a \\x41\"\nc: \"line\\u2028sep\"\n",
    "a: x\u2028y\n",
    "a: x\x85y\n",
    "- a\n- b: c\n- [d, {e: f}]\n",
    "just a string\n",
    "",
    "# only a comment\n",
    "=: value\n",
    'a: "\\/"\n',
    "key with spaces: value: with colon\n",
    "a: [" * 40 + "]" * 40 + "\n",
    "a: &a [*a]\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_equals_slow_on_tricky_yaml(text):
    data = text.encode("utf-8")
    assert fast(data) == slow(data)


def test_errors_and_limits_are_the_round_trip_readers():
    for data in (b"a: \xff\n", b"a: \x00\n", b"a: 1\n" + b"#" * (yamlio.MAX_FILE_BYTES + 1)):
        assert fast(data) == slow(data)
        assert fast(data)[0] == "error"
    lines = ['a: &a ["x","x"]'] + [
        f"{c}: &{c} [*{p},*{p},*{p},*{p}]"
        for p, c in zip("abcdefghijk", "bcdefghijkl", strict=False)
    ]
    bomb = "\n".join(lines).encode()
    assert fast(bomb)[0] == "error"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(max_size=40),
    st.sampled_from(["yes", "no", "on", "010", "0x10", "1.5", "~", "null", "2026-10-01", "<<"]),
)
trees = st.recursive(
    scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=12), kids, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), trees, max_size=6))
def test_fast_equals_slow_on_whatever_we_write(tree):
    data = yamlio.dump(tree)
    assert fast(data) == slow(data)
    assert fast(data)[0] == "ok"


yamlish = st.lists(
    st.sampled_from(
        [
            *list(":-?[]{},#&*!|>'\"%@`\n \t0aé\u2028\\~."),
            "yes",
            "1",
            "0x",
            "null",
            "日",
            " #",
            "- ",
            ": ",
        ]
    ),
    max_size=12,
).map("".join)
values = st.one_of(
    yamlish,
    yamlish.map(lambda a: "|\n  " + a.replace("\n", "\n  ")),
    yamlish.map(lambda a: "'" + a + "'"),
    yamlish.map(lambda a: '"' + a + '"'),
    st.tuples(yamlish, yamlish).map(lambda ab: "\n  - " + ab[0] + "\n  - " + ab[1]),
    st.tuples(yamlish, yamlish).map(lambda ab: "\n  " + ab[0] + ": " + ab[1]),
)
docs = st.lists(
    st.tuples(st.sampled_from(["id", "title", "a b", "é", "'q'", "1", "- x"]), values),
    min_size=1,
    max_size=6,
).map(lambda kv: "".join(f"{k}: {v}\n" for k, v in kv))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), yamlish, docs))
def test_fast_equals_slow_on_random_text(text):
    data = text.encode("utf-8")
    assert fast(data) == slow(data)


# the one pattern `_slow_text` was, kept as the reference for its parts
SLOW_TEXT = re.compile(
    "[\t\r\x85\u2028\u2029]|^%|(?:^|[ \\[{,:?-])&[^ \n]|[|>][-+0-9]*#", re.MULTILINE
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="\t\r\x85\u2028\u2029%&#|>-+09 \n[{,:?ab日", max_size=30))
def test_slow_text_is_found_as_by_one_pattern(text: str) -> None:
    assert yamlio._slow_text(text) == bool(SLOW_TEXT.search(text))


# -- the line reader: files as supportctl writes them, read without libyaml's events --------------
def by_lines(text: str):
    """What the line reader makes of `text`; None where it leaves the file to libyaml."""
    try:
        return (
            "ok",
            blocks.read(
                text, yamlio._plain_scalar, yamlio._TYPED, yamlio.MAX_NODES, yamlio.MAX_DEPTH
            ),
        )
    except blocks.Unsure:
        return None


A_TICKET = """\
id: SUP-42
title: 'Принтер не печатает: ошибка 0x1F'
customer: дніпробанк
type: incident
priority: high
status: in_progress
line: L2
assignee:
tags: [vip, сеть]
estimate: 90
billable: true
created: '2026-10-01T09:00:00+03:00'
description: |
  Все пользователи в офисе на Ленина.

  Проблема появилась после обновления: "it's" broken #2.
    indented line
resolution: ''
links: []
custom: {}
comments:
  - at: '2026-10-01T09:10:00+03:00'
    author: Мария Кузнецова
    visibility: public
    text: We are on it, next update in 1 hour.
  - at: '2026-10-01T12:00:00+03:00'
    author: anna
    from_customer: true
    text: |-
      Спасибо!
      Ждём.
  - plain item
  - 'it''s quoted'
"""


def test_the_line_reader_reads_a_ticket_file_as_the_other_readers_do() -> None:
    data = A_TICKET.encode()
    expected = slow(data)
    assert expected[0] == "ok"
    assert by_lines(A_TICKET) == expected == fast(data)
    assert expected[1]["description"].endswith("broken #2.\n  indented line\n")
    assert expected[1]["comments"][1]["text"] == "Спасибо!\nЖдём."
    # what supportctl writes (texts of more than one line as literal blocks), read back
    again = yamlio.dump(written(expected[1]))
    assert b"description: |\n" in again
    assert by_lines(again.decode()) == slow(again)
    assert slow(again)[0] == "ok"


def written(ticket: dict) -> dict:
    """A ticket's data as supportctl lays it out: texts of more than one line as
    literal blocks."""
    out = {k: yamlio.text_value(v) if isinstance(v, str) else v for k, v in ticket.items()}
    out["comments"] = [
        {k: yamlio.text_value(v) if isinstance(v, str) else v for k, v in c.items()}
        if isinstance(c, dict)
        else c
        for c in ticket.get("comments", [])
    ]
    return out


LINE_TRICKY = [
    "d: |\n  a\n       \n  b\n",  # spaces past the indentation: text
    "d: |\n  a\n       \n",
    "d: |-\n  a\n     \nx: 1\n",
    "d: |\n  a\n\n\n",  # clipped: one line break kept
    "d: |-\n  a\n\n\nx: 1\n",
    "d: |\n\n  a\n",  # a leading blank line
    "d: |\n    a\n  b\n",  # less indented than the first line
    "d: |\nx: 1\n",  # empty
    "d: |\n a\nx: 1\n",
    "d: >\n  a\n  b\n",
    "d: |+\n  a\n\n",
    "d: |2\n   a\n",
    "a: b\n  c\n",  # a plain scalar over two lines
    "a: 'b\n  c'\n",
    'a: "b\n  c"\n',
    "a:\n- 1\n- 2\n",  # a sequence at its key's column
    "a:\n  - 1\n  -\n    - 2\n",
    "a:\n  - - 1\n",
    "a:\n  - b: 1\n    c: 2\n  - b: 3\n   c: 4\n",
    "a:\n  - b: 1\n     c: 2\n",
    "a:\n  b: 1\n   c: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a: [b, c]\nd: [e,f , g]\nh: [1, true, null, x.y-z]\n",
    "a: [b, c,]\n",
    "a: [b c]\n",
    "a: [1.5]\n",
    "a: [-1]\n",
    "a: b # c\n",
    "a: b#c\n",
    "a: b:c\n",
    "a: b:\n",
    "a: 'b''c'\n",
    "a: 'b'c'\n",
    "a: 'b' \n",
    'a: "b\'c"\n',
    'a: "b\\"c"\n',
    "a:    b   \n",
    "a: -b\n",
    "a: .5\n",
    "a: 0o7\n",
    "a: +1\n",
    "a: -0\n",
    "a: 007\n",
    "a: nULL\n",
    "a: yes\n",
    "true: 1\n",
    "null: 1\n",
    "a-b_c: 1\n",
    "a: 1\na: 2\n",
    "a: 1\n\n\nb: 2\n",
    "a: 1\n...\n",
    "---\na: 1\n",
    " a: 1\n",
    "a: 1\n b: 2\n",
    "a: 1\n# c\n",
    "a: 1\n  # c\n",
    "a: \u00a0b\n",
    "a: b\u00a0\n",
    "a: \ufeffb\n",
    "a: b\x7f\n",
    "\ufeffa: 1\n",
    "a:\n",
    "a:\nb:\n",
    "a:\n  \nb: 1\n",
    "a: []\nb: {}\nc: [ ]\n",
    "d: |\n  a",  # the end of a file without a final line break
    "d: |\n  a\nb: |\n  c",
    "d: |\n  a\n  ",
    "d: |-\n  a",
    "c:\n  - text: |\n      x\n      y",
    "a" * 1025 + ": 1\n",  # a key longer than YAML allows
    "l:\n  - " + "a" * 1030 + ": 1\n",
    "a: " + "7" * 5000 + "\n",  # more digits than Python reads
    "a: [" + "7" * 5000 + "]\n",
    "".join("  " * k + "k:\n" for k in range(31)) + "  " * 31 + "x: [a]\n",  # too deep
    "".join("  " * k + "k:\n" for k in range(31)) + "  " * 31 + "x: []\n",
    "a: [١, ², Ⅻ, 一, 𝟎]\n",
]


@pytest.mark.parametrize("text", LINE_TRICKY)
def test_the_line_reader_answers_only_as_the_other_readers_do_on_tricky_yaml(text: str) -> None:
    found = by_lines(text)
    assert found is None or found == slow(text.encode()), found
    assert fast(text.encode()) == slow(text.encode())


words = st.sampled_from(
    [
        "Принтер", "не", "печатает", "VPN", "it's", "Bug #43", "a: b", "x:y", "- item",
        "'q'", '"dq"', "#tag", "100", "true", "null", "~", "2026-10-01", "Ёлка", "[x]",
        "{y}", "key:", " ", "%", "@home", "`t`", "|", ">", "*", "&", "!", "?", ",", "é",
        "日本", "-5", "0x1F", "1.5", "\\", "\t", "ü\u00a0x",
    ]
)  # fmt: skip
texts = st.lists(words, max_size=5).map(" ".join)
paragraphs = st.lists(texts, min_size=1, max_size=4).map("\n".join)
tickets = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["SUP-1", "SUP-42"]),
        "title": texts,
        "status": st.sampled_from(["new", "in_progress", "closed"]),
        "assignee": st.one_of(st.none(), texts),
        "tags": st.lists(st.sampled_from(["vip", "сеть", "1", "true", "a b", "x,y"]), max_size=3),
        "estimate": st.one_of(st.none(), st.integers(-5, 10**6), st.booleans()),
        "description": st.one_of(texts, paragraphs),
        "comments": st.lists(
            st.fixed_dictionaries(
                {
                    "author": texts,
                    "visibility": st.sampled_from(["public", "internal"]),
                    "text": st.one_of(texts, paragraphs),
                }
            ),
            max_size=3,
        ),
    }
)
EDITS = [
    lambda line: " " + line,
    lambda line: line[1:],
    lambda line: line[:-1],
    lambda line: line + " # note",
    lambda line: line + "  ",
    lambda line: line + ":",
    lambda line: line.replace(": ", ":", 1),
    lambda line: line.replace(": ", ": &a ", 1),
    lambda line: line.replace(": ", ": !!str ", 1),
    lambda line: line.replace("- ", "-", 1),
    lambda line: line.replace("- ", "-   ", 1),
    lambda line: line.replace("  ", "", 1),
    lambda line: line.replace("'", '"'),
    lambda line: line.replace("|", "|+"),
    lambda line: line.replace("|", ">"),
    lambda line: "- " + line,
    lambda line: line + "\n" + line,
    lambda line: line + "\n",
    lambda line: line + "\n  ",
    lambda line: line + "\n       ",
    lambda line: "\t" + line,
    lambda line: "# " + line,
    lambda line: "---\n" + line,
    lambda line: line + "\n...",
    lambda line: "",
    lambda line: line.upper(),
    lambda line: line.replace("[", "[ "),
]


@settings(max_examples=400, deadline=None)
@given(tickets, st.lists(st.tuples(st.integers(0, 400), st.sampled_from(EDITS)), max_size=3))
def test_the_line_reader_answers_only_as_the_other_readers_do(ticket, edits) -> None:
    """Files as supportctl writes them, then edited as by hand: wherever the line reader
    answers, its answer is the round-trip reader's (which also says whether it is YAML
    at all)."""
    lines = yamlio.dump(written(ticket)).decode().split("\n")
    for where, edit in edits:
        lines[where % len(lines)] = edit(lines[where % len(lines)])
    text = "\n".join(lines)
    found = by_lines(text)
    if found is not None:
        assert found == slow(text.encode())


# -- hostile files are refused while they are composed ----------------------------------------------
FLOW_ITEMS = ("id: SUP-2\ntitle: x\ntags: [" + ",".join(["1"] * 400_000) + "]\n").encode()  # 0.8 MB
ANCHORS = (
    "id: SUP-3\ntitle: x\ntags: [" + ",".join(["&a x"] * 150_000) + "]\n"
).encode()  # 0.75 MB
ALIASES = ("id: SUP-4\ntitle: x\ntags: [&a x" + ",*a" * 150_000 + "]\n").encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FLOW_ITEMS, "too many nodes (more than 200000, counting what aliases repeat)"),
        (ANCHORS, "too many anchors and aliases (more than 1000)"),
        (ALIASES, "too many anchors and aliases (more than 1000)"),
    ],
)
def test_hostile_yaml_stops_at_the_first_node_past_a_cap(data: bytes, message: str) -> None:
    for read in (yamlio.load_plain, yamlio.load):
        t0 = time.monotonic()
        with pytest.raises(yamlio.YamlProblem) as caught:
            read(data)
        took = time.monotonic() - t0
        assert (caught.value.message, caught.value.line) == (message, 3)
        # a minute and more before (ruamel composed every node, then counted); a fraction of a
        # second now on an idle machine, with room here for a busy one
        assert took < 8, (read.__name__, took)


def test_a_file_just_within_the_caps_is_read() -> None:
    items = yamlio.MAX_NODES - 7  # the mapping, three keys, two values, the list
    data = ("id: SUP-2\ntitle: x\ntags: [" + ",".join(["1"] * items) + "]\n").encode()
    assert len(yamlio.load_plain(data)["tags"]) == items
    anchors = "".join(f"a{i}: &a{i} x\nb{i}: *a{i}\n" for i in range(yamlio.MAX_ALIASES // 2))
    assert yamlio.load_plain(anchors.encode())["b499"] == "x"


CAPPED = [  # with MAX_NODES 40 and MAX_ALIASES 6
    "a: [" + ",".join(["1"] * 50) + "]\n",
    "a:\n" + "".join(f"- {i}\n" for i in range(50)),
    "a: &x [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*x, *x, *x, *x]\n",  # 11 nodes, each alias repeats 10
    "a: &x x\nb: [" + ",".join(["*x"] * 10) + "]\n",
    "a: &x [1, *x]\n",  # an alias inside its own anchor would repeat forever
    "a: x\u2028y\nb: [" + ",".join(["1"] * 50) + "]\n",  # libyaml refuses U+2028 in plain text
    "a: x\x85y\nb: &q [" + ",".join(["1"] * 30) + "]\n",
    "x: 1\n" * 3 + "a: [" + ",".join(["1"] * 10) + "]\n",
]


@pytest.mark.parametrize("text", CAPPED)
def test_libyaml_and_the_round_trip_composer_count_alike(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 40)
    monkeypatch.setattr(yamlio, "MAX_ALIASES", 6)
    with_libyaml = (fast(text.encode()), slow(text.encode()))
    monkeypatch.setattr(yamlio, "_CParser", None)  # ruamel's composer alone
    without = (fast(text.encode()), slow(text.encode()))
    assert with_libyaml[0] == with_libyaml[1] == without[0] == without[1]


def test_capped_messages_name_the_line_of_the_node_past_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 40)
    monkeypatch.setattr(yamlio, "MAX_ALIASES", 6)
    assert slow(CAPPED[1].encode()) == (
        "error",
        "too many nodes (more than 40, counting what aliases repeat)",
        39,
    )  # item 37
    assert slow(CAPPED[2].encode()) == (
        "error",
        "too many nodes (more than 40, counting what aliases repeat)",
        2,
    )
    assert slow(CAPPED[4].encode()) == ("error", "alias *x repeats a node that contains it", 1)
    assert slow(b"a: [" + b",".join([b"&x 1"] * 7) + b"]\n") == (
        "error",
        "too many anchors and aliases (more than 6)",
        1,
    )


def test_a_reused_anchor_prints_no_warning(
    recwarn: pytest.WarningsRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert yamlio.load_plain(b"a: &x 1\nb: &x 2\nc: *x\n") == {"a": 1, "b": 2, "c": 2}
    assert len(recwarn) == 0
    assert capsys.readouterr() == ("", "")


def test_an_unknown_yaml_version_is_a_clean_error() -> None:
    assert slow(b"%YAML 1.3\n---\na: 1\n")[0] == "error"
    assert fast(b"%YAML 1.3\n---\na: 1\n") == slow(b"%YAML 1.3\n---\na: 1\n")
    assert fast(b"a: 1\n") == ("ok", {"a": 1})  # and the reader is not left broken


PLAIN_SCALARS = [
    "", "~", "null", "Null", "NULL", "nULL", "none", "true", "True", "TRUE", "tRUE", "false",
    "yes", "no", "on", "off", "y", "n", "0", "-0", "+5", "010", "0o17", "0x1F", "0b101",
    "1_000", "_1", "1.5", "1.", ".5", "-.5e+3", "1e3", "1E-3", ".inf", "-.Inf", ".nan", ".NaN",
    "2026-10-01", "2026-10-01T09:00:00+03:00", "2026-1-1 9:00:00", "2026-10-01 09:00:00.5 Z",
    "<<", "<", "=", "==", "!", "&", "*", "-", "+", "new", "in_progress", "L1", "SUP-42",
    "acme", "1 2", "12:30", "3:25:45", "0.0.1", "Ёлка", "true\n", "null\n", "1\n",
]  # fmt: skip


@given(st.text(alphabet="0123456789.-+_eExXoObB:tTfFnN~<=!&* ZIiafl", max_size=12))
@settings(max_examples=300, deadline=None)
def test_plain_scalars_get_ruamels_yaml_12_tags_without_ruamel(value: str) -> None:
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    ruamel = VersionedResolver(version=(1, 2))
    for v in [value, *PLAIN_SCALARS]:
        assert yamlio._resolve_plain(v) == str(ruamel.resolve(ScalarNode, v, (True, False)))


def test_reading_an_ordinary_file_does_not_import_ruamel() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from supportctl.domain import yamlio\n"
        "assert yamlio.load_plain(b'id: SUP-1\\ntags: [a]\\nn: 5\\nx: null\\ny: true\\n') == "
        "{'id': 'SUP-1', 'tags': ['a'], 'n': 5, 'x': None, 'y': True}\n"
        "print(sorted(m for m in sys.modules if m.startswith('ruamel')))\n"
        "yamlio.load_plain(b'when: 2026-10-01\\n')\n"  # a timestamp: left to ruamel
        "print('ruamel.yaml' in sys.modules)\n"
    )
    import os
    from pathlib import Path

    import supportctl

    env = {**os.environ, "PYTHONPATH": str(Path(supportctl.__file__).resolve().parents[1])}
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    assert (p.returncode, p.stdout, p.stderr) == (0, "[]\nTrue\n", "")
