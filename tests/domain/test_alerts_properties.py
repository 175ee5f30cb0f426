"""Property tests of domain/alerts.py: no input makes it raise anything but
AlertPayloadError, and whatever it accepts keeps the promises of `Alert`."""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.domain.alerts import (
    FORMATS,
    MAX_NAME_CHARS,
    TITLE_MAX_CHARS,
    Payload,
    parse_payload,
)
from supportctl.domain.errors import AlertPayloadError

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIXTURES = Path(__file__).parents[2] / ".." / "shared" / "fixtures" / "alerts"

# Every field name a parser reads, so that generated objects reach past the first check.
KEYS = [
    *("alerts", "status", "labels", "annotations", "startsAt", "endsAt", "generatorURL"),
    *("fingerprint", "receiver", "groupKey", "version", "truncatedAlerts", "groupLabels"),
    *("orgId", "state", "title", "message", "values", "valueString", "dashboardURL"),
    *("panelURL", "silenceURL", "imageURL", "evalMatches", "ruleId", "ruleName", "ruleUrl"),
    *("tags", "metric", "value", "imageUrl", "hostname", "trigger", "item", "link"),
    *("severity", "event_id", "trigger_id", "tag", "id", "starts_at", "ends_at", "url"),
    "description",
]
WORDS = [
    *("firing", "resolved", "FIRING", "ok", "alerting", "no_data", "pending", "paused"),
    *("PROBLEM", "OK", "UPDATE", "RESOLVED", "0001-01-01T00:00:00Z", "2026-11-03T10:00:00Z"),
    *("2026-11-03T10:00:00.123456789+03:00", "9999-12-31T23:59:59-01:00", "", " ", "\ud800"),
    *("https://x/?triggerid=12&eventid=3", "a1b2c3", "x" * 201, "\n", "critical"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
keys = st.sampled_from(KEYS) | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)
# Objects shaped like a payload: known keys, an alert list of objects with known keys.
alert_objects = st.dictionaries(keys, json_values, max_size=10)
shaped = st.dictionaries(
    keys,
    json_values,
    max_size=8,
).flatmap(
    lambda top: (
        st.lists(alert_objects, max_size=3).map(lambda alerts: {**top, "alerts": alerts})
        | st.just(top)
    )
)
formats = st.sampled_from([None, *FORMATS])


def check(payload: Payload) -> None:
    """What `Alert` promises to the code that builds tickets from it."""
    assert payload.format in FORMATS
    assert payload.truncated >= 0
    for alert in payload.alerts:
        assert alert.status in ("firing", "resolved")
        assert 1 <= len(alert.identity) <= MAX_NAME_CHARS
        assert re.fullmatch(r"[!-~]+", alert.identity)
        assert alert.title
        assert len(alert.title) <= TITLE_MAX_CHARS
        assert "\n" not in alert.title
        for mapping in (alert.labels, alert.annotations, alert.values):
            assert all(isinstance(k, str) for k in mapping)
            assert all(isinstance(v, str) for v in mapping.values())
            assert list(mapping) == sorted(mapping) or mapping is alert.values
        for moment in (alert.starts_at, alert.ends_at):
            assert moment is None or moment.tzinfo is UTC
        if alert.status == "firing":
            assert alert.ends_at is None
        assert alert.severity is None or alert.severity == alert.severity.lower()
        for text in (alert.title, alert.description, alert.url or "", *alert.labels.values()):
            text.encode("utf-8")


def read(raw: bytes, fmt: str | None) -> None:
    try:
        payload = parse_payload(raw, fmt)
    except AlertPayloadError as exc:
        refusal: AlertPayloadError | None = exc
    else:
        refusal = None
        check(payload)
    if refusal is not None:
        assert refusal.message
        assert "\n" not in refusal.message
        assert refusal.exit_code == 2


@SETTINGS
@given(raw=st.binary(max_size=200), fmt=formats)
def test_any_bytes(raw: bytes, fmt: str | None) -> None:
    read(raw, fmt)


@SETTINGS
@given(data=json_values, fmt=formats)
def test_any_json(data: Any, fmt: str | None) -> None:
    read(json.dumps(data).encode(), fmt)


@SETTINGS
@given(data=shaped, fmt=formats)
def test_payload_shaped_json(data: dict[str, Any], fmt: str | None) -> None:
    read(json.dumps(data).encode(), fmt)


def _fixtures() -> list[Any]:
    if not FIXTURES.is_dir():
        return []
    return [json.loads(p.read_bytes()) for p in sorted(FIXTURES.rglob("*.json"))]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(data))
    here = copy
    for step in path[:-1]:
        here = here[step]
    here[path[-1]] = value
    return copy


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is absent")
@SETTINGS
@given(st.data(), formats)
def test_real_payloads_with_one_value_changed(data: st.DataObject, fmt: str | None) -> None:
    original = data.draw(st.sampled_from(_fixtures()))
    path = data.draw(st.sampled_from(_paths(original)))
    changed = _replace(original, path, data.draw(json_values))
    read(json.dumps(changed).encode(), fmt)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is absent")
@SETTINGS
@given(st.data())
def test_real_payloads_with_one_field_removed(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(_fixtures()))
    path = data.draw(st.sampled_from([p for p in _paths(original) if p]))
    copy = json.loads(json.dumps(original))
    here = copy
    for step in path[:-1]:
        here = here[step]
    del here[path[-1]]
    read(json.dumps(copy).encode(), None)
