"""`supportctl queue` (supportctl.ops.queue) against a real support repo.

Two customers in calendars half a world apart: `far` works 09:00-18:00 in Vladivostok
(UTC+10, 23:00-08:00 UTC), `us` 09:00-18:00 in New York (EDT, UTC-4, 13:00-22:00 UTC). The
queue is read at Tuesday 2026-10-06 07:00 UTC: 17:00 in Vladivostok (open), 03:00 in New
York (closed). First response is due in 2 business hours for both.

  SUP-3 far  created Tue 09:00 VVO         breached at 11:00 VVO (01:00Z)
  SUP-4 far  created Tue 15:20 VVO         1h40 of 2h used: at risk, due 17:20 VVO (07:20Z)
  SUP-5 far  created Tue 16:00 VVO         1h used, due 18:00 VVO (08:00Z)
  SUP-2 us   created Mon 16:30 EDT         1h30 used, due Tue 09:30 EDT (13:30Z)
  SUP-1 us   answered, then waiting        paused
  SUP-6 nocal                              no target: no running clock

By local wall time SUP-2 (due 09:30) would come before SUP-4 (17:20) and SUP-5 (18:00),
and by business time left before SUP-5 (30m against 1h); in absolute time SUP-4 and SUP-5
are due hours before SUP-2.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import NotFound, UsageError
from supportctl.ops.queue import agent_of_identity, queue
from supportctl.storage.desk import Desk
from tests.helpers import at, from_template, git, ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli

CONFIG = """\
id_prefix: SUP
lines: [L1, L2]
timezone: Europe/Moscow
calendars:
  vladivostok:
    timezone: Asia/Vladivostok
    hours:
      mon-fri: "09:00-18:00"
  new-york:
    timezone: America/New_York
    hours:
      mon-fri: "09:00-18:00"
plans:
  east:
    calendar: vladivostok
    warn_at: 80%
    rules:
      - first_response: 2h
        start_work: 8h
        resolution: 40h
  west:
    calendar: new-york
    warn_at: 80%
    rules:
      - first_response: 2h
        start_work: 8h
        resolution: 40h
  critical-only:
    calendar: vladivostok
    rules:
      - when: {priority: critical}
        first_response: 1h
customers:
  far: {name: Far East LLC, plan: east}
  us: {name: US Inc, plan: west}
  nocal: {name: No Clock Ltd, plan: critical-only}
agents:
  anna: {name: Anna Smirnova, email: anna@support.example, line: L1}
  boris: {name: Boris Petrenko, email: boris@support.example, line: L2}
"""

NOW = datetime.fromisoformat("2026-10-06T07:00:00+00:00")
ORDER = ["SUP-3", "SUP-4", "SUP-5", "SUP-2", "SUP-1", "SUP-6"]


def build(cli: Cli, root: Path) -> None:
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    git(root, "commit", "-qam", "Two calendars")

    def run(when: str, *args: str) -> None:
        ok(cli(*args, env=at(when)))

    def new(when: str, title: str, customer: str) -> None:
        run(when, "new", title, "-c", customer, "-t", "incident", "-p", "normal")

    new("2026-10-05T18:00:00+00:00", "Reports export empty", "us")  # SUP-1
    run("2026-10-05T18:10:00+00:00", "comment", "SUP-1", "Which report exactly?")
    run("2026-10-05T18:20:00+00:00", "wait", "SUP-1", "--reason", "asked which report")
    new("2026-10-05T20:30:00+00:00", "Invoices stuck in queue", "us")  # SUP-2
    run("2026-10-05T20:40:00+00:00", "assign", "SUP-2", "anna")
    new("2026-10-05T23:00:00+00:00", "Cash desk offline", "far")  # SUP-3
    new("2026-10-06T05:20:00+00:00", "Printer does not print", "far")  # SUP-4
    run("2026-10-06T05:25:00+00:00", "assign", "SUP-4", "boris")
    new("2026-10-06T06:00:00+00:00", "VPN drops every hour", "far")  # SUP-5
    run("2026-10-06T06:30:00+00:00", "assign", "SUP-5", "anna")
    new("2026-10-06T06:40:00+00:00", "Question about the contract", "nocal")  # SUP-6


@pytest.fixture
def desk(
    support_repo: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Desk:
    root = from_template(
        "queue-two-zones", support_repo, lambda r: build(cli, r), monkeypatch, tmp_path_factory
    )
    return Desk(root)


def ids(desk: Desk, **kw: object) -> list[str]:
    return [r.id for r in queue(desk, NOW, **kw).rows]  # type: ignore[arg-type]


def test_order_is_by_absolute_deadline_across_time_zones(desk: Desk) -> None:
    q = queue(desk, NOW)
    assert [r.id for r in q.rows] == ORDER
    assert [r.urgency for r in q.rows] == [
        "breached",
        "at_risk",
        "running",
        "running",
        "paused",
        "none",
    ]
    due = {r.id: r.clock.due for r in q.rows if r.clock is not None and r.clock.due}
    # the deadlines themselves, read in each ticket's own calendar
    assert due["SUP-4"] == datetime.fromisoformat("2026-10-06T17:20:00+10:00")
    assert due["SUP-5"] == datetime.fromisoformat("2026-10-06T18:00:00+10:00")
    assert due["SUP-2"] == datetime.fromisoformat("2026-10-06T09:30:00-04:00")
    # naive local wall times and business time left would both have put SUP-2 first
    zone_of = {r.id: r.zone for r in q.rows}
    wall = {k: v.astimezone(zone_of[k]).replace(tzinfo=None) for k, v in due.items()}
    assert wall["SUP-2"] < wall["SUP-4"] < wall["SUP-5"]
    left = {r.id: r.left_seconds for r in q.rows}
    assert left["SUP-2"] == 30 * 60
    assert left["SUP-4"] == 20 * 60
    assert left["SUP-5"] == 60 * 60
    assert left["SUP-3"] == -6 * 3600  # 09:00-17:00 used against 2h
    zones = {r.id: r.zone.key if r.zone else None for r in q.rows}
    assert zones == {
        "SUP-3": "Asia/Vladivostok",
        "SUP-4": "Asia/Vladivostok",
        "SUP-5": "Asia/Vladivostok",
        "SUP-2": "America/New_York",
        "SUP-1": "America/New_York",
        "SUP-6": None,
    }


def test_next_clock_and_last_activity(desk: Desk) -> None:
    rows = {r.id: r for r in queue(desk, NOW).rows}
    sup1 = rows["SUP-1"]
    assert sup1.clock is not None
    assert sup1.clock.metric == "resolution"  # the comment and `wait` stopped the others
    assert sup1.clock.state == "paused"
    assert sup1.last is not None
    assert (sup1.last.action, sup1.last.author) == ("wait", "Anna Smirnova")
    assert sup1.last.at == datetime.fromisoformat("2026-10-05T18:20:00+00:00")
    sup5 = rows["SUP-5"]
    assert sup5.last is not None
    assert sup5.last.action == "assign"
    assert sup5.age_seconds == 3600
    assert (sup5.title, sup5.assignee, sup5.customer, sup5.line) == (
        "VPN drops every hour",
        "anna",
        "far",
        "L1",
    )
    assert rows["SUP-6"].clock is None


def test_at_risk_and_breached_are_apart(desk: Desk) -> None:
    assert ids(desk, at_risk=True) == ["SUP-4"]
    assert ids(desk, breached=True) == ["SUP-3"]
    assert ids(desk, at_risk=True, breached=True) == ["SUP-3", "SUP-4"]


def test_filters(desk: Desk) -> None:
    assert ids(desk, customer="us") == ["SUP-2", "SUP-1"]
    assert ids(desk, agent="boris") == ["SUP-4"]
    assert ids(desk, line="l1") == ORDER
    assert ids(desk, line="L2") == []
    with pytest.raises(NotFound, match="unknown customer 'acme'"):
        queue(desk, NOW, customer="acme")
    with pytest.raises(NotFound, match="unknown agent 'vera'"):
        queue(desk, NOW, agent="vera")
    with pytest.raises(UsageError, match="unknown --line 'L9'"):
        queue(desk, NOW, line="L9")


def test_mine_is_the_git_identity(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest pins the identity to Anna Smirnova <anna@support.example>
    q = queue(desk, NOW, mine=True)
    assert q.agent is not None
    assert q.agent.handle == "anna"
    assert [r.id for r in q.rows] == ["SUP-5", "SUP-2"]
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "b.petrenko@home.example")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "boris petrenko")  # the name, in any case
    assert ids(desk, mine=True) == ["SUP-4"]
    with pytest.raises(UsageError, match="not both"):
        queue(desk, NOW, mine=True, agent="anna")


def test_mine_for_an_identity_that_is_no_agent(desk: Desk) -> None:
    with pytest.raises(UsageError) as caught:
        agent_of_identity(desk.config, "Pat Doe", "pat@example.org")
    assert str(caught.value) == (
        "--mine: your git identity Pat Doe <pat@example.org> is no agent in supportctl.yaml "
        "(agents: anna, boris); match its e-mail or name there, or use --agent HANDLE"
    )


def test_a_ticket_resolved_before_now_is_not_queued(desk: Desk, cli: Cli) -> None:
    ok(cli("resolve", "SUP-3", "--resolution", "Rebooted", env=at("2026-10-06T06:50:00+00:00")))
    assert ids(Desk(desk.root)) == ORDER[1:]
    # as of a moment before the resolution it was still open
    before = datetime.fromisoformat("2026-10-06T06:45:00+00:00")
    assert "SUP-3" in [r.id for r in queue(Desk(desk.root), before).rows]
