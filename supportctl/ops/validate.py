"""`supportctl validate`: every data file in the work tree against the schema and config.

It reads the work tree (not HEAD) because it is what a pre-commit hook runs before
a hand edit is committed.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.articles import parse_article
from supportctl.domain.errors import ConfigError
from supportctl.domain.ids import is_ticket_id, ticket_path
from supportctl.domain.ticket import IMPACTS, LINK_KINDS, Problem, parse_ticket, vocabulary
from supportctl.storage import safepath
from supportctl.storage.config_file import load_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportctl.config.settings import Config
    from supportctl.storage.desk import Desk

ACCEPT = "Action: rename"  # the trailer that marks a hand rename as reviewed and meant
REQUIRED = ("id", "title", "customer", "type", "priority", "status", "line", "created")


def _rel(repo: Desk, path: Path) -> str:
    return path.relative_to(repo.root).as_posix()


def _read(root: Path, rel: str) -> bytes | Problem:
    """A data file's content, never through a symlink (what a link points to, maybe outside
    the repo, must not reach a CI log through our messages)."""
    try:
        return safepath.read_bytes(root, rel)
    except safepath.UnsafePath as exc:
        return Problem(rel, 0, exc.message.removeprefix(f"{rel} "))
    except OSError as exc:
        return Problem(rel, 0, f"cannot read: {exc.strerror}")


def _checked(root: Path, rel: str, check: Callable[[Any], list[Problem]]) -> list[Problem]:
    """Problems of one file: checked on libyaml's plain data first (fast), and only when
    that finds something, again on the round-trip data, which knows each key's line."""
    content = _read(root, rel)
    if isinstance(content, Problem):
        return [content]
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
    if tid and not is_ticket_id(tid, config.id_prefix):
        # the file's own `id`, as written: `sup-1` or `1` would be a second name for it
        bad("id", f"bad id {tid!r}: expected {config.id_prefix}-<number>")
    elif tid and ticket_path(tid) != rel:
        bad("id", f"id {tid} does not match the file name (expected {ticket_path(tid)})")
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
    for key in ("tags", "cc", "aliases", "message_ids"):
        value = data.get(key)
        if value is not None and not isinstance(value, list):
            bad(key, f"`{key}` must be a list")
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
                elif not isinstance(c.get("from_customer", False), bool):
                    bad(i, "comment `from_customer` must be true or false", comments)
                elif not isinstance(c.get("attachments", []), list):
                    bad(i, "comment `attachments` must be a list of files", comments)
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
    _check_outage(data, config, bad)
    return out


def _check_outage(data: Any, config: Config, bad: Callable[..., None]) -> None:
    """`service`, `impact` and `outage`: what availability figures are computed from, so
    a hand edit that they would skip is reported here."""
    service = data.get("service")
    if service is not None and (not isinstance(service, str) or not service.strip()):
        bad("service", "`service` must be a service's name")
    impact = data.get("impact")
    if impact not in (None, "") and impact not in IMPACTS:
        bad("impact", f"unknown impact {impact!r} (expected one of {', '.join(IMPACTS)})")
    outage = data.get("outage")
    if outage is not None:
        if not isinstance(outage, dict):
            bad("outage", "`outage` must be a mapping with `start` and `end`")
            return
        start, end = _instant(outage.get("start")), outage.get("end")
        end_at = None if end in (None, "") else _instant(end)
        if start is None:
            bad("outage", "`outage` needs `start`, an ISO 8601 time with an offset")
        elif end not in (None, "") and (end_at is None or end_at <= start):
            bad("outage", "outage `end` must be an ISO 8601 time with an offset, after `start`")
    if impact == "outage":
        if outage is None:
            bad("impact", "`impact: outage` needs `outage: {start: ..., end: ...}`")
        if not service:
            bad("impact", "`impact: outage` needs the `service` that was down")
        else:
            terms = config.availability(str(data.get("customer") or ""))
            if terms is None or str(service) not in terms.services:
                bad("service", f"service {service!r} has no availability target for this customer")


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
    from supportctl.domain.articles import ArticleError

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


def validate_repo(repo: Desk, notes: list[Problem] | None = None) -> list[Problem]:
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
    root = repo.root
    # A symlink in data/ is a problem of its own and is never followed (nor read).
    problems += [
        Problem(rel, 0, "is a symbolic link; data files must be real files and folders")
        for rel in safepath.links_under(root, "data")
    ]
    tickets = []
    for rel in safepath.files_under(root, "data/tickets", ".yaml"):
        if rel.count("/") == 3:
            tickets.append(root / rel)
        else:  # no command would read it: say so rather than pass over it
            problems.append(
                Problem(rel, 0, "not where a ticket file lives (data/tickets/<shard>/<ID>.yaml)")
            )
    known = {p.stem for p in tickets}
    kb_of: dict[str, tuple[Path, str]] = {}  # ticket -> (its file, the article it names)
    read: dict[str, dict[str, Any]] = {}  # work-tree ticket files: rel -> their data
    for path in tickets:
        rel = _rel(repo, path)

        def ticket(data: Any, rel: str = rel, path: Path = path) -> list[Problem]:
            if isinstance(data, dict):
                read[rel] = data
            if isinstance(data, dict) and data.get("kb"):
                kb_of[path.stem] = (path, str(data["kb"]))
            return [] if data is None else check_ticket(data, rel, config, known)

        problems += _checked(root, rel, ticket)
    committed, settled = _committed_renames(repo, read)
    problems += _hand_renames(repo, read, settled)
    problems += committed
    for rel in safepath.files_under(root, "data/worklogs", ".yaml"):

        def worklog(data: Any, rel: str = rel) -> list[Problem]:
            return check_worklog(data, rel, known)

        problems += _checked(root, rel, worklog)
    listed: dict[str, list[str]] = {}  # article slug -> the tickets it lists
    for rel in safepath.files_under(root, "data/kb", ".md"):
        if rel.count("/") != 2:
            continue
        path = root / rel
        content = _read(root, rel)
        if isinstance(content, Problem):
            problems.append(content)
            continue
        found = check_article(content, rel)
        problems += found
        if not found:
            article = parse_article(content, rel)
            listed[article.slug] = article.tickets
            for t in article.tickets:
                if t not in known:
                    key_line = _key_line(path, "tickets")
                    problems.append(
                        Problem(_rel(repo, path), key_line, f"links unknown ticket {t}")
                    )
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


def _hand_renames(
    repo: Desk, read: dict[str, dict[str, Any]], settled: dict[str, str]
) -> list[Problem]:
    """A ticket file deleted since HEAD and another added with the same `created` time: one
    ticket renamed by hand. Its history follows the rename, but everyone who knows the old ID
    (the customer's mail, links, reports) loses it, so it is flagged before it is committed;
    unless it gives a ticket back the ID a committed hand rename took (`settled`)."""
    committed = dict(repo.git.ls_tree("data/tickets"))
    gone = [(p, b) for p, b in committed.items() if p.endswith(".yaml") and p not in read]
    if not gone:
        return []
    added = {rel: d for rel, d in read.items() if rel not in committed}
    out: list[Problem] = []
    for path, blob in gone:
        old = parse_ticket(repo.git.blob(blob))
        when = _instant(old.get("created"))
        if when is None:
            continue
        for rel, data in sorted(added.items()):
            if _instant(data.get("created")) == when:
                was, now = str(old.get("id") or Path(path).stem), str(data.get("id") or "")
                if settled.get(was) == now:
                    del added[rel]
                    break  # renamed back: that settles the committed rename
                name = Path(path).name
                out.append(
                    Problem(
                        rel,
                        _key_line(repo.root / rel, "id"),
                        f"{was} renamed by hand to {now} (same `created` as the deleted "
                        f"{path}); a ticket ID is permanent: restore {name}, or, if the rename "
                        f"is meant, commit it with --no-verify and the trailer `{ACCEPT}` "
                        f"(its history follows it)",
                    )
                )
                del added[rel]
                break
    return out


def _committed_renames(
    repo: Desk, read: dict[str, dict[str, Any]]
) -> tuple[list[Problem], dict[str, str]]:
    """Tickets renamed by a hand commit (the history's `rename` events): flagged while the
    work tree has the ticket under an ID other than the one it was created with or given by
    a rename whose commit carries the trailer `Action: rename`. So renaming it back, or
    renaming it in a commit with that trailer, settles it: a shared commit needs no
    rewriting. Also returns, per flagged ticket, the ID that would settle it."""
    renamed = repo.events_with_action("rename")
    live = {t: evs for t, evs in renamed.items() if "~" not in t and evs[-1].action != "delete"}
    if not live:
        return [], {}
    shas = {e.sha for evs in live.values() for e in evs if e.action == "rename"}
    accepted = _accepted(repo, shas)
    where = {str(data.get("id")): rel for rel, data in read.items()}
    out: list[Problem] = []
    back: dict[str, str] = {}
    for ticket, evs in sorted(live.items()):
        renames = [e for e in evs if e.action == "rename"]
        names = [e.details.get("from", "") for e in renames] + [ticket]
        settled = names[0]  # the ID it was created with, then each accepted rename's
        pending: list[tuple[str, str, str]] = []
        for i, e in enumerate(renames):
            if e.sha in accepted:
                settled, pending = names[i + 1], []
            else:
                pending.append((names[i], names[i + 1], e.sha))
        if settled == ticket:
            continue
        back[ticket] = settled
        rel = where.get(ticket)
        if rel is None:
            continue  # not in the work tree under that ID (e.g. renamed back, uncommitted)
        for was, now, sha in pending:
            out.append(
                Problem(
                    rel,
                    _key_line(repo.root / rel, "id"),
                    f"ticket {was} was renamed to {now} by hand in commit {sha[:7]} (its "
                    f"history is kept; a ticket ID is permanent: rename it back, or, if the "
                    f"rename is meant, make it in a commit with the trailer `{ACCEPT}`)",
                )
            )
    return out, back


def _accepted(repo: Desk, shas: set[str]) -> set[str]:
    """The commits among `shas` whose message carries the trailer `Action: rename`."""
    key, _, value = ACCEPT.partition(": ")
    found = repo.git.trailer_values(sorted(shas), key)
    return {sha for sha, values in found.items() if any(v.lower() == value for v in values)}


def _instant(value: Any) -> datetime | None:
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _key_line(path: Path, key: str) -> int:
    """1-based line of a top-level `key:` in a file (1 when not found)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    return next((i for i, ln in enumerate(lines, 1) if ln.startswith(f"{key}:")), 1)
