"""Full-text search over KB articles and tickets: BM25F ranking, ru/uk/en stemming,
one-typo tolerance and highlighted snippets.

Pure: documents come in as plain dataclasses and nothing here reads files or git.
Analysing a document is the expensive part, so `analyze_document` returns
JSON-serialisable data that a caller may cache by file blob id and feed back
through `SearchIndex.from_analyzed`. Building the index from those analyses still
costs time proportional to the corpus, so a built index can also be turned into
plain data with `SearchIndex.snapshot` (for marshal, say) and restored as it is
with `SearchIndex.from_snapshot`.
"""

from __future__ import annotations

import heapq
import math
import re
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, overload

__all__ = [
    "Document",
    "Hit",
    "SearchIndex",
    "analyze",
    "analyze_document",
]


@dataclass(frozen=True)
class Document:
    key: str  # article slug or ticket id
    title: str
    tags: tuple[str, ...]
    body: str  # Markdown


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    snippet: str
    # The query words (casefolded, ё→е) that matched, in query order; a word that
    # matched only through typo tolerance is listed as the user typed it.
    matched_terms: tuple[str, ...]


# BM25F parameters. Field weights make a word in the title or a tag count for
# several in the body, so articles *about* a topic beat ones that mention it.
K1 = 1.2
B = 0.75
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "tags": 2.5, "body": 1.0}
# Length normalisation per field. Tags are keywords, not prose: an article with three tags
# is not a "longer" match than one with one, and when few articles have tags at all the
# average is tiny and normalising would push a tag match below a body-only one.
FIELD_B: dict[str, float] = {"title": B, "tags": 0.0, "body": B}
FUZZY_PENALTY = 0.7
FUZZY_MIN_LETTERS = 5
SNIPPET_WIDTH = 160
# How far a snippet cut may move to avoid splitting a word.
_MAX_NUDGE = 20
# A pasted log line can turn into hundreds of query words; past this many the
# extra words only cost time (each may trigger a fuzzy lookup).
MAX_QUERY_TERMS = 32

_FIELDS = ("title", "tags", "body")
# Bump when tokenising, normalising, stop words or stemmer choice change, so
# cached analyses from an older build are recomputed instead of silently mixed in.
_ANALYZER_VERSION = 1
_STATE_FORMAT = 1
# Bump when the internals that `SearchIndex.snapshot` stores change.
_SNAPSHOT_FORMAT = 1


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short lists on purpose: only function words that carry no meaning in a support
# query. "не"/"not" go because nearly every problem report has them; "нет", "no"
# and "ещё" stay, since "нет звука" or "no sound" are real queries.
_STOP_EN = _word_set(
    """a an and are as at be been but by can could did do does for from had has have
    how i if in into is it its me my not of on or our so such than that the their them
    then there these they this to too was we were what when where which who why will
    with would you your"""
)
_STOP_RU = _word_set(
    """а без бы был была были было быть в вам вас во вот все всё вы где да для до
    его ее её ей если есть же за и из или им их к как ко кто ли мне мы на над не ни
    но о об он она они оно от по под при про с со так там то тот тут у уже чем что
    чтобы эта эти это этот я"""
)
_STOP_UK = _word_set(
    """або але б би був була були було бути в вже від він вона вони воно все де для
    до є з за зі і із й їх її мені ми на над не ні по під при про та так там те то
    тут у хто це ці цей ця чи що щоб я як якщо"""
)
# Normalised like every token so "всё" in the list and "все" in text agree.
_STOP = frozenset(w.replace("ё", "е") for w in _STOP_EN | _STOP_RU | _STOP_UK)

# Letters and digits, optionally joined by apostrophes: Ukrainian п'ять / м’яч /
# мʼяч and English don't stay one word. "_" is excluded so snake_case splits.
_TOKEN = re.compile(r"[^\W_]+(?:['’ʼ‘][^\W_]+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
# Soft hyphens and zero-width characters arrive with text pasted from Word or web
# pages and would split words in two.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[a-z\u00c0-\u024f]")
_UKRAINIAN_MARK = re.compile("[іїєґ']")
# Only used when snowballstemmer has no Ukrainian stemmer: mapping Ukrainian vowel
# letters onto their Russian counterparts lets the Russian stemmer recognise the
# common endings (-і, -ий, -ує), and dropping the apostrophe makes п'ять ~ пять.
_UK_TO_RU = str.maketrans({"і": "и", "ї": "и", "є": "е", "'": None})

_STEMMERS: dict[str, Any] = {}
# Snowball stemmers keep per-call state on the object, so one instance must not
# be used by two threads at once.
_STEM_LOCK = threading.Lock()


def _get_stemmer(language: str) -> Any:
    # Creating a stemmer builds its tables, so each language is made once.
    stemmer = _STEMMERS.get(language)
    if stemmer is None:
        import snowballstemmer  # type: ignore[import-untyped]

        stemmer = snowballstemmer.stemmer(language)
        _STEMMERS[language] = stemmer
    return stemmer


@lru_cache(maxsize=1)
def _has_ukrainian() -> bool:
    import snowballstemmer

    return "ukrainian" in snowballstemmer.algorithms()


@lru_cache(maxsize=1)
def _analyzer_id() -> str:
    uk = "ukrainian" if _has_ukrainian() else "russian-fallback"
    return f"supportctl.kb/{_ANALYZER_VERSION};uk={uk}"


def _stem(word: str) -> str:
    if any(c.isdigit() for c in word):
        # Error codes, model numbers, versions: stemming "win10s" helps no one.
        return word
    if _CYRILLIC.search(word):
        if _UKRAINIAN_MARK.search(word):
            if _has_ukrainian():
                language = "ukrainian"
            else:
                language = "russian"
                word = word.translate(_UK_TO_RU)
        else:
            language = "russian"
    elif _LATIN.search(word):
        language = "english"
    else:
        return word
    stemmer = _get_stemmer(language)
    with _STEM_LOCK:
        stem: str = stemmer.stemWord(word)
    return stem or word


def _prepare(text: str) -> str:
    # NFC first: a decomposed "й" (и + combining breve) is not a word character
    # and would cut the word in two.
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


# Real text repeats a small set of word forms endlessly; caching the analysis of
# each raw form makes re-analysis (and highlighting) cheap after the first sight.
@lru_cache(maxsize=1 << 17)
def _analyze_word(raw: str) -> tuple[str, str] | None:
    """(normalised surface form, stem) of one token, or None for a stop word."""
    surface = _surface(raw)
    if surface in _STOP:
        return None
    return surface, _stem(surface)


@lru_cache(maxsize=1 << 17)
def _surface(raw: str) -> str:
    return raw.casefold().replace("ё", "е").translate(_APOSTROPHES)


class _Token(NamedTuple):
    surface: str  # casefolded, ё→е, one kind of apostrophe
    stem: str
    start: int
    end: int


def _tokens(text: str) -> Iterator[_Token]:
    """Tokens of already `_prepare`d text, stop words dropped, with their offsets."""
    for m in _TOKEN.finditer(text):
        word = _analyze_word(m.group())
        if word is not None:
            yield _Token(word[0], word[1], m.start(), m.end())


def analyze(text: str) -> list[str]:
    """Index terms of `text`: words casefolded, ё→е, stop words dropped, stemmed.

    >>> analyze("Принтеры не печатают")
    ['принтер', 'печата']
    """
    return [t.stem for t in _tokens(_prepare(text))]


# --- Markdown to plain text -------------------------------------------------------

_MD_LINE_RULES = [
    (re.compile(r"^[ \t]*(```|~~~).*$", re.MULTILINE), ""),  # code fences; the code stays
    (re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*\S+.*$", re.MULTILINE), ""),  # link definitions
    (re.compile(r"^[ \t]*([-*_=][ \t]*){3,}$", re.MULTILINE), ""),  # rules, setext underlines
    (re.compile(r"^[ \t|:-]*-{3,}[ \t|:-]*$", re.MULTILINE), ""),  # table separator rows
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE), ""),  # headings
    (re.compile(r"^[ \t]*(>[ \t]?)+", re.MULTILINE), ""),  # block quotes
    (re.compile(r"^[ \t]*[-*+][ \t]+", re.MULTILINE), ""),  # bullets
]
_MD_INLINE_RULES = [
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # [text](url), images
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"[`*|]|~~"), " "),  # code, emphasis, table cells
    # Underscores only at word edges: _emphasis_ goes, snake_case stays.
    (re.compile(r"(?<![^\W_])_+|_+(?![^\W_])"), " "),
]
_SPACES = re.compile(r"\s+")
# A space before punctuation is left over from removed markup ("`x`," -> " x ,").
_SPACE_BEFORE_PUNCT = re.compile(r" (?=[.,;:!?)»])")


def _plain_text(markdown: str) -> str:
    text = _prepare(markdown)
    for pattern, repl in _MD_LINE_RULES:
        text = pattern.sub(repl, text)
    for pattern, repl in _MD_INLINE_RULES:
        text = pattern.sub(repl, text)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BEFORE_PUNCT.sub("", text)


# --- Per-document analysis (the cacheable part) -----------------------------------


def _field_texts(doc: Document) -> dict[str, str]:
    return {
        "title": _prepare(doc.title),
        # Tags are joined with a separator no word can span.
        "tags": _prepare("\n".join(doc.tags)),
        "body": _plain_text(doc.body),
    }


def analyze_document(doc: Document) -> dict[str, Any]:
    """JSON-serialisable analysis of one document, for caching by content hash.

    {"analyzer": str, "fields": {field: {"length": int, "terms": {stem: tf}}},
     "words": {surface word: stem}} — "words" feeds typo tolerance.
    """
    fields: dict[str, Any] = {}
    words: dict[str, str] = {}
    for name, text in _field_texts(doc).items():
        tokens = list(_tokens(text))
        terms = Counter(t.stem for t in tokens)
        fields[name] = {"length": len(tokens), "terms": dict(sorted(terms.items()))}
        words.update((t.surface, t.stem) for t in tokens)
    return {"analyzer": _analyzer_id(), "fields": fields, "words": dict(sorted(words.items()))}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_analysis(analysis: object) -> bool:
    if not isinstance(analysis, Mapping) or analysis.get("analyzer") != _analyzer_id():
        return False
    fields = analysis.get("fields")
    words = analysis.get("words")
    if not isinstance(fields, Mapping) or not isinstance(words, Mapping):
        return False
    for name in _FIELDS:
        field = fields.get(name)
        if not isinstance(field, Mapping) or not _is_int(field.get("length")):
            return False
        terms = field.get("terms")
        if not isinstance(terms, Mapping):
            return False
        counts = terms.values()
        if not (_all_of(terms, str) and _all_of(counts, int) and min(counts, default=0) >= 0):
            return False
    return _all_of(words, str) and _all_of(words.values(), str)


def _all_of(values: Iterable[object], kind: type) -> bool:
    # Runs for every word of every cached analysis, so the loop is map/set, not
    # Python code. Exact types (a bool is not an int here): anything else is analysed
    # again, which is never wrong.
    return set(map(type, values)) <= {kind}


def _copy_analysis(analysis: Mapping[str, Any]) -> dict[str, Any]:
    # The index must not change if the caller later mutates what it passed in or
    # got back, and the copy is cheap next to analysing again.
    return {
        "analyzer": analysis["analyzer"],
        "fields": {
            name: {
                "length": analysis["fields"][name]["length"],
                "terms": dict(analysis["fields"][name]["terms"]),
            }
            for name in _FIELDS
        },
        "words": dict(analysis["words"]),
    }


# --- Typo tolerance ---------------------------------------------------------------


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein (optimal string alignment) distance of a and b <= 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if la > lb:
        a, b, la, lb = b, a, lb, la
    if lb - la > 1:
        return False
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la < lb:
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def _range_with_prefix(words: list[str], prefix: str) -> Iterator[str]:
    """Items of the sorted list `words` that start with `prefix`."""
    for i in range(bisect_left(words, prefix), len(words)):
        if not words[i].startswith(prefix):
            break
        yield words[i]


class _FuzzyVocabulary:
    """Finds the vocabulary words one edit away from a query word.

    Pigeonhole: split the query in two halves. One edit (insertion, deletion,
    substitution, adjacent transposition) leaves at least one half intact, so a
    word within one edit starts with the first half or ends with the second —
    except a transposition across the split, which is looked up directly. Sorted
    word lists per length (one of them of reversed words, for suffixes) turn both
    into bisect range scans. Unlike a SymSpell deletion index this costs only a
    sort to build and no more memory than the words themselves, which matters to a
    CLI that builds an index for a single query.
    """

    # Shorter vocabulary words are too close to too many others to be a useful guess.
    MIN_LENGTH = 4

    def __init__(self, words: Iterable[str]) -> None:
        by_length: dict[int, list[str]] = {}
        for word in words:
            if len(word) >= self.MIN_LENGTH:
                by_length.setdefault(len(word), []).append(word)
        self._words = {n: sorted(ws) for n, ws in by_length.items()}
        self._reversed = {n: sorted(w[::-1] for w in ws) for n, ws in by_length.items()}
        self._all = frozenset(w for ws in by_length.values() for w in ws)

    def near(self, query: str) -> set[str]:
        n = len(query)
        if n < 2:
            return set()
        split = (n + 1) // 2
        head, tail_reversed = query[:split], query[split:][::-1]
        found: set[str] = set()
        for length in (n - 1, n, n + 1):
            found.update(_range_with_prefix(self._words.get(length, []), head))
            found.update(
                w[::-1] for w in _range_with_prefix(self._reversed.get(length, []), tail_reversed)
            )
        swapped = query[: split - 1] + query[split] + query[split - 1] + query[split + 1 :]
        if swapped in self._all:
            found.add(swapped)
        # Sharing a half is necessary, not sufficient.
        found.discard(query)
        return {w for w in found if _within_one_edit(w, query)}


# --- The index --------------------------------------------------------------------


@dataclass(frozen=True)
class _QueryTerm:
    word: str  # normalised surface form, reported in Hit.matched_terms
    stem: str


class _Postings:
    """stem -> (document ids, BM25F weights), packed into flat arrays.

    The stems are sorted, so a lookup is a bisect; stem i owns the slice
    bounds[i]:bounds[i + 1] of `ids` and `weights`. Four flat values hold the whole
    inverted index, so a snapshot stores them as bytes and restoring them is a copy,
    not a rebuild.
    """

    __slots__ = ("bounds", "ids", "stems", "weights")

    def __init__(
        self, stems: list[str], bounds: array[int], ids: array[int], weights: array[float]
    ) -> None:
        self.stems = stems
        self.bounds = bounds
        self.ids = ids
        self.weights = weights

    @classmethod
    def pack(
        cls, doc_ids: Mapping[str, array[int]], weights: Mapping[str, array[float]]
    ) -> _Postings:
        stems = sorted(doc_ids)
        bounds = array("q", [0])
        ids: array[int] = array("i")
        packed: array[float] = array("d")
        for stem in stems:
            ids.extend(doc_ids[stem])
            packed.extend(weights[stem])
            bounds.append(len(ids))
        return cls(stems, bounds, ids, packed)

    def _find(self, stem: str) -> int:
        i = bisect_left(self.stems, stem)
        return i if i < len(self.stems) and self.stems[i] == stem else -1

    def __contains__(self, stem: str) -> bool:
        return self._find(stem) >= 0

    def __getitem__(self, stem: str) -> tuple[array[int], array[float]]:
        i = self._find(stem)
        if i < 0:
            raise KeyError(stem)
        start, end = self.bounds[i], self.bounds[i + 1]
        return self.ids[start:end], self.weights[start:end]

    def df(self, stem: str) -> int:
        """How many documents contain `stem` (0 when none)."""
        i = self._find(stem)
        return self.bounds[i + 1] - self.bounds[i] if i >= 0 else 0


class _Vocabulary:
    """stem -> the word forms of the documents that have it ("принтер" -> принтер,
    принтеры, принтера), with stems sorted for bisect like `_Postings`.

    Snippets use it to find the words of matched stems without stemming every word
    of a hit again; typo tolerance inverts it.
    """

    __slots__ = ("stems", "words")

    def __init__(self, stems: list[str], words: list[str]) -> None:
        self.stems = stems
        self.words = words  # per stem, its word forms joined by tabs

    @classmethod
    def pack(cls, words_of: Mapping[str, set[str]]) -> _Vocabulary:
        stems = sorted(words_of)
        # Words are tokens: they never hold whitespace.
        return cls(stems, ["\t".join(sorted(words_of[stem])) for stem in stems])

    def words_for(self, stems: Iterable[str]) -> dict[str, str]:
        """word form -> stem, for every word form of `stems`."""
        found: dict[str, str] = {}
        for stem in stems:
            i = bisect_left(self.stems, stem)
            if i < len(self.stems) and self.stems[i] == stem:
                found.update(dict.fromkeys(self.words[i].split("\t"), stem))
        return found

    def stems_of(self) -> dict[str, set[str]]:
        """word form -> its stems."""
        stems_of: dict[str, set[str]] = {}
        for stem, words in zip(self.stems, self.words, strict=False):
            for word in words.split("\t"):
                stems_of.setdefault(word, set()).add(stem)
        return stems_of


class _PackedDocuments(Sequence[Document]):
    """The documents of a restored snapshot, each made when asked for: a search
    needs the text of its hits only, so 5,000 bodies stay one bytes object."""

    def __init__(
        self,
        keys: list[str],
        titles: list[str],
        tags: list[tuple[str, ...]],
        bodies: bytes | memoryview,
        bounds: array[int],
    ) -> None:
        self._keys = keys
        self._titles = titles
        self._tags = tags
        self._bodies = bodies
        self._bounds = bounds

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, i: int) -> Document: ...

    @overload
    def __getitem__(self, i: slice) -> list[Document]: ...

    def __getitem__(self, i: int | slice) -> Document | list[Document]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("document index out of range")
        body = self._bodies[self._bounds[i] : self._bounds[i + 1]]
        return Document(self._keys[i], self._titles[i], tuple(self._tags[i]), _decode_text(body))


# Lone surrogates cannot be encoded as UTF-8; a Document from a caller may hold one.
def _encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode_text(raw: bytes | memoryview) -> str:
    return str(raw, "utf-8", "surrogatepass")


def _bytes_like(raw: object) -> bytes | memoryview:
    if not isinstance(raw, bytes | memoryview):
        raise TypeError(f"expected bytes, got {type(raw).__name__}")
    return raw


def _array(typecode: str, raw: object) -> array[Any]:
    values: array[Any] = array(typecode)
    values.frombytes(_bytes_like(raw))  # ValueError unless whole items
    return values


def _layout() -> tuple[str, int, int, int]:
    """What packed arrays depend on: a snapshot from another platform is not read."""
    return (sys.byteorder, array("i").itemsize, array("q").itemsize, array("d").itemsize)


class SearchIndex:
    """An in-memory BM25F index over a fixed set of documents."""

    def __init__(self, docs: Iterable[Document]) -> None:
        self._build([(doc, analyze_document(doc)) for doc in docs])

    @classmethod
    def from_analyzed(cls, docs: Iterable[tuple[Document, Mapping[str, Any]]]) -> SearchIndex:
        """Build from cached `analyze_document` results.

        An analysis made by a different analyser version (or damaged) is recomputed
        rather than trusted, so a stale cache costs time, never wrong results.
        """
        index = cls.__new__(cls)
        index._build(
            [
                (doc, _copy_analysis(a) if _valid_analysis(a) else analyze_document(doc))
                for doc, a in docs
            ]
        )
        return index

    def to_state(self) -> dict[str, Any]:
        """JSON-serialisable snapshot: the documents and their analyses."""
        # An index restored by `from_snapshot` keeps no analyses: they are made again.
        analyses = self._analyses or [analyze_document(doc) for doc in self._docs]
        return {
            "format": _STATE_FORMAT,
            "analyzer": _analyzer_id(),
            "documents": [
                {
                    "key": doc.key,
                    "title": doc.title,
                    "tags": list(doc.tags),
                    "body": doc.body,
                    "analysis": _copy_analysis(analysis),
                }
                for doc, analysis in zip(self._docs, analyses, strict=False)
            ],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SearchIndex:
        """Rebuild from `to_state()` output (after a JSON round trip, say).

        ValueError if `state` is not such output; TypeError if it is not a mapping.
        """
        if not isinstance(state, Mapping):
            raise TypeError("search index state must be a mapping")
        entries = state.get("documents")
        if state.get("format") != _STATE_FORMAT or not isinstance(entries, list):
            raise ValueError("not a search index state of a supported format")
        pairs: list[tuple[Document, Mapping[str, Any]]] = []
        for entry in entries:
            try:
                doc = Document(
                    key=_expect_str(entry["key"]),
                    title=_expect_str(entry["title"]),
                    tags=tuple(_expect_str(t) for t in _expect_list(entry["tags"])),
                    body=_expect_str(entry["body"]),
                )
            except (KeyError, TypeError) as exc:
                raise ValueError(f"malformed document in search index state: {exc}") from None
            pairs.append((doc, entry.get("analysis") or {}))
        return cls.from_analyzed(pairs)

    def snapshot(self) -> dict[str, Any]:
        """The built index as plain data (str, int, bytes, lists, tuples, dicts) for
        `marshal` or `pickle` — not JSON, it holds bytes. `from_snapshot` restores it
        in time proportional to its size in bytes, with nothing analysed or rebuilt.

        Only the current process's analyser and platform can read it back.
        """
        docs = self._docs
        bodies = [_encode_text(doc.body) for doc in docs]
        body_bounds = array("q", [0])
        for body in bodies:
            body_bounds.append(body_bounds[-1] + len(body))
        p = self._postings
        return {
            "format": _SNAPSHOT_FORMAT,
            "analyzer": _analyzer_id(),
            "layout": _layout(),
            "keys": list(self._keys),
            "titles": [doc.title for doc in docs],
            "tags": [tuple(doc.tags) for doc in docs],
            "bodies": b"".join(bodies),
            "body_bounds": body_bounds.tobytes(),
            "stems": list(p.stems),
            "bounds": p.bounds.tobytes(),
            "ids": p.ids.tobytes(),
            "weights": p.weights.tobytes(),
            "vocabulary_stems": list(self._vocabulary.stems),
            "vocabulary_words": list(self._vocabulary.words),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> SearchIndex:
        """Restore what `snapshot()` returned, as it was: identical search results.

        Its bytes values may come back as any bytes-like object, such as memoryview
        slices of a file read once; the document text is then kept as that slice,
        not copied, and each document is decoded only when a search needs it.
        Nothing is re-validated item by item: the checks here tell a snapshot of
        another version, analyser or platform (ValueError) or something that is not
        a snapshot at all (TypeError, ValueError) — not data altered on purpose. A
        caller storing snapshots should checksum them.
        """
        if not isinstance(data, Mapping):
            raise TypeError("search index snapshot must be a mapping")
        if (
            data.get("format") != _SNAPSHOT_FORMAT
            or data.get("analyzer") != _analyzer_id()
            or data.get("layout") != _layout()
        ):
            raise ValueError("not a search index snapshot of this version and platform")
        try:
            keys = _expect_list(data["keys"])
            titles = _expect_list(data["titles"])
            tags = _expect_list(data["tags"])
            bodies = _bytes_like(data["bodies"])
            body_bounds = _array("q", data["body_bounds"])
            stems = _expect_list(data["stems"])
            postings = _Postings(
                stems,
                _array("q", data["bounds"]),
                _array("i", data["ids"]),
                _array("d", data["weights"]),
            )
            vocabulary = _Vocabulary(
                _expect_list(data["vocabulary_stems"]), _expect_list(data["vocabulary_words"])
            )
        except KeyError as exc:
            raise ValueError(f"search index snapshot without {exc}") from None
        n_docs = len(keys)
        if (
            len(titles) != n_docs
            or len(tags) != n_docs
            or len(body_bounds) != n_docs + 1
            or body_bounds[0] != 0
            or body_bounds[-1] != len(bodies)
            or len(postings.bounds) != len(stems) + 1
            or postings.bounds[0] != 0
            or postings.bounds[-1] != len(postings.ids)
            or len(postings.weights) != len(postings.ids)
            or len(vocabulary.words) != len(vocabulary.stems)
        ):
            raise ValueError("inconsistent search index snapshot")
        index = cls.__new__(cls)
        index._keys = keys
        index._docs = _PackedDocuments(keys, titles, tags, bodies, body_bounds)
        index._analyses = None
        index._postings = postings
        index._idf = {}
        index._vocabulary = vocabulary
        index._stems_of = None
        index._fuzzy = None
        return index

    def __len__(self) -> int:
        return len(self._keys)

    def document(self, key: str) -> Document:
        """The document with `key`; KeyError when there is none."""
        i = bisect_left(self._keys, key)
        if i == len(self._keys) or self._keys[i] != key:
            raise KeyError(key)
        return self._docs[i]

    def _build(self, pairs: list[tuple[Document, dict[str, Any]]]) -> None:
        # Document ids follow key order, so "ties broken by key" is "lower id wins"
        # and results do not depend on the order documents were handed in.
        pairs = sorted(pairs, key=lambda pair: pair[0].key)
        docs = [doc for doc, _ in pairs]
        analyses = [analysis for _, analysis in pairs]
        keys = [doc.key for doc in docs]
        if len(set(keys)) != len(keys):
            dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
            raise ValueError(f"duplicate document keys: {', '.join(dupes)}")

        n_docs = len(pairs)
        avg_length = {
            name: sum(a["fields"][name]["length"] for a in analyses) / n_docs if n_docs else 0.0
            for name in _FIELDS
        }
        # BM25F: field-normalised, weighted frequencies are summed into one pseudo
        # frequency per (term, doc), then saturated once. Everything except idf
        # depends only on the document, so it is worked out here, not per query.
        doc_ids: dict[str, array[int]] = {}
        weights: dict[str, array[float]] = {}
        word_stems: set[tuple[str, str]] = set()
        for doc_id, analysis in enumerate(analyses):
            pseudo_tf: dict[str, float] = {}
            for name in _FIELDS:
                field = analysis["fields"][name]
                avg = avg_length[name]
                b = FIELD_B[name]
                norm = (1.0 - b) + b * field["length"] / avg if avg else 1.0
                factor = FIELD_WEIGHTS[name] / norm
                for stem, tf in field["terms"].items():
                    pseudo_tf[stem] = pseudo_tf.get(stem, 0.0) + tf * factor
            for stem, tf in pseudo_tf.items():
                if stem not in doc_ids:
                    doc_ids[stem] = array("i")
                    weights[stem] = array("d")
                doc_ids[stem].append(doc_id)
                weights[stem].append(tf / (K1 + tf))
            # Documents share most of their words: collect distinct pairs first.
            word_stems.update(analysis["words"].items())
        words_of: dict[str, set[str]] = {}
        for word, stem in word_stems:
            words_of.setdefault(stem, set()).add(word)

        self._keys = keys
        self._docs: Sequence[Document] = docs
        self._analyses: list[dict[str, Any]] | None = analyses
        self._postings = _Postings.pack(doc_ids, weights)
        self._idf: dict[str, float] = {}
        self._vocabulary = _Vocabulary.pack(words_of)
        self._stems_of: dict[str, set[str]] | None = None
        self._fuzzy: _FuzzyVocabulary | None = None

    def _idf_of(self, stem: str) -> float:
        idf = self._idf.get(stem)
        if idf is None:
            n_docs, df = len(self._keys), self._postings.df(stem)
            idf = self._idf[stem] = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        return idf

    def _word_stems(self) -> dict[str, set[str]]:
        """Word -> the index stems it stands for, for typo tolerance; made on first need."""
        if self._stems_of is None:
            stems_of = self._vocabulary.stems_of()
            # Stems take part in typo matching too: "принтр" is one edit from the stem
            # "принтер" though two from the only word form present, "принтеры".
            for stem in self._postings.stems:
                stems_of.setdefault(stem, set()).add(stem)
            self._stems_of = stems_of
        return self._stems_of

    def _near_stems(self, term: _QueryTerm) -> list[str]:
        """Index stems one typo away from a query term missing from the index."""
        letters = term.word.replace("'", "")
        if len(letters) < FUZZY_MIN_LETTERS or not letters.isalpha():
            return []
        stems_of = self._word_stems()
        if self._fuzzy is None:
            # Built on first need: most queries are spelled right and never pay for it.
            self._fuzzy = _FuzzyVocabulary(stems_of)
        near = self._fuzzy.near(term.word)
        if len(term.stem) >= _FuzzyVocabulary.MIN_LENGTH:
            near |= self._fuzzy.near(term.stem)
        return sorted({s for w in near for s in stems_of[w] if s in self._postings})

    def search(
        self,
        query: str,
        limit: int = 10,
        highlight: tuple[str, str] = ("«", "»"),
        *,
        within: Iterable[str] | None = None,
    ) -> list[Hit]:
        """Best `limit` documents for `query`, highest score first, ties by key.

        `within`: only the documents with these keys take part, and the statistics a
        ranking draws from the corpus come from them alone: how rare a word is (idf),
        whether a query word is present at all, and which indexed words a typo may
        stand for. A document outside them can therefore change neither which of them
        are found nor their order, nor any snippet. The one corpus-wide figure left is
        the average field length that long documents are normalised by.
        """
        if limit < 0:
            raise ValueError("limit must not be negative")
        if within is not None:
            return self._search_within(query, limit, highlight, within)
        terms: list[_QueryTerm] = []
        seen: set[str] = set()
        for token in _tokens(_prepare(query)):
            if token.stem not in seen:
                seen.add(token.stem)
                terms.append(_QueryTerm(token.surface, token.stem))
        terms = terms[:MAX_QUERY_TERMS]
        if not terms or limit == 0:
            return []

        # Scores live in a list indexed by document id: cheaper than a dict in the
        # loops below, which run once per posting.
        scores = [0.0] * len(self._keys)
        term_postings: list[list[array[int]]] = []  # per query term, for matched_terms
        highlight_stems: set[str] = set()
        for term in terms:
            if term.stem in self._postings:
                expansions, penalty = [term.stem], 1.0
            else:
                expansions, penalty = self._near_stems(term), FUZZY_PENALTY
            postings = [self._postings[stem] for stem in expansions]
            term_postings.append([ids for ids, _ in postings])
            # Only stems a document contains can be found in its text, so one set
            # serves every snippet.
            highlight_stems.update(expansions)
            if len(expansions) == 1:
                ids, weights = postings[0]
                idf = self._idf_of(expansions[0]) * penalty
                for doc_id, weight in zip(ids, weights, strict=False):
                    scores[doc_id] += idf * weight
                continue
            # A typo may be one edit from several words; a document scores for the
            # best of them only, so a misspelling never outweighs a correct word.
            best: dict[int, float] = {}
            for stem, (ids, weights) in zip(expansions, postings, strict=False):
                idf = self._idf_of(stem) * penalty
                for doc_id, weight in zip(ids, weights, strict=False):
                    score = idf * weight
                    if score > best.get(doc_id, 0.0):
                        best[doc_id] = score
            for doc_id, score in best.items():
                scores[doc_id] += score

        # Every posting adds a positive amount, so 0.0 means "not matched". nlargest
        # is stable: among equal scores the lower id, i.e. the smaller key, comes first.
        matched_ids = (doc_id for doc_id, score in enumerate(scores) if score > 0.0)
        top = heapq.nlargest(limit, matched_ids, key=scores.__getitem__)
        # Every word of a document is in the vocabulary with its stem, so the words to
        # mark are known without stemming the text of each hit again.
        highlight_words = self._vocabulary.words_for(highlight_stems) if top else {}
        return [
            Hit(
                key=self._keys[doc_id],
                score=scores[doc_id],
                snippet=_snippet(self._docs[doc_id], highlight_words, highlight),
                matched_terms=tuple(
                    term.word
                    for term, postings in zip(terms, term_postings, strict=False)
                    if any(_contains(ids, doc_id) for ids in postings)
                ),
            )
            for doc_id in top
        ]

    def _search_within(
        self, query: str, limit: int, highlight: tuple[str, str], within: Iterable[str]
    ) -> list[Hit]:
        keys = self._keys
        member = bytearray(len(keys))
        for key in within:
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                member[i] = 1
        n_docs = member.count(1)
        terms = _query_terms(query)
        if not terms or limit == 0 or not n_docs:
            return []

        def kept(stem: str) -> tuple[list[int], list[float]]:
            ids, weights = self._postings[stem]
            pairs = [(d, w) for d, w in zip(ids, weights, strict=False) if member[d]]
            return [d for d, _ in pairs], [w for _, w in pairs]

        def idf(df: int) -> float:
            return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))

        scores: dict[int, float] = {}
        term_postings: list[list[list[int]]] = []
        highlight_stems: set[str] = set()
        for term in terms:
            found = kept(term.stem) if term.stem in self._postings else ([], [])
            if found[0]:
                expansions, postings, penalty = [term.stem], [found], 1.0
            else:
                # typo candidates among the words of the kept documents only
                near = [(stem, kept(stem)) for stem in self._near_stems(term)]
                near = [(stem, p) for stem, p in near if p[0]]
                expansions, postings = [s for s, _ in near], [p for _, p in near]
                penalty = FUZZY_PENALTY
            term_postings.append([ids for ids, _ in postings])
            highlight_stems.update(expansions)
            best: dict[int, float] = {}
            for ids, weights in postings:
                factor = idf(len(ids)) * penalty
                for doc_id, weight in zip(ids, weights, strict=False):
                    score = factor * weight
                    if score > best.get(doc_id, 0.0):
                        best[doc_id] = score
            for doc_id, score in best.items():
                scores[doc_id] = scores.get(doc_id, 0.0) + score

        # ties: the lower id (the smaller key) first, as in `search`
        top = heapq.nlargest(limit, sorted(scores), key=scores.__getitem__)
        highlight_words = self._vocabulary.words_for(highlight_stems) if top else {}
        return [
            Hit(
                key=keys[doc_id],
                score=scores[doc_id],
                snippet=_snippet(self._docs[doc_id], highlight_words, highlight),
                matched_terms=tuple(
                    term.word
                    for term, postings in zip(terms, term_postings, strict=False)
                    if any(_contains(ids, doc_id) for ids in postings)
                ),
            )
            for doc_id in top
        ]


def _query_terms(query: str) -> list[_QueryTerm]:
    """The distinct stems of a query, in order, at most MAX_QUERY_TERMS of them."""
    terms: list[_QueryTerm] = []
    seen: set[str] = set()
    for token in _tokens(_prepare(query)):
        if token.stem not in seen:
            seen.add(token.stem)
            terms.append(_QueryTerm(token.surface, token.stem))
    return terms[:MAX_QUERY_TERMS]


def _contains(ids: Sequence[int], doc_id: int) -> bool:
    # Posting lists are built in document id order, so they are sorted.
    i = bisect_left(ids, doc_id)
    return i < len(ids) and ids[i] == doc_id


def _expect_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _expect_list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


# --- Snippets ---------------------------------------------------------------------


def _snippet(doc: Document, words: Mapping[str, str], highlight: tuple[str, str]) -> str:
    """`words`: word form -> stem of the words to mark (the same text gave the index
    its words, so every token of `doc` that has a matched stem is in it)."""
    body = _plain_text(doc.body)
    if body:
        # A title- or tag-only match gets the body's opening: it says more than the
        # title, which the caller shows anyway.
        return _window(body, _matches(body, words), highlight)
    title = _SPACES.sub(" ", _prepare(doc.title)).strip()
    return _window(title, _matches(title, words), highlight)


def _matches(text: str, words: Mapping[str, str]) -> list[_Token]:
    """The tokens of `text` that are among `words` (stop words never are)."""
    found = []
    for m in _TOKEN.finditer(text):
        surface = _surface(m.group())
        stem = words.get(surface)
        if stem is not None:
            found.append(_Token(surface, stem, m.start(), m.end()))
    return found


def _best_group(matches: list[_Token]) -> tuple[int, int]:
    """Indices [i, j) of the run of matches that fits SNIPPET_WIDTH with the most
    distinct terms, then the most matches; the earliest such run wins ties."""
    best = (0, 0)
    best_rank = (-1, -1)
    counts: Counter[str] = Counter()
    j = 0
    for i, first in enumerate(matches):
        while j < len(matches) and matches[j].end - first.start <= SNIPPET_WIDTH:
            counts[matches[j].stem] += 1
            j += 1
        if j == i:  # a single match longer than the window still gets shown
            counts[matches[j].stem] += 1
            j += 1
        rank = (len(counts), j - i)
        if rank > best_rank:
            best, best_rank = (i, j), rank
        counts[first.stem] -= 1
        if not counts[first.stem]:
            del counts[first.stem]
    return best


def _window(text: str, matches: list[_Token], highlight: tuple[str, str]) -> str:
    if len(text) <= SNIPPET_WIDTH:
        start, end = 0, len(text)
    else:
        if matches:
            i, j = _best_group(matches)
            group_start, group_end = matches[i].start, matches[j - 1].end
            # Centre the run so both sides get some context.
            slack = max(0, SNIPPET_WIDTH - (group_end - group_start))
            start = max(0, group_start - slack // 2)
        else:
            group_start, group_end, start = 0, 0, 0
        end = min(len(text), start + SNIPPET_WIDTH)
        start = max(0, min(start, end - SNIPPET_WIDTH))
        end = max(end, group_end)  # only a single overlong matching word reaches past
        start, end = _word_bounds(text, start, end, group_start, group_end)
    open_mark, close_mark = highlight
    parts: list[str] = ["…"] if start > 0 else []
    pos = start
    # Every match inside the window is marked, not just the chosen run.
    for token in matches:
        if token.start < start or token.end > end:
            continue
        parts += [text[pos : token.start], open_mark, text[token.start : token.end], close_mark]
        pos = token.end
    parts.append(text[pos:end])
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


def _word_bounds(text: str, start: int, end: int, keep_from: int, keep_to: int) -> tuple[int, int]:
    """Move the cuts of text[start:end] between words (text has single spaces only)
    without losing text[keep_from:keep_to]. A word longer than _MAX_NUDGE (a URL, a
    hash) is cut inside rather than swallowed whole or dropped with its neighbours."""
    if start > 0 and text[start - 1] != " ":
        space = text.find(" ", start, keep_from)
        if space != -1:
            start = space + 1
        else:
            word_start = text.rfind(" ", 0, start) + 1
            if start - word_start <= _MAX_NUDGE:
                start = word_start
    if end < len(text) and text[end] != " ":
        space = text.rfind(" ", max(start, keep_to), end)
        if space > start:
            end = space
        else:
            word_end = text.find(" ", end)
            word_end = len(text) if word_end == -1 else word_end
            if word_end - end <= _MAX_NUDGE:
                end = word_end
    # Punctuation left dangling at a cut reads badly before the ellipsis.
    while end < len(text) and end > start and text[end - 1] in ",;:-–—(«\"'":
        end -= 1
    return start, end
