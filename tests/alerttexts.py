"""Alerts as the tests send them: the routing configuration, `Alert`s built in code, and
Alertmanager webhook bodies (version 4) for the command line and the HTTP receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from supportctl.domain.alerts import Alert, Payload
from tests.helpers import CONFIG, git

if TYPE_CHECKING:
    from pathlib import Path

ALERTS_SECTION = """\
alerts:
  reopen_minutes: 60
  routes:
    - matchers: ['customer="acme"']
      customer: acme
      priority: {critical: critical, warning: normal, default: low}
    - matchers: ['team=~"glob.*"', 'env!="test"']
      customer: globex
      service: portal
      auto_resolve: false
    - matchers: ['tenant=~".+"']
      customer_label: tenant
"""
ALERT_CONFIG = CONFIG + ALERTS_SECTION
T0 = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)


def use_alert_config(root: Path, text: str = ALERT_CONFIG) -> None:
    (root / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(root, "commit", "-qm", "Alert configuration", "supportctl.yaml")


def alert(
    identity: str = "fp-1",
    status: str = "firing",
    *,
    labels: dict[str, str] | None = None,
    starts_at: datetime | None = T0,
    ends_at: datetime | None = None,
    value: str = "",
    severity: str | None = "critical",
    title: str = "HighLatency on shop-1",
) -> Alert:
    labels = (
        {"alertname": "HighLatency", "customer": "acme", "service": "shop"}
        if labels is None
        else labels
    )
    return Alert(
        identity=identity,
        status=status,
        labels=labels,
        annotations={"summary": f"latency is high {value}".strip()},
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        description="p99 latency above 2s",
        url="http://prometheus.example/graph?g0.expr=latency",
        values={"B": value} if value else {},
        severity=severity,
    )


def payload(*alerts: Alert, fmt: str = "alertmanager") -> Payload:
    return Payload(fmt, tuple(alerts), 0, None, None)


def alertmanager_body(*alerts: dict[str, Any]) -> bytes:
    """A version 4 Alertmanager webhook body with these alerts (see `am_alert`)."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    body = {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "supportctl",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }
    return json.dumps(body).encode()


def am_alert(
    fingerprint: str,
    status: str = "firing",
    *,
    customer: str = "acme",
    value: str = "2.5s",
    starts: str = "2026-10-05T06:00:00Z",
    ends: str = "0001-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": "HighLatency",
            "instance": f"shop-{fingerprint}",
            "severity": "critical",
            "customer": customer,
            "service": "shop",
        },
        "annotations": {"summary": f"p99 latency is {value}"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": fingerprint,
    }
