"""supportctl.storage.git, the only module that talks to git: real repositories, no mocks."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage.git import Identity, Repo, git_time, parse_git_time, run_git
from supportctl.storage.transaction import commit_files
from tests.helpers import git

FIXED_DATE = "2026-10-05T10:00:00+03:00"
MSK = timezone(timedelta(hours=3))


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def anna(when: datetime | None = None) -> Identity:
    return Identity(
        "Anna Smirnova", "anna@support.example", when or datetime(2026, 10, 5, 10, 0, tzinfo=MSK)
    )


def test_not_a_git_repo(tmp_path: Path) -> None:
    with pytest.raises(GitError) as info:
        Repo(tmp_path)
    assert info.value.message == f"{tmp_path}: not a git repository (run `supportctl init`)"
    assert info.value.exit_code == 8


def test_empty_repo_reads(empty: Path) -> None:
    repo = Repo(empty)
    assert repo.head() is None
    assert repo.rev("HEAD") is None
    assert repo.ls_tree("data") == []
    assert repo.file_at("HEAD", "x") is None
    assert list(repo.log()) == []
    assert repo.operation_in_progress() is None


def test_identity_from_env_and_at(empty: Path) -> None:
    repo = Repo(empty)
    ident = repo.identity()
    assert (ident.name, ident.email) == ("Anna Smirnova", "anna@support.example")
    assert ident.when.isoformat() == FIXED_DATE
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert repo.identity(at).when == at


def test_identity_from_repo_config(empty: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ):
        monkeypatch.delenv(var, raising=False)
    repo = Repo(empty)
    with pytest.raises(GitError) as info:
        repo.identity()
    assert "user.name" in info.value.message
    assert "user.email" in info.value.message
    git(empty, "config", "user.name", "Boris Petrenko")
    with pytest.raises(GitError, match="no git identity"):
        repo.identity()  # a name alone is not enough: git must not guess the email
    git(empty, "config", "user.email", "boris@support.example")
    ident = repo.identity()
    assert (ident.name, ident.email) == ("Boris Petrenko", "boris@support.example")


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(hours=3),
        timedelta(hours=-3, minutes=-30),
        timedelta(hours=5, minutes=45),
        timedelta(0),
    ],
)
def test_git_time_round_trip(offset: timedelta) -> None:
    when = datetime(2026, 3, 29, 1, 59, 59, tzinfo=timezone(offset))
    seconds, off = git_time(when).split()
    back = parse_git_time(seconds, off)
    assert back == when
    assert back.utcoffset() == offset


def test_dirty_sees_staged_unstaged_and_untracked(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1", "b": b"1", "c": b"1"}, "base\n", author=anna(), expect_head=None)
    (empty / "a").write_text("2", encoding="utf-8")
    (empty / "b").write_text("2", encoding="utf-8")
    git(empty, "add", "b")
    (empty / "new").write_text("n", encoding="utf-8")
    assert sorted(repo.dirty(["a", "b", "c", "new", "missing"])) == ["a", "b", "new"]
    assert repo.dirty(["c"]) == []
    assert repo.dirty([]) == []


def test_log_streams_trailers_and_changes(empty: Path) -> None:
    repo = Repo(empty)
    c1 = commit_files(
        repo,
        {"data/t/SUP-1.yaml": b"status: new\n", "other.txt": b"o"},
        "SUP-1: new\n\nTicket: SUP-1\nAction: new\nTo-Status: new\n",
        author=anna(datetime(2026, 10, 4, 9, 0, tzinfo=MSK)),
        expect_head=None,
    )
    (empty / "data/t/SUP-1.yaml").write_text("status: in_progress\n", encoding="utf-8")
    git(empty, "commit", "-qam", "hand edit\n\nno trailers here")
    c2 = repo.head()
    commit_files(repo, {"other.txt": b"p"}, "outside data\n", author=anna(), expect_head=c2)
    commits = list(repo.log())
    assert [c.sha for c in commits] == [c1, c2]
    first, second = commits
    assert first.subject == "SUP-1: new"
    assert first.trailers == (("Ticket", "SUP-1"), ("Action", "new"), ("To-Status", "new"))
    assert first.author_time == datetime(2026, 10, 4, 9, 0, tzinfo=MSK)
    assert first.committer_time.isoformat() == FIXED_DATE
    assert first.author_email == "anna@support.example"
    assert first.parents == ()
    assert [(p, old) for p, old, _ in first.changes] == [("data/t/SUP-1.yaml", "0" * 40)]
    assert second.trailers == ()
    assert second.parents == (c1,)
    ((path, old, new),) = second.changes
    assert path == "data/t/SUP-1.yaml"
    assert repo.blob(old) == b"status: new\n"
    assert repo.blob(new) == b"status: in_progress\n"


def test_operation_in_progress_after_a_real_conflict(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"f": b"base\n"}, "base\n", author=anna(), expect_head=None)
    git(empty, "checkout", "-qb", "side")
    (empty / "f").write_text("side\n", encoding="utf-8")
    git(empty, "commit", "-qam", "side")
    git(empty, "checkout", "-q", "-")
    (empty / "f").write_text("main\n", encoding="utf-8")
    git(empty, "commit", "-qam", "main")
    assert subprocess.run(
        ["git", "merge", "-q", "side"], cwd=empty, capture_output=True, check=False
    ).returncode
    assert repo.operation_in_progress() == "a merge"
    git(empty, "merge", "--abort")
    assert repo.operation_in_progress() is None
    assert subprocess.run(
        ["git", "rebase", "-q", "side"], cwd=empty, capture_output=True, check=False
    ).returncode
    assert repo.operation_in_progress() == "a rebase"
    git(empty, "rebase", "--abort")
    assert repo.operation_in_progress() is None


def test_uncommitted_names_every_changed_path_under_a_folder_and_takes_no_lock(empty: Path) -> None:
    repo = Repo(empty)
    files = {f"d/{n}": b"1" for n in ("a", "b", "c", "old", "same")}
    commit_files(repo, {**files, "outside": b"1"}, "base\n", author=anna(), expect_head=None)
    (empty / "d/a").write_text("2", encoding="utf-8")
    (empty / "d/b").unlink()
    (empty / "d/c").write_text("2", encoding="utf-8")
    git(empty, "add", "d/c")
    git(empty, "mv", "d/old", "d/renamed")
    (empty / "d/new").write_text("n", encoding="utf-8")
    (empty / "outside").write_text("2", encoding="utf-8")
    (empty / ".git/index.lock").write_text("", encoding="utf-8")  # a writer holds the index
    assert repo.uncommitted("d") == {
        "d/a": " M",
        "d/b": " D",
        "d/c": "M ",
        "d/renamed": "R ",
        "d/old": "D ",
        "d/new": "??",
    }
    (empty / ".git/index.lock").unlink()


# -- the process runner ---------------------------------------------------------------------
def test_a_failing_git_command_is_a_one_line_git_error(empty: Path) -> None:
    with pytest.raises(GitError) as info:
        run_git(empty, "rev-parse", "--verify", "no-such-branch")
    assert info.value.message == "git rev-parse failed: fatal: Needed a single revision"
    assert info.value.exit_code == 8


def test_a_failing_stream_is_a_git_error_too(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1"}, "one\n", author=anna(), expect_head=None)
    with pytest.raises(GitError) as info:
        list(repo.log("no-such-branch"))
    assert info.value.message == "git log failed: fatal: bad revision 'no-such-branch'"


def test_git_speaks_english_whatever_the_locale(
    empty: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git's translations are installed here: without the pinned locale this one is German
    monkeypatch.setenv("LANGUAGE", "de")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    with pytest.raises(GitError) as info:
        run_git(empty, "rev-parse", "--verify", "no-such-branch")
    assert info.value.message == "git rev-parse failed: fatal: Needed a single revision"


def test_the_users_git_config_does_not_change_what_is_read(
    empty: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "user.gitconfig"
    config.write_text(
        "[log]\n\tshowRoot = false\n[color]\n\tui = always\n"
        "[i18n]\n\tlogOutputEncoding = ISO-8859-1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    repo = Repo(empty)
    müller = Identity("Jörg Müller", "jm@support.example", anna().when)
    sha = commit_files(repo, {"data/t.yaml": b"v: 1\n"}, "Grüße\n", author=müller, expect_head=None)
    ((commit),) = list(repo.log())
    assert commit.sha == sha
    assert commit.subject == "Grüße"
    assert commit.author_name == "Jörg Müller"
    assert [path for path, _, _ in commit.changes] == ["data/t.yaml"]
    assert repo.subjects("HEAD") == ["Grüße"]


def test_a_git_that_hangs_is_stopped(empty: Path) -> None:
    git(empty, "config", "alias.hang", "!sleep 3")
    started = time.monotonic()
    with pytest.raises(GitError) as info:
        run_git(empty, "hang", timeout=0.5)
    assert info.value.message == "git hang did not finish within 0.5 s; it was stopped"
    assert time.monotonic() - started < 2.5


def test_no_git_on_path_is_a_git_error(
    empty: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GitError) as info:
        run_git(empty, "status")
    assert info.value.message == "git is not installed (no `git` on PATH)"


def test_named_reads_on_a_small_history(empty: Path) -> None:
    repo = Repo(empty)
    first = commit_files(
        repo,
        {"data/tickets/0000/SUP-1.yaml": b"a\n", "data/tickets/0000/SUP-2.yaml": b"b\n"},
        "SUP-1: new\n\nAction: rename\n",
        author=anna(),
        expect_head=None,
    )
    second = commit_files(
        repo,
        {"data/tickets/0000/SUP-2.yaml": None},
        "SUP-2: drop\n\nAction: delete\nAction: Rename\n",
        author=anna(),
        expect_head=first,
    )
    assert repo.subjects(f"{first}..{second}") == ["SUP-2: drop"]
    assert repo.subjects("HEAD") == ["SUP-1: new", "SUP-2: drop"]
    assert repo.trailer_values([second, first], "Action") == {
        second: ["delete", "Rename"],
        first: ["rename"],
    }
    assert repo.deleted_paths("HEAD", ["data/tickets"]) == ["data/tickets/0000/SUP-2.yaml"]
    assert repo.deleted_paths(first, ["data/tickets"]) == []
    assert repo.names_in("HEAD", "data/tickets/") == ["data/tickets/0000"]
    assert repo.hooks_dir() == empty / ".git" / "hooks"
    git(empty, "config", "core.hooksPath", "/srv/hooks")
    assert repo.hooks_dir().as_posix() == "/srv/hooks"


def test_a_reader_that_stops_early_stops_git(empty: Path) -> None:
    # two commits of 3000 files each: far more `--raw` output than a pipe holds, so the git
    # behind the stream is still writing when the reader stops after the first commit
    for round_ in ("1", "2"):
        blob = (
            subprocess.run(
                ["git", "hash-object", "-w", "--stdin"],
                cwd=empty,
                input=round_.encode(),
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )
        entries = "".join(f"100644 {blob}\tdata/{n:04d}\n" for n in range(3000))
        subprocess.run(
            ["git", "update-index", "--index-info"], cwd=empty, input=entries.encode(), check=True
        )
        git(empty, "commit", "-qm", f"round {round_}")
    stream = Repo(empty).log(newest_first=True)
    assert next(stream).subject == "round 2"
    closing = threading.Thread(target=stream.close, daemon=True)
    closing.start()
    closing.join(10)
    assert not closing.is_alive()
    assert _git_children("log") == []


def _git_children(sub: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        parent = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        if parent == str(os.getpid()) and sub.encode() in argv:
            found.append(int(entry.name))
    return found
