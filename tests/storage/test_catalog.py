"""supportctl/kb/catalog.py: the KB at HEAD, its blob cache, search and suggestions."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import DataError, NotFound
from supportctl.search.index import SearchIndex
from supportctl.storage import catalog
from supportctl.storage.cache import file_name
from supportctl.storage.catalog import get_article, list_articles, load_kb, search_kb, suggest
from supportctl.storage.desk import Desk
from tests.helpers import commit_files, git

if TYPE_CHECKING:
    from pathlib import Path

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


@pytest.fixture
def kb_repo(support_repo: Path) -> Desk:
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
    return Desk(support_repo)


def test_articles_at_head_sorted_by_slug(kb_repo: Desk) -> None:
    kb = load_kb(kb_repo)
    assert list(kb.articles) == [
        "ne-pechatayutsya-cheki",
        "ne-pratsiuie-vpn",
        "outgoing-email-spam",
    ]
    assert kb.problems == []
    assert kb.articles["ne-pratsiuie-vpn"].tickets == []


def test_uncommitted_files_are_not_in_the_kb(kb_repo: Desk) -> None:
    (kb_repo.root / "data/kb/draft.md").write_text(MAIL, encoding="utf-8")
    assert "draft" not in load_kb(kb_repo).articles


def test_search_ranks_across_word_forms_and_languages(kb_repo: Desk) -> None:
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
def test_empty_and_stop_word_queries_find_nothing(kb_repo: Desk, query: str) -> None:
    assert search_kb(kb_repo, query) == ([], [])


def test_broken_front_matter_is_reported_and_skipped(kb_repo: Desk) -> None:
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
    assert len(rows) == 3
    assert len(problems) == 3
    with pytest.raises(DataError, match=r"^data/kb/broken.md:4: "):
        get_article(kb_repo, "broken")


def test_get_article_unknown(kb_repo: Desk) -> None:
    with pytest.raises(NotFound):
        get_article(kb_repo, "nope")
    with pytest.raises(NotFound):
        get_article(kb_repo, "../supportctl")


def test_list_filters_by_tag_case_insensitively(kb_repo: Desk) -> None:
    rows, _ = list_articles(kb_repo, "VPN")
    assert [a.slug for a in rows] == ["ne-pratsiuie-vpn"]


def test_analyses_are_cached_by_blob_id(kb_repo: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_stale_analysis_in_cache_is_recomputed(kb_repo: Desk) -> None:
    load_kb(kb_repo)
    snapshot_file(kb_repo).unlink()  # go to the blob cache
    rows = kb_repo.cache.get_many("kb", (b for _, b in kb_repo.git.ls_tree("data/kb")))
    assert len(rows) == 3
    kb_repo.cache.put_many("kb", {b: {"fields": {}, "analysis": {"analyzer": "old"}} for b in rows})
    assert search_kb(kb_repo, "касса")[0][0].slug == "ne-pechatayutsya-cheki"


def test_suggest_uses_title_and_description(kb_repo: Desk) -> None:
    hits = suggest(kb_repo, "Касса", "Чек не печатается после обновления Windows")
    assert [h.slug for h in hits] == ["ne-pechatayutsya-cheki"]


def test_suggest_with_empty_kb(support_repo: Path) -> None:
    assert suggest(Desk(support_repo), "Касса не печатает чеки") == []


# --- the snapshot of the whole KB ---------------------------------------------------

QUERIES = ["касса не печатает чек", "впн після зміни паролю", "SPF record", "пичать", "spam"]


def outcome(repo: Desk) -> tuple[Any, ...]:
    """Everything the KB commands show, to compare a snapshot with a fresh build."""
    kb = load_kb(repo)
    return (
        list(kb.articles.items()),
        kb.problems,
        [kb.search(q, limit) for q in QUERIES for limit in (1, 10)],
        list_articles(repo, "vpn"),
        suggest(repo, "Касса", "Чек не печатается"),
    )


def snapshot_file(repo: Desk) -> Path:
    return repo.git.state_dir / "cache" / file_name("kb")


def counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every KB built from git and the blob cache instead of the snapshot."""
    builds: list[str] = []
    real = catalog._load

    def load(repo: Desk, rev: str) -> catalog.KnowledgeBase:
        builds.append(rev)
        return real(repo, rev)

    monkeypatch.setattr(catalog, "_load", load)
    return builds


def forbid_rebuilding(repo: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> Any:
        raise AssertionError("the KB was rebuilt instead of read from its snapshot")

    monkeypatch.setattr(catalog, "_load", boom)
    monkeypatch.setattr(repo.git, "ls_tree", boom)
    monkeypatch.setattr(repo.cache, "get_many", boom)
    monkeypatch.setattr(SearchIndex, "from_analyzed", boom)


@pytest.fixture
def kb_with_problem(kb_repo: Desk) -> Desk:
    commit_files(kb_repo.root, {"data/kb/broken.md": "---\ntitle: [x\n---\n"})
    return kb_repo


def test_a_warm_load_reads_only_the_snapshot(
    kb_with_problem: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = kb_with_problem
    assert not snapshot_file(repo).exists()
    cold = outcome(repo)
    assert cold[1]
    assert cold[2][0]
    assert snapshot_file(repo).is_file()
    forbid_rebuilding(repo, monkeypatch)
    assert outcome(repo) == cold


def test_commits_outside_the_kb_keep_the_snapshot(
    kb_repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = outcome(kb_repo)
    commit_files(kb_repo.root, {"notes.txt": "not the KB", "data/other/x.md": "no"})
    forbid_rebuilding(kb_repo, monkeypatch)
    assert outcome(kb_repo) == cold


def test_a_changed_article_replaces_the_snapshot(
    kb_repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = outcome(kb_repo)
    builds = counting_loads(monkeypatch)
    commit_files(
        kb_repo.root,
        {
            "data/kb/outgoing-email-spam.md": MAIL.replace("spam", "the junk folder").replace(
                "DKIM", "DMARC"
            )
        },
    )
    kb = load_kb(kb_repo)
    assert len(builds) == 1
    assert kb.articles["outgoing-email-spam"].title == "Outgoing e-mail lands in the junk folder"
    assert kb.search("DMARC")[0].slug == "outgoing-email-spam"
    assert kb.search("DKIM") == []
    after = outcome(kb_repo)
    assert after != before
    # The new snapshot serves the next command.
    forbid_rebuilding(kb_repo, monkeypatch)
    assert outcome(kb_repo) == after


def test_added_and_removed_articles_replace_the_snapshot(kb_repo: Desk) -> None:
    load_kb(kb_repo)
    git(kb_repo.root, "rm", "-q", "data/kb/ne-pratsiuie-vpn.md")
    commit_files(kb_repo.root, {"data/kb/new-one.md": MAIL.replace("Outgoing", "Incoming")})
    kb = load_kb(kb_repo)
    assert list(kb.articles) == ["ne-pechatayutsya-cheki", "new-one", "outgoing-email-spam"]
    assert [r.slug for r in kb.search("впн після зміни паролю")] == []
    assert kb.search("incoming")[0].slug == "new-one"


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        data = b""
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "appended":
        data += b"\0"
    elif how == "magic":
        data = b"X" + data[1:]
    elif how == "garbage":
        data = bytes(range(256)) * 40
    else:  # flip one byte in the marshal data, or in the raw bodies at the end
        i = len(data) // 3 if how == "flipped-early" else len(data) - 5
        data = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1 :]
    path.write_bytes(data)


@pytest.mark.parametrize(
    "how",
    ["empty", "truncated", "appended", "magic", "garbage", "flipped-early", "flipped-late"],
)
def test_a_damaged_snapshot_is_ignored_and_rebuilt(
    kb_with_problem: Desk, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    repo = kb_with_problem
    cold = outcome(repo)
    damage(snapshot_file(repo), how)
    builds = counting_loads(monkeypatch)
    assert outcome(repo) == cold
    assert len(builds) == 1  # rebuilt once, then the new snapshot served the rest
    monkeypatch.undo()
    forbid_rebuilding(repo, monkeypatch)
    assert outcome(repo) == cold


def test_a_snapshot_of_another_version_is_ignored(
    kb_repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = outcome(kb_repo)
    monkeypatch.setattr(catalog, "__version__", "99.0")
    builds = counting_loads(monkeypatch)
    assert outcome(kb_repo) == cold
    assert len(builds) == 1


def test_a_snapshot_with_a_stale_index_is_ignored(
    kb_repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = outcome(kb_repo)
    # Same key, but an index snapshot the SearchIndex rejects (say, another platform).
    real = SearchIndex.snapshot
    monkeypatch.setattr(
        SearchIndex, "snapshot", lambda self: {**real(self), "layout": ("middle", 0, 0, 0)}
    )
    snapshot_file(kb_repo).unlink()
    load_kb(kb_repo)
    monkeypatch.undo()
    builds = counting_loads(monkeypatch)
    assert outcome(kb_repo) == cold
    assert len(builds) == 1


def test_an_unwritable_snapshot_only_costs_speed(
    kb_repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(os, "replace", refuse)
    cold = outcome(kb_repo)
    assert not snapshot_file(kb_repo).exists()
    assert not list((kb_repo.git.state_dir / "cache").glob(".*.tmp"))  # no temporary file left
    assert outcome(kb_repo) == cold


def test_article_order_is_the_same_from_the_snapshot(support_repo: Path) -> None:
    # data/kb/a-b.md sorts before data/kb/a.md, though the slug "a" sorts first.
    commit_files(
        support_repo,
        {
            "data/kb/a.md": MAIL,
            "data/kb/a-b.md": VPN,
            "data/kb/b.md": PRINTER,
        },
    )
    repo = Desk(support_repo)
    cold = list(load_kb(repo).articles)
    assert snapshot_file(repo).is_file()
    assert list(load_kb(repo).articles) == cold == ["a-b", "a", "b"]
    assert [a.slug for a in list_articles(repo)[0]] == cold


def test_an_empty_kb_has_a_snapshot_too(support_repo: Path) -> None:
    repo = Desk(support_repo)
    for _ in range(2):
        kb = load_kb(repo)
        assert (dict(kb.articles), kb.problems) == ({}, [])
        assert suggest(repo, "Касса не печатает чеки") == []
    assert snapshot_file(repo).is_file()


def test_abandoned_temporary_files_are_removed(kb_repo: Desk) -> None:
    state = kb_repo.git.state_dir / "cache"
    state.mkdir(parents=True, exist_ok=True)
    name = file_name("kb")
    old, recent = state / f".{name}.old.tmp", state / f".{name}.new.tmp"
    for tmp in (old, recent):
        tmp.write_bytes(b"left by a killed process")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    load_kb(kb_repo)
    assert not old.exists()
    assert recent.exists()  # perhaps another process is writing it right now
