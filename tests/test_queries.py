"""`list` filters: case-insensitive where values are canonical, loud on unknown words."""

from __future__ import annotations

import json
from pathlib import Path


def test_filters_ignore_case_and_reject_unknown_status(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("new", "A", "--customer", "acme", "--type", "incident", "--priority", "high",
               "--tag", "Payments").exit_code == 0
    assert cli("new", "B", "--customer", "acme", "--type", "incident", "--priority", "low").exit_code == 0
    rows = json.loads(cli("list", "--tag", "PAYMENTS", "--line", "l1", "--json").stdout)
    assert [r["id"] for r in rows] == ["SUP-1"]
    rows = json.loads(cli("list", "--priority", "LOW", "--status", "New", "--json").stdout)
    assert [r["id"] for r in rows] == ["SUP-2"]
    bad = cli("list", "--status", "opne")
    assert bad.exit_code == 2
    assert "unknown --status 'opne'" in bad.output


def test_first_tag_on_an_untagged_ticket_stays_a_flow_list(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("new", "A", "--customer", "acme", "--type", "incident", "--priority", "high").exit_code == 0
    assert cli("tag", "SUP-1", "vpn", "urgent").exit_code == 0
    text = (support_repo / "data/tickets/0000/SUP-1.yaml").read_text(encoding="utf-8")
    assert "tags: [vpn, urgent]\n" in text
