"""`sla show --lang`: a ticket's clocks in the customer's words, to paste into a reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import run_at

if TYPE_CHECKING:
    from pathlib import Path


def test_sla_show_in_russian_and_ukrainian(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        "2026-10-05T10:00:00+03:00",
        "new",
        "Checkout returns 500",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
    )
    run_at(cli, "2026-10-05T10:30:00+03:00", "comment", "SUP-1", "Looking into it")
    now = ("--now", "2026-10-05T11:00:00+03:00")
    english = cli("sla", "show", "SUP-1", *now)
    assert english.exit_code == 0
    assert english.stdout.startswith("SUP-1 (acme, high, new) as of 2026-10-05T11:00:00+03:00\n")
    ru = cli("sla", "show", "SUP-1", "--lang", "ru", *now)
    assert ru.exit_code == 0, ru.output
    lines = ru.stdout.splitlines()
    assert lines[0] == "SUP-1 (высокий, новая) на 05.10.2026, 11:00"
    assert lines[1].split() == [
        "первый", "ответ", "в", "срок", "30", "мин", "из", "2", "ч",
        "остановлено", "05.10.2026,", "10:30",
    ]  # fmt: skip
    # the same due time as the English line says
    assert "due 2026-10-05T15:00:00+03:00" in english.stdout.splitlines()[2]
    assert lines[2].endswith("срок 05.10.2026, 15:00")
    assert "acme" not in ru.stdout  # the customer's key is the team's word, not theirs
    uk = cli("sla", "show", "SUP-1", "--lang", "uk", *now)
    assert uk.stdout.splitlines()[1].split()[:4] == ["перша", "відповідь", "вчасно", "30"]
    bad = cli("sla", "show", "SUP-1", "--lang", "de", *now)
    assert bad.exit_code == 2
    assert "unknown language 'de': expected en, ru, uk" in bad.stderr
