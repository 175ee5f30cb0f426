"""supportctl/kb/catalog.py: the KB at HEAD, its blob cache, search and suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supportctl.errors import DataError, NotFound
from supportctl.kb import catalog
from supportctl.kb.catalog import get_article, list_articles, load_kb, search_kb, suggest
from supportctl.store import SupportRepo
from tests.conftest import git

PRINTER = """\
---
title: Не печатаются чеки на кассе
tags: [pos, kkt]
products: []
customers: []
tickets: []
updated: 2026-10-01
---
## Симптомы

Касса проводит оплату, но чек не печатается. Нет связи с ККТ.
"""

VPN = """\
---
title: Не працює VPN після зміни пароля
tags: [vpn]
---
FortiClient пише «Authentication failed» після зміни пароля.
"""

MAIL = """\
---
title: Outgoing e-mail lands in spam
tags: [email, spf]
---
Publish SPF and DKIM records for the sending domain.
"""


def commit_files(root: Path, files: dict[str, str], message: str = "KB by hand") -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(root, "add", rel)
    git(root, "commit", "-qm", message)


@pytest.fixture
def kb_repo(support_repo: Path) -> SupportRepo:
    commit_files(
        support_repo,
        {
            "data/kb/ne-pechatayutsya-cheki.md": PRINTER,
            "data/kb/ne-pratsiuie-vpn.md": VPN,
            "data/kb/outgoing-email-spam.md": MAIL,
            "data/kb/images/screen.md": "not an article",
            "data/kb/README.txt": "notes",
        },
    )
    return SupportRepo(support_repo)


def test_articles_at_head_sorted_by_slug(kb_repo: SupportRepo) -> None:
    kb = load_kb(kb_repo)
    assert list(kb.articles) == [
        "ne-pechatayutsya-cheki",
        "ne-pratsiuie-vpn",
        "outgoing-email-spam",
    ]
    assert kb.problems == []
    assert kb.articles["ne-pratsiuie-vpn"].tickets == []


def test_uncommitted_files_are_not_in_the_kb(kb_repo: SupportRepo) -> None:
    (kb_repo.root / "data/kb/draft.md").write_text(MAIL, encoding="utf-8")
    assert "draft" not in load_kb(kb_repo).articles


def test_search_ranks_across_word_forms_and_languages(kb_repo: SupportRepo) -> None:
    results, problems = search_kb(kb_repo, "касса не печатает чек")
    assert problems == []
    assert results[0].slug == "ne-pechatayutsya-cheki"
    assert "**" in results[0].snippet
    assert search_kb(kb_repo, "впн після зміни паролю")[0][0].slug == "ne-pratsiuie-vpn"
    assert search_kb(kb_repo, "SPF record")[0][0].to_dict() == {
        "slug": "outgoing-email-spam",
        "title": "Outgoing e-mail lands in spam",
        "score": pytest.approx(search_kb(kb_repo, "SPF record")[0][0].score, abs=1e-4),
        "snippet": "Publish **SPF** and DKIM **records** for the sending domain.",
        "tags": ["email", "spf"],
    }


@pytest.mark.parametrize("query", ["", "   ", "и не на", "the a of", "?!,"])
def test_empty_and_stop_word_queries_find_nothing(kb_repo: SupportRepo, query: str) -> None:
    assert search_kb(kb_repo, query) == ([], [])


def test_broken_front_matter_is_reported_and_skipped(kb_repo: SupportRepo) -> None:
    commit_files(
        kb_repo.root,
        {
            "data/kb/broken.md": "---\ntitle: Broken\ntags: [a, b\n---\nbody\n",
            "data/kb/no-front.md": "just text\n",
            "data/kb/Bad_Name.md": PRINTER,
        },
    )
    kb = load_kb(kb_repo)
    problems = [str(p) for p in kb.problems]
    assert (
        problems[0]
        == "data/kb/Bad_Name.md:1: bad slug 'Bad_Name': lowercase ASCII letters, digits and - only"
    )
    assert problems[1].startswith("data/kb/broken.md:4: front matter: invalid YAML")
    assert (
        problems[2] == "data/kb/no-front.md:1: missing front matter (the file must start with ---)"
    )
    assert "broken" not in kb.articles
    assert search_kb(kb_repo, "Broken body")[0] == []
    rows, problems = list_articles(kb_repo)
    assert len(rows) == 3 and len(problems) == 3
    with pytest.raises(DataError, match=r"^data/kb/broken.md:4: "):
        get_article(kb_repo, "broken")


def test_get_article_unknown(kb_repo: SupportRepo) -> None:
    with pytest.raises(NotFound):
        get_article(kb_repo, "nope")
    with pytest.raises(NotFound):
        get_article(kb_repo, "../supportctl")


def test_list_filters_by_tag_case_insensitively(kb_repo: SupportRepo) -> None:
    rows, _ = list_articles(kb_repo, "VPN")
    assert [a.slug for a in rows] == ["ne-pratsiuie-vpn"]


def test_analyses_are_cached_by_blob_id(
    kb_repo: SupportRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_kb(kb_repo)
    calls: list[bytes] = []
    real = catalog._analyse

    def counting(content: bytes) -> dict[str, Any]:
        calls.append(content)
        return real(content)

    monkeypatch.setattr(catalog, "_analyse", counting)
    assert len(load_kb(kb_repo).articles) == 3
    assert calls == []  # nothing parsed again
    # Only the changed file is analysed again.
    commit_files(kb_repo.root, {"data/kb/outgoing-email-spam.md": MAIL.replace("DKIM", "DMARC")})
    kb = load_kb(kb_repo)
    assert len(calls) == 1
    assert kb.search("DMARC")[0].slug == "outgoing-email-spam"


def test_stale_analysis_in_cache_is_recomputed(kb_repo: SupportRepo) -> None:
    load_kb(kb_repo)
    rows = kb_repo.cache.db.execute("SELECT blob FROM blobs WHERE kind='kb'").fetchall()
    kb_repo.cache.put_many(
        "kb", {b: {"fields": {}, "analysis": {"analyzer": "old"}} for (b,) in rows}
    )
    assert search_kb(kb_repo, "касса")[0][0].slug == "ne-pechatayutsya-cheki"


def test_suggest_uses_title_and_description(kb_repo: SupportRepo) -> None:
    hits = suggest(kb_repo, "Касса", "Чек не печатается после обновления Windows")
    assert [h.slug for h in hits] == ["ne-pechatayutsya-cheki"]


def test_suggest_with_empty_kb(support_repo: Path) -> None:
    assert suggest(SupportRepo(support_repo), "Касса не печатает чеки") == []
