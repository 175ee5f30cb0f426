#!/usr/bin/env python3
"""Time the agent's commands (`queue`, `search`) on generated desks beside raw git.

    .venv/bin/python bench/agent.py --sizes 20000 --work /tmp/bench-work --json /tmp/agent.json

The conventions are bench/run.py's, and so is the machinery: the desks (`desk-N` under
--work, generated once), a private copy per side, paired rounds in alternating order, the
median of the per-round ratios, CPU (user + system of the process and the children it
waited for), wall and peak RSS from `os.wait4`. The baseline of every row is the raw git
time of `git ls-tree -r HEAD` on the same desk: listing every file of the tip is the least
any command over all tickets has to do.

Rows: `queue` with its caches warm (the history scan of `sla status` is done once and
kept) and cold (no cache: the whole history is read); `search` warm (the snapshot of the ticket indexes is current), warm for one
customer (its own index), after a commit that changes one ticket (the analyses of the
other tickets are reused, the indexes rebuilt) and cold (no cache at all: every ticket
file parsed and analysed).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (bench/run.py, beside this file)

QUERY = "принтер не печатает чеки"
CUSTOMER = "acme"
EDIT_ID = "SUP-1"


def rows_for(sc: str, now: str, edit_path: str) -> list[run.Row]:
    def drop_cache(desk: Path) -> None:
        shutil.rmtree(desk / ".git" / "supportctl", ignore_errors=True)

    def commit_one(desk: Path) -> None:
        # a changed ticket: a new tree of data/tickets, one blob the caches have not seen
        with (desk / edit_path).open("a", encoding="utf-8") as fh:
            fh.write("# benchmark edit\n")
        run.git(desk, "commit", "-q", "-m", "Benchmark edit", "--", edit_path)

    ls_tree = ["git", "ls-tree", "-r", "HEAD"]

    def either(sup_args: tuple[str, ...]) -> Any:
        return lambda desk, variant: [sc, *sup_args] if variant else ls_tree

    rows = [
        run.Row("queue warm", "git ls-tree -r HEAD", either(("queue", "--now", now)), warm=True),
        run.Row(
            "queue cold",
            "git ls-tree -r HEAD",
            either(("queue", "--now", now)),
            prepare=drop_cache,
        ),
        run.Row("search warm", "git ls-tree -r HEAD", either(("search", QUERY)), warm=True),
        run.Row(
            f"search --customer {CUSTOMER} warm",
            "git ls-tree -r HEAD",
            either(("search", QUERY, "--customer", CUSTOMER)),
            warm=True,
        ),
        run.Row(
            "search after a commit",
            "git ls-tree -r HEAD",
            either(("search", QUERY)),
            prepare=commit_one,
            warm=True,
        ),
        run.Row(
            "search cold", "git ls-tree -r HEAD", either(("search", QUERY)), prepare=drop_cache
        ),
    ]
    # Completion of ticket IDs, KB slugs, customers and agents is timed here too: its rows
    # (the same baseline) are appended to `rows` at this point.
    return rows


def bench_size(tickets: int, code: Path, args: argparse.Namespace, say: Any) -> dict[str, Any]:
    desk, generated = run.desk_for(args.work, tickets, say)
    head = run.git(desk, "rev-parse", "HEAD").strip()
    # the queue as of the desk's last commit: its open tickets are those of a live desk
    now = run.git(desk, "log", "-1", "--format=%aI").strip()
    paths = run.git(desk, "ls-tree", "-r", "--name-only", "HEAD", "data/tickets").split()
    edit_path = next(p for p in paths if p.endswith(f"/{EDIT_ID}.yaml"))
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-agent-{tickets}-", dir=args.work))
    try:
        copies = {}
        for name in ("baseline", "new"):
            copies[name] = tmp / name
            subprocess.run(["cp", "-a", str(desk), str(copies[name])], check=True)
        probe = tmp / "probe"
        probe.mkdir()
        (probe / "sitecustomize.py").write_text(run.SITECUSTOMIZE)
        envs = {"baseline": run.env_for(probe, None), "new": run.env_for(probe, code)}
        out = tmp / "stdout"
        rows = rows_for(run.supportctl_exe(), now, edit_path)
        if args.only:
            rows = [r for r in rows if any(w in r.command for w in args.only.split(","))]
        for row in rows:
            say(f"  {tickets}: {row.command} ...")
            if row.warm:
                run.measure(row.build(copies["new"], "new"), copies["new"], envs["new"], out)
            row.samples = {"baseline": [], "new": []}
            for i in range(args.runs):
                for name in ("baseline", "new") if i % 2 == 0 else ("new", "baseline"):
                    d = copies[name]
                    if row.prepare:
                        row.prepare(d)
                    cmd = row.build(d, None if name == "baseline" else name)
                    row.samples[name].append(run.measure(cmd, d, envs[name], out))
        return {
            "tickets": tickets,
            "commits": int(run.git(desk, "rev-list", "--count", head).strip()),
            "now": now,
            "generated": generated,
            "rows": [
                {
                    "command": r.command,
                    "baseline": r.baseline,
                    "samples": {n: [vars(s) for s in ss] for n, ss in r.samples.items()},
                }
                for r in rows
            ],
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20000", help="tickets per desk, comma-separated")
    ap.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "supportctl-bench",
        help="folder that keeps the generated desks (desk-N) between runs",
    )
    ap.add_argument("--code", type=Path, default=run.ROOT, help="supportctl checkout to measure")
    ap.add_argument("--runs", type=int, default=3, help="paired rounds per row (median)")
    ap.add_argument("--only", help="only the rows whose command contains one of these words")
    ap.add_argument("--json", type=Path, help="also write every sample to this JSON file")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.runs < 3:
        raise SystemExit("--runs must be at least 3 (a median of fewer says little)")
    args.work.mkdir(parents=True, exist_ok=True)
    args.work = args.work.resolve()
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    code = args.code.resolve()
    compileall.compile_dir(str(code / "supportctl"), quiet=1)
    result: dict[str, Any] = {
        "variants": {"new": str(code)},
        "commits": {
            "new": subprocess.run(
                ["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                check=False,
                text=True,
            ).stdout.strip()
        },
        "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().machine}",
        "python": sys.version.split()[0],
        "git": subprocess.run(
            ["git", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "runs": args.runs,
        "sizes": [],
    }
    for tickets in (int(x) for x in args.sizes.split(",") if x.strip()):
        result["sizes"].append(bench_size(tickets, code, args, say))
        if args.json:  # after every size: a long run that dies late keeps what it measured
            args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    result["load_average"] = os.getloadavg()
    print(
        f"{result['machine']}, Python {result['python']}, {result['git']}; "
        f"{code} ({result['commits']['new']}); medians of {args.runs} paired rounds; "
        "load average at the end " + " ".join(f"{x:.1f}" for x in result["load_average"])
    )
    print()
    print(run.table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
