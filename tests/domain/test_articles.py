"""supportctl/kb/articles.py: slugs, the file format, round-trip edits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from supportctl.domain.articles import (
    FRONT_KEYS,
    ArticleError,
    ArticleMeta,
    new_slug,
    parse_article,
    parse_content,
    parse_meta,
    render_article,
    slugify,
    str_list,
    update_article,
)

DEMO_KB = Path(__file__).resolve().parents[2] / "data" / "kb"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Не печатаются чеки на кассе", "ne-pechatayutsya-cheki-na-kasse"),
        (
            "Сброс пароля и двухфакторной аутентификации (2FA)",
            "sbros-parolya-i-dvukhfaktornoy-autentifikatsii-2fa",
        ),
        ("Ёлка: щётка, объём", "elka-shchetka-obem"),
        # Ukrainian titles use the Ukrainian national system, as the demo KB does.
        ("Не працює VPN після зміни пароля", "ne-pratsiuie-vpn-pislia-zminy-parolia"),
        ("Відновлення даних з резервної копії", "vidnovlennia-danykh-z-rezervnoi-kopii"),
        ("Єдиний юнак їде", "yedynyi-yunak-yide"),
        ("Don't panic: crème brûlée 100%", "dont-panic-creme-brulee-100"),
        ("API returns 429 Too Many Requests", "api-returns-429-too-many-requests"),
    ],
)
def test_slugify_transliterates_to_ascii(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert slug.isascii()


def test_slugify_cuts_long_titles_at_a_word() -> None:
    slug = slugify("Очень длинный заголовок статьи " * 5)
    assert len(slug) <= 60
    assert not slug.endswith("-")
    assert "ochen-dlinnyy-zagolovok" in slug


@pytest.mark.parametrize("title", ["!!!", "日本語のタイトル", "— « » —", "   "])
def test_titles_without_letters_get_article_n(title: str) -> None:
    assert slugify(title) == ""
    taken = {"article-1", "article-2"}
    assert new_slug(title, taken.__contains__) == "article-3"


def test_new_file_has_documented_key_order_and_cyrillic_as_text() -> None:
    content = render_article(
        title="Касса: нет связи",
        tags=["kkt"],
        customers=["acme"],
        tickets=["SUP-1"],
        updated=date(2026, 10, 5),
        body="## Проблема\n\nТекст",
    )
    text = content.decode("utf-8")
    keys = [line.split(":")[0] for line in text.split("---\n")[1].splitlines()]
    assert tuple(keys) == FRONT_KEYS
    assert "Касса" in text
    assert "\\u" not in text
    assert "updated: 2026-10-05\n" in text  # a date, unquoted, like hand-written files
    article = parse_article(content, "data/kb/kassa.md")
    assert article.title == "Касса: нет связи"
    assert article.tickets == ["SUP-1"]
    assert article.updated == "2026-10-05"
    assert article.body == "## Проблема\n\nТекст"


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("title: x\n", 1, "missing front matter"),
        ("---\ntitle: x\n", 1, "not closed"),
        ("---\ntitle: x\ntags: [a, b\n---\nbody\n", 4, "invalid YAML"),
        ("---\ntitle: x\ntags: pos\n---\n", 3, "`tags` must be a list"),
        ("---\ntags: [a]\n---\nbody\n", 2, "missing `title`"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
    ],
)
def test_broken_files_name_the_line(content: str, line: int, message: str) -> None:
    with pytest.raises(ArticleError) as err:
        parse_article(content.encode(), "data/kb/x.md")
    assert err.value.line == line
    assert message in err.value.message


def test_bad_slug_in_file_name_is_an_error() -> None:
    with pytest.raises(ArticleError, match="bad slug"):
        parse_article(b"---\ntitle: x\n---\n", "data/kb/Bad Name.md")


def test_update_keeps_body_bytes_comments_and_hand_added_keys() -> None:
    original = (
        "---\n"
        "title: Печать  # hand comment\n"
        "tags: [pos]\n"
        "owner: boris\n"
        "tickets: []\n"
        "updated: 2026-10-01\n"
        "---\n"
        "Body   with  odd   spacing\n\n\n* list\n"
    ).encode()
    updated = update_article(original, lambda m: str_list(m, "tickets").append("SUP-7"))
    text = updated.decode()
    assert text.endswith("---\nBody   with  odd   spacing\n\n\n* list\n")
    assert "# hand comment" in text
    assert "owner: boris" in text
    assert "tickets: [SUP-7]\n" in text  # an empty [] stays a one-line list


def test_demo_kb_parses() -> None:
    paths = sorted(DEMO_KB.glob("*.md"))
    if not paths:
        pytest.skip("no demo KB in this checkout")
    for path in paths:
        article = parse_article(path.read_bytes(), f"data/kb/{path.name}")
        assert article.title


def test_front_matter_is_typed() -> None:
    text = (
        b"---\ntitle: Receipts   do not print\ntags: [pos, 5]\ntickets: [SUP-1]\n"
        b"updated: 2026-10-05\nowner: anna\n---\n## Problem\n"
    )
    meta, body = parse_meta(text)
    assert meta == ArticleMeta(
        title="Receipts do not print",
        tags=("pos", "5"),
        tickets=("SUP-1",),
        updated="2026-10-05",
    )
    assert body == "## Problem"
    # the plain form (what the cache keeps) is the typed one, with the body
    assert parse_content(text) == {**meta.to_plain(), "body": body}
    assert tuple(meta.to_plain()) == FRONT_KEYS
