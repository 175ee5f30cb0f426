"""supportctl.storage.transaction: one action = one commit, the lock, and recovery after
a kill. Real repositories and real processes killed with SIGKILL, no mocks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage.git import Identity, Repo, take_notices
from supportctl.storage.transaction import (
    TRAILER_TEXT,
    Change,
    commit_files,
    commit_message,
    lock,
    short,
    transaction,
)

if TYPE_CHECKING:
    from pathlib import Path
from tests.helpers import FIXED_DATE, git

MSK = timezone(timedelta(hours=3))
CHECK = "; check `git status` and `git log -1` if in doubt"


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


def test_first_commit_has_exactly_the_files(empty: Path) -> None:
    repo = Repo(empty)
    (empty / "unrelated.txt").write_text("mine\n", encoding="utf-8")
    sha = commit_files(
        repo,
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
    commit_files(
        repo,
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
    commit_files(
        repo,
        {"data/t.yaml": b"v: 1\n", "notes.txt": b"n\n"},
        "base\n",
        author=anna(),
        expect_head=None,
    )
    (empty / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(empty, "add", "staged.txt")
    (empty / "notes.txt").write_text("edited, unstaged\n", encoding="utf-8")
    before = git(empty, "status", "--porcelain")
    commit_files(
        repo, {"data/t.yaml": b"v: 2\n"}, "change\n", author=anna(), expect_head=repo.head()
    )
    assert git(empty, "show", "--name-only", "--format=", "HEAD").split() == ["data/t.yaml"]
    assert before == " M notes.txt\nA  staged.txt\n"
    assert git(empty, "status", "--porcelain") == before
    assert git(empty, "diff", "--cached", "--name-only") == "staged.txt\n"
    assert (empty / "notes.txt").read_text(encoding="utf-8") == "edited, unstaged\n"
    assert (empty / "data/t.yaml").read_bytes() == b"v: 2\n"


def test_commit_none_deletes(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1", "b": b"2"}, "two\n", author=anna(), expect_head=None)
    commit_files(repo, {"a": None}, "drop a\n", author=anna(), expect_head=repo.head())
    assert git(empty, "ls-tree", "-r", "--name-only", "HEAD").split() == ["b"]
    assert not (empty / "a").exists()
    assert git(empty, "status", "--porcelain") == ""


def test_commit_refuses_when_head_moved(empty: Path) -> None:
    repo = Repo(empty)
    first = commit_files(repo, {"a": b"1"}, "one\n", author=anna(), expect_head=None)
    commit_files(repo, {"a": b"2"}, "two\n", author=anna(), expect_head=first)
    second = repo.head()
    with pytest.raises(GitError, match="HEAD moved while the action was prepared"):
        commit_files(repo, {"a": b"3"}, "three\n", author=anna(), expect_head=first)
    assert repo.head() == second
    assert (empty / "a").read_bytes() == b"2"


def test_commit_waits_for_a_held_index_lock(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1"}, "one\n", author=anna(), expect_head=None)
    lock = empty / ".git" / "index.lock"
    lock.write_text("", encoding="utf-8")
    timer = threading.Timer(0.3, lock.unlink)
    timer.start()
    try:
        commit_files(repo, {"a": b"2"}, "two\n", author=anna(), expect_head=repo.head())
    finally:
        timer.join()
    assert git(empty, "status", "--porcelain") == ""
    assert git(empty, "show", "HEAD:a") == "2"


def test_lock_recovers_an_interrupted_action(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"data/a": b"old"}, "one\n", author=anna(), expect_head=None)
    commit_files(repo, {"data/a": b"new"}, "two\n", author=anna(), expect_head=repo.head())
    # Simulate a crash after update-ref but before the work tree was written.
    blob = git(empty, "rev-parse", "HEAD:data/a").strip()
    (empty / "data" / "a").write_bytes(b"old")
    journal = repo.state_dir / "journal.json"
    journal.write_text(json.dumps({"old": None, "new": repo.head(), "files": {"data/a": blob}}))
    with lock(repo):
        pass
    assert (empty / "data" / "a").read_bytes() == b"new"
    assert not journal.exists()
    assert git(empty, "status", "--porcelain") == ""


def test_lock_drops_a_stale_journal(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1"}, "one\n", author=anna(), expect_head=None)
    journal = repo.state_dir / "journal.json"
    journal.write_text(json.dumps({"old": None, "new": "f" * 40, "files": {"data/a": None}}))
    with lock(repo):
        pass
    assert not journal.exists()
    assert (empty / "a").read_bytes() == b"1"
    journal.write_text("{not json")
    with lock(repo):
        pass
    assert not journal.exists()


def test_lock_serialises_writers(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"a": b"1"}, "one\n", author=anna(), expect_head=None)
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        inside.wait(5)
        with lock(Repo(empty)):
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with lock(repo):
        inside.set()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


# -- one action, one commit -------------------------------------------------------------------
def test_one_action_is_one_commit_with_its_trailers(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"data/t.yaml": b"v: 1\n"}, "base\n", author=anna(), expect_head=None)
    before = repo.head()
    (empty / "mine.txt").write_text("unrelated\n", encoding="utf-8")
    with transaction(repo) as tx:
        assert tx.head == before
        sha = tx.commit(
            Change(
                "SUP-1: comment",
                [("Ticket", "SUP-1"), ("Action", "comment")],
                {"data/t.yaml": b"v: 2\n", "data/w.yaml": b"- 1\n"},
            )
        )
    assert repo.head() == sha
    assert git(empty, "rev-list", "--count", f"{before}..HEAD") == "1\n"
    assert git(empty, "log", "-1", "--format=%B") == (
        "SUP-1: comment\n\nTicket: SUP-1\nAction: comment\n\n"
    )
    assert git(empty, "log", "-1", "--format=%an <%ae> %aI") == (
        f"Anna Smirnova <anna@support.example> {FIXED_DATE}\n"
    )
    assert git(empty, "show", "--name-only", "--format=", "HEAD").split() == [
        "data/t.yaml",
        "data/w.yaml",
    ]
    assert git(empty, "status", "--porcelain") == "?? mine.txt\n"
    assert git(empty, "reflog", "-1", "--format=%gs") == "supportctl: SUP-1: comment\n"


def test_a_back_dated_action_is_authored_then(empty: Path) -> None:
    at = datetime(2026, 10, 1, 8, 30, tzinfo=MSK)
    with transaction(Repo(empty), at=at) as tx:
        tx.commit(Change("first", [("Action", "test")], {"data/a": b"1"}))
    assert (
        git(empty, "log", "-1", "--format=%aI|%cI") == f"2026-10-01T08:30:00+03:00|{FIXED_DATE}\n"
    )


def test_a_replayed_commit_keeps_its_author_and_committer_until_head_moves(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"data/a": b"1"}, "base\n", author=anna(), expect_head=None)
    base = repo.head()
    assert base is not None
    (empty / "mine.txt").write_text("unrelated\n", encoding="utf-8")
    boris = Identity(
        "Boris Ivanov", "boris@support.example", datetime(2026, 10, 4, 9, 0, tzinfo=UTC)
    )
    with transaction(repo) as tx:
        sha = tx.write_commit(
            base, {"data/a": b"2"}, "SUP-1: comment\n", author=anna(), committer=boris
        )
        assert repo.head() == base
        assert (empty / "data/a").read_text(encoding="utf-8") == "1"
        tx.move_head(sha, "supportctl: sync")
        assert tx.head == sha
    assert repo.head() == sha
    assert git(empty, "log", "-1", "--format=%an <%ae> %aI|%cn <%ce> %cI") == (
        f"Anna Smirnova <anna@support.example> {FIXED_DATE}|"
        "Boris Ivanov <boris@support.example> 2026-10-04T09:00:00+00:00\n"
    )
    assert (empty / "data/a").read_text(encoding="utf-8") == "2"
    assert git(empty, "status", "--porcelain") == "?? mine.txt\n"
    assert git(empty, "reflog", "-1", "--format=%gs") == "supportctl: sync\n"
    assert not repo.journal_path.exists()


def test_acting_as_someone_authors_and_commits_as_them(empty: Path) -> None:
    repo = Repo(empty)
    repo.act_as(Identity("Demo Agent", "agent@support.example", datetime(2026, 9, 1, tzinfo=MSK)))
    with transaction(repo) as tx:
        tx.commit(Change("set up", [], {"data/a": b"1"}))
    at = datetime(2026, 9, 2, 12, 30, tzinfo=MSK)
    with transaction(repo, at=at) as tx:
        tx.commit(Change("later", [], {"data/a": b"2"}))
    repo.act_as(None)
    with transaction(repo) as tx:
        tx.commit(Change("as myself", [], {"data/a": b"3"}))
    assert git(empty, "log", "--format=%an <%ae> %aI|%cn <%ce> %cI").splitlines() == [
        f"{anna().name} <{anna().email}> {FIXED_DATE}|{anna().name} <{anna().email}> {FIXED_DATE}",
        "Demo Agent <agent@support.example> 2026-09-02T12:30:00+03:00|"
        "Demo Agent <agent@support.example> 2026-09-02T12:30:00+03:00",
        "Demo Agent <agent@support.example> 2026-09-01T00:00:00+03:00|"
        "Demo Agent <agent@support.example> 2026-09-01T00:00:00+03:00",
    ]


def test_a_file_with_uncommitted_edits_is_refused(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"data/a": b"1"}, "base\n", author=anna(), expect_head=None)
    head = repo.head()
    (empty / "data/a").write_text("my edit", encoding="utf-8")
    with pytest.raises(GitError) as info, transaction(repo) as tx:
        tx.commit(Change("change", [], {"data/a": b"2"}))
    assert info.value.message == (
        "data/a has uncommitted changes; commit them, or drop them with "
        "`git restore --staged --worktree -- data/a`"
    )
    assert repo.head() == head
    assert (empty / "data/a").read_text(encoding="utf-8") == "my edit"


def test_no_transaction_while_a_merge_is_in_progress(empty: Path) -> None:
    repo = Repo(empty)
    commit_files(repo, {"f": b"base\n"}, "base\n", author=anna(), expect_head=None)
    git(empty, "checkout", "-qb", "side")
    (empty / "f").write_text("side\n", encoding="utf-8")
    git(empty, "commit", "-qam", "side")
    git(empty, "checkout", "-q", "-")
    (empty / "f").write_text("main\n", encoding="utf-8")
    git(empty, "commit", "-qam", "main")
    merge = subprocess.run(
        ["git", "merge", "-q", "side"], cwd=empty, capture_output=True, check=False
    )
    assert merge.returncode == 1
    with pytest.raises(GitError) as info, transaction(repo):
        pass
    assert info.value.message == f"a merge is in progress in {empty}; finish or abort it first"


def test_message_and_short() -> None:
    assert short("a\nb\tc\x00d\u2028e") == "a b c d e"
    assert short("x" * 100, 10) == "x" * 9 + "…"
    msg = commit_message(
        "SUP-1: subject\nAction: close", [("Ticket", "SUP-1"), ("Reason", "a\n\nAction: close")]
    )
    assert msg == "SUP-1: subject Action: close\n\nTicket: SUP-1\nReason: a Action: close\n"
    assert commit_message("no trailers", []) == "no trailers\n"
    assert commit_message("s", [("Reason", "w" * 500)]).endswith("w" * (TRAILER_TEXT - 1) + "…\n")


# -- a kill in the middle ----------------------------------------------------------------------
# A child that starts a transaction and dies by SIGKILL at a chosen point, as `kill -9` or a
# power cut would: no finally blocks run, the lock dies with the process.
KILLER = r"""
import os, signal, sys
from pathlib import Path
from supportctl.storage import git as gitio
from supportctl.storage.transaction import Change, transaction

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[2] == "before-ref":    # commit object written, journal written, HEAD not moved
    gitio.Repo.update_ref = die
else:                             # HEAD moved, work tree and index not updated
    gitio.Repo.checkout_files = die
with transaction(gitio.Repo(Path(sys.argv[1]))) as tx:
    tx.commit(Change("SUP-1: close", [("Ticket", "SUP-1"), ("Action", "close")],
                     {"data/t.yaml": b"status: closed\n"}))
"""


def killed_at(root: Path, point: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", KILLER, str(root), point],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -9, child.stderr


@pytest.fixture
def open_ticket(empty: Path) -> Repo:
    repo = Repo(empty)
    commit_files(repo, {"data/t.yaml": b"status: new\n"}, "new\n", author=anna(), expect_head=None)
    return repo


def test_a_kill_between_staging_and_update_ref_is_undone_by_the_next_command(
    open_ticket: Repo,
) -> None:
    root = open_ticket.root
    head = open_ticket.head()
    killed_at(root, "before-ref")
    state = root / ".git" / "supportctl"
    assert (state / "journal.json").exists()
    assert open_ticket.head() == head
    told: list[str] = []
    with lock(Repo(root, notify=told.append)):
        pass
    assert told == [
        "an interrupted supportctl command had not committed its action; nothing changed" + CHECK
    ]
    assert git(root, "rev-parse", "HEAD").strip() == head
    assert git(root, "status", "--porcelain") == ""
    assert (root / "data/t.yaml").read_bytes() == b"status: new\n"
    assert not (state / "journal.json").exists()
    assert not list(state.glob("index.*"))


def test_a_kill_after_update_ref_is_finished_by_the_next_command(open_ticket: Repo) -> None:
    root = open_ticket.root
    head = open_ticket.head()
    killed_at(root, "after-ref")
    assert git(root, "log", "-1", "--format=%s") == "SUP-1: close\n"
    assert (root / "data/t.yaml").read_bytes() == b"status: new\n"  # not checked out yet
    told: list[str] = []
    with transaction(Repo(root, notify=told.append)) as tx:
        assert tx.head != head
    assert told == [
        "an interrupted supportctl command had committed its action; "
        "its files are now checked out" + CHECK
    ]
    assert (root / "data/t.yaml").read_bytes() == b"status: closed\n"
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".git/supportctl/journal.json").exists()


def test_without_a_callback_the_recovery_is_kept_for_the_end(open_ticket: Repo) -> None:
    take_notices()
    killed_at(open_ticket.root, "before-ref")
    with lock(Repo(open_ticket.root)):
        pass
    assert take_notices() == [
        "an interrupted supportctl command had not committed its action; nothing changed" + CHECK
    ]
