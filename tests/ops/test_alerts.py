"""Alerts against real git repos: one open ticket per alert identity, one commit per change."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import read_ticket
from supportctl.ops import tickets as actions
from supportctl.ops.alerts import (
    SEEN_LIMIT,
    digest,
    identity_path,
    ingest,
    list_quarantine,
    quarantine_path,
)
from supportctl.sla.availability import ticket_outages
from supportctl.storage.desk import Desk
from tests.alerttexts import T0, alert, payload, use_alert_config
from tests.helpers import git, trailers

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.domain.alerts import Alert
    from supportctl.domain.ticket import Ticket
    from supportctl.ops.alerts import AlertResult


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_alert_config(support_repo)
    return support_repo


def take(root: Path, *alerts: Alert, fmt: str = "alertmanager") -> list[AlertResult]:
    return ingest(Desk(root), [payload(*alerts, fmt=fmt)])


def ticket(root: Path, tid: str) -> Ticket:
    return read_ticket((root / ticket_path(tid)).read_bytes())


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)


def test_a_firing_alert_opens_an_incident(root: Path) -> None:
    before = commits(root)
    [result] = take(root, alert())
    assert (result.outcome, result.ticket) == ("new", "SUP-1")
    assert result.commit == git(root, "rev-parse", "HEAD").strip()
    assert commits(root) == before + 1
    t = ticket(root, "SUP-1")
    assert (t.type, t.channel, t.priority, t.customer, t.service, t.status) == (
        "incident",
        "monitoring",
        "critical",
        "acme",
        "shop",
        "new",
    )
    assert t.title == "HighLatency on shop-1"
    # the SLA clocks start at the commit; the alert's own start is in its interval
    assert t.created == "2026-10-05T10:00:00+03:00"
    assert [(i.start, i.end) for i in t.alert.firing] == [("2026-10-05T06:00:00+00:00", None)]
    assert (t.alert.identity, t.alert.source, t.alert.count) == ("fp-1", "alertmanager", 1)
    assert t.alert.seen == (digest("alertmanager", alert()),)
    assert t.alert.labels["service"] == "shop"
    assert "- alertname: HighLatency" in (t.description or "")
    assert "URL: http://prometheus.example/graph?g0.expr=latency" in (t.description or "")
    got = dict(trailers(root))
    assert got["Action"] == "new"
    assert got["Channel"] == "monitoring"
    assert got["Alert"] == "fp-1"
    index = (root / identity_path("fp-1")).read_text()
    assert "- SUP-1" in index


def test_the_same_payload_twice_changes_nothing(root: Path) -> None:
    take(root, alert())
    before = commits(root)
    [again] = take(root, alert())
    assert (again.outcome, again.ticket, again.commit) == ("unchanged", "SUP-1", None)
    assert commits(root) == before


def test_a_repeat_notification_is_a_note_with_its_count(root: Path) -> None:
    take(root, alert(value="2.1s"))
    results = take(root, alert(value="2.4s"), alert(value="2.9s"))
    assert [(r.outcome, r.ticket) for r in results] == [("repeat", "SUP-1"), ("repeat", "SUP-1")]
    assert not (root / ticket_path("SUP-2")).exists()
    t = ticket(root, "SUP-1")
    assert t.alert.count == 3
    assert [c.visibility for c in t.comments] == ["internal", "internal"]
    assert t.comments[-1].text == "Alert still firing (notification 3): B=2.9s"
    assert len(t.alert.firing) == 1
    assert dict(trailers(root))["Visibility"] == "internal"
    assert dict(trailers(root))["Action"] == "comment"


def test_resolved_ends_the_interval_and_resolves_the_ticket(root: Path) -> None:
    take(root, alert())
    ended = T0 + timedelta(minutes=42)
    [result] = take(root, alert(status="resolved", ends_at=ended))
    assert (result.outcome, result.ticket) == ("resolved", "SUP-1")
    t = ticket(root, "SUP-1")
    assert t.status == "resolved"
    assert [(i.start, i.end) for i in t.alert.firing] == [
        ("2026-10-05T06:00:00+00:00", "2026-10-05T06:42:00+00:00")
    ]
    assert "(42m)" in (t.comments[-1].text or "")
    assert t.resolution == t.comments[-1].text
    got = trailers(root)
    assert ("Action", "resolve") in got
    assert ("To-Status", "resolved") in got


def test_a_resolve_without_a_severity_keeps_the_firing_one(root: Path) -> None:
    # a generic or Zabbix recovery may name no severity; the interval it ends is still
    # downtime of the severity it fired with
    take(root, alert(severity="critical"))
    ended = T0 + timedelta(minutes=42)
    take(root, alert(status="resolved", ends_at=ended, severity=None))
    t = ticket(root, "SUP-1")
    assert t.alert.severity == "critical"
    assert [(o.start, o.end) for o in ticket_outages(t, ["critical"])] == [(T0, ended)]


def test_without_auto_resolve_the_ticket_stays_open(root: Path) -> None:
    labels = {"alertname": "Down", "team": "globex-ops", "env": "prod"}
    take(root, alert("g", labels=labels))
    t = ticket(root, "SUP-1")
    assert (t.customer, t.service, t.priority) == ("globex", "portal", "critical")
    [result] = take(root, alert("g", "resolved", labels=labels, ends_at=T0 + timedelta(hours=1)))
    assert result.outcome == "resolved"
    assert ticket(root, "SUP-1").status == "new"
    [late] = take(root, alert("g", labels=labels, value="7"))  # of the interval that ended
    assert (late.outcome, late.ticket) == ("unchanged", "SUP-1")
    later = T0 + timedelta(hours=2)
    [again] = take(root, alert("g", labels=labels, starts_at=later))
    assert (again.outcome, again.ticket) == ("repeat", "SUP-1")
    firing = ticket(root, "SUP-1").alert.firing
    assert [(i.start, i.end) for i in firing] == [
        ("2026-10-05T06:00:00+00:00", "2026-10-05T07:00:00+00:00"),
        ("2026-10-05T08:00:00+00:00", None),
    ]


def test_firing_again_soon_after_the_resolve_reopens(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    take(root, alert())
    at(monkeypatch, "2026-10-05T10:30:00+03:00")
    take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=30)))
    at(monkeypatch, "2026-12-05T11:20:00+03:00")  # delivered late: the alert's times decide
    [result] = take(root, alert(starts_at=T0 + timedelta(minutes=75)))  # 45 minutes after
    assert (result.outcome, result.ticket) == ("reopened", "SUP-1")
    t = ticket(root, "SUP-1")
    assert t.status == "in_progress"
    assert len(t.alert.firing) == 2
    assert t.alert.firing[-1].end is None
    got = trailers(root)
    assert ("Action", "reopen") in got
    assert ("Reason", "the alert fired again") in got


def test_firing_again_later_opens_a_new_related_ticket(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = alert()
    take(root, first)
    at(monkeypatch, "2026-10-05T10:30:00+03:00")
    take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=30)))
    at(monkeypatch, "2026-10-05T11:31:00+03:00")
    # 61 minutes after the interval ended, by the alert's own times
    [result] = take(root, alert(starts_at=T0 + timedelta(minutes=91)))
    assert (result.outcome, result.ticket) == ("new", "SUP-2")
    assert ticket(root, "SUP-2").links.related == ("SUP-1",)
    assert ticket(root, "SUP-1").status == "resolved"
    assert "- SUP-2" in (root / identity_path("fp-1")).read_text()
    # the first notification sent again is still known: it was applied to SUP-1
    before = commits(root)
    [replayed] = take(root, first)
    assert (replayed.outcome, replayed.ticket) == ("unchanged", "SUP-1")
    assert commits(root) == before


def test_a_closed_ticket_is_not_reopened(root: Path) -> None:
    take(root, alert())
    take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=5)))
    actions.close(Desk(root), "SUP-1")
    [result] = take(root, alert(starts_at=T0 + timedelta(minutes=10)))
    assert (result.outcome, result.ticket) == ("new", "SUP-2")
    assert ticket(root, "SUP-2").links.related == ("SUP-1",)


def test_a_late_firing_notification_of_an_ended_interval_changes_nothing(root: Path) -> None:
    take(root, alert(value="1"))
    take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=5)))
    before = commits(root)
    [late] = take(root, alert(value="2"))  # sent before the resolve, delivered after
    assert late.outcome == "unchanged"
    assert commits(root) == before


def test_resolved_never_seen_firing_keeps_its_interval(root: Path) -> None:
    [result] = take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=7)))
    assert (result.outcome, result.ticket) == ("new", "SUP-1")
    t = ticket(root, "SUP-1")
    assert [(i.start, i.end) for i in t.alert.firing] == [
        ("2026-10-05T06:00:00+00:00", "2026-10-05T06:07:00+00:00")
    ]
    assert t.status == "new"  # a person looks at what nobody saw firing


def test_priority_follows_the_route_map(root: Path) -> None:
    take(
        root,
        alert("w", severity="warning"),
        alert("x", severity="disaster"),
        alert("n", severity=None),
    )
    got = [ticket(root, f"SUP-{n}").priority for n in (1, 2, 3)]
    assert got == ["normal", "low", "low"]


def test_each_alert_of_a_payload_is_one_commit(root: Path) -> None:
    before = commits(root)
    results = take(root, alert("a"), alert("b"), alert("a", value="9"))
    assert [r.outcome for r in results] == ["new", "new", "repeat"]
    assert len({r.commit for r in results}) == 3
    assert commits(root) == before + 3


def test_a_repeat_with_another_severity_moves_the_priority(root: Path) -> None:
    take(root, alert(severity="warning"))
    assert ticket(root, "SUP-1").priority == "normal"
    before = commits(root)
    [result] = take(root, alert(severity="critical", value="9s"))
    assert result.outcome == "repeat"
    assert commits(root) == before + 1
    t = ticket(root, "SUP-1")
    assert (t.priority, t.alert.severity) == ("critical", "critical")
    assert (
        (t.comments[-1].text or "")
        .rstrip()
        .endswith("\nSeverity warning → critical; priority normal → critical")
    )
    got = trailers(root)
    assert ("From-Priority", "normal") in got
    assert ("To-Priority", "critical") in got
    # the same severity again leaves a priority a person changed alone
    actions.edit(Desk(root), "SUP-1", {"priority": "low"})
    take(root, alert(severity="critical", value="10s"))
    assert ticket(root, "SUP-1").priority == "low"


def test_an_alert_no_route_places_is_quarantined(root: Path) -> None:
    stray = alert("s", labels={"alertname": "Disk"})
    [result] = take(root, stray)
    assert result.outcome == "quarantined"
    assert result.reason == "no route in alerts.routes matches its labels"
    assert result.ticket is None
    assert (root / quarantine_path(digest("alertmanager", stray))).exists()
    [held] = list_quarantine(Desk(root))
    assert (held.identity, held.reason, held.status) == ("s", result.reason, "firing")
    before = commits(root)
    [again] = take(root, stray)
    assert again.outcome == "unchanged"
    assert commits(root) == before


def test_a_label_that_names_no_customer_is_quarantined(root: Path) -> None:
    [known] = take(root, alert("t1", labels={"tenant": "globex"}))
    assert (known.outcome, ticket(root, "SUP-1").customer) == ("new", "globex")
    [unknown] = take(root, alert("t2", labels={"tenant": "initech"}))
    assert unknown.outcome == "quarantined"
    assert unknown.reason == "route 3: label tenant='initech' names no customer"


def test_seen_digests_are_bounded(root: Path) -> None:
    take(root, *(alert(value=str(n)) for n in range(SEEN_LIMIT + 5)))
    t = ticket(root, "SUP-1")
    assert t.alert.count == SEEN_LIMIT + 5
    assert len(t.alert.seen) == SEEN_LIMIT
    assert t.alert.seen[-1] == digest("alertmanager", alert(value=str(SEEN_LIMIT + 4)))


def test_a_ticket_resolved_by_hand_gets_the_interval_end(root: Path) -> None:
    take(root, alert())
    actions.resolve(Desk(root), "SUP-1", resolution="restarted the shop")
    [result] = take(root, alert(status="resolved", ends_at=T0 + timedelta(minutes=3)))
    assert (result.outcome, result.ticket) == ("resolved", "SUP-1")
    t = ticket(root, "SUP-1")
    assert t.alert.firing[-1].end == "2026-10-05T06:03:00+00:00"
    assert t.resolution == "restarted the shop"


def test_a_ticket_resolved_by_hand_while_firing_counts_from_its_resolve(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    take(root, alert())
    actions.resolve(Desk(root), "SUP-1", resolution="fixed, the alert lags")
    at(monkeypatch, "2026-10-05T10:40:00+03:00")  # 40 minutes after the resolve
    [soon] = take(root, alert(starts_at=T0 + timedelta(hours=3)))
    assert (soon.outcome, soon.ticket) == ("reopened", "SUP-1")
    actions.resolve(Desk(root), "SUP-1", resolution="fixed again")
    at(monkeypatch, "2026-10-05T12:00:00+03:00")  # 80 minutes after
    [later] = take(root, alert(starts_at=T0 + timedelta(hours=5)))
    assert (later.outcome, later.ticket) == ("new", "SUP-2")
