"""The monthly report as data: every figure, computed from the history at one commit.

`build_report` returns plain JSON-ready dicts and lists with stable names; the
Markdown, HTML and JSON renderers only present them. With a customer, nothing of
any other customer enters the model.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from supportctl import __version__
from supportctl.domain.ids import mention_pattern, number_key
from supportctl.domain.thread import duplicate_links, thread_root
from supportctl.domain.ticket import Ticket
from supportctl.sla.compliance import compliance
from supportctl.sla.engine import METRICS, TicketSla, replay
from supportctl.storage.queries import text_key

if TYPE_CHECKING:
    import re
    from collections.abc import Iterable, Mapping, Sequence

    from supportctl.config.settings import Config, Customer
    from supportctl.domain.events import Event
    from supportctl.domain.periods import Period
    from supportctl.sla.availability import ServiceAvailability
    from supportctl.storage.desk import Worklog

OPEN = ("new", "in_progress", "waiting")
SHARED_KB = "(a KB article shared with other customers)"
_NO_TICKET = Ticket()  # a ticket whose file is gone: no text to show


def _iso(t: datetime | None, tz: ZoneInfo) -> str | None:
    return t.astimezone(tz).isoformat() if t else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (an observed value, as auditors expect)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _status_at(events: Sequence[Event], t: datetime) -> dict[str, str | None] | None:
    state = None
    for e, attrs in replay(events):
        if e.at >= t:
            break
        state = attrs
    return state


def _in(t: datetime, period: Period) -> bool:
    return period.since <= t < period.until


def _is_reopen(e: Event) -> bool:
    """`reopen`, or a hand edit moving a resolved or closed ticket back to an open status."""
    old, new = e.changes.get("status", (None, None))
    return e.action == "reopen" or (e.manual and new in OPEN and old in ("resolved", "closed"))


SUMMARY = ("created", "resolved", "closed", "reopened", "backlog")


def summary(
    events: Mapping[str, Sequence[Event]],
    period: Period,
    counted: Iterable[Counter[str]] = (),
) -> dict[str, int]:
    """Tickets created, resolved, closed and reopened in `period`, and those open at its
    end, of the tickets of `events`, plus those `counted` already (`ticket_summary`)."""
    counts: Counter[str] = Counter()
    for evs in events.values():
        counts.update(ticket_summary(evs, period))
    for c in counted:
        counts.update(c)
    return {k: counts[k] for k in SUMMARY}


def ticket_summary(events: Sequence[Event], period: Period) -> Counter[str]:
    """One ticket's part of `summary`: its events of the period, and 1 `backlog` when it
    was open at the end of it. A ticket's part is the same whatever others are counted."""
    counts: Counter[str] = Counter()
    for e in events:
        if not _in(e.at, period):
            continue
        status = e.changes.get("status", (None, None))[1]
        if e.action == "new":
            counts["created"] += 1
        elif status == "resolved":
            counts["resolved"] += 1
        elif status == "closed":
            counts["closed"] += 1
        if _is_reopen(e):
            counts["reopened"] += 1
    state = _status_at(events, period.until)
    if state and state.get("status") in OPEN:
        counts["backlog"] += 1
    return counts


def _sla_section(slas: Iterable[TicketSla], period: Period, tz: ZoneInfo) -> dict[str, Any]:
    result = compliance(slas, period.since, period.until)
    times: dict[str, Any] = {}
    counted: dict[str, list[float]] = defaultdict(list)
    for t in slas:
        for metric, clock in t.clocks.items():
            if clock.stopped is not None and _in(clock.stopped, period):
                counted[metric].append(clock.elapsed_seconds)
    for metric in METRICS:
        vals = counted[metric]
        times[metric] = {
            "count": len(vals),
            "median_seconds": percentile(vals, 0.5),
            "p90_seconds": percentile(vals, 0.9),
        }
    return {
        "compliance": result.as_dict(),
        "times": times,
        "breaches": [
            {
                "ticket": b.ticket,
                "metric": b.metric,
                "customer": b.customer,
                "priority": b.priority,
                "target_seconds": b.target_seconds,
                "actual_seconds": round(b.elapsed_seconds, 3),
                "over_seconds": round(b.over_seconds, 3),
                "breached_at": _iso(b.breached_at, tz),
                "state": b.state,
            }
            for b in result.breaches
        ],
    }


def _breakdowns(events: dict[str, list[Event]], period: Period) -> dict[str, Any]:
    by: dict[str, Counter[str]] = {
        k: Counter() for k in ("type", "class", "priority", "channel", "line")
    }
    escalations: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    resolved = first_line = reopened = 0
    for evs in events.values():
        states = replay(evs)
        created_in = any(e.action == "new" and _in(e.at, period) for e, _ in states)
        end_state = _status_at(evs, period.until) or {}
        if created_in:
            for key, counter in by.items():
                counter[str(end_state.get(key) or "—")] += 1
        lines_seen: list[str] = []
        for e, attrs in states:
            if attrs.get("line") and attrs["line"] not in lines_seen:
                lines_seen.append(str(attrs["line"]))
            if not _in(e.at, period):
                continue
            # a move back down a line (`deescalate`) is not an escalation
            if "line" in e.changes and e.action not in ("new", "deescalate"):
                old, new = e.changes["line"]
                escalations[f"{old or '-'} → {new or '-'}"] += 1
                if e.details.get("reason"):
                    reasons[e.details["reason"]] += 1
            status = e.changes.get("status", (None, None))
            if status[1] == "resolved":
                resolved += 1
                if len(lines_seen) <= 1:
                    first_line += 1
            if _is_reopen(e):
                reopened += 1

    def ordered(c: Counter[str]) -> dict[str, int]:
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], text_key(kv[0]))))

    return {
        "by": {k: ordered(v) for k, v in by.items()},
        "first_line_resolution": {
            "resolved": resolved,
            "resolved_at_first_line": first_line,
            "percent": _pct(first_line, resolved),
        },
        "escalations": {
            "by_line": ordered(escalations),
            "by_reason": [{"reason": r, "count": n} for r, n in ordered(reasons).items()],
        },
        "reopen_rate": {
            "reopened": reopened,
            "resolved": resolved,
            "percent": _pct(reopened, resolved),
        },
    }


def _month_key(day: str) -> str:
    return day[:7]


class LogsByCustomer:
    """Worklog entries by their ticket's customer, each one's day read once for all the
    sections of a report (a day that is not a date fails where it is first needed)."""

    def __init__(self, logs: Sequence[Worklog], ticket_customer: Mapping[str, str]) -> None:
        self._logs: dict[str | None, list[Worklog]] = defaultdict(list)
        for w in logs:
            self._logs[ticket_customer.get(w.ticket)].append(w)
        self._dated: dict[str, list[tuple[Worklog, date]]] = {}

    def of(self, customer: str) -> list[tuple[Worklog, date]]:
        if customer not in self._dated:
            self._dated[customer] = [(w, date.fromisoformat(w.on)) for w in self._logs[customer]]
        return self._dated[customer]


def _package(
    customer: Customer,
    logs: Sequence[Worklog],
    ticket_customer: dict[str, str],
    period: Period,
    breaches: int,
    by_customer: LogsByCustomer | None = None,
) -> dict[str, Any]:
    """Hours used against the package, rollover balance, overage and service credits."""
    month = period.label if len(period.label) == 7 else None
    dated = (by_customer or LogsByCustomer(logs, ticket_customer)).of(customer.key)
    mine = [w for w, _ in dated]
    since, until = period.since.date(), period.until.date()
    in_period = [w for w, day in dated if since <= day < until]
    # Whole minutes throughout: every hour figure is printed as h:mm and every cost is
    # that h:mm times the rate, so the reader can recompute it.
    package = round(customer.package_hours * 60)
    used = sum(w.minutes for w in in_period)
    carried = 0
    if customer.rollover and month and customer.package_hours:
        per_month: Counter[str] = Counter()
        for w in mine:
            per_month[_month_key(w.on)] += w.minutes
        months = sorted(m for m in per_month if m < month)
        if months:
            y, m = int(months[0][:4]), int(months[0][5:])
            while f"{y:04d}-{m:02d}" < month:
                key = f"{y:04d}-{m:02d}"
                carried = max(0, carried + package - per_month[key])
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    available = package + carried
    overage = max(0, used - available)
    balance = max(0, available - used)
    credit = (
        min(customer.credit_per_breach * breaches, customer.credit_cap)
        if customer.credit_cap
        else (customer.credit_per_breach * breaches)
    )
    return {
        "customer": customer.key,
        "name": customer.name,
        "plan": customer.plan,
        "hours_used": round(used / 60, 2),
        "package_hours": customer.package_hours,
        "rollover": customer.rollover,
        "carried_in_hours": round(carried / 60, 2),
        "available_hours": round(available / 60, 2),
        "balance_hours": round(balance / 60, 2) if customer.rollover else 0.0,
        "burned_hours": 0.0 if customer.rollover else round(balance / 60, 2),
        "overage_hours": round(overage / 60, 2),
        "rate": customer.rate,
        "currency": customer.currency,
        "overage_cost": cost(overage, customer.rate),
        "breaches": breaches,
        "credit_percent": round(100 * credit, 2),
        "fee": customer.fee,
        "credit_amount": credit_amount(customer.fee, round(100 * credit, 2)),
        "used_minutes": used,
        "package_minutes": package,
        "carried_in_minutes": carried,
        "balance_minutes": balance if customer.rollover else 0,
        "burned_minutes": 0 if customer.rollover else balance,
        "overage_minutes": overage,
    }


def credit_amount(fee: float, percent: float) -> float:
    """The credit of `percent` (as printed, to two decimals) of `fee`, to the cent: a
    credit of 0.125% prints as 0.12%, and the reader recomputes the amount from that."""
    return round(fee * percent / 100, 2)


def cost(minutes: int, rate: float) -> float:
    """What `minutes` cost at `rate` per hour, to the cent: the h:mm printed times the rate."""
    return round(minutes * rate / 60, 2)


def _time_section(
    config: Config,
    logs: Sequence[Worklog],
    ticket_customer: dict[str, str],
    period: Period,
    customers: Sequence[str],
    breaches: Counter[str],
    agent_names: dict[str, str],
    by_customer: LogsByCustomer | None = None,
) -> dict[str, Any]:
    by_customer = by_customer or LogsByCustomer(logs, ticket_customer)
    since, until = period.since.date(), period.until.date()
    in_period = [
        w for c in dict.fromkeys(customers) for w, day in by_customer.of(c) if since <= day < until
    ]
    per_ticket: Counter[str] = Counter()
    per_agent: Counter[str] = Counter()
    work: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in in_period:
        per_ticket[w.ticket] += w.minutes
        per_agent[agent_names.get(w.author, w.author)] += w.minutes
        work[w.ticket].append({"on": w.on, "minutes": w.minutes, "note": w.note})
    return {
        "customers": [
            _package(config.customers[c], logs, ticket_customer, period, breaches[c], by_customer)
            for c in customers
            if c in config.customers
        ],
        "tickets": [
            {
                "ticket": t,
                "hours": round(m / 60, 2),
                "minutes": m,
                # what was done, in the order it was done (the worklog's own order on a day)
                "work": sorted(work[t], key=lambda e: str(e["on"])),
            }
            for t, m in sorted(per_ticket.items(), key=lambda kv: (-kv[1], number_key(kv[0])))
        ],
        "agents": [
            {"agent": a, "hours": round(m / 60, 2), "minutes": m}
            for a, m in sorted(per_agent.items(), key=lambda kv: (-kv[1], text_key(kv[0])))
        ],
        "total_hours": round(sum(w.minutes for w in in_period) / 60, 2),
        "total_minutes": sum(w.minutes for w in in_period),
    }


def _recurring(
    tickets: dict[str, Ticket],
    events: dict[str, list[Event]],
    period: Period,
    shared_kb: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Duplicate threads and shared KB articles and tags among the tickets active in the
    period. A thread's root may be an older ticket of the same section; a link to a ticket
    outside the section (another customer's) is not followed. An article that also serves
    another customer's tickets is not named (its slug may come from their ticket's title):
    its row has `slug` null and `shared` true."""
    pool = {
        tid: t
        for tid, t in tickets.items()
        if any(e.action == "new" and e.at < period.until for e in events.get(tid, ()))
    }
    relevant = {
        tid: t for tid, t in pool.items() if any(_in(e.at, period) for e in events.get(tid, ()))
    }
    threads: dict[str, list[str]] = defaultdict(list)
    duplicate_of = duplicate_links(pool)
    for tid in relevant:
        root = thread_root(tid, duplicate_of, within=pool)
        if root != tid:
            threads[root].append(tid)
    by_kb: dict[str, list[str]] = defaultdict(list)
    by_tag: dict[str, list[str]] = defaultdict(list)
    for tid, t in relevant.items():
        if t.kb:
            by_kb[t.kb].append(tid)
        for tag in t.tags:
            by_tag[tag].append(tid)

    def rows(groups: dict[str, list[str]], key: str, minimum: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {key: k, "count": len(v), "tickets": sorted(v, key=number_key)}
            for k, v in groups.items()
            if len(v) >= minimum
        ]
        out.sort(key=lambda r: (-len(r["tickets"]), text_key(str(r[key]))))
        return out

    thread_rows: list[dict[str, Any]] = []
    for root, dups in threads.items():
        members = sorted({root, *dups}, key=number_key)
        thread_rows.append(
            {
                "root": root,
                "title": pool.get(root, _NO_TICKET).title or "",
                "count": len(members),
                "tickets": members,
            }
        )
    thread_rows.sort(key=lambda r: (-len(r["tickets"]), number_key(str(r["root"]))))
    kb_rows = rows(by_kb, "slug", 2)
    for row in kb_rows:
        row["shared"] = row["slug"] in shared_kb
        if row["shared"]:
            row["slug"] = None
    return {"threads": thread_rows, "kb": kb_rows, "tags": rows(by_tag, "tag", 2)}


@dataclass(frozen=True)
class Privacy:
    """What a section may name: its own tickets, customers and KB articles. Anything else
    (another customer's ticket, key or an article made from their ticket) is masked."""

    tickets: frozenset[str]
    customers: frozenset[str]
    shared_kb: frozenset[str]
    ids: re.Pattern[str]

    def text(self, text: str) -> str:
        return self.ids.sub(
            lambda m: m[0] if m[0] in self.tickets else "(a ticket not in this report)", text
        )

    def customer(self, key: str | None) -> str | None:
        return key if key is None or key in self.customers else "(another customer)"

    def kb(self, slug: str) -> str | None:
        return None if slug in self.shared_kb else slug


def _event_detail(e: Event, privacy: Privacy | None = None) -> str:
    """What an audit row says of an event, with what the section may not name masked."""
    return detail_text(_event_parts(e, privacy))


def _event_parts(e: Event, privacy: Privacy | None = None) -> list[dict[str, Any]]:
    """The facts an audit row states of an event, language-neutral: the report prints them
    in its reader's words, `detail` in English."""

    def value(key: str, v: str | None) -> str | None:
        v = privacy.customer(v) if privacy is not None and key == "customer" else v
        return privacy.text(v) if privacy is not None and v else v

    parts: list[dict[str, Any]] = []
    if e.action == "rename" and e.details.get("from"):  # the same ticket's old ID: never hidden
        parts.append({"kind": "renamed", "from": e.details["from"]})
    if e.action != "new":
        parts.extend(
            {"kind": "change", "field": k, "old": value(k, old), "new": value(k, new)}
            for k, (old, new) in e.changes.items()
            if k != "title"
        )
    if "title" in e.changes and e.action != "new":
        parts.append({"kind": "title_changed"})
    for key in ("reason", "visibility", "link", "kb", "tags-added", "tags-removed"):
        if e.details.get(key):
            shown: str | None = e.details[key]
            if key == "kb" and privacy is not None:
                shown = privacy.kb(e.details[key]) or SHARED_KB
            parts.append({"kind": "detail", "field": key, "value": value(key, shown)})
    if e.details.get("minutes"):
        parts.append(
            {"kind": "worked", "minutes": e.details["minutes"], "on": e.details.get("worked-on")}
        )
    if e.details.get("overridden"):
        parts.append({"kind": "overridden"})
    if e.action == "new":
        fields = [
            {"field": k, "value": v[1]}
            for k, v in e.changes.items()
            if v[1] and k in ("priority", "type", "line")
        ]
        if fields:
            parts.append({"kind": "created", "fields": fields})
    return parts


def detail_text(parts: Sequence[dict[str, Any]]) -> str:
    """An audit row's facts in English, as the report's `detail` has always read."""
    texts = []
    for p in parts:
        kind = p["kind"]
        if kind == "renamed":
            texts.append(f"renamed from {p['from']}")
        elif kind == "change":
            texts.append(f"{p['field']} {p['old'] or '-'} → {p['new'] or '-'}")
        elif kind == "title_changed":
            texts.append("title changed")
        elif kind == "detail":
            texts.append(f"{p['field']}: {p['value']}")
        elif kind == "worked":
            texts.append(f"{p['minutes']} min on {p['on'] or ''}".strip())
        elif kind == "overridden":
            texts.append("overridden by a later action on another clone (kept in history)")
        elif kind == "created":
            texts.append(", ".join(f"{f['field']} {f['value']}" for f in p["fields"]))
    return "; ".join(t for t in texts if t)


def _audit(
    events: dict[str, list[Event]],
    period: Period,
    tz: ZoneInfo,
    tolerance: int,
    agent_names: dict[str, str],
    privacy: Privacy | None = None,
) -> dict[str, Any]:
    rows = []
    for evs in events.values():
        for e in evs:
            if not _in(e.at, period):
                continue
            back = (e.committed - e.at).total_seconds()
            rows.append(
                {
                    "at": _iso(e.at, tz),
                    "agent": agent_names.get(e.email.lower(), e.author),
                    "ticket": e.ticket,
                    "action": e.action,
                    "detail": _event_detail(e, privacy),
                    "parts": _event_parts(e, privacy),
                    "commit": e.sha,
                    "backdated_seconds": back if back > tolerance else 0,
                    "manual": e.manual,
                    "_sort": (e.at.timestamp(), e.committed.timestamp(), e.sha),
                }
            )
    rows.sort(key=lambda r: (r["_sort"], number_key(str(r["ticket"]))))
    for r in rows:
        del r["_sort"]
    flagged = [r for r in rows if r["backdated_seconds"] or r["manual"]]
    return {"events": rows, "flagged": flagged}


def _timeline(
    evs: Sequence[Event], period: Period, tz: ZoneInfo, lines: Sequence[str]
) -> list[dict[str, Any]]:
    """What the team did on a ticket in the period, in the words a customer reads: received,
    replied (public replies only), taken into work, escalated to line N, waiting for your
    answer, resolved, closed, reopened. Nothing else of an event (who, why, internal
    notes) is kept."""
    out: list[dict[str, Any]] = []
    for e in evs:
        if not _in(e.at, period):
            continue
        status = e.changes.get("status", (None, None))
        line = e.changes.get("line", (None, None))
        steps: list[dict[str, Any]] = []
        if e.action == "new":
            steps.append({"action": "received"})
        elif e.public_reply:
            steps.append({"action": "replied"})
        else:
            old, new = line
            if old in lines and new in lines and lines.index(new) > lines.index(old):
                steps.append({"action": "escalated", "line": lines.index(new) + 1})
            if _is_reopen(e):
                steps.append({"action": "reopened"})
            elif status[1] == "in_progress" and status[0] != "in_progress":
                steps.append({"action": "taken_into_work"})
            elif status[1] == "waiting" and status[0] != "waiting":
                steps.append({"action": "waiting_for_you"})
            elif status[1] in ("resolved", "closed") and status[0] != status[1]:
                steps.append({"action": status[1]})
        out.extend({"at": _iso(e.at, tz), **step} for step in steps)
    return out


def _requests(
    events: dict[str, list[Event]],
    slas: dict[str, TicketSla],
    tickets: dict[str, Ticket],
    period: Period,
    tz: ZoneInfo,
    lines: Sequence[str] = (),
) -> list[dict[str, Any]]:
    out = []
    for tid, evs in events.items():
        created = next((e.at for e in evs if e.action == "new"), None)
        if created is None or created >= period.until:
            continue
        state_start = _status_at(evs, period.since)
        active = (
            _in(created, period)
            or any(_in(e.at, period) for e in evs)
            or (state_start is not None and state_start.get("status") in OPEN)
        )
        if not active:
            continue
        end = _status_at(evs, period.until) or {}
        t = tickets.get(tid, _NO_TICKET)
        sla = slas.get(tid)
        clocks = sla.clocks if sla else {}
        out.append(
            {
                "id": tid,
                "title": t.title or "",
                "customer": end.get("customer"),
                "type": end.get("type"),
                "priority": end.get("priority"),
                "channel": end.get("channel"),
                "line": end.get("line"),
                "status": end.get("status"),
                "created": _iso(created, tz),
                **{
                    f"{m}_seconds": (clocks[m].elapsed_seconds if m in clocks else None)
                    for m in METRICS
                },
                **{f"{m}_state": (clocks[m].state if m in clocks else None) for m in METRICS},
                "timeline": _timeline(evs, period, tz, lines),
            }
        )
    out.sort(key=lambda r: (str(r["created"]), number_key(str(r["id"]))))
    return out


def _daily(events: dict[str, list[Event]], period: Period, tz: ZoneInfo) -> list[dict[str, Any]]:
    days: dict[str, Counter[str]] = {}
    d = period.since.astimezone(tz).date()
    end = period.until.astimezone(tz).date()
    while d < end:
        days[d.isoformat()] = Counter()
        d += timedelta(days=1)
    for evs in events.values():
        for e in evs:
            if not _in(e.at, period):
                continue
            key = e.at.astimezone(tz).date().isoformat()
            if e.action == "new":
                days.setdefault(key, Counter())["created"] += 1
            elif e.changes.get("status", (None, None))[1] == "resolved":
                days.setdefault(key, Counter())["resolved"] += 1
    return [
        {"day": k, "created": v["created"], "resolved": v["resolved"]}
        for k, v in sorted(days.items())
    ]


def _shared_articles(
    kb_articles: Mapping[str, Mapping[str, Sequence[str]]],
    tickets: Mapping[str, Ticket],
    ticket_customer: Mapping[str, str],
    customers: Sequence[str],
) -> frozenset[str]:
    """KB articles linked to a ticket (or naming a customer) outside `customers`: the
    article's tickets, its `customers:` and every ticket whose `kb` names it. A linked
    ticket of unknown customer, or an article that cannot be read, counts as shared."""
    linked: dict[str, set[str]] = defaultdict(set)
    named: dict[str, set[str]] = defaultdict(set)
    for slug, article in kb_articles.items():
        linked[slug].update(str(t) for t in article.get("tickets") or ())
        named[slug].update(str(c) for c in article.get("customers") or ())
    for tid, t in tickets.items():
        if t.kb:
            linked[t.kb].add(tid)
    return frozenset(
        slug
        for slug in set(linked) | set(named)
        if slug not in kb_articles  # unreadable or gone: whom it serves is unknown
        or any(ticket_customer.get(t) not in customers for t in linked[slug])
        or any(c not in customers for c in named[slug])
    )


def _customer_of(
    slas: Mapping[str, TicketSla], others: Mapping[str, str | None] | None
) -> dict[str, str]:
    """Each ticket's customer: as of the evaluation, or (left out) as of its file."""
    ticket_customer = {tid: str(c) for tid, c in (others or {}).items()}
    ticket_customer.update({tid: str(s.attrs.get("customer")) for tid, s in slas.items()})
    return ticket_customer


def build_section(
    config: Config,
    events: dict[str, list[Event]],
    slas: dict[str, TicketSla],
    tickets: dict[str, Ticket],
    logs: Sequence[Worklog],
    period: Period,
    customers: Sequence[str],
    tz: ZoneInfo,
    agent_names: dict[str, str],
    kb_articles: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    others: Mapping[str, str | None] | None = None,
    prior: Mapping[str, Counter[str]] | None = None,
    audit: bool = True,
    by_customer: LogsByCustomer | None = None,
) -> dict[str, Any]:
    """Every figure of the report for the tickets of `customers`, as they were in the
    period: a ticket belongs to the customer it had then, and nothing of another
    customer (a ticket, a customer key, a KB article also serving them) is named.
    `others`: the customer, as of the evaluation, of each ticket left out of `events`
    because it cannot change a figure of the period (its hours still count); `prior`: what
    those of them that count in the previous period's summary add to it (each one's
    `ticket_summary` of the previous period); `by_customer`:
    the worklogs, grouped once for all the sections of a report."""
    ticket_customer = _customer_of(slas, others)
    mine = {tid for tid, c in ticket_customer.items() if c in customers}
    evs = {tid: v for tid, v in events.items() if tid in mine}
    my_slas = {tid: s for tid, s in slas.items() if tid in mine}
    my_tickets = {tid: t for tid, t in tickets.items() if tid in mine}
    privacy = Privacy(
        frozenset(mine),
        frozenset(customers),
        frozenset()
        if kb_articles is None  # the desk's own report names every article
        else _shared_articles(kb_articles, tickets, ticket_customer, customers),
        mention_pattern(config.id_prefix),
    )

    current = summary(evs, period)
    before = [c for tid, c in (prior or {}).items() if tid in mine and tid not in evs]
    previous = summary(evs, period.previous(), before)
    sla = _sla_section(list(my_slas.values()), period, tz)
    breaches = Counter(str(b["customer"]) for b in sla["breaches"])
    section = {
        "summary": {
            **current,
            "previous": previous,
            "change": {k: current[k] - previous[k] for k in current},
        },
        "sla": sla,
        "breakdown": _breakdowns(evs, period),
        "time": _time_section(
            config, logs, ticket_customer, period, customers, breaches, agent_names, by_customer
        ),
        "recurring": _recurring(my_tickets, evs, period, privacy.shared_kb),
        "daily": _daily(evs, period, tz),
        "tickets": _requests(evs, my_slas, my_tickets, period, tz, config.lines),
    }
    if audit:  # the desk's report has one audit trail, not one per customer
        section["audit"] = _audit(evs, period, tz, config.backdate_tolerance, agent_names, privacy)
    return section


def build_report(
    config: Config,
    events: dict[str, list[Event]],
    slas: dict[str, TicketSla],
    tickets: dict[str, Ticket],
    logs: Sequence[Worklog],
    period: Period,
    customer: str | None,
    commit: str | None,
    commit_date: datetime | None,
    evaluated_at: datetime,
    kb_articles: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    others: Mapping[str, str | None] | None = None,
    prior: Mapping[str, Counter[str]] | None = None,
    availability: Mapping[str, Sequence[ServiceAvailability]] | None = None,
) -> dict[str, Any]:
    """The report model. `tickets` holds each ticket's file as it was at the end of the
    period; `kb_articles` the `tickets` and `customers` of every KB article; `others` the
    customer of each ticket left out of `events` and `prior` what those counting in the
    previous period's summary add to it (see `build_section`)."""
    tz = ZoneInfo(config.timezone)
    agent_names = {a.email.lower(): a.name for a in config.agents.values() if a.email}
    agent_names.update({a.handle: a.name for a in config.agents.values()})
    by_customer = LogsByCustomer(logs, _customer_of(slas, others))
    keys = (
        [customer]
        if customer
        else sorted(
            {str(s.attrs.get("customer")) for s in slas.values() if s.attrs.get("customer")}
            | {str(c) for c in (others or {}).values() if c}
            | set(config.customers),
            key=text_key,
        )
    )
    model: dict[str, Any] = {
        "report": {
            "period": {
                "label": period.label,
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
            },
            "customer": (
                {"key": customer, "name": config.customers[customer].name} if customer else None
            ),
            "commit": commit,
            "commit_date": _iso(commit_date, tz),
            "evaluated_at": _iso(evaluated_at, tz),
            "generator": f"supportctl {__version__}",
            "timezone": config.timezone,
        },
        **build_section(
            config,
            events,
            slas,
            tickets,
            logs,
            period,
            keys,
            tz,
            agent_names,
            kb_articles if customer else None,
            others,
            prior,
            by_customer=by_customer,
        ),
    }
    if not customer:
        model["customers"] = [
            {
                "key": k,
                "name": config.customers[k].name if k in config.customers else k,
                **build_section(
                    config,
                    events,
                    slas,
                    tickets,
                    logs,
                    period,
                    [k],
                    tz,
                    agent_names,
                    kb_articles,
                    others,
                    prior,
                    audit=False,
                    by_customer=by_customer,
                ),
            }
            for k in keys
        ]
    _add_availability(model, config, availability or {}, tz)
    return model


def _add_availability(
    model: dict[str, Any],
    config: Config,
    found: Mapping[str, Sequence[ServiceAvailability]],
    tz: ZoneInfo,
) -> None:
    """Each section of customers with availability targets gains `availability` (their
    services) and, in its time section, the credit their breaches earn, added into the
    capped `credit_percent`; `availability_credit_percent` is the part of it that came from
    availability (what the cap leaves after the ticket SLA credit). Sections of customers
    without targets stay as they were."""
    from supportctl.sla.availability import availability_credit

    report_customer = model["report"]["customer"]
    sections = [([report_customer["key"]] if report_customer else list(found), model)]
    sections += [([c["key"]], c) for c in model.get("customers", ())]
    for keys, section in sections:
        rows = [r for k in keys for r in found.get(k, ())]
        if not rows:
            continue
        section["availability"] = {"services": [r.as_dict(tz) for r in rows]}
        for package in section["time"]["customers"]:
            customer = config.customers[package["customer"]]
            mine = list(found.get(customer.key, ()))
            if not mine:
                continue
            extra = availability_credit(
                mine, customer.credit_per_availability_breach, customer.availability_steps
            )
            tickets = customer.credit_per_breach * package["breaches"]
            capped = min(tickets, customer.credit_cap) if customer.credit_cap else tickets
            total = (
                min(tickets + extra, customer.credit_cap)
                if customer.credit_cap
                else (tickets + extra)
            )
            package["availability_breaches"] = sum(1 for r in mine if not r.met)
            package["availability_credit_percent"] = round(100 * (total - capped), 2)
            package["credit_percent"] = round(100 * total, 2)
            package["credit_amount"] = credit_amount(customer.fee, package["credit_percent"])


def for_audience(model: dict[str, Any], audience: str, language: str) -> dict[str, Any]:
    """The report model for its reader, from the model every audience shares (the one that
    is computed and cached). `internal` keeps every figure; `customer` (a one-customer
    report) leaves out what is written for the team: the audit trail with its back-dating
    flags, hours per agent, the reasons of escalations, and every staff name or address
    (none of the remaining fields holds one)."""
    report = {**model["report"], "audience": audience, "language": language}
    view = {**model, "report": report}
    if audience == "internal":
        return view
    view.pop("audit", None)
    view.pop("customers", None)
    view["time"] = {k: v for k, v in model["time"].items() if k != "agents"}
    escalations = {k: v for k, v in model["breakdown"]["escalations"].items() if k != "by_reason"}
    view["breakdown"] = {**model["breakdown"], "escalations": escalations}
    return view
