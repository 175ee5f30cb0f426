"""bench/agent.py: every row of the agent's commands beside git ls-tree, from real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

ROWS = (
    "queue warm",
    "queue cold",
    "search warm",
    "search --customer acme warm",
    "search after a commit",
    "search cold",
)


def test_a_small_run_prints_every_row(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "agent.py"),
            *("--sizes", "150", "--runs", "3", "--work", str(tmp_path / "work")),
            *("--json", str(out), "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [x for x in r.stdout.splitlines() if x.startswith("| 150 |")]
    assert [x.split(" | ")[1].strip("`") for x in lines] == list(ROWS)
    assert all("| git ls-tree -r HEAD |" in x for x in lines)
    result = json.loads(out.read_text())
    (size,) = result["sizes"]
    for row in size["rows"]:
        assert len(row["samples"]["new"]) == 3
        assert len(row["samples"]["baseline"]) == 3
        # every supportctl run succeeded
        assert {s["rc"] for s in row["samples"]["new"]} == {0}, row["command"]


def test_fewer_than_three_runs_are_refused(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "agent.py"), "--runs", "2", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    assert "--runs must be at least 3" in r.stderr
