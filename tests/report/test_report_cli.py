"""`supportctl report` on a known month: figures, privacy, determinism and golden files.

Regenerate the golden files after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import commit_file, run_at

GOLDEN = Path(__file__).parent / "golden"
NOW = "2026-11-15T12:00:00+03:00"


def _report(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = cli("report", "--month", "2026-10", "--now", NOW, *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_markdown_matches_golden(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _golden("report.md", _report(cli, "--format", "md"))


def test_json_matches_golden(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _golden("report.json", _report(cli, "--format", "json"))


def test_summary_and_sla_figures(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    model = json.loads(_report(cli, "--format", "json"))
    s = model["summary"]
    assert (s["created"], s["resolved"], s["closed"], s["reopened"], s["backlog"]) == (
        3,
        1,
        1,
        0,
        2,
    )
    assert s["previous"]["created"] == 0
    assert s["change"]["created"] == 3
    comp = model["sla"]["compliance"]
    # SUP-1 replied in 30m (met); SUP-2 replied after 4h of office time against 2h (breached);
    # SUP-3 got no reply in October (breached two office hours after creation)
    assert comp["first_response"] == {"met": 1, "breached": 2, "percent": 33.33}
    assert comp["overall"] == {"met": 3, "breached": 6, "percent": 33.33}
    breach = model["sla"]["breaches"][0]
    assert (breach["ticket"], breach["metric"], breach["target_seconds"]) == (
        "SUP-2",
        "first_response",
        7200,
    )
    assert breach["actual_seconds"] == 4 * 3600
    assert breach["over_seconds"] == 2 * 3600
    assert model["sla"]["times"]["first_response"]["median_seconds"] == 1800.0


def test_breakdown_time_and_recurring(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    model = json.loads(_report(cli, "--format", "json"))
    assert model["breakdown"]["by"]["type"] == {"incident": 3}
    assert model["breakdown"]["by"]["priority"] == {"high": 2, "normal": 1}
    assert model["breakdown"]["escalations"]["by_line"] == {"L1 → L2": 1}
    assert model["breakdown"]["first_line_resolution"]["resolved_at_first_line"] == 1
    acme = next(c for c in model["time"]["customers"] if c["customer"] == "acme")
    assert acme["hours_used"] == 1.5
    assert acme["package_hours"] == 10
    assert acme["burned_hours"] == 8.5
    assert acme["breaches"] == 3
    assert acme["credit_percent"] == 6.0
    globex = next(c for c in model["time"]["customers"] if c["customer"] == "globex")
    assert globex["hours_used"] == 0.75
    assert model["recurring"]["threads"][0]["tickets"] == ["SUP-1", "SUP-3"]


def test_audit_flags_backdated_and_hand_made(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    model = json.loads(_report(cli, "--format", "json"))
    flagged = {(e["ticket"], e["action"]): e for e in model["audit"]["flagged"]}
    assert flagged[("SUP-2", "comment")]["backdated_seconds"] == 86400
    assert flagged[("SUP-3", "edit")]["manual"] is True
    assert all(e["at"] < "2026-11" for e in model["audit"]["events"])


def test_customer_report_shows_nothing_of_others(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("md", "json", "html"):
        text = _report(cli, "--customer", "globex", "--format", fmt)
        for leak in ("Checkout", "SUP-1", "SUP-3", "acme", "ACME", "script", "1h30m"):
            assert leak not in text, (fmt, leak)
        assert "SUP-2" in text


def test_links_across_customers_name_no_other_ticket(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, "2026-10-21T10:00:00+03:00", "link", "SUP-2", "--duplicate-of", "SUP-1")
    run_at(cli, "2026-10-21T10:05:00+03:00", "link", "SUP-3", "--related", "SUP-2")
    for fmt in ("md", "json", "html"):
        globex = _report(cli, "--customer", "globex", "--format", fmt, "--audience", "internal")
        assert "SUP-1" not in globex, fmt
        assert "SUP-3" not in globex, fmt
        assert "(a ticket not in this report)" in globex
        acme = _report(cli, "--customer", "acme", "--format", fmt, "--audience", "internal")
        assert "SUP-2" not in acme, fmt
    desk = json.loads(_report(cli, "--format", "json"))
    details = [e["detail"] for e in desk["audit"]["events"] if e["action"] == "link"]
    assert "duplicate_of SUP-1" in " ".join(details)  # the desk-wide report names them all
    globex = json.loads(_report(cli, "--customer", "globex", "--format", "json"))
    assert globex["recurring"]["threads"] == []  # a thread is never followed into another customer


def test_recurring_problems_are_those_of_the_period(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        "2026-11-03T10:00:00+03:00",
        "new",
        "Checkout 500 again",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
        "--tag",
        "checkout",
    )
    run_at(cli, "2026-11-03T10:05:00+03:00", "link", "SUP-4", "--duplicate-of", "SUP-3")
    october = json.loads(_report(cli, "--format", "json"))["recurring"]
    assert october["threads"][0]["tickets"] == ["SUP-1", "SUP-3"]
    assert october["tags"][0] == {"tag": "checkout", "count": 2, "tickets": ["SUP-1", "SUP-3"]}
    november = json.loads(
        _report(cli, "--month", "2026-11", "--format", "json", "--now", "2026-12-01T00:00:00+03:00")
    )["recurring"]
    # SUP-3 (a comment in November) and SUP-4 are active; the thread's root SUP-1 is older
    assert november["threads"][0]["tickets"] == ["SUP-1", "SUP-3", "SUP-4"]


def test_same_commit_same_bytes(october_desk: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("md", "html", "json"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        assert (
            cli(
                "report", "--month", "2026-10", "--format", fmt, "-o", str(a), "--now", NOW
            ).exit_code
            == 0
        )
        assert (
            cli(
                "report",
                "--month",
                "2026-10",
                "--format",
                fmt,
                "-o",
                str(b),
                "--now",
                "2026-12-24T08:00:00+00:00",
            ).exit_code
            == 0
        )
        assert a.read_bytes() == b.read_bytes()
    head = (october_desk / ".git").exists()
    assert head
    assert (
        json.loads((tmp_path / "a.json").read_text())["report"]["commit"]
        in (tmp_path / "a.md").read_text()
    )


def test_html_is_self_contained_and_sanitised(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    html = _report(cli, "--format", "html")
    assert "<script" not in html.lower()
    assert "javascript:" not in html.replace("javascript:alert(1))", "")  # only as escaped text
    assert "&lt;script&gt;" in html
    for attr in ('src="http', 'href="http', "@import", "url("):
        assert attr not in html
    assert html.count("<svg") == 3


def test_report_options_errors(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = cli("report", "--month", "2026-13")
    assert bad.exit_code == 2
    assert "bad --month" in bad.output
    assert cli("report", "--month", "2026-10", "--customer", "nobody").exit_code == 5
    assert cli("report", "--month", "2026-10", "--format", "pdf").exit_code == 2


@pytest.mark.parametrize("month", ["last"])
def test_month_last(october_desk: Path, cli, month: str) -> None:  # type: ignore[no-untyped-def]
    model = json.loads(
        str(
            cli(
                "report", "--month", month, "--now", "2026-11-03T10:00:00+03:00", "--format", "json"
            ).stdout
        )
    )
    assert model["report"]["period"]["label"] == "2026-10"


def test_repo_template_overrides_default(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    commit_file(october_desk, "templates/report.md.j2", "Custom {{ r.summary.created }}\n")
    assert _report(cli, "--format", "md") == "Custom 3\n"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "report.md.j2",
            "{% if %}\n",
            "templates/report.md.j2:1: template error: Expected an expression",
        ),
        (
            "report.md.j2",
            "{{ r.no_such_figure }}\n",
            "templates/report.md.j2: template error: 'dict object' has no attribute 'no_such_figure'",
        ),
        ("devtask.md.j2", "# {{ t.nope.deeper }}\n", "templates/devtask.md.j2: template error:"),
    ],
)
def test_a_broken_template_is_one_error_line(
    october_desk: Path,
    cli,
    name: str,
    text: str,  # type: ignore[no-untyped-def]
    message: str,
) -> None:
    commit_file(october_desk, f"templates/{name}", text)
    args = ("devtask", "SUP-2") if name.startswith("devtask") else ("report", "--month", "2026-10")
    r = cli(*args)
    assert r.exit_code == 4
    assert r.stderr.startswith(f"supportctl: error: {message}"), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
