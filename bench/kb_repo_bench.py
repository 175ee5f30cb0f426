"""End-to-end timing of the KB commands on a support repo with 5,000 articles.

Run from the repository root:  .venv/bin/python bench/kb_repo_bench.py [--articles N] [--keep DIR]

Builds a throwaway support repo (`supportctl init`, then 5,000 synthetic articles
`data/kb/<slug>.md` with front matter, committed in one git commit; the text comes
from bench/kb_search_bench.py with its fixed seed) and times the real CLI as a
subprocess, Python start-up included:

* kb search, cold: `.git/supportctl/` (blob cache and index snapshot) deleted first;
* kb search, warm: median of 5 runs;
* kb search after one article changed (the snapshot is stale, the blob cache is not);
* kb list --json, and `new` (files a ticket, then shows KB suggestions);
* --help, as the start-up floor.

Commands run with their bytecode cached (in a private folder), as an installed
supportctl does, even where PYTHONDONTWRITEBYTECODE is set.

A digest of each command's output is printed too, so a change that should not
alter results can be checked by comparing two runs. Nothing is asserted. To time
another version, export the tree holding its `supportctl` package as PYTHONPATH:
the commands run with this environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The script is run by path: make the sibling generator importable.
sys.path.insert(0, str(BENCH))

from kb_search_bench import EN_WORDS, SEED, article  # noqa: E402

SUPPORTCTL = ROOT / ".venv" / "bin" / "supportctl"
WARM_RUNS = 5
QUERY = "принтер не печатает чек"
TYPO_QUERY = "пирнтер печатает"
NEW_WORD = "квазибенчмарк"
TITLE = "Касса не печатает чек после обновления драйвера"
DESCRIPTION = "Принтер чеков молчит, в очереди печати ошибка. Printer driver update?"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        NO_COLOR="1",
    )
    env.pop("SUPPORTCTL_REPO", None)
    # An installed supportctl runs from cached bytecode; PYTHONDONTWRITEBYTECODE (set
    # in some sandboxes) would make every run compile every module again. The cache
    # goes to a folder of our own, not into the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


PYCACHE = Path(tempfile.mkdtemp(prefix="kb-repo-bench-pycache-"))
ENV = _env()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(repo: Path, *args: str) -> tuple[float, float, bytes]:
    """Wall time, CPU time (user + system, git children included) and stdout of one
    supportctl command run in `repo`. CPU time is the steadier figure on a busy box."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        [str(SUPPORTCTL), *args], cwd=repo, env=ENV, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(f"supportctl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed, cpu, proc.stdout


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def article_file(n: int, rng: random.Random) -> tuple[str, str]:
    doc = article(rng, n)
    tickets = [f"SUP-{rng.randint(1, 9999)}" for _ in range(rng.randint(0, 2))]
    front = [
        "---",
        # JSON strings are valid YAML double-quoted scalars.
        f"title: {json.dumps(doc.title, ensure_ascii=False)}",
        f"tags: [{', '.join(doc.tags)}]",
        f"products: [{rng.choice(EN_WORDS)}]" if rng.random() < 0.3 else "products: []",
        "customers: []",
        f"tickets: [{', '.join(tickets)}]",
        f"updated: 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "---",
    ]
    return doc.key, "\n".join(front) + "\n" + doc.body + "\n"


def build_repo(repo: Path, n_articles: int) -> float:
    start = time.perf_counter()
    run(repo, "init", ".")
    rng = random.Random(SEED)
    kb = repo / "data" / "kb"
    for n in range(n_articles):
        slug, text = article_file(n, rng)
        (kb / f"{slug}.md").write_text(text, encoding="utf-8")
    git(repo, "add", "data/kb")
    git(repo, "commit", "-qm", f"KB: {n_articles} synthetic articles")
    return time.perf_counter() - start


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, wall: float, cpu: float, out: bytes | None = None) -> None:
        self.rows.append((name, f"{wall:.3f}", f"{cpu:.3f}", digest(out) if out else ""))

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"{'command':<{width}}  {'wall s':>7}  {'cpu s':>6}  output")
        for name, wall, cpu, dig in self.rows:
            print(f"{name:<{width}}  {wall:>7}  {cpu:>6}  {dig}")


def median_run(repo: Path, *args: str) -> tuple[float, float, bytes]:
    """Median wall and CPU time of WARM_RUNS identical runs, and their one output."""
    walls, cpus, outs = [], [], set()
    for _ in range(WARM_RUNS):
        wall, cpu, out = run(repo, *args)
        walls.append(wall)
        cpus.append(cpu)
        outs.add(out)
    if len(outs) != 1:
        sys.exit(f"supportctl {' '.join(args)} gave different output on identical runs")
    return statistics.median(walls), statistics.median(cpus), outs.pop()


def new_ticket(repo: Path) -> tuple[float, float, bytes]:
    wall, cpu, out = run(
        repo, "new", TITLE, "-c", "acme", "-t", "incident", "-p", "normal",
        "-d", DESCRIPTION, "--json",
    )  # fmt: skip
    suggestions = json.loads(out)["suggestions"]
    return wall, cpu, json.dumps(suggestions, ensure_ascii=False).encode()


def measure(repo: Path, table: Table) -> None:
    search = ("kb", "search", QUERY, "--json")

    shutil.rmtree(repo / ".git" / "supportctl", ignore_errors=True)
    wall, cpu, cold = run(repo, *search)
    table.add("kb search, cold (no .git/supportctl)", wall, cpu, cold)

    wall, cpu, out = median_run(repo, *search)
    if out != cold:
        sys.exit("warm kb search output differs from the cold one")
    table.add(f"kb search, warm (median of {WARM_RUNS})", wall, cpu, out)
    wall, cpu, out = median_run(repo, "kb", "search", TYPO_QUERY, "--json")
    table.add("kb search with a typo, warm", wall, cpu, out)
    wall, cpu, out = median_run(repo, "kb", "list", "--json")
    table.add("kb list --json, warm", wall, cpu, out)

    runs = [new_ticket(repo) for _ in range(WARM_RUNS)]
    if len({out for _, _, out in runs}) != 1:
        sys.exit("`new` suggested different articles for identical tickets")
    wall = statistics.median(w for w, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    table.add(f"new + KB suggestions (median of {WARM_RUNS})", wall, cpu, runs[0][2])

    # One article retitled: data/kb has a new tree id, the blob cache still knows the
    # other 4,999 files. A word no other article has shows that the change is seen.
    first = min((repo / "data" / "kb").glob("*.md"))
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('title: "', f'title: "{NEW_WORD} ', 1), encoding="utf-8")
    git(repo, "commit", "-qam", "KB: edit one article")
    wall, cpu, changed = run(repo, *search)
    table.add("kb search, after 1 article changed", wall, cpu, changed)
    wall, cpu, out = median_run(repo, *search)
    if out != changed:
        sys.exit("kb search output changed between identical runs")
    table.add("kb search, warm again", wall, cpu, out)
    _, _, found = run(repo, "kb", "search", NEW_WORD, "--json")
    if [hit["slug"] for hit in json.loads(found)] != [first.stem]:
        sys.exit("kb search did not see the edited article")

    wall, cpu, _ = median_run(repo, "--help")
    table.add("--help (start-up floor)", wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="build the repo here and leave it")
    args = parser.parse_args()
    if not SUPPORTCTL.exists():
        sys.exit(f"{SUPPORTCTL} not found: create the venv first (make install)")

    tmp = None
    if args.keep:
        repo = args.keep.resolve()
        repo.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="kb-repo-bench-")
        repo = Path(tmp)
    try:
        build = build_repo(repo, args.articles)
        table = Table()
        measure(repo, table)
        print(f"articles: {args.articles}  (repo built in {build:.1f} s: {repo})")
        print(f"warm figures: median of {WARM_RUNS} runs; cpu = user + system of the process")
        table.print()
    finally:
        shutil.rmtree(PYCACHE, ignore_errors=True)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
