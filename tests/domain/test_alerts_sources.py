"""domain/alerts.py per source on hand-written payloads: Alertmanager, Grafana (unified and
legacy) and Zabbix, their status words, identities and refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from supportctl.domain.alerts import MAX_FIELDS, computed_identity, parse_payload
from supportctl.domain.errors import AlertPayloadError


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def refused(data: object, fmt: str | None = None) -> str:
    with pytest.raises(AlertPayloadError) as caught:
        parse_payload(body(data), fmt)
    assert "\n" not in caught.value.message
    return caught.value.message


# ---------------------------------------------------------------------------------------
# Alertmanager


def am(**alert: Any) -> dict[str, Any]:
    one: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "HighLatency", "instance": "shop-1", "severity": "critical"},
        "annotations": {"summary": "High latency on shop-1", "description": "p99 is 2.5 s"},
        "startsAt": "2026-11-03T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
        "fingerprint": "6a1f0c2d3e4b5a69",
    }
    one.update(alert)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "supportctl",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [one],
    }


def test_alertmanager_alert() -> None:
    payload = parse_payload(body(am()))
    alert = payload.alerts[0]
    assert (payload.format, payload.group_key, payload.receiver) == (
        "alertmanager",
        '{}:{alertname="HighLatency"}',
        "supportctl",
    )
    assert alert.identity == "6a1f0c2d3e4b5a69"
    assert alert.title == "High latency on shop-1"
    assert alert.description == "p99 is 2.5 s"
    assert alert.severity == "critical"
    assert alert.starts_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.url == "http://prometheus:9090/graph?g0.expr=x"
    assert alert.values == {}


def test_alertmanager_resolved_alert_keeps_its_end() -> None:
    alert = parse_payload(body(am(status="resolved", endsAt="2026-11-03T10:42:00Z"))).alerts[0]
    assert alert.ends_at == datetime(2026, 11, 3, 10, 42, tzinfo=UTC)


def test_alertmanager_firing_alert_has_no_end_even_when_sent_one() -> None:
    alert = parse_payload(body(am(endsAt="2026-11-03T10:05:00Z"))).alerts[0]
    assert alert.ends_at is None


def test_alertmanager_without_fingerprint_is_keyed_by_its_labels() -> None:
    data = am()
    del data["alerts"][0]["fingerprint"]
    alert = parse_payload(body(data)).alerts[0]
    assert alert.identity == computed_identity(
        "alertmanager", {"alertname": "HighLatency", "instance": "shop-1", "severity": "critical"}
    )


def test_alertmanager_title_falls_back_to_alertname() -> None:
    alert = parse_payload(body(am(annotations={}))).alerts[0]
    assert alert.title == "HighLatency"
    assert alert.description == ""


def test_alertmanager_truncated_alerts() -> None:
    data = am()
    data["truncatedAlerts"] = 7
    assert parse_payload(body(data)).truncated == 7


def test_alertmanager_version_3_numeric_group_key() -> None:
    data = am()
    data["version"] = "3"
    data["groupKey"] = 12345678901234567890123
    assert parse_payload(body(data)).group_key == "12345678901234567890123"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": None}, 'alerts[0]: missing "labels"'),
        ({"labels": "x"}, 'alerts[0]: "labels" must be an object'),
        ({"annotations": [1]}, 'alerts[0]: "annotations" must be an object'),
        ({"status": "pending"}, 'alerts[0]: "status" is "pending", not one of firing, resolved'),
        ({"startsAt": "03/11/2026"}, 'alerts[0]: "startsAt" is not an RFC 3339 time'),
        ({"fingerprint": "a b"}, 'alerts[0]: "fingerprint" must be 1 to 200 printable ASCII'),
        ({"fingerprint": 17}, 'alerts[0]: "fingerprint" must be a string'),
        ({"generatorURL": {"u": 1}}, 'alerts[0]: "generatorURL" must be a string'),
    ],
)
def test_alertmanager_alert_refusals(change: dict[str, Any], message: str) -> None:
    assert refused(am(**change)).startswith(f"alertmanager payload: {message}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alerts": []}, '"alerts" is empty'),
        ({"alerts": {}}, '"alerts" must be a list'),
        ({"alerts": [[]]}, "alerts[0] must be an object"),
        ({"status": "ok"}, '"status" is "ok", not one of firing, resolved'),
        ({"truncatedAlerts": -1}, '"truncatedAlerts" must be a whole number 0 or more'),
        ({"truncatedAlerts": "3"}, '"truncatedAlerts" must be a whole number 0 or more'),
        ({"truncatedAlerts": True}, '"truncatedAlerts" must be a whole number 0 or more'),
        ({"groupKey": ["k"]}, '"groupKey" must be a string or a number'),
        ({"version": {}}, '"version" must be a string or a number'),
        ({"receiver": 3}, '"receiver" must be a string'),
    ],
)
def test_alertmanager_group_refusals(change: dict[str, Any], message: str) -> None:
    data = am()
    data.update(change)
    assert refused(data, "alertmanager") == f"alertmanager payload: {message}"


def test_alertmanager_alert_without_status_takes_the_groups() -> None:
    data = am()
    del data["alerts"][0]["status"]
    data["status"] = "resolved"
    assert parse_payload(body(data)).alerts[0].status == "resolved"


def test_alertmanager_refusal_names_the_alert_by_index() -> None:
    data = am()
    data["alerts"].append(dict(data["alerts"][0], labels=None))
    assert refused(data) == 'alertmanager payload: alerts[1]: missing "labels"'


# ---------------------------------------------------------------------------------------
# Grafana unified alerting


def grafana(**alert: Any) -> dict[str, Any]:
    data = am(**alert)
    data["alerts"][0].update(
        {
            "silenceURL": "https://grafana/alerting/silence/new",
            "dashboardURL": "https://grafana/d/abc",
            "panelURL": "https://grafana/d/abc?viewPanel=2",
            "values": {"B": 2.5, "C": 1},
            "valueString": "[ var='B' labels={} value=2.5 ]",
        }
    )
    data["alerts"][0].update(alert)
    data.update({"orgId": 1, "title": "[FIRING:1] HighLatency", "state": "alerting"})
    return data


def test_grafana_unified_alert() -> None:
    payload = parse_payload(body(grafana()))
    alert = payload.alerts[0]
    assert payload.format == "grafana"
    assert alert.values == {"B": "2.5", "C": "1"}
    assert alert.url == "http://prometheus:9090/graph?g0.expr=x"
    assert alert.description == (
        "p99 is 2.5 s\n\n"
        "Value: [ var='B' labels={} value=2.5 ]\n\n"
        "Dashboard: https://grafana/d/abc\n"
        "Panel: https://grafana/d/abc?viewPanel=2\n"
        "Silence: https://grafana/alerting/silence/new"
    )


def test_grafana_unified_link_falls_back_to_the_panel() -> None:
    alert = parse_payload(body(grafana(generatorURL=""))).alerts[0]
    assert alert.url == "https://grafana/d/abc?viewPanel=2"


def test_grafana_unified_labels_may_be_left_out() -> None:
    data = grafana()
    del data["alerts"][0]["labels"]
    alert = parse_payload(body(data)).alerts[0]
    assert alert.labels == {}
    assert alert.title == "High latency on shop-1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"values": [1]}, 'alerts[0]: "values" must be an object'),
        ({"values": {"A": {"x": 1}}}, 'alerts[0]: "values"."A" must be a string or a number'),
        ({"valueString": 3}, 'alerts[0]: "valueString" must be a string'),
        ({"panelURL": False}, 'alerts[0]: "panelURL" must be a string'),
        ({"status": None}, None),
    ],
)
def test_grafana_unified_refusals(change: dict[str, Any], message: str | None) -> None:
    data = grafana(**change)
    if message is None:
        del data["status"]
        message = 'alerts[0]: missing "status"'
    assert refused(data) == f"grafana payload: {message}"


# ---------------------------------------------------------------------------------------
# Grafana legacy alerting


def legacy(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dashboardId": 1,
        "evalMatches": [
            {"value": 100, "metric": "High value", "tags": None},
            {"value": 2.5, "metric": "cpu", "tags": {"host": "db1", "core": "0"}},
            {"value": None, "metric": "gone", "tags": {}},
        ],
        "imageUrl": "https://grafana/render.png",
        "message": "CPU is high",
        "orgId": 3,
        "panelId": 1,
        "ruleId": 42,
        "ruleName": "CPU rule",
        "ruleUrl": "http://grafana:3000/d/x?panelId=1",
        "state": "alerting",
        "tags": {"severity": "Warning", "service": "shop"},
        "title": "[Alerting] CPU rule",
    }
    data.update(fields)
    return data


def test_grafana_legacy_alert() -> None:
    payload = parse_payload(body(legacy()))
    alert = payload.alerts[0]
    assert (payload.format, payload.group_key, payload.truncated) == ("grafana", None, 0)
    assert alert.identity == computed_identity("grafana", "rule", "3", "42")
    assert alert.status == "firing"
    assert alert.title == "CPU rule"
    assert alert.labels == {"service": "shop", "severity": "Warning"}
    assert alert.severity == "warning"
    assert alert.values == {"High value": "100", "cpu{core=0, host=db1}": "2.5", "gone": "null"}
    assert alert.url == "http://grafana:3000/d/x?panelId=1"
    assert (alert.starts_at, alert.ends_at) == (None, None)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("alerting", "firing"),
        ("no_data", "firing"),
        ("pending", "firing"),
        ("ok", "resolved"),
        ("paused", "resolved"),
        ("OK", "resolved"),
    ],
)
def test_grafana_legacy_states(state: str, status: str) -> None:
    assert parse_payload(body(legacy(state=state))).alerts[0].status == status


def test_grafana_legacy_ok_without_matches_is_the_same_alert() -> None:
    firing = parse_payload(body(legacy())).alerts[0]
    ok = parse_payload(body(legacy(state="ok", evalMatches=[], title="[OK] CPU rule"))).alerts[0]
    assert firing.identity == ok.identity


def test_grafana_legacy_rules_of_other_organisations_differ() -> None:
    one = parse_payload(body(legacy(orgId=1))).alerts[0]
    two = parse_payload(body(legacy(orgId=2))).alerts[0]
    assert one.identity != two.identity


def test_grafana_legacy_without_rule_id_is_keyed_by_rule_name() -> None:
    data = legacy()
    del data["ruleId"]
    alert = parse_payload(body(data)).alerts[0]
    assert alert.identity == computed_identity("grafana", "rule-name", "3", "CPU rule")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"state": None}, 'missing "state"'),
        (
            {"state": "unknown"},
            '"state" is "unknown", not one of alerting, no_data, ok, paused, pending',
        ),
        ({"ruleId": None, "ruleName": None}, 'missing "ruleId" and "ruleName"'),
        ({"ruleId": {}}, '"ruleId" must be a string or a number'),
        ({"evalMatches": {}}, '"evalMatches" must be a list'),
        ({"evalMatches": [1]}, "evalMatches[0] must be an object"),
        (
            {"evalMatches": [{"metric": "m", "value": [1]}]},
            'evalMatches[0]: "value" must be a string or a number',
        ),
        (
            {"evalMatches": [{"metric": "m", "tags": "x"}]},
            'evalMatches[0]: "tags" must be an object',
        ),
        ({"tags": ["a"]}, '"tags" must be an object'),
        ({"message": 5}, '"message" must be a string'),
    ],
)
def test_grafana_legacy_refusals(change: dict[str, Any], message: str) -> None:
    assert refused(legacy(**change)) == f"grafana payload: {message}"


def test_grafana_legacy_too_many_matches_is_refused() -> None:
    matches = [{"metric": f"m{i}", "value": i} for i in range(MAX_FIELDS + 1)]
    assert refused(legacy(evalMatches=matches)) == (
        f'grafana payload: "evalMatches" has {MAX_FIELDS + 1} entries, more than {MAX_FIELDS}'
    )


# ---------------------------------------------------------------------------------------
# Zabbix


def zabbix(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "hostname": "db1.example.com",
        "severity": "High",
        "status": "PROBLEM",
        "item": "Free disk space on / is 3 %",
        "trigger": "Disk almost full on db1",
        "link": "https://zabbix.example.com/tr_events.php?triggerid=501&eventid=9001",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_zabbix_alert() -> None:
    payload = parse_payload(body(zabbix()))
    alert = payload.alerts[0]
    assert (payload.format, payload.group_key, payload.receiver) == ("zabbix", None, None)
    assert alert.identity == computed_identity("zabbix", "trigger", "db1.example.com", "501")
    assert alert.labels == {"hostname": "db1.example.com", "severity": "high"}
    assert alert.severity == "high"
    assert alert.title == "db1.example.com: Disk almost full on db1"
    assert alert.values == {"item": "Free disk space on / is 3 %"}


@pytest.mark.parametrize(
    ("word", "status"),
    [("PROBLEM", "firing"), ("UPDATE", "firing"), ("OK", "resolved"), ("Resolved", "resolved")],
)
def test_zabbix_statuses(word: str, status: str) -> None:
    assert parse_payload(body(zabbix(status=word))).alerts[0].status == status


def test_zabbix_trigger_id_field_wins_over_the_link() -> None:
    alert = parse_payload(body(zabbix(trigger_id=777))).alerts[0]
    assert alert.identity == computed_identity("zabbix", "trigger", "db1.example.com", "777")


def test_zabbix_event_id_when_there_is_no_trigger_id() -> None:
    alert = parse_payload(body(zabbix(link=None, event_id="9001"))).alerts[0]
    assert alert.identity == computed_identity("zabbix", "event", "db1.example.com", "9001")


def test_zabbix_trigger_name_as_the_last_resort() -> None:
    alert = parse_payload(body(zabbix(link="https://zabbix.example.com/"))).alerts[0]
    assert alert.identity == computed_identity(
        "zabbix", "name", "db1.example.com", "Disk almost full on db1"
    )
    assert alert.url == "https://zabbix.example.com/"


def test_zabbix_tags_as_an_object_or_as_tagsjson() -> None:
    as_object = zabbix(tags={"service": "shop", "customer": "acme"})
    as_list = zabbix(
        tags=[{"tag": "service", "value": "shop"}, {"tag": "customer", "value": "acme"}]
    )
    one = parse_payload(body(as_object)).alerts[0]
    two = parse_payload(body(as_list)).alerts[0]
    assert (
        one.labels
        == two.labels
        == {
            "customer": "acme",
            "hostname": "db1.example.com",
            "service": "shop",
            "severity": "high",
        }
    )


def test_zabbix_hostname_beats_a_tag_of_that_name() -> None:
    alert = parse_payload(body(zabbix(tags={"hostname": "spoofed"}))).alerts[0]
    assert alert.labels["hostname"] == "db1.example.com"


def test_zabbix_without_severity_or_item() -> None:
    alert = parse_payload(body(zabbix(severity=None, item=None))).alerts[0]
    assert alert.severity is None
    assert alert.values == {}
    assert alert.labels == {"hostname": "db1.example.com"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hostname": None}, 'missing "hostname"'),
        ({"hostname": "  "}, '"hostname" is empty'),
        ({"hostname": 7}, '"hostname" must be a string'),
        ({"status": None}, 'missing "status"'),
        ({"status": "BROKEN"}, '"status" is "BROKEN", not one of ok, problem, resolved, update'),
        ({"trigger": None}, 'missing "trigger"'),
        ({"link": 1}, '"link" must be a string'),
        ({"tags": "x"}, '"tags" must be an object or a list'),
        ({"tags": [{"value": "v"}]}, 'tags[0]: missing "tag"'),
        ({"tags": [{"tag": "t", "value": []}]}, 'tags[0]: "value" must be a string or a number'),
    ],
)
def test_zabbix_refusals(change: dict[str, Any], message: str) -> None:
    assert refused(zabbix(**change), "zabbix") == f"zabbix payload: {message}"
