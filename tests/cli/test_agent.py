"""`supportctl queue` and `supportctl search` from the command line: JSON shapes, plain
columns in a pipe, messages and exit codes. Plan `standard` of tests/helpers.CONFIG:
normal tickets 2h/4h/16h in the Moscow office calendar (09-13, 14-18)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.helpers import at, ok

if TYPE_CHECKING:
    from tests.helpers import Cli

EXE = str(Path(sys.executable).parent / "supportctl")
NOW = ("--now", "2026-10-05T12:30:00+03:00")


def new(cli: Cli, title: str, customer: str = "acme", when: str = "10:00", **kw: str) -> None:
    args = ["new", title, "-c", customer, "-t", "incident", "-p", kw.get("priority", "normal")]
    if "description" in kw:
        args += ["-d", kw["description"]]
    ok(cli(*args, env=at(f"2026-10-05T{when}:00+03:00")))


def test_queue_json_shape(support_repo: Path, cli: Cli) -> None:
    new(cli, "Printer broken")  # SUP-1, Mon 10:00
    ok(cli("assign", "SUP-1", "boris", env=at("2026-10-05T10:05:00+03:00")))
    rows = json.loads(ok(cli("queue", "--json", *NOW)).stdout)
    assert rows == [
        {
            "id": "SUP-1",
            "title": "Printer broken",
            "customer": "acme",
            "priority": "normal",
            "line": "L1",
            "status": "new",
            "assignee": "boris",
            "created": "2026-10-05T10:00:00+03:00",
            "age_seconds": 9000.0,
            "urgency": "breached",
            "clock": {
                "metric": "first_response",
                "state": "breached",
                "at_risk": False,
                "due": "2026-10-05T12:00:00+03:00",
                "left_seconds": -1800.0,
                "calendar": "office",
                "timezone": "Europe/Moscow",
            },
            "last_activity": {
                "at": "2026-10-05T10:05:00+03:00",
                "author": "Anna Smirnova",
                "email": "anna@support.example",
                "action": "assign",
            },
        }
    ]


def test_queue_plain_columns_in_a_pipe(support_repo: Path, cli: Cli) -> None:
    new(cli, "Printer broken")  # breached at 12:00
    new(cli, "VPN slow", customer="globex", when="11:00")  # 1h30 of 2h: 75%, running
    new(cli, "Site down", priority="critical", when="12:05")  # 24x7: 25m of 30m, at risk
    r = ok(cli("queue", *NOW))
    assert "\x1b[" not in r.stdout  # no colour in a pipe
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "CUSTOMER",
        "PRI",
        "LINE",
        "STATUS",
        "ASSIGNEE",
        "NEXT",
        "LEFT",
        "DUE",
        "AGE",
        "LAST",
        "ACTIVITY",
        "TITLE",
    ]
    assert [ln.split()[0] for ln in lines[1:]] == ["SUP-1", "SUP-3", "SUP-2"]
    sup1, sup3, sup2 = lines[1:]
    assert "first_response!" in sup1
    assert "-30m" in sup1
    assert "2026-10-05 12:00 MSK" in sup1
    assert "Anna Smirnova new 2h30m ago" in sup1
    assert sup1.endswith("Printer broken")
    assert "first_response " in sup2
    assert "30m" in sup2
    assert "first_response~" in sup3
    assert " 5m " in sup3
    assert "2026-10-05 09:35 UTC" in sup3  # in its own calendar's zone (24x7 is UTC)


def test_queue_empty_and_mine_messages(support_repo: Path, cli: Cli) -> None:
    assert ok(cli("queue", *NOW)).stdout == "no open tickets match\n"
    assert ok(cli("queue", "--mine", *NOW)).stdout == "no open tickets assigned to anna match\n"
    r = cli(
        "queue",
        "--mine",
        *NOW,
        env={"GIT_AUTHOR_NAME": "Pat Doe", "GIT_AUTHOR_EMAIL": "pat@example.org"},
    )
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: --mine: your git identity Pat Doe <pat@example.org> is no agent in "
        "supportctl.yaml (agents: anna, boris); match its e-mail or name there, or use "
        "--agent HANDLE\n"
    )


def search_json(cli: Cli, *args: str) -> Any:
    return json.loads(ok(cli("search", *args, "--json")).stdout)


def test_search_json_shape_and_customer_isolation(support_repo: Path, cli: Cli) -> None:
    new(cli, "Принтеры не печатали чеки", description="Касса 2 молчит")
    new(cli, "Принтер не печатает", customer="globex", description="Проект Гиперион")
    assert search_json(cli, "принтер не печатает", "--customer", "acme") == [
        {
            "id": "SUP-1",
            "title": "Принтеры не печатали чеки",
            "customer": "acme",
            "status": "new",
            "priority": "normal",
            "assignee": None,
            "score": search_json(cli, "принтер не печатает", "-c", "acme")[0]["score"],
            "snippet": "Касса 2 молчит",
            "matched_terms": ["принтер", "печатает"],
        }
    ]
    assert search_json(cli, "Гиперион", "--customer", "acme") == []
    [hit] = search_json(cli, "Гиперион")
    assert (hit["id"], hit["snippet"]) == ("SUP-2", "Проект **Гиперион**")
    r = cli("search", "Гиперион", "--customer", "acme")
    assert r.exit_code == 0
    assert r.stdout == ""
    assert r.stderr == "supportctl: no matching tickets\n"


def test_search_text_output_and_errors(support_repo: Path, cli: Cli) -> None:
    new(cli, "VPN drops every hour", description="Users lose the tunnel")
    r = ok(cli("search", "vpn dropping"))
    assert r.stdout == (
        "1. SUP-1  VPN drops every hour\n"
        f"   acme, new, normal  score {search_json(cli, 'vpn dropping')[0]['score']:.2f}\n"
        "   Users lose the tunnel\n"
    )
    r = cli("search", "vpn", "--customer", "initech")
    assert r.exit_code == 5
    assert "unknown customer 'initech'" in r.stderr
    r = cli("search", "vpn", "--status", "done")
    assert r.exit_code == 2
    assert "unknown --status 'done'" in r.stderr
    assert ok(cli("search", "the and")).stderr == (
        "supportctl: no searchable words in the query (only stop words?)\n"
    )


def test_queue_at_a_terminal_is_coloured_and_shows_markup_as_text(
    support_repo: Path, cli: Cli
) -> None:
    new(cli, "Printer [bold]broken[/bold]")  # breached at 12:00
    new(cli, "VPN slow", customer="globex", when="11:00")  # running
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "250", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [EXE, "queue", *NOW], cwd=support_repo, stdout=slave, stderr=subprocess.PIPE, env=env
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the pty closes when the command exits
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait() == 0
    os.close(master)
    text = shown.decode()
    assert "\x1b[1;31m" in text  # the breached row in bold red
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "Printer [bold]broken[/bold]" in plain  # a title is text, never markup
    assert [ln.split()[0] for ln in plain.splitlines() if ln.strip()] == ["ID", "SUP-1", "SUP-2"]
