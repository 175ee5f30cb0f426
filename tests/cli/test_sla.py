"""`supportctl sla show|status|check|explain` on real support repos.

Plan `standard` of conftest.py: critical -> 24x7 30m/1h/4h, others 2h/4h/16h in the Moscow
office calendar (mon-fri 09:00-13:00, 14:00-18:00). 2026-10-05 is a Monday; the fixture pins
git dates to 2026-10-05T10:00:00+03:00 unless a command says otherwise.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import at, git, ok

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from typer.testing import Result

Cli = Any  # the `cli` fixture of conftest.py


def msk(day: str, hm: str) -> dict[str, str]:
    return at(f"2026-{day}T{hm}:00+03:00")


def js(result: Result) -> Any:
    return json.loads(ok(result).stdout)


_templates: dict[str, Path] = {}


def reuse(
    name: str,
    build: Callable[[], None],
    root: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Build a scenario's repo once per session, then give every test a fresh copy of it
    (keeps the suite fast: the commits are the slow part)."""
    template = _templates.get(name)
    if template is None:
        build()
        template = tmp_path_factory.mktemp(name) / "desk"
        shutil.copytree(root, template, symlinks=True, ignore=shutil.ignore_patterns("supportctl"))
        _templates[name] = template
        return root
    shutil.rmtree(root)
    shutil.copytree(template, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


def new(
    cli: Cli,
    title: str,
    customer: str = "acme",
    priority: str = "normal",
    env: dict[str, str] | None = None,
) -> None:
    ok(cli("new", title, "-c", customer, "-t", "incident", "-p", priority, env=env))


# -- sla show ----------------------------------------------------------------------------------
def test_show_json_fields(support_repo: Path, cli: Cli) -> None:
    new(cli, "Printer broken")  # Mon 10:00
    data = js(cli("sla", "show", "sup-1", "--json", "--now", "2026-10-05T12:30:00+03:00"))
    assert data == {
        "id": "SUP-1",
        "now": "2026-10-05T12:30:00+03:00",
        "created": "2026-10-05T10:00:00+03:00",
        "status": "new",
        "customer": "acme",
        "priority": "normal",
        "metrics": {
            "first_response": {
                "target_seconds": 7200,
                "elapsed_seconds": 9000.0,
                "due": "2026-10-05T12:00:00+03:00",
                "state": "breached",
                "at_risk": False,
                "started": "2026-10-05T10:00:00+03:00",
                "stopped": None,
                "stopped_by": None,
                "stop_action": None,
                "breached_at": "2026-10-05T12:00:00+03:00",
                "breached_from": "2026-10-05T12:00:00+03:00",
                "calendar": "office",
                "rule": "standard rule 2 (any ticket)",
            },
            "start_work": {  # 1h30 left: 12:30-13:00, then 14:00-15:00
                "target_seconds": 14400,
                "elapsed_seconds": 9000.0,
                "due": "2026-10-05T15:00:00+03:00",
                "state": "running",
                "at_risk": False,
                "started": "2026-10-05T10:00:00+03:00",
                "stopped": None,
                "stopped_by": None,
                "stop_action": None,
                "breached_at": None,
                "breached_from": None,
                "calendar": "office",
                "rule": "standard rule 2 (any ticket)",
            },
            "resolution": {  # 13h30 left: 4h30 on Monday, 8h on Tuesday, 1h on Wednesday
                "target_seconds": 57600,
                "elapsed_seconds": 9000.0,
                "due": "2026-10-07T10:00:00+03:00",
                "state": "running",
                "at_risk": False,
                "started": "2026-10-05T10:00:00+03:00",
                "stopped": None,
                "stopped_by": None,
                "stop_action": None,
                "breached_at": None,
                "breached_from": None,
                "calendar": "office",
                "rule": "standard rule 2 (any ticket)",
            },
        },
    }
    human = ok(
        cli("sla", "show", "SUP-1", "--now", "2026-10-05T12:30:00+03:00")
    ).stdout.splitlines()
    assert human[0] == "SUP-1 (acme, normal, new) as of 2026-10-05T12:30:00+03:00"
    assert human[1].split() == [
        "first_response",
        "breached",
        "2h30m",
        "of",
        "2h",
        "breached",
        "2026-10-05T12:00:00+03:00",
    ]
    assert human[2].split() == [
        "start_work",
        "running",
        "2h30m",
        "of",
        "4h",
        "due",
        "2026-10-05T15:00:00+03:00",
    ]
    assert human[-1] == "  targets from standard rule 2 (any ticket)"


def test_show_met_and_at_risk_and_unknown(support_repo: Path, cli: Cli) -> None:
    new(cli, "Site down", priority="critical")  # Mon 10:00, 24x7
    ok(cli("comment", "SUP-1", "On it", env=msk("10-05", "10:30")))  # exactly 30m: met
    m = js(cli("sla", "show", "SUP-1", "--json", "--now", "2026-10-05T10:50:00+03:00"))["metrics"]
    assert {k: (v["elapsed_seconds"], v["state"], v["at_risk"]) for k, v in m.items()} == {
        "first_response": (1800, "met", False),
        "start_work": (3000, "running", True),  # 50m of 1h >= 80%
        "resolution": (3000, "running", False),
    }
    assert m["first_response"]["stop_action"] == "comment"
    assert (m["start_work"]["due"], m["start_work"]["calendar"]) == (
        "2026-10-05T11:00:00+03:00",
        "24x7",
    )
    missing = cli("sla", "show", "SUP-9", "--now", "2026-10-05T10:50:00+03:00")
    assert missing.exit_code == 5
    assert "SUP-9" in missing.output


# -- sla status --------------------------------------------------------------------------------
@pytest.fixture
def desk(
    support_repo: Path,
    cli: Cli,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    def build() -> None:
        new(cli, "Site down", priority="critical")  # SUP-1 Mon 10:00
        new(cli, "Invoice wrong", customer="globex", env=msk("10-05", "09:05"))  # SUP-2
        new(cli, "Slow reports", env=msk("10-05", "09:30"))  # SUP-3
        new(cli, "Password reset")  # SUP-4 Mon 10:00
        ok(cli("wait", "SUP-4", "-r", "which account?", env=msk("10-05", "10:30")))

    return reuse("desk", build, support_repo, tmp_path_factory, monkeypatch)


ORDER = [  # (id, metric, state, due) at Mon 11:10 MSK = 08:10Z
    (
        "SUP-1",
        "first_response",
        "breached",
        "2026-10-05T10:30:00+03:00",
    ),  # breached, most overdue first
    ("SUP-1", "start_work", "breached", "2026-10-05T11:00:00+03:00"),
    ("SUP-2", "first_response", "breached", "2026-10-05T11:05:00+03:00"),
    ("SUP-3", "first_response", "running", "2026-10-05T11:30:00+03:00"),  # then by due
    ("SUP-4", "first_response", "running", "2026-10-05T12:00:00+03:00"),  # waiting: still running
    # (SUP-4's start_work was met by the wait: asking the customer starts the work)
    ("SUP-1", "resolution", "running", "2026-10-05T14:00:00+03:00"),
    ("SUP-2", "start_work", "running", "2026-10-05T14:05:00+03:00"),
    ("SUP-3", "start_work", "running", "2026-10-05T14:30:00+03:00"),
    ("SUP-2", "resolution", "running", "2026-10-07T09:05:00+03:00"),
    ("SUP-3", "resolution", "running", "2026-10-07T09:30:00+03:00"),
    ("SUP-4", "resolution", "paused", None),  # no due while waiting: last
]


def rows(data: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r["metric"], r["state"], r["due"]) for r in data]


def test_status_order_breached_first_then_by_due(desk: Path, cli: Cli) -> None:
    data = js(cli("sla", "status", "--json", "--now", "2026-10-05T11:10:00+03:00"))
    assert rows(data) == ORDER
    first = data[0]
    assert (first["customer"], first["priority"], first["status"], first["line"]) == (
        "acme",
        "critical",
        "new",
        "L1",
    )
    assert (first["elapsed_seconds"], first["remaining_seconds"]) == (4200, -2400)
    sup3 = data[3]
    assert (sup3["elapsed_seconds"], sup3["at_risk"], sup3["remaining_seconds"]) == (
        6000,
        True,
        1200,
    )
    assert data[-1]["remaining_seconds"] == 57600 - 1800  # SUP-4 counted 10:00-10:30
    # SUPPORTCTL_NOW is the same as --now
    assert (
        js(cli("sla", "status", "--json", env={"SUPPORTCTL_NOW": "2026-10-05T11:10:00+03:00"}))
        == data
    )


def test_status_filters(desk: Path, cli: Cli) -> None:
    now = ["--now", "2026-10-05T11:10:00+03:00", "--json"]
    # at risk: running, at or past the warning share and not yet breached; breached apart
    assert rows(js(cli("sla", "status", "--at-risk", *now))) == ORDER[3:4]
    assert rows(js(cli("sla", "status", "--breached", *now))) == ORDER[:3]
    assert rows(js(cli("sla", "status", "--customer", "globex", *now))) == [
        r for r in ORDER if r[0] == "SUP-2"
    ]
    assert rows(js(cli("sla", "status", "--customer", "globex", "--breached", *now))) == ORDER[2:3]
    assert js(cli("sla", "status", "--customer", "globex", "--at-risk", *now)) == []
    # both flags: everything that needs attention, breached first
    assert rows(js(cli("sla", "status", "--at-risk", "--breached", *now))) == ORDER[:4]
    unknown = cli("sla", "status", "--customer", "initech", *now)
    assert unknown.exit_code != 0
    assert "initech" in unknown.output


def test_open_ticket_becomes_breached_when_now_passes_due(desk: Path, cli: Cli) -> None:
    early = js(cli("sla", "status", "--json", "--now", "2026-10-05T10:20:00+03:00"))
    assert [(r["id"], r["metric"], r["state"]) for r in early][:2] == [
        ("SUP-1", "first_response", "running"),
        ("SUP-1", "start_work", "running"),
    ]
    assert (
        js(cli("sla", "status", "--breached", "--json", "--now", "2026-10-05T10:20:00+03:00")) == []
    )
    late = js(cli("sla", "status", "--breached", "--json", "--now", "2026-10-05T10:30:01+03:00"))
    assert [(r["id"], r["metric"], r["state"], r["breached_at"]) for r in late] == [
        ("SUP-1", "first_response", "breached", "2026-10-05T10:30:00+03:00")
    ]
    human = ok(
        cli("sla", "status", "--breached", "--now", "2026-10-05T10:30:01+03:00")
    ).stdout.splitlines()
    assert human[0].split() == ["ID", "CUSTOMER", "PRIORITY", "METRIC", "STATE", "LEFT", "DUE"]
    assert human[1].split() == [
        "SUP-1",
        "acme",
        "critical",
        "first_response",
        "breached",
        "-1s",
        "2026-10-05T10:30:00+03:00",
    ]
    nothing = ok(cli("sla", "status", "--breached", "--now", "2026-10-05T10:20:00+03:00")).stdout
    assert nothing.strip() == "no open clocks match"


def test_resolved_tickets_leave_status(desk: Path, cli: Cli) -> None:
    ok(cli("resolve", "SUP-1", "-r", "restarted", env=msk("10-05", "11:00")))
    data = js(cli("sla", "status", "--json", "--now", "2026-10-05T11:10:00+03:00"))
    assert [r for r in rows(data) if r[0] == "SUP-1"] == []
    assert rows(data) == [r for r in ORDER if r[0] != "SUP-1"]


# -- sla check ---------------------------------------------------------------------------------
@pytest.fixture
def month(
    support_repo: Path,
    cli: Cli,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    def build() -> None:
        # SUP-1: created Wed Sep 30 17:00, never answered: breaches on Oct 1 and 2 (counted in
        # October)
        new(cli, "Backup failed", env=msk("09-30", "17:00"))
        # SUP-2: everything met on Oct 5
        new(cli, "New user")
        ok(cli("comment", "SUP-2", "Creating it", env=msk("10-05", "10:30")))
        ok(cli("start", "SUP-2", env=msk("10-05", "10:45")))
        ok(cli("resolve", "SUP-2", "-r", "created", env=msk("10-05", "12:00")))
        # SUP-3 (globex, critical, 24x7): first response after 1h (breached), resolved after 3h
        # (met); the resolve also stops start_work at 3h (breached)
        new(cli, "Site down", customer="globex", priority="critical")
        ok(cli("comment", "SUP-3", "Looking", env=msk("10-05", "11:00")))
        ok(cli("resolve", "SUP-3", "-r", "restarted", env=msk("10-05", "13:00")))

    return reuse("month", build, support_repo, tmp_path_factory, monkeypatch)


NOV = "2026-11-15T12:00:00+03:00"


def test_check_json(month: Path, cli: Cli) -> None:
    data = js(cli("sla", "check", "--month", "2026-10", "--json", "--now", NOV))
    assert data == {
        "period": {
            "label": "2026-10",
            "since": "2026-10-01T00:00:00+03:00",
            "until": "2026-11-01T00:00:00+03:00",
        },
        "customer": None,
        "metrics": {
            "first_response": {"met": 1, "breached": 2, "percent": 33.33},
            "start_work": {"met": 1, "breached": 2, "percent": 33.33},
            "resolution": {"met": 2, "breached": 1, "percent": 66.67},
        },
        "overall": {"met": 4, "breached": 5, "percent": 44.44},
        "min": None,
        "ok": True,
    }
    globex = js(
        cli("sla", "check", "--month", "2026-10", "--customer", "globex", "--json", "--now", NOV)
    )
    assert {k: (v["met"], v["breached"]) for k, v in globex["metrics"].items()} == {
        "first_response": (0, 1),
        "start_work": (0, 1),
        "resolution": (1, 0),
    }
    assert globex["overall"] == {"met": 1, "breached": 2, "percent": 33.33}
    # nothing stopped or breached in September: SUP-1 was not yet due
    sept = js(cli("sla", "check", "--month", "2026-09", "--json", "--now", NOV))
    assert sept["overall"] == {"met": 0, "breached": 0, "percent": None}


def test_check_min_exit_codes(month: Path, cli: Cli) -> None:
    below = cli("sla", "check", "--month", "2026-10", "--min", "95", "--now", NOV)
    assert below.exit_code == 1
    assert "44.4% is below --min 95%" in below.output
    assert "  overall           44.4%  (4 met, 5 breached)" in below.stdout
    above = cli("sla", "check", "--month", "2026-10", "--min", "40", "--now", NOV)
    assert above.exit_code == 0, above.output
    as_json = cli("sla", "check", "--month", "2026-10", "--min", "95", "--json", "--now", NOV)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["ok"] is False
    exact = cli("sla", "check", "--month", "2026-10", "--min", "44.44", "--now", NOV)  # not below
    assert exact.exit_code == 0
    assert cli("sla", "check", "--month", "2026-10", "--min", "101", "--now", NOV).exit_code == 2


def test_check_since_until(month: Path, cli: Cli) -> None:
    def overall(*args: str) -> tuple[int, int]:
        data = js(cli("sla", "check", *args, "--json", "--now", NOV))
        return data["overall"]["met"], data["overall"]["breached"]

    # Oct 1: SUP-1's first_response (10:00) and start_work (12:00) breach; Oct 2: its resolution
    assert overall("--since", "2026-10-01", "--until", "2026-10-01") == (0, 2)
    assert overall("--since", "2026-10-02", "--until", "2026-10-02") == (0, 1)
    assert overall("--since", "2026-10-05", "--until", "2026-10-05") == (4, 2)
    assert overall("--since", "2026-10-01", "--until", "2026-10-31") == (4, 5)
    data = js(
        cli(
            "sla", "check", "--since", "2026-10-05", "--until", "2026-10-05", "--json", "--now", NOV
        )
    )
    assert data["period"] == {
        "label": "2026-10-05..2026-10-05",
        "since": "2026-10-05T00:00:00+03:00",
        "until": "2026-10-06T00:00:00+03:00",
    }
    # an open period is evaluated as of --now: on Oct 1 at 11:00 only the first response has breached
    early = js(
        cli("sla", "check", "--month", "2026-10", "--json", "--now", "2026-10-01T11:00:00+03:00")
    )
    assert early["overall"] == {"met": 0, "breached": 1, "percent": 0.0}
    bad = cli("sla", "check", "--month", "2026-10", "--since", "2026-10-01", "--now", NOV)
    assert bad.exit_code == 2


# -- sla explain -------------------------------------------------------------------------------
def test_explain_counts_business_time_and_marks_pauses(support_repo: Path, cli: Cli) -> None:
    new(cli, "VPN drops")  # Mon 10:00
    ok(cli("comment", "SUP-1", "Looking", env=msk("10-05", "10:30")))
    ok(cli("start", "SUP-1", env=msk("10-05", "11:00")))
    ok(cli("wait", "SUP-1", "-r", "need router logs", env=msk("10-05", "12:00")))
    ok(cli("start", "SUP-1", env=msk("10-06", "10:00")))
    ok(cli("resolve", "SUP-1", "-r", "firmware", env=msk("10-06", "11:00")))
    now = ["--now", "2026-10-06T12:00:00+03:00"]

    data = js(cli("sla", "explain", "SUP-1", "--json", *now))
    assert [
        (e["action"], e["status"], e["wall_seconds"], e["business_seconds"], e["counting"])
        for e in data["events"]
    ] == [
        ("new", "new", 0, 0, False),
        ("comment", "new", 1800, 1800, True),
        ("start", "in_progress", 1800, 1800, True),
        ("wait", "waiting", 3600, 3600, True),
        ("start", "in_progress", 79200, 0, False),  # waiting over night: paused
        ("resolve", "resolved", 3600, 3600, True),
        ("now", "resolved", 3600, 0, False),
    ]
    assert data["events"][3]["detail"] == "need router logs"
    assert data["metrics"]["resolution"]["elapsed_seconds"] == 10800
    assert data["events"][1]["commit"] == data["metrics"]["first_response"]["stopped_by"]

    out = ok(cli("sla", "explain", "SUP-1", *now)).stdout.splitlines()
    assert out[0].split() == ["WHEN", "ACTION", "BY", "STATUS", "LINE", "WALL", "COUNTED", "DETAIL"]
    table = [line.split()[:7] for line in out[1:8]]
    assert table == [
        ["2026-10-05T10:00:00+03:00", "new", "Anna", "Smirnova", "new", "L1", "0m"],
        ["2026-10-05T10:30:00+03:00", "comment", "Anna", "Smirnova", "new", "L1", "30m"],
        ["2026-10-05T11:00:00+03:00", "start", "Anna", "Smirnova", "in_progress", "L1", "30m"],
        ["2026-10-05T12:00:00+03:00", "wait", "Anna", "Smirnova", "waiting", "L1", "1h"],
        ["2026-10-06T10:00:00+03:00", "start", "Anna", "Smirnova", "in_progress", "L1", "22h"],
        ["2026-10-06T11:00:00+03:00", "resolve", "Anna", "Smirnova", "resolved", "L1", "1h"],
        ["2026-10-06T12:00:00+03:00", "now", "resolved", "L1", "1h", "paused"],
    ]
    assert out[2].split()[7:9] == ["30m", "public"]
    assert out[5].split()[7] == "paused"
    assert out[6].split()[7] == "1h"
    assert out[-1].split()[:5] == ["resolution", "met", "3h", "of", "16h"]


RULES = """\
plans:
  standard:
    calendar: office
    rules:
      - when: {priority: critical}
        resolution: 1h
      - when: {line: L2}
        resolution: 2h
      - when: {type: service_request, class: [billing, access]}
        resolution: 3h
      - when: {channel: phone}
        resolution: 4h
      - resolution: 5h
customers:"""


def test_rules_match_on_type_class_line_and_channel_first_match_wins(
    support_repo: Path, cli: Cli
) -> None:
    config = support_repo / "supportctl.yaml"
    text = config.read_text(encoding="utf-8")
    head, _, tail = text.partition("plans:\n")
    config.write_text(head + RULES + tail.partition("customers:")[2], encoding="utf-8")
    git(support_repo, "commit", "-qm", "Rules on type, class, line and channel", "supportctl.yaml")
    base = ("-c", "acme", "-p", "normal")
    ok(
        cli(
            "new",
            "Invoice wrong",
            *base,
            "-t",
            "service_request",
            "--class",
            "billing",
            "--channel",
            "phone",
        )
    )
    ok(cli("new", "Printer", *base, "-t", "incident", "--channel", "phone"))
    ok(cli("new", "New badge", *base, "-t", "service_request", "--class", "hardware"))
    ok(cli("new", "Down", "-c", "acme", "-p", "critical", "-t", "incident", "--channel", "phone"))
    ok(cli("escalate", "SUP-3", "-r", "needs L2", env=msk("10-05", "11:00")))

    def rule(tid: str) -> tuple[str, int]:
        m = js(cli("sla", "show", tid, "--json", "--now", "2026-10-05T12:00:00+03:00"))["metrics"][
            "resolution"
        ]
        return m["rule"], m["target_seconds"]

    assert rule("SUP-1") == (
        "standard rule 3 (type=service_request, class=billing|access)",
        3 * 3600,
    )
    assert rule("SUP-2") == ("standard rule 4 (channel=phone)", 4 * 3600)
    assert rule("SUP-3") == ("standard rule 2 (line=L2)", 2 * 3600)  # re-targeted by the escalation
    assert rule("SUP-4") == (
        "standard rule 1 (priority=critical)",
        3600,
    )  # first match, not channel


# -- calendars at their edges: a UTC desk -------------------------------------------------------
UTC_DESK = """\
id_prefix: SUP
lines: [L1, L2, L3]
timezone: UTC
calendars:
  utc85: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
  night: {timezone: UTC, hours: {mon-sun: "00:00-06:00"}}
plans:
  respond:
    calendar: utc85
    rules:
      - first_response: 8h
  lines:
    calendar: utc85
    rules:
      - when: {line: L2}
        calendar: night
        start_work: 2h
      - start_work: 30m
customers:
  acme:
    name: ACME
    plan: respond
    currency: EUR
    fee: 1000
    credits: {per_breach: 5%, cap: 15%}
  globex: {name: Globex, plan: lines}
"""


@pytest.fixture
def utc_desk(support_repo: Path) -> Path:
    from tests.helpers import git

    (support_repo / "supportctl.yaml").write_text(UTC_DESK, encoding="utf-8")
    git(support_repo, "commit", "-qam", "UTC desk")
    return support_repo


def test_breach_counts_in_the_period_of_the_first_instant_past_the_target(
    utc_desk: Path, cli: Cli
) -> None:
    """8 business hours from Thu 2021-12-30 17:00Z run out at Fri 17:00, a closing time: the
    clock is met until Mon 2022-01-03 09:00, so its breach belongs to January."""
    new(cli, "Nobody answers", env=at("2021-12-30T17:00:00+00:00"))
    show = js(cli("sla", "show", "SUP-1", "--json", "--now", "2022-02-01T00:00:00+00:00"))[
        "metrics"
    ]
    fr = show["first_response"]
    assert (fr["state"], fr["due"], fr["breached_at"], fr["breached_from"]) == (
        "breached",
        "2021-12-31T17:00:00+00:00",
        "2021-12-31T17:00:00+00:00",
        "2022-01-03T09:00:00+00:00",
    )
    # still met (running) at the next opening itself, breached one second later
    assert (
        js(cli("sla", "show", "SUP-1", "--json", "--now", "2022-01-03T09:00:00+00:00"))["metrics"][
            "first_response"
        ]["state"]
        == "running"
    )
    assert (
        js(cli("sla", "show", "SUP-1", "--json", "--now", "2022-01-03T09:00:01+00:00"))["metrics"][
            "first_response"
        ]["state"]
        == "breached"
    )

    def check(month: str) -> dict[str, Any]:
        data: dict[str, Any] = js(
            cli("sla", "check", "--month", month, "--json", "--now", "2022-02-01T00:00:00+00:00")
        )
        return data["metrics"]["first_response"]

    assert check("2021-12") == {"met": 0, "breached": 0, "percent": None}
    assert check("2022-01") == {"met": 0, "breached": 1, "percent": 0.0}
    below = cli(
        "sla", "check", "--month", "2022-01", "--min", "95", "--now", "2022-02-01T00:00:00+00:00"
    )
    assert below.exit_code == 1
    assert below.stderr.strip() == "supportctl: error: compliance 0.0% is below --min 95%"

    def report(month: str) -> dict[str, Any]:
        data: dict[str, Any] = js(
            cli(
                "report",
                "--month",
                month,
                "--customer",
                "acme",
                "--format",
                "json",
                "--now",
                "2022-02-01T00:00:00+00:00",
            )
        )
        return data

    december, january = report("2021-12"), report("2022-01")
    assert december["sla"]["compliance"]["first_response"] == {
        "met": 0,
        "breached": 0,
        "percent": None,
    }
    assert december["sla"]["breaches"] == []
    assert january["sla"]["compliance"]["first_response"] == {
        "met": 0,
        "breached": 1,
        "percent": 0.0,
    }
    assert [(b["ticket"], b["metric"], b["breached_at"]) for b in january["sla"]["breaches"]] == [
        ("SUP-1", "first_response", "2021-12-31T17:00:00+00:00")
    ]
    # the service credit follows the breach into January
    credits = [
        {k: c[k] for k in ("customer", "breaches", "credit_percent", "credit_amount")}
        for m in (december, january)
        for c in m["time"]["customers"]
    ]
    assert credits == [
        {"customer": "acme", "breaches": 0, "credit_percent": 0.0, "credit_amount": 0.0},
        {"customer": "acme", "breaches": 1, "credit_percent": 5.0, "credit_amount": 50.0},
    ]


def test_due_of_a_met_clock_is_in_the_calendar_of_its_target(utc_desk: Path, cli: Cli) -> None:
    """start_work is stopped by `start` in the same second as an escalation to L2 (rule 1,
    night calendar): the target is rule 2's 30m, so the due where it would have fallen is
    30m of rule 2's calendar (utc85) from the stop, Tue 09:30, not 30m of night (00:30)."""
    new(
        cli, "Nightly export fails", customer="globex", env=at("2026-03-02T20:00:00+00:00")
    )  # Monday
    ok(cli("start", "SUP-1", env=at("2026-03-02T21:00:00+00:00")))
    ok(
        cli(
            "escalate",
            "SUP-1",
            "--to",
            "L2",
            "-r",
            "export code",
            env=at("2026-03-02T21:00:00+00:00"),
        )
    )
    sw = js(cli("sla", "show", "SUP-1", "--json", "--now", "2026-03-04T00:00:00+00:00"))["metrics"][
        "start_work"
    ]
    assert {
        k: sw[k] for k in ("state", "target_seconds", "elapsed_seconds", "due", "calendar", "rule")
    } == {
        "state": "met",
        "target_seconds": 1800,
        "elapsed_seconds": 0.0,
        "due": "2026-03-03T09:30:00+00:00",
        "calendar": "utc85",
        "rule": "lines rule 2 (any ticket)",
    }
    # `new` and `wait` in one second leave no counting span: the due is still in utc85, not
    # 30 wall-clock minutes
    new(cli, "Export format?", customer="globex", env=at("2026-03-02T20:00:00+00:00"))
    ok(cli("wait", "SUP-2", "-r", "which format?", env=at("2026-03-02T20:00:00+00:00")))
    sw = js(cli("sla", "show", "SUP-2", "--json", "--now", "2026-03-04T00:00:00+00:00"))["metrics"][
        "start_work"
    ]
    assert (sw["state"], sw["stop_action"], sw["due"], sw["calendar"]) == (
        "met",
        "wait",
        "2026-03-03T09:30:00+00:00",
        "utc85",
    )


def test_show_names_the_rule_in_force_for_each_clock(support_repo: Path, cli: Cli) -> None:
    """first_response was met under rule 2; the priority then went critical, so the running
    clocks answer to rule 1 (24x7) now."""
    new(cli, "Printer broken")  # Mon 10:00
    ok(cli("comment", "SUP-1", "On it", env=msk("10-05", "10:30")))
    ok(cli("edit", "SUP-1", "--priority", "critical", env=msk("10-05", "11:00")))
    out = ok(cli("sla", "show", "SUP-1", "--now", "2026-10-05T11:10:00+03:00")).stdout.splitlines()
    assert out[0] == "SUP-1 (acme, critical, new) as of 2026-10-05T11:10:00+03:00"
    assert out[-2:] == [
        "  targets of first_response from standard rule 2 (any ticket)",
        "  targets of start_work, resolution from standard rule 1 (priority=critical)",
    ]
    m = js(cli("sla", "show", "SUP-1", "--json", "--now", "2026-10-05T11:10:00+03:00"))["metrics"]
    assert [m[k]["rule"] for k in ("first_response", "start_work", "resolution")] == [
        "standard rule 2 (any ticket)",
        "standard rule 1 (priority=critical)",
        "standard rule 1 (priority=critical)",
    ]
    # before the change every clock answered to rule 2: one line
    before = ok(
        cli("sla", "show", "SUP-1", "--now", "2026-10-05T10:50:00+03:00")
    ).stdout.splitlines()
    assert before[-1] == "  targets from standard rule 2 (any ticket)"


def test_a_clock_paused_at_its_target_breaches_in_the_month_it_resumes(
    support_repo: Path, cli: Cli
) -> None:
    """resolution (16h) is used up exactly when the ticket goes waiting, Fri 2026-10-30 18:00;
    the customer answers in November: the breach is November's, and the period filter of the
    events cache keeps the ticket for November although it has been open since October."""
    new(cli, "Reports are slow", env=msk("10-29", "09:00"))  # Thursday
    ok(cli("wait", "SUP-1", "-r", "which reports?", env=msk("10-30", "18:00")))
    ok(cli("start", "SUP-1", env=msk("11-02", "12:00")))
    ok(cli("resolve", "SUP-1", "-r", "index added", env=msk("11-02", "13:00")))

    def check(month: str) -> dict[str, Any]:
        data = js(
            cli("sla", "check", "--month", month, "--json", "--now", "2026-12-01T00:00:00+03:00")
        )
        return {m: (v["met"], v["breached"]) for m, v in data["metrics"].items()}

    # first_response and start_work (stopped by the wait) breached on Oct 29
    assert check("2026-10") == {
        "first_response": (0, 1),
        "start_work": (0, 1),
        "resolution": (0, 0),
    }
    assert check("2026-11") == {
        "first_response": (0, 0),
        "start_work": (0, 0),
        "resolution": (0, 1),
    }
    res = js(cli("sla", "show", "SUP-1", "--json", "--now", "2026-12-01T00:00:00+03:00"))[
        "metrics"
    ]["resolution"]
    assert (res["breached_at"], res["breached_from"]) == (
        "2026-10-30T18:00:00+03:00",
        "2026-11-02T12:00:00+03:00",
    )


def test_explain_gives_every_time_in_the_desks_zone(support_repo: Path, cli: Cli) -> None:
    """An action recorded from a machine in UTC and `--now` in UTC still read in the desk's
    zone (Moscow), like `sla show`: one answer, one zone."""
    new(cli, "VPN drops")  # Mon 10:00 Moscow
    ok(cli("comment", "SUP-1", "Looking", env=at("2026-10-05T07:30:00+00:00")))
    now = ["--now", "2026-10-05T09:00:00Z"]
    data = js(cli("sla", "explain", "SUP-1", "--json", *now))
    assert [e["at"] for e in data["events"]] == [
        "2026-10-05T10:00:00+03:00",
        "2026-10-05T10:30:00+03:00",
        "2026-10-05T12:00:00+03:00",
    ]
    assert data["now"] == "2026-10-05T12:00:00+03:00"
    out = ok(cli("sla", "explain", "SUP-1", *now)).stdout.splitlines()
    assert [line.split()[0] for line in out[1:4]] == [
        "2026-10-05T10:00:00+03:00",
        "2026-10-05T10:30:00+03:00",
        "2026-10-05T12:00:00+03:00",
    ]
