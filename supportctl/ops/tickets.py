"""Ticket lifecycle: every function is one user action and makes exactly one commit.

Each action loads the ticket file at HEAD in round-trip mode, changes only what it
must, and commits that file (plus a worklog file for `log`) with a readable subject
and git trailers carrying the machine-readable facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from supportctl.domain import yamlio
from supportctl.domain.durations import format_duration
from supportctl.domain.errors import (
    DataError,
    GitError,
    IllegalTransition,
    NotFound,
    SupportctlError,
    UsageError,
)
from supportctl.domain.ids import ticket_path
from supportctl.domain.text import is_slug
from supportctl.domain.ticket import (
    CHANNELS,
    EDITABLE_FIELDS,
    LINK_KINDS,
    PRIORITIES,
    TICKET_KEYS,
    TYPES,
    WORKLOG_KEYS,
    Comment,
    Links,
    Ticket,
    TicketFile,
    WorklogEntry,
    check_choice,
    check_handle,
    check_move,
    check_tag,
    check_text,
    clean_line,
    lower_line,
    next_line,
    worklog_path,
)
from supportctl.ops.articles import read_article, set_tickets

# the result of every action, and the room kept for the last moves, as they were named here
from supportctl.ops.commits import CLOSING_NODE_RESERVE as CLOSING_NODE_RESERVE
from supportctl.ops.commits import CLOSING_RESERVE as CLOSING_RESERVE
from supportctl.ops.commits import (
    CUSTOMER_MESSAGE,
    EFFECT_NEW,
    EFFECT_REOPEN,
    REOPEN_REASON,
    customer_message_effect,
    with_customer_message,
)
from supportctl.ops.commits import ActionResult as ActionResult
from supportctl.ops.commits import check_room as _check_room
from supportctl.ops.commits import commit as _commit
from supportctl.ops.commits import snapshot as _snapshot
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Identity


def author_handle(repo: Desk, ident: Identity) -> str:
    agent = repo.config.agent_for_email(ident.email)
    return agent.handle if agent else (ident.name or ident.email)


def _not_before_creation(ticket_id: str, ticket: Ticket, at: datetime | None) -> None:
    created = ticket.created
    if at is None or not created:
        return
    try:
        when = datetime.fromisoformat(str(created))
    except ValueError:
        return
    if when.tzinfo is not None and at < when:
        raise IllegalTransition(
            f"{ticket_id}: --at {at.isoformat()} is before the ticket was created ({created})"
        )


def ticket_action(
    repo: Desk,
    raw_id: str,
    action: str,
    at: datetime | None,
    fn: Callable[[TicketFile, Identity], Change],
) -> ActionResult:
    """One action on one ticket, one commit: `fn` changes the ticket's loaded file (and
    may add other files to the commit) under the lock, and says what it did."""
    ticket_id = repo.ticket_id(raw_id)
    with transaction(repo, at=at) as tx:
        ident = tx.author
        path, data = repo.load_ticket_file(ticket_id)
        _not_before_creation(ticket_id, data.ticket, at)
        before = _snapshot(data.ticket)
        change = fn(data, ident)
        content = data.dump()
        _check_room(ticket_id, path, action, content)
        change.files = {path: content, **change.files}
        return _commit(tx, ticket_id, action, change, data.ticket, before)


# -- new ------------------------------------------------------------------------------
def new_ticket(
    repo: Desk,
    *,
    title: str,
    customer: str,
    type: str,
    priority: str,
    cls: str | None = None,
    channel: str = "email",
    reporter: str | None = None,
    description: str = "",
    tags: Sequence[str] = (),
    assignee: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    title = clean_line(title, what="title", one_line=True)
    repo.config.customer(customer)
    type_ = check_choice(type, TYPES, "type")
    priority = check_choice(priority, PRIORITIES, "priority")
    channel = check_choice(channel, CHANNELS, "channel")
    cls = clean_line(cls, what="class", limit=60) if cls else None
    reporter = clean_line(reporter, what="reporter") if reporter else None
    description = check_text(description, what="description")
    tag_list = sorted({check_tag(t) for t in tags})
    assignee = check_handle(assignee) if assignee else None
    _check_agent(repo, assignee)
    with transaction(repo, at=at) as tx:
        ident = tx.author
        number = repo.max_ticket_number() + 1
        ticket_id = f"{repo.config.id_prefix}-{number}"
        # A new file names every field up to `description`, null or empty where unset, but
        # an unset class or reporter (nor the mail fields: a ticket that came by mail names
        # them); no empty `comments: []`: the first comment then adds lines instead of
        # rewriting one.
        keys = tuple(
            k
            for k in TICKET_KEYS[: TICKET_KEYS.index("description") + 1]
            if (k != "class" or cls)
            and (k != "reporter" or reporter)
            and k not in ("requester", "cc")
        )
        file = TicketFile.new(
            Ticket(
                id=ticket_id,
                title=title,
                customer=customer,
                type=type_,
                priority=priority,
                class_=cls,
                channel=channel,
                reporter=reporter,
                status="new",
                line=repo.config.lines[0],
                assignee=assignee,
                tags=tuple(tag_list),
                created=ident.when.isoformat(),
                description=description,
                keys=keys,
            )
        )
        path = ticket_path(ticket_id)
        if (repo.root / path).exists():
            raise GitError(f"{path} exists but is not committed; commit or remove it first")
        change = Change(
            f"new {type_.replace('_', ' ')} for {customer} ({priority}): {short(title)}",
            [("Channel", channel)],
            {path: file.dump()},
        )
        return _commit(tx, ticket_id, "new", change, file.ticket, None)


# -- lifecycle moves ------------------------------------------------------------------
def _move(
    repo: Desk,
    raw_id: str,
    action: str,
    reason_key: str | None,
    reason: str | None,
    at: datetime | None,
) -> ActionResult:
    if reason_key and (not reason or not reason.strip()):
        raise UsageError(f"{action} needs --{reason_key.lower()}")
    text = check_text(reason or "", what=(reason_key or "reason").lower())

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        new_status = check_move(action, ticket.id, str(ticket.status))
        old_status = ticket.status
        ticket = replace(ticket, status=new_status)
        trailers = [(reason_key, text)] if reason_key and text else []
        if reason_key:
            ticket = _with_comment(
                ticket, ident, repo, f"{action.capitalize()}: {text}", "internal"
            )
        data.update(ticket)
        what = {
            "start": f"start work ({old_status} → {new_status})",
            "wait": f"wait for customer ({short(text, 40)})",
            "resolve": "resolve",
            "close": "close",
            "reopen": f"reopen ({short(text, 40)})",
        }[action]
        return Change(what, trailers)

    return ticket_action(repo, raw_id, action, at, fn)


def start(repo: Desk, ticket_id: str, *, at: datetime | None = None) -> ActionResult:
    return _move(repo, ticket_id, "start", None, None, at)


def wait(repo: Desk, ticket_id: str, *, reason: str, at: datetime | None = None) -> ActionResult:
    return _move(repo, ticket_id, "wait", "Reason", reason, at)


def close(repo: Desk, ticket_id: str, *, at: datetime | None = None) -> ActionResult:
    return _move(repo, ticket_id, "close", None, None, at)


def reopen(repo: Desk, ticket_id: str, *, reason: str, at: datetime | None = None) -> ActionResult:
    return _move(repo, ticket_id, "reopen", "Reason", reason, at)


def resolve(
    repo: Desk,
    ticket_id: str,
    *,
    resolution: str,
    kb: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    if not resolution or not resolution.strip():
        raise UsageError("resolve needs --resolution")
    text = check_text(resolution, what="resolution")
    slug = _check_slug(kb) if kb else None
    if slug:
        try:
            read_article(repo, slug)  # fail early: unknown or broken article
        except NotFound:
            raise NotFound(f"unknown KB article {slug!r}") from None

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        tid = ticket.id
        data.update(
            replace(ticket, status=check_move("resolve", tid, str(ticket.status)), resolution=text)
        )
        trailers = []
        files: dict[str, bytes | None] = {}
        if slug:
            # Link both ways in the same commit: the ticket's `kb` and the article's `tickets:`.
            from supportctl.domain.articles import update_article

            data.update(replace(data.ticket, kb=slug))
            trailers.append(("Kb", slug))
            path, content, fields = read_article(repo, slug)
            if tid not in fields.tickets:
                files[path] = update_article(
                    content, lambda m: set_tickets(m, [*fields.tickets, tid])
                )
        return Change("resolve" + (f" with KB {slug}" if slug else ""), trailers, files)

    return ticket_action(repo, ticket_id, "resolve", at, fn)


def escalate(
    repo: Desk,
    ticket_id: str,
    *,
    reason: str,
    to: str | None = None,
    at: datetime | None = None,
) -> ActionResult:
    if not reason or not reason.strip():
        raise UsageError("escalate needs --reason")
    text = check_text(reason, what="reason")

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        tid = ticket.id
        check_move("escalate", tid, str(ticket.status))
        old = str(ticket.line)
        if to and to.strip().upper() not in repo.config.lines:
            repo.config.refuse_uncommitted("lines", to.strip().upper())
        new = next_line(repo.config.lines, old, to, tid)
        ticket = replace(ticket, line=new)
        data.update(
            _with_comment(ticket, ident, repo, f"Escalated {old} → {new}: {text}", "internal")
        )
        return Change(f"escalate {old} → {new} ({short(text, 40)})", [("Reason", text)])

    return ticket_action(repo, ticket_id, "escalate", at, fn)


def deescalate(
    repo: Desk,
    ticket_id: str,
    *,
    to: str,
    reason: str,
    at: datetime | None = None,
) -> ActionResult:
    """Move an open ticket back down to an earlier line (`Action: deescalate`): history,
    the SLA and the report see a line move that is not an escalation."""
    if not reason or not reason.strip():
        raise UsageError("deescalate needs --reason")
    if not to or not to.strip():
        raise UsageError("deescalate needs --to")
    text = check_text(reason, what="reason")

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        tid = ticket.id
        check_move("deescalate", tid, str(ticket.status))
        old = str(ticket.line)
        new = lower_line(repo.config.lines, old, to, tid)
        ticket = replace(ticket, line=new)
        data.update(
            _with_comment(ticket, ident, repo, f"De-escalated {old} → {new}: {text}", "internal")
        )
        return Change(f"de-escalate {old} → {new} ({short(text, 40)})", [("Reason", text)])

    return ticket_action(repo, ticket_id, "deescalate", at, fn)


# -- conversation and time --------------------------------------------------------------
def _with_comment(
    ticket: Ticket, ident: Identity, repo: Desk, text: str, visibility: str
) -> Ticket:
    entry = Comment(
        at=ident.when.isoformat(),
        author=author_handle(repo, ident),
        visibility=visibility,
        text=text,
    )
    return replace(ticket, comments=(*ticket.comments, entry))


def comment(
    repo: Desk,
    ticket_id: str,
    text: str,
    *,
    internal: bool = False,
    from_customer: bool = False,
    at: datetime | None = None,
) -> ActionResult:
    """An agent's reply or internal note; with `from_customer`, a message the customer
    sent by another way (a call, a messenger), recorded by hand as a customer message."""
    if internal and from_customer:
        raise UsageError("a customer message is not an internal note: give one of the two")
    body = check_text(text, what="comment")
    if not body.strip():
        raise UsageError("comment text is empty")
    if from_customer:
        return _customer_comment(repo, ticket_id, body, at)
    visibility = "internal" if internal else "public"

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = _with_comment(data.ticket, ident, repo, body, visibility)
        change = Change(
            f"{'internal note' if internal else 'reply to customer'}: {short(body, 40)}",
            [("Visibility", visibility)],
        )
        if not internal:
            # A ticket that came by mail gets the reply by mail, queued in this commit.
            from supportctl.ops.mail.outbound import queue_reply

            agent = repo.config.agent_for_email(ident.email)
            mail = queue_reply(
                repo, ticket, body, when=ident.when, author=agent.name if agent else ident.name
            )
            if mail is not None:
                entry = replace(ticket.comments[-1], message_id=mail.message_id)
                ticket = replace(ticket, comments=(*ticket.comments[:-1], entry))
                change.trailers += mail.trailers
                change.files.update(mail.files)
        data.update(ticket)
        return change

    return ticket_action(repo, ticket_id, "comment", at, fn)


def _customer_comment(repo: Desk, ticket_id: str, body: str, at: datetime | None) -> ActionResult:
    """The same rules as a customer's mail (`customer_message_effect`): an entry, a
    reopen, or a new ticket linked `related` for a closed or long-resolved one."""
    tid = repo.ticket_id(ticket_id)
    current = repo.load_ticket_file(tid)[1].ticket
    when = at or repo.git.identity().when
    effect = customer_message_effect(repo, repo.commit_id(), current, when)
    if effect == EFFECT_NEW:
        return _customer_follow_up(repo, current, body, at)

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        entry = Comment(
            at=ident.when.isoformat(),
            author=ticket.requester or ticket.reporter or ticket.customer,
            from_customer=True,
            text=body,
        )
        ticket, moved = with_customer_message(ticket, entry)
        if effect == EFFECT_REOPEN and ticket.status == "resolved":
            data.update(replace(ticket, status="in_progress"))
            return Change(
                f"reopen: {REOPEN_REASON}: {short(body, 40)}", [("Reason", REOPEN_REASON)]
            )
        data.update(ticket)
        what = f"customer message ({moved} → {ticket.status})" if moved else "customer message"
        return Change(f"{what}: {short(body, 40)}")

    action = "reopen" if effect == EFFECT_REOPEN else CUSTOMER_MESSAGE
    return ticket_action(repo, tid, action, at, fn)


def _customer_follow_up(repo: Desk, before: Ticket, body: str, at: datetime | None) -> ActionResult:
    """A customer's message on a closed (or long-resolved) ticket: a new ticket with it,
    for the same customer and people, linked `related` to the old one."""
    old = before.id or ""
    why = "closed" if before.status == "closed" else "resolved long ago"
    with transaction(repo, at=at) as tx:
        number = repo.max_ticket_number() + 1
        ticket_id = f"{repo.config.id_prefix}-{number}"
        path = ticket_path(ticket_id)
        if (repo.root / path).exists():
            raise GitError(f"{path} exists but is not committed; commit or remove it first")
        ticket = Ticket(
            id=ticket_id,
            title=before.title,
            customer=before.customer,
            type=before.type,
            priority=before.priority,
            class_=before.class_,
            channel=before.channel,
            reporter=before.reporter,
            requester=before.requester,
            cc=before.cc,
            status="new",
            line=repo.config.lines[0],
            assignee=None,
            tags=(),
            created=tx.author.when.isoformat(),
            description=body,
            links=Links(related=(old,)),
        )
        head_keys = TICKET_KEYS[: TICKET_KEYS.index("description") + 1]
        keys = tuple(
            k
            for k in TICKET_KEYS
            if k == "links"
            or (
                k in head_keys
                and (k != "class" or ticket.class_)
                and (k != "reporter" or ticket.reporter)
                and (k != "requester" or ticket.requester)
                and (k != "cc" or ticket.cc)
            )
        )
        file = TicketFile.new(replace(ticket, keys=keys))
        change = Change(
            f"new {str(ticket.type).replace('_', ' ')} for {ticket.customer} "
            f"(after {old}, {why}): {short(ticket.title or '')}",
            [("Channel", str(ticket.channel)), ("Link", f"related {old}")],
            {path: file.dump()},
        )
        return _commit(tx, ticket_id, "new", change, file.ticket, None)


def log_time(
    repo: Desk,
    ticket_id: str,
    *,
    minutes: int,
    note: str = "",
    on: date | None = None,
    at: datetime | None = None,
) -> ActionResult:
    if minutes <= 0:
        raise UsageError(f"time must be positive, got {minutes} minutes")
    if minutes > 24 * 60:
        raise UsageError(f"{minutes} minutes is more than a day; log each day separately")
    note = clean_line(note, what="note", limit=500) if note.strip() else ""
    tid = repo.ticket_id(ticket_id)
    with transaction(repo, at=at) as tx:
        ident = tx.author
        _, data = repo.load_ticket_file(tid)
        _not_before_creation(tid, data.ticket, at)
        work_day = on or ident.when.date()
        path = worklog_path(work_day.strftime("%Y-%m"), ident.email)
        existing = repo.git.file_at("HEAD", path)
        try:
            entries = yamlio.load(existing) if existing else None
        except yamlio.YamlProblem as exc:  # exit 7, as for every malformed file
            raise DataError(f"{path}:{exc.line}: {exc.message}") from None
        if entries is None:
            entries = CommentedSeq()
        if not isinstance(entries, list):  # a hand edit: a mapping or a scalar
            raise DataError(f"{path}:1: expected a list of worklog entries")
        entry = WorklogEntry(
            ticket=tid,
            minutes=minutes,
            on=work_day.isoformat(),
            note=note,
            author=author_handle(repo, ident),
            at=ident.when.isoformat(),
            keys=tuple(k for k in WORKLOG_KEYS if k != "note" or note),
        )
        entries.append(CommentedMap(entry.to_plain()))
        change = Change(
            f"log {format_duration(minutes * 60)}" + (f" ({short(note, 40)})" if note else ""),
            [("Minutes", str(minutes)), ("Worked-On", work_day.isoformat())],
            {path: yamlio.dump(entries)},
        )
        return _commit(tx, tid, "log", change, data.ticket, _snapshot(data.ticket))


# -- attributes -------------------------------------------------------------------------
def _check_agent(repo: Desk, handle: str | None) -> None:
    """When the config lists agents, an assignee must be one of them (as `validate` demands)."""
    repo.config.check_agent(handle)


def assign(
    repo: Desk, ticket_id: str, assignee: str | None, *, at: datetime | None = None
) -> ActionResult:
    handle = check_handle(assignee) if assignee else None
    _check_agent(repo, handle)

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        if (ticket.assignee or None) == handle:
            raise IllegalTransition(f"{ticket.id} is already assigned to {handle or 'nobody'}")
        data.update(replace(ticket, assignee=handle))
        return Change(f"assign to {handle}" if handle else "unassign")

    return ticket_action(repo, ticket_id, "assign", at, fn)


def link(
    repo: Desk,
    ticket_id: str,
    *,
    kind: str,
    other: str,
    at: datetime | None = None,
) -> ActionResult:
    if kind not in LINK_KINDS:
        raise UsageError(f"unknown link kind {kind!r}")
    tid = repo.ticket_id(ticket_id)
    oid = repo.ticket_id(other)
    if tid == oid:
        raise UsageError(f"cannot link {tid} to itself")
    repo.ticket(oid)  # must exist

    def fn(data: TicketFile, ident: Identity) -> Change:
        links = data.ticket.links
        if kind == "related":
            if oid in links.related:
                raise IllegalTransition(f"{tid} is already related to {oid}")
            links = replace(links, related=(*links.related, oid))
        else:
            if (links.duplicate_of if kind == "duplicate_of" else links.parent) == oid:
                raise IllegalTransition(f"{tid} is already {kind.replace('_', ' ')} {oid}")
            if kind == "duplicate_of":
                links = replace(links, duplicate_of=oid)
            else:
                links = replace(links, parent=oid)
        data.update(replace(data.ticket, links=links))
        return Change(f"{kind.replace('_', ' ')} {oid}", [("Link", f"{kind} {oid}")])

    return ticket_action(repo, tid, "link", at, fn)


def tag(
    repo: Desk,
    ticket_id: str,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    at: datetime | None = None,
) -> ActionResult:
    plus = [check_tag(t) for t in add]
    minus = [check_tag(t) for t in remove]
    if not plus and not minus:
        raise UsageError("give tags to add, or --remove TAG")

    def fn(data: TicketFile, ident: Identity) -> Change:
        ticket = data.ticket
        added = [t for t in dict.fromkeys(plus) if t not in ticket.tags]
        removed = [t for t in dict.fromkeys(minus) if t in ticket.tags]
        if not added and not removed:
            raise IllegalTransition(f"{ticket.id}: tags unchanged")
        kept = tuple(t for t in ticket.tags if t not in removed)
        data.update(replace(ticket, tags=(*kept, *added)))
        trailers = []
        if added:
            trailers.append(("Tags-Added", " ".join(added)))
        if removed:
            trailers.append(("Tags-Removed", " ".join(removed)))
        words = " ".join([f"+{t}" for t in added] + [f"-{t}" for t in removed])
        return Change(f"tag {words}", trailers)

    return ticket_action(repo, ticket_id, "tag", at, fn)


def edit(
    repo: Desk, ticket_id: str, changes: dict[str, str], *, at: datetime | None = None
) -> ActionResult:
    clean: dict[str, str] = {}
    for key, value in changes.items():
        if key not in EDITABLE_FIELDS:
            raise UsageError(
                f"cannot edit {key!r}: editable fields are {', '.join(EDITABLE_FIELDS)}"
            )
        if key == "title":
            clean[key] = clean_line(value, what="title", one_line=True)
        elif key == "priority":
            clean[key] = check_choice(value, PRIORITIES, "priority")
        elif key == "type":
            clean[key] = check_choice(value, TYPES, "type")
        elif key == "customer":
            repo.config.customer(value)
            clean[key] = value
        else:
            clean[key] = clean_line(value, what=key, limit=60)
    if not clean:
        raise UsageError("nothing to edit: give --title, --priority, --type, --customer or --class")

    def fn(data: TicketFile, ident: Identity) -> Change:
        parts = []
        ticket = data.ticket
        for key, value in clean.items():
            old = ticket.value(key)
            if old != value:
                ticket = ticket.with_value(key, value)
                parts.append(f"{key} {short(str(old or '-'), 30)} → {short(value, 30)}")
        if not parts:
            raise IllegalTransition(f"{ticket.id}: nothing changed")
        data.update(ticket)
        return Change("edit " + ", ".join(parts))

    return ticket_action(repo, ticket_id, "edit", at, fn)


def _check_slug(slug: str) -> str:
    # `resolve --kb` has always taken the slug in any case
    s = slug.strip().lower()
    if not is_slug(s):
        raise UsageError(f"bad KB slug {slug!r}: lowercase letters, digits and - only")
    return s


# -- several tickets at once ---------------------------------------------------------------
@dataclass
class Failure:
    ticket_id: str
    error: SupportctlError


@dataclass
class BulkResult:
    """What an action on several tickets did: one commit per ticket that changed, and why
    each of the others did not."""

    done: list[ActionResult] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every ticket changed, else the exit code of the first failure."""
        return self.failed[0].error.exit_code if self.failed else 0


def for_each(
    ticket_ids: Sequence[str],
    one: Callable[[str], ActionResult],
    done: Callable[[ActionResult | Failure], None] | None = None,
) -> BulkResult:
    """`one` on every ticket in turn, each its own commit: a ticket that fails is recorded
    and the others still change (what is committed stays committed). `done` hears of each
    ticket as it is finished."""
    result = BulkResult()
    for tid in dict.fromkeys(ticket_ids):
        outcome: ActionResult | Failure
        try:
            outcome = one(tid)
        except SupportctlError as exc:
            outcome = Failure(tid, exc)
            result.failed.append(outcome)
        else:
            result.done.append(outcome)
        if done is not None:
            done(outcome)
    return result


@dataclass(frozen=True)
class Planned:
    """One ticket a bulk action is about to change, as the confirmation lists it."""

    ticket_id: str
    title: str
    before: str
    after: str


def plan_assign(repo: Desk, ticket_ids: Sequence[str], assignee: str | None) -> list[Planned]:
    """What `assign ID ID ... --to A` would change, checked before anything is committed:
    an unknown agent or ticket stops it here (nothing changes)."""
    handle = check_handle(assignee) if assignee else None
    _check_agent(repo, handle)
    plan: dict[str, Planned] = {}
    for raw in dict.fromkeys(ticket_ids):
        tid = repo.ticket_id(raw)
        t = repo.ticket(tid).ticket
        # `sup-5 SUP-5` name one ticket: it is planned, counted and confirmed once
        plan.setdefault(
            tid, Planned(tid, str(t.title or ""), t.assignee or "nobody", handle or "nobody")
        )
    return list(plan.values())


def plan_close(repo: Desk, ticket_ids: Sequence[str]) -> list[Planned]:
    """What `close ID ID ...` would change; an unknown ticket stops it here."""
    plan: dict[str, Planned] = {}
    for raw in dict.fromkeys(ticket_ids):
        tid = repo.ticket_id(raw)
        t = repo.ticket(tid).ticket
        plan.setdefault(tid, Planned(tid, str(t.title or ""), str(t.status), "closed"))
    return list(plan.values())


def resolved_before(repo: Desk, day: date, customer: str | None = None) -> list[Planned]:
    """The resolved tickets (of `customer`) whose last resolve happened before `day`
    began in the desk's time zone, oldest ID first: what `close --resolved-before` closes."""
    from zoneinfo import ZoneInfo

    from supportctl.storage.queries import Filters, list_tickets

    if customer is not None:
        repo.config.customer(customer)
    limit = datetime.combine(day, datetime.min.time(), ZoneInfo(repo.config.timezone))
    rows, _ = list_tickets(
        repo, Filters(status=("resolved",), customer=(customer,) if customer else ())
    )
    wanted = {r.id: r for r in rows}
    events = repo.events_by_ticket(keep=lambda t, _span: t in wanted)
    plan = []
    for tid, row in wanted.items():
        resolved_at = [
            e.at
            for e in events.get(tid, ())
            if e.changes.get("status", (None, None))[1] == "resolved"
        ]
        if resolved_at and resolved_at[-1] < limit:
            plan.append(Planned(tid, str(row.title or ""), "resolved", "closed"))
    return plan
