"""Monitoring alerts read from webhook payloads: Prometheus Alertmanager, Grafana (legacy
and unified alerting), Zabbix (the JSON a media-type script sends) and a small generic JSON.

Pure: bytes in, a `Payload` out; no files, git or network. Unlike e-mail, a webhook body
has one sender that follows a schema, so anything that does not fit its format is refused
with `AlertPayloadError` (a `UsageError`, exit 2) and one line naming the field, e.g.
`alertmanager payload: alerts[0]: missing "labels"`. A refused payload must change nothing,
and an alert read wrongly would open or close the wrong ticket, so nothing is guessed.

Each alert gets an `identity` that stays the same across the notifications about it: the
source's fingerprint where it sends one, otherwise the SHA-256 of a documented key (see
`computed_identity` and the README, "Monitoring alerts").
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

from supportctl.domain.errors import AlertPayloadError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

FORMATS = ("alertmanager", "grafana", "zabbix", "generic")

MAX_BODY_BYTES = 1024 * 1024
"""Largest payload read. Alertmanager sends a whole group in one body; a thousand alerts
with their labels and annotations fit well within it."""

MAX_ALERTS = 1000
"""Most alerts in one payload; more is a misconfigured sender, not a notification."""

MAX_FIELDS = 100
"""Most labels, annotations or values on one alert."""

MAX_NAME_CHARS = 200
"""Longest label name, and longest identity (a fingerprint or a generic `id`)."""

MAX_TEXT_CHARS = 20_000
"""Longest string anywhere in a payload (an annotation holding a whole log is refused)."""

TITLE_MAX_CHARS = 200
"""Titles are one line and cut to this length (not refused: the source wrote them for a
chat message, not for a ticket title)."""

_ZERO_TIME_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z": Alertmanager's "no end"

_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
_IDENTITY = re.compile(r"[!-~]+")  # printable ASCII without spaces: safe in YAML and logs
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Alert:
    identity: str  # stable key across notifications, at most MAX_NAME_CHARS
    status: str  # "firing" | "resolved"
    labels: Mapping[str, str]  # all labels / tags, sorted by name
    annotations: Mapping[str, str]
    starts_at: datetime | None  # aware UTC
    ends_at: datetime | None  # aware UTC; None while firing
    title: str  # one line, at most TITLE_MAX_CHARS
    description: str
    url: str | None  # generatorURL, panel, dashboard or rule link
    values: Mapping[str, str]  # Grafana `values` / evalMatches, Zabbix item, as text
    severity: str | None  # lower-case: labels severity/priority, or the source's own field


@dataclass(frozen=True)
class Payload:
    format: str  # one of FORMATS
    alerts: tuple[Alert, ...]
    truncated: int  # alerts the sender left out (Alertmanager/Grafana truncatedAlerts)
    group_key: str | None
    receiver: str | None


# ---------------------------------------------------------------------------------------
# Entry points


def parse_payload(body: bytes, fmt: str | None = None) -> Payload:
    """Read one webhook body. `fmt` None detects the format; an explicit `fmt` that the
    payload plainly is not (an Alertmanager body given as `zabbix`) is refused."""
    if fmt is not None and fmt not in FORMATS:
        raise AlertPayloadError(
            f'unknown alert format "{_one_line(fmt)[:40]}" (one of: {", ".join(FORMATS)})'
        )
    label = f"{fmt} payload" if fmt else "alert payload"
    data = _load_json(body, label)
    guess = _guess_format(data)
    if fmt is None:
        if guess is None:
            raise AlertPayloadError(_no_format_message(data))
        fmt = guess
    elif guess is not None and guess != fmt:
        raise AlertPayloadError(f"{label}: this is a {guess} payload, not {fmt}")
    if not isinstance(data, dict):
        raise AlertPayloadError(f"{label}: not a JSON object")
    top = _Obj(fmt, "", data)
    return _PARSERS[fmt](top)


def detect_format(data: object) -> str:
    """The format of already-decoded JSON, from the fields only that format has."""
    guess = _guess_format(data)
    if guess is None:
        raise AlertPayloadError(_no_format_message(data))
    return guess


def computed_identity(*parts: object) -> str:
    """SHA-256 (hex) of the parts written as canonical JSON: sorted keys, no spaces, UTF-8.
    The identity of an alert whose source sends no fingerprint (see the README)."""
    text = json.dumps(list(parts), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _no_format_message(data: object) -> str:
    if not isinstance(data, dict):
        return "alert payload: not a JSON object"
    return f"alert payload: matches none of the formats {', '.join(FORMATS)}"


def _load_json(body: bytes, label: str) -> object:
    if len(body) > MAX_BODY_BYTES:
        raise AlertPayloadError(f"{label}: {len(body)} bytes, more than {MAX_BODY_BYTES}")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise AlertPayloadError(
            f"{label}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:
        # UnicodeDecodeError, NaN/Infinity, integers past Python's digit limit, nesting
        # deeper than the interpreter's stack
        raise AlertPayloadError(f"{label}: not valid JSON ({_one_line(str(exc))})") from None


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# ---------------------------------------------------------------------------------------
# Detection

# Fields only that format sends. Grafana's unified payload is Alertmanager's plus these, so
# it is checked first; the generic format has no top-level fields but "alerts", and its
# alerts have fields (title, snake_case times) no other format's alerts have.
_GRAFANA_TOP = ("orgId", "state", "title", "message")
_GRAFANA_ALERT = ("silenceURL", "dashboardURL", "panelURL", "valueString", "values", "imageURL")
_GRAFANA_LEGACY = ("evalMatches", "ruleId", "ruleName", "ruleUrl")
_AM_TOP = (
    "receiver",
    "groupKey",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "version",
    "truncatedAlerts",
)
_AM_ALERT = ("labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint")
_GENERIC_ALERT = ("id", "title", "starts_at", "ends_at", "url", "description")
_ZABBIX = ("hostname", "trigger", "item", "event_id", "trigger_id")


def _guess_format(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    alerts = data.get("alerts")
    if isinstance(alerts, list):
        items = [a for a in alerts if isinstance(a, dict)]

        def alert_has(keys: tuple[str, ...]) -> bool:
            return any(k in a for a in items for k in keys)

        if any(k in data for k in _GRAFANA_TOP):
            return "grafana"
        if any(k in data for k in _AM_TOP):
            return "alertmanager"
        if alert_has(_GENERIC_ALERT):
            return "generic"
        if alert_has(_GRAFANA_ALERT):
            return "grafana"
        if alert_has(_AM_ALERT):
            return "alertmanager"
        return None
    if any(k in data for k in _GRAFANA_LEGACY):
        return "grafana"
    if any(k in data for k in _ZABBIX):
        return "zabbix"
    if "state" in data and ("title" in data or "message" in data):
        return "grafana"
    return None


# ---------------------------------------------------------------------------------------
# Reading fields with their place for the error message


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _scalar_text(value: object) -> str | None:
    """JSON scalars as text, spelled as JSON spells them; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return None


class _Obj:
    """A JSON object being read, with the format and path that name it in errors."""

    def __init__(self, fmt: str, where: str, data: dict[str, object]) -> None:
        self.fmt = fmt
        self.where = where
        self.data = data

    def fail(self, what: str) -> NoReturn:
        place = f"{self.where}: " if self.where else ""
        raise AlertPayloadError(f"{self.fmt} payload: {place}{what}")

    def get(self, key: str) -> object:
        """The value, None when absent or null (senders write both for "not set")."""
        return self.data.get(key)

    def _checked(self, name: str, text: str) -> str:
        if len(text) > MAX_TEXT_CHARS:
            self.fail(f"{name} is longer than {MAX_TEXT_CHARS} characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # a lone surrogate from a "\ud800" escape: no file or commit can hold it
            self.fail(f"{name} is not valid Unicode text")
        return text

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.get(key)
        if value is None:
            if required:
                self.fail(f'missing "{key}"')
            return None
        if not isinstance(value, str):
            self.fail(f'"{key}" must be a string')
        return self._checked(f'"{key}"', value)

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None  # text() refuses a missing required field
        if not value.strip():
            self.fail(f'"{key}" is empty')
        return value

    def scalar(self, key: str) -> str | None:
        """A string or number as text (Alertmanager 3 sends a numeric groupKey)."""
        value = self.get(key)
        if value is None:
            return None
        text = _scalar_text(value)
        if text is None:
            self.fail(f'"{key}" must be a string or a number')
        return self._checked(f'"{key}"', text)

    def count(self, key: str) -> int:
        value = self.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f'"{key}" must be a whole number 0 or more')
        return value

    def choice(self, key: str, meanings: Mapping[str, str], *, required: bool) -> str | None:
        """The meaning of a status word (compared without case)."""
        value = self.text(key, required=required)
        if value is None:
            return None
        meaning = meanings.get(value.strip().lower())
        if meaning is None:
            allowed = ", ".join(sorted(meanings))
            self.fail(f'"{key}" is "{_one_line(value)[:40]}", not one of {allowed}')
        return meaning

    def items(self, key: str, *, required: bool) -> list[_Obj]:
        value = self.get(key)
        if value is None:
            if required:
                self.fail(f'missing "{key}"')
            return []
        if not isinstance(value, list):
            self.fail(f'"{key}" must be a list')
        if required and not value:
            self.fail(f'"{key}" is empty')
        if len(value) > MAX_ALERTS:
            self.fail(f'"{key}" has {len(value)} entries, more than {MAX_ALERTS}')
        found: list[_Obj] = []
        for i, item in enumerate(value):
            where = f"{self.where}.{key}[{i}]" if self.where else f"{key}[{i}]"
            if not isinstance(item, dict):
                raise AlertPayloadError(f"{self.fmt} payload: {where} must be an object")
            found.append(_Obj(self.fmt, where, item))
        return found

    def mapping(self, key: str, *, required: bool = False) -> dict[str, str]:
        """Labels, annotations, tags or values: names to text, sorted by name. Numbers and
        booleans become their JSON spelling; a null value is dropped (Grafana writes
        `"tags": null` for "none")."""
        value = self.get(key)
        if value is None:
            if required:
                self.fail(f'missing "{key}"')
            return {}
        if not isinstance(value, dict):
            self.fail(f'"{key}" must be an object')
        if len(value) > MAX_FIELDS:
            self.fail(f'"{key}" has {len(value)} entries, more than {MAX_FIELDS}')
        found: dict[str, str] = {}
        for name, raw in value.items():
            where = f'"{key}"."{_one_line(name)[:40]}"'
            if len(name) > MAX_NAME_CHARS:
                self.fail(f'"{key}" has a name longer than {MAX_NAME_CHARS} characters')
            self._checked(f'a name in "{key}"', name)
            if raw is None:
                continue
            text = _scalar_text(raw)
            if text is None:
                self.fail(f"{where} must be a string or a number")
            found[name] = self._checked(where, text)
        return dict(sorted(found.items()))

    def time(self, key: str) -> datetime | None:
        """An RFC 3339 time as aware UTC; None when absent, empty or Go's zero time."""
        value = self.text(key)
        if value is None or not value.strip():
            return None
        match = _RFC3339.fullmatch(value.strip())
        if match is None:
            self.fail(f'"{key}" is not an RFC 3339 time with a UTC offset')
        day, clock, fraction, zone = match.groups()
        # fromisoformat keeps microseconds only; Go sends nanoseconds
        micro = f".{(fraction or '')[:6]:0<6}"
        offset = "+00:00" if zone in ("Z", "z") else zone
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}{micro}{offset}")
            if moment.year == _ZERO_TIME_YEAR:
                return None
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail(f'"{key}" is not a valid time')

    def identity(self, key: str) -> str | None:
        value = self.text(key)
        if value is None or value == "":
            return None
        if len(value) > MAX_NAME_CHARS or not _IDENTITY.fullmatch(value):
            self.fail(
                f'"{key}" must be 1 to {MAX_NAME_CHARS} printable ASCII characters without spaces'
            )
        return value


# ---------------------------------------------------------------------------------------
# Shared pieces


def _title(*candidates: str | None, fallback: str) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            line = _one_line(candidate)
            if len(line) > TITLE_MAX_CHARS:
                return line[: TITLE_MAX_CHARS - 1] + "…"
            return line
    return fallback


def _severity(labels: Mapping[str, str], own: str | None = None) -> str | None:
    for candidate in (own, labels.get("severity"), labels.get("priority")):
        if candidate and candidate.strip():
            return _one_line(candidate).lower()
    return None


def _paragraphs(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _url(*candidates: str | None) -> str | None:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    return None


_PROM_STATUS = {"firing": "firing", "resolved": "resolved"}
_SOURCE_NAMES = {"alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "generic"}


def _prom_alert(item: _Obj, group_status: str | None, *, labels_required: bool) -> Alert:
    """One alert of an Alertmanager or Grafana unified payload (the same shape)."""
    labels = item.mapping("labels", required=labels_required)
    annotations = item.mapping("annotations")
    status = item.choice("status", _PROM_STATUS, required=False) or group_status
    if status is None:
        item.fail('missing "status"')
    starts_at = item.time("startsAt")
    ends_at = item.time("endsAt")
    if status == "firing":
        # Alertmanager may send the time it would resolve on its own; not an end yet
        ends_at = None
    fingerprint = item.identity("fingerprint")
    identity = fingerprint or computed_identity(item.fmt, labels)
    source = _SOURCE_NAMES[item.fmt]
    title = _title(
        annotations.get("summary"),
        labels.get("alertname"),
        annotations.get("description"),
        fallback=f"{source} alert {fingerprint}" if fingerprint else f"{source} alert",
    )
    return Alert(
        identity=identity,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        description=_paragraphs(annotations.get("description") or annotations.get("message")),
        url=_url(item.text("generatorURL")),
        values={},
        severity=_severity(labels),
    )


# ---------------------------------------------------------------------------------------
# Alertmanager


def _parse_alertmanager(top: _Obj) -> Payload:
    group_status = top.choice("status", _PROM_STATUS, required=False)
    top.scalar("version")
    alerts = tuple(
        _prom_alert(item, group_status, labels_required=True)
        for item in top.items("alerts", required=True)
    )
    return Payload(
        format="alertmanager",
        alerts=alerts,
        truncated=top.count("truncatedAlerts"),
        group_key=top.scalar("groupKey"),
        receiver=top.text("receiver") or None,
    )


# ---------------------------------------------------------------------------------------
# Grafana

# Legacy alerting sends one notification per rule and state change. "pending" is sent only
# when asked for and means the condition already holds; "paused" means a person stopped
# the rule, and nothing will ever resolve it otherwise.
_GRAFANA_LEGACY_STATUS = {
    "alerting": "firing",
    "no_data": "firing",
    "pending": "firing",
    "ok": "resolved",
    "paused": "resolved",
}


def _parse_grafana(top: _Obj) -> Payload:
    if top.get("alerts") is None:
        return _parse_grafana_legacy(top)
    group_status = top.choice("status", _PROM_STATUS, required=False)
    top.scalar("version")
    top.scalar("orgId")
    alerts: list[Alert] = []
    for item in top.items("alerts", required=True):
        alert = _prom_alert(item, group_status, labels_required=False)
        values = item.mapping("values")
        value_string = item.text("valueString")
        links = [
            f"{name}: {link}"
            for name, link in (
                ("Dashboard", item.text("dashboardURL")),
                ("Panel", item.text("panelURL")),
                ("Silence", item.text("silenceURL")),
                ("Image", item.text("imageURL")),
            )
            if link and link.strip()
        ]
        alerts.append(
            Alert(
                identity=alert.identity,
                status=alert.status,
                labels=alert.labels,
                annotations=alert.annotations,
                starts_at=alert.starts_at,
                ends_at=alert.ends_at,
                title=alert.title,
                description=_paragraphs(
                    alert.description,
                    f"Value: {value_string}" if value_string and value_string.strip() else None,
                    "\n".join(links),
                ),
                url=alert.url or _url(item.text("panelURL"), item.text("dashboardURL")),
                values=values,
                severity=alert.severity,
            )
        )
    return Payload(
        format="grafana",
        alerts=tuple(alerts),
        truncated=top.count("truncatedAlerts"),
        group_key=top.scalar("groupKey"),
        receiver=top.text("receiver") or None,
    )


def _parse_grafana_legacy(top: _Obj) -> Payload:
    status = top.choice("state", _GRAFANA_LEGACY_STATUS, required=True)
    assert status is not None  # required
    rule_id = top.scalar("ruleId")
    rule_name = top.text("ruleName")
    if rule_id is None and not (rule_name and rule_name.strip()):
        top.fail('missing "ruleId" and "ruleName"')
    tags = top.mapping("tags")
    values: dict[str, str] = {}
    for match in top.items("evalMatches", required=False):
        metric = match.text("metric") or ""
        match_tags = match.mapping("tags")
        name = metric
        if match_tags:
            name += "{" + ", ".join(f"{k}={v}" for k, v in match_tags.items()) + "}"
        value = match.scalar("value")
        values[name] = value if value is not None else "null"
    if len(values) > MAX_FIELDS:
        top.fail(f'"evalMatches" has {len(values)} entries, more than {MAX_FIELDS}')
    # The rule is the alert: an "ok" notification carries no evalMatches, so a key per
    # metric could never be resolved.
    if rule_id is not None:
        identity = computed_identity("grafana", "rule", top.scalar("orgId"), rule_id)
    else:
        identity = computed_identity("grafana", "rule-name", top.scalar("orgId"), rule_name)
    message = top.text("message")
    matches = "\n".join(f"{name}: {value}" for name, value in values.items())
    image = top.text("imageUrl")
    return Payload(
        format="grafana",
        alerts=(
            Alert(
                identity=identity,
                status=status,
                labels=tags,
                annotations={},
                starts_at=None,
                ends_at=None,
                title=_title(rule_name, top.text("title"), fallback="Grafana alert"),
                description=_paragraphs(message, matches, f"Image: {image}" if image else None),
                url=_url(top.text("ruleUrl")),
                values=values,
                severity=_severity(tags),
            ),
        ),
        truncated=0,
        group_key=None,
        receiver=None,
    )


# ---------------------------------------------------------------------------------------
# Zabbix

# {EVENT.STATUS} / {TRIGGER.STATUS} as a media-type script writes them. An "UPDATE" is an
# acknowledgement or comment on a problem that is still open.
_ZABBIX_STATUS = {
    "problem": "firing",
    "update": "firing",
    "ok": "resolved",
    "resolved": "resolved",
}
_TRIGGER_IN_LINK = re.compile(r"^\d{1,20}$")


def _zabbix_trigger_from_link(link: str | None) -> str | None:
    if not link:
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.strip()).query)
    for value in query.get("triggerid", []):
        if _TRIGGER_IN_LINK.fullmatch(value):
            return value
    return None


def _parse_zabbix(top: _Obj) -> Payload:
    hostname = top.required_text("hostname")
    status = top.choice("status", _ZABBIX_STATUS, required=True)
    assert status is not None  # required
    trigger = top.required_text("trigger")
    severity = top.text("severity")
    item_text = top.text("item")
    link = top.text("link")
    trigger_id = top.scalar("trigger_id")
    event_id = top.scalar("event_id")
    tags = _zabbix_tags(top)
    labels = dict(tags)
    labels["hostname"] = hostname
    if severity and severity.strip():
        labels["severity"] = _one_line(severity).lower()
    # A trigger's problem and its recovery are different events (the recovery link has a
    # new eventid) but the same trigger; the trigger is what stays across notifications.
    trigger_id = trigger_id or _zabbix_trigger_from_link(link)
    if trigger_id is not None:
        identity = computed_identity("zabbix", "trigger", hostname, trigger_id)
    elif event_id is not None:
        identity = computed_identity("zabbix", "event", hostname, event_id)
    else:
        identity = computed_identity("zabbix", "name", hostname, trigger)
    values = {"item": item_text} if item_text and item_text.strip() else {}
    return Payload(
        format="zabbix",
        alerts=(
            Alert(
                identity=identity,
                status=status,
                labels=dict(sorted(labels.items())),
                annotations={},
                starts_at=None,
                ends_at=None,
                title=_title(f"{hostname}: {trigger}", fallback="Zabbix alert"),
                description=_paragraphs(trigger, item_text),
                url=_url(link),
                values=values,
                severity=_severity(labels, severity),
            ),
        ),
        truncated=0,
        group_key=None,
        receiver=None,
    )


def _zabbix_tags(top: _Obj) -> dict[str, str]:
    """`tags` as an object, or as {EVENT.TAGSJSON} writes them: [{"tag": .., "value": ..}]."""
    raw = top.get("tags")
    if raw is None or isinstance(raw, dict):
        return top.mapping("tags")
    if not isinstance(raw, list):
        top.fail('"tags" must be an object or a list')
    tags: dict[str, str] = {}
    for entry in top.items("tags", required=False):
        name = entry.required_text("tag")
        if len(name) > MAX_NAME_CHARS:
            entry.fail(f'"tag" is longer than {MAX_NAME_CHARS} characters')
        tags[name] = entry.scalar("value") or ""
    if len(tags) > MAX_FIELDS:
        top.fail(f'"tags" has {len(tags)} entries, more than {MAX_FIELDS}')
    return tags


# ---------------------------------------------------------------------------------------
# Generic


def _parse_generic(top: _Obj) -> Payload:
    alerts: list[Alert] = []
    for item in top.items("alerts", required=True):
        status = item.choice("status", _PROM_STATUS, required=True)
        assert status is not None  # required
        title = item.required_text("title")
        labels = item.mapping("labels")
        ends_at = item.time("ends_at")
        alerts.append(
            Alert(
                identity=item.identity("id") or computed_identity("generic", title, labels),
                status=status,
                labels=labels,
                annotations=item.mapping("annotations"),
                starts_at=item.time("starts_at"),
                ends_at=ends_at if status == "resolved" else None,
                title=_title(title, fallback="alert"),
                description=(item.text("description") or "").strip(),
                url=_url(item.text("url")),
                values=item.mapping("values"),
                severity=_severity(labels, item.text("severity")),
            )
        )
    return Payload(
        format="generic",
        alerts=tuple(alerts),
        truncated=0,
        group_key=None,
        receiver=None,
    )


_PARSERS: dict[str, Callable[[_Obj], Payload]] = {
    "alertmanager": _parse_alertmanager,
    "grafana": _parse_grafana,
    "zabbix": _parse_zabbix,
    "generic": _parse_generic,
}
