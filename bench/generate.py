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
  globex, `.gitattributes`, `.gitkeep` files), then a hand commit adding a `basic` plan
  and five more customers on the three plans with different packages, rates and
  currencies, three of them Russian or Ukrainian (Cyrillic names, mostly Russian or
  Ukrainian titles);
* N tickets created over about a year (mostly on weekdays in office hours), each living
  through new, public replies and internal notes, start, wait/start, escalate, log,
  assign, tag, link (related, duplicate of, parent), edit (priority, class, title),
  a link to a KB article, resolve, close and now and then reopen, until about M commits
  are made; tickets opened in the last weeks are still open at the end;
* N / 65 KB articles (`kb new`, in English, Russian and Ukrainian) written by L2/L3
  agents through the year; about one ticket in ten is linked to one (`kb link`);
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
from supportctl.domain.articles import (
    article_path,
    new_slug,
    render_article,
    set_key,
    str_list,
    update_article,
)
from supportctl.domain.durations import format_duration
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import worklog_path
from supportctl.ops.init import FOLDERS, GITATTRIBUTES, example_config
from supportctl.storage.transaction import commit_message, short

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
UK_TITLES = [
    "Не працює VPN після зміни пароля",
    "Не друкуються чеки на касі №1",
    "Повільно відкривається звіт за місяць",
    "Не надходять листи для скидання пароля",
    "Додати нового співробітника до CRM",
    "Помилка синхронізації зі складом",
]
UK_TEXTS = [
    "Добрий день! Ми розбираємося з проблемою.",
    "Перевірили журнали, помилок немає.",
    "Проблема з'явилася після оновлення.",
]

# key, weight, title language ("en", "ru", "uk"); the config block below declares them
CUSTOMERS = [
    ("acme", 25, "en"),
    ("globex", 20, "en"),
    ("initech", 12, "en"),
    ("umbrella", 8, "en"),
    ("romashka", 15, "ru"),
    ("kvitka", 10, "uk"),
    ("vektor", 10, "ru"),
]
EXTRA_PLANS = """\
  basic:
    calendar: office
    rules:
      - when: {priority: critical}
        first_response: 1h
        resolution: 16h
      - first_response: 8h
        resolution: 5d
"""
EXTRA_CUSTOMERS = """\
  initech:
    name: Initech
    plan: standard
    package: {hours: 20, rollover: false}
    rate: 45
    currency: USD
    credits: {per_breach: 2%, cap: 10%}
    fee: 3000
  umbrella:
    name: Umbrella Corporation
    plan: premium
    package: {hours: 80, rollover: true}
    rate: 70
    currency: EUR
    credits: {per_breach: 5%, cap: 25%}
    fee: 9000
  romashka:
    name: ООО «Ромашка»
    plan: standard
    package: {hours: 5, rollover: false}
    rate: 2000
    currency: RUB
  kvitka:
    name: ТОВ «Квітка»
    plan: premium
    package: {hours: 15, rollover: true}
    rate: 1200
    currency: UAH
    credits: {per_breach: 3%, cap: 15%}
    fee: 40000
  vektor:
    name: АО «Вектор»
    plan: basic
    rate: 3000
    currency: RUB
"""
CONFIG_MESSAGE = (
    "Add customers Initech, Umbrella, Romashka, Kvitka and Vektor\n\nAnd the basic plan.\n"
)


def desk_config() -> bytes:
    """The packaged config plus the customers and plan added by hand after `init`."""
    text = example_config().decode("utf-8")
    plans_end = text.index("\ncustomers:\n")
    text = text[:plans_end] + "\n" + EXTRA_PLANS.rstrip("\n") + text[plans_end:]
    agents = text.index("\n# Agents")
    text = text[:agents] + "\n" + EXTRA_CUSTOMERS.rstrip("\n") + text[agents:]
    return text.encode("utf-8")


# -- KB articles: (title, tags) per language; bodies from the headings supportctl drafts use
KB_TOPICS = {
    "en": [
        ("VPN drops after a password change", ["vpn"]),
        ("Invoices are not exported to 1C", ["1c"]),
        ("Password reset email does not arrive", ["mail"]),
        ("API answers 429 Too Many Requests", ["api"]),
        ("Receipt printer stops printing", ["printer"]),
        ("Duplicate contacts after a CRM import", ["crm"]),
        ("Disk space alert on the database server", []),
        ("Two-factor codes are rejected", []),
        ("Webhook deliveries are delayed", ["api"]),
        ("Slow monthly reports", []),
        ("Outgoing mail lands in spam", ["mail"]),
        ("Mobile app crashes on start", []),
    ],
    "ru": [
        ("Не печатаются чеки на кассе", ["printer"]),
        ("Не выгружаются заказы в 1С", ["1c"]),
        ("Медленно формируются отчёты", []),
        ("Не приходят письма со сбросом пароля", ["mail"]),
        ("Ошибка 500 при оформлении заказа", []),
        ("Как добавить сотрудника в CRM", ["crm"]),
    ],
    "uk": [
        ("Не працює VPN після зміни пароля", ["vpn"]),
        ("Не друкуються чеки на касі", ["printer"]),
        ("Помилка синхронізації зі складом", []),
        ("Як додати співробітника до CRM", ["crm"]),
    ],
}
KB_VARIANTS = {
    "en": ["", "on Windows", "on macOS", "in the web client", "after the update", "for new users"],
    "ru": ["", "на Windows", "в веб-клиенте", "после обновления", "у новых сотрудников"],
    "uk": ["", "на Windows", "у веб-клієнті", "після оновлення"],
}
KB_BODIES = {
    "en": (
        "## Problem\n\n{title}.\n\n## Cause\n\nAn expired token in the integration settings"
        " or a stale client cache.\n\n## Resolution\n\n1. Open the settings.\n"
        "2. Renew the token.\n3. Restart the service and check the log.\n"
    ),
    "ru": (
        "## Проблема\n\n{title}.\n\n## Причина\n\nУстаревшие настройки интеграции"
        " после обновления.\n\n## Решение\n\n1. Откройте настройки.\n"
        "2. Обновите токен доступа.\n3. Перезапустите службу и проверьте журнал.\n"
    ),
    "uk": (
        "## Проблема\n\n{title}.\n\n## Причина\n\nЗастарілі налаштування інтеграції"
        " після оновлення.\n\n## Рішення\n\n1. Відкрийте налаштування.\n"
        "2. Оновіть токен доступу.\n3. Перезапустіть службу та перевірте журнал.\n"
    ),
}
TITLE_SUFFIXES = [" (again)", " — urgent", " (all users)", " [повторно]"]

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
    "assign": 2 * 3600,
    "tag": 3 * 3600,
    "link": 5 * 3600,
    "edit": 4 * 3600,
    "kb_link": 8 * 3600,
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
    kb_linked = False
    while extra > 0:
        r = rng.random()
        if r < 0.10 and extra >= 2:
            middle += ["wait", "resume"]
            extra -= 2
            continue
        if r < 0.17 and escalations < (3 if rng.random() < 0.1 else 2):
            middle.append("escalate")
            escalations += 1
        elif r < 0.38:
            middle.append("comment")
        elif r < 0.55:
            middle.append("note")
        elif r < 0.80:
            middle.append("log")
        elif r < 0.86:
            middle.append("assign")
        elif r < 0.905:
            middle.append("tag")
        elif r < 0.935:
            middle.append("link")
        elif r < 0.96:
            middle.append("edit")
        elif r < 0.985 and not kb_linked:
            middle.append("kb_link")
            kb_linked = True
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
    customer, _, lang = rng.choices(CUSTOMERS, weights=[c[1] for c in CUSTOMERS])[0]
    native = rng.random() < 0.7
    if lang == "ru" and native:
        title = rng.choice(CYRILLIC_TITLES[:4] + CYRILLIC_TITLES[5:])
    elif lang == "uk" and native:
        title = rng.choice(UK_TITLES)
    else:
        title = rng.choice(CYRILLIC_TITLES if rng.random() < 0.03 else TITLES)
    ntags = rng.choices([0, 1, 2], weights=[60, 30, 10])[0]
    tags = tuple(sorted(set(rng.sample(TAGS, ntags))))
    return TicketPlan(
        created=created,
        title=title,
        customer=customer,
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


@dataclass
class ArticlePlan:
    created: int
    title: str
    lang: str
    tags: tuple[str, ...]
    customers: tuple[str, ...]
    author: int  # index into PEOPLE


def _article_plans(rng: random.Random, count: int, start: int) -> list[ArticlePlan]:
    """KB articles written by L2/L3 agents through the year, each title once."""
    writers = BY_LINE["L2"] + BY_LINE["L3"]
    seen: set[str] = set()
    out = []
    for _ in range(count):
        lang = rng.choices(["en", "ru", "uk"], weights=[60, 25, 15])[0]
        for _try in range(20):
            topic, tags = rng.choice(KB_TOPICS[lang])
            variant = rng.choice(KB_VARIANTS[lang])
            title = f"{topic} {variant}".strip()
            if title not in seen:
                break
            title = f"{title} ({rng.randint(2, 999)})"
            if title not in seen:
                break
        seen.add(title)
        customer = [c[0] for c in CUSTOMERS if c[2] == lang or lang == "en"]
        customers = (rng.choice(customer),) if rng.random() < 0.3 else ()
        author = rng.choice(writers)
        created = start + 7 * 86400 + rng.randrange((DAYS - 14) * 86400)
        created = working_time(rng, created, PEOPLE[author][2], 0.95)
        out.append(ArticlePlan(created, title, lang, tuple(tags), customers, author))
    out.sort(key=lambda a: a.created)
    return out


def make_plan(n: int, m: int, seed: int = SEED) -> tuple[list[TicketPlan], list[Op], int]:
    """Tickets, KB articles and their actions in commit order; about m - 2 actions (plus the
    init commit and the commit that adds customers)."""
    start = int(START.timestamp())
    end = start + DAYS * 86400
    mean = max(1.0, (m - 1) / max(n, 1))
    scale = 1.0
    best: tuple[int, list[TicketPlan], list[Op]] | None = None
    for _attempt in range(6):  # tickets opened late lose their tail: scale lives to hit m
        rng = random.Random(seed)
        created = _created_times(rng, n, start)
        plans = [_ticket_plan(rng, c) for c in created]
        articles = _article_plans(rng, max(3, n // 65) if n >= 20 else 0, start)
        ops: list[Op] = [
            Op(a.created, -1 - i, 0, "kb_new", a.author, a.created, a)
            for i, a in enumerate(articles)
        ]
        for ti, tp in enumerate(plans):
            k = max(1, round(rng.gammavariate(3.0, mean * scale / 3.0)))
            ops.extend(_ticket_ops(rng, ti, tp, _life(rng, k), end, plans, articles))
        got = len(ops) + 2  # plus init and the config commit
        if best is None or abs(got - m) < best[0]:
            best = (abs(got - m), plans, ops)
        if abs(got - m) <= max(2, m // 200) or n == 0:
            break
        scale *= (m - 2) / max(1, got - 2)
    assert best is not None
    _, plans, ops = best
    ops.sort(key=lambda o: (o.committed, o.ticket, o.seq))
    return plans, ops, start


def _ticket_ops(
    rng: random.Random,
    ti: int,
    tp: TicketPlan,
    life: list[str],
    end: int,
    plans: list[TicketPlan],
    articles: list[ArticlePlan],
) -> list[Op]:
    out: list[Op] = []
    owner = rng.choice(BY_LINE["L1"])
    line_agent = {"L1": owner}
    line_idx = 0
    t = tp.created
    priority = tp.priority
    assignee, tags, cls, title = tp.assignee, list(tp.tags), tp.cls, tp.title
    linked: set[tuple[str, int]] = set()
    for seq, planned in enumerate(life):
        kind = planned
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
        elif kind == "assign":
            handles = [AGENTS[i][4] for i in BY_LINE[LINES[line_idx]]]
            handles = [h for h in handles if h != assignee]
            if handles:
                assignee = param = rng.choice(handles)
        elif kind == "tag":
            if tags and rng.random() < 0.3:
                removed = rng.choice(tags)
                tags.remove(removed)
                param = ((), (removed,))
            else:
                added = rng.choice([x for x in TAGS if x not in tags])
                tags.append(added)
                param = ((added,), ())
        elif kind == "link":
            # to a ticket opened at least three days earlier (its `new` is committed by then)
            lo = max(0, ti - 400)
            j = rng.randrange(lo, ti) if ti > lo else -1
            if j >= 0 and plans[j].created < t - 3 * 86400:
                how = rng.choices(["related", "duplicate_of", "parent"], weights=[70, 20, 10])[0]
                if how != "related" and any(k == how for k, _ in linked):
                    how = "related"
                if (how, j) not in linked:
                    linked.add((how, j))
                    param = (how, j)
        elif kind == "edit":
            r = rng.random()
            if r < 0.5:
                i = PRIORITIES.index(priority)
                priority = PRIORITIES[i - 1 if i > 0 and (i == 3 or rng.random() < 0.5) else i + 1]
                param = (("priority", priority),)
            elif r < 0.8:
                cls = rng.choice([c for c in CLASSES if c != cls])
                param = (("class", cls),)
            else:
                suffix = rng.choice(TITLE_SUFFIXES)
                if not title.endswith(suffix):
                    title = title + suffix
                    param = (("title", title),)
        elif kind == "kb_link":
            ready = [i for i, a in enumerate(articles) if a.created < t - 86400]
            if ready:
                param = rng.choice(ready[-60:])
        if param is None and kind in ("assign", "tag", "link", "edit", "kb_link"):
            kind, param = "note", rng.choice(INTERNAL_NOTES)  # nothing to change: a note instead
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
    title: str | Styled = ""
    cls: str | None = None
    assignee: str | None = None
    tags: list[str] = field(default_factory=list)
    links: list[tuple[str, Any]] = field(default_factory=list)  # (kind, ID or list of IDs)
    kb: str | None = None

    def render(self) -> bytes:
        p = self.plan
        parts = [
            f"id: {self.id}\n",
            kv("title", self.title),
            kv("customer", p.customer),
            kv("type", p.type),
            kv("priority", self.priority),
        ]
        if self.cls:
            parts.append(kv("class", self.cls))
        parts.append(kv("channel", p.channel))
        if p.reporter:
            parts.append(kv("reporter", p.reporter))
        parts += [
            kv("status", self.status),
            kv("line", self.line),
            kv("assignee", self.assignee),
            kv("tags", tuple(self.tags)),
            f"created: '{self.created_iso}'\n",
            kv("description", p.description),
        ]
        if self.links:
            parts.append(
                links_text(
                    tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.links)
                )
            )
        if self.kb:
            parts.append(kv("kb", self.kb))
        if self.resolution is not None:
            parts.append(kv("resolution", self.resolution))
        if self.comments:
            parts.append("comments:\n")
            parts += self.comments
        return "".join(parts).encode("utf-8")


def links_text(links: tuple[tuple[str, Any], ...]) -> str:
    """The `links:` mapping as `link` writes it: `related` a flow list, the others one ID."""
    k = ("links", links)
    hit = _memo.get(k)
    if hit is None:
        inner = CommentedMap()
        for kind, value in links:
            if isinstance(value, tuple):
                seq = CommentedSeq(list(value))
                seq.fa.set_flow_style()
                inner[kind] = seq
            else:
                inner[kind] = value
        m = CommentedMap()
        m["links"] = inner
        hit = _memo[k] = yamlio.dump(m).decode("utf-8")
    return hit


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


def _text(value: str | Styled) -> str:
    return value.text if isinstance(value, Styled) else value


def _set_list(meta: Any, key: str, values: list[str]) -> None:
    seq = str_list(meta, key)
    seq[:] = values


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
    config_at = local(start - 86400 + 3600, REVIEWER[2])
    yield Commit(init_who, config_at, config_at, CONFIG_MESSAGE, {"supportctl.yaml": desk_config()})

    states: dict[int, TicketState] = {}
    worklogs: dict[str, list[str]] = {}
    kb: dict[int, tuple[str, bytes, list[str]]] = {}  # article -> slug, text, tickets
    slugs: set[str] = set()
    number = 0
    for op in ops:
        who = PEOPLE[op.actor]
        name, email, tzname = who[0], who[1], who[2]
        when = local(op.at, tzname)
        committed = local(op.committed, tzname)
        kind = op.kind
        if kind == "kb_new":
            a: ArticlePlan = op.param
            slug = new_slug(a.title, slugs.__contains__)
            slugs.add(slug)
            day = when.date()
            text = update_article(
                render_article(
                    title=a.title,
                    tags=a.tags,
                    customers=a.customers,
                    body=KB_BODIES[a.lang].format(title=a.title),
                ),
                lambda meta, day=day: set_key(meta, "updated", day),  # type: ignore[misc]
            )
            kb[op.ticket] = (slug, text, [])
            subject = f"KB: new article {slug}: {short(a.title)}"
            yield Commit(
                op.actor,
                when,
                committed,
                commit_message(subject, [("Action", "kb-new"), ("Kb", slug)]),
                {article_path(slug): text},
                op,
            )
            continue
        if kind == "new":
            number += 1
            tid = f"SUP-{number}"
            p = plans[op.ticket]
            st = states[op.ticket] = TicketState(
                tid,
                ticket_path(tid),
                p,
                when.isoformat(),
                priority=p.priority,
                title=p.title,
                cls=p.cls,
                assignee=p.assignee,
                tags=list(p.tags),
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
                commit_message(f"{tid}: {subject}", trailers),
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
                commit_message(f"{tid}: {subject}", trailers),
                extra_files,
                op,
                tid,
            )
            continue
        elif kind == "assign":
            old_a, st.assignee = st.assignee, op.param
            trailers += [("From-Assignee", old_a or "-"), ("To-Assignee", op.param)]
            subject = f"assign to {op.param}"
        elif kind == "tag":
            added, removed = op.param
            for x in removed:
                st.tags.remove(x)
            st.tags += added
            if added:
                trailers.append(("Tags-Added", " ".join(added)))
            if removed:
                trailers.append(("Tags-Removed", " ".join(removed)))
            subject = "tag " + " ".join([f"+{x}" for x in added] + [f"-{x}" for x in removed])
        elif kind == "link":
            how, j = op.param
            oid = states[j].id
            related = [v for k, v in st.links if k == "related"]
            if how == "related" and related:
                related[0].append(oid)
            else:
                st.links.append((how, [oid] if how == "related" else oid))
            trailers.append(("Link", f"{how} {oid}"))
            subject = f"{how.replace('_', ' ')} {oid}"
        elif kind == "edit":
            parts = []
            changed: dict[str, tuple[str, str]] = {}
            for key, value in op.param:
                if key == "priority":
                    old_v, st.priority = st.priority, value
                elif key == "class":
                    old_v, st.cls = st.cls or "", value
                else:
                    old_v = _text(st.title)
                    st.title = replaced("title", st.title, value)
                changed[key] = (old_v, value)
                parts.append(f"{key} {short(str(old_v or '-'), 30)} → {short(value, 30)}")
            for key in ("priority", "class", "title"):  # the order of TRACKED_FIELDS
                if key in changed:
                    old_v, new_v = changed[key]
                    name_ = key.capitalize()
                    trailers += [(f"From-{name_}", old_v or "-"), (f"To-{name_}", new_v)]
            subject = "edit " + ", ".join(parts)
        elif kind == "kb_link":
            slug, text, linked = kb[-1 - op.param]
            linked.append(tid)
            text = update_article(text, lambda meta, t=list(linked): _set_list(meta, "tickets", t))
            kb[-1 - op.param] = (slug, text, linked)
            st.kb = slug
            trailers[1] = ("Action", "kb-link")
            trailers.append(("Kb", slug))
            subject = f"link KB article {slug}"
            extra_files[article_path(slug)] = text
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
            commit_message(f"{tid}: {subject}", trailers),
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
        "customers": len(CUSTOMERS),
        "kb_articles": sum(1 for o in ops if o.kind == "kb_new"),
        "kb_links": sum(1 for o in ops if o.kind == "kb_link"),
        "assign_tag_link_edit": sum(1 for o in ops if o.kind in ("assign", "tag", "link", "edit")),
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
