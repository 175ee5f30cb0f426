#!/usr/bin/env python3
"""Prove that bench/generate.py writes exactly what supportctl writes.

    .venv/bin/python bench/verify_generate.py [--tickets 40] [--commits 400]

Builds a small repo with the generator, then replays the same plan in a second repo
through `supportctl.ops.tickets` (the code behind the CLI), with the same authors, author
dates (`at=`) and committer dates (GIT_COMMITTER_DATE). Hand edits are replayed by
writing the file and running plain `git commit`. Identical trees, messages, authors and
dates give identical commit ids, so one comparison of the two HEADs checks every
ticket file, worklog file, subject and trailer of the history. On a mismatch the first
differing commit of each side is shown.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import generate as gen

from supportctl.domain.articles import render_article
from supportctl.ops import kb
from supportctl.ops import tickets as actions
from supportctl.ops.init import init_repo
from supportctl.storage.desk import Desk
from supportctl.storage.git import git_time


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, input=stdin, capture_output=True
    ).stdout.decode()


def _env(c: gen.Commit) -> None:
    name, email = gen.PEOPLE[c.author][0], gen.PEOPLE[c.author][1]
    os.environ.update(
        {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": git_time(c.at),
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": git_time(c.committed),
        }
    )


def replay(n: int, m: int, seed: int, out: Path) -> None:
    out.mkdir(parents=True)
    _git(out, "init", "-q", "-b", gen.BRANCH)
    plans, ops, start = gen.make_plan(n, m, seed)
    repo: Desk | None = None
    for c in gen.render_commits(plans, ops, start):
        _env(c)
        op = c.op
        if op is None and repo is None:
            init_repo(out)
            repo = Desk(out)
            continue
        if op is None:  # the customers added to supportctl.yaml by hand
            _hand_commit(out, c)
            repo = Desk(out)  # the config is read once per Desk
            continue
        assert repo is not None
        tid, kind, at = c.ticket_id, op.kind, c.at
        if kind == "new":
            p = plans[op.ticket]
            r = actions.new_ticket(
                repo,
                title=p.title,
                customer=p.customer,
                type=p.type,
                priority=p.priority,
                cls=p.cls,
                channel=p.channel,
                reporter=p.reporter,
                description=p.description,
                tags=p.tags,
                assignee=p.assignee,
                at=at,
            )
            assert r.ticket_id == tid, (r.ticket_id, tid)
        elif kind in ("reply", "comment", "note"):
            actions.comment(repo, tid, op.param, internal=kind == "note", at=at)
        elif kind in ("start", "resume"):
            actions.start(repo, tid, at=at)
        elif kind == "wait":
            actions.wait(repo, tid, reason=op.param, at=at)
        elif kind == "escalate":
            actions.escalate(repo, tid, reason=op.param, at=at)
        elif kind == "resolve":
            actions.resolve(repo, tid, resolution=op.param, at=at)
        elif kind == "close":
            actions.close(repo, tid, at=at)
        elif kind == "reopen":
            actions.reopen(repo, tid, reason=op.param, at=at)
        elif kind == "log":
            minutes, note, _prev = op.param
            (work_day,) = [v for k, v in _trailers(c.message) if k == "Worked-On"]
            from datetime import date

            actions.log_time(
                repo, tid, minutes=minutes, note=note, on=date.fromisoformat(work_day), at=at
            )
        elif kind == "assign":
            actions.assign(repo, tid, op.param, at=at)
        elif kind == "tag":
            added, removed = op.param
            actions.tag(repo, tid, add=added, remove=removed, at=at)
        elif kind == "link":
            how, _j = op.param
            (other,) = [v.split()[1] for k, v in _trailers(c.message) if k == "Link"]
            actions.link(repo, tid, kind=how, other=other, at=at)
        elif kind == "edit":
            actions.edit(repo, tid, dict(op.param), at=at)
        elif kind == "kb_new":
            a = op.param
            text = render_article(
                title=a.title,
                tags=a.tags,
                customers=a.customers,
                body=gen.KB_BODIES[a.lang].format(title=a.title),
            )
            kb.new_article(repo, text, at=at)
        elif kind == "kb_link":
            (slug,) = [v for k, v in _trailers(c.message) if k == "Kb"]
            kb.link_article(repo, tid, slug, at=at)
        elif kind.startswith("hand_"):
            _hand_commit(out, c)
        else:
            raise AssertionError(kind)


def _hand_commit(out: Path, c: gen.Commit) -> None:
    for path, content in c.files.items():
        (out / path).write_bytes(content)
    _git(out, "add", "--", *c.files)
    _git(out, "commit", "-q", "--cleanup=verbatim", "-F", "-", stdin=c.message.encode())


def _trailers(msg: str) -> list[tuple[str, str]]:
    return [
        tuple(x.split(": ", 1)) for x in msg.strip().split("\n\n")[-1].splitlines() if ": " in x
    ]  # type: ignore[misc]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=40)
    ap.add_argument("--commits", type=int, default=400)
    ap.add_argument("--seed", type=int, default=gen.SEED)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="supportctl-verify-"))
    a, b = tmp / "generated", tmp / "replayed"
    gen.generate(args.tickets, args.commits, a, seed=args.seed)
    replay(args.tickets, args.commits, args.seed, b)
    ha, hb = _git(a, "rev-parse", "HEAD").strip(), _git(b, "rev-parse", "HEAD").strip()
    count = _git(a, "rev-list", "--count", "HEAD").strip()
    if ha == hb:
        print(
            f"OK: {count} commits, identical history (HEAD {ha[:12]}) in {tmp}"
            if args.keep
            else f"OK: {count} commits, identical history (HEAD {ha[:12]})"
        )
        if not args.keep:
            subprocess.run(["rm", "-rf", str(tmp)], check=True)
        return 0
    la = _git(a, "rev-list", "--reverse", "HEAD").split()
    lb = _git(b, "rev-list", "--reverse", "HEAD").split()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            print(f"MISMATCH at commit #{i + 1} (repos kept in {tmp})")
            fmt = "--format=raw"
            print("--- generated\n" + _git(a, "show", fmt, "--stat", x))
            print("--- replayed\n" + _git(b, "show", fmt, "--stat", y))
            for path in _git(b, "show", "--format=", "--name-only", y).split():
                ga = subprocess.run(
                    ["git", "show", f"{x}:{path}"], cwd=a, capture_output=True, check=False
                ).stdout
                gb = subprocess.run(
                    ["git", "show", f"{y}:{path}"], cwd=b, capture_output=True, check=False
                ).stdout
                if ga != gb:
                    import difflib

                    print(f"--- {path}")
                    sys.stdout.writelines(
                        difflib.unified_diff(
                            ga.decode().splitlines(True),
                            gb.decode().splitlines(True),
                            "generated",
                            "replayed",
                        )
                    )
            return 1
    print(f"MISMATCH: histories differ in length ({len(la)} vs {len(lb)}), repos kept in {tmp}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
