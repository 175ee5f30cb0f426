"""bench/run.py: every row beside its baseline, for both checkouts, from real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

ROWS = ("--version", "show SUP-123 warm", "list warm", "new", "sla check", "report")


def test_a_small_run_prints_every_row_for_both_checkouts(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            *("--sizes", "150", "--runs", "1", "--work", str(tmp_path / "work")),
            *("--against", str(ROOT), "--json", str(out), "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [x for x in r.stdout.splitlines() if x.startswith("| 150 |")]
    assert len(lines) == 7 * 2  # seven rows, each for the new and the old checkout
    for row in ROWS:
        assert any(f"`{row}" in x and "| new |" in x for x in lines), row
        assert any(f"`{row}" in x and "| old |" in x for x in lines), row
    result = json.loads(out.read_text())
    (size,) = result["sizes"]
    assert size["tickets"] == 150
    for row in size["rows"]:
        assert set(row["samples"]) == {"baseline", "new", "old"}
        for name, samples in row["samples"].items():
            (one,) = samples
            assert one["cpu"] > 0
            assert one["rss_mib"] > (5 if name != "baseline" else 0)  # from the kernel
    # the desk is kept for the next run, and the copies made for it are gone
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["desk-150"]


def test_new_beside_git_issue_runs_its_new_among_as_many_issues(tmp_path: Path) -> None:
    """`--git-issue` adds a row of `new` beside git-issue's `new -s`, run where git-issue
    finds its repository, which holds as many issues as the desk has tickets (a stand-in
    script here: git-issue itself is not a dependency)."""
    seen = tmp_path / "seen"
    stand_in = tmp_path / "git-issue"
    stand_in.write_text(
        "#!/bin/sh\n"
        'test "$1" = new && test "$2" = -s || exit 2\n'
        "cd .issues || exit 3\n"
        f"git ls-files | wc -l > {seen}\n"
        "git commit -q --allow-empty -m 'gi: Add issue'\n",
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            *("--sizes", "150", "--runs", "1", "--work", str(tmp_path / "work")),
            *("--only", "git-issue", "--git-issue", str(stand_in), "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("| 150 |")]
    assert "`new (beside git-issue)`" in line
    assert "git-issue new -s" in line
    assert int(seen.read_text().strip()) == 2 * 150  # a description and a tag per issue
