"""Report figures that are zero in the golden desk, with non-zero values worked out by hand:
hour packages with rollover, overage cost, capped service credits, reopens, the change
against the previous month, articles shared by several tickets."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.helpers import git, run_at

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-11-15T12:00:00+03:00"

GLOBEX = """  globex:
    name: Globex
    plan: standard
    package: {hours: 2, rollover: true}
    rate: 100
    currency: EUR
    credits: {per_breach: 10%, cap: 15%}
    fee: 1000
"""


def _report(cli, month: str = "2026-10", *args: str) -> dict:  # type: ignore[no-untyped-def]
    r = cli("report", "--month", month, "--now", NOW, "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_packages_rollover_overage_and_capped_credits(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    config = october_desk / "supportctl.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  globex:\n    name: Globex\n    plan: standard\n", GLOBEX), encoding="utf-8"
    )
    git(october_desk, "commit", "-qm", "globex: package and credits", "supportctl.yaml")
    # September: 30 minutes of globex's 2 package hours used; 1.5 h roll over into October
    run_at(
        cli, "2026-10-09T10:00:00+03:00", "log", "SUP-2", "--minutes", "30", "--on", "2026-09-20"
    )
    # October: 45 min (fixture) + 3 h = 3.75 h against 2 + 1.5 = 3.5 h available
    run_at(cli, "2026-10-09T11:00:00+03:00", "log", "SUP-2", "--time", "3h", "--on", "2026-10-09")
    model = _report(cli)
    globex = next(c for c in model["time"]["customers"] if c["customer"] == "globex")
    assert globex["breaches"] >= 2  # so 10% per breach hits the 15% cap
    assert {
        k: globex[k]
        for k in (
            "hours_used",
            "package_hours",
            "rollover",
            "carried_in_hours",
            "available_hours",
            "balance_hours",
            "burned_hours",
            "overage_hours",
            "overage_cost",
            "credit_percent",
            "credit_amount",
        )
    } == {
        "hours_used": 3.75,
        "package_hours": 2,
        "rollover": True,
        "carried_in_hours": 1.5,
        "available_hours": 3.5,
        "balance_hours": 0.0,
        "burned_hours": 0.0,
        "overage_hours": 0.25,
        "overage_cost": 25.0,
        "credit_percent": 15.0,
        "credit_amount": 150.0,
    }
    acme = next(c for c in model["time"]["customers"] if c["customer"] == "acme")
    # acme burns what it does not use: 10 h package, 1.5 h used, 3 breaches x 2% = 6%
    assert (acme["burned_hours"], acme["balance_hours"], acme["credit_percent"]) == (8.5, 0.0, 6.0)
    md = cli("report", "--month", "2026-10", "--now", NOW, "--customer", "globex").stdout
    # overage 0:15 x €100.00 per hour = €25.00; credit 15% x €1,000.00 = €150.00
    assert "| 0:15 | €100.00 | €25.00 |" in md
    assert "15% × €1,000.00 = €150.00" in md


def test_reopens_previous_month_and_shared_articles(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # September: one acme ticket created and resolved, so October's change is against it
    run_at(
        cli,
        "2026-09-28T10:00:00+03:00",
        "new",
        "Old question",
        "--customer",
        "acme",
        "--type",
        "information_request",
        "--priority",
        "low",
    )
    run_at(cli, "2026-09-28T11:00:00+03:00", "resolve", "SUP-4", "--resolution", "answered")
    # October: SUP-1 (closed on the 6th) fails again, is reopened and resolved again
    run_at(cli, "2026-10-10T10:00:00+03:00", "reopen", "SUP-1", "--reason", "fails again")
    run_at(
        cli, "2026-10-10T12:00:00+03:00", "resolve", "SUP-1", "--resolution", "cache cleared again"
    )
    # one article for two tickets (linked after SUP-3 exists, on the 20th)
    run_at(cli, "2026-10-21T10:00:00+03:00", "kb", "new", "Checkout cache", "--body-file", "-")
    run_at(cli, "2026-10-21T10:05:00+03:00", "kb", "link", "SUP-1", "checkout-cache")
    run_at(cli, "2026-10-21T10:10:00+03:00", "kb", "link", "SUP-3", "checkout-cache")
    model = _report(cli)
    summary = model["summary"]
    assert (summary["created"], summary["reopened"], summary["previous"]["created"]) == (3, 1, 1)
    assert summary["change"]["created"] == 2
    assert summary["previous"]["resolved"] == 1
    assert summary["resolved"] == 2
    assert model["breakdown"]["reopen_rate"] == {"reopened": 1, "resolved": 2, "percent": 50.0}
    assert model["recurring"]["kb"] == [
        {"slug": "checkout-cache", "count": 2, "tickets": ["SUP-1", "SUP-3"], "shared": False}
    ]
    september = _report(cli, "2026-09")
    assert (september["summary"]["created"], september["summary"]["resolved"]) == (1, 1)
