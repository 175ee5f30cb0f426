#!/usr/bin/env python3
"""Time shell completion (a Tab) on a support repo, beside git's own `ls-tree`.

    .venv/bin/python bench/completion.py --repo /tmp/desk-20000-copy
    .venv/bin/python bench/completion.py --repo /tmp/desk-20000-copy --runs 21 --json out.json

The repo must be writable (a copy of a generated desk: `bench/generate.py`): the first
Tab fills the listing cache and the completion index there. Each figure is the median over
--runs rounds; one round runs every row once, one after the other, so a busy moment on the
machine slows all of them alike. Rows:

- `git ls-tree -r` of data/tickets: the raw git cost of naming every ticket file;
- `git rev-parse HEAD:data/tickets`: the one git call a warm Tab on ticket IDs makes;
- `python -c pass`: starting the interpreter, which every Tab pays;
- Tab on ticket IDs, KB slugs, customers, as the shell runs it (the console script with
  `_SUPPORTCTL_COMPLETE=complete_bash`), warm;
- the same ticket-ID Tab answered by Typer itself (the whole app built first): what a Tab
  cost before completion had its own path;
- in-process: `supportctl.cli.complete.answer` alone, without the interpreter's start.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TREE = HERE.parent


def once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with status {status}")
    return usage.ru_utime + usage.ru_stime, wall


def tab(line: str) -> dict[str, str]:
    words = line.split(" ")
    return {
        "_SUPPORTCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }


def in_process(repo: Path, line: str, runs: int) -> float:
    """Median seconds of `answer` alone (modules already imported)."""
    sys.path.insert(0, str(TREE))
    from supportctl.cli.complete import answer

    here = os.getcwd()
    os.chdir(repo)
    times = []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                answer({**os.environ, **tab(line)})
            times.append(time.perf_counter() - t0)
    finally:
        os.chdir(here)
    return statistics.median(times)


def measure(repo: Path, runs: int) -> dict[str, Any]:
    exe = str(Path(sys.executable).parent / "supportctl")
    python = sys.executable
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTCTL_", "_SUPPORTCTL"))}
    base["PYTHONPATH"] = str(TREE)
    typer_path = [python, "-c", "from supportctl.cli import app; app(prog_name='supportctl')"]
    last = subprocess.run(
        ["git", "rev-list", "--max-count=1", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    count = len(
        subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", "HEAD", "data/tickets"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    rows: dict[str, tuple[list[str], dict[str, str]]] = {
        "git ls-tree -r HEAD data/tickets": (
            ["git", "ls-tree", "-r", "HEAD", "data/tickets"],
            base,
        ),
        "git rev-parse HEAD:data/tickets": (["git", "rev-parse", "HEAD:data/tickets"], base),
        "python -c pass": ([python, "-c", "pass"], base),
        "Tab: show SUP-1": ([exe], {**base, **tab("supportctl show SUP-1")}),
        "Tab: show (all, open first)": ([exe], {**base, **tab("supportctl show ")}),
        "Tab: resolve --kb": ([exe], {**base, **tab("supportctl resolve SUP-1 --kb ")}),
        "Tab: new --customer": ([exe], {**base, **tab("supportctl new x --customer ")}),
        "Tab: show SUP-1, Typer's own path": (typer_path, {**base, **tab("supportctl show SUP-1")}),
    }
    for cmd, env in rows.values():  # warm: caches, the completion index, the OS's file cache
        once(cmd, repo, env)
    cpu: dict[str, list[float]] = {k: [] for k in rows}
    wall: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(runs):
        for name, (cmd, env) in rows.items():
            c, w = once(cmd, repo, env)
            cpu[name].append(c)
            wall[name].append(w)
    result = {
        "repo": str(repo),
        "head": last,
        "tickets": count,
        "runs": runs,
        "load_average": os.getloadavg(),
        "rows": [
            {
                "what": name,
                "cpu_s": statistics.median(cpu[name]),
                "wall_s": statistics.median(wall[name]),
            }
            for name in rows
        ],
    }
    result["rows"].append(
        {
            "what": "answer() in-process: show SUP-1",
            "cpu_s": None,
            "wall_s": in_process(repo, "supportctl show SUP-1", runs),
        }
    )
    return result


def fmt(s: float | None) -> str:
    return "—" if s is None else f"{s * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="a writable support repo")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = measure(args.repo.resolve(), args.runs)
    print(
        f"{result['tickets']} tickets, median of {result['runs']} runs, "
        f"load average {', '.join(f'{x:.1f}' for x in result['load_average'])}"
    )
    print(f"{'what':<40} {'CPU':>8} {'wall':>8}")
    for row in result["rows"]:
        print(f"{row['what']:<40} {fmt(row['cpu_s']):>8} {fmt(row['wall_s']):>8}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
