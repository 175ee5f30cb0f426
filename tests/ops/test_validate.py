"""`supportctl validate`: every mistake reported as path:line: message, exit 9."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.ops import tickets as actions
from supportctl.ops.validate import Problem, validate_repo
from supportctl.storage.desk import Desk
from tests.conftest import from_template

if TYPE_CHECKING:
    from pathlib import Path

T1 = "data/tickets/0000/SUP-1.yaml"
WORKLOG = "data/worklogs/2026-10/anna_at_support.example.yaml"
ARTICLE = """\
---
title: Checkout returns 500
tags: [payments, checkout]
tickets: [SUP-1]
---
Clear the cache and restart the worker.
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def good(
    support_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Two tickets with comments, links, a resolution, a worklog and a KB article, all committed."""
    return from_template("good", support_repo, _build_good, monkeypatch, tmp_path_factory)


def _build_good(support_repo: Path) -> None:
    repo = Desk(support_repo)
    actions.new_ticket(
        repo, title="Checkout fails", customer="acme", type="incident", priority="high"
    )
    actions.new_ticket(
        repo,
        title="Не работает отчёт",
        customer="globex",
        type="information_request",
        priority="low",
        assignee="boris",
        tags=["отчёты"],
        description="Много\nстрок",
    )
    actions.comment(repo, "SUP-1", "We are on it")
    actions.link(repo, "SUP-2", kind="related", other="SUP-1")
    actions.log_time(repo, "SUP-1", minutes=30, note="look")
    (support_repo / "data/kb/checkout-500.md").write_text(ARTICLE, encoding="utf-8")
    git(support_repo, "add", "data/kb")
    git(support_repo, "commit", "-qm", "KB article")
    actions.resolve(repo, "SUP-1", resolution="Cleared the cache", kb="checkout-500")


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_clean_repo_passes(good: Path, cli: Any) -> None:
    assert validate_repo(Desk(good)) == []
    r = cli("validate")
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert r.stderr == "supportctl: no problems found\n"
    r = cli("validate", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == []


def test_fresh_init_repo_passes(tmp_path: Path, cli: Any) -> None:
    assert cli("init", str(tmp_path / "new")).exit_code == 0
    r = cli("--repo", str(tmp_path / "new"), "validate")
    assert r.exit_code == 0, r.output


# Line numbers refer to the file `new` writes:
#  1 id, 2 title, 3 customer, 4 type, 5 priority, 6 channel, 7 status, 8 line, 9 assignee,
# 10 tags, 11 created, 12 description, 13 kb, 14 resolution, 15 comments
TICKET_MISTAKES = [
    ("customer: acme", "customer: initech", 3, "unknown customer 'initech'"),
    (
        "status: resolved",
        "status: open",
        7,
        "unknown status 'open' (expected one of new, in_progress, waiting, resolved, closed)",
    ),
    ("line: L1", "line: L7", 8, "unknown line 'L7' (expected one of L1, L2, L3, L4)"),
    (
        "type: incident",
        "type: bug",
        4,
        (
            "unknown type 'bug' (expected one of incident, service_request, change_request, "
            "information_request)"
        ),
    ),
    (
        "priority: high",
        "priority: urgent",
        5,
        "unknown priority 'urgent' (expected one of critical, high, normal, low)",
    ),
    (
        "channel: email",
        "channel: fax",
        6,
        "unknown channel 'fax' (expected one of email, phone, messenger, portal, monitoring)",
    ),
    ("assignee:\n", "assignee: zed\n", 9, "unknown agent 'zed'"),
    (
        "created: '2026-10-05T10:00:00+03:00'",
        "created: yesterday",
        11,
        "`created` must be an ISO 8601 time with an offset",
    ),
    (
        "created: '2026-10-05T10:00:00+03:00'",
        "created: '2026-10-05T10:00:00'",
        11,
        "`created` must be an ISO 8601 time with an offset",
    ),
    (
        "id: SUP-1",
        "id: SUP-7",
        1,
        "id SUP-7 does not match the file name (expected data/tickets/0000/SUP-7.yaml)",
    ),
    ("id: SUP-1", "id: ../etc", 1, "bad id '../etc': expected SUP-<number>"),
    # a number alone or a lower-case ID names no ticket file (a bare number was a traceback)
    ("id: SUP-1", "id: 1", 1, "bad id '1': expected SUP-<number>"),
    ("id: SUP-1", "id: sup-1", 1, "bad id 'sup-1': expected SUP-<number>"),
    ("title: Checkout fails\n", "", 1, "missing `title`"),
    ("tags: []", "tags: urgent", 10, "`tags` must be a list"),
    (
        "visibility: public",
        "visibility: secret",
        16,
        "comment `visibility` must be public or internal",
    ),
    (
        "  - at: '2026-10-05T10:00:00+03:00'\n    author",
        "  - author",
        16,
        "comment needs `at`, an ISO 8601 time with an offset",
    ),
    (
        "comments:\n",
        "links:\n  related: [SUP-99]\n  sibling: SUP-2\ncomments:\n",
        16,
        "link to unknown ticket SUP-99",
    ),
    (
        "comments:\n",
        "links:\n  related: [SUP-99]\n  sibling: SUP-2\ncomments:\n",
        17,
        "unknown link kind `sibling`",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [m[:4] for m in TICKET_MISTAKES],
    ids=[m[3][:30] for m in TICKET_MISTAKES],
)
def test_ticket_mistakes_reported_with_path_and_line(
    good: Path, cli: Any, old: str, new: str, line: int, message: str
) -> None:
    edit(good, T1, old, new)
    r = cli("validate")
    assert r.exit_code == 9, r.output
    assert f"{T1}:{line}: {message}" in r.stdout.splitlines(), r.stdout
    assert r.stderr.endswith("problem(s) found\n")


def test_unknown_customer_is_the_only_problem(good: Path, cli: Any) -> None:
    edit(good, T1, "customer: acme", "customer: initech")
    r = cli("validate")
    assert (r.exit_code, r.stdout, r.stderr) == (
        9,
        f"{T1}:3: unknown customer 'initech'\n",
        "supportctl: error: 1 problem(s) found\n",
    )
    r = cli("validate", "--json")
    assert r.exit_code == 9
    assert json.loads(r.stdout) == [
        {"path": T1, "line": 3, "message": "unknown customer 'initech'"}
    ]


def test_validate_reads_the_work_tree_not_head(good: Path, cli: Any) -> None:
    stray = good / "data/tickets/0000/SUP-3.yaml"
    stray.write_text("id: SUP-3\ntitle: [unterminated\n", encoding="utf-8")
    r = cli("validate")
    assert r.exit_code == 9
    (only,) = r.stdout.splitlines()
    assert only.startswith("data/tickets/0000/SUP-3.yaml:")
    assert "invalid YAML" in only


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("minutes: 30", "minutes: -30", 1, "`minutes` must be a positive whole number, got -30"),
        ("minutes: 30", "minutes: 0", 1, "`minutes` must be a positive whole number, got 0"),
        ("minutes: 30", "minutes: '30'", 1, "`minutes` must be a positive whole number, got '30'"),
        ("ticket: SUP-1", "ticket: SUP-404", 1, "worklog for unknown ticket 'SUP-404'"),
        ("on: '2026-10-05'", "on: 5 Oct", 1, "`on` must be a date like 2026-10-05, got '5 Oct'"),
    ],
)
def test_worklog_mistakes(
    good: Path, cli: Any, old: str, new: str, line: int, message: str
) -> None:
    edit(good, WORKLOG, old, new)
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == f"{WORKLOG}:{line}: {message}\n"


def test_worklog_negative_minutes_in_second_entry_points_at_that_entry(
    good: Path, cli: Any
) -> None:
    assert cli("log", "SUP-2", "-m", "15").exit_code == 0
    text = (good / WORKLOG).read_text(encoding="utf-8")
    assert text.count("minutes:") == 2
    edit(good, WORKLOG, "minutes: 15", "minutes: -15")
    entry_line = text.splitlines().index("  - ticket: SUP-2") + 1
    r = cli("validate")
    assert r.exit_code == 9
    assert (
        r.stdout == f"{WORKLOG}:{entry_line}: `minutes` must be a positive whole number, got -15\n"
    )


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        # An unclosed bracket is noticed at the end of the front matter: its line or the closing ---.
        ("---\ntitle: Broken\ntags: [a, b\n---\nbody\n", (3, 4), "front matter: invalid YAML"),
        ("---\ntitle: Broken\nproducts: : x\n---\nbody\n", 3, "front matter: invalid YAML"),
        ("# No front matter\n\nbody\n", 1, "missing front matter (the file must start with ---)"),
        ("---\ntitle: Never closed\n\nbody\n", 1, "front matter is not closed with ---"),
        ("---\ntags: [a]\n---\nbody\n", 2, "front matter: missing `title`"),
        ("---\ntitle: T\ntags: a\n---\nbody\n", 3, "`tags` must be a list"),
    ],
)
def test_kb_front_matter_mistakes(
    good: Path, cli: Any, content: str, line: int | tuple[int, ...], message: str
) -> None:
    (good / "data/kb/broken.md").write_text(content, encoding="utf-8")
    r = cli("validate")
    assert r.exit_code == 9
    (only,) = r.stdout.splitlines()
    lines = line if isinstance(line, tuple) else (line,)
    assert any(only.startswith(f"data/kb/broken.md:{n}: {message}") for n in lines), only


def test_every_problem_in_every_file_is_listed(good: Path, cli: Any) -> None:
    edit(good, T1, "status: resolved", "status: open")
    edit(good, "data/tickets/0000/SUP-2.yaml", "customer: globex", "customer: initech")
    edit(good, WORKLOG, "minutes: 30", "minutes: -30")
    (good / "data/kb/broken.md").write_text("no front matter\n", encoding="utf-8")
    problems = validate_repo(Desk(good))
    assert [(p.path, p.line) for p in problems] == [
        (T1, 7),
        ("data/tickets/0000/SUP-2.yaml", 3),
        (WORKLOG, 1),
        ("data/kb/broken.md", 1),
    ]
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.splitlines() == [str(p) for p in problems]
    assert r.stderr == "supportctl: error: 4 problem(s) found\n"


def test_binary_and_non_utf8_files_are_reported(good: Path, cli: Any) -> None:
    (good / "data/tickets/0000/SUP-3.yaml").write_bytes(b"id: SUP-3\x00\x01")
    (good / "data/tickets/0000/SUP-4.yaml").write_bytes("title: caf\u00e9\n".encode("latin-1"))
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.splitlines() == [
        "data/tickets/0000/SUP-3.yaml:0: file is binary (contains NUL bytes)",
        "data/tickets/0000/SUP-4.yaml:0: not UTF-8 (byte 10)",
    ]


def test_config_mistake_is_reported_by_validate_and_stops_other_commands(
    good: Path, cli: Any
) -> None:
    config = good / "supportctl.yaml"
    text = config.read_text(encoding="utf-8")
    line = text.splitlines().index("    plan: standard") + 1
    config.write_text(text.replace("    plan: standard", "    plan: gold", 1), encoding="utf-8")
    r = cli("validate")
    assert r.exit_code == 9
    assert (
        r.stdout
        == f"supportctl.yaml:{line}: customer acme: unknown plan 'gold' (known: standard)\n"
    )
    git(good, "commit", "-qm", "Broken plan", "supportctl.yaml")
    r = cli("comment", "SUP-1", "hi")
    assert r.exit_code == 4
    assert r.stderr == (
        f"supportctl: error: supportctl.yaml:{line}: customer acme: unknown plan 'gold' (known: standard)\n"
    )


def test_problem_str() -> None:
    assert str(Problem("data/kb/x.md", 3, "bad")) == "data/kb/x.md:3: bad"


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        (
            "    country: RU",
            "    country: XX",
            "    country: XX",
            "calendar office: holidays: Country XX not available",
        ),
        (
            '      mon-fri: "09:00-13:00, 14:00-18:00"',
            '      mon-fri: "09:00-25:00"',
            '      mon-fri: "09:00-25:00"',
            "calendar office: ",
        ),
        (
            "    calendar: office\n",
            "    calendar: nope\n",
            "    calendar: nope",
            "plan standard: unknown calendar 'nope'",
        ),
        (
            "        resolution: 16h",
            "        resolution: 16 hours",
            "        resolution: 16 hours",
            "bad resolution '16 hours'",
        ),
    ],
)
def test_config_errors_name_the_line_everywhere(
    good: Path, cli: Any, old: str, new: str, at: str, message: str
) -> None:
    config = good / "supportctl.yaml"
    text = config.read_text(encoding="utf-8").replace(old, new, 1)
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index(at) + 1
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.startswith(f"supportctl.yaml:{line}: {message}"), r.stdout
    # once committed, an SLA command fails on it even when no ticket uses the broken
    # calendar or rule
    git(good, "commit", "-qm", "Broken configuration", "supportctl.yaml")
    r = cli("sla", "status", "--customer", "globex")
    assert r.exit_code == 4
    assert r.stderr.startswith(f"supportctl: error: supportctl.yaml:{line}: {message}"), r.stderr


def test_ticket_and_article_links_must_agree(good: Path, cli: Any) -> None:
    kb = good / "data/kb"
    kb.mkdir(exist_ok=True)
    (kb / "cache-fix.md").write_text(
        "---\ntitle: Cache fix\ntags: []\ntickets: [SUP-9999]\nupdated: '2026-10-05'\n---\n\nBody.\n",
        encoding="utf-8",
    )
    t2 = good / "data/tickets/0000/SUP-2.yaml"
    assert "\nkb:" not in t2.read_text(encoding="utf-8")
    t2.write_text(t2.read_text(encoding="utf-8") + "kb: cache-fix\n", encoding="utf-8")
    line = len(t2.read_text(encoding="utf-8").splitlines())
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.splitlines() == [
        "data/kb/cache-fix.md:4: links unknown ticket SUP-9999",
        (
            f"data/tickets/0000/SUP-2.yaml:{line}: kb article cache-fix does not list SUP-2; "
            "run `supportctl kb link SUP-2 cache-fix`"
        ),
    ]
    t2.write_text(
        t2.read_text(encoding="utf-8").replace("kb: cache-fix", "kb: no-such-article"),
        encoding="utf-8",
    )
    assert (
        f"data/tickets/0000/SUP-2.yaml:{line}: kb article 'no-such-article' does not exist"
        in cli("validate").stdout
    )


def test_yaml_outside_a_shard_folder_is_named_not_listed(good: Path, cli: Any) -> None:
    # list, show and sla read tickets only from data/tickets/<shard>/<ID>.yaml; a file
    # anywhere else under data/tickets is no ticket, and validate says so instead of
    # passing over it in silence
    one = (good / "data/tickets/0000/SUP-1.yaml").read_text(encoding="utf-8")
    (good / "data/tickets/SUP-7.yaml").write_text(one.replace("SUP-1", "SUP-7"), encoding="utf-8")
    (good / "data/tickets/0000/sub").mkdir()
    (good / "data/tickets/0000/sub/SUP-8.yaml").write_text(
        one.replace("SUP-1", "SUP-8"), encoding="utf-8"
    )
    git(good, "add", "-A")
    git(good, "commit", "-qm", "stray files")
    where = "not where a ticket file lives (data/tickets/<shard>/<ID>.yaml)"
    r = cli("validate")
    assert r.exit_code == 9
    assert sorted(r.stdout.splitlines()) == [
        f"data/tickets/0000/sub/SUP-8.yaml:0: {where}",
        f"data/tickets/SUP-7.yaml:0: {where}",
    ]
    listed = [t["id"] for t in json.loads(cli("list", "--json").stdout)]
    assert "SUP-7" not in listed
    assert "SUP-8" not in listed
