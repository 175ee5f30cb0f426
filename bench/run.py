#!/usr/bin/env python3
"""Time supportctl on a large synthetic repo against the raw git commands underneath.

    .venv/bin/python bench/run.py                                  # 20,000 tickets / 200,000 commits
    .venv/bin/python bench/run.py --tickets 2000 --commits 20000   # quick check
    .venv/bin/python bench/run.py --repo /tmp/sup-20k --keep       # build once, reuse later

Every supportctl figure is the wall time of the installed console script run with
subprocess in the repo (so Python start-up and imports are included), with stdout and
stderr captured through pipes like `supportctl list | less` would. "cold" means the
cache under .git/supportctl was deleted first; "warm" runs follow a run that filled it.
Warm figures are medians of --repeat runs; cold figures of --cold-repeat runs.

The repo is left as it was found: the commits made by the `new` and `git commit`
measurements are dropped at the end with `git reset --hard` to the original HEAD.
See bench/README.md for what each figure means and measured results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

TARGETS = "list warm < 1 s; sla check cold <= 2x `git log --raw`; sla check warm < cold / 4"


def supportctl_exe() -> str:
    venv = Path(sys.executable).parent / "supportctl"
    found = str(venv) if venv.exists() else shutil.which("supportctl")
    if not found:
        raise SystemExit("supportctl console script not found (pip install -e . in the venv)")
    return found


class Bench:
    def __init__(self, repo: Path, exe: str, repeat: int, cold_repeat: int) -> None:
        self.repo = repo
        self.exe = exe
        self.repeat = repeat
        self.cold_repeat = cold_repeat
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTCTL_", "GIT_"))
        }
        self.env.update({"LC_ALL": "C.UTF-8", "COLUMNS": "200"})

    def once(
        self, cmd: list[str], *, check: bool = True, prepare: Any = None
    ) -> tuple[float, float]:
        """Wall time and CPU time (user + system, the command and every process it waited for)."""
        if prepare:
            prepare()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=self.repo, env=self.env, capture_output=True, check=False)
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if check and p.returncode != 0:
            raise SystemExit(
                f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode()[-2000:]}"
            )
        return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

    def median(
        self, cmd: list[str], n: int | None = None, prepare: Any = None, **kw: Any
    ) -> tuple[float, float]:
        runs = [self.once(cmd, prepare=prepare, **kw) for _ in range(n or self.repeat)]
        return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)

    def sc(self, *args: str) -> list[str]:
        return [self.exe, *args]

    def drop_cache(self) -> None:
        shutil.rmtree(self.repo / ".git" / "supportctl", ignore_errors=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout.decode()


def default_month(repo: Path) -> str:
    """A month well inside the data: five months before the last commit."""
    y, m = map(
        int, git(repo, "log", "-1", "--format=%ad", "--date=format:%Y-%m").strip().split("-")
    )
    m -= 5
    while m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def run(args: argparse.Namespace) -> dict[str, Any]:
    exe = supportctl_exe()
    tmp: Path | None = None
    generated: dict[str, Any] | None = None
    if args.repo:
        repo = args.repo.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f"supportctl-bench-{args.tickets}-"))
        repo = tmp / "repo"
    if not (repo / "supportctl.yaml").is_file():
        import generate

        print(
            f"generating {args.tickets} tickets / {args.commits} commits in {repo} ...",
            file=sys.stderr,
        )
        generated = generate.generate(args.tickets, args.commits, repo, repack=args.repack)
    else:
        print(f"reusing {repo}", file=sys.stderr)
    orig_head = git(repo, "rev-parse", "HEAD").strip()
    b = Bench(repo, exe, args.repeat, args.cold_repeat)
    month = args.month or default_month(repo)
    info = {
        "repo": str(repo),
        "tickets": int(
            git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data/tickets").count(".yaml")
        ),
        "commits": int(git(repo, "rev-list", "--count", "HEAD").strip()),
        "pack_mib": round(
            sum(p.stat().st_size for p in (repo / ".git/objects/pack").glob("*.pack")) / 2**20, 1
        ),
        "month": month,
        "generated": generated,
        "machine": f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().machine}",
        "git": git(repo, "--version").strip(),
        "supportctl": exe,
    }
    R: dict[str, tuple[float, float]] = {}
    say = (lambda *a: print(*a, file=sys.stderr)) if not args.quiet else (lambda *a: None)

    say("python start-up, raw git ...")
    R["python"] = b.median([sys.executable, "-c", "pass"])
    R["sc_version"] = b.median(b.sc("--version"))
    R["ls_tree"] = b.median(["git", "ls-tree", "-r", "HEAD", "data/tickets"])
    R["cat_file"] = b.median(["git", "cat-file", "-p", "HEAD:data/tickets/0000/SUP-123.yaml"])
    R["log_raw"] = b.median(["git", "log", "--raw", "HEAD"], n=args.cold_repeat)
    fmt = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%at %ai%x1f%ct %ci%x1f%s%x1f%(trailers:only,unfold)%x1f"
    R["log_sc"] = b.median(
        ["git", "log", "--raw", "--no-renames", "-z", "--no-abbrev", fmt, "HEAD", "--"],
        n=args.cold_repeat,
    )

    say("list cold/warm ...")
    R["list_cold"] = b.median(b.sc("list"), n=args.cold_repeat, prepare=b.drop_cache)
    R["list_warm"] = b.median(b.sc("list"))
    say("show ...")
    R["show_first"] = b.once(b.sc("show", "SUP-123"))
    R["show_warm"] = b.median(b.sc("show", "SUP-123"))

    say(f"sla check --month {month} cold/warm ...")
    R["sla_cold"] = b.median(
        b.sc("sla", "check", "--month", month),
        n=args.cold_repeat,
        prepare=b.drop_cache,
        check=False,
    )
    R["sla_warm"] = b.median(b.sc("sla", "check", "--month", month), check=False)

    say("new / git commit ...")
    R["new"] = b.median(
        b.sc(
            "new",
            "Benchmark ticket: printer on fire",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "normal",
        )
    )
    path = "data/tickets/0000/SUP-1.yaml"
    counter = iter(range(10**6))

    def touch() -> None:
        with open(repo / path, "a", encoding="utf-8") as fh:
            fh.write(f"# benchmark edit {next(counter)}\n")

    R["git_commit"] = b.median(
        ["git", "commit", "-q", "-m", "Benchmark edit", "--", path], prepare=touch
    )

    subprocess.run(["git", "reset", "--hard", "-q", orig_head], cwd=repo, check=True)
    if tmp and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
        info["repo"] += " (deleted)"
    return {"info": info, "seconds": R}


ROWS = [  # label, supportctl key, raw label, raw key
    ("list (cold: no cache)", "list_cold", "git ls-tree -r HEAD data/tickets", "ls_tree"),
    ("list (warm)", "list_warm", "git ls-tree -r HEAD data/tickets", "ls_tree"),
    ("show SUP-123 (first run)", "show_first", "git cat-file -p HEAD:<ticket path>", "cat_file"),
    ("show SUP-123 (warm)", "show_warm", "git cat-file -p HEAD:<ticket path>", "cat_file"),
    ("new … (median of 5)", "new", "git commit -- <one changed file>", "git_commit"),
    ("sla check --month M (cold)", "sla_cold", "git log --raw", "log_raw"),
    ("sla check --month M (warm)", "sla_warm", "git log --raw", "log_raw"),
]


def table(res: dict[str, Any]) -> str:
    info, R = res["info"], res["seconds"]
    out = [
        (
            f"repo: {info['tickets']} tickets, {info['commits']} commits, pack {info['pack_mib']} MiB"
            f" ({info['machine']}; {info['git']}); month {info['month']}"
        )
    ]
    g = info.get("generated")
    if g:
        out.append(
            f"generated in {g['total_s']} s (plan {g['plan_s']} s, fast-import {g['fast_import_s']} s,"
            f" checkout {g['checkout_s']} s); {g['hand_edits']} hand edits, {g['backdated']} back-dated"
        )
    rows = [("supportctl command", "wall", "cpu", "raw git equivalent", "wall", "cpu", "ratio")]

    def row(label: str, k: str, raw_label: str, rk: str) -> tuple[str, ...]:
        (w, c), (rw, rc) = R[k], R[rk]
        return (label, fmt_s(w), fmt_s(c), raw_label, fmt_s(rw), fmt_s(rc), f"{w / rw:.1f}x")

    for label, k, raw_label, rk in ROWS:
        rows.append(row(label.replace("--month M", f"--month {info['month']}"), k, raw_label, rk))
    w, c = R["log_sc"]
    rows.append(("", "", "", "git log as supportctl runs it", fmt_s(w), fmt_s(c), ""))
    rows.append(row("supportctl --version (start-up)", "sc_version", "python -c pass", "python"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        out.append(
            "  ".join(
                c.ljust(w) if j in (0, 3) else c.rjust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=False))
            ).rstrip()
        )
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    lw, sc, lr, sw = R["list_warm"][0], R["sla_cold"][0], R["log_raw"][0], R["sla_warm"][0]
    ok = [
        ("list warm < 1 s", lw < 1.0, fmt_s(lw)),
        ("sla check cold <= 2x git log --raw", sc <= 2 * lr, f"{sc / lr:.2f}x"),
        ("sla check warm < cold / 4", sw < sc / 4, f"{sw / sc:.2f} of cold"),
    ]
    out.append("")
    out += [
        f"target {name:<36} {'met' if good else 'MISSED':<7} ({why}, wall)"
        for name, good, why in ok
    ]
    out.append(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=20_000)
    ap.add_argument("--commits", type=int, default=200_000)
    ap.add_argument(
        "--repo", type=Path, help="use this repo; generated here when it is not a support repo yet"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated temporary repo")
    ap.add_argument(
        "--repack", action="store_true", help="repack once after generating (see generate.py)"
    )
    ap.add_argument(
        "--month", help="month for `sla check` (default: 5 months before the last commit)"
    )
    ap.add_argument("--repeat", type=int, default=5, help="runs per warm figure (median)")
    ap.add_argument(
        "--cold-repeat", type=int, default=1, help="runs per cold figure and git log (median)"
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    res = run(args)
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
