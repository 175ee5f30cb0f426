"""supportctl/domain/text.py: KB slugs and Markdown escaping, without git."""

from __future__ import annotations

import pytest

from supportctl.domain.errors import UsageError
from supportctl.domain.text import (
    check_slug,
    escape_markdown,
    is_slug,
    md_code,
    md_quote,
    md_text,
)


@pytest.mark.parametrize("slug", ["a", "0", "checkout-500", "a-", "x" * 80, "ne-pechatayutsya"])
def test_slugs(slug: str) -> None:
    assert is_slug(slug)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-a",
        "x" * 81,
        "Checkout-500",
        "a_b",
        "a b",
        "../etc/passwd",
        "чеки",
        # The copies used re.match with `$`, which also matches before a final newline:
        # a file `data/kb/abc\n.md` passed the catalog's check.
        "abc\n",
        # parse_article stripped the name before checking it: ` x.md` passed validate
        # while the catalog refused it.
        " x",
        "x ",
    ],
)
def test_not_slugs(text: str) -> None:
    assert not is_slug(text)


def test_check_slug_trims_what_the_user_typed() -> None:
    assert check_slug("  checkout-500 \n") == "checkout-500"


def test_check_slug_refuses_with_the_kb_message() -> None:
    with pytest.raises(UsageError) as err:
        check_slug("Bad Slug")
    assert err.value.message == (
        "bad slug 'Bad Slug': lowercase ASCII letters, digits and - only, at most 80"
    )


def test_check_slug_does_not_fold_case() -> None:
    # only `resolve --kb` lowercases what it is given; `kb link` and `kb new --slug` never did
    with pytest.raises(UsageError):
        check_slug("Checkout-500")


def test_escape_markdown_keeps_spaces_and_flattens_line_breaks() -> None:
    assert escape_markdown("a  b\nc\td") == "a  b c d"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("*bold* _em_", r"\*bold\* \_em\_"),
        ("[link](http://x)", r"\[link\](http://x)"),
        ("a | b", r"a \| b"),
        ("~~gone~~ `code`", r"\~\~gone\~\~ \`code\`"),
        ("# heading", r"\# heading"),
        ("C:\\path", r"C:\\path"),
        ("<script>&", "&lt;script&gt;&amp;"),
    ],
)
def test_escape_markdown_specials(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_md_text_collapses_whitespace_where_escape_markdown_keeps_it() -> None:
    # the two policies that differ: a template's plain `{{ value }}` keeps runs of
    # spaces (reports are byte-identical), `| md` and the backlog collapse them
    assert md_text("  a  *b*\n\n c ") == r"a \*b\* c"
    assert escape_markdown("  a  *b*\n\n c ") == r"  a  \*b\*   c "


def test_md_text_of_none_is_empty() -> None:
    assert md_text(None) == ""


def test_md_quote_escapes_each_line_and_keeps_indentation() -> None:
    assert md_quote("first *x*\n\n  second\n\tthird", indent=2) == (
        "  > first \\*x\\*\n  >\n  >   second\n  >     third"
    )


def test_md_quote_of_nothing_is_an_empty_quote() -> None:
    assert md_quote("  \n", indent=4) == "    >"


@pytest.mark.parametrize(
    ("raw", "span"),
    [
        ("SUP-1 *x*", "`SUP-1 *x*`"),
        ("a `b` c", "``a `b` c``"),
        ("`a`", "`` `a` ``"),
        ("a\n b", "`a b`"),
    ],
)
def test_md_code(raw: str, span: str) -> None:
    assert md_code(raw) == span
