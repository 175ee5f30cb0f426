"""`supportctl alert ingest` and `alert quarantine`: exit codes, lines, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import NotFound
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import read_ticket
from tests.alerttexts import alertmanager_body, am_alert, use_alert_config
from tests.helpers import Cli, desk_lock_held, git, head, ok, trailers

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_alert_config(support_repo)
    return support_repo


def test_ingest_prints_one_line_per_alert(root: Path, cli: Cli) -> None:
    body = alertmanager_body(am_alert("a1"), am_alert("a2", customer="nobody"))
    r = cli("alert", "ingest", input=body)
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "new         SUP-1     a1\n"
        "quarantined -         a2 (no route in alerts.routes matches its labels)\n"
    )
    r = cli("alert", "ingest", "-", "--json", input=body)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows == [
        {
            "identity": "a1",
            "outcome": "unchanged",
            "ticket": "SUP-1",
            "commit": None,
            "reason": "seen before",
        },
        {
            "identity": "a2",
            "outcome": "unchanged",
            "ticket": None,
            "commit": None,
            "reason": "already in quarantine",
        },
    ]


def test_json_names_the_commit(root: Path, cli: Cli, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(alertmanager_body(am_alert("a1")))
    r = cli("alert", "ingest", "--format", "alertmanager", str(payload), "--json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)
    assert (row["outcome"], row["ticket"], row["commit"]) == ("new", "SUP-1", head(root))
    resolved = alertmanager_body(am_alert("a1", "resolved", ends="2026-10-05T06:30:00Z"))
    payload.write_bytes(resolved)
    row = json.loads(cli("alert", "ingest", str(payload), "--json").stdout)
    assert (row["outcome"], row["ticket"], row["commit"]) == ("resolved", "SUP-1", head(root))


@pytest.mark.parametrize(
    ("body", "fmt", "message"),
    [
        (b"{not json", None, "alert payload: not valid JSON"),
        (json.dumps({"alerts": [{"labels": {}}]}).encode(), "alertmanager", "alertmanager payload"),
        (alertmanager_body(am_alert("a1")), "grafana", "grafana payload: this is a"),
    ],
)
def test_an_invalid_payload_is_one_line_exit_2_and_nothing_written(
    root: Path, cli: Cli, body: bytes, fmt: str | None, message: str
) -> None:
    sha = head(root)
    args = ["alert", "ingest", "-"] + (["--format", fmt] if fmt else [])
    r = cli(*args, input=body)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"supportctl: error: {message}")
    assert r.stderr.count("\n") == 1
    assert head(root) == sha
    assert git(root, "status", "--porcelain") == ""


def test_unknown_format_and_missing_file(root: Path, cli: Cli, tmp_path: Path) -> None:
    r = cli("alert", "ingest", "--format", "nagios", input=b"{}")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: unknown --format 'nagios': expected one of alertmanager, "
        "grafana, zabbix, generic\n"
    )
    r = cli("alert", "ingest", str(tmp_path / "none.json"))
    assert r.exit_code == 2
    assert r.stderr.startswith("supportctl: error: cannot read ")


def test_a_lock_held_too_long_is_75(root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from supportctl.storage import transaction

    monkeypatch.setattr(transaction, "LOCK_TIMEOUT", 0.3)
    sha = head(root)
    with desk_lock_held(root):
        r = cli("alert", "ingest", input=alertmanager_body(am_alert("a1")))
    assert r.exit_code == 75
    assert "(the alert was not taken in)" in r.stderr
    assert head(root) == sha


def test_quarantine_lists_what_no_route_placed(root: Path, cli: Cli) -> None:
    assert cli("alert", "quarantine").stdout == "the alert quarantine is empty\n"
    cli("alert", "ingest", input=alertmanager_body(am_alert("zz", customer="nobody")))
    r = cli("alert", "quarantine", "--json")
    [held] = json.loads(r.stdout)
    assert (held["identity"], held["status"]) == ("zz", "firing")
    assert held["reason"] == "no route in alerts.routes matches its labels"
    line = cli("alert", "quarantine").stdout
    assert line.startswith(held["id"][:12])
    assert line.rstrip().endswith(
        "zz  p99 latency is 2.5s (no route in alerts.routes matches its labels)"
    )


def test_the_installed_command_reads_stdin(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "supportctl", "--repo", str(root), "alert", "ingest", "-"],
        input=alertmanager_body(am_alert("a1")),
        capture_output=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"new         SUP-1     a1\n")


def test_many_files_are_read_first_then_applied_in_order(
    root: Path, cli: Cli, tmp_path: Path
) -> None:
    first, second, broken = (tmp_path / n for n in ("1.json", "2.json", "3.json"))
    first.write_bytes(alertmanager_body(am_alert("m1")))
    second.write_bytes(alertmanager_body(am_alert("m1", value="3s"), am_alert("m2")))
    broken.write_bytes(b"[]")
    sha = head(root)
    r = cli("alert", "ingest", str(first), str(second), str(broken))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"supportctl: error: {broken}: ")
    assert head(root) == sha
    r = cli("alert", "ingest", str(first), str(second))
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "new         SUP-1     m1\nrepeat      SUP-1     m1\nnew         SUP-2     m2\n"
    )
    assert cli("alert", "ingest", str(first), "-").exit_code == 2


def test_quarantine_drop_keeps_a_tombstone(root: Path, cli: Cli) -> None:
    body = alertmanager_body(am_alert("zz", customer="nobody"))
    cli("alert", "ingest", input=body)
    [held] = json.loads(cli("alert", "quarantine", "--json").stdout)
    r = cli("alert", "quarantine", "drop", held["id"][:8])
    assert r.exit_code == 0, r.output
    assert r.stdout == f"dropped ({head(root)[:7]})\n"
    assert cli("alert", "quarantine").stdout == "the alert quarantine is empty\n"
    assert ("Action", "alert-quarantine-drop") in trailers(root)
    # the same notification again: no commit, not quarantined again
    sha = head(root)
    r = cli("alert", "ingest", "--json", input=body)
    assert json.loads(r.stdout)["reason"] == "dropped from the quarantine"
    assert head(root) == sha
    r = cli("alert", "quarantine", "drop", held["id"][:8])
    assert r.exit_code == NotFound.exit_code
    assert r.stderr == (
        f"supportctl: error: no quarantined alert {held['id'][:8]!r} "
        "(see `supportctl alert quarantine`)\n"
    )


def test_quarantine_accept_new_opens_an_incident(root: Path, cli: Cli) -> None:
    body = alertmanager_body(am_alert("zz", customer="nobody"))
    cli("alert", "ingest", input=body)
    [held] = json.loads(cli("alert", "quarantine", "--json").stdout)
    sha = head(root)
    r = cli("alert", "quarantine", "accept", held["id"][:8], "--new")
    assert r.exit_code == 2
    assert r.stderr == (
        f"supportctl: error: no route names the customer of alert {held['id'][:12]}: "
        "give --customer\n"
    )
    assert head(root) == sha
    r = cli("alert", "quarantine", "accept", held["id"][:8], "--new", "--customer", "acme")
    assert r.exit_code == 0, r.output
    assert r.stdout == "new         SUP-1     zz\n"
    assert cli("alert", "quarantine").stdout == "the alert quarantine is empty\n"
    assert int(git(root, "rev-list", "--count", f"{sha}..HEAD")) == 1
    shown = read_ticket((root / ticket_path("SUP-1")).read_bytes())
    assert (shown.customer, shown.service, shown.priority) == ("acme", "shop", "critical")
    assert (shown.alert.identity, shown.alert.severity) == ("zz", "critical")
    assert held["id"] in shown.alert.seen


def test_quarantine_accept_onto_a_ticket(root: Path, cli: Cli) -> None:
    ok(cli("new", "Shop is slow", "-c", "acme", "--type", "incident", "-p", "high"))
    body = alertmanager_body(am_alert("zz", customer="nobody"))
    cli("alert", "ingest", input=body)
    [held] = json.loads(cli("alert", "quarantine", "--json").stdout)
    r = cli("alert", "quarantine", "accept", held["id"][:8], "--ticket", "SUP-1", "--json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)
    assert (row["outcome"], row["ticket"], row["commit"]) == ("new", "SUP-1", head(root))
    shown = read_ticket((root / ticket_path("SUP-1")).read_bytes())
    assert shown.service == "shop"
    assert [i.start for i in shown.alert.firing] == ["2026-10-05T06:00:00+00:00"]
    assert (shown.comments[-1].text or "").startswith("Alert zz taken in from the quarantine")
    assert cli("alert", "quarantine").stdout == "the alert quarantine is empty\n"
    # the same notification again is seen on the ticket; nothing new is written
    sha = head(root)
    r = cli("alert", "ingest", "--json", input=body)
    assert (json.loads(r.stdout)["ticket"], json.loads(r.stdout)["reason"]) == (
        "SUP-1",
        "seen before",
    )
    assert head(root) == sha
    r = cli("alert", "quarantine", "accept", "0000", "--ticket", "SUP-1")
    assert r.exit_code == NotFound.exit_code
