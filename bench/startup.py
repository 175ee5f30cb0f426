#!/usr/bin/env python3
"""Time supportctl's start-up against `python -c pass`.

    .venv/bin/python bench/startup.py                           # this tree, 7 paired runs
    .venv/bin/python bench/startup.py --baseline /tmp/before    # and an older checkout beside it
    .venv/bin/python bench/startup.py --runs 11 --json /tmp/startup.json

Each figure is the median over --runs rounds; one round runs every command once, one
after the other (`python -c pass`, then each supportctl command with this tree and with
the baseline), so a busy moment on the machine slows all of them alike. CPU is the
user + system time of the child process (os.wait4), wall the time from start to exit.
The commands run through the installed console script with PYTHONPATH set to the tree
being measured, so the code measured is that tree's whatever the editable install points
at. `list` runs in a small generated support repo (bench/generate.py), one copy per
tree, with its cache warmed first: what is timed is a start, not a history scan.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import fmt_s, supportctl_exe  # noqa: E402  (bench/run.py, beside this file)

COMMANDS = {"--version": ["--version"], "--help": ["--help"], "list": ["list"]}


def once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) of one run; exits on a failed command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if proc.returncode != 0:
        shown = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {shown.stderr[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def make_repo(where: Path) -> Path:
    import generate

    out = where / "desk"
    generate.generate(200, 2000, out, seed=3, verbose=False)
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    trees = {"this tree": HERE.parent}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    exe = supportctl_exe()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTCTL_", "GIT_"))}
    base_env.update({"LC_ALL": "C.UTF-8", "COLUMNS": "100"})
    envs = {name: {**base_env, "PYTHONPATH": str(path)} for name, path in trees.items()}
    with tempfile.TemporaryDirectory(prefix="supportctl-startup-") as tmp:
        first = make_repo(Path(tmp))
        repos = {}
        for name in trees:
            # a tree of its own for each: two cache formats must not undo each other
            repos[name] = Path(tmp) / name.replace(" ", "-")
            shutil.copytree(first, repos[name], symlinks=True)
            once([exe, "list"], repos[name], envs[name])  # fill the cache
        runs: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            runs.setdefault("python -c pass", []).append(
                once([sys.executable, "-c", "pass"], first, base_env)
            )
            for label, argv in COMMANDS.items():
                for name in trees:
                    runs.setdefault(f"{name}|{label}", []).append(
                        once([exe, *argv], repos[name], envs[name])
                    )
    return {
        "runs": args.runs,
        "trees": {name: str(path) for name, path in trees.items()},
        "median": {
            key: {
                "cpu": statistics.median(c for c, _ in values),
                "wall": statistics.median(w for _, w in values),
            }
            for key, values in runs.items()
        },
    }


def table(res: dict[str, Any]) -> str:
    med = res["median"]
    base = med["python -c pass"]
    trees = list(res["trees"])
    head = ["command".ljust(22)]
    for name in trees:
        head.append(f"{name:>34}")
    lines = [
        "".join(head),
        "".join(
            ["".ljust(22)] + [f"{'cpu':>9}{'x pass':>8}{'wall':>9}{'x pass':>8}" for _ in trees]
        ),
        f"{'python -c pass':<22}"
        + f"{fmt_s(base['cpu']):>9}{'1.0':>8}{fmt_s(base['wall']):>9}{'1.0':>8}" * len(trees),
    ]
    for label in COMMANDS:
        row = f"{'supportctl ' + label:<22}"
        for name in trees:
            m = med[f"{name}|{label}"]
            row += (
                f"{fmt_s(m['cpu']):>9}{m['cpu'] / base['cpu']:>8.1f}"
                f"{fmt_s(m['wall']):>9}{m['wall'] / base['wall']:>8.1f}"
            )
        lines.append(row)
    lines.append("")
    lines.extend(f"{name}: {path}" for name, path in res["trees"].items())
    lines.append(f"medians of {res['runs']} paired runs")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="paired rounds (median; at least 5)")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="an older checkout (e.g. `git worktree add --detach /tmp/before REV`) to time beside",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    if args.runs < 5:
        ap.error("--runs: at least 5")
    if args.baseline and not (args.baseline / "supportctl" / "__init__.py").is_file():
        ap.error(f"--baseline {args.baseline}: no supportctl package there")
    res = measure(args)
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
