"""`supportctl validate`: every data file in the work tree against the schema and config.

It reads the work tree (not HEAD) because it is what a pre-commit hook runs before
a hand edit is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from supportctl import yamlio
from supportctl.config import Config, load_config
from supportctl.errors import ConfigError, UsageError
from supportctl.kb.articles import parse_article
from supportctl.model import (
    LINK_KINDS,
    Problem,
    normalize_id,
    ticket_path,
    vocabulary,
)
from supportctl.store import SupportRepo

REQUIRED = ("id", "title", "customer", "type", "priority", "status", "line", "created")


def _rel(repo: SupportRepo, path: Path) -> str:
    return path.relative_to(repo.root).as_posix()


def _checked(path: Path, rel: str, check: Callable[[Any], list[Problem]]) -> list[Problem]:
    """Problems of one file: checked on libyaml's plain data first (fast), and only when
    that finds something, again on the round-trip data, which knows each key's line."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        return [Problem(rel, 0, f"cannot read: {exc.strerror}")]
    done, plain_data = yamlio.load_fast(content)
    if done and not check(plain_data):
        return []
    try:
        data = yamlio.load(content)
    except yamlio.YamlProblem as exc:
        return [Problem(rel, exc.line, exc.message)]
    return check(data)


def _is_time(value: Any) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is not None
    try:
        return datetime.fromisoformat(str(value)).tzinfo is not None
    except ValueError:
        return False


def check_ticket(data: Any, rel: str, config: Config, known: set[str]) -> list[Problem]:
    out: list[Problem] = []

    def bad(key: Any, message: str, container: Any = data) -> None:
        out.append(Problem(rel, yamlio.line_of(container, key) or 1, message))

    if not isinstance(data, dict):
        return [Problem(rel, 1, "expected a mapping of ticket fields")]
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            out.append(Problem(rel, 1, f"missing `{key}`"))
    tid = str(data.get("id") or "")
    if tid:
        try:
            normalize_id(tid, config.id_prefix)
            if ticket_path(tid) != rel:
                bad("id", f"id {tid} does not match the file name (expected {ticket_path(tid)})")
        except UsageError:
            bad("id", f"bad id {tid!r}: expected {config.id_prefix}-<number>")
    for key, allowed in vocabulary(config.lines).items():
        value = data.get(key)
        if value not in (None, "") and str(value) not in allowed:
            bad(key, f"unknown {key} {value!r} (expected one of {', '.join(allowed)})")
    customer = data.get("customer")
    if customer and str(customer) not in config.customers:
        bad("customer", f"unknown customer {customer!r}")
    assignee = data.get("assignee")
    if assignee and config.agents and str(assignee) not in config.agents:
        bad("assignee", f"unknown agent {assignee!r}")
    if data.get("created") and not _is_time(data["created"]):
        bad("created", "`created` must be an ISO 8601 time with an offset")
    tags = data.get("tags")
    if tags is not None and not isinstance(tags, list):
        bad("tags", "`tags` must be a list")
    comments = data.get("comments")
    if comments is not None:
        if not isinstance(comments, list):
            bad("comments", "`comments` must be a list")
        else:
            for i, c in enumerate(comments):
                if not isinstance(c, dict) or not c.get("text"):
                    bad(i, "comment must be a mapping with `text`", comments)
                elif not _is_time(c.get("at")):
                    bad(i, "comment needs `at`, an ISO 8601 time with an offset", comments)
                elif c.get("visibility", "public") not in ("public", "internal"):
                    bad(i, "comment `visibility` must be public or internal", comments)
    links = data.get("links")
    if links is not None:
        if not isinstance(links, dict):
            bad("links", "`links` must be a mapping")
        else:
            for kind, value in links.items():
                if kind not in LINK_KINDS:
                    bad(kind, f"unknown link kind `{kind}`", links)
                    continue
                for other in value if isinstance(value, list) else [value]:
                    if other and str(other) not in known:
                        bad(kind, f"link to unknown ticket {other}", links)
    return out


def check_worklog(data: Any, rel: str, known: set[str]) -> list[Problem]:
    if data is None:
        return []
    if not isinstance(data, list):
        return [Problem(rel, 1, "expected a list of worklog entries")]
    out = []
    for i, e in enumerate(data):
        line = yamlio.line_of(data, i) or 1
        if not isinstance(e, dict):
            out.append(Problem(rel, line, "worklog entry must be a mapping"))
            continue
        if str(e.get("ticket")) not in known:
            out.append(Problem(rel, line, f"worklog for unknown ticket {e.get('ticket')!r}"))
        minutes = e.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            out.append(
                Problem(rel, line, f"`minutes` must be a positive whole number, got {minutes!r}")
            )
        try:
            date.fromisoformat(str(e.get("on")))
        except ValueError:
            out.append(
                Problem(rel, line, f"`on` must be a date like 2026-10-05, got {e.get('on')!r}")
            )
    return out


def check_article(text: bytes, rel: str) -> list[Problem]:
    from supportctl.kb.articles import ArticleError

    try:
        parse_article(text, rel)
    except ArticleError as exc:
        return [Problem(rel, exc.line, exc.message)]
    return []


def config_notes(config: Config) -> list[Problem]:
    """Things in a valid configuration that a desk should know (not mistakes)."""
    notes = []
    for name, spec in config.calendar_specs.items():
        if isinstance(spec, dict) and str(spec.get("country") or "").strip().upper() == "UA":
            line = yamlio.line_of(spec, "country") or yamlio.line_of(config.calendar_specs, name)
            notes.append(
                Problem(
                    config.path.name,
                    line,
                    f"calendar {name}: the holidays package has no Ukrainian public holidays "
                    "from 2022 on (martial law); list the desk's days off under `holidays:`",
                )
            )
    return notes


def validate_repo(repo: SupportRepo, notes: list[Problem] | None = None) -> list[Problem]:
    """Every problem in the work tree; `notes` (when given) gets remarks that are not."""
    problems: list[Problem] = []
    try:
        config = load_config(repo.root, deep=True)
    except ConfigError as exc:
        # one `supportctl.yaml:LINE: message` per line: every mistake at once
        for text in exc.message.splitlines():
            head, _, msg = text.partition(": ")
            file, _, line = head.partition(":")
            problems.append(Problem(file, int(line) if line.isdigit() else 0, msg))
        return problems
    if notes is not None:
        notes += config_notes(config)
    tickets = sorted((repo.root / "data" / "tickets").glob("*/*.yaml"))
    known = {p.stem for p in tickets}
    kb_of: dict[str, tuple[Path, str]] = {}  # ticket -> (its file, the article it names)
    for path in tickets:
        rel = _rel(repo, path)

        def ticket(data: Any, rel: str = rel, path: Path = path) -> list[Problem]:
            if isinstance(data, dict) and data.get("kb"):
                kb_of[path.stem] = (path, str(data["kb"]))
            return [] if data is None else check_ticket(data, rel, config, known)

        problems += _checked(path, rel, ticket)
    for path in sorted((repo.root / "data" / "worklogs").rglob("*.yaml")):
        rel = _rel(repo, path)

        def worklog(data: Any, rel: str = rel) -> list[Problem]:
            return check_worklog(data, rel, known)

        problems += _checked(path, rel, worklog)
    listed: dict[str, list[str]] = {}  # article slug -> the tickets it lists
    for path in sorted((repo.root / "data" / "kb").glob("*.md")):
        found = check_article(path.read_bytes(), _rel(repo, path))
        problems += found
        if not found:
            article = parse_article(path.read_bytes(), _rel(repo, path))
            listed[article.slug] = article.tickets
            for t in article.tickets:
                if t not in known:
                    key_line = _key_line(path, "tickets")
                    problems.append(Problem(_rel(repo, path), key_line, f"links unknown ticket {t}"))
    for tid, (path, slug) in sorted(kb_of.items()):
        rel, key_line = _rel(repo, path), _key_line(path, "kb")
        if slug not in listed:
            if not (repo.root / "data" / "kb" / f"{slug}.md").exists():
                problems.append(Problem(rel, key_line, f"kb article {slug!r} does not exist"))
        elif tid not in listed[slug]:
            problems.append(
                Problem(
                    rel,
                    key_line,
                    f"kb article {slug} does not list {tid}; run `supportctl kb link {tid} {slug}`",
                )
            )
    return problems


def _key_line(path: Path, key: str) -> int:
    """1-based line of a top-level `key:` in a file (1 when not found)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    return next((i for i, ln in enumerate(lines, 1) if ln.startswith(f"{key}:")), 1)
