"""Times and dates on the command line (supportctl/cli/common.py, supportctl/periods.py):
`--at`, `--now`, SUPPORTCTL_NOW, `--on` and `--since/--until/--month` are read by one parser
each; a time without an offset is wall time
in the desk's zone (Europe/Moscow in the test config), not the machine's; times outside
1970..2099 are usage errors that leave the repo as it was."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import git, ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LATER = {
    "GIT_AUTHOR_DATE": "2026-10-05T18:00:00+03:00",
    "GIT_COMMITTER_DATE": "2026-10-05T18:00:00+03:00",
}


def snapshot(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(
        root, "status", "--porcelain", "--untracked-files=all"
    )


def refused(root: Path, before: tuple[str, str], result: Any, message: str) -> None:
    """Exit 2, exactly one error line, nothing written."""
    assert result.exit_code == 2, result.output
    assert result.stderr == f"supportctl: error: {message}\n"
    assert result.stdout == ""
    assert snapshot(root) == before


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is far from the desk's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def ticket(support_repo: Path, cli: Any) -> Path:
    ok(cli("new", "Printer jams", "-c", "acme", "-t", "incident", "-p", "normal"))  # Mon 10:00 MSK
    return support_repo


def test_at_without_offset_is_the_desks_wall_time(
    ticket: Path, cli: Any, machine_in_new_york: None
) -> None:
    ok(cli("comment", "SUP-1", "Called back", "--at", "2026-10-05T10:30", env=LATER))
    assert git(ticket, "log", "-1", "--format=%aI").strip() == "2026-10-05T10:30:00+03:00"
    # SLA --now and SUPPORTCTL_NOW likewise: 30 minutes after creation, as of 10:30 Moscow
    lines = ok(cli("sla", "show", "SUP-1", "--now", "2026-10-05T10:30")).stdout.splitlines()
    assert lines[0] == "SUP-1 (acme, normal, new) as of 2026-10-05T10:30:00+03:00"
    assert lines[1].split()[:4] == ["first_response", "met", "30m", "of"]
    env = ok(
        cli("sla", "show", "SUP-1", env={"SUPPORTCTL_NOW": "2026-10-05T10:30"})
    ).stdout.splitlines()
    assert env == lines


def test_sla_show_as_of_is_in_the_desks_zone_to_the_second(ticket: Path, cli: Any) -> None:
    out = ok(cli("sla", "show", "SUP-1", "--now", "2026-10-05T07:30:00.250000Z")).stdout
    assert out.splitlines()[0] == "SUP-1 (acme, normal, new) as of 2026-10-05T10:30:00+03:00"
    data = ok(cli("sla", "show", "SUP-1", "--json", "--now", "2026-10-05T07:30:00Z")).stdout
    assert '"now": "2026-10-05T10:30:00+03:00"' in data


@pytest.fixture
def berlin_desk(ticket: Path) -> Path:
    config = ticket / "supportctl.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("timezone: Europe/Moscow\ncalendars:", "timezone: Europe/Berlin\ncalendars:"),
        encoding="utf-8",
    )
    git(ticket, "commit", "-qam", "The desk moves to Berlin")
    return ticket


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "2026-03-29T02:30",
            (
                "bad --now '2026-03-29T02:30': that wall time does not exist in Europe/Berlin "
                "(the clocks went forward); give the offset"
            ),
        ),
        (
            "2026-10-25T02:30",
            (
                "bad --now '2026-10-25T02:30': that wall time happens twice in Europe/Berlin "
                "(the clocks went back); give the offset: +02:00 or +01:00"
            ),
        ),
    ],
)
def test_a_wall_time_dst_makes_ambiguous_is_refused(
    berlin_desk: Path, cli: Any, given: str, message: str
) -> None:
    before = snapshot(berlin_desk)
    refused(berlin_desk, before, cli("sla", "show", "SUP-1", "--now", given), message)
    ok(cli("sla", "show", "SUP-1", "--now", "2026-10-25T02:30+01:00"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["comment", "SUP-1", "x", "--at", "1969-12-31T23:59:59+00:00"],
            "bad --at '1969-12-31T23:59:59+00:00': before 1970-01-01T00:00Z, which git cannot record",
        ),
        (
            [
                "comment",
                "SUP-1",
                "x",
                "--at",
                "1970-01-01T02:00",
            ],  # 23:00Z the day before, in Moscow
            "bad --at '1970-01-01T02:00': before 1970-01-01T00:00Z, which git cannot record",
        ),
        (
            [
                "new",
                "Old call",
                "-c",
                "acme",
                "-t",
                "incident",
                "-p",
                "low",
                "--at",
                "0001-01-01T00:00+01:00",
            ],
            "bad --at '0001-01-01T00:00+01:00': before 1970-01-01T00:00Z, which git cannot record",
        ),
        (
            ["new", "Old call", "-c", "acme", "-t", "incident", "-p", "low", "--at", "0001-01-01"],
            "bad --at '0001-01-01': before 1970-01-01T00:00Z, which git cannot record",
        ),
        (
            ["start", "SUP-1", "--at", "9999-12-31T23:59:59"],
            "bad --at '9999-12-31T23:59:59': expected a time before the year 2100",
        ),
        (
            ["log", "SUP-1", "-m", "5", "--on", "0001-01-01"],
            "bad --on '0001-01-01': expected a date from 1970-01-01 to 2099-12-31",
        ),
        (
            ["log", "SUP-1", "-m", "5", "--on", "1969-12-31"],
            "bad --on '1969-12-31': expected a date from 1970-01-01 to 2099-12-31",
        ),
        (
            ["log", "SUP-1", "-m", "5", "--on", "9999-12-31"],
            "bad --on '9999-12-31': expected a date from 1970-01-01 to 2099-12-31",
        ),
        (
            ["sla", "show", "SUP-1", "--now", "1969-07-20T20:17:40Z"],
            "bad --now '1969-07-20T20:17:40Z': before 1970-01-01T00:00Z, which git cannot record",
        ),
        # periods: a traceback (year 10000 is out of range) before
        (
            ["sla", "check", "--month", "9999-12"],
            "bad --month '9999-12': expected a month from 1970-01 to 2099-12",
        ),
        (
            ["sla", "check", "--since", "2026-10-01", "--until", "9999-12-31"],
            "bad --until '9999-12-31': expected a date from 1970-01-01 to 2099-12-31",
        ),
        (
            ["report", "--since", "0001-01-01", "--format", "json"],
            "bad --since '0001-01-01': expected a date from 1970-01-01 to 2099-12-31",
        ),
        (
            ["report", "--since", "2026-10-01", "--until", "2026-13-01"],
            "bad --until '2026-13-01': expected YYYY-MM-DD",
        ),
        (
            ["sla", "check", "--since", "2026-10-02", "--until", "2026-10-01"],
            "--until must not be before --since",
        ),
    ],
)
def test_times_outside_1970_to_2099_are_usage_errors(
    ticket: Path, cli: Any, args: list[str], message: str
) -> None:
    before = snapshot(ticket)
    refused(ticket, before, cli(*args, env=LATER), message)
    assert not (ticket / "data/worklogs/1-01").exists()


def test_the_edges_of_the_range_are_accepted(ticket: Path, cli: Any) -> None:
    # git reads a bare number below 100000000 as something else than epoch seconds: the
    # 1970s failed inside git (exit 8) until the time went in as @seconds
    for at in ("1970-01-01T00:00:00Z", "1973-03-03T09:46:39+03:00"):
        ok(
            cli(
                "new",
                "Old call",
                "-c",
                "acme",
                "-t",
                "incident",
                "-p",
                "low",
                "--at",
                at,
                env=LATER,
            )
        )
        assert git(ticket, "log", "-1", "--format=%aI").strip() == at.replace("Z", "+00:00")
    one_day = ok(
        cli("sla", "check", "--since", "2026-10-05", "--until", "2026-10-05", "--json")
    ).stdout
    assert '"label": "2026-10-05..2026-10-05"' in one_day
    assert '"until": "2026-10-06T00:00:00+03:00"' in one_day
    ok(cli("log", "SUP-1", "-m", "5", "--on", "1970-01-01", env=LATER))
    assert (ticket / "data/worklogs/1970-01").is_dir()
    ok(cli("log", "SUP-1", "-m", "5", "--on", "2099-12-31", env=LATER))
    assert (ticket / "data/worklogs/2099-12").is_dir()
