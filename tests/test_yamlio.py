"""The fast reader (libyaml) gives exactly what the round-trip reader gives, or defers to it."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl import yamlio


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
    "a: \"\\/\"\n",
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
        f"{c}: &{c} [*{p},*{p},*{p},*{p}]" for p, c in zip("abcdefghijk", "bcdefghijkl")
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
    st.sampled_from(list(":-?[]{},#&*!|>'\"%@`\n \t0aé\u2028\\~.")
                    + ["yes", "1", "0x", "null", "日", " #", "- ", ": "]),
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
    min_size=1, max_size=6,
).map(lambda kv: "".join(f"{k}: {v}\n" for k, v in kv))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), yamlish, docs))
def test_fast_equals_slow_on_random_text(text):
    data = text.encode("utf-8")
    assert fast(data) == slow(data)
