#!/usr/bin/env python3
"""Stress `supportctl sync`: N agents in N clones of one bare remote, acting at random.

    .venv/bin/python bench/stress.py --agents 3 --seconds 60

Every agent is a thread that runs the real `supportctl` command line in its own clone
(one OS process per action), doing random actions (new, comment, log, start, wait,
escalate, resolve, close, reopen, tag) on the desk's tickets and syncing now and then,
for a bounded time. Each action that exits 0 is recorded with its commit, its ticket and
a unique marker text (in the comment, note, reason, resolution or tag). At the end all
agents sync until a whole round moves nothing, and the script checks:

* every recorded action is in the final history: its commit, found by author, author
  date, commit date and subject (sync keeps all four), now carrying the ticket ID the
  agent's `sync --json` said it was renumbered to;
* every marker is where it belongs in the final files: comments (and the notes that
  wait/escalate/reopen add) in the ticket, worklog notes in a worklog entry of the
  ticket, tags on the ticket;
* `supportctl validate` passes in every clone, `git status` is clean, and all clones
  have the same HEAD as the remote.

It prints the figures (actions, syncs, attempts and retries, renumberings, decisions,
lost) and exits 1 when anything was lost or a check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG = """\
id_prefix: SUP
lines: [L1, L2, L3, L4]
timezone: Europe/Moscow
calendars:
  office:
    timezone: Europe/Moscow
    hours:
      mon-fri: "09:00-13:00, 14:00-18:00"
plans:
  standard:
    calendar: office
    rules:
      - when: {priority: critical}
        calendar: 24x7
        first_response: 30m
        resolution: 4h
      - first_response: 2h
        start_work: 4h
        resolution: 16h
customers:
  acme: {name: ACME LLC, plan: standard}
  globex: {name: Globex, plan: standard}
agents:
"""

# weights of what an agent does next
ACTIONS = {
    "new": 8,
    "comment": 20,
    "log": 10,
    "start": 8,
    "wait": 5,
    "escalate": 6,
    "resolve": 8,
    "close": 5,
    "reopen": 4,
    "tag": 8,
    "edit": 5,
    "kblink": 4,
    "sync": 14,
}
ARTICLES = ["printer-jams", "vpn-drops"]  # made in the seed desk; agents link tickets to them
WANTS = {  # statuses an action is legal from (so most attempts succeed)
    "start": {"new", "waiting"},
    "wait": {"new", "in_progress"},
    "escalate": {"new", "in_progress", "waiting"},
    "resolve": {"new", "in_progress", "waiting"},
    "close": {"resolved"},
    "reopen": {"resolved", "closed"},
}
FLAVOUR = [
    "Проверили логи",
    "checked: the #queue & *cache*",
    "ждём ответа — 'quote' \"dq\"",
    "- looks: fine",
    "Ёлки: ok",
    "50% done @ 10:00",
    "| pipe > fold",
    "---",
]
ID_RE = re.compile(r"\b(SUP-\d+)\b")


def supportctl_cmd() -> list[str]:
    script = Path(sys.executable).parent / "supportctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "supportctl"]


def git(root: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, env=env, input=input, check=True, capture_output=True, text=True
    ).stdout


@dataclass
class Recorded:
    agent: int
    action: str
    ticket: str  # the ID the agent used at the time
    epoch: int  # how many syncs the agent had started before
    commit: str
    marker: str | None


@dataclass
class Agent:
    index: int
    root: Path
    env: dict[str, str]
    rng: random.Random
    cmd: list[str]
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    recorded: list[Recorded] = field(default_factory=list)
    renumbered: list[tuple[int, str, str]] = field(default_factory=list)  # (epoch, from, to)
    epoch: int = 0
    counter: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    syncs: int = 0
    sync_failures: list[str] = field(default_factory=list)
    attempts: int = 0
    decisions: list[str] = field(default_factory=list)
    received: int = 0
    sent: int = 0

    @property
    def handle(self) -> str:
        return f"agent{self.index}"

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.cmd, *args],
            check=False,
            cwd=self.root,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def marker(self) -> str:
        self.counter += 1
        return f"mk{self.index}x{self.counter}"

    def refresh(self) -> None:
        r = self.run("list", "--json")
        if r.returncode == 0:
            self.tickets = {t["id"]: t for t in json.loads(r.stdout)}

    def sync(self) -> dict[str, Any] | None:
        self.epoch += 1
        r = self.run("sync", "--json")
        self.exits[f"sync:{r.returncode}"] += 1
        if r.returncode != 0:
            self.sync_failures.append(r.stderr.strip())
            # a failed attempt may still have renumbered local tickets; sync says so in the error
            tail = r.stderr.partition("renumbered here meanwhile: ")[2]
            for old, new in re.findall(r"(SUP-\d+) → (SUP-\d+)", tail):
                self.renumbered.append((self.epoch, old, new))
            return None
        data = json.loads(r.stdout)
        self.syncs += 1
        self.attempts += data["attempts"]
        self.decisions += data["decisions"]
        self.received += len(data["received"])
        self.sent += len(data["sent"])
        for item in data["renumbered"]:
            self.renumbered.append((self.epoch, item["from"], item["to"]))
        self.refresh()
        return dict(data)

    def pick(self, statuses: set[str] | None = None) -> str | None:
        ids = [
            t for t, v in self.tickets.items() if statuses is None or v.get("status") in statuses
        ]
        if ids and self.rng.random() < 0.5:
            # half the time one of a few hot tickets, so agents collide on the same ticket
            ids = sorted(ids, key=lambda t: int(t.split("-")[1]))[:3]
        return self.rng.choice(ids) if ids else None

    def step(self) -> None:
        kind = self.rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        if kind == "sync":
            self.sync()
            return
        if kind != "new" and not self.tickets:
            kind = "new"
        mark = self.marker()
        text = f"{mark} {self.rng.choice(FLAVOUR)}"
        tid = self.pick(WANTS.get(kind)) if kind != "new" else None
        if kind != "new" and tid is None:
            tid = self.pick()
        args: list[str]  # options first; free text after "--" can never pass for an option
        if kind == "new":
            args = [
                "new",
                "-c",
                self.rng.choice(["acme", "globex"]),
                "-t",
                self.rng.choice(["incident", "service_request"]),
                "-p",
                self.rng.choice(["critical", "high", "normal", "low"]),
                "--json",
                "--",
                f"{mark} {self.rng.choice(FLAVOUR)}",
            ]
        elif kind == "comment":
            internal = ["--internal"] if self.rng.random() < 0.3 else []
            args = ["comment", str(tid), *internal, "--json", "--", text]
        elif kind == "log":
            args = ["log", str(tid), "-m", str(self.rng.randint(5, 90)), "--note", text, "--json"]
        elif kind in ("start", "close"):
            args, mark = [kind, str(tid), "--json"], None  # no text: found by its commit only
        elif kind in ("wait", "reopen", "escalate"):
            args = [kind, str(tid), "--reason", text, "--json"]
        elif kind == "resolve":
            args = ["resolve", str(tid), "--resolution", text, "--json"]
        elif kind == "edit":  # two agents editing one field differently: "later action wins"
            args, mark = (
                [
                    "edit",
                    str(tid),
                    "--priority",
                    self.rng.choice(["critical", "high", "normal", "low"]),
                    "--json",
                ],
                None,
            )
        elif kind == "kblink":  # several agents linking tickets to one article: lists merge
            mark = self.rng.choice(ARTICLES)
            args = ["kb", "link", str(tid), mark, "--json"]
        else:  # tag
            mark = mark.lower()
            args = ["tag", str(tid), "--json", "--", mark]
        r = self.run(*args)
        self.exits[f"{kind}:{r.returncode}"] += 1
        if r.returncode != 0:
            if r.returncode not in (5, 6) or "Traceback" in r.stderr:
                self.exits[f"unexpected {kind}:{r.returncode}: {r.stderr.strip()[:120]}"] += 1
            return
        out = json.loads(r.stdout)
        if kind == "kblink":
            self.recorded.append(
                Recorded(self.index, kind, str(tid), self.epoch, out["commit"], mark)
            )
            return
        self.recorded.append(Recorded(self.index, kind, out["id"], self.epoch, out["commit"], mark))
        self.tickets[out["id"]] = out["ticket"]


def make_remote(work: Path, agents: int, env: dict[str, str], cmd: list[str]) -> Path:
    remote = work / "remote.git"
    git(work, "init", "-q", "--bare", "-b", "main", str(remote), env=env)
    seed = work / "seed"
    seed_env = {
        **env,
        "GIT_AUTHOR_NAME": "Seed",
        "GIT_AUTHOR_EMAIL": "seed@example.com",
        "GIT_COMMITTER_NAME": "Seed",
        "GIT_COMMITTER_EMAIL": "seed@example.com",
    }
    subprocess.run([*cmd, "init", str(seed)], env=seed_env, check=True, capture_output=True)
    config = CONFIG + "".join(
        f"  agent{i}: {{name: Agent {i}, email: agent{i}@example.com, line: L1}}\n"
        for i in range(agents)
    )
    (seed / "supportctl.yaml").write_text(config, encoding="utf-8")
    git(seed, "add", "supportctl.yaml", env=seed_env)
    git(seed, "commit", "-qm", "Stress desk configuration", env=seed_env)
    for slug in ARTICLES:
        subprocess.run(
            [*cmd, "kb", "new", slug.replace("-", " ").capitalize(), "--body-file", "-"],
            cwd=seed,
            env=seed_env,
            check=True,
            capture_output=True,
            input=b"",
        )
    git(seed, "branch", "-M", "main", env=seed_env)
    git(seed, "push", "-q", str(remote), "main", env=seed_env)
    return remote


def mapped(agent: Agent, rec: Recorded) -> str:
    """The ticket's final ID: the agent's own renumberings at or after the action's epoch."""
    tid = rec.ticket
    for epoch, old, new in agent.renumbered:
        if epoch > rec.epoch and old == tid:
            tid = new
    return tid


def verify(agents: list[Agent], remote: Path, env: dict[str, str]) -> dict[str, Any]:
    problems: list[str] = []
    ref = agents[0].root
    heads = {git(a.root, "rev-parse", "HEAD", env=env).strip() for a in agents}
    heads.add(git(remote, "rev-parse", "main", env=env).strip())
    if len(heads) != 1:
        problems.append(f"clones disagree on HEAD: {sorted(heads)}")
    for a in agents:
        r = a.run("validate")
        if r.returncode != 0:
            problems.append(
                f"validate failed in {a.handle}: {r.stdout.strip()[:300]} {r.stderr.strip()}"
            )
        if git(a.root, "status", "--porcelain", env=env):
            problems.append(f"{a.handle}: work tree not clean")
        fsck = subprocess.run(
            ["git", "fsck", "--no-progress"],
            cwd=a.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if fsck.returncode != 0:
            problems.append(f"{a.handle}: git fsck failed: {fsck.stderr[:300]}")

    fmt = "%ae%x1f%at%x1f%ct%x1f%s%x1f%(trailers:key=Ticket,valueonly,separator=%x2c)"
    final: dict[tuple[str, str, str, str], list[str]] = {}
    for line in git(ref, "log", f"--format={fmt}", env=env).splitlines():
        ae, at, ct, subject, ticket = line.split("\x1f")
        final.setdefault((ae, at, ct, ID_RE.sub("#", subject)), []).append(ticket)

    def show(tid: str) -> dict[str, Any] | None:
        r = agents[0].run("show", tid, "--json")
        return json.loads(r.stdout) if r.returncode == 0 else None

    records = {t: show(t) for t in {mapped(a, rec) for a in agents for rec in a.recorded}}
    lost: list[str] = []
    for a in agents:
        if not a.recorded:
            continue
        shas = "\n".join(rec.commit for rec in a.recorded) + "\n"
        original = git(
            a.root, "log", "--no-walk=unsorted", "--stdin", f"--format={fmt}", env=env, input=shas
        ).splitlines()
        for rec, line in zip(a.recorded, original, strict=True):
            ae, at, ct, subject, _ = line.split("\x1f")
            want = mapped(a, rec)
            tickets = final.get((ae, at, ct, ID_RE.sub("#", subject)), [])
            if want not in tickets:
                lost.append(
                    f"{a.handle} {rec.action} {rec.ticket}→{want} {rec.commit[:10]}: not in history "
                    f"(found for {tickets})"
                )
                continue
            if rec.marker is None or rec.action in ("resolve", "new"):
                continue  # a later resolve may replace the resolution text; titles may be edited
            t = records.get(want)
            if t is None:
                lost.append(f"{a.handle} {rec.action} {want}: ticket unreadable")
            elif rec.action == "log":
                if not any(w["note"].startswith(rec.marker) for w in t["worklogs"]):
                    lost.append(f"{a.handle} log {want}: worklog note {rec.marker} missing")
            elif rec.action == "tag":
                if rec.marker not in t["tags"]:
                    lost.append(f"{a.handle} tag {want}: tag {rec.marker} missing")
            elif rec.action == "kblink":
                article = agents[0].run("kb", "show", rec.marker, "--json")
                linked = json.loads(article.stdout)["tickets"] if article.returncode == 0 else []
                if want not in linked:
                    lost.append(
                        f"{a.handle} kb link {want}: not among {rec.marker}'s tickets {linked}"
                    )
            elif not any(rec.marker in str(c.get("text")) for c in t["comments"]):
                lost.append(f"{a.handle} {rec.action} {want}: comment {rec.marker} missing")
    return {"problems": problems, "lost": lost}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="keep the desk here (default: a temporary folder)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="supportctl-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SUPPORTCTL_"))
    }  # real clock, identity from each clone
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
    cmd = supportctl_cmd()
    remote = make_remote(work, args.agents, env, cmd)

    agents = []
    for i in range(args.agents):
        root = work / f"agent{i}"
        git(work, "clone", "-q", str(remote), str(root), env=env)
        git(root, "config", "user.name", f"Agent {i}", env=env)
        git(root, "config", "user.email", f"agent{i}@example.com", env=env)
        agents.append(Agent(i, root, env, random.Random(args.seed * 1000 + i), cmd))

    deadline = time.monotonic() + args.seconds
    started = time.monotonic()

    def work_loop(agent: Agent) -> None:
        while time.monotonic() < deadline:
            agent.step()

    threads = [threading.Thread(target=work_loop, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    busy = time.monotonic() - started

    rounds = 0
    while rounds < 20:  # sync until a whole round moves nothing
        rounds += 1
        moved = False
        for a in agents:
            got = a.sync()
            moved = moved or got is None or bool(got["received"] or got["sent"])
        if not moved:
            break
    result = verify(agents, remote, env)

    actions = sum(len(a.recorded) for a in agents)
    by_kind = Counter(rec.action for a in agents for rec in a.recorded)
    renumbered = [(a.handle, old, new) for a in agents for _, old, new in a.renumbered]
    exits = sum((a.exits for a in agents), Counter())
    figures = {
        "agents": args.agents,
        "seconds": round(busy, 1),
        "actions": actions,
        "by_action": dict(by_kind),
        "syncs": sum(a.syncs for a in agents),
        "sync_failures": sum(len(a.sync_failures) for a in agents),
        "attempts": sum(a.attempts for a in agents),
        "retries": sum(a.attempts for a in agents) - sum(a.syncs for a in agents),
        "received": sum(a.received for a in agents),
        "sent": sum(a.sent for a in agents),
        "renumberings": len(renumbered),
        "decisions": sum(len(a.decisions) for a in agents),
        "final_rounds": rounds,
        "commits": int(git(agents[0].root, "rev-list", "--count", "HEAD", env=env)),
        "tickets": len(agents[0].tickets),
        "refused_actions": {k: v for k, v in exits.items() if not k.endswith(":0")},
        "lost": len(result["lost"]),
        "problems": result["problems"],
        "workdir": str(work),
        "sync_errors": [f for a in agents for f in a.sync_failures],
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"{args.agents} agents for {busy:.0f} s in {work}")
        print(
            f"actions recorded:   {actions}  ({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))})"
        )
        print(
            f"syncs:              {figures['syncs']} ok, {figures['sync_failures']} failed; "
            f"{figures['attempts']} attempts = {figures['retries']} retries"
        )
        print(f"commits moved:      {figures['received']} received, {figures['sent']} sent")
        print(
            f"renumberings:       {len(renumbered)}  {' '.join(f'{h}:{o}→{n}' for h, o, n in renumbered[:12])}"
        )
        print(
            f"decisions:          {figures['decisions']} contradictions resolved (later action wins)"
        )
        print(
            f"final:              {rounds} sync rounds to quiet, {figures['commits']} commits, "
            f"{figures['tickets']} tickets"
        )
        print(f"refused (expected): {dict(sorted(figures['refused_actions'].items()))}")
        print(f"lost:               {len(result['lost'])}")
        for line in result["lost"][:20] + result["problems"]:
            print(f"  ! {line}")
        for a in agents:
            for failure in a.sync_failures[:3]:
                print(f"  sync failed ({a.handle}): {failure}")
        for a in agents:
            for d in a.decisions[:3]:
                print(f"  decision ({a.handle}): {d}")
    if not args.workdir and not result["lost"] and not result["problems"]:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if result["lost"] or result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
