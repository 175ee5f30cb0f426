"""An alert taken in through `alert ingest` is downtime in `sla availability` and in the
report's credit: the intake's `alert.firing`, `alert.severity` and `service` are what the
availability reads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.alerttexts import ALERTS_SECTION, alertmanager_body, am_alert
from tests.cli.test_availability import NOW, TARGETS
from tests.helpers import commit_file, ok, run_at

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli


def ingest(cli: Cli, when: str, *alerts: dict[str, Any]) -> list[dict[str, Any]]:
    body = alertmanager_body(*alerts).decode()
    r = run_at(cli, when, "alert", "ingest", "--json", input=body)
    return [json.loads(line) for line in r.stdout.splitlines()]


def warning(alert: dict[str, Any]) -> dict[str, Any]:
    alert["labels"]["severity"] = "warning"
    return alert


def test_an_ingested_alert_is_downtime_and_credit(support_repo: Path, cli: Cli) -> None:
    commit_file(support_repo, "supportctl.yaml", TARGETS + ALERTS_SECTION, "Alerts, targets")
    day = {"starts": "2026-11-10T07:00:00Z"}
    late = {"starts": "2026-11-30T20:00:00Z"}
    rows = ingest(cli, "2026-11-10T10:01:00+03:00", am_alert("shop1", **day))
    assert [(r["outcome"], r["ticket"]) for r in rows] == [("new", "SUP-1")]
    rows = ingest(cli, "2026-11-10T10:02:00+03:00", am_alert("shop1", **day))
    assert [r["outcome"] for r in rows] == ["unchanged"]
    # a warning of the same service: not a severity that counts
    ingest(
        cli, "2026-11-11T10:01:00+03:00", warning(am_alert("warn1", starts="2026-11-11T07:00:00Z"))
    )
    rows = ingest(
        cli,
        "2026-11-11T12:01:00+03:00",
        am_alert("shop1", "resolved", ends="2026-11-10T08:30:00Z", **day),
        warning(am_alert("warn1", "resolved", starts="2026-11-11T07:00:00Z", ends="2026-11-11T09:00:00Z")),
    )  # fmt: skip
    assert [(r["outcome"], r["ticket"]) for r in rows] == [
        ("resolved", "SUP-1"),
        ("resolved", "SUP-2"),
    ]
    # from the month's last evening (Moscow) into December
    ingest(cli, "2026-11-30T23:01:00+03:00", am_alert("shop2", **late))
    rows = ingest(
        cli,
        "2026-12-01T04:01:00+03:00",
        am_alert("shop2", "resolved", ends="2026-12-01T01:00:00Z", **late),
    )
    assert [(r["outcome"], r["ticket"]) for r in rows] == [("resolved", "SUP-3")]

    r = ok(cli("sla", "availability", "--month", "2026-11", "--now", NOW, "--json"))
    shop = json.loads(r.stdout)["services"][1]
    assert shop["service"] == "shop"
    assert shop["downtime_minutes"] == 90 + 60
    assert shop["percent"] == round(100 * (1 - 150 / (30 * 24 * 60)), 3)
    assert shop["met"] is False
    assert [(i["start"], i["end"], i["sources"]) for i in shop["intervals"]] == [
        ("2026-11-10T10:00:00+03:00", "2026-11-10T11:30:00+03:00", ["SUP-1"]),
        ("2026-11-30T23:00:00+03:00", "2026-12-01T00:00:00+03:00", ["SUP-3"]),
    ]

    r = ok(cli("report", "--month", "2026-11", "-c", "acme", "--format", "json", "--now", NOW))
    model = json.loads(r.stdout)
    assert model["availability"]["services"][1]["downtime_minutes"] == 150
    (acme,) = model["time"]["customers"]
    assert acme["availability_breaches"] == 1
    ticket_credit = min(2 * acme["breaches"], 15)
    # 99.653 %: below 99.9 (5 %), not below 99.0
    assert acme["credit_percent"] == min(2 * acme["breaches"] + 5, 15)
    assert acme["availability_credit_percent"] == acme["credit_percent"] - ticket_credit
