"""Monitoring alerts in: one open ticket per alert identity, one commit per change.

For each alert of a payload (`domain.alerts.Payload`), in this order:
1. Its digest (every field of the notification) is among the `alert.seen` of its ticket,
   or of the ticket before it, or it was quarantined before: `unchanged`, no commit. The
   same payload sent twice (a retry, or Alertmanager's `repeat_interval` re-sending an
   alert nothing changed in) changes nothing.
2. No route of `alerts.routes` places it (or its route names the customer by a label
   whose value is no customer): kept in the alert quarantine with the reason
   (`data/alerts/quarantine/`), never dropped.
3. The ticket of its identity (`data/alerts/identities/` names each identity's tickets):
   - firing, on an open ticket: an internal note with the count (`repeat`); a ticket
     whose last firing interval had ended gets a new one;
   - resolved, while its last interval is open: the interval ends, an internal note gives
     it, and with `auto_resolve` the ticket is resolved (`resolved`);
   - firing, on a resolved ticket, at most `alerts.reopen_minutes` after its last firing
     interval ended: reopened, with a new firing interval (`reopened`); later, or on a
     closed ticket: a new ticket linked `related` to it (`new`);
   - no ticket yet: a new one (`new`; a resolved alert never seen firing gets one too,
     with its interval already ended, so its downtime is not lost).

A ticket's SLA clocks start at its commit, like any ticket's: the alert's own start time
is recorded in its firing interval, not as `created`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.errors import DataError, GitError, NotFound, TemporaryFailure, UsageError
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import (
    MAX_TEXT,
    MAX_TITLE,
    OPEN_STATUSES,
    TICKET_KEYS,
    AlertState,
    Comment,
    FiringInterval,
    Links,
    Ticket,
    TicketFile,
    UnreadableTicket,
    check_text,
    read_ticket,
)
from supportctl.ops.commits import check_room, commit_action
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from supportctl.config.settings import AlertRoute
    from supportctl.domain.alerts import Alert, Payload
    from supportctl.storage.desk import Desk
    from supportctl.storage.transaction import Transaction

OUTCOMES = ("new", "repeat", "resolved", "reopened", "unchanged", "quarantined")
ALERTS_DIR = "data/alerts/"
IDENTITY_DIR = ALERTS_DIR + "identities/"
QUARANTINE_DIR = ALERTS_DIR + "quarantine/"
CHANNEL = "monitoring"
NEW_TYPE = "incident"
# The digests a ticket keeps in `alert.seen`: enough for any retry a sender makes, while
# a ticket that fires for weeks does not grow without end.
SEEN_LIMIT = 50
REOPEN_REASON = "the alert fired again"
QUARANTINE_DROP = "alert-quarantine-drop"
# A payload of many alerts (or a file of them) holds the desk's lock at most this long at
# a time, as the mail intake does; alerts in one hold share its author date.
BATCH_HOLD_SECONDS = 2.0


@dataclass(frozen=True)
class AlertResult:
    """What became of one alert. `commit` is None when nothing changed."""

    identity: str
    outcome: str  # one of OUTCOMES
    ticket: str | None
    commit: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "outcome": self.outcome,
            "ticket": self.ticket,
            "commit": self.commit,
            "reason": self.reason,
        }


def ingest(
    desk: Desk,
    payloads: Iterable[Payload],
    *,
    on_result: Callable[[AlertResult], None] | None = None,
    hold_seconds: float = BATCH_HOLD_SECONDS,
) -> list[AlertResult]:
    """Apply every alert of `payloads`, in order; one commit per change. `on_result` hears
    of each as it is done, so a run stopped by a TemporaryFailure has told what it did."""
    results: list[AlertResult] = []
    numbers = _Numbers()
    memo = _Files()
    alerts = ((p.format, a) for p in payloads for a in p.alerts)
    item = next(alerts, None)
    while item is not None:
        with temporary_failures(), transaction(desk, batch=True) as tx:
            until = time.monotonic() + hold_seconds
            while item is not None:
                result = _Intake(desk, tx, item[0], item[1], numbers, memo).apply()
                results.append(result)
                if on_result is not None:
                    on_result(result)
                item = next(alerts, None)
                if time.monotonic() > until:
                    break
    return results


@contextlib.contextmanager
def temporary_failures() -> Iterator[None]:
    """What is worth retrying as it is (the desk's lock held too long, a git or disk
    failure) becomes TemporaryFailure (exit 75; `alert serve` answers 503)."""
    try:
        yield
    except GitError as exc:  # a LockTimeout too
        raise TemporaryFailure(f"{exc.message} (the alert was not taken in)") from None
    except OSError as exc:
        raise TemporaryFailure(
            f"cannot write the desk: {exc.strerror or exc} (the alert was not taken in)"
        ) from None


def digest(source: str, alert: Alert) -> str:
    """The notification's fingerprint: every field of it, so a retry has the same one and
    a notification that says anything new (a value, an annotation) has another."""
    fields = {
        "source": source,
        "identity": alert.identity,
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": _iso(alert.starts_at),
        "ends_at": _iso(alert.ends_at),
        "title": alert.title,
        "description": alert.description,
        "url": alert.url,
        "values": dict(alert.values),
        "severity": alert.severity,
    }
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def identity_path(identity: str) -> str:
    key = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{IDENTITY_DIR}{key[:2]}/{key}.yaml"


def quarantine_path(notification: str) -> str:
    return f"{QUARANTINE_DIR}{notification[:2]}/{notification}.yaml"


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _printable(text: str) -> str:
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn")
    )


def _one_line(text: str) -> str:
    return " ".join(_printable(text).split())


def _dump(record: dict[str, Any]) -> bytes:
    return yamlio.dump(record)


def _read(desk: Desk, rev: str | None, path: str) -> dict[str, Any] | None:
    if rev is None:
        return None
    content = desk.git.file_at(rev, path)
    if content is None:
        return None
    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem:
        return {}
    return data if isinstance(data, dict) else {}


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return "?"
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


@dataclass
class _Numbers:
    """The last ticket number handed out and the commit that took it: while HEAD is still
    that commit, the next number follows without reading history again."""

    commit: str | None = None
    number: int = 0

    def next(self, desk: Desk, head: str | None) -> int:
        if head is None or head != self.commit:
            number = desk.max_ticket_number() + 1
        else:
            number = self.number + 1
        while (desk.root / ticket_path(f"{desk.config.id_prefix}-{number}")).exists():
            number += 1  # a file somebody put in the work tree without committing it
        return number


@dataclass
class _Files:
    """Ticket files this run committed, open for editing, with the bytes committed: a
    ticket that gets many notifications in a row is parsed (a round-trip YAML parse, the
    largest cost of a notification) once, not once per notification. Used only while
    HEAD still holds those very bytes."""

    files: dict[str, tuple[bytes, TicketFile]] = field(default_factory=dict)

    def get(self, tid: str, content: bytes | None) -> TicketFile | None:
        kept = self.files.get(tid)
        return kept[1] if kept is not None and kept[0] == content else None

    def take(self, tid: str, content: bytes | None) -> TicketFile | None:
        """Like `get`, but the file leaves the memo: it is about to be edited, and comes
        back (`keep`) only once the edit is committed."""
        kept = self.files.pop(tid, None)
        return kept[1] if kept is not None and kept[0] == content else None

    def keep(self, tid: str, content: bytes, file: TicketFile) -> None:
        self.files[tid] = (content, file)


class _Intake:
    """One alert applied under one transaction."""

    def __init__(
        self,
        desk: Desk,
        tx: Transaction,
        source: str,
        alert: Alert,
        numbers: _Numbers,
        memo: _Files | None = None,
    ) -> None:
        self.desk = desk
        self.tx = tx
        self.source = source
        self.alert = alert
        self.numbers = numbers
        self.memo = memo or _Files()
        self.settings = desk.config.alerts
        self.digest = digest(source, alert)
        self.index_path = identity_path(alert.identity)
        # files the commit also writes or removes (an accepted alert leaves the quarantine)
        self.extra: dict[str, bytes | None] = {}

    @property
    def now(self) -> datetime:
        return self.tx.author.when

    def result(
        self, outcome: str, ticket: str | None, commit: str | None, reason: str | None = None
    ) -> AlertResult:
        return AlertResult(self.alert.identity, outcome, ticket, commit, reason)

    # -- the decision ---------------------------------------------------------------------
    def apply(self) -> AlertResult:
        head = self.tx.head
        if head is not None and (held := _read(self.desk, head, quarantine_path(self.digest))):
            why = "dropped from the quarantine" if held.get("dropped") else "already in quarantine"
            return self.result("unchanged", None, None, why)
        tickets = self._tickets()
        for tid, ticket in tickets[-2:]:
            if self.digest in ticket.alert.seen:
                return self.result("unchanged", tid, None, "seen before")
        route = self.settings.route_for(self.alert.labels)
        if route is None:
            return self._quarantine("no route in alerts.routes matches its labels")
        customer = route.customer
        if customer is None:
            name = route.customer_label or "customer"
            customer = self.alert.labels.get(name, "")
            if customer not in self.desk.config.customers:
                why = f"label {name}={customer!r} names no customer" if customer else ""
                return self._quarantine(
                    f"route {route.number}: {why or f'the alert has no label {name}'}"
                )
        try:
            return self._place(route, customer, tickets[-1] if tickets else None)
        except (DataError, UsageError, NotFound) as exc:
            # a ticket file broken by hand, or one that is full: a person decides
            return self._quarantine(exc.message)

    def _tickets(self) -> list[tuple[str, Ticket]]:
        """The identity's last two tickets that still exist and can be read, oldest first
        (the digests of a notification applied to an older one are never looked for)."""
        head = self.tx.head
        record = _read(self.desk, head, self.index_path) or {}
        names = record.get("tickets")
        found: list[tuple[str, Ticket]] = []
        for tid in reversed(names if isinstance(names, list) else []):
            if not isinstance(tid, str) or head is None or len(found) == 2:
                continue
            content = self.desk.git.file_at(head, ticket_path(tid))
            if content is None:
                continue
            kept = self.memo.get(tid, content)
            try:
                found.append((tid, kept.ticket if kept is not None else read_ticket(content)))
            except UnreadableTicket:  # no place for the alert: a person repairs it
                continue
        return found[::-1]

    def _load(self, tid: str) -> tuple[str, TicketFile]:
        """The ticket file at HEAD, open for editing (see `_Files`)."""
        path = ticket_path(tid)
        head = self.tx.head
        kept = self.memo.take(tid, self.desk.git.file_at(head, path) if head else None)
        return (path, kept) if kept is not None else self.desk.load_ticket_file(tid)

    def _place(
        self, route: AlertRoute, customer: str, last: tuple[str, Ticket] | None
    ) -> AlertResult:
        alert = self.alert
        firing = alert.status == "firing"
        if last is None:
            return self._new(route, customer, None)
        tid, ticket = last
        state = ticket.alert
        if ticket.status in OPEN_STATUSES:
            if firing and not state.firing_now and self._same_interval(state):
                return self.result(
                    "unchanged", tid, None, "a late notification of an ended interval"
                )
            if firing:
                return self._repeat(tid, route)
            if state.firing_now:
                return self._resolved(tid, route)
            return self.result("unchanged", tid, None, "resolved already")
        # resolved or closed
        if not firing:
            if state.firing_now:
                return self._resolved(tid, route)
            return self.result("unchanged", tid, None, "resolved already")
        if self._same_interval(state):
            return self.result("unchanged", tid, None, "a late notification of an ended interval")
        if ticket.status == "resolved" and self._soon_again(tid, state):
            return self._reopen(tid)
        return self._new(route, customer, tid)

    def _attach(self, tid: str, route: AlertRoute) -> AlertResult:
        """The alert onto ticket `tid`, which follows no alert yet: its firing interval,
        its service when the ticket names none, and a note; the ticket joins the
        identity's tickets, so the alert's later notifications go to it."""
        alert = self.alert
        path, data = self._load(tid)
        ticket = data.ticket
        start = _iso(alert.starts_at) or self.now.isoformat()
        interval = FiringInterval(start=start)
        if alert.status != "firing":
            interval = FiringInterval(start=start, end=_iso(alert.ends_at or self.now))
        state = self._state(
            AlertState(identity=alert.identity, source=self.source, firing=(interval,))
        )
        service = ticket.service or route.service or alert.labels.get(route.service_label)
        text = f"Alert {alert.identity} taken in from the quarantine: {self._title()}"
        after = replace(
            ticket,
            alert=state,
            service=service or None,
            comments=(*ticket.comments, self._note(text)),
        )
        data.update(after)
        record = _read(self.desk, self.tx.head, self.index_path) or {}
        known = record.get("tickets")
        tickets = [t for t in known if isinstance(t, str)] if isinstance(known, list) else []
        index = {"identity": alert.identity, "source": self.source, "tickets": [*tickets, tid]}
        self.extra[self.index_path] = _dump(index)
        sha = self._commit(
            tid,
            "comment",
            path,
            data,
            ticket,
            "internal note: alert taken in from the quarantine",
            [("Visibility", "internal")],
        )
        return self.result("new", tid, sha)

    def _same_interval(self, state: AlertState) -> bool:
        start = self.alert.starts_at
        if start is None or not state.firing:
            return False
        return _parse_iso(state.firing[-1].start) == start

    def _soon_again(self, tid: str, state: AlertState) -> bool:
        """Firing again at most `alerts.reopen_minutes` after its last firing interval
        ended: the alert's new start against that end, both the sender's own times (so a
        sender that delivers late, or a payload replayed, decides as it would have on
        time); the commit's time for a source that sends no times. A ticket resolved by
        hand whose interval never ended counts from its resolve in history."""
        limit = timedelta(minutes=self.settings.reopen_minutes)
        end = _parse_iso(state.firing[-1].end) if state.firing else None
        if end is not None:
            return (self.alert.starts_at or self.now) - end <= limit
        head = self.tx.head
        if head is None:
            return False
        for c in self.desk.git.log(head, [ticket_path(tid)], newest_first=True):
            trailers = {k.lower(): v for k, v in c.trailers}
            if trailers.get("to-status") == "resolved" or trailers.get("action") == "resolve":
                return self.now - c.author_time <= limit
        return False

    # -- the changes ----------------------------------------------------------------------
    def _quarantine(self, reason: str) -> AlertResult:
        alert = self.alert
        record: dict[str, Any] = {
            "identity": alert.identity,
            "digest": self.digest,
            "reason": reason,
            "received": self.now.isoformat(),
            "source": self.source,
            "status": alert.status,
            "title": _one_line(alert.title),
            "severity": alert.severity,
            "starts_at": _iso(alert.starts_at),
            "ends_at": _iso(alert.ends_at),
            "url": alert.url,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "values": dict(alert.values),
            "description": _printable(alert.description)[: MAX_TEXT // 2],
        }
        change = Change(
            f"quarantine alert: {short(reason, 60)}",
            [("Action", "alert-quarantine"), ("Alert", alert.identity), ("Reason", reason)],
            {quarantine_path(self.digest): _dump(record)},
        )
        sha = self.tx.commit(change)
        return self.result("quarantined", None, sha, reason)

    def _state(self, state: AlertState) -> AlertState:
        """`state` having seen this notification. A notification naming no severity (a
        recovery of some sources) keeps the one it fired with: availability counts the
        ticket's intervals by it."""
        seen = (*state.seen, self.digest)[-SEEN_LIMIT:]
        return replace(
            state,
            labels=dict(self.alert.labels),
            severity=self.alert.severity or state.severity,
            count=state.count + 1,
            seen=seen,
        )

    def _note(self, text: str) -> Comment:
        return Comment(
            at=self.now.isoformat(),
            author=self.source,
            visibility="internal",
            text=check_text(text, what="note"),
        )

    def _summary(self) -> str:
        """What a note says of the notification: its values or its description."""
        alert = self.alert
        if alert.values:
            return ", ".join(f"{k}={v}" for k, v in alert.values.items())[:500]
        return _one_line(alert.description)[:500]

    def _commit(
        self,
        tid: str,
        action: str,
        path: str,
        data: TicketFile,
        before: Ticket,
        subject: str,
        trailers: list[tuple[str, str]],
    ) -> str:
        content = data.dump()
        check_room(tid, path, action, content)
        change = Change(
            subject,
            [*trailers, ("Alert", self.alert.identity), ("Alert-Status", self.alert.status)],
            {path: content, **self.extra},
        )
        sha = commit_action(self.tx, tid, action, change, data.ticket, before).commit
        self.memo.keep(tid, content, data)
        return sha

    def _repeat(self, tid: str, route: AlertRoute) -> AlertResult:
        path, data = self._load(tid)
        ticket = data.ticket
        state = self._state(ticket.alert)
        what = "still firing"
        if not ticket.alert.firing_now:
            start = _iso(self.alert.starts_at) or self.now.isoformat()
            state = replace(state, firing=(*state.firing, FiringInterval(start=start)))
            what = f"firing again since {start}"
        summary = self._summary()
        text = f"Alert {what} (notification {state.count})" + (f": {summary}" if summary else "")
        subject = f"internal note: alert {what} ({state.count})"
        priority = ticket.priority
        was, now = ticket.alert.severity, self.alert.severity
        # only a change of severity moves the priority: one a person set by hand stays
        # while the alert keeps its severity
        if was and now and was != now:
            text += f"\nSeverity {was} → {now}"
            wanted = route.priority_for(now)
            if wanted != ticket.priority:
                priority = wanted
                text += f"; priority {ticket.priority or '-'} → {wanted}"
                subject += f", priority {ticket.priority or '-'} → {wanted}"
        after = replace(
            ticket, alert=state, priority=priority, comments=(*ticket.comments, self._note(text))
        )
        data.update(after)
        sha = self._commit(
            tid, "comment", path, data, ticket, subject, [("Visibility", "internal")]
        )
        return self.result("repeat", tid, sha)

    def _ended(self, state: AlertState) -> tuple[AlertState, str]:
        """`state` with its open interval ended, and the note that says so."""
        end = self.alert.ends_at or self.now
        last = state.firing[-1]
        start = _parse_iso(last.start)
        firing = (*state.firing[:-1], FiringInterval(start=last.start, end=_iso(end)))
        text = f"Alert resolved: firing from {last.start} to {_iso(end)} ({_duration(start, end)})"
        return replace(state, firing=firing), text

    def _resolved(self, tid: str, route: AlertRoute) -> AlertResult:
        path, data = self._load(tid)
        ticket = data.ticket
        state, text = self._ended(self._state(ticket.alert))
        after = replace(ticket, alert=state, comments=(*ticket.comments, self._note(text)))
        auto = self.settings.auto_resolve if route.auto_resolve is None else route.auto_resolve
        action, subject = "comment", "internal note: alert resolved"
        trailers = [("Visibility", "internal")]
        if auto and ticket.status in OPEN_STATUSES:
            after = replace(after, status="resolved", resolution=text)
            action, subject, trailers = "resolve", "resolve: the alert resolved", []
        data.update(after)
        sha = self._commit(tid, action, path, data, ticket, subject, trailers)
        return self.result("resolved", tid, sha)

    def _reopen(self, tid: str) -> AlertResult:
        path, data = self._load(tid)
        ticket = data.ticket
        start = _iso(self.alert.starts_at) or self.now.isoformat()
        state = self._state(ticket.alert)
        state = replace(state, firing=(*state.firing, FiringInterval(start=start)))
        note = self._note(f"Reopen: {REOPEN_REASON} (since {start})")
        after = replace(
            ticket,
            status="in_progress",
            alert=state,
            comments=(*ticket.comments, note),
        )
        data.update(after)
        sha = self._commit(
            tid,
            "reopen",
            path,
            data,
            ticket,
            f"reopen ({REOPEN_REASON})",
            [("Reason", REOPEN_REASON)],
        )
        return self.result("reopened", tid, sha)

    def _new(self, route: AlertRoute, customer: str, related: str | None) -> AlertResult:
        desk, tx, alert = self.desk, self.tx, self.alert
        config = desk.config
        config.customer(customer)
        number = self.numbers.next(desk, tx.head)
        tid = f"{config.id_prefix}-{number}"
        path = ticket_path(tid)
        start = _iso(alert.starts_at) or self.now.isoformat()
        interval = FiringInterval(start=start)
        if alert.status != "firing":
            interval = FiringInterval(start=start, end=_iso(alert.ends_at or self.now))
        state = self._state(
            AlertState(identity=alert.identity, source=self.source, firing=(interval,))
        )
        service = route.service or alert.labels.get(route.service_label) or None
        ticket = Ticket(
            id=tid,
            title=self._title(),
            customer=customer,
            type=NEW_TYPE,
            priority=route.priority_for(alert.severity),
            channel=CHANNEL,
            reporter=self.source,
            status="new",
            line=config.lines[0],
            assignee=None,
            tags=(),
            created=self.now.isoformat(),
            description=self._description(),
            links=Links(related=(related,)) if related else Links(),
            service=service,
            alert=state,
        )
        keys = tuple(
            k
            for k in TICKET_KEYS
            if k in _NEW_KEYS or (k == "links" and related) or (k == "service" and service)
        )
        file = TicketFile.new(replace(ticket, keys=keys))
        record = _read(desk, tx.head, self.index_path) or {}
        known = record.get("tickets")
        tickets = [t for t in known if isinstance(t, str)] if isinstance(known, list) else []
        index = {"identity": alert.identity, "source": self.source, "tickets": [*tickets, tid]}
        trailers = [("Channel", CHANNEL), ("Alert", alert.identity)]
        trailers.append(("Alert-Status", alert.status))
        if related:
            trailers.append(("Link", f"related {related}"))
        after = f" (after {related})" if related else ""
        content = file.dump()
        change = Change(
            f"new {NEW_TYPE} for {customer} by alert{after}: {short(ticket.title or '')}",
            trailers,
            {path: content, self.index_path: _dump(index), **self.extra},
        )
        result = commit_action(tx, tid, "new", change, file.ticket, None)
        self.memo.keep(tid, content, file)
        self.numbers.commit, self.numbers.number = result.commit, number
        return self.result("new", tid, result.commit)

    def _title(self) -> str:
        alert = self.alert
        text = _one_line(alert.title) or _one_line(alert.labels.get("alertname", ""))
        text = text or f"{self.source} alert {alert.identity}"
        return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"

    def _description(self) -> str:
        alert = self.alert
        parts = [_printable(alert.description).strip()] if alert.description.strip() else []
        facts = [f"Source: {self.source}"]
        if alert.severity:
            facts.append(f"Severity: {alert.severity}")
        if alert.starts_at is not None:
            facts.append(f"Firing since: {_iso(alert.starts_at)}")
        if alert.status != "firing":
            facts.append(f"Resolved at: {_iso(alert.ends_at or self.now)}")
        if alert.url:
            facts.append(f"URL: {_one_line(alert.url)}")
        facts.append(f"Alert identity: {alert.identity}")
        parts.append("\n".join(facts))
        for name, mapping in (
            ("Labels", alert.labels),
            ("Annotations", alert.annotations),
            ("Values", alert.values),
        ):
            if mapping:
                rows = "\n".join(f"- {k}: {_one_line(str(v))}" for k, v in mapping.items())
                parts.append(f"{name}:\n{rows}")
        text = "\n\n".join(parts)
        if len(text) > MAX_TEXT - 200:
            text = text[: MAX_TEXT - 200].rstrip() + "\n\n[…]"
        return check_text(text, what="description")


# A new alert ticket names what `supportctl new` names, and its alert.
_NEW_KEYS = frozenset(
    (
        "id",
        "title",
        "customer",
        "type",
        "priority",
        "channel",
        "reporter",
        "status",
        "line",
        "assignee",
        "tags",
        "created",
        "description",
        "alert",
    )
)


@dataclass(frozen=True)
class QuarantinedAlert:
    """One alert kept in the quarantine. `id` is its notification digest."""

    id: str
    identity: str
    reason: str
    received: str
    source: str
    status: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identity": self.identity,
            "reason": self.reason,
            "received": self.received,
            "source": self.source,
            "status": self.status,
            "title": self.title,
        }


def list_quarantine(desk: Desk, rev: str = "HEAD") -> list[QuarantinedAlert]:
    """Every quarantined alert at `rev`, oldest first."""
    found = []
    if desk.git.head() is None:
        return []
    for path, _ in desk.git.ls_tree(QUARANTINE_DIR, rev):
        if not path.endswith(".yaml"):
            continue
        record = _read(desk, rev, path) or {}
        if record.get("dropped"):
            continue  # a dropped alert's tombstone: the same notification stays unchanged

        def text(key: str, record: dict[str, Any] = record) -> str:
            value = record.get(key)
            return "" if value is None else str(value)

        found.append(
            QuarantinedAlert(
                id=path.rsplit("/", 1)[1].removesuffix(".yaml"),
                identity=text("identity"),
                reason=text("reason"),
                received=text("received"),
                source=text("source"),
                status=text("status"),
                title=text("title"),
            )
        )
    return sorted(found, key=lambda q: (q.received, q.id))


def find_quarantined(desk: Desk, ref: str) -> QuarantinedAlert:
    """The quarantined alert whose id (its notification digest) starts with `ref`."""
    key = ref.strip().lower()
    every = list_quarantine(desk)
    matches = [q for q in every if q.id.startswith(key)] if len(key) >= 4 else []
    if not matches:
        raise NotFound(f"no quarantined alert {ref!r} (see `supportctl alert quarantine`)")
    if len(matches) > 1:
        raise UsageError(f"{ref!r} names {len(matches)} quarantined alerts; give more of its id")
    return matches[0]


def drop_quarantined(desk: Desk, ref: str) -> str:
    """Remove a quarantined alert from the list (history keeps it); the commit. Its record
    stays as a tombstone (`dropped`, `by`), so the same notification sent again changes
    nothing rather than landing in the quarantine again."""
    held = find_quarantined(desk, ref)
    path = quarantine_path(held.id)
    with transaction(desk) as tx:
        record = _read(desk, tx.head, path) or {}
        record["dropped"] = tx.author.when.isoformat()
        record["by"] = tx.author.email or tx.author.name
        change = Change(
            f"drop quarantined alert: {short(held.title or held.identity, 60)}",
            [("Action", QUARANTINE_DROP), ("Alert", held.identity)],
            {path: _dump(record)},
        )
        return tx.commit(change)


def _quarantined_alert(record: dict[str, Any]) -> Alert:
    """The alert a quarantine record holds."""
    from supportctl.domain.alerts import Alert

    def text(key: str) -> str:
        value = record.get(key)
        return "" if value is None else str(value)

    def mapping(key: str) -> dict[str, str]:
        value = record.get(key)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    return Alert(
        identity=text("identity"),
        status=text("status") or "firing",
        labels=mapping("labels"),
        annotations=mapping("annotations"),
        starts_at=_parse_iso(text("starts_at")),
        ends_at=_parse_iso(text("ends_at")),
        title=text("title"),
        description=text("description"),
        url=text("url") or None,
        values=mapping("values"),
        severity=text("severity") or None,
    )


def accept_quarantined(
    desk: Desk,
    ref: str,
    *,
    ticket: str | None = None,
    new: bool = False,
    customer: str | None = None,
) -> AlertResult:
    """Take a quarantined alert in: onto `ticket` (one that follows no alert, or this
    alert), or (`new`) as a new incident of `customer` (default: the customer the routes
    name now). One commit, which also removes it from the quarantine."""
    from supportctl.config.settings import AlertRoute

    if (ticket is None) == (not new):
        raise UsageError("accept needs --ticket ID or --new (one of the two)")
    if customer and not new:
        raise UsageError("--customer goes with --new")
    tid = desk.ticket_id(ticket) if ticket else None
    if customer:
        desk.config.customer(customer)
    held = find_quarantined(desk, ref)
    path = quarantine_path(held.id)
    with transaction(desk) as tx:
        record = _read(desk, tx.head, path) or {}
        alert = _quarantined_alert(record)
        intake = _Intake(desk, tx, str(record.get("source") or "generic"), alert, _Numbers())
        intake.digest = held.id  # the same notification sent again is seen before
        intake.extra[path] = None
        route = desk.config.alerts.route_for(alert.labels)
        if tid is None:
            customer = customer or (route.customer if route is not None else None)
            if customer is None and route is not None and route.customer_label:
                found = alert.labels.get(route.customer_label, "")
                customer = found if found in desk.config.customers else None
            if customer is None:
                raise UsageError(
                    f"no route names the customer of alert {held.id[:12]}: give --customer"
                )
            return intake._new(route or AlertRoute(number=0, customer=customer), customer, None)
        _, data = desk.load_ticket_file(tid)  # NotFound for an unknown ticket
        now = data.ticket
        if now.alert.identity not in (None, alert.identity):
            raise UsageError(f"{tid} follows another alert ({now.alert.identity})")
        route = route or AlertRoute(number=0, customer=now.customer)
        if now.alert.identity is None:
            return intake._attach(tid, route)
        result = intake._place(route, str(now.customer), (tid, now))
        if result.commit is not None:
            return result
        # nothing new for the ticket: the alert still leaves the quarantine
        change = Change(
            f"accept quarantined alert onto {tid}: {result.reason or 'nothing new'}",
            [("Action", "alert-quarantine-accept"), ("Alert", alert.identity)],
            {path: None},
        )
        return replace(result, commit=tx.commit(change))
