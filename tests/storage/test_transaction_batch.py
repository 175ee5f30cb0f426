"""A batch transaction: many commits under one hold of the lock, the user's index updated
once at the end, and a kill at any point put right by the next command."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage.git import Identity, Repo
from supportctl.storage.transaction import Change, commit_files, lock, transaction
from tests.helpers import git

if TYPE_CHECKING:
    from pathlib import Path

CHECK = "; check `git status` and `git log -1` if in doubt"


def anna() -> Identity:
    return Identity(
        "Anna Smirnova",
        "anna@support.example",
        datetime(2026, 10, 5, 10, 0, tzinfo=timezone(timedelta(hours=3))),
    )


@pytest.fixture
def desk(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    repo = Repo(root)
    commit_files(
        repo,
        {"data/t.yaml": b"status: new\n", "notes.txt": b"n\n"},
        "base\n",
        author=anna(),
        expect_head=None,
    )
    return repo


def staged(root: Path) -> list[str]:
    return git(root, "diff", "--cached", "--name-only").split()


def test_the_index_is_updated_once_when_the_batch_ends(desk: Repo) -> None:
    root = desk.root
    (root / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(root, "add", "staged.txt")
    (root / "notes.txt").write_text("edited, unstaged\n", encoding="utf-8")
    before = git(root, "status", "--porcelain")
    with transaction(desk, batch=True) as tx:
        tx.commit(Change("one", [], {"data/a.yaml": b"a: 1\n", "data/t.yaml": b"status: x\n"}))
        # committed and in the work tree, not in the index yet
        assert (root / "data/a.yaml").read_bytes() == b"a: 1\n"
        assert "data/a.yaml" not in git(root, "ls-files")
        # the same file twice in one batch is not taken for the user's change
        tx.commit(Change("two", [], {"data/t.yaml": b"status: y\n"}))
        tx.commit(Change("three", [], {"data/a.yaml": None}))
    assert git(root, "log", "--format=%s").split() == ["three", "two", "one", "base"]
    assert git(root, "status", "--porcelain") == before
    assert before == " M notes.txt\nA  staged.txt\n"
    assert staged(root) == ["staged.txt"]
    assert (root / "data/t.yaml").read_bytes() == b"status: y\n"
    assert not (root / "data/a.yaml").exists()
    assert not desk.journal_path.exists()


def test_a_file_changed_by_the_user_is_refused_in_a_batch(desk: Repo) -> None:
    root = desk.root
    with transaction(desk, batch=True) as tx:
        tx.commit(Change("one", [], {"data/t.yaml": b"status: x\n"}))
        (root / "data/t.yaml").write_text("my edit\n", encoding="utf-8")
        with pytest.raises(GitError) as info:
            tx.commit(Change("two", [], {"data/t.yaml": b"status: y\n"}))
    assert info.value.message.startswith("data/t.yaml has uncommitted changes")
    assert git(root, "log", "--format=%s").split() == ["one", "base"]
    assert (root / "data/t.yaml").read_text(encoding="utf-8") == "my edit\n"
    # what the batch committed is in the index all the same
    assert git(root, "status", "--porcelain") == " M data/t.yaml\n"


@pytest.mark.parametrize(
    ("setup", "path"),
    [
        ("staged", "data/t.yaml"),
        ("edited", "data/t.yaml"),
        ("deleted", "data/t.yaml"),
        ("untracked", "data/new.yaml"),
    ],
)
def test_a_users_change_is_refused_in_a_batch_as_by_git_status(
    desk: Repo, setup: str, path: str
) -> None:
    root = desk.root
    head = desk.head()
    if setup == "deleted":
        (root / path).unlink()
    else:
        (root / path).write_text("mine\n", encoding="utf-8")
    if setup == "staged":
        git(root, "add", path)
        (root / path).write_text("status: new\n", encoding="utf-8")
    before = git(root, "status", "--porcelain")
    assert desk.dirty([path]) == [path]
    with pytest.raises(GitError), transaction(desk, batch=True) as tx:
        tx.commit(Change("one", [], {path: b"ours\n"}))
    assert desk.head() == head
    assert git(root, "status", "--porcelain") == before


KILLER = r"""
import os, signal, sys
from pathlib import Path
from supportctl.storage import git as gitio
from supportctl.storage.transaction import Change, transaction

calls = {"n": 0}
real_update_ref, real_checkout = gitio.Repo.update_ref, gitio.Repo.checkout_files

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def update_ref(self, *args, **kwargs):
    calls["n"] += 1
    if sys.argv[2] == "before-ref" and calls["n"] == 2:
        die()
    return real_update_ref(self, *args, **kwargs)

def checkout_files(self, *args, **kwargs):
    if sys.argv[2] == "after-ref" and calls["n"] == 2:
        die()
    return real_checkout(self, *args, **kwargs)

gitio.Repo.update_ref = update_ref
gitio.Repo.checkout_files = checkout_files
with transaction(gitio.Repo(Path(sys.argv[1])), batch=True) as tx:
    tx.commit(Change("one", [], {"data/a.yaml": b"a: 1\n", "data/t.yaml": b"status: x\n"}))
    tx.commit(Change("two", [], {"data/b.yaml": b"b: 1\n", "data/t.yaml": b"status: y\n"}))
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


def test_a_batch_killed_before_its_last_commit_keeps_the_earlier_ones(desk: Repo) -> None:
    root = desk.root
    killed_at(root, "before-ref")
    assert git(root, "log", "--format=%s").split() == ["one", "base"]
    assert desk.journal_path.exists()
    told: list[str] = []
    with lock(Repo(root, notify=told.append)):
        pass
    assert told == [
        "an interrupted supportctl command had committed part of its work; "
        "those files are now checked out" + CHECK
    ]
    assert git(root, "status", "--porcelain") == ""
    assert (root / "data/t.yaml").read_bytes() == b"status: x\n"
    assert not (root / "data/b.yaml").exists()
    assert not desk.journal_path.exists()


def test_a_batch_killed_after_its_last_commit_is_finished(desk: Repo) -> None:
    root = desk.root
    killed_at(root, "after-ref")
    assert git(root, "log", "--format=%s").split() == ["two", "one", "base"]
    told: list[str] = []
    with lock(Repo(root, notify=told.append)):
        pass
    assert told == [
        "an interrupted supportctl command had committed its action; "
        "its files are now checked out" + CHECK
    ]
    assert git(root, "status", "--porcelain") == ""
    assert (root / "data/t.yaml").read_bytes() == b"status: y\n"
    assert (root / "data/a.yaml").read_bytes() == b"a: 1\n"
    assert (root / "data/b.yaml").read_bytes() == b"b: 1\n"


def test_a_journal_whose_done_files_are_not_its_files_is_refused(desk: Repo) -> None:
    data = {"old": desk.head(), "new": desk.head(), "files": {}, "done": {"data/x": None}}
    assert desk.journal_problem(data) == "its `done` files are not among its `files`"


def test_blob_ids_after_a_commit_are_gits(desk: Repo) -> None:
    root = desk.root
    files = {"data/t.yaml": b"status: x\n", "data/mail/ab/c.eml": b"raw\n"}
    with transaction(desk, batch=True) as tx:
        head = tx.commit(Change("one", [], files))
        for path in ("data/t.yaml", "data/mail/ab/c.eml", "notes.txt"):
            assert desk.blob_id_at(head, path) == git(root, "rev-parse", f"{head}:{path}").strip()
        for path in ("data/mail/ab", "data/none.yaml", "data/t.yaml/x", "nothing/at/all"):
            assert desk.blob_id_at(head, path) is None
