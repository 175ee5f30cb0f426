"""The customer's own report (`--audience customer`, the default with `--customer`): what the
team wrote for itself never reaches it, in any format or language."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING

from tests.helpers import run_at

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-11-15T12:00:00+03:00"
NOTE = "Zebra-Quokka 7731: their DBA dropped the index again"
REASON = "Marmot-Ocelot 4410 escalation for colleagues"
WORK = "Rebuilt the sales report index"
FORMATS = ("md", "html", "json")


def _report(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = cli("report", "--month", "2026-10", "--now", NOW, *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _plain(text: str) -> str:
    """The text a reader sees: entities and Markdown escapes undone, so an escaped leak
    still counts."""
    return html.unescape(text).replace("\\", "")


def _staff(desk: Path) -> list[str]:
    from supportctl.config.settings import parse_config

    config = parse_config((desk / "supportctl.yaml").read_bytes(), desk / "supportctl.yaml")
    return [v for a in config.agents.values() for v in (a.handle, a.name, a.email or "") if v]


def _internal_desk(october_desk: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    run_at(cli, "2026-10-06T15:00:00+03:00", "comment", "SUP-2", NOTE, "--internal")
    run_at(cli, "2026-10-06T15:05:00+03:00", "escalate", "SUP-2", "--reason", REASON)
    run_at(
        cli,
        "2026-10-06T16:00:00+03:00",
        "log",
        "SUP-2",
        "--time",
        "1h05m",
        "--note",
        WORK,
        "--on",
        "2026-10-06",
    )
    return october_desk


def test_the_customer_report_holds_nothing_written_for_the_team(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    desk = _internal_desk(october_desk, cli)
    staff = _staff(desk)
    for lang in ("en", "ru", "uk"):
        for fmt in FORMATS:
            text = _plain(_report(cli, "--customer", "globex", "--lang", lang, "--format", fmt))
            for secret in (NOTE, "Zebra-Quokka", REASON, "Marmot-Ocelot", "needs DB analysis"):
                assert secret not in text, (lang, fmt, secret)
            assert "Called the customer" not in text, (lang, fmt)  # the back-dated internal note
            for person in staff:
                assert not re.search(rf"\b{re.escape(person)}\b", text), (lang, fmt, person)
            for other in ("SUP-1", "SUP-3", "Checkout", "acme", "ACME"):
                assert not re.search(rf"\b{re.escape(other)}\b", text), (lang, fmt, other)
            assert WORK in text, (lang, fmt)  # the work done is the customer's to see
            assert "SUP-2" in text
    # the team's own report of the same customer keeps it all
    team = _report(cli, "--customer", "globex", "--audience", "internal", "--format", "json")
    assert REASON in team
    assert "Anna Smirnova" in team


def test_customer_json_leaves_the_internal_fields_out(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    desk = _internal_desk(october_desk, cli)
    assert desk.exists()
    model = json.loads(_report(cli, "--customer", "globex", "--format", "json"))
    assert model["report"]["audience"] == "customer"
    assert model["report"]["language"] == "en"
    assert "audit" not in model
    assert "agents" not in model["time"]
    assert "by_reason" not in model["breakdown"]["escalations"]
    assert model["breakdown"]["escalations"]["by_line"] == {"L1 → L2": 1, "L2 → L3": 1}
    (sup2,) = model["tickets"]
    # the team's actions in the customer's words, in order; the internal note is not one
    assert [(a["at"][11:16], a["action"], a.get("line")) for a in sup2["timeline"]] == [
        ("09:00", "received", None),
        ("14:00", "replied", None),
        ("14:05", "escalated", 2),
        ("14:10", "taken_into_work", None),
        ("15:05", "escalated", 3),
    ]
    (work,) = model["time"]["tickets"]
    assert work["work"] == [
        {"on": "2026-10-06", "minutes": 65, "note": WORK},
        {"on": "2026-10-08", "minutes": 45, "note": ""},
    ]
    internal = json.loads(_report(cli, "--format", "json"))
    assert internal["report"]["audience"] == "internal"
    assert internal["audit"]["events"]


def test_customer_report_in_russian_and_ukrainian(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _internal_desk(october_desk, cli)
    ru = _report(cli, "--customer", "globex", "--lang", "ru")
    assert "# Отчёт о поддержке — Октябрь 2026: Globex" in ru
    assert "Октябрь 2026: 1 новая заявка, 1 нарушение срока первого ответа" in ru
    # 1 h 05 min + 45 min; the Ukrainian hours and minutes of the SLA table
    assert "| 06.10.2026 | SUP-2 | Rebuilt the sales report index | 1:05 |" in ru
    assert "- 06.10.2026, 15:05 — передана на 3-ю линию" in ru
    uk = _report(cli, "--customer", "globex", "--lang", "uk")
    assert "| перша відповідь | 0 | 1 | 0,0 % | 4 год | 4 год |" in uk
    assert "- 06.10.2026, 14:10 — взято в роботу" in uk
    page = _report(cli, "--customer", "globex", "--lang", "uk", "--format", "html")
    assert '<html lang="uk">' in page
    assert "<title>Звіт про підтримку 2026-10 — Globex</title>" in page


def test_audience_and_language_are_checked(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", "--month", "2026-10", "--audience", "customer")
    assert result.exit_code == 2
    assert "a customer report is for one customer: name it with --customer" in result.stderr
    result = cli("report", "--month", "2026-10", "--audience", "board")
    assert result.exit_code == 2
    assert "unknown audience 'board': expected customer or internal" in result.stderr
    result = cli("report", "--month", "2026-10", "--lang", "de")
    assert result.exit_code == 2
    assert "unknown language 'de': expected en, ru, uk" in result.stderr


def test_every_audience_and_language_is_rendered_from_one_computed_model(
    october_desk: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    from supportctl.cli.common import parse_now
    from supportctl.domain.periods import resolve_period
    from supportctl.report.collect import report_for
    from supportctl.storage.desk import Desk

    desk = Desk(october_desk)
    at = parse_now(NOW)
    period = resolve_period("2026-10", None, None, at, desk.config.timezone)
    first = report_for(desk, period, "globex", at, language="ru")
    again = report_for(Desk(october_desk), period, "globex", at, audience="internal")
    # the same cached model under both views: the audit trail only in the team's
    assert "audit" not in first
    assert again["audit"]["events"]
    assert first["summary"] == again["summary"]
    assert (first["report"]["language"], again["report"]["language"]) == ("ru", "en")
