"""A small desk with a known October: two customers, a breach, worklogs, a back-dated
action, a hand-made commit and a hostile title."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import git, run_at

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def october_desk(support_repo: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    # SUP-1 acme high: replied in 30m, resolved within the day, closed.
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
        "--channel",
        "phone",
        "--class",
        "checkout",
        "--tag",
        "checkout",
    )
    run_at(cli, "2026-10-05T10:30:00+03:00", "comment", "SUP-1", "Looking into it")
    run_at(cli, "2026-10-05T10:31:00+03:00", "start", "SUP-1")
    run_at(
        cli,
        "2026-10-05T11:00:00+03:00",
        "log",
        "SUP-1",
        "--time",
        "1h30m",
        "--note",
        "logs",
        "--on",
        "2026-10-05",
    )
    run_at(cli, "2026-10-05T15:00:00+03:00", "resolve", "SUP-1", "--resolution", "Cache cleared")
    run_at(cli, "2026-10-06T09:00:00+03:00", "close", "SUP-1")
    # SUP-2 globex normal: first response breached (no reply for 3 business hours), escalated to L2.
    run_at(
        cli,
        "2026-10-06T09:00:00+03:00",
        "new",
        "Отчёт «Продажи» формируется медленно",
        "--customer",
        "globex",
        "--type",
        "incident",
        "--priority",
        "normal",
        "--channel",
        "email",
        "--tag",
        "reports",
    )
    run_at(cli, "2026-10-06T14:00:00+03:00", "comment", "SUP-2", "Смотрим")
    run_at(cli, "2026-10-06T14:05:00+03:00", "escalate", "SUP-2", "--reason", "needs DB analysis")
    run_at(cli, "2026-10-06T14:10:00+03:00", "start", "SUP-2")
    # a phone call logged later: back-dated by a day
    env = {
        "GIT_AUTHOR_DATE": "2026-10-08T12:00:00+03:00",
        "GIT_COMMITTER_DATE": "2026-10-08T12:00:00+03:00",
    }
    assert (
        cli(
            "comment",
            "SUP-2",
            "Called the customer",
            "--internal",
            "--at",
            "2026-10-07T12:00:00+03:00",
            env=env,
        ).exit_code
        == 0
    )
    run_at(
        cli, "2026-10-08T13:00:00+03:00", "log", "SUP-2", "--minutes", "45", "--on", "2026-10-08"
    )
    # SUP-3 acme: hostile title, duplicate of SUP-1, still open at month end.
    run_at(
        cli,
        "2026-10-20T10:00:00+03:00",
        "new",
        "<script>alert(1)</script> [x](javascript:alert(1))",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "normal",
        "--tag",
        "checkout",
    )
    run_at(cli, "2026-10-20T10:05:00+03:00", "link", "SUP-3", "--duplicate-of", "SUP-1")
    # a reviewer raises SUP-3's priority by hand in an editor
    path = support_repo / "data/tickets/0000/SUP-3.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("priority: normal", "priority: high"),
        encoding="utf-8",
    )
    git(
        support_repo,
        "commit",
        "-qam",
        "Raise SUP-3 priority",
        env={
            "GIT_AUTHOR_DATE": "2026-10-20T11:00:00+03:00",
            "GIT_COMMITTER_DATE": "2026-10-20T11:00:00+03:00",
        },
    )
    # November activity must not leak into October
    run_at(cli, "2026-11-02T10:00:00+03:00", "comment", "SUP-3", "Fixed in November")
    return support_repo
