"""Ranking quality of KB search on the demo knowledge base.

Run from the repository root:  .venv/bin/python bench/kb_eval.py [--kb data/kb] [--queries bench/kb_eval.yaml]

Loads every article in data/kb/ and the evaluation queries (a YAML list of
{query, expected: [slug, ...]}, expected[0] being the article that should rank
first), searches each query and prints:

  recall@3  share of the expected articles found in the top 3 (per query, then averaged;
            a query with more than 3 expected articles counts 3 as full recall)
  MRR       mean reciprocal rank of expected[0] (1.0: always first; 0 when not in the top 10)
  top-1     share of queries whose expected[0] ranks first

and one line per miss: an expected[0] that is not first, or another of the first three
expected articles that is not in the top 3. Nothing is asserted: a CI job
may compare the numbers with a threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The script is run by path, so the package next to bench/ is not importable yet.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supportctl.domain import yamlio  # noqa: E402
from supportctl.domain.articles import ArticleError, parse_article  # noqa: E402
from supportctl.search.index import SearchIndex  # noqa: E402
from supportctl.storage.catalog import document  # noqa: E402

DEPTH = 10


def load_queries(path: Path) -> list[tuple[str, list[str]]]:
    data = yamlio.plain(yamlio.load(path.read_bytes()))
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of {{query, expected}}")
    out = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not item.get("query") or not item.get("expected"):
            raise SystemExit(f"{path}: item {i} needs `query` and a non-empty `expected` list")
        expected = item["expected"] if isinstance(item["expected"], list) else [item["expected"]]
        out.append((str(item["query"]), [str(s) for s in expected]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "data" / "kb")
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "kb_eval.yaml")
    args = parser.parse_args()

    articles = []
    for path in sorted(args.kb.glob("*.md")):
        try:
            articles.append(parse_article(path.read_bytes(), f"data/kb/{path.name}"))
        except ArticleError as exc:
            print(f"{path}:{exc.line}: {exc.message} (skipped)", file=sys.stderr)
    index = SearchIndex(document(a) for a in articles)
    known = {a.slug for a in articles}
    queries = load_queries(args.queries)

    recall = mrr = top1 = 0.0
    misses = []
    for query, expected in queries:
        unknown = [s for s in expected if s not in known]
        if unknown:
            print(
                f"warning: {query!r} expects unknown article(s) {', '.join(unknown)}",
                file=sys.stderr,
            )
        ranked = [h.key for h in index.search(query, limit=DEPTH)]
        recall += len(set(expected) & set(ranked[:3])) / min(len(expected), 3)
        rank = ranked.index(expected[0]) + 1 if expected[0] in ranked else None
        mrr += 1 / rank if rank else 0.0
        top1 += rank == 1
        if rank != 1:
            misses.append((query, expected[0], rank, ranked[:3]))
        for slug in expected[1:3]:
            if slug not in ranked[:3]:
                where = ranked.index(slug) + 1 if slug in ranked else None
                misses.append((query, slug, where, ranked[:3]))

    n = len(queries)
    print(f"articles: {len(articles)}, queries: {n}")
    print(f"recall@3: {recall / n:.3f}")
    print(f"MRR:      {mrr / n:.3f}")
    print(f"top-1:    {top1 / n:.3f}")
    for query, want, rank, top in misses:
        where = f"at rank {rank}" if rank else f"not in the top {DEPTH}"
        print(f"miss: {query!r}: {want} {where}; top 3: {', '.join(top) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
