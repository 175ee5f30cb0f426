#!/usr/bin/env python3
"""Time supportctl on generated desks, each command beside its floor, in paired runs.

    .venv/bin/python bench/run.py --sizes 2000,5000 --json /tmp/bench.json
    .venv/bin/python bench/run.py --sizes 20000 --against /tmp/before --work /tmp/bench-work

For every size a desk of N tickets and 10 x N commits is generated once with
bench/generate.py and kept under --work (`desk-N`), then copied once per supportctl
checkout measured, so that caches written by one version never meet the other.

Each row of the table is one supportctl command and its baseline, the cheapest process
that does the same work underneath (an empty interpreter, or an interpreter that runs the
one git command that reads or writes the same data). A row is measured in --runs rounds;
every round runs the baseline and each checkout once, in alternating order, and the
ratio of each round is taken before the median, so that load which comes and goes on the
machine touches both sides of a ratio alike. CPU is user + system time of the process
and every process it waited for (git included), wall is elapsed time, and peak RSS is
`ru_maxrss` of `os.wait4`: the largest resident set of the process or of any child it
waited for. All of it comes from the kernel's accounting of that one child, not from
sampling.

The supportctl under test is the venv's console script with PYTHONPATH set to a
checkout: --code (default: the checkout this script is in) and, with --against, an older
one. Both checkouts are byte-compiled first and PYTHONDONTWRITEBYTECODE is dropped, as for
an installed package. Output: a Markdown table on stdout, all samples with --json.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHOW_ID = "SUP-123"
NEW_ARGS = (
    "new",
    "Benchmark ticket: printer on fire",
    "--customer",
    "acme",
    "--type",
    "incident",
    "--priority",
    "normal",
)


def supportctl_exe() -> str:
    venv = Path(sys.executable).parent / "supportctl"
    found = str(venv) if venv.exists() else shutil.which("supportctl")
    if not found:
        raise SystemExit("supportctl console script not found (pip install -e . in the venv)")
    return found


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout.decode()


# Imported by every Python process of a run (its folder leads PYTHONPATH): at exit it
# writes the process's own peak RSS, which wait4 cannot tell apart from a git child's.
SITECUSTOMIZE = """\
import atexit, os, resource

def _peak(path=os.environ.get("BENCH_RSS_FILE")):
    if path:
        with open(path, "w") as fh:
            fh.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))

if os.environ.get("BENCH_RSS_FILE"):
    atexit.register(_peak)
"""


@dataclass
class Sample:
    cpu: float
    wall: float
    rss_mib: float  # the process and every child it waited for (git included)
    py_rss_mib: float | None  # the Python process alone; None when there is none
    rc: int


def measure(cmd: list[str], cwd: Path, env: dict[str, str], out: Path) -> Sample:
    """One run of `cmd`, its stdout and stderr going to files (no reader thread in the
    way); os.wait4 gives the kernel's rusage of this child and the children it waited for."""
    err_path = out.with_suffix(".err")
    rss_path = out.with_suffix(".rss")
    rss_path.unlink(missing_ok=True)
    env = {**env, "BENCH_RSS_FILE": str(rss_path)}
    with out.open("wb") as fh, err_path.open("wb") as eh:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=eh)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    err = err_path.read_text(errors="replace")
    if "Traceback" in err:
        raise SystemExit(f"{' '.join(cmd)} in {cwd} crashed:\n{err[-3000:]}")
    own = int(rss_path.read_text()) / 1024 if rss_path.exists() else None
    return Sample(ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, own, p.returncode)


@dataclass
class Row:
    command: str
    baseline: str
    build: Any  # (desk, variant or None) -> argv
    prepare: Any = None  # (desk) -> None, before every run of either side
    warm: bool = False  # one unmeasured run first, to fill the caches
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def rows_for(
    sc: str, month: str, show_path: str, edit_path: str, git_issue: Path | None = None
) -> list[Row]:
    def drop_cache(desk: Path) -> None:
        shutil.rmtree(desk / ".git" / "supportctl", ignore_errors=True)

    run_git = "import subprocess,sys; subprocess.run(sys.argv[1:], check=True)"
    commit_one = (
        "import subprocess,sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as fh: fh.write('# benchmark edit\\n')\n"
        "subprocess.run(['git', 'commit', '-q', '-m', 'Benchmark edit', '--', sys.argv[1]],"
        " check=True)"
    )
    log_raw = ["git", "log", "--raw", "HEAD"]

    def either(sup_args: tuple[str, ...], base_argv: list[str]) -> Any:
        return lambda desk, variant: [sc, *sup_args] if variant else base_argv

    beside_git_issue = []
    if git_issue is not None:
        # git-issue's `new` in the `.issues` repository `git_issue_repo` put in the copy
        issue = [str(git_issue), "new", "-s", NEW_ARGS[1]]
        beside_git_issue.append(
            Row("new (beside git-issue)", "git-issue new -s", either(NEW_ARGS, issue))
        )
    return [
        Row("--version", "python -c pass", either(("--version",), py("pass"))),
        Row(
            f"show {SHOW_ID} warm",
            "python + git cat-file -p",
            either(("show", SHOW_ID), [*py(run_git), "git", "cat-file", "-p", f"HEAD:{show_path}"]),
            warm=True,
        ),
        Row(
            "list warm",
            "python + git ls-tree -r",
            either(("list",), [*py(run_git), "git", "ls-tree", "-r", "HEAD", "data/tickets"]),
            warm=True,
        ),
        Row(
            "new",
            "python + git commit of one file",
            either(NEW_ARGS, [*py(commit_one), edit_path]),
        ),
        *beside_git_issue,
        Row(
            f"sla check --month {month} cold",
            "git log --raw",
            either(("sla", "check", "--month", month), log_raw),
            prepare=drop_cache,
        ),
        Row(
            f"report --month {month} warm",
            "full git log --raw",
            either(("report", "--month", month), log_raw),
            warm=True,
        ),
        Row(
            f"report --month {month} cold",
            "full git log --raw",
            either(("report", "--month", month), log_raw),
            prepare=drop_cache,
        ),
    ]


def git_issue_repo(desk: Path, issues: int) -> None:
    """git-issue's repository (`.issues` in the desk's copy, found from there as git-issue
    finds it) holding `issues` issues of a description and a tag each, in one commit made
    with `git fast-import`: the cost of its `new` depends on the size of its index."""
    root = desk / ".issues"
    root.mkdir()
    git(root, "init", "-q")
    files = []
    for i in range(issues):
        sha = hashlib.sha1(str(i).encode()).hexdigest()
        text = f"Issue {i}: the printer is on fire\n".encode()
        path = f"issues/{sha[:2]}/{sha[2:]}"
        files.append(
            b"M 100644 inline %s/description\ndata %d\n%s" % (path.encode(), len(text), text)
        )
        files.append(b"M 100644 inline %s/tags\ndata 5\nopen\n" % path.encode())
    stream = b"commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\n"
    stream += b"data 12\ngi: Initial\n" + b"\n".join(files) + b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=stream, check=True)
    git(root, "checkout", "-q", "-f", "main")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@example.org")


def default_month(repo: Path) -> str:
    """A month well inside the data: five months before the last commit."""
    y, m = map(
        int, git(repo, "log", "-1", "--format=%ad", "--date=format:%Y-%m").strip().split("-")
    )
    m -= 5
    while m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def desk_for(work: Path, tickets: int, say: Any) -> tuple[Path, dict[str, Any] | None]:
    desk = work / f"desk-{tickets}"
    if (desk / "supportctl.yaml").is_file():
        return desk, None
    sys.path.insert(0, str(HERE))
    import generate

    if desk.exists():
        shutil.rmtree(desk)
    say(f"generating {tickets} tickets / {tickets * 10} commits in {desk} ...")
    return desk, generate.generate(tickets, tickets * 10, desk, verbose=False)


def env_for(probe: Path, code: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPPORTCTL_", "GIT_"))}
    # an installed package has its bytecode compiled (pip does it); measuring a checkout that
    # recompiles every module on every run would charge each sample for the compiler
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"LC_ALL": "C.UTF-8", "COLUMNS": "200"})
    env["PYTHONPATH"] = os.pathsep.join([str(probe), *([str(code)] if code else [])])
    return env


def bench_size(
    tickets: int, variants: dict[str, Path], args: argparse.Namespace, say: Any
) -> dict[str, Any]:
    desk, generated = desk_for(args.work, tickets, say)
    month = args.month or default_month(desk)
    head = git(desk, "rev-parse", "HEAD").strip()
    paths = git(desk, "ls-tree", "-r", "--name-only", "HEAD", "data/tickets").split()
    show_path = next(p for p in paths if p.endswith(f"/{SHOW_ID}.yaml"))
    edit_path = next(p for p in paths if p.endswith("/SUP-1.yaml"))
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{tickets}-", dir=args.work))
    try:
        # one copy per checkout (caches of one version never meet the other) + one for git
        copies = {}
        for name in ["baseline", *variants]:
            copies[name] = tmp / name
            subprocess.run(["cp", "-a", str(desk), str(copies[name])], check=True)
        probe = tmp / "probe"
        probe.mkdir()
        (probe / "sitecustomize.py").write_text(SITECUSTOMIZE)
        envs = {"baseline": env_for(probe, None)}
        envs |= {n: env_for(probe, p) for n, p in variants.items()}
        out = tmp / "stdout"
        if args.git_issue:
            git_issue_repo(copies["baseline"], tickets)
        rows = rows_for(supportctl_exe(), month, show_path, edit_path, args.git_issue)
        if args.only:
            rows = [r for r in rows if any(w in r.command for w in args.only.split(","))]
        for row in rows:
            say(f"  {tickets}: {row.command} ...")
            sides = ["baseline", *variants]
            if row.warm:
                for name in variants:
                    measure(row.build(copies[name], name), copies[name], envs[name], out)
            row.samples = {name: [] for name in sides}
            for i in range(args.runs):
                for name in sides if i % 2 == 0 else reversed(sides):
                    d = copies[name]
                    if row.prepare:
                        row.prepare(d)
                    cmd = row.build(d, None if name == "baseline" else name)
                    row.samples[name].append(measure(cmd, d, envs[name], out))
        return {
            "tickets": tickets,
            "commits": int(git(desk, "rev-list", "--count", head).strip()),
            "month": month,
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


def summary(samples: dict[str, list[dict[str, float]]], name: str) -> dict[str, float]:
    """Medians of one side, and the medians of its per-round ratios to the baseline."""
    mine, base = samples[name], samples["baseline"]
    return {
        "cpu": statistics.median(s["cpu"] for s in mine),
        "wall": statistics.median(s["wall"] for s in mine),
        "rss_mib": max(s["rss_mib"] for s in mine),
        "py_rss_mib": max((s["py_rss_mib"] or 0.0) for s in mine),
        "cpu_ratio": statistics.median(
            a["cpu"] / b["cpu"] for a, b in zip(mine, base, strict=True)
        ),
        "wall_ratio": statistics.median(
            a["wall"] / b["wall"] for a, b in zip(mine, base, strict=True)
        ),
    }


def rss(samples: list[dict[str, Any]]) -> str:
    tree = max(s["rss_mib"] for s in samples)
    own = [s["py_rss_mib"] for s in samples if s["py_rss_mib"] is not None]
    if not own:
        return f"{tree:.0f} MiB"
    if round(max(own)) >= round(tree):
        return f"{max(own):.0f} MiB"
    return f"{max(own):.0f} / {tree:.0f} MiB"


def fmt_s(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def table(result: dict[str, Any]) -> str:
    variants = result["variants"]
    head = ["size", "command", "code", "CPU", "wall", "peak RSS", "baseline", "CPU", "wall"]
    head += ["peak RSS", "CPU ×", "wall ×"]
    # peak RSS: "python / with its children" where they differ (git log's own is the larger)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for size in result["sizes"]:
        label = f"{size['tickets'] // 1000}k" if size["tickets"] >= 1000 else str(size["tickets"])
        for row in size["rows"]:
            base = row["samples"]["baseline"]
            b_cpu = statistics.median(s["cpu"] for s in base)
            b_wall = statistics.median(s["wall"] for s in base)
            b_rss = rss(base)
            for name in variants:
                s = summary(row["samples"], name)
                codes = sorted({x["rc"] for x in row["samples"][name]} - {0})
                cells = [
                    label,
                    f"`{row['command']}`" + "".join(f" (exit {c})" for c in codes),
                    name,
                    fmt_s(s["cpu"]),
                    fmt_s(s["wall"]),
                    rss(row["samples"][name]),
                    row["baseline"],
                    fmt_s(b_cpu),
                    fmt_s(b_wall),
                    b_rss,
                    f"{s['cpu_ratio']:.2f}×",
                    f"{s['wall_ratio']:.2f}×",
                ]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000,5000,20000", help="tickets per desk, comma-separated")
    ap.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "supportctl-bench",
        help="folder that keeps the generated desks (desk-N) between runs",
    )
    ap.add_argument("--code", type=Path, default=ROOT, help="supportctl checkout to measure")
    ap.add_argument("--against", type=Path, help="an older checkout, measured in the same rounds")
    ap.add_argument("--runs", type=int, default=3, help="paired rounds per row (median)")
    ap.add_argument(
        "--month", help="month for sla check and report (default: 5 months before the end)"
    )
    ap.add_argument("--only", help="only the rows whose command contains one of these words")
    ap.add_argument(
        "--git-issue",
        type=Path,
        help="git-issue's script (git-issue.sh of dspinellis/git-issue): adds a row of `new` "
        "beside its `new -s`, in a repository of as many issues as the desk has tickets",
    )
    ap.add_argument("--json", type=Path, help="also write every sample to this JSON file")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    args.work.mkdir(parents=True, exist_ok=True)
    args.work = args.work.resolve()
    if args.git_issue:  # run from inside the desk's copy
        args.git_issue = args.git_issue.resolve()
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    variants = {"new": args.code.resolve()}
    if args.against:
        variants["old"] = args.against.resolve()
    for code in variants.values():
        compileall.compile_dir(str(code / "supportctl"), quiet=1)
    result: dict[str, Any] = {
        "variants": {n: str(p) for n, p in variants.items()},
        "commits": {
            n: subprocess.run(
                ["git", "-C", str(p), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                check=False,
                text=True,
            ).stdout.strip()
            for n, p in variants.items()
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
        result["sizes"].append(bench_size(tickets, variants, args, say))
        if args.json:  # after every size: a long run that dies late keeps what it measured
            args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    result["load_average"] = os.getloadavg()
    print(
        f"{result['machine']}, Python {result['python']}, {result['git']}; "
        + ", ".join(f"{n} = {p} ({result['commits'][n]})" for n, p in result["variants"].items())
        + f"; medians of {args.runs} paired rounds; load average at the end "
        + " ".join(f"{x:.1f}" for x in result["load_average"])
    )
    print()
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
