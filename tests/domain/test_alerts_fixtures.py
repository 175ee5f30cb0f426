"""Acceptance: real webhook payloads from ../shared/fixtures/alerts/, read as their sources
expect.

The files stay where they are (their licences differ from ours; see SOURCES.md there); this
module reads them and skips when the folder is absent. Every file there has an expected
outcome in EXPECTED, so a fixture added later without one fails here instead of going
untested. The "missing mandatory field" cases must be refused with one line naming the
field; every other payload must parse, and for Zulip's fixtures what we extract is compared
with what Zulip's own tests expect (zerver/webhooks/*/tests.py): the status, the
labels or annotations its topic comes from, the description and the link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportctl.domain.alerts import detect_format, parse_payload
from supportctl.domain.errors import AlertPayloadError

FIXTURES = Path(__file__).parents[2] / ".." / "shared" / "fixtures" / "alerts"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is absent")

ZERO = None  # Go's zero time, Alertmanager's "no end"


@dataclass(frozen=True)
class Parsed:
    """What one payload must give: its format and, per alert, the fields checked."""

    format: str
    statuses: tuple[str, ...]
    identities: tuple[str | None, ...] = ()  # None: computed (64 hex digits), not checked
    group_key: str | None = None
    receiver: str | None = None
    truncated: int = 0
    first: dict[str, object] = field(default_factory=dict)  # Alert attribute -> value


@dataclass(frozen=True)
class Refused:
    message: str


CPU_URL = (
    "http://cobalt:9090/graph?g0.expr=avg+by%28host%29+%28sensors_temp_input%7Bfeature%3D~"
    "%22core_%5B0-9%5D%2B%22%7D%29+%3E+15&g0.tab=1"
)

EXPECTED: dict[str, Parsed | Refused] = {
    # prom2teams: its schema requires "status"; the payload has neither the group's nor the
    # alert's
    "prom2teams/without_mandatory_field.json": Refused(
        'alertmanager payload: alerts[0]: missing "status"'
    ),
    "prom2teams/all_ok.json": Parsed(
        "alertmanager",
        ("resolved",),
        ("dd19ae3d4e06ac55",),
        receiver="test_webhook",
        first={
            "title": "Disk usage alert on CS30.evilcorp",
            "description": "disk usage 93% on rootfs device",
            "severity": "severe",
            "starts_at": datetime(2017, 5, 9, 7, 1, 37, 803000, tzinfo=UTC),
            "ends_at": datetime(2017, 5, 9, 7, 8, 37, 818278, tzinfo=UTC),
            "url": "my.prometheusserver.url",
        },
    ),
    "prom2teams/with_common_items.json": Parsed(
        "alertmanager",
        ("resolved",),
        ("dd19ae3d4e06ac55",),
        group_key='{}/{alertname="CPUThrottlingHigh"}:{}',
        receiver="echo",
        first={"title": "CPU throttling", "severity": "warning"},
    ),
    "prometheus-msteams/prom_post_request.json": Parsed(
        "alertmanager",
        ("firing",),  # the alert has no status of its own: the group's
        (None,),
        group_key='{}:{alertname="high_memory_load"}',
        receiver="teams_proxy",
        first={
            "title": "Server High Memory usage",
            "description": "10.80.40.11 reported high memory usage with 23.28%.",
            # -05:00 with nanoseconds, in UTC
            "starts_at": datetime(2018, 3, 7, 11, 33, 21, 873077, tzinfo=UTC),
            "ends_at": ZERO,
            "url": None,
        },
    ),
    "prometheus_bot/simpe.json": Parsed(
        "alertmanager",
        ("firing",),
        (None,),
        group_key="43434343434343434343",  # version 3: a number, kept whole
        receiver="admins",
        first={
            "title": "Oops, something happend!",
            "severity": "warning",
            "ends_at": ZERO,
            "url": "https://example.com/graph#...",
        },
    ),
    "prometheus_bot/noGenURL.json": Parsed(
        "alertmanager",
        ("resolved",) * 8,  # from the group: no alert has a status of its own
        (None,) * 8,
        group_key="0",
        receiver="admins-critical",
        first={"url": None, "ends_at": None, "severity": "critical"},
    ),
    # Zulip, alertmanager/tests.py (URL name=topic&desc=description): topic "andromeda",
    # one line per alert "{description} ([graph]({generatorURL}))"; Zulip rewrites tab=1 to
    # tab=0 in the link, we keep the sender's link as it is.
    "zulip/alertmanager/alert.json": Parsed(
        "alertmanager",
        ("firing", "firing"),
        ("a1bc48475b20e73d", "c2ea85182f28cbd9"),
        group_key="{}/{}:{}",
        receiver="ops-zulip",
        first={
            "description": "CPU core temperature is 34.75C",
            "url": CPU_URL,
            "severity": "critical",
            "title": "High CPU core temperature",
        },
    ),
    "zulip/alertmanager/single_alert.json": Parsed(
        "alertmanager",
        ("resolved",),
        ("a1bc48475b20e73d",),
        group_key="{}/{}:{}",
        receiver="ops-zulip",
        first={"description": "CPU core temperature is 34.75C", "url": CPU_URL},
    ),
    "zulip/alertmanager/single_alert_no_url.json": Parsed(
        "alertmanager",
        ("firing",),
        ("a1bc48475b20e73d",),
        group_key="{}/{}:{}",
        receiver="ops-zulip",
        first={"url": None},
    ),
    # Zulip, grafana/tests.py test_alert_v7 (the same payload as form data): topic is the
    # title "[Alerting] Test notification", the link [Test rule](http://localhost:3000/),
    # the message, then "**High value:** 100", "**Higher Value:** 200".
    "zulip/grafana/alert.json": Parsed(
        "grafana",
        ("firing",),
        (None,),
        first={
            "title": "Test rule",
            "url": "http://localhost:3000/",
            "values": {"High value": "100", "Higher Value": "200"},
            "description": (
                "Someone is testing the alert notification within grafana.\n\n"
                "High value: 100\nHigher Value: 200\n\n"
                "Image: https://grafana.com/assets/img/blog/mixed_styles.png"
            ),
            "labels": {},
            "starts_at": None,
        },
    ),
    "zulip/grafana/alert-9.json": Parsed(
        "grafana",
        ("firing",),
        ("d8a21484c9c25a60",),
        group_key='{}/{test="true"}:{}',
        receiver="Webhook test",
        first={
            "title": "This is a summary field, failure on some_host",
            "labels": {"alertname": "Test alert", "test": "true"},
            "url": "https://grafana.example.com/alerting/grafana/zTjxv_C7k/view",
            "ends_at": ZERO,
        },
    ),
    "zulip/grafana/alert-9-resolved.json": Parsed(
        "grafana",
        ("resolved",),
        ("d8a21484c9c25a60",),  # the same alert as alert-9.json
        group_key='{}/{test="true"}:{}',
        receiver="Webhook test",
        first={
            "starts_at": datetime(2022, 6, 17, 0, 41, 0, 782137, tzinfo=UTC),
            "ends_at": datetime(2022, 6, 17, 0, 51, 24, 67337, tzinfo=UTC),
        },
    ),
    # Zulip's topic falls back to the fingerprint when there is no alertname; so does our
    # title
    "zulip/grafana/alert_new_no_labels.json": Parsed(
        "grafana",
        ("resolved",),
        ("57c6d9296de2ad39",),
        group_key=(
            '{alertname="TestAlert", instance="Grafana"}2022-08-31 05:54:04.52289368 +0000 UTC '
            "m=+42208.256292221"
        ),
        truncated=1,
        first={
            "title": "Grafana alert 57c6d9296de2ad39",
            "labels": {},
            "annotations": {},
            "url": None,
            "values": {},
            "ends_at": datetime(2022, 8, 31, 10, 30, 0, 522884, tzinfo=UTC),
        },
    ),
    # Zulip, grafana/tests.py test_alert_values_v11: topic "[Memory (copy)]" (alertname),
    # labels alertname/debug/grafana_folder, values A: 2473545728, B: 0, C: 1, minute: 9,
    # summary "High memory usage", [Generator](generatorURL), [Image](imageURL)
    "zulip/grafana/alert_values_v11.json": Parsed(
        "grafana",
        ("firing",),
        ("e6349a25f5ef0e9e",),
        group_key='{}/{debug="true"}:{alertname="Memory (copy)", grafana_folder="device"}',
        receiver="Debug webhook",
        first={
            "labels": {"alertname": "Memory (copy)", "debug": "true", "grafana_folder": "device"},
            "values": {"A": "2473545728", "B": "0", "C": "1", "minute": "9"},
            "annotations": {"summary": "High memory usage"},
            "title": "High memory usage",
            "url": (
                "https://play.grafana.org/alerting/grafana/dd2f0260-3cfc-4c65-a4c4-f3f632c551f4"
                "/view?orgId=1"
            ),
            "starts_at": datetime(2024, 3, 1, 2, 9, tzinfo=UTC),
        },
    ),
    # Zulip, zabbix/tests.py: topic "www.example.com" (hostname); message "PROBLEM (Average)
    # alert on [www.example.com](link): * trigger * item"
    "zulip/zabbix/zabbix_alert.json": Parsed(
        "zabbix",
        ("firing",),
        (None,),
        first={
            "labels": {"hostname": "www.example.com", "severity": "average"},
            "severity": "average",
            "title": (
                "www.example.com: Zabbix agent on www.example.com is unreachable for 5 minutes"
            ),
            "description": (
                "Zabbix agent on www.example.com is unreachable for 5 minutes\n\n"
                "Agent ping is Up (1)"
            ),
            "url": "https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10528",
            "values": {"item": "Agent ping is Up (1)"},
        },
    ),
    "zulip/zabbix/zabbix_ok.json": Parsed("zabbix", ("resolved",), (None,)),
    # Zulip answers "Invalid payload": hostname is required
    "zulip/zabbix/zabbix_invalid_payload_with_missing_data.json": Refused(
        'zabbix payload: missing "hostname"'
    ),
}


def fixture_files() -> list[str]:
    if not FIXTURES.is_dir():
        return sorted(EXPECTED)
    return sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_every_fixture_has_an_expected_outcome() -> None:
    assert fixture_files() == sorted(EXPECTED)


@pytest.mark.parametrize("name", fixture_files())
def test_fixture(name: str) -> None:
    expected = EXPECTED[name]
    if isinstance(expected, Refused):
        with pytest.raises(AlertPayloadError) as caught:
            parse_payload(read(name))
        assert caught.value.message == expected.message
        return
    payload = parse_payload(read(name))
    assert payload.format == expected.format
    assert tuple(a.status for a in payload.alerts) == expected.statuses
    for alert, identity in zip(payload.alerts, expected.identities, strict=False):
        if identity is None:
            assert len(alert.identity) == 64
            assert int(alert.identity, 16) >= 0
        else:
            assert alert.identity == identity
    assert (payload.group_key, payload.receiver, payload.truncated) == (
        expected.group_key,
        expected.receiver,
        expected.truncated,
    )
    first = payload.alerts[0]
    for attribute, value in expected.first.items():
        assert getattr(first, attribute) == value, attribute


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, Parsed)])
def test_fixture_with_its_format_given(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Parsed)
    assert parse_payload(read(name), expected.format) == parse_payload(read(name))
    assert detect_format(json.loads(read(name))) == expected.format


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, Parsed)])
def test_fixture_with_another_format_given_is_refused(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Parsed)
    for other in ("alertmanager", "grafana", "zabbix", "generic"):
        if other != expected.format:
            with pytest.raises(AlertPayloadError, match=f"^{other} payload: this is a "):
                parse_payload(read(name), other)


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, Parsed)])
def test_fixture_times_are_utc_and_firing_has_no_end(name: str) -> None:
    for alert in parse_payload(read(name)).alerts:
        for moment in (alert.starts_at, alert.ends_at):
            assert moment is None or moment.tzinfo is UTC
        if alert.status == "firing":
            assert alert.ends_at is None
        assert "\n" not in alert.title
        assert alert.title.strip() == alert.title != ""


def test_zabbix_problem_and_recovery_share_an_identity() -> None:
    """The recovery has a new eventid in its link; the trigger is what stays."""
    problem = parse_payload(read("zulip/zabbix/zabbix_alert.json")).alerts[0]
    recovery = parse_payload(read("zulip/zabbix/zabbix_ok.json")).alerts[0]
    assert problem.identity == recovery.identity


def test_computed_identities_differ_between_alerts_of_one_group() -> None:
    alerts = parse_payload(read("prometheus_bot/noGenURL.json")).alerts
    assert len({a.identity for a in alerts}) == len(alerts)


def test_payloads_are_equal_when_read_twice() -> None:
    for name, expected in EXPECTED.items():
        if isinstance(expected, Parsed):
            assert parse_payload(read(name)) == parse_payload(read(name))
