"""supportctl.storage.objects: a commit made by editing the trees on the changed paths is the
commit git's own index makes of the same change. Real repositories, git as the oracle."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage import objects
from supportctl.storage.git import Identity, Repo
from supportctl.storage.transaction import commit_files
from tests.helpers import git, ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli

MSK = timezone(timedelta(hours=3))
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ANNA = Identity("Anna Smirnova", "anna@support.example", datetime(2026, 10, 5, 10, 0, tzinfo=MSK))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A repo whose first commit (made by git) has files at several depths, a link, an
    executable file, and names that sort differently as files and as folders."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for path, text in {
        "README": "r\n",
        "data/tickets/0000/SUP-1.yaml": "id: SUP-1\n",
        "data/tickets/0000/SUP-2.yaml": "id: SUP-2\n",
        "data/tickets/0001/SUP-500.yaml": "id: SUP-500\n",
        "data/kb/a.md": "a\n",
        "data/a.b": "dot\n",
        "data/a0": "zero\n",
        "tool.sh": "#!/bin/sh\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    (root / "tool.sh").chmod(0o755)
    (root / "data" / "link").symlink_to("a0")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return Repo(root)


def index_tree(root: Path, parent: str, changes: dict[str, bytes | None]) -> str:
    """The tree git's index makes of `parent` with `changes`: the oracle."""
    env = {"GIT_INDEX_FILE": str(root.parent / "oracle-index")}
    git(root, "read-tree", parent, env=env)
    for path, content in changes.items():
        if content is None:
            git(root, "update-index", "--force-remove", path, env=env)
        else:
            blob = root.parent / "oracle-blob"
            blob.write_bytes(content)
            sha = git(root, "hash-object", "-w", "--no-filters", str(blob)).strip()
            git(root, "update-index", "--add", "--cacheinfo", f"100644,{sha},{path}", env=env)
    tree = git(root, "write-tree", env=env).strip()
    os.unlink(env["GIT_INDEX_FILE"])
    return tree


CHANGES = [
    {"data/tickets/0000/SUP-1.yaml": b"id: SUP-1\nstatus: open\n"},
    {"data/tickets/0002/SUP-1000.yaml": b"id: SUP-1000\n"},
    {"data/a": b"sorts before a.b and a0 as a file\n", "data/a.b/c": None},
    {"data/a/b": b"a folder named a sorts after a.b, before a0\n"},
    {"data/tickets/0001/SUP-500.yaml": None},
    {"data/kb/a.md": None, "data/tickets/0000/SUP-2.yaml": b"two\n", "new/deep/x": b"x"},
    {"README": None, "tool.sh": b"#!/bin/sh\necho\n", "data/link": b"now a file\n"},
    {"data/tickets/9999/none.yaml": None},
    {"data/weird name ü.yaml": "ü\n".encode()},
    {"data/a:b/x": b"left to git's index, which takes it\n", ".gitignore": b"*.tmp\n"},
]


@pytest.mark.parametrize("changes", CHANGES)
def test_edited_trees_are_the_trees_of_gits_index(
    repo: Repo, changes: dict[str, bytes | None]
) -> None:
    parent = repo.head()
    assert parent is not None
    sha, blobs = repo.write_commit(parent, changes, "change\n", author=ANNA)
    tree = git(repo.root, "rev-parse", f"{sha}^{{tree}}").strip()
    assert tree == index_tree(repo.root, parent, changes)
    assert git(repo.root, "fsck", "--strict", "--no-dangling") == ""
    for path, content in changes.items():
        if content is not None:
            assert git(repo.root, "cat-file", "blob", f"{sha}:{path}").encode() == content
            assert blobs[path] == git(repo.root, "rev-parse", f"{sha}:{path}").strip()
        else:
            assert blobs[path] is None


def test_a_folder_emptied_by_a_deletion_disappears(repo: Repo) -> None:
    parent = repo.head()
    assert parent is not None
    sha, _ = repo.write_commit(parent, {"data/kb/a.md": None}, "drop\n", author=ANNA)
    assert "data/kb" not in git(repo.root, "ls-tree", "-r", "-t", "--name-only", sha).split()
    everything: dict[str, bytes | None] = dict.fromkeys(git(repo.root, "ls-files").split())
    sha, _ = repo.write_commit(parent, everything, "drop all\n", author=ANNA)
    assert git(repo.root, "rev-parse", f"{sha}^{{tree}}").strip() == EMPTY_TREE
    assert git(repo.root, "cat-file", "-t", EMPTY_TREE) == "tree\n"


def test_trees_are_written_without_a_git_process(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = use_git_log(tmp_path, monkeypatch)
    parent = repo.head()
    assert parent is not None
    repo.write_commit(parent, {"data/tickets/0000/SUP-3.yaml": b"id: SUP-3\n"}, "n\n", author=ANNA)
    # the object reader, then the commit itself
    assert subcommands(log) == ["cat-file", "commit-tree"]


def test_an_uncommon_repository_goes_through_gits_index(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo.root, "config", "core.sharedRepository", "group")
    log = use_git_log(tmp_path, monkeypatch)
    parent = repo.head()
    assert parent is not None
    changes: dict[str, bytes | None] = {"data/tickets/0000/SUP-3.yaml": b"id: SUP-3\n"}
    sha, _ = Repo(repo.root).write_commit(parent, changes, "n\n", author=ANNA)
    assert "write-tree" in subcommands(log)
    tree = git(repo.root, "rev-parse", f"{sha}^{{tree}}").strip()
    assert tree == index_tree(repo.root, parent, changes)


def test_a_file_where_a_folder_is_wanted_is_for_git_to_refuse(repo: Repo) -> None:
    parent = repo.head()
    assert parent is not None
    with pytest.raises(GitError, match="update-index failed"):
        repo.write_commit(parent, {"README/x": b"x"}, "n\n", author=ANNA)
    with pytest.raises(GitError, match="update-index failed"):
        repo.write_commit(parent, {"data/tickets": b"x"}, "n\n", author=ANNA)


def test_loose_objects_are_read_only_and_leave_no_temporary_file(repo: Repo) -> None:
    writer = objects.LooseWriter(repo.git_dir / "objects")
    sha = writer.write(b"blob", b"hello\n")
    (repo.root.parent / "hello").write_bytes(b"hello\n")
    assert sha == git(repo.root, "hash-object", str(repo.root.parent / "hello")).strip()
    assert git(repo.root, "cat-file", "blob", sha) == "hello\n"
    path = repo.git_dir / "objects" / sha[:2] / sha[2:]
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222
    assert writer.write(b"blob", b"hello\n") == sha  # already there: kept as it is
    assert not list((repo.git_dir / "objects").glob("*/tmp_obj_*"))


def test_head_is_read_anew_after_another_process_moves_it(repo: Repo) -> None:
    first = repo.head()
    (repo.root / "README").write_text("changed\n", encoding="utf-8")
    git(repo.root, "commit", "-qam", "by hand")
    assert repo.head() == git(repo.root, "rev-parse", "HEAD").strip() != first


# -- git processes per action -----------------------------------------------------------------
def use_git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a `git` first on PATH that appends its arguments to a log, then runs the real git:
    every git process supportctl starts (not those git starts itself) leaves one line."""
    real = shutil.which("git")
    assert real is not None
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "git-calls.log"
    log.touch()
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    return log


def subcommands(log: Path) -> list[str]:
    """The git subcommand of each logged call (after supportctl's own `-c key=value`s)."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        words = line.split()
        while words[:1] == ["-c"]:
            words = words[2:]
        found.append(words[0])
    return found


def commit_path(log: Path) -> list[str]:
    """The git processes of the commit itself: those after the dirty check (`status`, which
    refuses to overwrite uncommitted edits) up to the update of the user's index, the last
    step; reads before it and the KB suggestions of `new` after it are not counted."""
    calls = subcommands(log)
    assert calls.count("status") == 1
    assert calls.count("update-index") == 1
    return calls[calls.index("status") + 1 : calls.index("update-index") + 1]


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as git")
def test_new_and_comment_commit_with_three_git_processes(
    support_repo: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(
        cli(
            "new",
            "Printer on fire",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "normal",
        )
    )
    log = use_git_log(tmp_path, monkeypatch)
    ok(
        cli(
            "new",
            "Scanner on fire",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "normal",
        )
    )
    assert commit_path(log) == ["commit-tree", "update-ref", "update-index"]
    assert not {"read-tree", "write-tree", "hash-object"} & set(subcommands(log))
    # the next number, one commit after the cached one, and HEAD: read by the one cat-file
    assert not {"log", "diff-tree", "rev-parse", "ls-tree"} & set(subcommands(log))
    assert subcommands(log).count("cat-file") == 1
    log.write_text("", encoding="utf-8")
    ok(cli("comment", "SUP-1", "Is it still burning?"))
    assert commit_path(log) == ["commit-tree", "update-ref", "update-index"]
    assert subcommands(log).count("cat-file") == 1
    assert git(support_repo, "status", "--porcelain") == ""
    assert git(support_repo, "fsck", "--strict", "--no-dangling") == ""
    assert git(support_repo, "log", "--format=%s").splitlines()[:2] == [
        "SUP-1: reply to customer: Is it still burning?",
        "SUP-2: new incident for acme (normal): Scanner on fire",
    ]


def test_commit_files_starts_three_git_processes_after_the_reader(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = git(repo.root, "rev-parse", "HEAD").strip()
    log = use_git_log(tmp_path, monkeypatch)
    fresh = Repo(repo.root)
    commit_files(
        fresh,
        {"data/tickets/0000/SUP-1.yaml": b"id: SUP-1\nstatus: closed\n"},
        "SUP-1: close\n",
        author=ANNA,
        expect_head=head,
    )
    assert subcommands(log) == ["cat-file", "commit-tree", "update-ref", "update-index"]
    assert git(repo.root, "status", "--porcelain") == ""


def test_reads_through_the_object_reader_match_git(repo: Repo) -> None:
    head = git(repo.root, "rev-parse", "HEAD").strip()
    listed = git(repo.root, "ls-tree", "-r", "HEAD", "data").splitlines()
    assert sorted(repo.files_in("HEAD", "data")) == sorted(
        (line.partition("\t")[2], line.split()[2]) for line in listed
    )
    assert repo.files_in(head, "data/tickets/0001") == [
        (
            "data/tickets/0001/SUP-500.yaml",
            git(repo.root, "rev-parse", "HEAD:data/tickets/0001/SUP-500.yaml").strip(),
        )
    ]
    assert repo.files_in("HEAD", "data/none") == []
    assert repo.files_in("HEAD", "README") == []
    assert repo.names_in(head, "data/tickets/") == ["data/tickets/0000", "data/tickets/0001"]
    assert repo.folder_at("HEAD", "data/kb") == (
        head,
        git(repo.root, "rev-parse", "HEAD:data/kb").strip(),
    )
    assert repo.folder_at("HEAD", "README") is None
    git(repo.root, "tag", "-a", "-m", "tagged", "v1")
    assert repo.rev("v1") == head
    assert repo.rev("HEAD^{tree}") is None
    assert repo.rev("no-such-branch") is None
    assert repo.rev("HEAD\nHEAD") is None


def test_changed_on_is_what_diff_tree_says(repo: Repo) -> None:
    parent = repo.head()
    assert parent is not None
    for changes in CHANGES:
        sha, _ = repo.write_commit(parent, changes, "change\n", author=ANNA)
        listed = git(repo.root, "diff-tree", "-r", "-z", "--no-renames", "--name-only", parent, sha)
        found = repo.changed_on(parent, sha, "data")
        assert found is not None
        assert sorted(found) == sorted(p for p in listed.split("\0") if p.startswith("data/"))
        assert repo.changed_on(sha, sha, "data") is None  # not its parent
    assert repo.changed_on("0" * 40, parent, "data") is None  # a first commit
    git(repo.root, "checkout", "-qb", "side")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "side")
    git(repo.root, "checkout", "-q", "-")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "main")
    git(repo.root, "merge", "-q", "--no-edit", "side")
    merge = git(repo.root, "rev-parse", "HEAD").strip()
    assert repo.changed_on(git(repo.root, "rev-parse", "HEAD^").strip(), merge, "data") is None


@pytest.mark.parametrize("path", ["data/.GIT/x", "data/git~1/x", "data/.git./x"])
def test_a_name_another_file_system_reads_as_dot_git_is_for_git_to_judge(
    repo: Repo, path: str
) -> None:
    parent = repo.head()
    assert parent is not None
    with pytest.raises(GitError, match="update-index failed"):
        repo.write_commit(parent, {path: b"x"}, "n\n", author=ANNA)
