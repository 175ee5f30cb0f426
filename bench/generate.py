#!/usr/bin/env python3
"""Build a large synthetic support repo fast, with one `git fast-import` stream.

    .venv/bin/python bench/generate.py --tickets 20000 --commits 200000 --out /tmp/sup-20k

Every commit is byte-for-byte what `supportctl` itself would write for the same action
at the same time by the same person: the same ticket YAML (key order, quoting, literal
blocks), the same worklog files `data/worklogs/YYYY-MM/<author>.yaml`, the same subject
and git trailers. `bench/verify_generate.py` proves it by replaying a small history
through `supportctl.ops.tickets` and comparing commit ids.

What the history holds (fixed seed, so the same arguments give the same commit ids):

* the `supportctl init` commit (the packaged `supportctl.yaml` with customers acme and
  globex, `.gitattributes`, `.gitkeep` files);
* N tickets created over about a year (mostly on weekdays in office hours), each living
  through new, public replies and internal notes, start, wait/start, escalate, log,
  resolve, close and now and then reopen, until about M commits are made; tickets
  opened in the last weeks are still open at the end;
* agents in several time zones (Moscow, Kyiv, Yekaterinburg, Novosibirsk, London, UTC),
  one of them with a Cyrillic name, and a few Cyrillic titles and texts;
* about 3% of actions back-dated with `--at` (committer date later than author date);
* about 2% commits made by hand, without trailers, changing `priority` or `status` in
  the ticket file the way an editor would.

The pack is left exactly as fast-import wrote it unless `--repack` is given, which runs
`git repack -a -d -f` once (what `git gc` would do on a real desk). The work tree is
populated with `git reset --hard`. `gc.auto` is set to 0 in the new repo so that no
automatic gc runs in the middle of a benchmark.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Run by path: make the package next to bench/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from supportctl.domain import yamlio
from supportctl.domain.durations import format_duration
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import worklog_path
from supportctl.ops.init import FOLDERS, GITATTRIBUTES, example_config
from supportctl.ops.tickets import message, short

SEED = 20251001
START = datetime(2025, 9, 1, tzinfo=UTC)
DAYS = 365
BRANCH = "main"

# -- the people --------------------------------------------------------------------------
# (name, email, time zone, line, handle)
AGENTS = [
    ("Anna Ivanova", "anna@helpdesk.example", "Europe/Moscow", "L1", "anna"),
    ("Boris Petrov", "boris@helpdesk.example", "Europe/Moscow", "L1", "boris"),
    ("Olena Kovalenko", "olena@helpdesk.example", "Europe/Kyiv", "L1", "olena"),
    ("Мария Кузнецова", "maria@helpdesk.example", "Europe/Moscow", "L1", "maria"),
    ("Dmitry Sokolov", "dmitry@helpdesk.example", "Asia/Yekaterinburg", "L1", "dmitry"),
    ("Sergey Orlov", "sergey@helpdesk.example", "Europe/Moscow", "L2", "sergey"),
    ("Iryna Shevchenko", "iryna@helpdesk.example", "Europe/Kyiv", "L2", "iryna"),
    ("Pavel Volkov", "pavel@helpdesk.example", "Europe/Moscow", "L2", "pavel"),
    ("Alex Turner", "alex@helpdesk.example", "Europe/London", "L3", "alex"),
    ("Nikolai Fedorov", "nikolai@helpdesk.example", "Asia/Novosibirsk", "L3", "nikolai"),
    ("Vendor Support", "support@vendor.example", "UTC", "L4", "vendor"),
]
REVIEWER = ("Team Lead", "lead@helpdesk.example", "Europe/Berlin", "", "lead")
PEOPLE = [*AGENTS, REVIEWER]
REVIEWER_IDX = len(PEOPLE) - 1
BY_LINE = {ln: [i for i, a in enumerate(AGENTS) if a[3] == ln] for ln in ("L1", "L2", "L3", "L4")}
LINES = ("L1", "L2", "L3", "L4")

# -- the words -----------------------------------------------------------------------------
TITLES = [
    "Checkout fails with 500 after the update",
    "VPN drops every 10 minutes",
    "Cannot log in to the customer portal",
    "Invoices are not exported to 1C",
    "Reports take minutes to load",
    "Outgoing mail lands in spam",
    "Password reset email never arrives",
    "API returns 429 Too Many Requests",
    "Duplicate contacts after CRM import",
    "Database disk space alert on db-2",
    "Printer queue stuck on the 3rd floor",
    "New employee needs access to the CRM",
    "Please add a custom field to the order form",
    "How do I export the monthly statistics?",
    "SSL certificate expires next week",
    "Mobile app crashes on start (Android 14)",
    "Search returns no results for SKUs with dashes",
    "Webhook deliveries delayed by hours",
    "Change the billing contact of the account",
    "Backup job failed: no space left on device",
    "Slow page loads in the admin panel",
    "Two-factor codes are rejected",
    "Request: raise the API rate limit",
    "Sync with the warehouse stopped at night",
    "Wrong VAT on invoices for EU customers",
    "User locked out after password change",
    "Add a new shop to the loyalty program",
    "Which ports must be open for the agent?",
    "Timeouts when uploading files over 100 MB",
    "Dashboard shows yesterday's numbers",
    "Error 'permission denied' when saving a report",
    "Migrate the mailbox of a departed employee",
    "Schedule maintenance window for the DB upgrade",
    "Order status emails contain broken links",
    "Price list import skips the last rows",
    "Monitoring: CPU above 95% on app-3",
    "Monitoring: queue length above threshold",
    "Rename the company in all documents",
    "Need a copy of last month's audit log",
    "Login page shows a blank screen in Safari",
]
CYRILLIC_TITLES = [
    "Не печатаются чеки на кассе №2",
    "Не выгружаются заказы в 1С",
    "Медленно формируются отчёты",
    "Ошибка 500 при оформлении заказа",
    "Не працює VPN після зміни пароля",
    "Прошу добавить нового сотрудника в CRM",
    "Как выгрузить статистику за месяц?",
    "Не приходят письма со сбросом пароля",
]
DESCRIPTIONS = [
    "",
    "Reported by the customer by phone, details to follow.",
    "Steps to reproduce:\n1. Open the page\n2. Click Save\n3. See the error\n\nExpected: the order is saved.",
    "Since this morning several users see the problem.\nScreenshot attached to the original email.",
    "The customer needs this before the end of the month.\nContact person: IT department.",
    "Error text from the log:\n  ERROR 2025-01-01 db timeout after 30s\n  retrying...\nHappens every few minutes.",
    "Все пользователи в офисе на Ленина.\nПроблема появилась после обновления.",
    "Please see the attached export: rows 120-180 are affected.",
    "Monitoring alert: threshold exceeded for 15 minutes.",
]
PUBLIC_REPLIES = [
    "Thank you, we are looking into it.",
    "We are on it, next update in 1 hour.",
    "Could you send us a screenshot of the error?",
    "We have applied a fix, please check again.",
    "The issue is caused by a configuration change on our side. We are rolling it back.",
    "Please try again now and let us know if it works.",
    "We need a few more details:\n- the exact time it happened\n- the user name\n- the browser version",
    "Update: the vendor confirmed the bug, a patch is expected tomorrow.",
    "Добрый день! Мы разбираемся с проблемой.",
    "Workaround: restart the agent service, the permanent fix follows.",
    "Status: fix deployed to staging, production tonight.",
]
INTERNAL_NOTES = [
    "Checked the logs, nothing unusual before 09:00.",
    "Looks like the same problem as last month.",
    "Asked the DBA to look at the slow queries.",
    "Reproduced on staging.",
    "Customer is angry, handle with care.",
    "Root cause: expired token in the integration settings.\nRenewed it, monitoring.",
    "Waiting for the vendor ticket #4411.",
    "Нужно проверить настройки на стороне клиента.",
    "Not a bug: works as configured. Will explain to the customer.",
]
WAIT_REASONS = [
    "need logs from the customer",
    "asked for a screenshot",
    "customer is testing the fix",
    "waiting for the access credentials",
    "ждём ответа клиента",
]
ESCALATE_REASONS = [
    "needs database access",
    "bug in the product, needs a developer",
    "network issue on the provider side",
    "L1 runbook exhausted",
    "vendor component failure",
]
RESOLUTIONS = [
    "Fixed the configuration.",
    "Restarted the service; root cause documented in the KB.",
    "Applied the vendor patch.",
    "Explained how to do it; customer confirmed.",
    "Access granted.",
    "Cleaned up disk space and added an alert.\nLong-term fix planned for the next release.",
    "Duplicate of an earlier request, handled there.",
    "Проблема устранена: обновлён драйвер принтера.",
]
REOPEN_REASONS = ["customer says it happens again", "fix did not help", "проблема повторилась"]
LOG_NOTES = [
    "",
    "",
    "log analysis",
    "call with the customer",
    "testing the fix",
    "configuration",
    "remote session",
    "анализ логов",
    "writing the report",
]
CLASSES = ["network", "access", "billing", "integration", "hardware", "mail", "database"]
REPORTERS = [
    "it@acme.example",
    "Ivan Smirnov",
    "Help Desk ACME",
    "ops@globex.example",
    "Ольга Васильева",
]
TAGS = ["vpn", "urgent", "1c", "mail", "vip", "printer", "api", "crm"]

TYPES_W = [
    ("incident", 45),
    ("service_request", 30),
    ("change_request", 10),
    ("information_request", 15),
]
PRIO_W = [("critical", 5), ("high", 20), ("normal", 55), ("low", 20)]
CHANNEL_W = [("email", 50), ("phone", 20), ("portal", 15), ("messenger", 10), ("monitoring", 5)]
PRIORITIES = ("critical", "high", "normal", "low")


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


# -- exact YAML text, cached per distinct value ------------------------------------------
@dataclass(frozen=True)
class Styled:
    """A one-line value written in the style of the value it replaced.

    ruamel.yaml keeps the scalar style of a key's old value (as loaded from the file)
    when a plain string is assigned to it: a second `resolve` after a multi-line
    resolution writes `resolution: |-`, after a quoted one `resolution: '...'`.
    """

    style: str  # "|", "'" or '"'
    text: str


_STYLES = {"|": LiteralScalarString, "'": SingleQuotedScalarString, '"': DoubleQuotedScalarString}


def replaced(key: str, old: str | Styled | None, new: str) -> str | Styled:
    """The value `data[key] = new` leaves when the file held `old` (see Styled)."""
    if old is None or "\n" in new:  # text_value makes multi-line text a literal block
        return new
    style = old.style if isinstance(old, Styled) else kv(key, old)[len(key) + 2]
    return Styled(style, new) if style in _STYLES else new


# Values are rendered once by ruamel.yaml (the same instance and settings supportctl uses)
# and the text is reused; time stamps, which are all distinct, use their fixed form.
_memo: dict[Any, str] = {}


def kv(key: str, value: Any) -> str:
    """`key: value\\n` (plus literal block lines) exactly as supportctl writes a top-level key."""
    k = ("kv", key, value)
    hit = _memo.get(k)
    if hit is None:
        m = CommentedMap()
        if isinstance(value, Styled):
            m[key] = _STYLES[value.style](value.text)
        elif isinstance(value, tuple):  # tags, a flow-style list
            seq = CommentedSeq(list(value))
            seq.fa.set_flow_style()
            m[key] = seq
        else:
            m[key] = yamlio.text_value(value) if isinstance(value, str) else value
        hit = _memo[k] = yamlio.dump(m).decode("utf-8")
    return hit


def item_value(value: str) -> str:
    """Text after `    key: ` inside a list item (comments, worklog entries)."""
    k = ("item", value)
    hit = _memo.get(k)
    if hit is None:
        e = CommentedMap()
        e["text"] = yamlio.text_value(value)
        m = CommentedMap()
        m["comments"] = CommentedSeq([e])
        text = yamlio.dump(m).decode("utf-8")
        prefix = "comments:\n  - text: "
        assert text.startswith(prefix), text
        hit = _memo[k] = text[len(prefix) :]
    return hit


# -- time ----------------------------------------------------------------------------------
_zones: dict[str, ZoneInfo] = {}
_tzs: dict[int, timezone] = {}


def local(epoch: int, tzname: str) -> datetime:
    """The instant in the person's zone, as a fixed-offset datetime (what git would keep)."""
    zi = _zones.get(tzname) or _zones.setdefault(tzname, ZoneInfo(tzname))
    off = int(datetime.fromtimestamp(epoch, zi).utcoffset().total_seconds())  # type: ignore[union-attr]
    tz = _tzs.get(off) or _tzs.setdefault(off, timezone(timedelta(seconds=off)))
    return datetime.fromtimestamp(epoch, tz)


def git_tz(d: datetime) -> str:
    off = int(d.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    sign = "-" if off < 0 else "+"
    return f"{sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"


def working_time(rng: random.Random, epoch: int, tzname: str, strict: float = 0.85) -> int:
    """Most actions happen in office hours of the one who acts: move the rest to the next morning."""
    if rng.random() > strict:
        return epoch
    d = local(epoch, tzname)
    if d.weekday() < 5 and 9 <= d.hour < 19:
        return epoch
    day = d.date() if d.hour < 9 else d.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    zi = _zones[tzname]
    morning = datetime(day.year, day.month, day.day, 9, 0, tzinfo=zi)
    return int(morning.timestamp()) + rng.randint(0, 3 * 3600)


def lognormal(rng: random.Random, median: float, sigma: float = 1.0) -> int:
    return max(30, int(median * math.exp(rng.gauss(0.0, sigma))))


# -- the plan: what happens, when, by whom ------------------------------------------------
@dataclass
class TicketPlan:
    created: int
    title: str
    customer: str
    type: str
    priority: str
    cls: str | None
    channel: str
    reporter: str | None
    description: str
    tags: tuple[str, ...]
    assignee: str | None


@dataclass
class Op:
    committed: int  # committer date (epoch); the commit order
    ticket: int  # index into plans, in creation order
    seq: int  # position in the ticket's life
    kind: str
    actor: int  # index into PEOPLE
    at: int  # author date (epoch)
    param: Any = None


DELAY = {  # median seconds after the previous action of the same ticket
    "reply": 40 * 60,
    "start": 60 * 60,
    "comment": 5 * 3600,
    "note": 3 * 3600,
    "log": 2 * 3600,
    "escalate": 3 * 3600,
    "wait": 2 * 3600,
    "resume": 20 * 3600,
    "resolve": 6 * 3600,
    "close": 2 * 86400,
    "reopen": 3 * 86400,
    "hand_priority": 4 * 3600,
    "hand_close": 2 * 86400,
    "hand_start": 60 * 60,
}


def _life(rng: random.Random, k: int) -> list[str]:
    """The sequence of actions of one ticket, `k` commits long."""
    if k <= 4:
        return [
            ["new"],
            ["new", "resolve"],
            ["new", "reply", "resolve"],
            ["new", "reply", "resolve", "close"],
        ][max(k, 1) - 1]
    start = "hand_start" if rng.random() < 0.05 else "start"
    close = "hand_close" if rng.random() < 0.10 else "close"
    extra = k - 5
    reopen = extra >= 3 and rng.random() < 0.10
    if reopen:
        extra -= 2
    middle: list[str] = []
    escalations = 0
    while extra > 0:
        r = rng.random()
        if r < 0.10 and extra >= 2:
            middle += ["wait", "resume"]
            extra -= 2
            continue
        if r < 0.18 and escalations < (3 if rng.random() < 0.1 else 2):
            middle.append("escalate")
            escalations += 1
        elif r < 0.45:
            middle.append("comment")
        elif r < 0.66:
            middle.append("note")
        elif r < 0.985:
            middle.append("log")
        else:
            middle.append("hand_priority")
        extra -= 1
    if not reopen:
        return ["new", "reply", start, *middle, "resolve", close]
    # a reopen after the first resolve; part of the work happens after it
    cut = rng.randint(0, len(middle))
    pre, post = middle[:cut], [m for m in middle[cut:] if m not in ("wait", "resume", "escalate")]
    pre += [m for m in middle[cut:] if m in ("wait", "resume", "escalate")]
    return ["new", "reply", start, *pre, "resolve", "reopen", *post, "resolve", close]


def _ticket_plan(rng: random.Random, created: int) -> TicketPlan:
    cyr = rng.random() < 0.05
    title = rng.choice(CYRILLIC_TITLES if cyr else TITLES)
    ntags = rng.choices([0, 1, 2], weights=[60, 30, 10])[0]
    tags = tuple(sorted(set(rng.sample(TAGS, ntags))))
    return TicketPlan(
        created=created,
        title=title,
        customer="acme" if rng.random() < 0.6 else "globex",
        type=_weighted(rng, TYPES_W),
        priority=_weighted(rng, PRIO_W),
        cls=rng.choice(CLASSES) if rng.random() < 0.5 else None,
        channel=_weighted(rng, CHANNEL_W),
        reporter=rng.choice(REPORTERS) if rng.random() < 0.4 else None,
        description=rng.choice(DESCRIPTIONS),
        tags=tags,
        assignee=AGENTS[rng.choice(BY_LINE["L1"])][4] if rng.random() < 0.3 else None,
    )


def _created_times(rng: random.Random, n: int, start: int) -> list[int]:
    out = []
    span = (DAYS - 7) * 86400
    for _ in range(n):
        while True:
            t = start + rng.randrange(span)
            d = local(t, "Europe/Moscow")
            weekend = d.weekday() >= 5
            office = 9 <= d.hour < 19
            # weekdays in office hours are busy; nights and weekends are quiet
            p = 1.0 if (office and not weekend) else (0.25 if not weekend else 0.12)
            if rng.random() < p:
                break
        out.append(t)
    out.sort()
    return out


def make_plan(n: int, m: int, seed: int = SEED) -> tuple[list[TicketPlan], list[Op], int]:
    """Tickets and their actions in commit order; about m - 1 actions (plus the init commit)."""
    start = int(START.timestamp())
    end = start + DAYS * 86400
    mean = max(1.0, (m - 1) / max(n, 1))
    scale = 1.0
    best: tuple[int, list[TicketPlan], list[Op]] | None = None
    for _attempt in range(6):  # tickets opened late lose their tail: scale lives to hit m
        rng = random.Random(seed)
        created = _created_times(rng, n, start)
        plans = [_ticket_plan(rng, c) for c in created]
        ops: list[Op] = []
        for ti, tp in enumerate(plans):
            k = max(1, round(rng.gammavariate(3.0, mean * scale / 3.0)))
            ops.extend(_ticket_ops(rng, ti, tp, _life(rng, k), end))
        got = len(ops) + 1
        if best is None or abs(got - m) < best[0]:
            best = (abs(got - m), plans, ops)
        if abs(got - m) <= max(2, m // 200) or n == 0:
            break
        scale *= (m - 1) / max(1, got - 1)
    assert best is not None
    _, plans, ops = best
    ops.sort(key=lambda o: (o.committed, o.ticket, o.seq))
    return plans, ops, start


def _ticket_ops(rng: random.Random, ti: int, tp: TicketPlan, life: list[str], end: int) -> list[Op]:
    out: list[Op] = []
    owner = rng.choice(BY_LINE["L1"])
    line_agent = {"L1": owner}
    line_idx = 0
    t = tp.created
    priority = tp.priority
    for seq, kind in enumerate(life):
        actor = line_agent[LINES[line_idx]]
        tz = PEOPLE[actor][2]
        if kind != "new":
            median = DELAY[kind]
            if kind in ("reply", "start") and priority == "critical":
                median /= 4
            proposed = t + lognormal(rng, median, 1.0)
            if kind.startswith("hand_") and rng.random() < 0.7:
                actor, tz = REVIEWER_IDX, REVIEWER[2]
            proposed = working_time(rng, proposed, tz, 0.6 if priority == "critical" else 0.85)
            t = max(t + 1, proposed)
        if t > end:
            break
        param: Any = None
        if kind in ("reply", "comment"):
            param = rng.choice(PUBLIC_REPLIES)
        elif kind == "note":
            param = rng.choice(INTERNAL_NOTES)
        elif kind == "wait":
            param = rng.choice(WAIT_REASONS)
        elif kind == "reopen":
            param = rng.choice(REOPEN_REASONS)
        elif kind == "resolve":
            param = rng.choice(RESOLUTIONS)
        elif kind == "escalate":
            param = rng.choice(ESCALATE_REASONS)
            line_idx += 1
            nxt = LINES[line_idx]
            line_agent.setdefault(nxt, rng.choice(BY_LINE[nxt]))
        elif kind == "log":
            minutes = rng.choice([10, 15, 20, 30, 45, 60, 90, 120, 180, 240])
            prev_day = rng.random() < 0.1  # logged the next morning with --on
            param = (minutes, rng.choice(LOG_NOTES), prev_day)
        elif kind == "hand_priority":
            i = PRIORITIES.index(priority)
            i = i - 1 if (i == len(PRIORITIES) - 1 or (i > 0 and rng.random() < 0.6)) else i + 1
            priority = param = PRIORITIES[i]
        out.append(Op(t, ti, seq, kind, actor, t, param))
    # back-dating: the action is recorded later with --at, before the next action happens
    for i, op in enumerate(out):
        if rng.random() < 0.03:
            gap = (out[i + 1].at if i + 1 < len(out) else op.at + 2 * 86400) - op.at
            if gap > 1200:
                op.committed = op.at + rng.randint(600, min(gap - 1, 2 * 86400))
    return out


# -- rendering: ticket files, worklogs, messages ------------------------------------------
@dataclass
class TicketState:
    id: str
    path: str
    plan: TicketPlan
    created_iso: str
    status: str = "new"
    line: str = "L1"
    priority: str = ""
    resolution: str | Styled | None = None
    comments: list[str] = field(default_factory=list)

    def render(self) -> bytes:
        p = self.plan
        parts = [
            f"id: {self.id}\n",
            kv("title", p.title),
            kv("customer", p.customer),
            kv("type", p.type),
            kv("priority", self.priority),
        ]
        if p.cls:
            parts.append(kv("class", p.cls))
        parts.append(kv("channel", p.channel))
        if p.reporter:
            parts.append(kv("reporter", p.reporter))
        parts += [
            kv("status", self.status),
            kv("line", self.line),
            kv("assignee", p.assignee),
            kv("tags", p.tags),
            f"created: '{self.created_iso}'\n",
            kv("description", p.description),
        ]
        if self.resolution is not None:
            parts.append(kv("resolution", self.resolution))
        if self.comments:
            parts.append("comments:\n")
            parts += self.comments
        return "".join(parts).encode("utf-8")


def comment_entry(when: datetime, author: str, visibility: str, text: str) -> str:
    return (
        f"  - at: '{when.isoformat()}'\n    author: {item_value(author)}"
        f"    visibility: {visibility}\n    text: {item_value(text)}"
    )


def worklog_entry(tid: str, minutes: int, on: date, note: str, author: str, when: datetime) -> str:
    return (
        f"  - ticket: {tid}\n    minutes: {minutes}\n    on: '{on.isoformat()}'\n"
        + (f"    note: {item_value(note)}" if note else "")
        + f"    author: {item_value(author)}    at: '{when.isoformat()}'\n"
    )


@dataclass
class Commit:
    author: int
    at: datetime
    committed: datetime
    message: str
    files: dict[str, bytes]
    op: Op | None = None
    ticket_id: str = ""


def _status_trailers(old: str, new: str) -> list[tuple[str, str]]:
    return [("From-Status", old), ("To-Status", new)]


def render_commits(plans: list[TicketPlan], ops: list[Op], start: int) -> Any:
    """Yield every commit of the history in order, the init commit first."""
    init_who = REVIEWER_IDX
    init_at = local(start - 86400, REVIEWER[2])
    files = {".gitattributes": GITATTRIBUTES.encode(), "supportctl.yaml": example_config()}
    for folder in FOLDERS:
        files[f"{folder}/.gitkeep"] = b""
    yield Commit(init_who, init_at, init_at, "Initialise support repo\n\nAction: init\n", files)

    states: dict[int, TicketState] = {}
    worklogs: dict[str, list[str]] = {}
    number = 0
    for op in ops:
        who = PEOPLE[op.actor]
        name, email, tzname = who[0], who[1], who[2]
        when = local(op.at, tzname)
        committed = local(op.committed, tzname)
        kind = op.kind
        if kind == "new":
            number += 1
            tid = f"SUP-{number}"
            p = plans[op.ticket]
            st = states[op.ticket] = TicketState(
                tid, ticket_path(tid), p, when.isoformat(), priority=p.priority
            )
            trailers = [
                ("Ticket", tid),
                ("Action", "new"),
                ("To-Status", "new"),
                ("To-Line", "L1"),
                ("To-Priority", p.priority),
                ("To-Type", p.type),
                ("To-Customer", p.customer),
            ]
            if p.cls:
                trailers.append(("To-Class", p.cls))
            if p.assignee:
                trailers.append(("To-Assignee", p.assignee))
            trailers.append(("Channel", p.channel))
            subject = (
                f"new {p.type.replace('_', ' ')} for {p.customer} ({p.priority}): {short(p.title)}"
            )
            yield Commit(
                op.actor,
                when,
                committed,
                message(f"{tid}: {subject}", trailers),
                {st.path: st.render()},
                op,
                tid,
            )
            continue
        st = states[op.ticket]
        tid = st.id
        trailers = [("Ticket", tid), ("Action", kind)]
        extra_files: dict[str, bytes] = {}
        if kind in ("reply", "comment", "note"):
            vis = "internal" if kind == "note" else "public"
            st.comments.append(comment_entry(when, name, vis, op.param))
            trailers[1] = ("Action", "comment")
            trailers.append(("Visibility", vis))
            what = "internal note" if vis == "internal" else "reply to customer"
            subject = f"{what}: {short(op.param, 40)}"
        elif kind in ("start", "resume"):
            old, st.status = st.status, "in_progress"
            trailers[1] = ("Action", "start")
            trailers += _status_trailers(old, st.status)
            subject = f"start work ({old} → {st.status})"
        elif kind == "wait":
            old, st.status = st.status, "waiting"
            trailers += [*_status_trailers(old, st.status), ("Reason", op.param)]
            st.comments.append(comment_entry(when, name, "internal", f"Wait: {op.param}"))
            subject = f"wait for customer ({short(op.param, 40)})"
        elif kind == "reopen":
            old, st.status = st.status, "in_progress"
            trailers += [*_status_trailers(old, st.status), ("Reason", op.param)]
            st.comments.append(comment_entry(when, name, "internal", f"Reopen: {op.param}"))
            subject = f"reopen ({short(op.param, 40)})"
        elif kind == "resolve":
            old, st.status = st.status, "resolved"
            st.resolution = replaced("resolution", st.resolution, op.param)
            trailers += _status_trailers(old, st.status)
            subject = "resolve"
        elif kind == "close":
            old, st.status = st.status, "closed"
            trailers += _status_trailers(old, st.status)
            subject = "close"
        elif kind == "escalate":
            old = st.line
            st.line = LINES[LINES.index(old) + 1]
            trailers += [("From-Line", old), ("To-Line", st.line), ("Reason", op.param)]
            st.comments.append(
                comment_entry(when, name, "internal", f"Escalated {old} → {st.line}: {op.param}")
            )
            subject = f"escalate {old} → {st.line} ({short(op.param, 40)})"
        elif kind == "log":
            minutes, note, prev_day = op.param
            work_day = when.date() - timedelta(days=1) if prev_day else when.date()
            path = worklog_path(work_day.strftime("%Y-%m"), email)
            entries = worklogs.setdefault(path, [])
            entries.append(worklog_entry(tid, minutes, work_day, note, name, when))
            extra_files[path] = "".join(entries).encode("utf-8")
            trailers += [("Minutes", str(minutes)), ("Worked-On", work_day.isoformat())]
            subject = f"log {format_duration(minutes * 60)}" + (
                f" ({short(note, 40)})" if note else ""
            )
            yield Commit(
                op.actor,
                when,
                committed,
                message(f"{tid}: {subject}", trailers),
                extra_files,
                op,
                tid,
            )
            continue
        elif kind.startswith("hand_"):
            # edited in an editor and committed with plain `git commit`: no trailers
            if kind == "hand_priority":
                msg = (
                    f"Set priority of {tid} to {op.param}\n\n"
                    f"The customer called; changed by hand in the ticket file.\n"
                )
                st.priority = op.param
            elif kind == "hand_close":
                msg = f"Close {tid} by hand\n\nThe customer confirmed the fix by phone.\n"
                st.status = "closed"
            else:
                msg = f"Mark {tid} as in progress\n"
                st.status = "in_progress"
            yield Commit(op.actor, when, committed, msg, {st.path: st.render()}, op, tid)
            continue
        else:
            raise AssertionError(kind)
        yield Commit(
            op.actor,
            when,
            committed,
            message(f"{tid}: {subject}", trailers),
            {st.path: st.render(), **extra_files},
            op,
            tid,
        )


# -- the fast-import stream -----------------------------------------------------------------
def _git(repo: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, check=True, **kw)


def generate(
    n: int, m: int, out: Path, *, seed: int = SEED, repack: bool = False, verbose: bool = True
) -> dict[str, Any]:
    t0 = time.perf_counter()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    _git(out, "init", "-q", "-b", BRANCH)
    _git(out, "config", "gc.auto", "0")
    _git(out, "config", "user.name", "Bench Agent")
    _git(out, "config", "user.email", "bench@helpdesk.example")
    plans, ops, start = make_plan(n, m, seed)
    t_plan = time.perf_counter()
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=out,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    w = io.BufferedWriter(proc.stdin, buffer_size=1 << 20)  # type: ignore[arg-type]
    ref = f"refs/heads/{BRANCH}".encode()
    commits = hand = backdated = 0
    for c in render_commits(plans, ops, start):
        who = PEOPLE[c.author]
        ident = f"{who[0]} <{who[1]}>".encode()
        msg = c.message.encode("utf-8")
        chunks = [
            b"commit ",
            ref,
            b"\n",
            b"author ",
            ident,
            f" {int(c.at.timestamp())} {git_tz(c.at)}\n".encode(),
            b"committer ",
            ident,
            f" {int(c.committed.timestamp())} {git_tz(c.committed)}\n".encode(),
            b"data ",
            str(len(msg)).encode(),
            b"\n",
            msg,
            b"\n",
        ]
        for path, content in c.files.items():
            chunks += [
                b"M 100644 inline ",
                path.encode(),
                b"\ndata ",
                str(len(content)).encode(),
                b"\n",
                content,
                b"\n",
            ]
        w.write(b"".join(chunks))
        commits += 1
        if c.op is not None and c.op.kind.startswith("hand_"):
            hand += 1
        if c.committed != c.at:
            backdated += 1
    w.write(b"done\n")
    w.flush()
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    t_import = time.perf_counter()
    if repack:
        _git(out, "repack", "-a", "-d", "-f", "-q")
    t_repack = time.perf_counter()
    _git(out, "reset", "--hard", "-q")
    t_end = time.perf_counter()
    pack_bytes = sum(p.stat().st_size for p in (out / ".git" / "objects" / "pack").glob("*.pack"))
    stats = {
        "tickets": sum(1 for o in ops if o.kind == "new"),
        "commits": commits,
        "hand_edits": hand,
        "backdated": backdated,
        "pack_mib": round(pack_bytes / 2**20, 1),
        "plan_s": round(t_plan - t0, 1),
        "fast_import_s": round(t_import - t_plan, 1),
        "repack_s": round(t_repack - t_import, 1) if repack else None,
        "checkout_s": round(t_end - t_repack, 1),
        "total_s": round(t_end - t0, 1),
        "first": datetime.fromtimestamp(ops[0].at, UTC).date().isoformat() if ops else None,
        "last": datetime.fromtimestamp(max(o.at for o in ops), UTC).date().isoformat()
        if ops
        else None,
    }
    if verbose:
        print(" ".join(f"{k}={v}" for k, v in stats.items()), file=sys.stderr)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=20_000)
    ap.add_argument("--commits", type=int, default=200_000)
    ap.add_argument("--out", type=Path, required=True, help="new (or empty) folder for the repo")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument(
        "--repack", action="store_true", help="run `git repack -a -d -f` once after the import"
    )
    args = ap.parse_args(argv)
    generate(args.tickets, args.commits, args.out, seed=args.seed, repack=args.repack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
