"""The ticket verbs end to end: real git repos, real commits, exact messages and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

from supportctl.ops import tickets as actions
from supportctl.storage.desk import Desk
from tests.helpers import from_template, git, head, ok, trailers

if TYPE_CHECKING:
    from pathlib import Path

FIXED_DATE = "2026-10-05T10:00:00+03:00"
T1 = "data/tickets/0000/SUP-1.yaml"
T2 = "data/tickets/0000/SUP-2.yaml"
WORKLOG = "data/worklogs/2026-10/anna_at_support.example.yaml"


# -- helpers ------------------------------------------------------------------------------
def count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def touched(root: Path, rev: str = "HEAD") -> list[str]:
    return git(root, "show", "--name-only", "--format=", rev).split()


def subject(root: Path, rev: str = "HEAD") -> str:
    return git(root, "log", "-1", "--format=%s", rev).strip()


def snapshot(root: Path) -> tuple[str, str]:
    return head(root), git(root, "status", "--porcelain", "--untracked-files=all")


def load(root: Path, rel: str) -> Any:
    return YAML(typ="safe").load((root / rel).read_text(encoding="utf-8"))


def new(
    cli: Any,
    title: str = "Checkout fails",
    *extra: str,
    customer: str = "acme",
    type: str = "incident",
    priority: str = "high",
) -> str:
    r = ok(
        cli("new", title, "--customer", customer, "--type", type, "--priority", priority, *extra)
    )
    return str(r.stdout.strip())


def refused(root: Path, before: tuple[str, str], result: Any, code: int, message: str) -> None:
    """Exit code, exactly one error line, and a repo left as it was."""
    assert result.exit_code == code, result.output
    assert result.stderr == f"supportctl: error: {message}\n"
    assert result.stdout == ""
    assert snapshot(root) == before


# -- init ---------------------------------------------------------------------------------
INIT_FILES = [
    ".gitattributes",
    "data/kb/.gitkeep",
    "data/tickets/.gitkeep",
    "data/worklogs/.gitkeep",
    "supportctl.yaml",
]


def test_init_new_folder_makes_one_commit_and_is_idempotent(tmp_path: Path, cli: Any) -> None:
    target = tmp_path / "fresh"
    r = ok(cli("init", str(target)))
    assert r.stdout.startswith(f"Initialised support repo in {target} (")
    for rel in INIT_FILES:
        assert (target / rel).is_file(), rel
    assert count(target) == 1
    assert sorted(touched(target)) == INIT_FILES
    assert "id_prefix: SUP" in (target / "supportctl.yaml").read_text(encoding="utf-8")
    assert trailers(target) == [("Action", "init")]
    assert git(target, "status", "--porcelain") == ""
    first = head(target)

    r = ok(cli("init", str(target)))
    assert r.stdout == f"{target} is already a support repo\n"
    assert head(target) == first
    assert count(target) == 1


def test_init_existing_repo_keeps_history_and_user_changes(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "existing"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README.txt").write_text("our notes\n", encoding="utf-8")
    git(root, "add", "README.txt")
    git(root, "commit", "-qm", "first")
    base = head(root)
    (root / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(root, "add", "staged.txt")
    (root / "README.txt").write_text("our notes, edited\n", encoding="utf-8")

    ok(cli("init", str(root)))
    assert count(root) == 2
    assert git(root, "rev-parse", "HEAD~1").strip() == base
    assert sorted(touched(root)) == INIT_FILES
    assert git(root, "status", "--porcelain") == " M README.txt\nA  staged.txt\n"
    after = head(root)

    ok(cli("init", str(root)))
    assert head(root) == after
    assert count(root) == 2


def test_init_in_current_folder(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ok(cli("init"))
    assert (tmp_path / "supportctl.yaml").is_file()
    assert count(tmp_path) == 1


def test_init_hooks_installs_a_pre_commit_hook_that_validates(support_repo: Path, cli: Any) -> None:
    root = support_repo
    hook = root / ".git/hooks/pre-commit"
    r = ok(cli("init", str(root), "--hooks"))
    assert r.stdout == (
        f"{root} is already a support repo\n"
        f"Installed pre-commit hook {hook} (runs supportctl validate on every commit)\n"
    )
    assert os.access(hook, os.X_OK)
    r = ok(cli("init", str(root), "--hooks"))
    assert r.stdout.endswith(
        f"Already installed: pre-commit hook {hook} (runs supportctl validate on every commit)\n"
    )
    new(cli, "Printer jam")
    before = head(root)
    text = (root / T1).read_text(encoding="utf-8")
    (root / T1).write_text(text.replace("status: new", "status: in progres"), encoding="utf-8")
    git(root, "add", T1)
    refused_commit = subprocess.run(
        ["git", "commit", "-qm", "hand edit"], cwd=root, check=False, capture_output=True, text=True
    )
    assert refused_commit.returncode != 0
    assert (
        f"{T1}:7: unknown status 'in progres' (expected one of new, in_progress, waiting, "
        "resolved, closed)"
    ) in refused_commit.stderr.splitlines()  # git sends hooks' output there
    assert "supportctl: error: 1 problem(s) found" in refused_commit.stderr.splitlines()
    assert head(root) == before
    # the bad value staged, the work tree's copy put right but not staged: what would be
    # committed is the bad one, so the hook refuses
    (root / T1).write_text(text.replace("status: new", "status: in_progress"), encoding="utf-8")
    refused_commit = subprocess.run(
        ["git", "commit", "-qm", "hand edit"], cwd=root, check=False, capture_output=True, text=True
    )
    assert refused_commit.returncode == 1
    assert refused_commit.stderr == (
        "supportctl: unstaged changes in supportctl.yaml or data/; the hook validates what is "
        "committed: stage them (git add) or set them aside (git stash --keep-index) first\n"
    )
    assert head(root) == before
    git(root, "add", T1)
    git(root, "commit", "-qm", "hand edit")
    assert head(root) != before


def test_init_hooks_leaves_a_foreign_hook_alone(support_repo: Path, cli: Any) -> None:
    hook = support_repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nexec make lint\n", encoding="utf-8")
    r = cli("init", str(support_repo), "--hooks")
    assert r.exit_code == 6
    assert r.stderr == (
        f"supportctl: error: {hook} already exists and is not supportctl's; leaving "
        "it as it is (add `supportctl validate` to it yourself, or use the "
        "pre-commit framework's supportctl-validate hook)\n"
    )
    assert hook.read_text(encoding="utf-8") == "#!/bin/sh\nexec make lint\n"


# -- new ----------------------------------------------------------------------------------
def test_new_prints_increasing_ids(support_repo: Path, cli: Any) -> None:
    assert [new(cli, f"Ticket {i}") for i in range(3)] == ["SUP-1", "SUP-2", "SUP-3"]
    assert sorted(p.name for p in (support_repo / "data/tickets/0000").iterdir()) == [
        "SUP-1.yaml",
        "SUP-2.yaml",
        "SUP-3.yaml",
    ]


def test_new_commit_subject_trailers_dates_and_files(support_repo: Path, cli: Any) -> None:
    before = count(support_repo)
    r = ok(
        cli(
            "new",
            "Checkout fails",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "high",
            "--class",
            "payments",
            "--channel",
            "phone",
        )
    )
    assert r.stdout == "SUP-1\n"
    assert count(support_repo) == before + 1
    assert touched(support_repo) == [T1]
    assert subject(support_repo) == "SUP-1: new incident for acme (high): Checkout fails"
    assert trailers(support_repo) == [
        ("Ticket", "SUP-1"),
        ("Action", "new"),
        ("To-Status", "new"),
        ("To-Line", "L1"),
        ("To-Priority", "high"),
        ("To-Type", "incident"),
        ("To-Customer", "acme"),
        ("To-Class", "payments"),
        ("Channel", "phone"),
    ]
    assert git(support_repo, "log", "-1", "--format=%aI|%cI|%ae|%an").strip() == (
        f"{FIXED_DATE}|{FIXED_DATE}|anna@support.example|Anna Smirnova"
    )
    assert git(support_repo, "status", "--porcelain") == ""


def test_new_json_has_id_and_ticket(support_repo: Path, cli: Any) -> None:
    r = ok(
        cli(
            "new",
            "Checkout fails",
            "-c",
            "globex",
            "-t",
            "service-request",
            "-p",
            "LOW",
            "--tag",
            "Payments",
            "--tag",
            "urgent",
            "--tag",
            "payments",
            "--assignee",
            "boris",
            "--json",
        )
    )
    data = json.loads(r.stdout)
    assert data["id"] == "SUP-1"
    assert data["commit"] == head(support_repo)
    assert data["subject"] == "SUP-1: new service request for globex (low): Checkout fails"
    t = data["ticket"]
    assert (
        t["id"],
        t["title"],
        t["customer"],
        t["type"],
        t["priority"],
        t["status"],
        t["line"],
        t["assignee"],
        t["tags"],
        t["created"],
    ) == (
        "SUP-1",
        "Checkout fails",
        "globex",
        "service_request",
        "low",
        "new",
        "L1",
        "boris",
        ["payments", "urgent"],
        FIXED_DATE,
    )
    assert load(support_repo, T1)["tags"] == ["payments", "urgent"]


def test_new_yaml_key_order_and_cyrillic_as_text(support_repo: Path, cli: Any) -> None:
    new(
        cli,
        "Не работает оплата: ёлка",
        "--reporter",
        "Пётр Иванов",
        "--class",
        "оплата",
        "--tag",
        "срочно",
        "-d",
        "Клиент пишет:\nошибка 500",
    )
    raw = (support_repo / T1).read_bytes()
    text = raw.decode("utf-8")
    assert "\\u" not in text
    assert "\\x" not in text
    assert (
        "title: 'Не работает оплата: ёлка'" in text or 'title: "Не работает оплата: ёлка"' in text
    )
    assert "reporter: Пётр Иванов\n" in text
    assert "tags: [срочно]\n" in text
    assert "description: |\n  Клиент пишет:\n  ошибка 500\n" in text
    keys = [line.split(":", 1)[0] for line in text.splitlines() if line and not line[0].isspace()]
    assert keys == [
        "id",
        "title",
        "customer",
        "type",
        "priority",
        "class",
        "channel",
        "reporter",
        "status",
        "line",
        "assignee",
        "tags",
        "created",
        "description",
    ]


def test_new_description_from_option_file_and_stdin(
    support_repo: Path, cli: Any, tmp_path: Path
) -> None:
    new(cli, "From option", "--description", "Один\nДва")
    f = tmp_path / "desc.md"
    f.write_bytes("Строка из файла\r\nвторая\n".encode())
    new(cli, "From file", "--description-file", str(f))
    r = ok(
        cli(
            "new",
            "From stdin",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "low",
            "--description-file",
            "-",
            "--tag",
            "b",
            "--tag",
            "a",
            input="Из stdin\n".encode(),
        )
    )
    assert r.stdout == "SUP-3\n"
    assert load(support_repo, T1)["description"] == "Один\nДва\n"
    assert load(support_repo, T2)["description"] == "Строка из файла\nвторая\n"
    t3 = load(support_repo, "data/tickets/0000/SUP-3.yaml")
    assert t3["description"] == "Из stdin"
    assert t3["tags"] == ["a", "b"]


def test_new_refuses_description_and_file_together(
    support_repo: Path, cli: Any, tmp_path: Path
) -> None:
    f = tmp_path / "d.txt"
    f.write_text("x", encoding="utf-8")
    before = snapshot(support_repo)
    r = cli(
        "new",
        "T",
        "-c",
        "acme",
        "-t",
        "incident",
        "-p",
        "low",
        "-d",
        "x",
        "--description-file",
        str(f),
    )
    refused(support_repo, before, r, 2, "give --description or --description-file, not both")


def test_new_at_backdates_author_date_only(support_repo: Path, cli: Any) -> None:
    new(cli, "Phone call", "--at", "2026-10-04T09:00:00+03:00")
    assert git(support_repo, "log", "-1", "--format=%aI|%cI").strip() == (
        f"2026-10-04T09:00:00+03:00|{FIXED_DATE}"
    )
    assert load(support_repo, T1)["created"] == "2026-10-04T09:00:00+03:00"


def test_new_bad_at_is_usage_error(support_repo: Path, cli: Any) -> None:
    before = snapshot(support_repo)
    r = cli("new", "T", "-c", "acme", "-t", "incident", "-p", "low", "--at", "yesterday")
    refused(
        support_repo,
        before,
        r,
        2,
        "bad --at 'yesterday': expected ISO 8601 like 2026-10-05T14:30+03:00",
    )


# -- every action: one commit, one file, readable subject, trailers --------------------------
ACTIONS: list[tuple[str, list[list[str]], list[str], str, list[tuple[str, str]]]] = [
    (
        "assign",
        [],
        ["assign", "SUP-1", "boris"],
        "SUP-1: assign to boris",
        [("From-Assignee", "-"), ("To-Assignee", "boris")],
    ),
    (
        "unassign",
        [["assign", "SUP-1", "boris"]],
        ["assign", "SUP-1"],
        "SUP-1: unassign",
        [("From-Assignee", "boris"), ("To-Assignee", "-")],
    ),
    (
        "comment",
        [],
        ["comment", "SUP-1", "We are on it"],
        "SUP-1: reply to customer: We are on it",
        [("Visibility", "public")],
    ),
    (
        "comment-internal",
        [],
        ["comment", "SUP-1", "--internal", "DB is slow"],
        "SUP-1: internal note: DB is slow",
        [("Visibility", "internal")],
    ),
    (
        "start",
        [],
        ["start", "SUP-1"],
        "SUP-1: start work (new → in_progress)",
        [("From-Status", "new"), ("To-Status", "in_progress")],
    ),
    (
        "wait",
        [["start", "SUP-1"]],
        ["wait", "SUP-1", "--reason", "asked for logs"],
        "SUP-1: wait for customer (asked for logs)",
        [("From-Status", "in_progress"), ("To-Status", "waiting"), ("Reason", "asked for logs")],
    ),
    (
        "start-after-wait",
        [["wait", "SUP-1", "-r", "logs"]],
        ["start", "SUP-1"],
        "SUP-1: start work (waiting → in_progress)",
        [("From-Status", "waiting"), ("To-Status", "in_progress")],
    ),
    (
        "escalate",
        [],
        ["escalate", "SUP-1", "--reason", "needs DB access"],
        "SUP-1: escalate L1 → L2 (needs DB access)",
        [("From-Line", "L1"), ("To-Line", "L2"), ("Reason", "needs DB access")],
    ),
    (
        "escalate-to",
        [],
        ["escalate", "SUP-1", "--to", "L3", "-r", "needs a code fix"],
        "SUP-1: escalate L1 → L3 (needs a code fix)",
        [("From-Line", "L1"), ("To-Line", "L3"), ("Reason", "needs a code fix")],
    ),
    (
        "resolve",
        [["start", "SUP-1"]],
        ["resolve", "SUP-1", "--resolution", "Cleared the cache"],
        "SUP-1: resolve",
        [("From-Status", "in_progress"), ("To-Status", "resolved")],
    ),
    (
        "close",
        [["resolve", "SUP-1", "-r", "done"]],
        ["close", "SUP-1"],
        "SUP-1: close",
        [("From-Status", "resolved"), ("To-Status", "closed")],
    ),
    (
        "reopen",
        [["resolve", "SUP-1", "-r", "done"], ["close", "SUP-1"]],
        ["reopen", "SUP-1", "--reason", "fails again"],
        "SUP-1: reopen (fails again)",
        [("From-Status", "closed"), ("To-Status", "in_progress"), ("Reason", "fails again")],
    ),
    (
        "link-duplicate",
        [],
        ["link", "SUP-1", "--duplicate-of", "SUP-2"],
        "SUP-1: duplicate of SUP-2",
        [("Link", "duplicate_of SUP-2")],
    ),
    (
        "link-related",
        [],
        ["link", "SUP-1", "--related", "sup-2"],
        "SUP-1: related SUP-2",
        [("Link", "related SUP-2")],
    ),
    (
        "link-parent",
        [],
        ["link", "1", "--parent", "2"],
        "SUP-1: parent SUP-2",
        [("Link", "parent SUP-2")],
    ),
    (
        "tag",
        [],
        ["tag", "SUP-1", "Payments", "urgent"],
        "SUP-1: tag +payments +urgent",
        [("Tags-Added", "payments urgent")],
    ),
    (
        "tag-remove",
        [],
        ["tag", "SUP-1", "--remove", "triage"],
        "SUP-1: tag -triage",
        [("Tags-Removed", "triage")],
    ),
    (
        "edit",
        [],
        ["edit", "SUP-1", "--title", "Оплата не проходит", "--priority", "critical"],
        "SUP-1: edit title Checkout fails → Оплата не проходит, priority high → critical",
        [
            ("From-Priority", "high"),
            ("To-Priority", "critical"),
            ("From-Title", "Checkout fails"),
            ("To-Title", "Оплата не проходит"),
        ],
    ),
]


def _build_two_tickets(root: Path) -> None:
    repo = Desk(root)
    actions.new_ticket(
        repo,
        title="Checkout fails",
        customer="acme",
        type="incident",
        priority="high",
        tags=["triage"],
    )
    actions.new_ticket(
        repo, title="Checkout fails again", customer="acme", type="incident", priority="normal"
    )


@pytest.fixture
def two_tickets(
    support_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """SUP-1 (high, tagged triage) and SUP-2 (normal)."""
    return from_template("two", support_repo, _build_two_tickets, monkeypatch, tmp_path_factory)


@pytest.mark.parametrize(
    ("setup", "args", "subj", "extra"), [a[1:] for a in ACTIONS], ids=[a[0] for a in ACTIONS]
)
def test_action_makes_one_commit_touching_only_the_ticket(
    two_tickets: Path,
    cli: Any,
    setup: list[list[str]],
    args: list[str],
    subj: str,
    extra: list[tuple[str, str]],
) -> None:
    root = two_tickets
    for step in setup:
        ok(cli(*step))
    before = count(root)
    r = ok(cli(*args))
    assert r.stdout == subj + "\n"
    assert count(root) == before + 1
    assert touched(root) == [T1]
    assert subject(root) == subj
    assert trailers(root) == [("Ticket", "SUP-1"), ("Action", args[0]), *extra]
    assert git(root, "log", "-1", "--format=%aI|%cI|%ae").strip() == (
        f"{FIXED_DATE}|{FIXED_DATE}|anna@support.example"
    )
    assert git(root, "status", "--porcelain") == ""
    # The new file is still parseable and keeps the documented key order.
    text = (root / T1).read_text(encoding="utf-8")
    keys = [ln.split(":", 1)[0] for ln in text.splitlines() if ln and not ln[0].isspace()]
    assert keys[:5] == ["id", "title", "customer", "type", "priority"]
    assert "\\u" not in text


def test_action_json_output(two_tickets: Path, cli: Any) -> None:
    r = ok(cli("escalate", "SUP-1", "-r", "needs DB access", "--json"))
    data = json.loads(r.stdout)
    assert data["id"] == "SUP-1"
    assert data["action"] == "escalate"
    assert data["commit"] == head(two_tickets)
    assert data["subject"] == "SUP-1: escalate L1 → L2 (needs DB access)"
    assert data["ticket"]["line"] == "L2"


LATER = {
    "GIT_AUTHOR_DATE": "2026-10-05T15:00:00+03:00",
    "GIT_COMMITTER_DATE": "2026-10-05T15:00:00+03:00",
}


def test_action_at_sets_author_date_but_not_committer_date(two_tickets: Path, cli: Any) -> None:
    ok(
        cli(
            "comment",
            "SUP-1",
            "called the customer",
            "--at",
            "2026-10-05T12:00:00+03:00",
            env=LATER,
        )
    )
    assert git(two_tickets, "log", "-1", "--format=%aI|%cI").strip() == (
        "2026-10-05T12:00:00+03:00|2026-10-05T15:00:00+03:00"
    )
    assert load(two_tickets, T1)["comments"][-1]["at"] == "2026-10-05T12:00:00+03:00"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["comment", "SUP-1", "x", "--at", "2026-10-05T16:00:00+03:00"],
            2,
            "--at 2026-10-05T16:00:00+03:00 is in the future (now 2026-10-05T15:00:00+03:00); --at back-dates an action",
        ),
        (
            ["comment", "SUP-1", "x", "--at", "2026-10-04T09:00:00+03:00"],
            6,
            f"SUP-1: --at 2026-10-04T09:00:00+03:00 is before the ticket was created ({FIXED_DATE})",
        ),
        (
            ["log", "SUP-1", "-m", "10", "--at", "2026-10-04T09:00:00+03:00"],
            6,
            f"SUP-1: --at 2026-10-04T09:00:00+03:00 is before the ticket was created ({FIXED_DATE})",
        ),
    ],
)
def test_at_neither_in_the_future_nor_before_creation(
    two_tickets: Path, cli: Any, args: list[str], code: int, message: str
) -> None:
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli(*args, env=LATER), code, message)


def test_lifecycle_states_in_the_file(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    ok(cli("assign", "SUP-1", "boris"))
    ok(cli("start", "SUP-1"))
    ok(cli("wait", "SUP-1", "-r", "asked for logs"))
    ok(cli("start", "SUP-1"))
    ok(cli("escalate", "SUP-1", "-r", "needs DB access"))
    ok(cli("resolve", "SUP-1", "-r", "Cleared the cache\nand restarted"))
    t = load(root, T1)
    assert (t["status"], t["line"], t["assignee"]) == ("resolved", "L2", "boris")
    assert t["resolution"] == "Cleared the cache\nand restarted\n"
    assert [(c["visibility"], c["author"], c["text"]) for c in t["comments"]] == [
        ("internal", "anna", "Wait: asked for logs"),
        ("internal", "anna", "Escalated L1 → L2: needs DB access"),
    ]
    ok(cli("close", "SUP-1"))
    ok(cli("reopen", "SUP-1", "-r", "fails again"))
    assert load(root, T1)["status"] == "in_progress"


def test_escalate_walks_every_line_then_refuses(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    for old, nxt in (("L1", "L2"), ("L2", "L3"), ("L3", "L4")):
        r = ok(cli("escalate", "SUP-1", "-r", "deeper"))
        assert r.stdout == f"SUP-1: escalate {old} → {nxt} (deeper)\n"
    assert load(root, T1)["line"] == "L4"
    before = snapshot(root)
    refused(
        root,
        before,
        cli("escalate", "SUP-1", "-r", "deeper"),
        6,
        "cannot escalate SUP-1: L4 is the last line",
    )


def test_escalate_to_a_lower_or_unknown_line_is_refused(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    ok(cli("escalate", "SUP-1", "--to", "L3", "-r", "code"))
    before = snapshot(root)
    refused(
        root,
        before,
        cli("escalate", "SUP-1", "--to", "L2", "-r", "x"),
        6,
        "cannot escalate SUP-1 from L3 to L2",
    )
    refused(
        root,
        before,
        cli("escalate", "SUP-1", "--to", "L9", "-r", "x"),
        2,
        "unknown line 'L9': expected one of L1, L2, L3, L4",
    )


def test_comment_public_and_internal_in_file_and_show(two_tickets: Path, cli: Any) -> None:
    ok(cli("comment", "SUP-1", "We are on it"))
    ok(cli("comment", "SUP-1", "--internal", "DB is slow"))
    comments = load(two_tickets, T1)["comments"]
    assert comments == [
        {"at": FIXED_DATE, "author": "anna", "visibility": "public", "text": "We are on it"},
        {"at": FIXED_DATE, "author": "anna", "visibility": "internal", "text": "DB is slow"},
    ]


def test_comment_from_file(two_tickets: Path, cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "reply.txt"
    f.write_text("Добрый день!\n\nИсправлено.\n", encoding="utf-8")
    ok(cli("comment", "SUP-1", "--file", str(f)))
    assert load(two_tickets, T1)["comments"][0]["text"] == "Добрый день!\n\nИсправлено.\n"
    assert subject(two_tickets) == "SUP-1: reply to customer: Добрый день! Исправлено."


def test_comment_without_text_is_usage_error(two_tickets: Path, cli: Any) -> None:
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli("comment", "SUP-1"), 2, "give the comment text, or --file")
    refused(two_tickets, before, cli("comment", "SUP-1", "   "), 2, "comment text is empty")


def test_tag_add_and_remove(two_tickets: Path, cli: Any) -> None:
    ok(cli("tag", "SUP-1", "payments", "urgent"))
    assert load(two_tickets, T1)["tags"] == ["triage", "payments", "urgent"]
    ok(cli("tag", "SUP-1", "vip", "--remove", "triage", "--remove", "urgent"))
    assert load(two_tickets, T1)["tags"] == ["payments", "vip"]
    assert trailers(two_tickets)[2:] == [("Tags-Added", "vip"), ("Tags-Removed", "triage urgent")]
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli("tag", "SUP-1", "vip"), 6, "SUP-1: tags unchanged")


def test_link_kinds_stored_in_file(two_tickets: Path, cli: Any) -> None:
    new(cli, "Third")
    ok(cli("link", "SUP-1", "--duplicate-of", "SUP-2"))
    ok(cli("link", "SUP-1", "--related", "SUP-3"))
    ok(cli("link", "SUP-1", "--related", "SUP-2"))
    ok(cli("link", "SUP-1", "--parent", "SUP-3"))
    assert load(two_tickets, T1)["links"] == {
        "duplicate_of": "SUP-2",
        "related": ["SUP-3", "SUP-2"],
        "parent": "SUP-3",
    }
    before = snapshot(two_tickets)
    refused(
        two_tickets,
        before,
        cli("link", "SUP-1", "--related", "SUP-3"),
        6,
        "SUP-1 is already related to SUP-3",
    )
    refused(
        two_tickets,
        before,
        cli("link", "SUP-1", "--related", "SUP-1"),
        2,
        "cannot link SUP-1 to itself",
    )
    refused(
        two_tickets, before, cli("link", "SUP-1", "--related", "SUP-77"), 5, "unknown ticket SUP-77"
    )
    refused(
        two_tickets,
        before,
        cli("link", "SUP-1", "--related", "SUP-2", "--parent", "SUP-3"),
        2,
        "give exactly one of --duplicate-of, --related, --parent",
    )


def test_edit_fields(two_tickets: Path, cli: Any) -> None:
    ok(cli("edit", "SUP-1", "--type", "change-request", "--customer", "globex", "--class", "db"))
    t = load(two_tickets, T1)
    assert (t["type"], t["customer"], t["class"]) == ("change_request", "globex", "db")
    assert trailers(two_tickets)[2:] == [
        ("From-Type", "incident"),
        ("To-Type", "change_request"),
        ("From-Customer", "acme"),
        ("To-Customer", "globex"),
        ("From-Class", "-"),
        ("To-Class", "db"),
    ]
    before = snapshot(two_tickets)
    refused(
        two_tickets, before, cli("edit", "SUP-1", "--priority", "high"), 6, "SUP-1: nothing changed"
    )
    refused(
        two_tickets,
        before,
        cli("edit", "SUP-1"),
        2,
        "nothing to edit: give --title, --priority, --type, --customer or --class",
    )
    refused(
        two_tickets,
        before,
        cli("edit", "SUP-1", "--customer", "initech"),
        5,
        "unknown customer 'initech' (known: acme, globex)",
    )


def test_assign_refusals(two_tickets: Path, cli: Any) -> None:
    ok(cli("assign", "SUP-1", "boris"))
    before = snapshot(two_tickets)
    refused(
        two_tickets,
        before,
        cli("assign", "SUP-1", "boris"),
        6,
        "SUP-1 is already assigned to boris",
    )
    refused(
        two_tickets,
        before,
        cli("assign", "SUP-1", "zed"),
        5,
        "unknown agent 'zed' (known: anna, boris)",
    )
    refused(
        two_tickets,
        before,
        cli("assign", "SUP-1", "bad name"),
        2,
        "bad assignee 'bad name': letters, digits and . _ - only",
    )


def test_new_refuses_unknown_assignee(support_repo: Path, cli: Any) -> None:
    before = snapshot(support_repo)
    r = cli("new", "T", "-c", "acme", "-t", "incident", "-p", "low", "--assignee", "zed")
    refused(support_repo, before, r, 5, "unknown agent 'zed' (known: anna, boris)")


# -- log ----------------------------------------------------------------------------------
def test_log_minutes_writes_worklog_file_only(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    ticket_before = (root / T1).read_bytes()
    r = ok(cli("log", "SUP-1", "--minutes", "45"))
    assert r.stdout == "SUP-1: log 45m\n"
    assert touched(root) == [WORKLOG]
    assert (root / T1).read_bytes() == ticket_before
    assert trailers(root) == [
        ("Ticket", "SUP-1"),
        ("Action", "log"),
        ("Minutes", "45"),
        ("Worked-On", "2026-10-05"),
    ]
    assert load(root, WORKLOG) == [
        {"ticket": "SUP-1", "minutes": 45, "on": "2026-10-05", "author": "anna", "at": FIXED_DATE}
    ]
    assert git(root, "status", "--porcelain") == ""


def test_log_time_note_and_day(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    ok(cli("log", "SUP-1", "--minutes", "45"))
    r = ok(cli("log", "SUP-2", "--time", "1h30m", "--note", "log analysis", "--on", "2026-09-30"))
    assert r.stdout == "SUP-2: log 1h30m (log analysis)\n"
    september = "data/worklogs/2026-09/anna_at_support.example.yaml"
    assert touched(root) == [september]
    assert trailers(root) == [
        ("Ticket", "SUP-2"),
        ("Action", "log"),
        ("Minutes", "90"),
        ("Worked-On", "2026-09-30"),
    ]
    assert load(root, september) == [
        {
            "ticket": "SUP-2",
            "minutes": 90,
            "on": "2026-09-30",
            "note": "log analysis",
            "author": "anna",
            "at": FIXED_DATE,
        }
    ]
    # A second entry in the same month appends to the same file.
    ok(cli("log", "SUP-2", "--time", "2h"))
    assert [e["minutes"] for e in load(root, WORKLOG)] == [45, 120]
    assert touched(root) == [WORKLOG]
    assert "+    minutes: 120\n" in git(root, "show", "HEAD")
    assert "-" not in [
        ln[:1]
        for ln in git(root, "show", "--format=", "HEAD").splitlines()
        if not ln.startswith("---")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--minutes", "-5"], "time must be positive, got -5 minutes"),
        (["--minutes", "0"], "time must be positive, got 0 minutes"),
        (["--time", "-1h"], "time must be positive, got -1h"),
        (["--time", "0m"], "time must be positive, got 0 minutes"),
        (["--minutes", "1441"], "1441 minutes is more than a day; log each day separately"),
        ([], "give exactly one of --minutes N or --time 1h30m"),
        (["--minutes", "5", "--time", "5m"], "give exactly one of --minutes N or --time 1h30m"),
        (
            ["--minutes", "5", "--on", "30.09.2026"],
            "bad --on '30.09.2026': expected a date like 2026-10-05",
        ),
    ],
)
def test_log_refuses_bad_time(two_tickets: Path, cli: Any, args: list[str], message: str) -> None:
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli("log", "SUP-1", *args), 2, message)


def test_log_unknown_ticket(two_tickets: Path, cli: Any) -> None:
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli("log", "SUP-999", "-m", "5"), 5, "unknown ticket SUP-999")


# -- show ---------------------------------------------------------------------------------
@pytest.fixture
def busy_ticket(two_tickets: Path, cli: Any) -> Path:
    ok(cli("comment", "SUP-1", "We are on it"))
    ok(cli("comment", "SUP-1", "--internal", "DB is slow"))
    ok(cli("log", "SUP-1", "--time", "1h30m", "--note", "log analysis"))
    ok(cli("link", "SUP-1", "--related", "SUP-2"))
    ok(cli("link", "SUP-1", "--parent", "SUP-2"))
    ok(cli("resolve", "SUP-1", "-r", "Cleared the cache"))
    return two_tickets


def test_show_human(busy_ticket: Path, cli: Any) -> None:
    out = ok(cli("show", "SUP-1")).stdout
    lines = out.splitlines()
    assert lines[0] == "SUP-1: Checkout fails"
    for expected in (
        "  customer:  acme",
        "  priority:  high",
        "  status:    resolved",
        "  line:      L1",
        "  tags:      triage",
        "  parent:    SUP-2",
        "  related:   SUP-2",
        f"--- {FIXED_DATE} anna (reply)",
        "We are on it",
        f"--- {FIXED_DATE} anna (internal note)",
        "DB is slow",
        "Resolution:",
        "Cleared the cache",
        "Time logged: 1h30m",
    ):
        assert expected in lines, expected
    assert any(ln.split() == ["2026-10-05", "1h30m", "anna", "log", "analysis"] for ln in lines)


def test_show_json(busy_ticket: Path, cli: Any) -> None:
    data = json.loads(ok(cli("show", "sup-1", "--json")).stdout)
    assert data["id"] == "SUP-1"
    assert data["status"] == "resolved"
    assert data["path"] == T1
    assert [(c["visibility"], c["text"]) for c in data["comments"]] == [
        ("public", "We are on it"),
        ("internal", "DB is slow"),
    ]
    assert data["worklogs"] == [
        {
            "minutes": 90,
            "on": "2026-10-05",
            "note": "log analysis",
            "author": "anna",
            "at": FIXED_DATE,
        }
    ]
    assert data["minutes_logged"] == 90
    assert data["links"] == {"duplicate_of": None, "related": ["SUP-2"], "parent": "SUP-2"}
    assert data["resolution"] == "Cleared the cache"


def test_show_fresh_ticket_json_has_empty_collections(two_tickets: Path, cli: Any) -> None:
    data = json.loads(ok(cli("show", "SUP-2", "--json")).stdout)
    assert data["comments"] == []
    assert data["worklogs"] == []
    assert data["minutes_logged"] == 0
    assert data["links"] == {"duplicate_of": None, "related": [], "parent": None}


# -- list ---------------------------------------------------------------------------------
@pytest.fixture
def desk(
    support_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return from_template("desk", support_repo, _build_desk, monkeypatch, tmp_path_factory)


def _build_desk(root: Path) -> None:
    repo = Desk(root)

    def add(title: str, **kw: Any) -> None:
        kw = {"customer": "acme", "type": "incident", "priority": "high", **kw}
        actions.new_ticket(repo, title=title, **kw)

    add("Яблоко не грузится", priority="low")  # 1
    add("Ёлка не светится", tags=["hw"], priority="critical", customer="globex")  # 2
    add("Авария на складе", tags=["hw", "vip"], priority="normal", type="service_request")  # 3
    add("Ель упала", assignee="boris")  # 4
    add("Жук в системе", priority="critical", type="change_request", customer="globex")  # 5
    actions.escalate(repo, "SUP-2", reason="hardware")
    actions.resolve(repo, "SUP-3", resolution="done")
    actions.resolve(repo, "SUP-5", resolution="done")
    actions.close(repo, "SUP-5")
    actions.start(repo, "SUP-4")


def ids(cli: Any, *args: str) -> list[str]:
    return [row["id"] for row in json.loads(ok(cli("list", "--json", *args)).stdout)]


LIST_CASES: list[tuple[list[str], list[str]]] = [
    ([], ["SUP-1", "SUP-2", "SUP-3", "SUP-4", "SUP-5"]),
    (["--status", "new"], ["SUP-1", "SUP-2"]),
    (["-s", "resolved", "--status", "closed"], ["SUP-3", "SUP-5"]),
    (["--customer", "globex"], ["SUP-2", "SUP-5"]),
    (["--assignee", "boris"], ["SUP-4"]),
    (["--line", "L2"], ["SUP-2"]),
    (["--priority", "critical"], ["SUP-2", "SUP-5"]),
    (["--type", "service_request"], ["SUP-3"]),
    (["--tag", "hw"], ["SUP-2", "SUP-3"]),
    (["--tag", "hw", "--tag", "vip"], ["SUP-3"]),
    (["--open"], ["SUP-1", "SUP-2", "SUP-4"]),
    (["--open", "--customer", "globex"], ["SUP-2"]),
    (["--sort", "priority"], ["SUP-2", "SUP-5", "SUP-4", "SUP-3", "SUP-1"]),
    # Alphabetical Cyrillic: А, Е, Ё, Ж, Я (code points would put Ё first and ё last).
    (["--sort", "title"], ["SUP-3", "SUP-4", "SUP-2", "SUP-5", "SUP-1"]),
    (["--sort", "title", "--reverse"], ["SUP-1", "SUP-5", "SUP-2", "SUP-4", "SUP-3"]),
    (["--sort", "status"], ["SUP-1", "SUP-2", "SUP-4", "SUP-3", "SUP-5"]),
    (["--limit", "2"], ["SUP-1", "SUP-2"]),
    (["--status", "waiting"], []),
]


def test_list_filters_and_sorts(desk: Path, cli: Any) -> None:
    # One desk for every case: building it is the slow part.
    failures = [(args, got, want) for args, want in LIST_CASES if (got := ids(cli, *args)) != want]
    assert failures == []


def test_list_title_sort_lowercase_yo(support_repo: Path, cli: Any) -> None:
    repo = Desk(support_repo)
    for title in ("ёж", "ель", "жираф", "ящик", "арбуз", "Ёрш"):
        actions.new_ticket(repo, title=title, customer="acme", type="incident", priority="low")
    rows = json.loads(ok(cli("list", "--json", "--sort", "title")).stdout)
    assert [r["title"] for r in rows] == ["арбуз", "ель", "ёж", "Ёрш", "жираф", "ящик"]


def test_list_json_fields(desk: Path, cli: Any) -> None:
    rows = json.loads(ok(cli("list", "--json", "--assignee", "boris")).stdout)
    assert len(rows) == 1
    row = rows[0]
    assert {"id", "title", "customer", "status", "line", "priority", "type", "assignee"} <= set(row)
    assert (
        row["id"],
        row["title"],
        row["customer"],
        row["status"],
        row["line"],
        row["priority"],
        row["type"],
        row["assignee"],
    ) == ("SUP-4", "Ель упала", "acme", "in_progress", "L1", "high", "incident", "boris")


def test_list_human_table(desk: Path, cli: Any) -> None:
    r = ok(cli("list", "--customer", "globex"))
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "STATUS",
        "LINE",
        "PRIORITY",
        "TYPE",
        "CUSTOMER",
        "ASSIGNEE",
        "TITLE",
    ]
    assert lines[1].split() == [
        "SUP-2",
        "new",
        "L2",
        "critical",
        "incident",
        "globex",
        "Ёлка",
        "не",
        "светится",
    ]
    assert lines[2].split()[:2] == ["SUP-5", "closed"]
    assert len(lines) == 3
    assert ok(cli("list", "--status", "waiting")).stdout == "no tickets\n"


def test_list_unknown_sort_key(desk: Path, cli: Any) -> None:
    r = cli("list", "--sort", "colour")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: unknown sort key 'colour': expected one of id, created, "
        "priority, status, customer, title, line, assignee\n"
    )


# -- round trip: hand-made comments survive -------------------------------------------------
def test_hand_comment_survives_and_diff_only_adds(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    path = root / T1
    text = path.read_text(encoding="utf-8")
    text = text.replace("priority: high\n", "priority: high  # agreed with the customer by phone\n")
    path.write_text("# Big customer, handle with care\n" + text, encoding="utf-8")
    git(root, "commit", "-qam", "Hand note on SUP-1")
    ok(cli("comment", "SUP-1", "We are on it"))
    now = path.read_text(encoding="utf-8")
    assert now.startswith("# Big customer, handle with care\n")
    assert "priority: high  # agreed with the customer by phone\n" in now
    diff = git(root, "diff", "HEAD~1", "HEAD")
    body = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert body, diff
    assert all(ln.startswith("+") for ln in body), diff
    # And again for a second comment and a status change on other lines.
    ok(cli("comment", "SUP-1", "--internal", "second"))
    diff = git(root, "diff", "HEAD~1", "HEAD")
    assert all(
        ln.startswith("+")
        for ln in diff.splitlines()
        if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ), diff
    ok(cli("start", "SUP-1"))
    diff = git(root, "diff", "HEAD~1", "HEAD")
    changed = [
        ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert changed == ["-status: new", "+status: in_progress"]


def test_hand_added_key_survives(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    path = root / T1
    path.write_text(path.read_text(encoding="utf-8") + "contract: ДС-42\n", encoding="utf-8")
    git(root, "commit", "-qam", "hand key")
    ok(cli("escalate", "SUP-1", "-r", "x"))
    assert load(root, T1)["contract"] == "ДС-42"


# -- illegal moves leave the repo alone -----------------------------------------------------
ILLEGAL: list[tuple[str, list[list[str]], list[str], int, str]] = [
    ("close-new", [], ["close", "SUP-1"], 6, "cannot close SUP-1: it is new (resolve it first)"),
    (
        "close-closed",
        [["resolve", "SUP-1", "-r", "x"], ["close", "SUP-1"]],
        ["close", "SUP-1"],
        6,
        "cannot close SUP-1: it is closed",
    ),
    (
        "reopen-open",
        [],
        ["reopen", "SUP-1", "-r", "x"],
        6,
        "cannot reopen SUP-1: it is new (it is still open)",
    ),
    (
        "start-twice",
        [["start", "SUP-1"]],
        ["start", "SUP-1"],
        6,
        "cannot start SUP-1: it is in_progress (it is already in progress)",
    ),
    (
        "escalate-resolved",
        [["resolve", "SUP-1", "-r", "x"]],
        ["escalate", "SUP-1", "-r", "x"],
        6,
        "cannot escalate SUP-1: it is resolved",
    ),
    (
        "resolve-closed",
        [["resolve", "SUP-1", "-r", "x"], ["close", "SUP-1"]],
        ["resolve", "SUP-1", "-r", "again"],
        6,
        "cannot resolve SUP-1: it is closed",
    ),
    ("wait-empty-reason", [], ["wait", "SUP-1", "-r", "  "], 2, "wait needs --reason"),
    ("resolve-empty", [], ["resolve", "SUP-1", "-r", ""], 2, "resolve needs --resolution"),
    ("unknown-id", [], ["start", "SUP-999"], 5, "unknown ticket SUP-999"),
    ("show-unknown", [], ["show", "SUP-999"], 5, "unknown ticket SUP-999"),
    ("dotdot", [], ["comment", "../x", "hi"], 2, "bad ticket ID '../x': expected SUP-<number>"),
    (
        "slash",
        [],
        ["comment", "SUP-1/../2", "hi"],
        2,
        "bad ticket ID 'SUP-1/../2': expected SUP-<number>",
    ),
    (
        "show-slash",
        [],
        ["show", "SUP-1/../2"],
        2,
        "bad ticket ID 'SUP-1/../2': expected SUP-<number>",
    ),
    ("other-prefix", [], ["start", "ABC-1"], 2, "bad ticket ID 'ABC-1': expected SUP-<number>"),
    (
        "newline-id",
        [],
        ["start", "SUP-1\nSUP-2"],
        2,
        "bad ticket ID 'SUP-1\\nSUP-2': expected SUP-<number>",
    ),
    (
        "unknown-customer",
        [],
        ["new", "T", "-c", "initech", "-t", "incident", "-p", "low"],
        5,
        "unknown customer 'initech' (known: acme, globex)",
    ),
    (
        "unknown-type",
        [],
        ["new", "T", "-c", "acme", "-t", "bug", "-p", "low"],
        2,
        (
            "unknown type 'bug': expected one of incident, service_request, change_request, "
            "information_request"
        ),
    ),
    (
        "unknown-priority",
        [],
        ["new", "T", "-c", "acme", "-t", "incident", "-p", "urgent"],
        2,
        "unknown priority 'urgent': expected one of critical, high, normal, low",
    ),
    (
        "empty-title",
        [],
        ["new", " \t ", "-c", "acme", "-t", "incident", "-p", "low"],
        2,
        "title is empty",
    ),
    (
        "bad-tag",
        [],
        ["tag", "SUP-1", "a b"],
        2,
        "bad tag 'a b': letters, digits and . + - _ only, at most 40",
    ),
    (
        "unknown-kb",
        [],
        ["resolve", "SUP-1", "-r", "x", "--kb", "no-such-article"],
        5,
        "unknown KB article 'no-such-article'",
    ),
]


@pytest.mark.parametrize(
    ("setup", "args", "code", "message"), [i[1:] for i in ILLEGAL], ids=[i[0] for i in ILLEGAL]
)
def test_illegal_moves_leave_repo_unchanged(
    two_tickets: Path,
    cli: Any,
    setup: list[list[str]],
    args: list[str],
    code: int,
    message: str,
) -> None:
    for step in setup:
        ok(cli(*step))
    before = snapshot(two_tickets)
    refused(two_tickets, before, cli(*args), code, message)


def test_resolve_without_resolution_is_typer_usage_error(two_tickets: Path, cli: Any) -> None:
    before = snapshot(two_tickets)
    r = cli("resolve", "SUP-1")
    assert r.exit_code == 2
    assert "--resolution" in r.output
    assert snapshot(two_tickets) == before


# -- hostile input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title",
    [
        "Printer down\nAction: close",
        "Printer down\n\nAction: close\nTicket: SUP-9",
        "Printer down\r\n\r\nAction: close\u2028To-Status: closed",
    ],
)
def test_title_with_a_line_break_is_refused(support_repo: Path, cli: Any, title: str) -> None:
    before = snapshot(support_repo)
    r = cli("new", title, "-c", "acme", "-t", "incident", "-p", "normal")
    refused(support_repo, before, r, 2, "title must be one line (it contains a line break)")


def test_title_cannot_forge_trailers(support_repo: Path, cli: Any) -> None:
    assert new(cli, "Printer down Action: close Ticket: SUP-9 To-Status: closed") == "SUP-1"
    found = trailers(support_repo)
    assert [v for k, v in found if k == "Action"] == ["new"]
    assert [v for k, v in found if k == "Ticket"] == ["SUP-1"]
    assert [v for k, v in found if k == "To-Status"] == ["new"]
    assert load(support_repo, T1)["title"].startswith("Printer down Action: close")
    assert "\n" not in subject(support_repo)
    before = snapshot(support_repo)
    refused(
        support_repo,
        before,
        cli("edit", "SUP-1", "--title", "Two\nAction: close"),
        2,
        "title must be one line (it contains a line break)",
    )


def test_reason_and_comment_cannot_forge_trailers(two_tickets: Path, cli: Any) -> None:
    ok(cli("escalate", "SUP-1", "-r", "x\n\nAction: close\nTo-Line: L4"))
    found = trailers(two_tickets)
    assert [k for k, _ in found].count("Action") == 1
    assert ("To-Line", "L2") in found
    assert ("To-Line", "L4") not in found
    ok(cli("comment", "SUP-1", "hello\n\nAction: close\nVisibility: internal"))
    found = trailers(two_tickets)
    assert [v for k, v in found if k == "Action"] == ["comment"]
    assert [v for k, v in found if k == "Visibility"] == ["public"]
    assert (
        load(two_tickets, T1)["comments"][-1]["text"]
        == "hello\n\nAction: close\nVisibility: internal\n"
    )


def test_huge_title_refused_but_long_description_accepted(
    support_repo: Path, cli: Any, tmp_path: Path
) -> None:
    before = snapshot(support_repo)
    r = cli("new", "x" * 100 * 1024, "-c", "acme", "-t", "incident", "-p", "low")
    refused(support_repo, before, r, 2, "title is too long (102400 characters, at most 200)")
    r = cli("new", "y" * 201, "-c", "acme", "-t", "incident", "-p", "low")
    refused(support_repo, before, r, 2, "title is too long (201 characters, at most 200)")
    desc = tmp_path / "long.txt"
    text = "\n".join(f"line {i:05d} " + "z" * 60 for i in range(30 * 1024 // 72)) + "\n"
    assert 29 * 1024 < len(text.encode()) <= 31 * 1024
    desc.write_text(text, encoding="utf-8")
    assert new(cli, "Long one", "--description-file", str(desc)) == "SUP-1"
    assert load(support_repo, T1)["description"] == text


def test_non_utf8_and_binary_description_files_refused(
    support_repo: Path, cli: Any, tmp_path: Path
) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\u00e9 is down".encode("latin-1"))
    binary = tmp_path / "dump.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    before = snapshot(support_repo)
    base = ["new", "T", "-c", "acme", "-t", "incident", "-p", "low"]
    refused(
        support_repo,
        before,
        cli(*base, "--description-file", str(latin)),
        2,
        f"--description-file {latin} is not UTF-8 (byte 3)",
    )
    refused(
        support_repo,
        before,
        cli(*base, "--description-file", str(binary)),
        2,
        f"--description-file {binary} is binary",
    )
    refused(
        support_repo,
        before,
        cli(*base, "--description-file", "-", input=b"\xff\xfeabc"),
        2,
        "--description-file - is not UTF-8 (byte 0)",
    )
    refused(
        support_repo,
        before,
        cli(*base, "--description-file", str(tmp_path / "missing.txt")),
        2,
        f"cannot read --description-file {tmp_path / 'missing.txt'}: No such file or directory",
    )


def test_nul_in_arguments_refused(two_tickets: Path, cli: Any) -> None:
    before = snapshot(two_tickets)
    refused(
        two_tickets,
        before,
        cli("comment", "SUP-1", "a\x00b"),
        2,
        "comment looks binary (it contains NUL bytes)",
    )


# -- malformed files ----------------------------------------------------------------------
BROKEN = "id: SUP-2\ntitle: Broken\nstatus: [new\ncustomer: acme\n"


@pytest.fixture
def broken_desk(support_repo: Path, cli: Any) -> Path:
    for i in range(3):
        new(cli, f"Ticket {i + 1}")
    (support_repo / T2).write_text(BROKEN, encoding="utf-8")
    git(support_repo, "commit", "-qam", "Break SUP-2 by hand")
    return support_repo


def test_list_skips_broken_file_and_names_it(broken_desk: Path, cli: Any) -> None:
    r = ok(cli("list", "--json"))
    assert [row["id"] for row in json.loads(r.stdout)] == ["SUP-1", "SUP-3"]
    assert r.stderr.startswith("supportctl: skipped data/tickets/0000/SUP-2.yaml:")
    assert len(r.stderr.splitlines()) == 1
    r = ok(cli("list"))
    assert "SUP-1" in r.stdout
    assert "SUP-3" in r.stdout
    assert "SUP-2" not in r.stdout


def test_validate_reports_broken_file_with_line(broken_desk: Path, cli: Any) -> None:
    r = cli("validate")
    assert r.exit_code == 9
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    prefix, line, message = lines[0].split(":", 2)
    assert prefix == "data/tickets/0000/SUP-2.yaml"
    assert line.isdigit()
    assert 3 <= int(line) <= 5
    assert "invalid YAML" in message
    assert r.stderr == "supportctl: error: 1 problem(s) found\n"


def test_show_and_act_on_broken_ticket(broken_desk: Path, cli: Any) -> None:
    before = snapshot(broken_desk)
    for args in (["show", "SUP-2"], ["comment", "SUP-2", "hi"]):
        r = cli(*args)
        assert r.exit_code == 7, r.output
        assert r.stderr.startswith("supportctl: error: data/tickets/0000/SUP-2.yaml:")
        assert "invalid YAML" in r.stderr
        assert len(r.stderr.splitlines()) == 1
    assert snapshot(broken_desk) == before
    ok(cli("show", "SUP-3"))


# -- values outside the vocabulary, committed by hand -----------------------------------------
INVALID_VALUES = [
    (
        "status: new",
        "status: in progres",
        7,
        "invalid status 'in progres' (expected one of new, in_progress, waiting, resolved, closed)",
    ),
    (
        "priority: high",
        "priority: urgent",
        5,
        "invalid priority 'urgent' (expected one of critical, high, normal, low)",
    ),
    (
        "type: incident",
        "type: bug",
        4,
        (
            "invalid type 'bug' (expected one of incident, service_request, change_request, "
            "information_request)"
        ),
    ),
    ("line: L1", "line: L7", 8, "invalid line 'L7' (expected one of L1, L2, L3, L4)"),
    (
        "channel: email",
        "channel: emial",
        6,
        "invalid channel 'emial' (expected one of email, phone, messenger, portal, monitoring)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new_value", "line", "message"), INVALID_VALUES, ids=[v[1] for v in INVALID_VALUES]
)
def test_invalid_value_committed_by_hand_is_refused_by_every_reader(
    support_repo: Path,
    cli: Any,
    old: str,
    new_value: str,
    line: int,
    message: str,
) -> None:
    for i in range(3):
        new(cli, f"Ticket {i + 1}")
    t3 = "data/tickets/0000/SUP-3.yaml"
    text = (support_repo / t3).read_text(encoding="utf-8")
    assert old in text
    (support_repo / t3).write_text(text.replace(old, new_value, 1), encoding="utf-8")
    git(support_repo, "commit", "-qam", "SUP-3 edited by hand")
    before = snapshot(support_repo)
    expected = f"supportctl: error: SUP-3: {message}; run supportctl validate\n"
    for args in (
        ["show", "SUP-3"],
        ["start", "SUP-3"],
        ["comment", "SUP-3", "hi"],
        ["sla", "show", "SUP-3"],
        ["sla", "status"],
        ["sla", "check", "--month", "2026-10"],
        ["report", "--month", "2026-10"],
        ["similar", "SUP-1"],
        ["backlog"],
        ["devtask", "SUP-1"],
    ):
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (7, "", expected), args
    assert snapshot(support_repo) == before
    # a listing goes on without it, saying why (as for an unreadable file)
    r = ok(cli("list", "--json"))
    assert [row["id"] for row in json.loads(r.stdout)] == ["SUP-1", "SUP-2"]
    assert r.stderr == f"supportctl: skipped SUP-3: {message}; run supportctl validate\n"
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == f"{t3}:{line}: {message.replace('invalid', 'unknown', 1)}\n"
    ok(cli("show", "SUP-2"))


def test_a_customer_the_committed_configuration_does_not_know_is_refused_by_every_reader(
    support_repo: Path,
    cli: Any,
) -> None:
    # a hand-typed `customer: acmee` (or a customer dropped from supportctl.yaml) had its SLA
    # computed with no plan: `sla check --min 95` passed with n/a, the report billed nothing
    for i in range(3):
        new(cli, f"Ticket {i + 1}")
    t3 = "data/tickets/0000/SUP-3.yaml"
    text = (support_repo / t3).read_text(encoding="utf-8")
    (support_repo / t3).write_text(
        text.replace("customer: acme", "customer: acmee", 1), encoding="utf-8"
    )
    git(support_repo, "commit", "-qam", "SUP-3 edited by hand")
    expected = (
        "supportctl: error: SUP-3: invalid customer 'acmee' (expected one of acme, "
        "globex); run supportctl validate\n"
    )
    for args in (
        ["show", "SUP-3"],
        ["comment", "SUP-3", "hi"],
        ["sla", "show", "SUP-3"],
        ["sla", "check", "--month", "2026-10", "--min", "95"],
        ["report", "--month", "2026-10"],
    ):
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (7, "", expected), args
    r = ok(cli("list", "--json"))
    assert [row["id"] for row in json.loads(r.stdout)] == ["SUP-1", "SUP-2"]
    assert r.stderr == expected.replace("error:", "skipped", 1)
    r = cli("validate")
    assert (r.exit_code, r.stdout) == (9, f"{t3}:3: unknown customer 'acmee'\n")


# -- the user's own changes are never swept into a commit ------------------------------------
def test_unrelated_staged_and_unstaged_changes_stay(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    (root / "notes.txt").write_text("my notes\n", encoding="utf-8")
    git(root, "add", "notes.txt")
    config = (root / "supportctl.yaml").read_text(encoding="utf-8") + "# a local tweak\n"
    (root / "supportctl.yaml").write_text(config, encoding="utf-8")
    t2 = (root / T2).read_text(encoding="utf-8").replace("priority: normal", "priority: low")
    (root / T2).write_text(t2, encoding="utf-8")
    git(root, "add", T2)
    (root / "scratch.tmp").write_text("untracked\n", encoding="utf-8")
    status = git(root, "status", "--porcelain")
    assert status == (
        "M  data/tickets/0000/SUP-2.yaml\nA  notes.txt\n M supportctl.yaml\n?? scratch.tmp\n"
    )
    staged_diff = git(root, "diff", "--cached")

    ok(cli("comment", "SUP-1", "We are on it"))
    assert touched(root) == [T1]
    ok(cli("log", "SUP-1", "-m", "30"))
    assert touched(root) == [WORKLOG]
    assert new(cli, "Third") == "SUP-3"
    assert touched(root) == ["data/tickets/0000/SUP-3.yaml"]

    assert git(root, "status", "--porcelain") == status
    assert git(root, "diff", "--cached") == staged_diff
    assert (root / "supportctl.yaml").read_text(encoding="utf-8") == config
    assert (root / "notes.txt").read_text(encoding="utf-8") == "my notes\n"
    assert "notes.txt" not in git(root, "ls-tree", "-r", "--name-only", "HEAD")


@pytest.mark.parametrize("stage", [False, True], ids=["unstaged", "staged"])
def test_dirty_ticket_file_refuses_action(two_tickets: Path, cli: Any, stage: bool) -> None:
    root = two_tickets
    edited = (root / T1).read_text(encoding="utf-8").replace("priority: high", "priority: low")
    (root / T1).write_text(edited, encoding="utf-8")
    if stage:
        git(root, "add", T1)
    before = snapshot(root)
    refused(
        root,
        before,
        cli("comment", "SUP-1", "hi"),
        8,
        f"{T1} has uncommitted changes; commit them, or drop them with "
        f"`git restore --staged --worktree -- {T1}`",
    )
    assert (root / T1).read_text(encoding="utf-8") == edited
    # Other tickets are still fine.
    ok(cli("comment", "SUP-2", "hi"))
    assert touched(root) == [T2]


def test_dirty_worklog_file_refuses_log(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    ok(cli("log", "SUP-1", "-m", "10"))
    (root / WORKLOG).write_text(
        (root / WORKLOG).read_text(encoding="utf-8") + "# mine\n", encoding="utf-8"
    )
    before = snapshot(root)
    r = cli("log", "SUP-1", "-m", "10")
    assert r.exit_code == 8
    assert r.stderr.startswith(f"supportctl: error: {WORKLOG} has uncommitted changes")
    assert snapshot(root) == before


def test_missing_identity_refused(
    two_tickets: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ):
        monkeypatch.delenv(var, raising=False)
    before = snapshot(two_tickets)
    message = "no git identity: run `git config user.name NAME` and `git config user.email EMAIL`"
    refused(two_tickets, before, cli("comment", "SUP-1", "hi"), 8, message)
    refused(
        two_tickets,
        before,
        cli("new", "T", "-c", "acme", "-t", "incident", "-p", "low"),
        8,
        message,
    )
    refused(two_tickets, before, cli("log", "SUP-1", "-m", "5"), 8, message)
    assert not (two_tickets / "data/tickets/0000/SUP-3.yaml").exists()
    # With an identity in the repo's config it works again.
    git(two_tickets, "config", "user.name", "Boris Petrenko")
    git(two_tickets, "config", "user.email", "boris@support.example")
    ok(cli("comment", "SUP-1", "hi"))
    assert git(two_tickets, "log", "-1", "--format=%an <%ae>").strip() == (
        "Boris Petrenko <boris@support.example>"
    )
    assert load(two_tickets, T1)["comments"][-1]["author"] == "boris"


def test_merge_in_progress_refuses_actions(two_tickets: Path, cli: Any) -> None:
    root = two_tickets
    git(root, "checkout", "-qb", "other")
    (root / "conflict.txt").write_text("theirs\n", encoding="utf-8")
    git(root, "add", "conflict.txt")
    git(root, "commit", "-qm", "theirs")
    git(root, "checkout", "-q", "-")
    (root / "conflict.txt").write_text("ours\n", encoding="utf-8")
    git(root, "add", "conflict.txt")
    git(root, "commit", "-qm", "ours")
    failed = subprocess.run(["git", "merge", "other"], cwd=root, capture_output=True, check=False)
    assert failed.returncode != 0
    before = snapshot(root)
    r = cli("comment", "SUP-1", "hi")
    assert r.exit_code == 8
    assert r.stderr == (
        f"supportctl: error: a merge is in progress in {root}; finish or abort it first\n"
    )
    assert snapshot(root) == before


# -- finding the repo ---------------------------------------------------------------------
def test_commands_work_from_a_subfolder(
    support_repo: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(support_repo / "data" / "kb")
    assert new(cli, "From the KB folder") == "SUP-1"
    assert (support_repo / T1).is_file()
    assert touched(support_repo) == [T1]
    ok(cli("comment", "SUP-1", "hi"))
    assert ids(cli) == ["SUP-1"]


def test_repo_option_and_env_from_outside(
    support_repo: Path, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    r = ok(
        cli(
            "--repo",
            str(support_repo),
            "new",
            "Via --repo",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "low",
        )
    )
    assert r.stdout == "SUP-1\n"
    r = ok(
        cli(
            "new",
            "Via env",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "low",
            env={"SUPPORTCTL_REPO": str(support_repo)},
        )
    )
    assert r.stdout == "SUP-2\n"
    assert touched(support_repo) == [T2]
    r = ok(cli("list", "--json", env={"SUPPORTCTL_REPO": str(support_repo)}))
    assert [row["title"] for row in json.loads(r.stdout)] == ["Via --repo", "Via env"]
    assert list(outside.iterdir()) == []


def test_outside_a_support_repo_exits_3(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "nowhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    r = cli("list")
    assert r.exit_code == 3
    assert r.stderr == (
        f"supportctl: error: {outside}: not inside a support repo "
        "(no supportctl.yaml; see `supportctl init`)\n"
    )
    r = cli("--repo", str(outside), "new", "T", "-c", "acme", "-t", "incident", "-p", "low")
    assert r.exit_code == 3
    assert r.stderr.startswith(f"supportctl: error: {outside}: no supportctl.yaml here")
    # A plain git repo without supportctl.yaml is not a support repo either.
    git(outside, "init", "-q")
    (outside / "sub").mkdir()
    monkeypatch.chdir(outside / "sub")
    assert cli("show", "SUP-1").exit_code == 3


# -- IDs across shards --------------------------------------------------------------------
HAND_TICKET = """\
id: {id}
title: Made by hand
customer: acme
type: incident
priority: normal
channel: email
status: new
line: L1
assignee:
tags: []
created: '2026-10-01T10:00:00+03:00'
description: ''
"""


def test_ids_keep_increasing_across_shards(support_repo: Path, cli: Any) -> None:
    assert new(cli, "First") == "SUP-1"
    hand = support_repo / "data/tickets/0000/SUP-499.yaml"
    hand.write_text(HAND_TICKET.format(id="SUP-499"), encoding="utf-8")
    git(support_repo, "add", str(hand))
    git(support_repo, "commit", "-qm", "SUP-499 by hand")
    assert new(cli, "Into the next shard") == "SUP-500"
    assert touched(support_repo) == ["data/tickets/0001/SUP-500.yaml"]
    assert load(support_repo, "data/tickets/0001/SUP-500.yaml")["id"] == "SUP-500"
    assert new(cli, "And the next") == "SUP-501"
    ok(cli("comment", "SUP-500", "hi"))
    assert touched(support_repo) == ["data/tickets/0001/SUP-500.yaml"]
    assert ids(cli) == ["SUP-1", "SUP-499", "SUP-500", "SUP-501"]
    ok(cli("validate"))


def test_list_orders_ids_numerically(support_repo: Path, cli: Any) -> None:
    (support_repo / "data/tickets/0000").mkdir()
    for n in (10, 2):
        f = support_repo / f"data/tickets/0000/SUP-{n}.yaml"
        f.write_text(HAND_TICKET.format(id=f"SUP-{n}"), encoding="utf-8")
    git(support_repo, "add", "data")
    git(support_repo, "commit", "-qm", "hand tickets")
    assert new(cli, "Next") == "SUP-11"
    assert ids(cli) == ["SUP-2", "SUP-10", "SUP-11"]
    assert ids(cli, "--reverse") == ["SUP-11", "SUP-10", "SUP-2"]


def test_uncommitted_ticket_file_blocks_its_id(support_repo: Path, cli: Any) -> None:
    stray = support_repo / T1
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text(HAND_TICKET.format(id="SUP-1"), encoding="utf-8")
    # The stray file counts for numbering, so its ID is not handed out twice.
    assert new(cli, "Next") == "SUP-2"
    assert touched(support_repo) == [T2]
    assert git(support_repo, "status", "--porcelain") == f"?? {T1}\n"


def test_env_is_isolated() -> None:
    assert os.environ["GIT_AUTHOR_DATE"] == FIXED_DATE
