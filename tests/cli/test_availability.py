"""`supportctl outage` and `supportctl sla availability` on a real repo, with alert tickets
written through the ordinary ticket-writing path, and availability in the report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import Ticket
from supportctl.ops.tickets import ticket_action
from supportctl.storage.desk import open_repo
from supportctl.storage.transaction import Change
from tests.helpers import CONFIG, at, commit_file, from_template, git, ok, run_at, trailers

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.domain.ticket import TicketFile
    from supportctl.storage.git import Identity
    from tests.helpers import Cli

TARGETS = CONFIG.replace(
    "    credits: {per_breach: 2%, cap: 15%}\n",
    "    credits:\n"
    "      per_breach: 2%\n"
    "      cap: 15%\n"
    "      availability_steps: [{below: 99.9, percent: 5}, {below: 99.0, percent: 10}]\n"
    "    fee: 1000\n"
    "    availability: {shop: 99.9, api: 99.5}\n",
)
NOW = "2026-12-02T09:00:00+03:00"


def write_alert(root: Path, ticket_id: str, severity: str, firing: list[dict[str, Any]]) -> None:
    """What the alert intake records on a ticket: its `alert:` state and `service`,
    through the ordinary one-action-one-commit path."""
    desk = open_repo(str(root))

    def fn(data: TicketFile, ident: Identity) -> Change:
        plain = data.ticket.to_plain()
        plain["service"] = "shop"
        plain["alert"] = {
            "identity": f"fp-{ticket_id}",
            "source": "alertmanager",
            "labels": {"alertname": "ShopDown", "severity": severity, "service": "shop"},
            "severity": severity,
            "count": len(firing),
            "firing": firing,
        }
        data.merge_in(Ticket.from_plain(plain))
        return Change("alert state")

    ticket_action(desk, ticket_id, "alert", None, fn)


@pytest.fixture
def outage_repo(
    support_repo: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """acme's shop: an outage ticket to be (SUP-1), a critical alert (SUP-2) and a warning
    (SUP-3); a globex ticket (SUP-4). Built once, copied for each test."""

    def build(root: Path) -> None:
        with monkeypatch.context() as m:
            _build(root, cli, m)

    return from_template("availability", support_repo, build, monkeypatch, tmp_path_factory)


def _build(support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    commit_file(support_repo, "supportctl.yaml", TARGETS, "Availability targets")
    when = "2026-11-02T09:00:00+03:00"
    run_at(cli, when, "new", "Shop is down", "-c", "acme", "--type", "incident", "-p", "high")
    run_at(cli, when, "new", "Shop alert", "-c", "acme", "--type", "incident", "-p", "high")
    run_at(cli, when, "new", "Shop warning", "-c", "acme", "--type", "incident", "-p", "low")
    run_at(cli, when, "new", "Globex down", "-c", "globex", "--type", "incident", "-p", "low")
    for name, value in at("2026-11-20T12:00:00+03:00").items():
        monkeypatch.setenv(name, value)
    write_alert(
        support_repo,
        "SUP-2",
        "critical",
        [
            # 10:00-10:42 Moscow, overlapping the manual outage of SUP-1
            {"start": "2026-11-03T07:00:00+00:00", "end": "2026-11-03T07:42:00+00:00"},
            # from the last evening of the month into December
            {"start": "2026-11-30T20:00:00+00:00", "end": "2026-12-01T01:00:00+00:00"},
        ],
    )
    write_alert(
        support_repo,
        "SUP-3",
        "warning",
        [{"start": "2026-11-05T07:00:00+00:00", "end": "2026-11-05T09:00:00+00:00"}],
    )


def test_outage_is_set_corrected_and_cleared_one_commit_each(outage_repo: Path, cli: Cli) -> None:
    when = "2026-11-04T09:00:00+03:00"
    commits = int(git(outage_repo, "rev-list", "--count", "HEAD"))
    r = run_at(
        cli,
        when,
        "outage", "SUP-1", "--service", "shop", "--start", "2026-11-03 10:30", "--end", "2026-11-03 11:00",
    )  # fmt: skip
    assert r.stdout == (
        "SUP-1: outage of shop: 2026-11-03T10:30:00+03:00 – 2026-11-03T11:00:00+03:00\n"
    )
    text = (outage_repo / ticket_path("SUP-1")).read_text()
    assert text.endswith(
        "service: shop\nimpact: outage\n"
        "outage: {start: '2026-11-03T10:30:00+03:00', end: '2026-11-03T11:00:00+03:00'}\n"
    )
    assert trailers(outage_repo)[:2] == [("Ticket", "SUP-1"), ("Action", "outage")]
    shown = ok(cli("show", "SUP-1")).stdout.splitlines()
    assert "  service:   shop" in shown
    assert "  outage:    2026-11-03T10:30:00+03:00 – 2026-11-03T11:00:00+03:00" in shown
    assert ("Outage-End", "2026-11-03T11:00:00+03:00") in trailers(outage_repo)
    # a correction names only what changes; an offset given is kept as the same instant
    r = run_at(cli, when, "outage", "SUP-1", "--end", "2026-11-03T08:05:00Z", "--json")
    assert json.loads(r.stdout)["ticket"]["outage"] == {
        "start": "2026-11-03T10:30:00+03:00",
        "end": "2026-11-03T11:05:00+03:00",
    }
    assert json.loads(r.stdout)["subject"].startswith("SUP-1: correct outage of shop")
    assert int(git(outage_repo, "rev-list", "--count", "HEAD")) == commits + 2
    r = run_at(cli, when, "outage", "SUP-1", "--clear")
    assert r.stdout == "SUP-1: not an outage of shop\n"
    text = (outage_repo / ticket_path("SUP-1")).read_text()
    assert text.endswith("service: shop\n")
    assert int(git(outage_repo, "rev-list", "--count", "HEAD")) == commits + 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["SUP-1", "--start", "2026-11-03 10:00"],
            2,
            "SUP-1: give --service (the ticket names none)",
        ),
        (
            ["SUP-1", "--service", "mail", "--start", "2026-11-03 10:00"],
            2,
            "SUP-1: customer acme has no availability target for service 'mail' "
            "(services with a target: api, shop)",
        ),
        (
            ["SUP-4", "--service", "shop", "--start", "2026-11-03 10:00"],
            2,
            "SUP-4: customer globex has no availability target for service 'shop' "
            "(services with a target: none)",
        ),
        (
            ["SUP-1", "--service", "shop"],
            2,
            "SUP-1: give --start (when the outage began)",
        ),
        (
            ["SUP-1", "--service", "shop", "--start", "2026-11-03 10:00", "--end", "2026-11-03 09:59"],
            2,
            "SUP-1: the outage ends (2026-11-03T09:59:00+03:00) before it starts "
            "(2026-11-03T10:00:00+03:00)",
        ),
        (["SUP-1", "--clear"], 6, "SUP-1: it is not marked as an outage"),
        (["SUP-1", "--clear", "--service", "shop"], 2, "--clear takes no other outage option"),
        (["SUP-1", "--start", "3 November"], 2, "bad --start '3 November': expected ISO 8601 like 2026-10-05T14:30+03:00"),
    ],
)  # fmt: skip
def test_outage_refusals_write_nothing(
    outage_repo: Path, cli: Cli, args: list[str], code: int, message: str
) -> None:
    before = git(outage_repo, "rev-parse", "HEAD")
    r = cli("outage", *args)
    assert r.exit_code == code, r.output
    assert r.stderr == f"supportctl: error: {message}\n"
    assert git(outage_repo, "rev-parse", "HEAD") == before


def test_sla_availability_json_and_table(outage_repo: Path, cli: Cli) -> None:
    run_at(
        cli,
        "2026-11-04T09:00:00+03:00",
        "outage", "SUP-1", "--service", "shop", "--start", "2026-11-03 10:30", "--end", "2026-11-03 11:00",
    )  # fmt: skip
    r = ok(cli("sla", "availability", "--month", "2026-11", "--now", NOW, "--json"))
    shop = {
        "customer": "acme",
        "service": "shop",
        "target": 99.9,
        "minutes": 43200.0,
        "downtime_minutes": 120.0,
        "percent": 99.722,
        "met": False,
        "intervals": [
            {
                "start": "2026-11-03T10:00:00+03:00",
                "end": "2026-11-03T11:00:00+03:00",
                "minutes": 60.0,
                "sources": ["SUP-2", "SUP-1"],
            },
            {
                "start": "2026-11-30T23:00:00+03:00",
                "end": "2026-12-01T00:00:00+03:00",
                "minutes": 60.0,
                "sources": ["SUP-2"],
            },
        ],
    }
    api = {
        "customer": "acme",
        "service": "api",
        "target": 99.5,
        "minutes": 43200.0,
        "downtime_minutes": 0.0,
        "percent": 100.0,
        "met": True,
        "intervals": [],
    }
    assert json.loads(r.stdout) == {
        "period": {
            "label": "2026-11",
            "since": "2026-11-01T00:00:00+03:00",
            "until": "2026-12-01T00:00:00+03:00",
        },
        "customer": None,
        "measured_until": "2026-12-01T00:00:00+03:00",
        "services": [api, shop],
    }
    r = ok(cli("sla", "availability", "--month", "2026-11", "--now", NOW))
    assert r.stdout == (
        "Availability 2026-11\n"
        "CUSTOMER    SERVICE    TARGET    MINUTES    DOWN    AVAILABLE    STATUS\n"
        "acme        api        99.5%     43200      0       100.000%     met\n"
        "acme        shop       99.9%     43200      120     99.722%      BREACHED\n"
        "\n"
        "acme shop downtime:\n"
        "  2026-11-03T10:00:00+03:00 – 2026-11-03T11:00:00+03:00  60 min  (SUP-2, SUP-1)\n"
        "  2026-11-30T23:00:00+03:00 – 2026-12-01T00:00:00+03:00  60 min  (SUP-2)\n"
    )
    # December holds the rest of the alert's interval; while the month runs, up to now
    r = ok(cli("sla", "availability", "--month", "2026-12", "--now", NOW, "-c", "acme", "--json"))
    found = json.loads(r.stdout)
    assert found["measured_until"] == NOW
    assert [s["downtime_minutes"] for s in found["services"]] == [0.0, 240.0]
    assert found["services"][1]["minutes"] == 33 * 60


def test_a_correction_after_the_month_changes_its_figure(outage_repo: Path, cli: Cli) -> None:
    def shop_downtime() -> float:
        r = ok(cli("sla", "availability", "--month", "2026-11", "--now", NOW, "--json"))
        return float(json.loads(r.stdout)["services"][1]["downtime_minutes"])

    late = "2026-12-01T12:00:00+03:00"
    run_at(cli, late, "outage", "SUP-1", "--service", "shop", "--start", "2026-11-10 10:00")
    # the alert's 42 minutes on the 3rd, and from the 10th on: the alert's last hour of
    # the month lies inside the ongoing outage
    assert shop_downtime() == 42 + (20 * 24 + 14) * 60
    run_at(cli, late, "outage", "SUP-1", "--end", "2026-11-10 10:15")
    assert shop_downtime() == 42 + 15 + 60
    log = git(outage_repo, "log", "--format=%ad %s", "--date=iso-strict", "-2")
    assert log.splitlines() == [
        "2026-12-01T12:00:00+03:00 SUP-1: correct outage of shop: 2026-11-10T10:00:00+03:00 "
        "– 2026-11-10T10:15:00+03:00",
        "2026-12-01T12:00:00+03:00 SUP-1: outage of shop: 2026-11-10T10:00:00+03:00 – ongoing",
    ]


def test_sla_availability_refuses_a_customer_without_targets(outage_repo: Path, cli: Cli) -> None:
    r = cli("sla", "availability", "--month", "2026-11", "-c", "globex")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: customer globex has no availability target (see README)\n"
    )


def test_the_report_shows_availability_and_adds_its_credit_within_the_cap(
    outage_repo: Path, cli: Cli
) -> None:
    r = ok(cli("report", "--month", "2026-11", "-c", "acme", "--format", "json", "--now", NOW))
    model = json.loads(r.stdout)
    assert [s["service"] for s in model["availability"]["services"]] == ["api", "shop"]
    assert model["availability"]["services"][1]["percent"] == 99.764  # 102 minutes down
    (acme,) = model["time"]["customers"]
    ticket_credit = 2 * acme["breaches"]
    assert acme["availability_breaches"] == 1
    assert acme["credit_percent"] == min(ticket_credit + 5, 15)
    assert acme["availability_credit_percent"] == acme["credit_percent"] - min(ticket_credit, 15)
    assert acme["credit_amount"] == 10 * acme["credit_percent"]
    markdown = ok(cli("report", "--month", "2026-11", "-c", "acme", "--now", NOW)).stdout
    section = markdown[markdown.index("## Availability") : markdown.index("## Recurring")]
    assert "| shop | 99.9% | 99.764% | 102 min | below target |" in section
    assert "- shop down 2026-11-30 23:00 – 2026-12-01 00:00 (60 min; SUP-2)" in section
    # the desk-wide report: globex, without targets, has no such section nor fields
    model = json.loads(
        ok(cli("report", "--month", "2026-11", "--format", "json", "--now", NOW)).stdout
    )
    globex = next(c for c in model["customers"] if c["key"] == "globex")
    assert "availability" not in globex
    assert "availability_credit_percent" not in globex["time"]["customers"][0]
    assert [s["customer"] for s in model["availability"]["services"]] == ["acme", "acme"]


def test_validate_reports_outage_keys_edited_by_hand(outage_repo: Path, cli: Cli) -> None:
    path = outage_repo / ticket_path("SUP-1")
    text = path.read_text() + "service: mail\nimpact: outage\noutage: {start: soon}\n"
    commit_file(outage_repo, ticket_path("SUP-1"), text)
    lines = len(text.splitlines())
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.splitlines() == [
        f"{ticket_path('SUP-1')}:{lines}: `outage` needs `start`, an ISO 8601 time with an offset",
        f"{ticket_path('SUP-1')}:{lines - 2}: service 'mail' has no availability target "
        "for this customer",
    ]
