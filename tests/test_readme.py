"""The README's worked SLA example, reproduced on a real repo."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.helpers import run_at

if TYPE_CHECKING:
    from pathlib import Path


def test_worked_example(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        "2026-10-06T09:00:00+03:00",
        "new",
        "Slow report",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "normal",
    )
    run_at(cli, "2026-10-06T14:00:00+03:00", "comment", "SUP-1", "Looking")
    run_at(cli, "2026-10-06T14:10:00+03:00", "start", "SUP-1")
    run_at(cli, "2026-10-06T17:00:00+03:00", "wait", "SUP-1", "--reason", "need logs")
    run_at(cli, "2026-10-07T11:00:00+03:00", "start", "SUP-1")
    run_at(cli, "2026-10-08T10:00:00+03:00", "resolve", "SUP-1", "--resolution", "Index added")
    shown = cli("sla", "show", "SUP-1", "--json", "--now", "2026-10-09T12:00:00+03:00")
    metrics = json.loads(shown.stdout)["metrics"]
    fr, sw, res = metrics["first_response"], metrics["start_work"], metrics["resolution"]
    assert (fr["state"], fr["elapsed_seconds"], fr["breached_at"]) == (
        "breached",
        4 * 3600,
        "2026-10-06T11:00:00+03:00",
    )
    assert (sw["state"], sw["elapsed_seconds"], sw["breached_at"]) == (
        "breached",
        4 * 3600 + 600,
        "2026-10-06T13:00:00+03:00",
    )
    assert (res["state"], res["elapsed_seconds"], res["target_seconds"]) == (
        "met",
        14 * 3600,
        16 * 3600,
    )
    explain = cli("sla", "explain", "SUP-1", "--now", "2026-10-09T12:00:00+03:00").stdout
    assert "paused" in explain
