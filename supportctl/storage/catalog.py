"""The KB of a support repo: the articles committed at HEAD, and ranked search over them.

Articles are read from git (not the work tree) like tickets, so every agent and the
CI see the same KB for the same commit. Parsing and analysing an article for search
is the expensive part, so both are cached in the blob store under the kind "kb"
(see `supportctl.storage.cache`), keyed by blob id: a search over 5,000 articles
parses only those that changed since the last run. A broken file is reported as a `Problem` and skipped; it never
stops `kb list`, `kb search` or the suggestions of `supportctl new`.

Loading 5,000 cached entries and building the index from them still takes over a
second, so the whole result — articles, problems and the built search index — is
also kept as one snapshot file (the "kb" cache file), keyed by the tree id of
`data/kb` (git's hash of everything in the folder) and the versions of supportctl,
the cache format and the analyser. While nothing under data/kb changes (filing tickets
does not), a command reads that one file and skips git ls-tree, sqlite and the
index build. A snapshot is used only when its key and checksum match; otherwise it
is ignored and replaced, so a stale or damaged one costs time, never wrong results.
"""

from __future__ import annotations

import marshal
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from supportctl import __version__
from supportctl.domain.articles import (
    KB_DIR,
    Article,
    ArticleError,
    article_path,
    from_fields,
    parse_content,
    slug_of_path,
)
from supportctl.domain.errors import DataError, NotFound
from supportctl.domain.text import is_slug
from supportctl.domain.ticket import Problem
from supportctl.search.index import Document, Hit, SearchIndex, analyze, analyze_document
from supportctl.storage.cache import CACHE_FORMATS

if TYPE_CHECKING:
    from supportctl.storage.cache import CachedRepo

# The cache of this module (see CACHE_FORMATS): its rows hold parsed articles, its file
# the snapshot. Bump its version when what either holds, or how articles are parsed,
# changes.
CACHE_KIND = "kb"
_MAGIC = b"supportctl kb snapshot\n"
# After the magic: the lengths of the key, the marshal data and the raw byte strings
# that follow it, then the CRC-32 of everything after the key.
_SIZES = struct.Struct("<QQQI")
# Markdown bold: the snippet text has no `*` of its own (markup is stripped), while
# «» and quotes are everyday punctuation in Russian and Ukrainian articles.
HIGHLIGHT = ("**", "**")


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

    articles: Mapping[str, Article]  # by slug, in file path order
    problems: list[Problem] = field(default_factory=list)
    analyses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The index restored from a snapshot, when the KB came from one.
    restored_index: SearchIndex | None = field(default=None, repr=False, compare=False)

    @cached_property
    def index(self) -> SearchIndex:
        if self.restored_index is not None:
            return self.restored_index
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


def load_kb(repo: CachedRepo, rev: str = "HEAD") -> KnowledgeBase:
    """The KB at `rev`: files `data/kb/<slug>.md`; other files in the folder are ignored."""
    at = repo.git.folder_at(rev, KB_DIR)
    if at is None:  # no commit yet, or no data/kb in it
        return _load(repo, rev)
    commit, tree = at
    key = _snapshot_key(tree)
    kb = _read_snapshot(repo.cache.read(CACHE_KIND), key)
    if kb is None:
        # The commit, not `rev`: HEAD may move meanwhile, and the snapshot must hold
        # exactly the files of the tree it is filed under.
        kb = _load(repo, commit)
        repo.cache.write(CACHE_KIND, _snapshot_chunks(key, kb))
    return kb


def _load(repo: CachedRepo, rev: str) -> KnowledgeBase:
    """The KB at `rev` from git and the blob cache."""
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
        if not is_slug(slug):
            problems.append(
                Problem(path, 1, f"bad slug {slug!r}: lowercase ASCII letters, digits and - only")
            )
        elif "__error__" in entry:
            problems.append(Problem(path, int(entry.get("__line__") or 1), str(entry["__error__"])))
        else:
            articles[slug] = from_fields(dict(entry["fields"]), path)
            analyses[slug] = entry["analysis"]
    return KnowledgeBase(articles, problems, analyses)


# --- The snapshot -----------------------------------------------------------------


def _snapshot_key(tree: str) -> tuple[Any, ...]:
    return (CACHE_FORMATS[CACHE_KIND], __version__, analyzer_id(), tree)


class _SnapshotArticles(Mapping[str, Article]):
    """The articles of a snapshot, each made when first asked for: a search shows a
    handful, so the others' bodies are never decoded. Title, tags and body come from
    the index's documents, which hold the same text (see `document`)."""

    def __init__(self, slugs: list[str], rest: list[tuple[Any, ...]], index: SearchIndex) -> None:
        self._slugs = slugs
        self._rest = dict(zip(slugs, rest, strict=True))
        self._index = index
        self._made: dict[str, Article] = {}

    def __getitem__(self, slug: str) -> Article:
        article = self._made.get(slug)
        if article is None:
            products, customers, tickets, updated = self._rest[slug]
            doc = self._index.document(slug)
            article = Article(
                slug=slug,
                title=doc.title,
                tags=list(doc.tags),
                products=list(products),
                customers=list(customers),
                tickets=list(tickets),
                updated=updated,
                body=doc.body,
                path=article_path(slug),
            )
            self._made[slug] = article
        return article

    def __contains__(self, slug: object) -> bool:
        return slug in self._rest

    def __iter__(self) -> Iterator[str]:
        return iter(self._slugs)

    def __len__(self) -> int:
        return len(self._slugs)

    def __repr__(self) -> str:
        return f"<{len(self)} KB articles>"


def _read_snapshot(data: bytes | None, key: tuple[Any, ...]) -> KnowledgeBase | None:
    """The KB saved under `key`, or None when there is none or it cannot be trusted."""
    if data is None:
        return None
    try:
        if not data.startswith(_MAGIC):
            return None
        key_size, payload_size, raw_size, crc = _SIZES.unpack_from(data, len(_MAGIC))
        start = len(_MAGIC) + _SIZES.size + key_size
        if start + payload_size + raw_size != len(data):
            return None  # cut short, or something appended
        if marshal.loads(data[start - key_size : start]) != key:
            return None  # another tree, analyser or supportctl version
        view = memoryview(data)
        if zlib.crc32(view[start:]) != crc:
            return None
        saved = marshal.loads(view[start : start + payload_size])
        raw = view[start + payload_size :]
        snapshot = dict(saved["index"])
        snapshot.update((name, raw[a:b]) for name, (a, b) in saved["raw"].items())
        index = SearchIndex.from_snapshot(snapshot)
        slugs, rest = saved["slugs"], saved["rest"]
        if not isinstance(slugs, list) or len(slugs) != len(index):
            return None
        problems = [Problem(str(p), int(n), str(m)) for p, n, m in saved["problems"]]
        return KnowledgeBase(_SnapshotArticles(slugs, rest, index), problems, restored_index=index)
    except Exception:
        return None


def _snapshot_chunks(key: tuple[Any, ...], kb: KnowledgeBase) -> list[bytes]:
    """The snapshot file of `kb` under `key`."""
    articles = list(kb.articles.values())
    snapshot = kb.index.snapshot()
    # The index's byte strings (article bodies, posting lists: most of the file) go
    # after the marshal data as they are, so reading them back is not another copy.
    raw: dict[str, tuple[int, int]] = {}
    chunks: list[bytes] = []
    size = 0
    for name, value in list(snapshot.items()):
        if isinstance(value, bytes):
            raw[name] = (size, size + len(value))
            chunks.append(value)
            size += len(value)
            del snapshot[name]
    payload = marshal.dumps(
        {
            "slugs": [a.slug for a in articles],
            "rest": [
                (tuple(a.products), tuple(a.customers), tuple(a.tickets), a.updated)
                for a in articles
            ],
            "problems": [(p.path, p.line, p.message) for p in kb.problems],
            "index": snapshot,
            "raw": raw,
        }
    )
    head = marshal.dumps(key)
    crc = zlib.crc32(payload)
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    return [_MAGIC + _SIZES.pack(len(head), len(payload), size, crc) + head + payload, *chunks]


def get_article(repo: CachedRepo, slug: str, rev: str = "HEAD") -> Article:
    """One article; NotFound for an unknown slug, DataError (path:line) for a broken file."""
    if not is_slug(slug):
        raise NotFound(f"unknown KB article {slug!r} (slugs are lowercase ASCII, digits and -)")
    path = article_path(slug)
    content = repo.git.file_at(rev, path)
    if content is None:
        raise NotFound(f"unknown KB article {slug!r} (no {path})")
    try:
        return from_fields(parse_content(content), path)
    except ArticleError as exc:
        raise DataError(f"{path}:{exc.line}: {exc.message}") from None


def list_articles(repo: CachedRepo, tag: str | None = None) -> tuple[list[Article], list[Problem]]:
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
    repo: CachedRepo, query: str, limit: int = 10, highlight: tuple[str, str] = HIGHLIGHT
) -> tuple[list[Result], list[Problem]]:
    kb = load_kb(repo)
    return kb.search(query, limit, highlight), kb.problems


# A suggestion scoring under this share of the best one matched on a stray word or two;
# showing it at intake teaches agents to ignore the list.
SUGGEST_MIN_SHARE = 0.25


def suggest(repo: CachedRepo, title: str, description: str = "", limit: int = 3) -> list[Result]:
    """Articles that may answer a new ticket. The title goes first: past a few dozen
    words a query is cut, and the title says what the ticket is about."""
    hits = load_kb(repo).search(f"{title}\n{description}", limit)
    return [h for h in hits if h.score >= SUGGEST_MIN_SHARE * hits[0].score]
