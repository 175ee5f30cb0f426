"""A KB article as the actions see it: read from HEAD, parsed, its `tickets:` list set.

Shared by the ticket actions (`resolve --kb` links both ways) and the KB actions, which
build on the ticket actions: kept apart from both so neither has to import the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportctl.domain.articles import ArticleError, ArticleMeta, article_path, parse_meta, str_list
from supportctl.domain.errors import DataError, NotFound
from supportctl.domain.text import check_slug

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk


def parse_article(content: bytes, where: str) -> tuple[ArticleMeta, str]:
    """An article's front matter and body; a malformed one is a DataError naming the line."""
    try:
        return parse_meta(content)
    except ArticleError as exc:
        raise DataError(f"{where}:{exc.line}: {exc.message}") from None


def read_article(repo: Desk, slug: str) -> tuple[str, bytes, ArticleMeta]:
    """(path, committed text, parsed fields) of an article at HEAD; NotFound without one."""
    path = article_path(check_slug(slug))
    content = repo.git.file_at("HEAD", path)
    if content is None:
        raise NotFound(f"unknown KB article {slug!r} (no {path})")
    return path, content, parse_article(content, path)[0]


def set_tickets(meta: Any, tickets: list[str]) -> None:
    seq = str_list(meta, "tickets")
    if [str(t) for t in seq] != tickets:
        seq[:] = tickets
