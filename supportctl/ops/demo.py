"""Replay the demo scenario (`demo/scenario.yaml`) into a support repo with real history.

Every scripted action runs through the same library calls as the CLI, with the author
and dates of the scenario, so the resulting repo has a realistic month of commits.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportctl.config.settings import CONFIG_NAME
from supportctl.domain import yamlio
from supportctl.domain.durations import parse_duration
from supportctl.domain.errors import ConfigError, UsageError
from supportctl.ops import tickets as actions
from supportctl.ops.init import init_repo
from supportctl.storage.desk import Desk
from supportctl.storage.git import Identity
from supportctl.storage.transaction import Change, transaction

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@dataclass(frozen=True)
class Step:
    at: datetime
    ticket: str  # scenario key
    order: int  # position in the file, to keep creation order and same-time order
    by: str
    spec: dict[str, Any]


def _time(value: Any, where: str) -> datetime:
    try:
        t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{where}: bad time {value!r}") from None
    if t.tzinfo is None:
        raise UsageError(f"{where}: time {value!r} needs an offset")
    return t


def load_steps(path: Path) -> list[Step]:
    try:
        data = yamlio.load(path.read_bytes())
    except yamlio.YamlProblem as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc.message}") from None
    steps: list[Step] = []
    order = 0
    for t in data.get("tickets") or []:
        key = str(t["key"])
        when = _time(t["at"], key)
        steps.append(Step(when, key, order, str(t.get("by") or ""), {**dict(t), "do": "new"}))
        order += 1
        for a in t.get("actions") or []:
            where = f"{key} action {a.get('do')}"
            if a.get("at"):
                when = _time(a["at"], where)
            else:
                when = when + timedelta(
                    seconds=parse_duration(str(a.get("after") or "0m"), what="after")
                )
            steps.append(Step(when, key, order, str(a.get("by") or t.get("by") or ""), dict(a)))
            order += 1
    steps.sort(key=lambda s: (s.at, s.order))
    return steps


def _as_agent(agents: dict[str, Any], handle: str, at: datetime) -> Identity:
    agent = agents.get(handle) or {}
    name = str(agent.get("name") or handle or "Support Agent")
    email = str(agent.get("email") or f"{handle or 'agent'}@support.example")
    return Identity(name, email, at)


def _run(repo: Desk, step: Step, ids: dict[str, str]) -> str:
    a = step.spec
    do = str(a.get("do"))
    at = step.at
    if do == "new":
        result = actions.new_ticket(
            repo,
            title=str(a["title"]),
            customer=str(a["customer"]),
            type=str(a["type"]),
            priority=str(a["priority"]),
            cls=a.get("class"),
            channel=str(a.get("channel") or "email"),
            reporter=a.get("reporter"),
            description=str(a.get("description") or ""),
            tags=[str(t) for t in a.get("tags") or []],
            at=at,
        )
        ids[step.ticket] = result.ticket_id
        return result.ticket_id
    tid = ids[step.ticket]
    calls: dict[str, Callable[[], actions.ActionResult]] = {
        "comment": lambda: actions.comment(
            repo, tid, str(a["text"]), internal=bool(a.get("internal")), at=at
        ),
        "start": lambda: actions.start(repo, tid, at=at),
        "wait": lambda: actions.wait(repo, tid, reason=str(a["reason"]), at=at),
        "escalate": lambda: actions.escalate(
            repo, tid, reason=str(a["reason"]), to=a.get("to"), at=at
        ),
        "assign": lambda: actions.assign(repo, tid, a.get("assignee"), at=at),
        "log": lambda: actions.log_time(
            repo,
            tid,
            minutes=parse_duration(str(a["time"]), what="time") // 60,
            note=str(a.get("note") or ""),
            on=at.date(),
            at=at,
        ),
        "resolve": lambda: actions.resolve(
            repo, tid, resolution=str(a["resolution"]), kb=a.get("kb"), at=at
        ),
        "close": lambda: actions.close(repo, tid, at=at),
        "reopen": lambda: actions.reopen(repo, tid, reason=str(a["reason"]), at=at),
        "link": lambda: _link(repo, tid, a, ids, at),
        "tag": lambda: actions.tag(
            repo, tid, add=a.get("add") or [], remove=a.get("remove") or [], at=at
        ),
        "edit": lambda: actions.edit(
            repo,
            tid,
            {
                k: str(v)
                for k, v in a.items()
                if k in ("title", "priority", "type", "customer", "class")
            },
            at=at,
        ),
    }
    if do not in calls:
        raise UsageError(f"{step.ticket}: unknown scenario action {do!r}")
    return calls[do]().ticket_id


def _link(
    repo: Desk, tid: str, a: dict[str, Any], ids: dict[str, str], at: datetime
) -> actions.ActionResult:
    for kind in ("duplicate_of", "related", "parent"):
        if a.get(kind):
            return actions.link(repo, tid, kind=kind, other=ids[str(a[kind])], at=at)
    raise UsageError(f"link without a target in {tid}")


DEMO_MARK = ".git/supportctl-demo"


def build_demo(
    source: Path, target: Path, progress: Callable[[int, int], None] | None = None
) -> Desk:
    """Make `target` a fresh support repo from the desk in `source` and replay its scenario.

    An existing `target` is replaced only when it is empty or a demo built here before
    (marked under its .git); anything else is refused, never deleted.
    """
    if target.exists():
        earlier_demo = (target / DEMO_MARK).is_file() or (
            (target / ".git").is_dir()
            and (target / CONFIG_NAME).is_file()
            and (target / CONFIG_NAME).read_bytes() == (source / CONFIG_NAME).read_bytes()
        )
        if not target.is_dir() or (any(target.iterdir()) and not earlier_demo):
            raise UsageError(
                f"{target} exists and is not a demo repo built by supportctl; "
                "refusing to replace it (choose another folder)"
            )
        shutil.rmtree(target)
    target.mkdir(parents=True)
    config = yamlio.load((source / CONFIG_NAME).read_bytes())
    agents = dict(config.get("agents") or {})
    steps = load_steps(source / "demo" / "scenario.yaml")
    start = steps[0].at - timedelta(days=1) if steps else datetime.now().astimezone()
    admin = _as_agent({}, "desk-admin", start)
    init_repo(target, identity=Identity("Desk Admin", admin.email, start))
    (target / DEMO_MARK).write_text("built by supportctl.ops.demo; may be replaced\n")
    repo = Desk(target)
    repo.git.act_as(Identity("Desk Admin", admin.email, start))
    files: dict[str, bytes | None] = {CONFIG_NAME: (source / CONFIG_NAME).read_bytes()}
    for kb in sorted((source / "data" / "kb").glob("*.md")):
        files[f"data/kb/{kb.name}"] = kb.read_bytes()
    for folder in ("templates",):
        for f in sorted((source / folder).rglob("*")) if (source / folder).is_dir() else []:
            if f.is_file():
                files[f.relative_to(source).as_posix()] = f.read_bytes()
    # the desk's canned replies (L1 scripts), committed where `comment --reply` finds them
    for f in sorted((source / "demo" / "replies").glob("*.md")):
        files[f"templates/replies/{f.name}"] = f.read_bytes()
    with transaction(repo) as tx:
        subject = "Set up the demo desk: configuration, KB and templates"
        tx.commit(Change(subject, [], files), check_dirty=False)
    ids: dict[str, str] = {}
    for i, step in enumerate(steps, 1):
        repo.git.act_as(_as_agent(agents, step.by, step.at))
        _run(repo, step, ids)
        if progress:
            progress(i, len(steps))
    return Desk(target)
