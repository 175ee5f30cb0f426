"""The KB of a support repo: the articles committed at HEAD, and ranked search over them.

Articles are read from git (not the work tree) like tickets, so every agent and the
CI see the same KB for the same commit. Parsing and analysing an article for search
is the expensive part, so both are cached in the repo's BlobCache under the kind
"kb", keyed by blob id: a search over 5,000 articles parses only those that changed
since the last run. A broken file is reported as a `Problem` and skipped; it never
stops `kb list`, `kb search` or the suggestions of `supportctl new`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from supportctl.errors import DataError, NotFound
from supportctl.kb.articles import (
    KB_DIR,
    SLUG_RE,
    Article,
    ArticleError,
    article_path,
    from_fields,
    parse_content,
    slug_of_path,
)
from supportctl.kb.search import Document, Hit, SearchIndex, analyze, analyze_document
from supportctl.store import SupportRepo

CACHE_KIND = "kb"
# Markdown bold: the snippet text has no `*` of its own (markup is stripped), while
# «» and quotes are everyday punctuation in Russian and Ukrainian articles.
HIGHLIGHT = ("**", "**")


@dataclass(frozen=True)
class Problem:
    """An unreadable KB file: reported, then skipped."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Result:
    """One search hit, with what a person needs to pick it."""

    slug: str
    title: str
    score: float
    snippet: str
    tags: tuple[str, ...]
    matched_terms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "tags": list(self.tags),
        }


@lru_cache(maxsize=1)
def analyzer_id() -> str:
    """Id of the current analyser, to tell a stale cached analysis from a good one."""
    return str(analyze_document(Document("", "", (), ""))["analyzer"])


def document(article: Article) -> Document:
    return Document(
        key=article.slug, title=article.title, tags=tuple(article.tags), body=article.body
    )


def _analyse(content: bytes) -> dict[str, Any]:
    """Cache entry of one KB blob: its fields and search analysis, or its error."""
    try:
        fields = parse_content(content)
    except ArticleError as exc:
        return {"__error__": exc.message, "__line__": exc.line}
    doc = Document("", fields["title"], tuple(fields["tags"]), fields["body"])
    return {"fields": fields, "analysis": analyze_document(doc)}


def _usable(entry: Any) -> bool:
    if not isinstance(entry, Mapping):
        return False
    if "__error__" in entry:
        return True
    analysis = entry.get("analysis")
    return (
        isinstance(entry.get("fields"), Mapping)
        and isinstance(analysis, Mapping)
        and analysis.get("analyzer") == analyzer_id()
    )


@dataclass
class KnowledgeBase:
    """Every readable article at one revision, and the problems of the unreadable ones."""

    articles: dict[str, Article]  # by slug, sorted
    problems: list[Problem] = field(default_factory=list)
    analyses: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex.from_analyzed(
            (document(a), self.analyses.get(slug) or {}) for slug, a in self.articles.items()
        )

    def search(
        self, query: str, limit: int = 10, highlight: tuple[str, str] = HIGHLIGHT
    ) -> list[Result]:
        """Best articles for `query`; an empty or stop-word-only query finds nothing."""
        if not self.articles or not analyze(query):
            return []
        return [self._result(h) for h in self.index.search(query, limit=limit, highlight=highlight)]

    def _result(self, hit: Hit) -> Result:
        a = self.articles[hit.key]
        return Result(a.slug, a.title, hit.score, hit.snippet, tuple(a.tags), hit.matched_terms)


def load_kb(repo: SupportRepo, rev: str = "HEAD") -> KnowledgeBase:
    """The KB at `rev`: files `data/kb/<slug>.md`; other files in the folder are ignored."""
    entries = []
    for path, blob in repo.git.ls_tree(KB_DIR, rev):
        rest = path[len(KB_DIR) + 1 :]
        if "/" in rest or not rest.endswith(".md"):
            continue  # images, .gitkeep, sub-folders
        entries.append((path, blob))
    cached = repo.cache.get_many(CACHE_KIND, (b for _, b in entries))
    fresh: dict[str, Any] = {}
    for _, blob in entries:
        if blob not in fresh and not _usable(cached.get(blob)):
            fresh[blob] = _analyse(repo.git.blob(blob))
    repo.cache.put_many(CACHE_KIND, fresh)
    cached.update(fresh)

    articles: dict[str, Article] = {}
    analyses: dict[str, Mapping[str, Any]] = {}
    problems: list[Problem] = []
    for path, blob in sorted(entries):
        entry = cached[blob]
        slug = slug_of_path(path)
        if not SLUG_RE.match(slug):
            problems.append(
                Problem(path, 1, f"bad slug {slug!r}: lowercase ASCII letters, digits and - only")
            )
        elif "__error__" in entry:
            problems.append(Problem(path, int(entry.get("__line__") or 1), str(entry["__error__"])))
        else:
            articles[slug] = from_fields(dict(entry["fields"]), path)
            analyses[slug] = entry["analysis"]
    return KnowledgeBase(articles, problems, analyses)


def get_article(repo: SupportRepo, slug: str, rev: str = "HEAD") -> Article:
    """One article; NotFound for an unknown slug, DataError (path:line) for a broken file."""
    if not SLUG_RE.match(slug):
        raise NotFound(f"unknown KB article {slug!r} (slugs are lowercase ASCII, digits and -)")
    path = article_path(slug)
    content = repo.git.file_at(rev, path)
    if content is None:
        raise NotFound(f"unknown KB article {slug!r} (no {path})")
    try:
        return from_fields(parse_content(content), path)
    except ArticleError as exc:
        raise DataError(f"{path}:{exc.line}: {exc.message}") from None


def list_articles(repo: SupportRepo, tag: str | None = None) -> tuple[list[Article], list[Problem]]:
    """Articles sorted by slug, optionally only those with `tag`."""
    kb = load_kb(repo)
    wanted = tag.strip().casefold() if tag else None
    rows = [
        a
        for a in kb.articles.values()
        if wanted is None or wanted in (t.casefold() for t in a.tags)
    ]
    return rows, kb.problems


def search_kb(
    repo: SupportRepo, query: str, limit: int = 10, highlight: tuple[str, str] = HIGHLIGHT
) -> tuple[list[Result], list[Problem]]:
    kb = load_kb(repo)
    return kb.search(query, limit, highlight), kb.problems


# A suggestion scoring under this share of the best one matched on a stray word or two;
# showing it at intake teaches agents to ignore the list.
SUGGEST_MIN_SHARE = 0.25


def suggest(repo: SupportRepo, title: str, description: str = "", limit: int = 3) -> list[Result]:
    """Articles that may answer a new ticket. The title goes first: past a few dozen
    words a query is cut, and the title says what the ticket is about."""
    hits = load_kb(repo).search(f"{title}\n{description}", limit)
    return [h for h in hits if h.score >= SUGGEST_MIN_SHARE * hits[0].score]
