"""domain/alerts.py on hand-written payloads: the generic format, detection, identities,
times and every refusal naming its field."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportctl.domain.alerts import (
    FORMATS,
    MAX_ALERTS,
    MAX_BODY_BYTES,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    TITLE_MAX_CHARS,
    Alert,
    Payload,
    computed_identity,
    detect_format,
    parse_payload,
)
from supportctl.domain.errors import AlertPayloadError, UsageError


def body(data: object) -> bytes:
    return json.dumps(data).encode()


GENERIC = {
    "alerts": [
        {
            "id": "disk-full/db1",
            "status": "firing",
            "title": "Disk almost full on db1",
            "labels": {"service": "shop", "severity": "Critical", "instance": "db1"},
            "annotations": {"runbook": "https://wiki.example.com/disk"},
            "starts_at": "2026-11-03T11:00:00+01:00",
            "description": "/var is 97% full",
            "url": "https://grafana.example.com/d/disk",
            "values": {"used_percent": 97.5},
        }
    ]
}


# ---------------------------------------------------------------------------------------
# Generic


def test_generic_reads_every_field() -> None:
    payload = parse_payload(body(GENERIC))
    assert payload == Payload(
        format="generic",
        alerts=(
            Alert(
                identity="disk-full/db1",
                status="firing",
                labels={"instance": "db1", "service": "shop", "severity": "Critical"},
                annotations={"runbook": "https://wiki.example.com/disk"},
                starts_at=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
                ends_at=None,
                title="Disk almost full on db1",
                description="/var is 97% full",
                url="https://grafana.example.com/d/disk",
                values={"used_percent": "97.5"},
                severity="critical",
            ),
        ),
        truncated=0,
        group_key=None,
        receiver=None,
    )


def test_generic_labels_come_sorted() -> None:
    alert = parse_payload(body(GENERIC)).alerts[0]
    assert list(alert.labels) == ["instance", "service", "severity"]


def test_generic_minimal_alert_and_computed_identity() -> None:
    data = {"alerts": [{"status": "resolved", "title": "Backup late", "labels": {"b": "2"}}]}
    alert = parse_payload(body(data)).alerts[0]
    expected = hashlib.sha256(
        b'["generic","Backup late",{"b":"2"}]'  # the README's canonical JSON
    ).hexdigest()
    assert alert.identity == expected
    assert alert.identity == computed_identity("generic", "Backup late", {"b": "2"})
    assert alert.status == "resolved"
    assert alert.severity is None
    assert alert.url is None
    assert alert.description == ""


def test_generic_identity_ignores_label_order() -> None:
    one = {"alerts": [{"status": "firing", "title": "x", "labels": {"a": "1", "b": "2"}}]}
    two = {"alerts": [{"status": "firing", "title": "x", "labels": {"b": "2", "a": "1"}}]}
    assert (
        parse_payload(body(one)).alerts[0].identity == parse_payload(body(two)).alerts[0].identity
    )


def test_generic_identity_changes_with_labels() -> None:
    one = {"alerts": [{"status": "firing", "title": "x", "labels": {"a": "1"}}]}
    two = {"alerts": [{"status": "firing", "title": "x", "labels": {"a": "2"}}]}
    assert (
        parse_payload(body(one)).alerts[0].identity != parse_payload(body(two)).alerts[0].identity
    )


def test_generic_resolved_keeps_end_and_firing_drops_it() -> None:
    times = {"starts_at": "2026-11-03T10:00:00Z", "ends_at": "2026-11-03T10:42:00Z"}
    resolved = {"alerts": [{"status": "resolved", "title": "x", **times}]}
    firing = {"alerts": [{"status": "firing", "title": "x", **times}]}
    assert parse_payload(body(resolved)).alerts[0].ends_at == datetime(
        2026, 11, 3, 10, 42, tzinfo=UTC
    )
    assert parse_payload(body(firing)).alerts[0].ends_at is None


def test_generic_severity_field_wins_over_labels() -> None:
    data = {
        "alerts": [
            {"status": "firing", "title": "x", "severity": "High", "labels": {"severity": "low"}}
        ]
    }
    assert parse_payload(body(data)).alerts[0].severity == "high"


def test_priority_label_is_a_severity() -> None:
    data = {"alerts": [{"status": "firing", "title": "x", "labels": {"priority": "P1"}}]}
    assert parse_payload(body(data)).alerts[0].severity == "p1"


def test_status_is_read_without_case() -> None:
    data = {"alerts": [{"status": "FIRING", "title": "x"}]}
    assert parse_payload(body(data)).alerts[0].status == "firing"


def test_title_is_one_line_and_cut() -> None:
    long = "word " * 100
    data = {"alerts": [{"status": "firing", "title": f"Disk\n  full\ton db1 {long}"}]}
    title = parse_payload(body(data)).alerts[0].title
    assert title.startswith("Disk full on db1 word")
    assert len(title) == TITLE_MAX_CHARS
    assert title.endswith("…")


def test_several_alerts_keep_their_order() -> None:
    data = {"alerts": [{"status": "firing", "title": f"t{i}"} for i in range(5)]}
    assert [a.title for a in parse_payload(body(data)).alerts] == [f"t{i}" for i in range(5)]


def test_numbers_and_booleans_in_labels_become_json_text() -> None:
    data = {
        "alerts": [
            {
                "status": "firing",
                "title": "x",
                "labels": {"n": 3, "f": 0.25, "t": True, "no": False, "gone": None},
            }
        ]
    }
    labels = parse_payload(body(data)).alerts[0].labels
    assert labels == {"f": "0.25", "n": "3", "no": "false", "t": "true"}


# ---------------------------------------------------------------------------------------
# Detection


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        ({"alerts": [{"status": "firing", "title": "x"}]}, "generic"),
        ({"alerts": [{"status": "firing", "labels": {}}]}, "alertmanager"),
        ({"version": "4", "alerts": []}, "alertmanager"),
        ({"receiver": "r", "alerts": [{"title": "x"}]}, "alertmanager"),
        ({"alerts": [{"labels": {}, "valueString": "x"}]}, "grafana"),
        ({"orgId": 1, "alerts": [{"labels": {}}]}, "grafana"),
        ({"ruleName": "r", "state": "ok"}, "grafana"),
        ({"evalMatches": []}, "grafana"),
        ({"state": "alerting", "title": "t"}, "grafana"),
        ({"hostname": "h"}, "zabbix"),
        ({"trigger": "t", "status": "PROBLEM"}, "zabbix"),
    ],
)
def test_detect_format(data: object, fmt: str) -> None:
    assert detect_format(data) == fmt


@pytest.mark.parametrize(
    "data", [{}, [], "text", 3, None, {"alerts": "x"}, {"alerts": [{}]}, {"status": "firing"}]
)
def test_detect_format_refuses_what_matches_nothing(data: object) -> None:
    with pytest.raises(AlertPayloadError, match=r"^alert payload: "):
        detect_format(data)


def test_formats_are_the_published_four() -> None:
    assert FORMATS == ("alertmanager", "grafana", "zabbix", "generic")


def test_explicit_format_that_does_not_match_is_refused() -> None:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(body(GENERIC), "alertmanager")
    assert (
        caught.value.message == "alertmanager payload: this is a generic payload, not alertmanager"
    )


def test_explicit_format_reads_an_undetectable_payload_and_names_the_field() -> None:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(body({"alerts": [{"status": "firing"}]}), "generic")
    assert caught.value.message == 'generic payload: alerts[0]: missing "title"'


def test_explicit_format_that_matches_is_read() -> None:
    assert parse_payload(body(GENERIC), "generic").format == "generic"


def test_unknown_format_name_is_one_line() -> None:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(body(GENERIC), "x\ny")
    assert caught.value.message.startswith('unknown alert format "x y" (one of: ')


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(AlertPayloadError, match=r'^unknown alert format "nagios" \(one of: '):
        parse_payload(body(GENERIC), "nagios")


# ---------------------------------------------------------------------------------------
# Refusals: one line naming the field, exit 2


def test_refusal_is_a_usage_error_with_exit_2() -> None:
    with pytest.raises(UsageError) as caught:
        parse_payload(b"{")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "alert payload: not valid JSON (line 1 column 1: Expecting value)"),
        (
            b"{",
            "alert payload: not valid JSON (line 1 column 2: Expecting property name "
            "enclosed in double quotes)",
        ),
        (b"[1, 2]", "alert payload: not a JSON object"),
        (b'"alerts"', "alert payload: not a JSON object"),
        (
            b'{"x": 1}',
            "alert payload: matches none of the formats alertmanager, grafana, zabbix, generic",
        ),
        (b'{"alerts": [], "x": NaN}', "alert payload: not valid JSON (NaN is not JSON)"),
        (b"\xff\xfe{", None),
        (b"[" * 100_000, None),
        (b'{"a": ' + b"9" * 5000 + b"}", None),
    ],
)
def test_not_json_is_refused(raw: bytes, message: str | None) -> None:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(raw)
    if message is not None:
        assert caught.value.message == message
    assert "\n" not in caught.value.message


def test_body_over_the_limit_is_refused() -> None:
    raw = body({"alerts": [{"status": "firing", "title": "x" * (MAX_BODY_BYTES)}]})
    with pytest.raises(AlertPayloadError, match=rf"^alert payload: {len(raw)} bytes, more than"):
        parse_payload(raw)


def _generic_alert(**fields: object) -> bytes:
    alert: dict[str, object] = {"status": "firing", "title": "x"}
    alert.update(fields)
    return body({"alerts": [alert]})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (body({"alerts": []}), '"alerts" is empty'),
        (body({"alerts": None, "title": "x"}), None),
        (body({"alerts": [3]}), "alerts[0] must be an object"),
        (body({"alerts": [{"title": "x"}]}), 'alerts[0]: missing "status"'),
        (
            _generic_alert(status="pending"),
            'alerts[0]: "status" is "pending", not one of firing, resolved',
        ),
        (_generic_alert(status=1), 'alerts[0]: "status" must be a string'),
        (_generic_alert(title=""), 'alerts[0]: "title" is empty'),
        (_generic_alert(title=None), 'alerts[0]: missing "title"'),
        (_generic_alert(title=["x"]), 'alerts[0]: "title" must be a string'),
        (_generic_alert(labels=[]), 'alerts[0]: "labels" must be an object'),
        (
            _generic_alert(labels={"a": {"b": 1}}),
            'alerts[0]: "labels"."a" must be a string or a number',
        ),
        (_generic_alert(labels={"a": [1]}), 'alerts[0]: "labels"."a" must be a string or a number'),
        (
            _generic_alert(starts_at="yesterday"),
            'alerts[0]: "starts_at" is not an RFC 3339 time with a UTC offset',
        ),
        (
            _generic_alert(starts_at="2026-11-03T10:00:00"),
            'alerts[0]: "starts_at" is not an RFC 3339 time with a UTC offset',
        ),
        (
            _generic_alert(starts_at="2026-02-30T10:00:00Z"),
            'alerts[0]: "starts_at" is not a valid time',
        ),
        (_generic_alert(starts_at=1700000000), 'alerts[0]: "starts_at" must be a string'),
        (
            _generic_alert(id="has space"),
            'alerts[0]: "id" must be 1 to 200 printable ASCII characters without spaces',
        ),
        (_generic_alert(id="x" * (MAX_NAME_CHARS + 1)), 'alerts[0]: "id" must be 1 to 200'),
        (_generic_alert(id="идентификатор"), 'alerts[0]: "id" must be 1 to 200'),
        (
            _generic_alert(description="x" * (MAX_TEXT_CHARS + 1)),
            f'alerts[0]: "description" is longer than {MAX_TEXT_CHARS} characters',
        ),
        (
            _generic_alert(labels={"x" * (MAX_NAME_CHARS + 1): "1"}),
            f'alerts[0]: "labels" has a name longer than {MAX_NAME_CHARS} characters',
        ),
        (
            _generic_alert(labels={f"l{i}": "v" for i in range(MAX_FIELDS + 1)}),
            f'alerts[0]: "labels" has {MAX_FIELDS + 1} entries, more than {MAX_FIELDS}',
        ),
        (
            body({"alerts": [{"status": "firing", "title": "x"}] * (MAX_ALERTS + 1)}),
            f'"alerts" has {MAX_ALERTS + 1} entries, more than {MAX_ALERTS}',
        ),
        (
            b'{"alerts": [{"status": "firing", "title": "\\ud800"}]}',
            'alerts[0]: "title" is not valid Unicode text',
        ),
    ],
)
def test_invalid_generic_payload_names_the_field(raw: bytes, message: str | None) -> None:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(raw, "generic")
    if message is not None:
        assert caught.value.message.startswith(f"generic payload: {message}")
    assert "\n" not in caught.value.message


# ---------------------------------------------------------------------------------------
# Times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-02-06T00:17:58.432911368Z", datetime(2020, 2, 6, 0, 17, 58, 432911, tzinfo=UTC)),
        (
            "2018-03-07T06:33:21.873077559-05:00",
            datetime(2018, 3, 7, 11, 33, 21, 873077, tzinfo=UTC),
        ),
        ("2024-03-01T02:09:00Z", datetime(2024, 3, 1, 2, 9, tzinfo=UTC)),
        ("2024-03-01t02:09:00.5z", datetime(2024, 3, 1, 2, 9, 0, 500000, tzinfo=UTC)),
        ("2024-03-01 05:09:00+03:00", datetime(2024, 3, 1, 2, 9, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
        ("0001-01-01T00:00:00.000+01:00", None),
        ("", None),
    ],
)
def test_times_are_aware_utc(text: str, expected: datetime | None) -> None:
    data = {"alerts": [{"status": "resolved", "title": "x", "starts_at": text, "ends_at": text}]}
    alert = parse_payload(body(data)).alerts[0]
    assert alert.starts_at == expected
    assert alert.ends_at == expected
    if alert.starts_at is not None:
        assert alert.starts_at.tzinfo is UTC


def test_time_past_the_calendar_is_refused() -> None:
    data = {
        "alerts": [{"status": "firing", "title": "x", "starts_at": "9999-12-31T23:59:59-01:00"}]
    }
    with pytest.raises(AlertPayloadError, match=r'"starts_at" is not a valid time$'):
        parse_payload(body(data))


# ---------------------------------------------------------------------------------------
# The README's description stays true

README = Path(__file__).parents[2] / "README.md"


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Alert payloads\n")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_generic_example_parses() -> None:
    section = _readme_section()
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    alert = parse_payload(example.encode()).alerts[0]
    assert (alert.identity, alert.status, alert.severity) == ("disk-full/db1", "firing", "critical")
    assert alert.values == {"used_percent": "97.5"}


def test_readme_identity_example() -> None:
    section = _readme_section()
    assert '`sha256(\'["generic","Backup late",{"b":"2"}]\')`' in section
    data = {"alerts": [{"status": "resolved", "title": "Backup late", "labels": {"b": "2"}}]}
    expected = hashlib.sha256(b'["generic","Backup late",{"b":"2"}]').hexdigest()
    assert parse_payload(body(data)).alerts[0].identity == expected


def test_readme_limits_are_the_codes() -> None:
    section = " ".join(_readme_section().split())
    assert MAX_BODY_BYTES == 1024 * 1024
    assert "more than 1 MiB" in section
    assert f"more than {MAX_ALERTS:,} alerts" in section
    assert f"more than {MAX_FIELDS} labels" in section
    assert f"a label name over {MAX_NAME_CHARS} characters" in section
    assert f"any string over {MAX_TEXT_CHARS:,} characters" in section
    assert f"cut to {TITLE_MAX_CHARS} characters" in section
    assert f"1 to {MAX_NAME_CHARS} printable ASCII characters" in section
