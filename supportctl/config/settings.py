"""supportctl.yaml: load, check and expose the desk's configuration.

Every mistake is reported as `supportctl.yaml:LINE: message`, because users write
this file by hand and reviewers read it in diffs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.durations import parse_duration
from supportctl.domain.errors import ConfigError, GitError, NotFound, UsageError
from supportctl.domain.ids import is_prefix
from supportctl.domain.ticket import PRIORITIES as PRIORITY_NAMES
from supportctl.domain.ticket import vocabulary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from supportctl.sla.calendar import Calendar

CONFIG_NAME = "supportctl.yaml"
METRICS = ("first_response", "start_work", "resolution")
WHEN_KEYS = ("priority", "type", "class", "line", "channel")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


@dataclass(frozen=True)
class Rule:
    when: dict[str, tuple[str, ...]]
    targets: dict[str, int]
    calendar: str
    line: int = 0

    def matches(self, ticket: Mapping[str, Any]) -> bool:
        return all(str(ticket.get(key) or "") in values for key, values in self.when.items())

    def describe(self) -> str:
        """`priority=critical|high, type=incident`, or `any ticket`."""
        return ", ".join(f"{k}={'|'.join(v)}" for k, v in self.when.items()) or "any ticket"


@dataclass(frozen=True)
class Availability:
    """An `availability:` section as written on a plan or a customer: services with their
    target (a percent), and, when given, the calendar and the alert severities."""

    services: tuple[tuple[str, float], ...] = ()
    calendar: str | None = None
    severities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AvailabilityTerms:
    """What a customer is promised: its plan's `availability` with its own on top (the
    customer's target wins per service, its calendar and severities when it names them)."""

    services: dict[str, float]
    calendar: str = "24x7"
    severities: tuple[str, ...] = ("critical",)


@dataclass(frozen=True)
class Plan:
    name: str
    calendar: str
    warn_at: float
    rules: tuple[Rule, ...]
    availability: Availability = Availability()
    # the share of clocks the plan promises to meet in a month (0..1); None: no promise
    compliance_target: float | None = None

    def rule_for(self, ticket: Mapping[str, Any]) -> tuple[int, Rule] | None:
        """The first rule `ticket` matches, with its number in the plan (from 1)."""
        return next(((i, r) for i, r in enumerate(self.rules, 1) if r.matches(ticket)), None)


@dataclass(frozen=True)
class Customer:
    key: str
    name: str
    plan: str
    package_hours: float = 0.0
    rollover: bool = False
    rate: float = 0.0
    currency: str = ""
    credit_per_breach: float = 0.0
    credit_cap: float = 0.0
    fee: float = 0.0
    contacts: tuple[Contact, ...] = ()
    domains: tuple[str, ...] = ()
    language: str = "en"  # of what the customer reads from the desk: mail now, reports later
    availability: Availability = Availability()
    # a fraction of the fee per service below its availability target, or instead steps
    # (below this availability percent, this fraction): the worst step a service reaches
    credit_per_availability_breach: float = 0.0
    availability_steps: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Contact:
    """A customer's known e-mail address (`reports`: it receives the monthly report)."""

    email: str  # lower-cased
    name: str = ""
    reports: bool = False


@dataclass(frozen=True)
class ServerSettings:
    """An SMTP or IMAP server; the password is read from the environment variable
    `password_env`, never kept in the file."""

    host: str
    port: int
    security: str  # ssl | starttls | none
    user: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    done_folder: str | None = None


DEFAULT_FALLBACK_CHARSETS = ("koi8-r", "cp1251", "cp866")


@dataclass(frozen=True)
class MailSettings:
    """The `mail:` section. `unknown_sender` is `quarantine` or a customer key."""

    address: str = ""
    smtp: ServerSettings | None = None
    imap: ServerSettings | None = None
    unknown_sender: str = "quarantine"
    reopen_days: int = 14
    fallback_charsets: tuple[str, ...] = DEFAULT_FALLBACK_CHARSETS
    max_auto_per_day: int = 40
    acknowledge: bool = False
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 20


@dataclass(frozen=True)
class Agent:
    handle: str
    name: str
    email: str
    line: str


@dataclass
class Config:
    path: Path
    id_prefix: str
    lines: tuple[str, ...]
    plans: dict[str, Plan]
    customers: dict[str, Customer]
    agents: dict[str, Agent]
    calendar_specs: dict[str, Any]
    backdate_tolerance: int = 600
    timezone: str = "UTC"
    mail: MailSettings = field(default_factory=MailSettings)
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings())
    # The work tree's supportctl.yaml when it differs from this (committed) one.
    uncommitted: bytes | None = field(default=None, repr=False)
    _calendars: dict[str, Calendar] = field(default_factory=dict, repr=False)

    # A pickled configuration (the cache of a parsed supportctl.yaml) keeps its calendar
    # specs, ruamel's mappings with the lines their mistakes are reported at, as pickled
    # bytes of their own, read back when first used: unpickling them imports ruamel, which
    # costs more than `show` or `list` do, and neither reads a calendar.
    def __getstate__(self) -> dict[str, Any]:
        import pickle

        state = dict(self.__dict__)
        if "calendar_specs" in state:
            state["calendar_specs_pickled"] = pickle.dumps(state.pop("calendar_specs"))
        return state

    def __getattr__(self, name: str) -> Any:
        pickled = self.__dict__.get("calendar_specs_pickled")
        if name != "calendar_specs" or pickled is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        import pickle

        specs = pickle.loads(pickled)
        self.__dict__["calendar_specs"] = specs
        del self.__dict__["calendar_specs_pickled"]
        return specs

    def customer(self, key: str) -> Customer:
        try:
            return self.customers[key]
        except KeyError:
            self.refuse_uncommitted("customers", key)
            known = ", ".join(sorted(self.customers)) or "none configured"
            raise NotFound(f"unknown customer {key!r} (known: {known})") from None

    def check_agent(self, handle: str | None) -> None:
        """When agents are listed, an assignee must be one of them (as `validate` demands)."""
        if handle and self.agents and handle not in self.agents:
            self.refuse_uncommitted("agents", handle)
            known = ", ".join(sorted(self.agents))
            raise NotFound(f"unknown agent {handle!r} (known: {known})")

    def refuse_uncommitted(self, section: str, name: str) -> None:
        """Raise GitError when `name` is unknown here but the uncommitted edit of the file
        adds it under `section`: recording it would commit a ticket that names something
        no other clone's configuration knows."""
        if self.uncommitted is None:
            return
        try:
            data = yamlio.load(self.uncommitted)
        except yamlio.YamlProblem:
            return
        found = data.get(section) if isinstance(data, dict) else None
        names = [str(x) for x in found] if isinstance(found, list | dict) else []
        if name in names:
            what = {"customers": "customer", "agents": "agent", "lines": "line"}.get(
                section, section
            )
            raise GitError(
                f"{what} {name!r} is only in the uncommitted {self.path.name}; commit the "
                f"configuration first: git commit {self.path.name} -m 'Add {what} {name}'"
            )

    def calendar(self, name: str) -> Calendar:
        """The calendar `name`. The first call builds every calendar, so a mistake in any
        of them stops every SLA computation, with all such mistakes listed at once."""
        from supportctl.sla.calendar import CALENDAR_24X7

        if not self._calendars:
            problems = self._build_calendars()
            if problems:
                raise ConfigError("\n".join(problems))
        if name == "24x7" and name not in self.calendar_specs:
            return CALENDAR_24X7
        if name not in self._calendars:
            raise ConfigError(f"{self.path.name}: unknown calendar {name!r}")
        return self._calendars[name]

    def _build_calendars(
        self, skip: frozenset[str] = frozenset(), *, public_holidays: bool = True
    ) -> list[str]:
        """Build every calendar; the mistakes found, as `file:line: message`. Without
        `public_holidays` the country is not looked up (the `holidays` package takes
        ~0.2 s to load) and nothing is kept: a quick check that every command can afford."""
        from supportctl.sla.calendar import calendar_from_config

        problems = []
        for name, spec in self.calendar_specs.items():
            if name in skip:
                continue
            try:
                if public_holidays:
                    self._calendars[name] = calendar_from_config(name, spec)
                else:
                    quick = {k: v for k, v in spec.items() if k not in ("country", "subdivision")}
                    calendar_from_config(name, quick)
            except ValueError as exc:
                line = _line_at(spec, getattr(exc, "path", ())) or yamlio.line_of(
                    self.calendar_specs, name
                )
                message = str(exc).removeprefix(f"calendar {name!r}: ")
                problems.append(f"{self.path.name}:{line}: calendar {name}: {message}")
        if problems:
            self._calendars.clear()
        return problems

    def availability(self, customer: str) -> AvailabilityTerms | None:
        """The availability `customer` is promised; None when no service has a target."""
        found = self.customers.get(customer)
        if found is None:
            return None
        plan = self.plans.get(found.plan)
        base = plan.availability if plan is not None else Availability()
        own = found.availability
        services = {**dict(base.services), **dict(own.services)}
        if not services:
            return None
        return AvailabilityTerms(
            services,
            own.calendar or base.calendar or "24x7",
            own.severities if own.severities is not None else (base.severities or ("critical",)),
        )

    def agent_for_email(self, email: str) -> Agent | None:
        return next((a for a in self.agents.values() if a.email.lower() == email.lower()), None)

    def customer_for_address(self, email: str) -> str | None:
        """The customer an e-mail address belongs to: a contact's exact address first, then
        its domain (or a parent domain: `acme.example` also covers `mx.acme.example`); None
        when no customer claims it (`mail.unknown_sender` decides then)."""
        address = email.strip().lower()
        for customer in self.customers.values():
            if any(c.email == address for c in customer.contacts):
                return customer.key
        domain = address.rpartition("@")[2]
        while domain:
            for customer in self.customers.values():
                if domain in customer.domains:
                    return customer.key
            domain = domain.partition(".")[2]
        return None


def _line_at(spec: Any, path: tuple[str | int, ...]) -> int:
    """Line of the key at `path` inside a calendar's mapping (0 when it cannot be found)."""
    container = spec
    try:
        for key in path[:-1]:
            container = container[key]
    except (KeyError, IndexError, TypeError):
        return 0
    return yamlio.line_of(container, path[-1]) if path else 0


TOP_KEYS = (
    "id_prefix",
    "timezone",
    "lines",
    "backdate_tolerance",
    "calendars",
    "plans",
    "customers",
    "agents",
    "mail",
    "alerts",
)
CALENDAR_KEYS = ("timezone", "hours", "country", "subdivision", "holidays", "workdays")
PLAN_KEYS = ("calendar", "warn_at", "rules", "availability", "compliance_target")
RULE_KEYS = ("when", *METRICS, "calendar")
CUSTOMER_KEYS = (
    "name",
    "plan",
    "package",
    "rate",
    "currency",
    "credits",
    "fee",
    "contacts",
    "domains",
    "language",
    "availability",
)
LANGUAGES = ("en", "ru", "uk")
CONTACT_KEYS = ("email", "name", "reports")
MAIL_KEYS = (
    "address",
    "smtp",
    "imap",
    "unknown_sender",
    "reopen_days",
    "fallback_charsets",
    "max_auto_per_day",
    "acknowledge",
    "max_attachment_bytes",
    "max_attachments",
)
SERVER_KEYS = ("host", "port", "security", "user", "password_env", "folder", "done_folder")
SECURITY = ("ssl", "starttls", "none")
_EMAIL_RE = re.compile(
    r"^[^@\s<>\"(),;:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?\s*$", re.IGNORECASE)
PACKAGE_KEYS = ("hours", "rollover")
CREDITS_KEYS = ("per_breach", "cap", "per_availability_breach", "availability_steps")
AVAILABILITY_KEYS = ("calendar", "severities", "services")
STEP_KEYS = ("below", "percent")
AGENT_KEYS = ("name", "email", "line")


def _unknown_key(key: Any, expected: tuple[str, ...], where: str) -> str:
    """`unknown key 'calender' in plan 'x' (did you mean 'calendar'?)`"""
    import difflib

    close = difflib.get_close_matches(str(key), expected, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(expected)}"
    return f"unknown key {str(key)!r} {where} ({hint})"


class _Checker:
    """Collects every mistake in the file (not only the first), each as `file:line: message`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, container: Any, key: Any, message: str) -> None:
        line = yamlio.line_of(container, key)
        where = f"{self.path.name}:{line}" if line else self.path.name
        self.problems.append(f"{where}: {message}")

    def keys(self, container: Any, expected: tuple[str, ...], where: str) -> None:
        for key in container:
            if key not in expected:
                self.fail(container, key, _unknown_key(key, expected, where))

    def mapping(self, container: Any, key: Any, what: str) -> dict[str, Any]:
        """`container[key]` when it is a mapping; {} (and a mistake) when it is not."""
        value = container.get(key) if isinstance(container, dict) else None
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(container, key, f"{what} must be a mapping, got {_kind(value)}")
            return {}
        return value

    def text(self, container: Any, key: str, what: str) -> str | None:
        value = container.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(container, key, f"{what} must be text, got {_kind(value)}")
            return None
        return value

    def duration(self, container: Any, key: str, what: str = "") -> int | None:
        raw = container[key]
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail(container, key, f"{what}bad {key} {raw!r}: expected a duration like 4h")
            return None
        try:
            return parse_duration(str(raw), what=key)
        except UsageError as exc:
            self.fail(container, key, what + exc.message)
            return None

    def percent(self, container: Any, key: str, default: float, what: str = "") -> float:
        raw = container.get(key)
        if raw is None:
            return default
        text = "" if isinstance(raw, bool) else str(raw).strip()
        try:
            if text.endswith("%"):
                value = float(text[:-1]) / 100  # `150%` is a mistake, never 1.5%
            else:
                value = float(text)
                if value > 1:  # a bare 80 means 80%
                    value /= 100
        except ValueError:
            self.fail(container, key, f"{what}`{key}` must be a percentage like 80%, got {raw!r}")
            return default
        if not 0 <= value <= 1:
            self.fail(container, key, f"{what}`{key}` must be between 0% and 100%")
            return default
        return value

    def number(self, container: Any, key: str, default: float = 0.0, what: str = "") -> float:
        raw = container.get(key)
        if raw is None:
            return default
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            # `.nan` and `.inf` are floats to YAML, and would put nan on an invoice
            self.fail(container, key, f"{what}`{key}` must be a number, got {raw!r}")
            return default
        if raw < 0:
            self.fail(container, key, f"{what}`{key}` must not be negative")
            return default
        return float(raw)

    def flag(self, container: Any, key: str, what: str = "") -> bool:
        raw = container.get(key, False)
        if not isinstance(raw, bool):
            # `rollover: no` is the text "no" in YAML 1.2, which bool() would read as true
            self.fail(container, key, f"{what}`{key}` must be true or false, got {raw!r}")
            return False
        return raw


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _parse_rule(
    chk: _Checker, rules: Any, idx: int, plan_cal: str, plan: str, lines: tuple[str, ...]
) -> Rule | None:
    raw = rules[idx]
    where = f"in rule {idx + 1} of plan {plan!r}"
    if not isinstance(raw, dict):
        chk.fail(rules, idx, f"plan {plan}: each rule must be a mapping, got {_kind(raw)}")
        return None
    before = len(chk.problems)
    chk.keys(raw, RULE_KEYS, where)
    when: dict[str, tuple[str, ...]] = {}
    when_map = chk.mapping(raw, "when", f"plan {plan}: `when`")
    chk.keys(when_map, WHEN_KEYS, f"in `when` of rule {idx + 1} of plan {plan!r}")
    for key, value in when_map.items():
        if key not in WHEN_KEYS:
            continue
        items = value if isinstance(value, list) else [value]
        if not items or any(isinstance(v, dict | list) or v is None for v in items):
            chk.fail(
                when_map, key, f"plan {plan}: `when` {key} must be a value or a list of values"
            )
            continue
        values = tuple(str(v) for v in items)
        vocab = vocabulary(lines).get(key)  # the values a ticket may hold; `class` is free
        for v in values:
            if vocab and v not in vocab:
                chk.fail(
                    when_map,
                    key,
                    f"plan {plan}: unknown {key} {v!r} (expected one of {', '.join(vocab)})",
                )
        when[key] = values
    targets: dict[str, int] = {}
    for m in METRICS:
        if raw.get(m) is not None:
            seconds = chk.duration(raw, m)
            if seconds is not None:
                targets[m] = seconds
    calendar = raw.get("calendar")
    if len(chk.problems) > before:
        return None
    return Rule(when, targets, str(calendar or plan_cal), yamlio.line_of(rules, idx))


def _target(chk: _Checker, container: Any, key: Any, what: str) -> float | None:
    """An availability percent in (0, 100]: `99.9`, or the text `99.9%`."""
    raw = container[key]
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().removesuffix("%"))
        except ValueError:
            value = None
    if value is None or not math.isfinite(value) or not 0 < value <= 100:
        chk.fail(container, key, f"{what} must be a percent above 0 and at most 100, got {raw!r}")
        return None
    return value


def _availability(
    chk: _Checker, spec: Any, owner: str, calendar_name: Callable[[Any, str, str, str], str]
) -> Availability:
    """`availability: {shop: 99.9}`, or the long form with `services`, `calendar` and
    `severities`. A mapping naming none of the long form's keys is the short form."""
    section = chk.mapping(spec, "availability", f"{owner}: `availability`")
    if not section:
        return Availability()
    long_form = any(k in AVAILABILITY_KEYS for k in section)
    if long_form:
        chk.keys(section, AVAILABILITY_KEYS, f"in the availability of {owner}")
        services = chk.mapping(section, "services", f"{owner}: availability `services`")
    else:
        services = section
    targets: list[tuple[str, float]] = []
    for service, raw in services.items():
        if not long_form and isinstance(raw, dict | list):
            # most likely a long-form key mistyped (`service:` for `services:`)
            chk.fail(services, service, _unknown_key(service, AVAILABILITY_KEYS, f"in {owner}"))
            continue
        if not isinstance(service, str) or not _KEY_RE.match(service):
            chk.fail(
                services,
                service,
                f"{owner}: service {service!r}: use lowercase letters, digits and . _ -",
            )
            continue
        target = _target(chk, services, service, f"{owner}: availability target of {service}")
        if target is not None:
            targets.append((service, target))
    if long_form and "services" not in section:
        chk.fail(spec, "availability", f"{owner}: `availability` names no `services`")
    calendar = None
    if long_form and "calendar" in section:
        calendar = calendar_name(section, "calendar", "24x7", f"{owner}: availability")
    severities = None
    raw_sev = section.get("severities") if long_form else None
    if raw_sev is not None:
        items = raw_sev if isinstance(raw_sev, list) else [raw_sev]
        if not items or not all(isinstance(x, str) and x.strip() for x in items):
            chk.fail(
                section,
                "severities",
                f"{owner}: availability `severities` must be a list of alert severities, "
                "e.g. [critical]",
            )
        else:
            severities = tuple(str(x).strip().lower() for x in items)
    return Availability(tuple(targets), calendar, severities)


def _steps(chk: _Checker, credits: Any, key: str) -> tuple[tuple[float, float], ...]:
    """`availability_steps: [{below: 99.9, percent: 5}, ...]` as (below, fraction)."""
    raw = credits.get("availability_steps")
    if raw is None:
        return ()
    who = f"customer {key}: "
    if "per_availability_breach" in credits:
        chk.fail(
            credits,
            "availability_steps",
            f"{who}give `per_availability_breach` or `availability_steps`, not both",
        )
        return ()
    if not isinstance(raw, list) or not raw:
        chk.fail(
            credits,
            "availability_steps",
            f"{who}`availability_steps` must be a list like [{{below: 99.9, percent: 5}}]",
        )
        return ()
    steps: list[tuple[float, float]] = []
    for i, step in enumerate(raw):
        if not isinstance(step, dict):
            chk.fail(raw, i, f"{who}each availability step must be a mapping with below, percent")
            continue
        chk.keys(step, STEP_KEYS, f"in an availability step of customer {key!r}")
        missing = [k for k in STEP_KEYS if k not in step]
        if missing:
            chk.fail(raw, i, f"{who}availability step without `{missing[0]}`")
            continue
        below = _target(chk, step, "below", f"{who}availability step `below`")
        share = chk.percent(step, "percent", -1.0, what=who)
        if below is not None and share >= 0:
            steps.append((below, share))
    return tuple(sorted(steps))


def _language(chk: Any, spec: dict[str, Any], key: str) -> str:
    language = chk.text(spec, "language", f"customer {key}: `language`")
    if language is None:
        return "en"
    if language not in LANGUAGES:
        chk.fail(
            spec,
            "language",
            f"customer {key}: unknown language {language!r} (expected one of {', '.join(LANGUAGES)})",
        )
        return "en"
    return str(language)


def parse_config(text: bytes, path: Path, *, deep: bool = False) -> Config:
    """The configuration in `text`, or ConfigError listing every mistake, one per line in
    file order. Calendars are checked too; with `deep`, also their country's public
    holidays (an unknown country), and they are kept built."""
    chk = _Checker(path)
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        where = f"{path.name}:{exc.line}" if exc.line else path.name
        raise ConfigError(f"{where}: {exc.message}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        lc = getattr(data, "lc", None)  # a list knows where it starts; a scalar is line 1
        line = lc.line + 1 if lc is not None and lc.line is not None else 1
        raise ConfigError(
            f"{path.name}:{line}: expected a mapping at the top level, got {_kind(data)}"
        )
    chk.keys(data, TOP_KEYS, "at the top level")

    prefix = str(data.get("id_prefix") or "SUP")
    if not is_prefix(prefix):
        chk.fail(data, "id_prefix", "`id_prefix` must be 1-10 capital letters/digits, e.g. SUP")
    raw_lines = data.get("lines") or ["L1", "L2", "L3"]
    if (
        not isinstance(raw_lines, list)
        or not raw_lines
        or any(isinstance(x, dict | list) or x is None for x in raw_lines)
        or len(set(map(str, raw_lines))) != len(raw_lines)
    ):
        chk.fail(
            data, "lines", "`lines` must be a non-empty list of distinct names, e.g. [L1, L2, L3]"
        )
        raw_lines = ["L1", "L2", "L3"]
    lines = tuple(str(x) for x in raw_lines)

    calendars = chk.mapping(data, "calendars", "`calendars`")
    broken_calendars: set[str] = set()
    for name, spec in calendars.items():
        if not isinstance(spec, dict):
            chk.fail(calendars, name, f"calendar {name} must be a mapping, got {_kind(spec)}")
            broken_calendars.add(str(name))
            continue
        before = len(chk.problems)
        chk.keys(spec, CALENDAR_KEYS, f"in calendar {name!r}")
        if "timezone" not in spec:
            chk.fail(calendars, name, f"calendar {name}: missing `timezone`")
        if len(chk.problems) > before:
            broken_calendars.add(str(name))

    def calendar_name(container: Any, key: str, default: str, owner: str) -> str:
        raw = container.get(key)
        name = str(raw or default)
        if raw is not None and not isinstance(raw, str):
            chk.fail(container, key, f"{owner}: `calendar` must be a calendar's name")
        elif name != "24x7" and name not in calendars:
            known = ", ".join(["24x7", *map(str, calendars)])
            chk.fail(container, key, f"{owner}: unknown calendar {name!r} (known: {known})")
        return name

    plans: dict[str, Plan] = {}
    raw_plans = chk.mapping(data, "plans", "`plans`")
    for name, spec in raw_plans.items():
        if not isinstance(spec, dict):
            chk.fail(raw_plans, name, f"plan {name} must be a mapping, got {_kind(spec)}")
            continue
        chk.keys(spec, PLAN_KEYS, f"in plan {name!r}")
        cal = calendar_name(spec, "calendar", "24x7", f"plan {name}")
        rules_raw = spec.get("rules") or []
        if not isinstance(rules_raw, list):
            chk.fail(spec, "rules", f"plan {name}: `rules` must be a list, got {_kind(rules_raw)}")
            rules_raw = []
        rules: list[Rule] = []
        for i in range(len(rules_raw)):
            rule = _parse_rule(chk, rules_raw, i, cal, str(name), lines)
            if isinstance(rules_raw[i], dict) and "calendar" in rules_raw[i]:
                calendar_name(rules_raw[i], "calendar", cal, f"plan {name}")
            if rule is not None:
                rules.append(rule)
        target = (
            chk.percent(spec, "compliance_target", 0.0, f"plan {name}: ")
            if spec.get("compliance_target") is not None
            else None
        )
        plans[str(name)] = Plan(
            str(name),
            cal,
            chk.percent(spec, "warn_at", 0.8),
            tuple(rules),
            _availability(chk, spec, f"plan {name}", calendar_name),
            target,
        )

    customers: dict[str, Customer] = {}
    raw_customers = chk.mapping(data, "customers", "`customers`")
    for key, spec in raw_customers.items():
        if not _KEY_RE.match(str(key)):
            chk.fail(
                raw_customers, key, f"customer key {key!r}: use lowercase letters, digits, . _ -"
            )
        if not isinstance(spec, dict):
            chk.fail(raw_customers, key, f"customer {key} must be a mapping, got {_kind(spec)}")
            continue
        who = f"customer {key}: "
        chk.keys(spec, CUSTOMER_KEYS, f"in customer {key!r}")
        plan = str(spec.get("plan") or "")
        if "plan" not in spec:
            chk.fail(raw_customers, key, f"customer {key}: missing `plan`")
        elif plan not in plans:
            known = ", ".join(plans) or "none configured"
            chk.fail(spec, "plan", f"customer {key}: unknown plan {plan!r} (known: {known})")
        package = chk.mapping(spec, "package", f"customer {key}: `package`")
        chk.keys(package, PACKAGE_KEYS, f"in the package of customer {key!r}")
        credits = chk.mapping(spec, "credits", f"customer {key}: `credits`")
        chk.keys(credits, CREDITS_KEYS, f"in the credits of customer {key!r}")
        customers[str(key)] = Customer(
            key=str(key),
            name=chk.text(spec, "name", f"customer {key}: `name`") or str(key),
            plan=plan,
            package_hours=chk.number(package, "hours", what=who),
            rollover=chk.flag(package, "rollover", what=who),
            rate=chk.number(spec, "rate", what=who),
            currency=chk.text(spec, "currency", f"customer {key}: `currency`") or "",
            credit_per_breach=chk.percent(credits, "per_breach", 0.0, what=who),
            credit_cap=chk.percent(credits, "cap", 0.0, what=who),
            fee=chk.number(spec, "fee", what=who),
            contacts=_contacts(chk, spec, str(key)),
            domains=_domains(chk, spec, str(key)),
            language=_language(chk, spec, str(key)),
            availability=_availability(chk, spec, f"customer {key}", calendar_name),
            credit_per_availability_breach=chk.percent(
                credits, "per_availability_breach", 0.0, what=who
            ),
            availability_steps=_steps(chk, credits, str(key)),
        )
    _claims(chk, raw_customers, customers)

    agents: dict[str, Agent] = {}
    raw_agents = chk.mapping(data, "agents", "`agents`")
    for handle, spec in raw_agents.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            chk.fail(raw_agents, handle, f"agent {handle} must be a mapping, got {_kind(spec)}")
            continue
        chk.keys(spec, AGENT_KEYS, f"in agent {handle!r}")
        line = str(spec.get("line") or lines[0])
        if line not in lines:
            chk.fail(
                spec,
                "line",
                f"agent {handle}: unknown line {line!r} (expected one of {', '.join(lines)})",
            )
        agents[str(handle)] = Agent(
            str(handle),
            chk.text(spec, "name", f"agent {handle}: `name`") or str(handle),
            chk.text(spec, "email", f"agent {handle}: `email`") or "",
            line,
        )

    tolerance = 600
    if data.get("backdate_tolerance") is not None:
        seconds = chk.duration(data, "backdate_tolerance")
        tolerance = 600 if seconds is None else seconds  # 0 flags every back-dated event
    tz = str(data.get("timezone") or "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        chk.fail(
            data, "timezone", f"unknown time zone {tz!r} (expected an IANA name like Europe/Moscow)"
        )
    mail = _mail(chk, data, customers)
    config = Config(path, prefix, lines, plans, customers, agents, calendars, tolerance, tz, mail)
    config.alerts = _alerts(chk, data, customers)
    chk.problems += config._build_calendars(frozenset(broken_calendars), public_holidays=deep)
    if chk.problems:
        raise ConfigError("\n".join(sorted(chk.problems, key=_line_number)))
    return config


def _contacts(chk: _Checker, spec: Any, key: str) -> tuple[Contact, ...]:
    raw = spec.get("contacts")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.fail(spec, "contacts", f"customer {key}: `contacts` must be a list, got {_kind(raw)}")
        return ()
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):  # a bare address is a contact with no name
            item = {"email": item}
            where: Any = raw
            at: Any = i
        elif isinstance(item, dict):
            chk.keys(item, CONTACT_KEYS, f"in a contact of customer {key!r}")
            where, at = item, "email"
        else:
            chk.fail(raw, i, f"customer {key}: each contact must be a mapping with `email`")
            continue
        email = item.get("email")
        if email is None:
            chk.fail(raw, i, f"customer {key}: contact without `email`")
            continue
        address = str(email).strip().lower()
        if not isinstance(email, str) or _has_control(email) or not _EMAIL_RE.match(address):
            chk.fail(where, at, f"customer {key}: {email!r} is not an e-mail address")
            continue
        name = chk.text(item, "name", f"customer {key}: contact `name`")
        if name is not None and _has_control(name):
            chk.fail(
                item,
                "name",
                f"customer {key}: contact `name` {name!r} holds a line break or another "
                "control character",
            )
            name = None
        reports = chk.flag(item, "reports", what=f"customer {key}: ")
        out.append(Contact(address, name or "", reports))
    return tuple(out)


def _domains(chk: _Checker, spec: Any, key: str) -> tuple[str, ...]:
    raw = spec.get("domains")
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else None
    if items is None:
        chk.fail(spec, "domains", f"customer {key}: `domains` must be a list, got {_kind(raw)}")
        return ()
    out = []
    for i, item in enumerate(items):
        domain = str(item).strip().lower().removeprefix("@") if isinstance(item, str) else ""
        if not _DOMAIN_RE.match(domain):
            chk.fail(items, i, f"customer {key}: {item!r} is not a mail domain like acme.example")
            continue
        out.append(domain)
    return tuple(out)


def _claims(chk: _Checker, raw_customers: Any, customers: dict[str, Customer]) -> None:
    """One address or domain belongs to one customer: mail from it must go somewhere."""
    owner: dict[str, str] = {}
    for customer in customers.values():
        spec = raw_customers.get(customer.key)
        for kind, names, field_ in (
            ("address", [c.email for c in customer.contacts], "contacts"),
            ("domain", list(customer.domains), "domains"),
        ):
            for name in dict.fromkeys(names):
                other = owner.setdefault(f"{kind}:{name}", customer.key)
                if other != customer.key:
                    chk.fail(
                        spec,
                        field_,
                        f"customer {customer.key}: {kind} {name} is already claimed by "
                        f"customer {other}",
                    )


def _size(chk: _Checker, container: Any, key: str, default: int, section: str = "mail") -> int:
    raw = container.get(key)
    if raw is None:
        return default
    match = None if isinstance(raw, bool) else _SIZE_RE.match(str(raw))
    if match is None:
        chk.fail(container, key, f"{section}: `{key}` must be a size like 10MiB, got {raw!r}")
        return default
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def _count(chk: _Checker, container: Any, key: str, default: int) -> int:
    raw = container.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int):
        chk.fail(container, key, f"mail: `{key}` must be a whole number, got {raw!r}")
        return default
    if raw < 0:
        chk.fail(container, key, f"mail: `{key}` must be a whole number, 0 or more, got {raw!r}")
        return default
    return raw


def _has_control(text: str) -> bool:
    """A line break or another control character: in a name or an address it would end up
    in a mail header, where CR/LF starts a header of the sender's choosing."""
    import unicodedata

    return any(unicodedata.category(c) == "Cc" for c in text)


def is_loopback(host: str) -> bool:
    """`localhost` (or a name under it) or a loopback address, bracketed or not: the one
    place a server may be reached without TLS."""
    import ipaddress

    name = host.strip().lower().strip("[]").rstrip(".")
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _server(chk: _Checker, mail: Any, key: str) -> ServerSettings | None:
    spec = chk.mapping(mail, key, f"mail: `{key}`")
    if not spec:
        return None
    what = f"mail {key}: "
    chk.keys(spec, SERVER_KEYS, f"in mail {key!r}")
    before = len(chk.problems)
    host = chk.text(spec, "host", f"mail {key}: `host`")
    if host is None and "host" not in spec:
        chk.fail(mail, key, f"mail {key}: missing `host`")
    security = str(spec.get("security") or ("ssl" if key == "imap" else "starttls"))
    if security not in SECURITY:
        chk.fail(
            spec,
            "security",
            f"mail {key}: unknown security {security!r} (expected one of {', '.join(SECURITY)})",
        )
    elif security == "none" and host is not None and not is_loopback(host):
        chk.fail(
            spec,
            "security",
            f"mail {key}: `security: none` sends the password in clear text; it is allowed "
            f"only for a server on this machine (localhost), not {host}",
        )
    defaults = {
        ("smtp", "ssl"): 465,
        ("smtp", "starttls"): 587,
        ("smtp", "none"): 25,
        ("imap", "ssl"): 993,
    }
    port = spec.get("port", defaults.get((key, security), 143))
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        chk.fail(spec, "port", f"mail {key}: `port` must be a port number, got {port!r}")
        port = 0
    env = chk.text(spec, "password_env", f"{what}`password_env`")
    if env is not None and not _ENV_RE.match(env):
        chk.fail(
            spec,
            "password_env",
            f"mail {key}: `password_env` names an environment variable (like "
            f"{key.upper()}_PASSWORD), not the password itself",
        )
    user = chk.text(spec, "user", f"{what}`user`") or ""
    folder = chk.text(spec, "folder", f"{what}`folder`") or "INBOX"
    done = chk.text(spec, "done_folder", f"{what}`done_folder`")
    # What `mail fetch` and `mail send` would otherwise refuse only when cron runs them.
    if key == "imap":
        for needed in ("user", "password_env"):
            if needed not in spec:
                chk.fail(
                    mail,
                    key,
                    f"mail imap: missing `{needed}` (the IMAP login; the password is read "
                    "from the environment variable `password_env` names)",
                )
    elif "password_env" in spec and "user" not in spec:
        chk.fail(
            spec,
            "password_env",
            "mail smtp: `password_env` is set but `user` is not (the login needs both; "
            "without `user` the password would never be used)",
        )
    elif user and "password_env" not in spec:
        chk.fail(
            spec,
            "user",
            "mail smtp: `user` is set but `password_env` is not (name the environment "
            "variable that holds the password; without `user` the server is used without "
            "a login)",
        )
    if done is not None and (
        done == folder or (done.upper() == "INBOX" and folder.upper() == "INBOX")
    ):
        chk.fail(
            spec,
            "done_folder",
            f"mail {key}: `done_folder` is the folder fetched from ({folder}); processed mail "
            "must go to another one",
        )
    if len(chk.problems) > before or host is None:
        return None
    return ServerSettings(host, port, security, user, env or "", folder, done)


def _mail(chk: _Checker, data: Any, customers: dict[str, Customer]) -> MailSettings:
    mail = chk.mapping(data, "mail", "`mail`")
    if not mail:
        return MailSettings()
    chk.keys(mail, MAIL_KEYS, "in `mail`")
    address = chk.text(mail, "address", "mail: `address`") or ""
    if address and (_has_control(address) or not _EMAIL_RE.match(address.strip().lower())):
        chk.fail(mail, "address", f"mail: `address` {address!r} is not an e-mail address")
    unknown = str(mail.get("unknown_sender") or "quarantine")
    if unknown != "quarantine" and unknown not in customers:
        import difflib

        close = difflib.get_close_matches(unknown, ["quarantine", *customers], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "expected quarantine or a customer key"
        chk.fail(
            mail, "unknown_sender", f"mail: unknown_sender {unknown!r} is no customer ({hint})"
        )
    charsets: tuple[str, ...] = DEFAULT_FALLBACK_CHARSETS
    raw_charsets = mail.get("fallback_charsets")
    if raw_charsets is not None:
        if not isinstance(raw_charsets, list) or not all(isinstance(c, str) for c in raw_charsets):
            chk.fail(
                mail,
                "fallback_charsets",
                "mail: `fallback_charsets` must be a list of charset names, e.g. [koi8-r, cp1251]",
            )
        else:
            import codecs

            for i, name in enumerate(raw_charsets):
                try:
                    codecs.lookup(name)
                except LookupError:
                    chk.fail(raw_charsets, i, f"mail: unknown charset {name!r}")
            charsets = tuple(str(c).lower() for c in raw_charsets)
    return MailSettings(
        address=address.strip().lower(),
        smtp=_server(chk, mail, "smtp"),
        imap=_server(chk, mail, "imap"),
        unknown_sender=unknown,
        reopen_days=_count(chk, mail, "reopen_days", 14),
        fallback_charsets=charsets,
        max_auto_per_day=_count(chk, mail, "max_auto_per_day", 40),
        acknowledge=chk.flag(mail, "acknowledge", what="mail: "),
        max_attachment_bytes=_size(chk, mail, "max_attachment_bytes", 10 * 1024 * 1024),
        max_attachments=_count(chk, mail, "max_attachments", 20),
    )


def _line_number(problem: str) -> int:
    head = problem.split(": ", 1)[0]
    number = head.rpartition(":")[2]
    return int(number) if number.isdigit() else 0


LINKED_CONFIG = "is a symbolic link; supportctl does not read it (replace it with the file itself)"


# -- alerts: ----------------------------------------------------------------------------
ALERT_KEYS = ("token_env", "reopen_minutes", "auto_resolve", "max_body_bytes", "routes")
ROUTE_KEYS = (
    "matchers",
    "customer",
    "customer_label",
    "service",
    "service_label",
    "priority",
    "auto_resolve",
)
# What a severity becomes when a route names no `priority:` map; `default` is for an alert
# without a severity, or with one the map does not name.
DEFAULT_ALERT_PRIORITIES: dict[str, str] = {
    "critical": "critical",
    "error": "high",
    "high": "high",
    "warning": "normal",
    "info": "low",
    "default": "normal",
}
_LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Alertmanager's matcher syntax: a label name, an operator, and the value, quoted or not.
_MATCHER_RE = re.compile(
    r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*$'
)
MATCH_OPS = ("=", "!=", "=~", "!~")


@dataclass(frozen=True)
class Matcher:
    """One label matcher, as Alertmanager writes them: `severity="critical"`,
    `instance=~"shop-.*"` (the regex must match the whole value), `env!="test"`,
    `team!~"ops|dev"`. A label the alert lacks has the empty value."""

    label: str
    op: str  # one of MATCH_OPS
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.label, "")
        if self.pattern is not None:
            found = self.pattern.fullmatch(have) is not None
            return found if self.op == "=~" else not found
        return (have == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.value!r}"


@dataclass(frozen=True)
class AlertRoute:
    """Where the alerts it matches go: the customer (or the label naming it), the service
    (fixed, or the value of a label), the priority per severity, and whether a resolved
    alert resolves its ticket (None: `alerts.auto_resolve`). `number` counts from 1."""

    number: int
    matchers: tuple[Matcher, ...] = ()
    customer: str | None = None
    customer_label: str | None = None
    service: str | None = None
    service_label: str = "service"
    priority: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ALERT_PRIORITIES))
    auto_resolve: bool | None = None
    line: int = 0

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def priority_for(self, severity: str | None) -> str:
        key = (severity or "").strip().lower()
        return self.priority.get(key) or self.priority.get("default") or "normal"

    def describe(self) -> str:
        return ", ".join(map(str, self.matchers)) or "any alert"


@dataclass(frozen=True)
class AlertSettings:
    """The `alerts:` section: how `alert ingest` and `alert serve` place alerts. Routes are
    tried in order, the first that matches wins; an alert no route matches is kept in the
    alert quarantine, never dropped."""

    token_env: str = "SUPPORTCTL_ALERT_TOKEN"
    reopen_minutes: int = 60
    auto_resolve: bool = True
    max_body_bytes: int = 1024 * 1024
    routes: tuple[AlertRoute, ...] = ()

    def route_for(self, labels: Mapping[str, str]) -> AlertRoute | None:
        return next((r for r in self.routes if r.matches(labels)), None)


def parse_matcher(text: str) -> Matcher:
    """A matcher from its Alertmanager spelling; ValueError saying what is wrong."""
    found = _MATCHER_RE.match(text)
    if found is None:
        raise ValueError(
            f'bad matcher {text!r}: expected label="value" (or !=, =~, !~ and a regex)'
        )
    label, op = found.group(1), found.group(2)
    quoted = found.group(3)
    value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else (found.group(4) or "")
    pattern = None
    if op in ("=~", "!~"):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex in matcher {text!r}: {exc}") from None
    return Matcher(label, op, value, pattern)


def _did_you_mean(value: str, known: Any, what: str) -> str:
    import difflib

    names = [str(k) for k in known]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(names) or 'none'}"
    return f"unknown {what} {value!r} ({hint})"


def _alerts(chk: _Checker, data: Any, customers: dict[str, Customer]) -> AlertSettings:
    spec = chk.mapping(data, "alerts", "`alerts`")
    if not spec:
        return AlertSettings()
    chk.keys(spec, ALERT_KEYS, "in `alerts`")
    env = chk.text(spec, "token_env", "alerts: `token_env`") or "SUPPORTCTL_ALERT_TOKEN"
    if not _ENV_RE.match(env):
        chk.fail(
            spec,
            "token_env",
            "alerts: `token_env` names an environment variable (like SUPPORTCTL_ALERT_TOKEN), "
            "not the token itself",
        )
    raw_reopen = spec.get("reopen_minutes")
    reopen = 60
    if raw_reopen is not None:
        if isinstance(raw_reopen, bool) or not isinstance(raw_reopen, int) or raw_reopen < 0:
            chk.fail(
                spec,
                "reopen_minutes",
                f"alerts: `reopen_minutes` must be a whole number, 0 or more, got {raw_reopen!r}",
            )
        else:
            reopen = raw_reopen
    auto = chk.flag(spec, "auto_resolve", what="alerts: ") if "auto_resolve" in spec else True
    size = _size(chk, spec, "max_body_bytes", 1024 * 1024, "alerts")
    if size <= 0:
        chk.fail(spec, "max_body_bytes", "alerts: `max_body_bytes` must be more than 0")
        size = 1024 * 1024
    raw_routes = spec.get("routes")
    routes: list[AlertRoute] = []
    if raw_routes is not None and not isinstance(raw_routes, list):
        chk.fail(spec, "routes", f"alerts: `routes` must be a list, got {_kind(raw_routes)}")
    elif raw_routes is not None:
        for i in range(len(raw_routes)):
            route = _alert_route(chk, raw_routes, i, customers)
            if route is not None:
                routes.append(route)
    return AlertSettings(env, reopen, auto, size, tuple(routes))


def _alert_route(
    chk: _Checker, routes: Any, i: int, customers: dict[str, Customer]
) -> AlertRoute | None:
    spec = routes[i]
    who = f"alerts: route {i + 1}: "
    if not isinstance(spec, dict):
        chk.fail(routes, i, f"{who}must be a mapping, got {_kind(spec)}")
        return None
    before = len(chk.problems)
    chk.keys(spec, ROUTE_KEYS, f"in alerts route {i + 1}")
    matchers: list[Matcher] = []
    raw = spec.get("matchers")
    if raw is not None and (not isinstance(raw, list) or not all(isinstance(m, str) for m in raw)):
        chk.fail(spec, "matchers", f"{who}`matchers` must be a list like ['severity=\"critical\"']")
    elif raw is not None:
        for j, text in enumerate(raw):
            try:
                matchers.append(parse_matcher(text))
            except ValueError as exc:
                chk.fail(raw, j, who + str(exc))
    customer = chk.text(spec, "customer", f"{who}`customer`")
    customer_label = chk.text(spec, "customer_label", f"{who}`customer_label`")
    if customer is None and customer_label is None:
        if "customer" not in spec and "customer_label" not in spec:
            chk.fail(
                routes,
                i,
                f"{who}missing `customer` (a customer key, or `customer_label`: the label "
                "whose value is the customer key)",
            )
    elif customer is not None and customer_label is not None:
        chk.fail(spec, "customer_label", f"{who}give `customer` or `customer_label`, not both")
    elif customer is not None and customer not in customers:
        chk.fail(spec, "customer", who + _did_you_mean(customer, customers, "customer"))
    for key in ("customer_label", "service_label"):
        name = spec.get(key)
        if isinstance(name, str) and not _LABEL_RE.match(name):
            chk.fail(spec, key, f"{who}`{key}` must be a label name, got {name!r}")
    service = chk.text(spec, "service", f"{who}`service`")
    if service is not None and not _KEY_RE.match(service):
        chk.fail(spec, "service", f"{who}service {service!r}: use lowercase letters, digits, . _ -")
    service_label = chk.text(spec, "service_label", f"{who}`service_label`")
    if service is not None and service_label is not None:
        chk.fail(spec, "service_label", f"{who}give `service` or `service_label`, not both")
    priority = dict(DEFAULT_ALERT_PRIORITIES)
    raw_priority = chk.mapping(spec, "priority", f"{who}`priority`")
    if raw_priority:
        priority = {}
        for severity, value in raw_priority.items():
            if not isinstance(value, str) or value not in PRIORITY_NAMES:
                chk.fail(
                    raw_priority,
                    severity,
                    f"{who}severity {severity!r}: "
                    + _did_you_mean(str(value), PRIORITY_NAMES, "priority"),
                )
                continue
            priority[str(severity).strip().lower()] = value
    auto = chk.flag(spec, "auto_resolve", what=who) if "auto_resolve" in spec else None
    if len(chk.problems) > before:
        return None
    return AlertRoute(
        number=i + 1,
        matchers=tuple(matchers),
        customer=customer,
        customer_label=customer_label,
        service=service,
        service_label=service_label or "service",
        priority=priority,
        auto_resolve=auto,
        line=yamlio.line_of(routes, i),
    )
