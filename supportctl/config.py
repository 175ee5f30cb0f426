"""supportctl.yaml: load, check and expose the desk's configuration.

Every mistake is reported as `supportctl.yaml:LINE: message`, because users write
this file by hand and reviewers read it in diffs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl import yamlio
from supportctl.durations import parse_duration
from supportctl.errors import ConfigError, NotFound, UsageError
from supportctl.model import CHANNELS, PRIORITIES, TYPES

if TYPE_CHECKING:
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

    def matches(self, ticket: dict[str, Any]) -> bool:
        for key, values in self.when.items():
            if str(ticket.get(key) or "") not in values:
                return False
        return True


@dataclass(frozen=True)
class Plan:
    name: str
    calendar: str
    warn_at: float
    rules: tuple[Rule, ...]

    def rule_for(self, ticket: dict[str, Any]) -> Rule | None:
        return next((r for r in self.rules if r.matches(ticket)), None)


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
    _calendars: dict[str, Calendar] = field(default_factory=dict, repr=False)

    def customer(self, key: str) -> Customer:
        try:
            return self.customers[key]
        except KeyError:
            known = ", ".join(sorted(self.customers)) or "none configured"
            raise NotFound(f"unknown customer {key!r} (known: {known})") from None

    def calendar(self, name: str) -> Calendar:
        from supportctl.sla.calendar import CALENDAR_24X7, calendar_from_config

        if name == "24x7" and name not in self.calendar_specs:
            return CALENDAR_24X7
        if name not in self._calendars:
            spec = self.calendar_specs.get(name)
            if spec is None:
                raise ConfigError(f"{self.path.name}: unknown calendar {name!r}")
            try:
                self._calendars[name] = calendar_from_config(name, spec)
            except ValueError as exc:
                line = _line_at(spec, getattr(exc, "path", ())) or yamlio.line_of(
                    self.calendar_specs, name
                )
                message = str(exc).removeprefix(f"calendar {name!r}: ")
                raise ConfigError(f"{self.path.name}:{line}: calendar {name}: {message}") from None
        return self._calendars[name]

    def agent_for_email(self, email: str) -> Agent | None:
        return next((a for a in self.agents.values() if a.email.lower() == email.lower()), None)


def _line_at(spec: Any, path: tuple[str | int, ...]) -> int:
    """Line of the key at `path` inside a calendar's mapping (0 when it cannot be found)."""
    container = spec
    try:
        for key in path[:-1]:
            container = container[key]
    except (KeyError, IndexError, TypeError):
        return 0
    return yamlio.line_of(container, path[-1]) if path else 0


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, container: Any, key: Any, message: str) -> ConfigError:
        line = yamlio.line_of(container, key)
        where = f"{self.path.name}:{line}" if line else self.path.name
        return ConfigError(f"{where}: {message}")

    def mapping(self, container: Any, key: str, *, required: bool = False) -> dict[str, Any]:
        value = container.get(key)
        if value is None:
            if required:
                raise self.fail(container, key, f"missing `{key}`")
            return {}
        if not isinstance(value, dict):
            raise self.fail(container, key, f"`{key}` must be a mapping")
        return value

    def duration(self, container: Any, key: str) -> int:
        try:
            return parse_duration(str(container[key]), what=key)
        except UsageError as exc:
            raise self.fail(container, key, exc.message) from None

    def percent(self, container: Any, key: str, default: float) -> float:
        raw = container.get(key)
        if raw is None:
            return default
        text = str(raw).strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            if value > 1:
                value /= 100
        except ValueError:
            raise self.fail(container, key, f"`{key}` must be a percentage like 80%") from None
        if not 0 <= value <= 1:
            raise self.fail(container, key, f"`{key}` must be between 0% and 100%")
        return value

    def number(self, container: Any, key: str, default: float = 0.0) -> float:
        raw = container.get(key)
        if raw is None:
            return default
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(container, key, f"`{key}` must be a number")
        if raw < 0:
            raise self.fail(container, key, f"`{key}` must not be negative")
        return float(raw)


def _parse_rule(chk: _Checker, rules: Any, idx: int, plan_cal: str, plan: str) -> Rule:
    raw = rules[idx]
    if not isinstance(raw, dict):
        raise chk.fail(rules, idx, f"plan {plan}: each rule must be a mapping")
    known = {"when", "calendar", *METRICS}
    for key in raw:
        if key not in known:
            raise chk.fail(
                raw,
                key,
                f"plan {plan}: unknown rule key `{key}` (expected {', '.join(sorted(known))})",
            )
    when: dict[str, tuple[str, ...]] = {}
    for key, value in chk.mapping(raw, "when").items():
        if key not in WHEN_KEYS:
            raise chk.fail(
                raw["when"],
                key,
                f"plan {plan}: `when` key `{key}` is not one of {', '.join(WHEN_KEYS)}",
            )
        values = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
        vocab = {"priority": PRIORITIES, "type": TYPES, "channel": CHANNELS}.get(key)
        for v in values:
            if vocab and v not in vocab:
                raise chk.fail(
                    raw["when"],
                    key,
                    f"plan {plan}: unknown {key} {v!r} (expected {', '.join(vocab)})",
                )
        when[key] = values
    targets = {m: chk.duration(raw, m) for m in METRICS if raw.get(m) is not None}
    return Rule(when, targets, str(raw.get("calendar") or plan_cal), yamlio.line_of(rules, idx))


def parse_config(text: bytes, path: Path) -> Config:
    chk = _Checker(path)
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        where = f"{path.name}:{exc.line}" if exc.line else path.name
        raise ConfigError(f"{where}: {exc.message}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a mapping at the top level")

    prefix = str(data.get("id_prefix") or "SUP")
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", prefix):
        raise chk.fail(
            data, "id_prefix", "`id_prefix` must be 1-10 capital letters/digits, e.g. SUP"
        )
    raw_lines = data.get("lines") or ["L1", "L2", "L3"]
    if (
        not isinstance(raw_lines, list)
        or not raw_lines
        or len(set(map(str, raw_lines))) != len(raw_lines)
    ):
        raise chk.fail(
            data, "lines", "`lines` must be a non-empty list of distinct names, e.g. [L1, L2, L3]"
        )
    lines = tuple(str(x) for x in raw_lines)

    calendars = chk.mapping(data, "calendars")
    for name, spec in calendars.items():
        if not isinstance(spec, dict):
            raise chk.fail(calendars, name, f"calendar {name} must be a mapping")
        if "timezone" not in spec:
            raise chk.fail(calendars, name, f"calendar {name}: missing `timezone`")

    def calendar_name(container: Any, key: str, default: str, owner: str) -> str:
        name = str(container.get(key) or default)
        if name != "24x7" and name not in calendars:
            raise chk.fail(container, key, f"{owner}: unknown calendar {name!r}")
        return name

    plans: dict[str, Plan] = {}
    for name, spec in chk.mapping(data, "plans").items():
        if not isinstance(spec, dict):
            raise chk.fail(data["plans"], name, f"plan {name} must be a mapping")
        cal = calendar_name(spec, "calendar", "24x7", f"plan {name}")
        rules_raw = spec.get("rules") or []
        if not isinstance(rules_raw, list):
            raise chk.fail(spec, "rules", f"plan {name}: `rules` must be a list")
        rules = tuple(_parse_rule(chk, rules_raw, i, cal, name) for i in range(len(rules_raw)))
        for i, rule in enumerate(rules):
            calendar_name(rules_raw[i], "calendar", cal, f"plan {name}")
            for line_value in rule.when.get("line", ()):
                if line_value not in lines:
                    raise chk.fail(
                        rules_raw[i], "when", f"plan {name}: unknown line {line_value!r}"
                    )
        plans[str(name)] = Plan(str(name), cal, chk.percent(spec, "warn_at", 0.8), rules)

    customers: dict[str, Customer] = {}
    for key, spec in chk.mapping(data, "customers").items():
        if not _KEY_RE.match(str(key)):
            raise chk.fail(
                data["customers"],
                key,
                f"customer key {key!r}: use lowercase letters, digits, . _ -",
            )
        if not isinstance(spec, dict):
            raise chk.fail(data["customers"], key, f"customer {key} must be a mapping")
        plan = str(spec.get("plan") or "")
        if plan not in plans:
            raise chk.fail(spec, "plan", f"customer {key}: unknown plan {plan!r}")
        package = chk.mapping(spec, "package")
        credits = chk.mapping(spec, "credits")
        customers[str(key)] = Customer(
            key=str(key),
            name=str(spec.get("name") or key),
            plan=plan,
            package_hours=chk.number(package, "hours"),
            rollover=bool(package.get("rollover", False)),
            rate=chk.number(spec, "rate"),
            currency=str(spec.get("currency") or ""),
            credit_per_breach=chk.percent(credits, "per_breach", 0.0),
            credit_cap=chk.percent(credits, "cap", 0.0),
            fee=chk.number(spec, "fee"),
        )

    agents: dict[str, Agent] = {}
    for handle, spec in chk.mapping(data, "agents").items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise chk.fail(data["agents"], handle, f"agent {handle} must be a mapping")
        line = str(spec.get("line") or lines[0])
        if line not in lines:
            raise chk.fail(spec, "line", f"agent {handle}: unknown line {line!r}")
        agents[str(handle)] = Agent(
            str(handle), str(spec.get("name") or handle), str(spec.get("email") or ""), line
        )

    tolerance = chk.duration(data, "backdate_tolerance") if data.get("backdate_tolerance") else 600
    tz = str(data.get("timezone") or "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        raise chk.fail(
            data, "timezone", f"unknown time zone {tz!r} (expected an IANA name like Europe/Moscow)"
        ) from None
    return Config(path, prefix, lines, plans, customers, agents, calendars, tolerance, tz)


def load_config(root: Path, *, deep: bool = False) -> Config:
    """Read `supportctl.yaml` under `root`; with `deep`, also build every calendar."""
    path = root / CONFIG_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found") from None
    config = parse_config(text, path)
    if deep:
        for name in config.calendar_specs:
            config.calendar(name)
    return config
