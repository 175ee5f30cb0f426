"""Symbolic links and forged state never make supportctl read or write outside the repo.

Real symlinks in real repos: committed ones, untracked ones, and a forged journal under
`.git/supportctl/`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.helpers import LINK_ADVICE, Cli, git

if TYPE_CHECKING:
    from pathlib import Path

T1 = "data/tickets/0000/SUP-1.yaml"


@pytest.fixture
def ticket(support_repo: Path, cli: Cli) -> Path:
    r = cli("new", "Server room too hot", "-c", "acme", "-t", "incident", "-p", "high")
    assert r.exit_code == 0, r.stderr
    return support_repo


# -- validate ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("data/tickets/0000/SUP-2.yaml", "secret.yaml"),
        ("data/worklogs/2026-10/anna.yaml", "secret.yaml"),
        ("data/worklogs/2026-11", "."),
        ("data/kb/notes.md", "secret.md"),
    ],
)
def test_validate_reports_a_committed_symlink_without_reading_it(
    ticket: Path, cli: Cli, outside: Path, link: str, target: str
) -> None:
    path = ticket / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside / target)
    git(ticket, "add", link)
    git(ticket, "commit", "-qm", "a link, committed by mistake or on purpose")
    r = cli("validate")
    assert r.exit_code == 9, (r.stdout, r.stderr)
    assert r.stdout == f"{link}:0: is a symbolic link; data files must be real files and folders\n"
    assert r.stderr == "supportctl: error: 1 problem(s) found\n"
    assert "TOPSECRET" not in r.stdout + r.stderr


# -- writing through an untracked symlink -------------------------------------------------------
def test_log_refuses_a_symlinked_month_folder_and_the_repo_stays_usable(
    ticket: Path, cli: Cli, outside: Path
) -> None:
    link = ticket / "data/worklogs/2026-10"
    link.symlink_to(outside, target_is_directory=True)
    head = git(ticket, "rev-parse", "HEAD")
    r = cli("log", "SUP-1", "--time", "30m", "--on", "2026-10-05")
    assert (r.exit_code, r.stderr) == (
        7,
        f"supportctl: error: data/worklogs/2026-10 {LINK_ADVICE}\n",
    )
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md", "secret.yaml", "victim.txt"]
    assert git(ticket, "rev-parse", "HEAD") == head
    assert not (ticket / ".git/supportctl/journal.json").exists()
    r = cli("list")  # not wedged: nothing for the next command to put right
    assert (r.exit_code, r.stderr) == (0, "")
    link.unlink()
    r = cli("log", "SUP-1", "--time", "30m", "--on", "2026-10-05")
    assert r.exit_code == 0, r.stderr
    assert (ticket / "data/worklogs/2026-10").is_dir()


def test_comment_refuses_a_ticket_file_replaced_by_a_symlink(
    ticket: Path, cli: Cli, outside: Path
) -> None:
    shard = ticket / "data/tickets/0000"
    shard.rename(ticket / "data/tickets/moved")
    shard.symlink_to(outside, target_is_directory=True)
    r = cli("comment", "SUP-1", "through the link?")
    assert r.exit_code == 7, r.stderr
    assert r.stderr == f"supportctl: error: data/tickets/0000 {LINK_ADVICE}\n"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md", "secret.yaml", "victim.txt"]


# -- a forged journal -------------------------------------------------------------------------------
def _forge(root: Path, files: dict[str, str | None]) -> Path:
    journal = root / ".git/supportctl/journal.json"
    journal.parent.mkdir(exist_ok=True)
    head = git(root, "rev-parse", "HEAD").strip()
    journal.write_text(json.dumps({"old": None, "new": head, "files": files}))
    return journal


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../outside/victim.txt", "it names '../outside/victim.txt', outside data/"),
        ("ABSOLUTE", "it names 'ABSOLUTE', outside data/"),
        (
            "data/../../outside/victim.txt",
            (
                "it names 'data/../../outside/victim.txt': 'data/../../outside/victim.txt' is not a path "
                "inside the repo"
            ),
        ),
        (
            "data/tickets/linked/victim.txt",
            (f"it names 'data/tickets/linked/victim.txt': data/tickets/linked {LINK_ADVICE}"),
        ),
        (".git/hooks/pre-commit", "it names '.git/hooks/pre-commit', outside data/"),
    ],
)
def test_a_forged_journal_is_refused_and_left_alone(
    ticket: Path, cli: Cli, outside: Path, name: str, why: str
) -> None:
    (ticket / "data/tickets/linked").symlink_to(outside, target_is_directory=True)
    name = name.replace("ABSOLUTE", str(outside / "victim.txt"))
    why = why.replace("ABSOLUTE", str(outside / "victim.txt"))
    blob = git(ticket, "rev-parse", f"HEAD:{T1}").strip()
    journal = _forge(ticket, {name: None, name.replace("victim", "planted"): blob})
    problem = (
        f"{journal}: {why}; supportctl did not write it, so it was left alone: look at it, "
        f"then remove it to continue"
    )
    r = cli("list")
    assert r.exit_code == 0
    assert "SUP-1" in r.stdout
    assert r.stderr == (
        f"supportctl: {problem} (commands that only read go on; commands that write stop)\n"
    )
    r = cli("comment", "SUP-1", "not now")
    assert (r.exit_code, r.stderr) == (8, f"supportctl: error: {problem}\n")
    assert (outside / "victim.txt").read_text() == "keep me\n"
    assert not (outside / "planted.txt").exists()
    assert not (ticket / ".git/hooks/pre-commit").exists()
    assert not (ticket / ".git/hooks/planted").exists()
    assert journal.exists()
    journal.unlink()
    assert cli("comment", "SUP-1", "now").exit_code == 0


def test_a_symlinked_lock_or_journal_is_not_followed(ticket: Path, cli: Cli, outside: Path) -> None:
    state = ticket / ".git/supportctl"
    lock = state / "lock"
    lock.unlink()
    lock.symlink_to(outside / "victim.txt")
    r = cli("comment", "SUP-1", "hello")
    assert (r.exit_code, r.stderr) == (
        8,
        f"supportctl: error: {lock} is a symbolic link; supportctl does not follow it: remove it\n",
    )
    assert (outside / "victim.txt").read_text() == "keep me\n"
    lock.unlink()
    journal = state / "journal.json"
    (outside / "journal.json").write_text(
        json.dumps({"old": None, "new": git(ticket, "rev-parse", "HEAD").strip(), "files": {}})
    )
    journal.symlink_to(outside / "journal.json")
    r = cli("list")
    assert r.exit_code == 0
    assert r.stderr == (
        f"supportctl: {journal} is a symbolic link; supportctl does not follow it: "
        f"remove it (commands that only read go on; commands that write stop)\n"
    )
    assert (outside / "journal.json").exists()
    assert journal.is_symlink()


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("show", "SUP-1"),
        ("sla", "status"),
        ("kb", "search", "x"),
        ("validate",),
        ("comment", "SUP-1", "hello"),
    ],
)
def test_a_symlinked_state_folder_is_refused_by_every_command(
    ticket: Path, cli: Cli, outside: Path, args: tuple[str, ...]
) -> None:
    # Read-only commands write caches (cache.sqlite, events, ids) in .git/supportctl/ too; a
    # symlink there made `list` create them in the folder it points to.
    state = ticket / ".git/supportctl"
    state.rename(ticket / ".git/supportctl.real")
    state.symlink_to(outside)
    before = sorted(p.name for p in outside.iterdir())
    r = cli(*args)
    assert (r.exit_code, r.stderr) == (
        8,
        f"supportctl: error: {state} is a symbolic link; remove it (it holds only caches)\n",
    )
    assert sorted(p.name for p in outside.iterdir()) == before


def test_a_symlinked_configuration_is_never_read(ticket: Path, cli: Cli, outside: Path) -> None:
    # Its target's text would otherwise reach CI logs through a mistake's message.
    (outside / "config.yaml").write_text("TOPSECRET: [TOPSECRET]\n")
    config = ticket / "supportctl.yaml"
    config.unlink()
    config.symlink_to(outside / "config.yaml")
    message = (
        "supportctl.yaml: is a symbolic link; supportctl does not read it (replace it with "
        "the file itself)"
    )
    r = cli("validate")
    assert (r.exit_code, r.stdout) == (9, f"supportctl.yaml:0: {message.split(': ', 1)[1]}\n")
    for args in (("list",), ("show", "SUP-1"), ("comment", "SUP-1", "hi")):
        r = cli(*args)
        assert (r.exit_code, r.stderr) == (4, f"supportctl: error: {message}\n"), args
        assert "TOPSECRET" not in r.output
