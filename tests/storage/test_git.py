"""supportctl.storage.git, the only module that talks to git: real repositories, no mocks."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage.git import Identity, Repo, git_time, parse_git_time
from tests.helpers import git

if TYPE_CHECKING:
    from pathlib import Path

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


def test_first_commit_has_exactly_the_files(empty: Path) -> None:
    repo = Repo(empty)
    (empty / "unrelated.txt").write_text("mine\n", encoding="utf-8")
    sha = repo.commit(
        {"data/a.yaml": b"a: 1\n", "data/sub/b.yaml": "б: 2\n".encode()},
        "First\n\nAction: test\n",
        author=anna(),
        expect_head=None,
    )
    assert repo.head() == sha
    assert git(empty, "show", "--name-only", "--format=", "HEAD").split() == [
        "data/a.yaml",
        "data/sub/b.yaml",
    ]
    assert git(empty, "rev-list", "--count", "HEAD") == "1\n"
    assert (empty / "data/sub/b.yaml").read_text(encoding="utf-8") == "б: 2\n"
    assert git(empty, "status", "--porcelain") == "?? unrelated.txt\n"
    assert repo.file_at("HEAD", "data/a.yaml") == b"a: 1\n"
    assert sorted(p for p, _ in repo.ls_tree("data")) == ["data/a.yaml", "data/sub/b.yaml"]
    assert not list((empty / ".git" / "supportctl").glob("index.*"))


def test_commit_dates_identity_and_message(empty: Path) -> None:
    repo = Repo(empty)
    back = datetime(2026, 10, 4, 9, 0, tzinfo=MSK)
    repo.commit(
        {"f": b"x"},
        "Subject line\n\nTicket: SUP-1\nAction: comment\n",
        author=anna(back),
        expect_head=None,
    )
    fmt = "%an|%ae|%aI|%cn|%ce|%cI|%s|%(trailers:only,unfold)"
    assert git(empty, "log", "-1", f"--format={fmt}").rstrip("\n") == (
        "Anna Smirnova|anna@support.example|2026-10-04T09:00:00+03:00|Anna Smirnova|"
        f"anna@support.example|{FIXED_DATE}|Subject line|Ticket: SUP-1\nAction: comment"
    )


def test_commit_keeps_user_index_and_work_tree(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit(
        {"data/t.yaml": b"v: 1\n", "notes.txt": b"n\n"}, "base\n", author=anna(), expect_head=None
    )
    (empty / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(empty, "add", "staged.txt")
    (empty / "notes.txt").write_text("edited, unstaged\n", encoding="utf-8")
    before = git(empty, "status", "--porcelain")
    repo.commit({"data/t.yaml": b"v: 2\n"}, "change\n", author=anna(), expect_head=repo.head())
    assert git(empty, "show", "--name-only", "--format=", "HEAD").split() == ["data/t.yaml"]
    assert before == " M notes.txt\nA  staged.txt\n"
    assert git(empty, "status", "--porcelain") == before
    assert git(empty, "diff", "--cached", "--name-only") == "staged.txt\n"
    assert (empty / "notes.txt").read_text(encoding="utf-8") == "edited, unstaged\n"
    assert (empty / "data/t.yaml").read_bytes() == b"v: 2\n"


def test_commit_none_deletes(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit({"a": b"1", "b": b"2"}, "two\n", author=anna(), expect_head=None)
    repo.commit({"a": None}, "drop a\n", author=anna(), expect_head=repo.head())
    assert git(empty, "ls-tree", "-r", "--name-only", "HEAD").split() == ["b"]
    assert not (empty / "a").exists()
    assert git(empty, "status", "--porcelain") == ""


def test_commit_refuses_when_head_moved(empty: Path) -> None:
    repo = Repo(empty)
    first = repo.commit({"a": b"1"}, "one\n", author=anna(), expect_head=None)
    repo.commit({"a": b"2"}, "two\n", author=anna(), expect_head=first)
    second = repo.head()
    with pytest.raises(GitError, match="HEAD moved while the action was prepared"):
        repo.commit({"a": b"3"}, "three\n", author=anna(), expect_head=first)
    assert repo.head() == second
    assert (empty / "a").read_bytes() == b"2"


def test_commit_waits_for_a_held_index_lock(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit({"a": b"1"}, "one\n", author=anna(), expect_head=None)
    lock = empty / ".git" / "index.lock"
    lock.write_text("", encoding="utf-8")
    timer = threading.Timer(0.3, lock.unlink)
    timer.start()
    try:
        repo.commit({"a": b"2"}, "two\n", author=anna(), expect_head=repo.head())
    finally:
        timer.join()
    assert git(empty, "status", "--porcelain") == ""
    assert git(empty, "show", "HEAD:a") == "2"


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
    repo.commit({"a": b"1", "b": b"1", "c": b"1"}, "base\n", author=anna(), expect_head=None)
    (empty / "a").write_text("2", encoding="utf-8")
    (empty / "b").write_text("2", encoding="utf-8")
    git(empty, "add", "b")
    (empty / "new").write_text("n", encoding="utf-8")
    assert sorted(repo.dirty(["a", "b", "c", "new", "missing"])) == ["a", "b", "new"]
    assert repo.dirty(["c"]) == []
    assert repo.dirty([]) == []


def test_log_streams_trailers_and_changes(empty: Path) -> None:
    repo = Repo(empty)
    c1 = repo.commit(
        {"data/t/SUP-1.yaml": b"status: new\n", "other.txt": b"o"},
        "SUP-1: new\n\nTicket: SUP-1\nAction: new\nTo-Status: new\n",
        author=anna(datetime(2026, 10, 4, 9, 0, tzinfo=MSK)),
        expect_head=None,
    )
    (empty / "data/t/SUP-1.yaml").write_text("status: in_progress\n", encoding="utf-8")
    git(empty, "commit", "-qam", "hand edit\n\nno trailers here")
    c2 = repo.head()
    repo.commit({"other.txt": b"p"}, "outside data\n", author=anna(), expect_head=c2)
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
    repo.commit({"f": b"base\n"}, "base\n", author=anna(), expect_head=None)
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


def test_lock_recovers_an_interrupted_action(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit({"data/a": b"old"}, "one\n", author=anna(), expect_head=None)
    repo.commit({"data/a": b"new"}, "two\n", author=anna(), expect_head=repo.head())
    # Simulate a crash after update-ref but before the work tree was written.
    blob = git(empty, "rev-parse", "HEAD:data/a").strip()
    (empty / "data" / "a").write_bytes(b"old")
    journal = repo.state_dir / "journal.json"
    journal.write_text(json.dumps({"old": None, "new": repo.head(), "files": {"data/a": blob}}))
    with repo.lock():
        pass
    assert (empty / "data" / "a").read_bytes() == b"new"
    assert not journal.exists()
    assert git(empty, "status", "--porcelain") == ""


def test_lock_drops_a_stale_journal(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit({"a": b"1"}, "one\n", author=anna(), expect_head=None)
    journal = repo.state_dir / "journal.json"
    journal.write_text(json.dumps({"old": None, "new": "f" * 40, "files": {"data/a": None}}))
    with repo.lock():
        pass
    assert not journal.exists()
    assert (empty / "a").read_bytes() == b"1"
    journal.write_text("{not json")
    with repo.lock():
        pass
    assert not journal.exists()


def test_lock_serialises_writers(empty: Path) -> None:
    repo = Repo(empty)
    repo.commit({"a": b"1"}, "one\n", author=anna(), expect_head=None)
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait(5)
        with Repo(empty).lock():
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with repo.lock():
        inside.set()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


def test_uncommitted_names_every_changed_path_under_a_folder_and_takes_no_lock(empty: Path) -> None:
    repo = Repo(empty)
    files = {f"d/{n}": b"1" for n in ("a", "b", "c", "old", "same")}
    repo.commit({**files, "outside": b"1"}, "base\n", author=anna(), expect_head=None)
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
