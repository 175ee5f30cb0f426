"""Recurring problems: tickets that look like one another (`similar`) and groups of
repeated failures worth a developer's time (`backlog`).

Both read the tickets at HEAD. `similar` ranks with the same BM25F machinery as KB
search, over ticket title, tags and description; analyses are cached by ticket blob
id in the BlobCache (kind "ticket-text"), so a desk of thousands of tickets is not
re-analysed on every call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import DataError
from supportctl.domain.ids import number_key
from supportctl.domain.text import md_code, md_text
from supportctl.domain.thread import duplicate_links, thread_root
from supportctl.domain.ticket import OPEN_STATUSES, Ticket
from supportctl.search.index import Document, SearchIndex, analyze, analyze_document
from supportctl.storage.catalog import HIGHLIGHT, analyzer_id, load_kb

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

TEXT_KIND = "ticket-text"
# A ticket of the same customer is more likely the same problem (same setup, same
# integration); an answer from the same KB article is strong evidence on its own.
SAME_CUSTOMER_BOOST = 1.25
SAME_KB_BONUS = 0.5
# Below this share of the ticket's own score, shared words are coincidence.
MIN_SIMILARITY = 0.1
RECENT_DAYS = 90


def _created(t: Ticket) -> datetime | None:
    try:
        return datetime.fromisoformat(str(t.created))
    except ValueError:
        return None


def _document(t: Ticket) -> Document:
    return Document(key=t.id, title=t.title or "", tags=t.tags, body=t.description or "")


def readable_tickets(repo: Desk) -> tuple[dict[str, Ticket], dict[str, str]]:
    """Readable tickets by id, and the blob id of each ticket's file."""
    views = repo.tickets()
    blobs = dict(repo.git.ls_tree("data/tickets"))
    tickets: dict[str, Ticket] = {}
    blob_of: dict[str, str] = {}
    for v in views:
        if v.invalid:  # a hand edit outside the lists of values: refused, as by every reader
            raise DataError(str(v.error))
        if v.error or not v.id:
            continue
        tickets[v.id] = v.ticket
        if v.path in blobs:
            blob_of[v.id] = blobs[v.path]
    return tickets, blob_of


def _ticket_index(
    repo: Desk, tickets: Mapping[str, Ticket], blob_of: Mapping[str, str]
) -> SearchIndex:
    cached = repo.cache.get_many(TEXT_KIND, (blob_of[t] for t in tickets if t in blob_of))
    fresh: dict[str, Any] = {}
    pairs = []
    current = analyzer_id()
    for tid, t in tickets.items():
        doc = _document(t)
        blob = blob_of.get(tid)
        analysis = cached.get(blob) if blob else None
        if not isinstance(analysis, Mapping) or analysis.get("analyzer") != current:
            analysis = analyze_document(doc)
            if blob:
                fresh[blob] = analysis
        pairs.append((doc, analysis))
    repo.cache.put_many(TEXT_KIND, fresh)
    return SearchIndex.from_analyzed(pairs)


# -- similar -------------------------------------------------------------------------
@dataclass
class Similar:
    id: str
    title: str
    status: str
    customer: str
    created: str
    kb: str | None
    score: float
    reasons: list[str]
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "customer": self.customer,
            "created": self.created,
            "kb": self.kb,
            "score": round(self.score, 4),
            "reasons": self.reasons,
            "snippet": self.snippet,
        }


def similar_tickets(
    repo: Desk, ticket_id: str, now: datetime, *, limit: int = 10, days: int = RECENT_DAYS
) -> list[Similar]:
    """Open and recent (created in the last `days`) tickets that look like `ticket_id`.

    Score: BM25F over title, tags and description, divided by the ticket's score
    against itself (so 1.0 is "the same words"), times SAME_CUSTOMER_BOOST for the same
    customer, plus SAME_KB_BONUS when both name the same KB article. Itself excluded.
    """
    tid = repo.ticket_id(ticket_id)
    target = repo.ticket(tid).ticket
    tickets, blob_of = readable_tickets(repo)
    tickets[tid] = target
    since = now - timedelta(days=days)

    def candidate(t: Ticket) -> bool:
        if t.status in OPEN_STATUSES:
            return True
        created = _created(t)
        return created is not None and since <= created <= now

    pool = {k: v for k, v in tickets.items() if k == tid or candidate(v)}
    index = _ticket_index(repo, pool, blob_of)
    query = f"{target.title or ''}\n{target.description or ''}"
    hits = index.search(query, limit=len(pool), highlight=HIGHLIGHT) if analyze(query) else []
    self_score = next((h.score for h in hits if h.key == tid), 0.0)
    text = {h.key: h for h in hits}
    kb = target.kb or None
    customer = target.customer or ""

    found: list[Similar] = []
    for other_id, t in pool.items():
        if other_id == tid:
            continue
        hit = text.get(other_id)
        similarity = hit.score / self_score if hit and self_score else 0.0
        same_kb = kb is not None and (t.kb or "") == kb
        if similarity < MIN_SIMILARITY and not same_kb:
            continue
        reasons = []
        score = similarity
        if hit and similarity >= MIN_SIMILARITY:
            reasons.append("same words: " + ", ".join(hit.matched_terms))
        if customer and (t.customer or "") == customer:
            score *= SAME_CUSTOMER_BOOST
            reasons.append("same customer")
        if same_kb:
            score += SAME_KB_BONUS
            reasons.append(f"same KB article {kb}")
        snippet = hit.snippet if hit else t.title or ""
        found.append(
            Similar(
                other_id,
                t.title or "",
                t.status or "",
                t.customer or "",
                t.created or "",
                t.kb or None,
                score,
                reasons,
                snippet,
            )
        )
    # Newer first among equals: the live problem matters more than last quarter's.
    found.sort(key=lambda s: (-s.score, -number_key(s.id)))
    return found[:limit]


# -- backlog -------------------------------------------------------------------------
KINDS = ("thread", "kb", "tag")


@dataclass
class Candidate:
    """A recurring problem that may deserve a developer task."""

    kind: str  # thread (linked duplicates) | kb (solved with one article) | tag
    key: str  # root ticket, article slug or tag
    title: str
    tickets: list[str]
    customers: list[str]
    open: int
    first: str
    last: str
    task: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.tickets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "title": self.title,
            "count": self.count,
            "tickets": self.tickets,
            "customers": self.customers,
            "open": self.open,
            "first": self.first,
            "last": self.last,
            "task": self.task,
        }


def _candidate(
    kind: str,
    key: str,
    title: str,
    members: Iterable[str],
    tickets: Mapping[str, Ticket],
    task: str,
) -> Candidate:
    ids = sorted(set(members), key=number_key)
    rows = [tickets[t] for t in ids if t in tickets]
    created = sorted(r.created for r in rows if r.created)
    return Candidate(
        kind=kind,
        key=key,
        title=title,
        tickets=ids,
        customers=sorted({r.customer for r in rows if r.customer}),
        open=sum(1 for r in rows if r.status in OPEN_STATUSES),
        first=created[0] if created else "",
        last=created[-1] if created else "",
        task=task,
    )


def backlog(repo: Desk, since: date | None = None, min_count: int = 2) -> list[Candidate]:
    """Recurring problems, most frequent first: duplicate threads (`links.duplicate_of`),
    tickets solved with the same KB article (ticket `kb` or the article's `tickets:`),
    and frequent tags. A tag group with exactly the tickets of a thread or an article
    group adds nothing and is left out. Only tickets created on or after `since` count."""
    all_tickets, _ = readable_tickets(repo)

    def in_period(t: Ticket) -> bool:
        if since is None:
            return True
        created = _created(t)
        return created is not None and created.date() >= since

    tickets = {k: v for k, v in all_tickets.items() if in_period(v)}
    kb = load_kb(repo)

    threads: dict[str, set[str]] = defaultdict(set)
    duplicate_of = duplicate_links(all_tickets)
    for tid in tickets:
        if tid in duplicate_of:
            root = thread_root(tid, duplicate_of)
            threads[root].update({tid, root})
    by_kb: dict[str, set[str]] = defaultdict(set)
    for tid, t in tickets.items():
        if t.kb:
            by_kb[t.kb].add(tid)
    for slug, article in kb.articles.items():
        by_kb[slug].update(t for t in article.tickets if t in tickets)
    by_tag: dict[str, set[str]] = defaultdict(set)
    for tid, t in tickets.items():
        for tag in t.tags:
            by_tag[tag].add(tid)

    found: list[Candidate] = []
    for root, members in threads.items():
        known_root = all_tickets.get(root)
        title = (known_root.title if known_root else None) or root
        found.append(
            _candidate(
                "thread",
                root,
                title,
                members,
                all_tickets,
                f"Fix the root cause of {root} ({len(members)} reports of one failure)",
            )
        )
    for slug, members in by_kb.items():
        known = kb.articles.get(slug)
        title = known.title if known else slug
        found.append(
            _candidate(
                "kb",
                slug,
                title,
                members,
                all_tickets,
                f"Remove the cause behind KB article {slug}, or automate its fix",
            )
        )
    group_sets = {frozenset(c.tickets) for c in found}
    for tag, members in by_tag.items():
        if frozenset(members) in group_sets:
            continue
        found.append(
            _candidate(
                "tag",
                tag,
                f"tag {tag}",
                members,
                all_tickets,
                f"Look for a common cause of the tickets tagged {tag}",
            )
        )
    found = [c for c in found if c.count >= min_count]
    found.sort(key=lambda c: (-c.count, KINDS.index(c.kind), -c.open, c.key))
    return found


_KIND_LABEL = {"thread": "Duplicate thread", "kb": "Solved with KB article", "tag": "Frequent tag"}


def backlog_markdown(candidates: list[Candidate], since: date | None = None) -> str:
    """The backlog as a Markdown list a lead can paste into a planning issue."""
    head = "# Backlog candidates" + (f" since {since.isoformat()}" if since else "")
    lines = [head, ""]
    if not candidates:
        lines.append("No recurring problems found.")
        return "\n".join(lines) + "\n"
    for n, c in enumerate(candidates, 1):
        customers = ", ".join(md_text(x) for x in c.customers) or "—"
        lines += [
            (
                f"{n}. **{md_text(c.title)}** — {_KIND_LABEL[c.kind]} {md_code(c.key)}, "
                f"{c.count} tickets, {c.open} open"
            ),
            f"   - Task: {md_text(c.task)}",
            f"   - Tickets: {md_text(', '.join(c.tickets))}",
            f"   - Customers: {customers}",
            f"   - Seen: {c.first[:10]} … {c.last[:10]}",
        ]
    return "\n".join(lines) + "\n"
