"""One action = one commit: the lock, the trailers, and recovery.

Every command that changes the desk (a ticket action, a KB edit, `init`, `sync`) runs in
a transaction::

    with transaction(desk, at=at) as tx:
        ...  # read what the action needs, at `tx.head`, as `tx.author`
        sha = tx.commit(Change(subject, trailers, files))

(`sync` instead writes its replayed commits with `tx.write_commit` and moves HEAD onto
them with `tx.move_head`.)

It takes the per-clone lock (waiting for another writer), first putting right what a
killed command left behind; builds the commit apart from the user's index (see
`Repo.write_commit`), so their own staged and unstaged changes are never swept into it;
and moves HEAD only if nobody else did meanwhile. Between the commit and the work-tree update a journal names the files
still to check out, so a kill at any point leaves either no commit, or a commit that the
next command (read-only ones too) finishes checking out.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from supportctl.domain import yamlio
from supportctl.domain.errors import GitError, LockTimeout, UsageError
from supportctl.domain.yamlio import MAX_FILE_BYTES
from supportctl.storage import safepath
from supportctl.storage.git import JOURNAL_ADVICE, JOURNAL_FOLDER, Repo, take_notices

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from supportctl.storage.git import Identity

LOCK_TIMEOUT = 60.0
SUBJECT_TEXT = 60
TRAILER_TEXT = 200


class HasGit(Protocol):
    """What a transaction needs of the desk it changes."""

    @property
    def git(self) -> Repo: ...


@dataclass
class Change:
    """What one action commits: a subject line, its trailers (the machine-readable facts
    history is computed from) and the files it writes (None deletes one)."""

    subject: str
    trailers: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, bytes | None] = field(default_factory=dict)


def short(text: str, limit: int = SUBJECT_TEXT) -> str:
    """One line, at most `limit` characters: safe in a subject or a trailer value."""
    one = " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]", " ", text).split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


def commit_message(subject: str, trailers: Sequence[tuple[str, str]]) -> str:
    """The subject, a blank line and one `Key: value` trailer per line, each value on one
    line (a line break in a value would end the trailer block early)."""
    if not trailers:
        return short(subject, 120) + "\n"
    lines = [short(subject, 120), ""]
    lines += [f"{k}: {short(v, TRAILER_TEXT)}" for k, v in trailers]
    return "\n".join(lines) + "\n"


def refuse_busy(git: Repo) -> None:
    """A merge or rebase the user has in progress owns the index and HEAD: wait for it."""
    busy = git.operation_in_progress()
    if busy:
        raise GitError(f"{busy} is in progress in {git.root}; finish or abort it first")


class Transaction:
    """The action under way: who makes it, on top of which commit."""

    def __init__(self, git: Repo, at: datetime | None, *, batch: bool = False) -> None:
        self.git = git
        self._at = at
        self.head = git.head()
        # A batch (see `transaction`) leaves the user's index alone until the lock is let
        # go: path -> blob id of the files committed meanwhile, and the paths the user had
        # staged when the batch began.
        self.batch = batch
        self.pending: dict[str, str | None] = {}
        self._staged: set[str] | None = None

    @cached_property
    def author(self) -> Identity:
        """The git identity, dated `at` when the action is back-dated (asked for only when
        the action needs it: `sync` keeps every commit's own author)."""
        return self.git.identity(self._at)

    def commit(self, change: Change, *, check_dirty: bool = True) -> str:
        """Commit exactly `change.files` on top of `head`; return the new commit id.

        A file with uncommitted edits is refused (`check_dirty`): the commit would
        overwrite them in the work tree."""
        if check_dirty:
            paths = list(change.files)
            dirty = self._dirty_in_batch(paths) if self._batched() else self.git.dirty(paths)
            if dirty:
                raise GitError(
                    f"{dirty[0]} has uncommitted changes; commit them, or drop them with "
                    f"`git restore --staged --worktree -- {dirty[0]}`"
                )
        message = commit_message(change.subject, change.trailers)
        self.head = commit_files(
            self.git,
            change.files,
            message,
            author=self.author,
            expect_head=self.head,
            pending=self.pending if self._batched() else None,
        )
        return self.head

    def _batched(self) -> bool:
        return self.batch and self.head is not None

    def _dirty_in_batch(self, paths: Sequence[str]) -> list[str]:
        """`Repo.dirty` without a `git status` per commit (which reads the whole index, so
        its cost grows with the desk): what the user had staged is asked of git once per
        batch; each path's work-tree file is compared with HEAD's, or with what this batch
        committed there."""
        for path in paths:
            safepath.check(self.git.root, path)
        if self._staged is None:
            self._staged = self.git.staged()
        found = []
        for path in paths:
            if path in self.pending:
                expected = self.pending[path]
            elif path in self._staged:
                found.append(path)
                continue
            else:
                expected = self.git.blob_id_at(self.head or "", path)
            if self.git.worktree_blob_id(path) != expected:
                found.append(path)
        return found

    def flush(self) -> None:
        """Bring the user's index up to date with what the batch committed (one
        `update-index` for all of it), then drop the journal."""
        if not self.pending:
            return
        same: dict[str, str | None] = {}
        changed: dict[str, str | None] = {}
        for path, sha in self.pending.items():
            (same if self.git.worktree_blob_id(path) == sha else changed)[path] = sha
        self.git.update_index(same, changed)
        self.pending = {}
        self.git.journal_path.unlink(missing_ok=True)

    def write_commit(
        self,
        parent: str,
        files: dict[str, bytes | None],
        message: str,
        *,
        author: Identity,
        committer: Identity,
    ) -> str:
        """A commit of `parent` with `files` changed (None deletes), on no branch yet: how
        `sync` replays a local commit, keeping its message, author and committer. Nothing
        in the work tree changes, so there is nothing to recover; `move_head` then moves
        HEAD onto the last one."""
        sha, _ = self.git.write_commit(parent, files, message, author=author, committer=committer)
        return sha

    def move_head(self, new: str, reason: str) -> None:
        """Check out `new` over `head` keeping unrelated local changes, then move the branch
        there (journaled, see `move_head`); the branch moves only from `head`."""
        move_head(self.git, self.head, new, reason)
        self.head = new


@contextlib.contextmanager
def transaction(
    desk: HasGit | Repo, *, at: datetime | None = None, batch: bool = False
) -> Iterator[Transaction]:
    """Refuse while a merge or rebase is in progress, then hold the lock for the action.

    `desk` is the Desk, or the bare `Repo` of a folder that is not a desk yet (`init`).
    `batch`: many commits under one hold of the lock (the mail intake). Each commit still
    moves HEAD and writes its files to the work tree, but the user's index (which git
    rewrites whole, so its cost grows with the desk) is updated once, when the hold ends;
    until then the journal names every file committed, so a kill in between is put right
    by the next command like a kill after any commit."""
    git = desk if isinstance(desk, Repo) else desk.git
    refuse_busy(git)
    with lock(git):
        tx = Transaction(git, at, batch=batch)
        try:
            yield tx
        finally:
            tx.flush()


@contextlib.contextmanager
def lock(git: Repo) -> Iterator[None]:
    """One supportctl writer at a time per clone; others wait for their turn.

    What a killed command left behind is put right first, and said through `git.notify`."""
    # A problem noticed while the repo was opened is now this command's own error.
    take_notices()
    with os.fdopen(git.open_state_file("lock", os.O_RDWR | os.O_CREAT), "w") as fh:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(
                        "another supportctl command holds the lock; try again"
                    ) from None
                time.sleep(0.05)
        try:
            done = recover(git)
            if done:
                git.notify(f"{done}; check `git status` and `git log -1` if in doubt")
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def needs_recovery(git: Repo) -> bool:
    """Whether a killed supportctl command left something behind (cheap: two stats)."""
    return os.path.lexists(git.journal_path) or any(git.stale_indexes())


def recover(git: Repo) -> str | None:
    """Finish or drop an action that was interrupted between commit and work-tree update;
    what was done, in words, or None when there was nothing to do. Run under the lock."""
    for stale in list(git.stale_indexes()):
        stale.unlink(missing_ok=True)
    journal = git.journal_path
    try:
        data = git.read_journal()
    except OSError as exc:
        raise GitError(f"{journal}: cannot read it ({exc.strerror}); {JOURNAL_ADVICE}") from None
    except ValueError:
        # written before the commit and killed half-way: nothing was committed
        journal.unlink(missing_ok=True)
        return None
    if data is None:
        return None
    problem = git.journal_problem(data)
    if problem:
        raise GitError(f"{journal}: {problem}; {JOURNAL_ADVICE}")
    if data.get("move"):
        return _recover_move(git, data)
    if git.head() == data.get("new"):
        git.checkout_files(data["files"])
        journal.unlink()
        return (
            "an interrupted supportctl command had committed its action; "
            "its files are now checked out"
        )
    if data.get("done") and git.head() == data.get("old"):
        # a batch killed before its last commit: the ones before it are made
        git.checkout_files(data["done"])
        journal.unlink()
        return (
            "an interrupted supportctl command had committed part of its work; "
            "those files are now checked out"
        )
    journal.unlink()
    return "an interrupted supportctl command had not committed its action; nothing changed"


def _recover_move(git: Repo, data: dict[str, Any]) -> str | None:
    # move_head checks out first and moves the branch second. Killed in between, the
    # index already holds `new` while HEAD still says `old`: finish by moving the branch.
    # Killed before the checkout finished, nothing was moved: the next sync does it again.
    old, new = data.get("old"), data.get("new")
    done = None
    if isinstance(new, str) and git.head() == old and git.index_matches(old, new):
        git.set_branch(old, new, "supportctl: finish an interrupted sync")
        done = "finished an interrupted sync (the branch now points at the synced commit)"
    git.journal_path.unlink(missing_ok=True)
    return done


def commit_files(
    git: Repo,
    files: dict[str, bytes | None],
    message: str,
    *,
    author: Identity,
    expect_head: str | None,
    pending: dict[str, str | None] | None = None,
) -> str:
    """Commit exactly `files` (None deletes) on top of HEAD; return the new commit id.

    Run under the lock. HEAD moves only if it is still `expect_head`. With `pending` (a
    batch, see `transaction`), the user's index is left for `Transaction.flush`: the
    files committed are added to `pending`, and the journal names them all."""
    if git.head() != expect_head:
        raise GitError("HEAD moved while the action was prepared; run the command again")
    for path, content in files.items():
        # Before anything is written: what the work tree update would refuse, and what
        # the reader would refuse later (a file it cannot read can never be fixed by us).
        safepath.check(git.root, path)
        if content is not None and len(content) > MAX_FILE_BYTES and not _raw_mail(path):
            raise UsageError(
                f"{path} would be {len(content):,} bytes, more than the {MAX_FILE_BYTES:,} "
                "a file may have; nothing was written"
            )
        if content is not None and path.endswith(".yaml"):
            try:
                yamlio.nodes_of(content)
            except yamlio.YamlProblem as exc:
                raise UsageError(
                    f"{path} would be refused when read ({exc.message}); nothing was written"
                ) from None
    git.wait_for_index_lock()
    new, blobs = git.write_commit(expect_head, files, message, author=author)
    # A commit of other files (`init`, the demo) has nothing for recovery to restore.
    kept = {p: b for p, b in blobs.items() if p.startswith(JOURNAL_FOLDER)}
    # only files the journal may name wait for the index
    deferred = pending is not None and len(kept) == len(blobs)
    done = dict(pending or {})
    journal: dict[str, Any] = {"old": expect_head, "new": new, "files": done | kept}
    if done:
        journal["done"] = done  # committed earlier in the batch, not in the index yet
    git.write_journal(journal)
    subject = message.splitlines()[0]
    try:
        git.update_ref("HEAD", new, expect_head, f"supportctl: {subject}")
    except BaseException:
        # Failed rather than killed: HEAD did not move, so the repo is as it was.
        if git.head() != new:
            if done:
                git.write_journal({"old": expect_head, "new": expect_head, "files": done})
            else:
                git.journal_path.unlink(missing_ok=True)
        raise
    # the bytes in hand are the blobs' bytes (written without filters): no read back
    git.checkout_files(blobs, files, index=False)
    if deferred:
        assert pending is not None
        pending.update(blobs)
        return new
    if pending:
        blobs = pending | blobs
        pending.clear()
    git.update_index(blobs)
    git.journal_path.unlink()
    return new


def _raw_mail(path: str) -> bool:
    """A message as it came, or one of its attachments: kept byte for byte and never read
    by the YAML reader, so the reader's size cap is not theirs (`mail.max_attachment_bytes`
    caps the attachments)."""
    return path.startswith(RAW_MAIL_FOLDER) and not path.endswith((".yaml", ".md"))


RAW_MAIL_FOLDER = "data/mail/"


def move_head(git: Repo, old: str | None, new: str, reason: str) -> None:
    """Check out `new` over `old` keeping unrelated local changes, then move the branch.

    Run under the lock. Journaled like a commit: if the process dies between the checkout
    and the branch update, the next locked command (see `recover`) finishes the move."""
    git.write_journal({"old": old, "new": new, "move": True})
    try:
        git.switch_tree(old, new)
    except GitError:
        git.journal_path.unlink(missing_ok=True)
        raise
    try:
        git.set_branch(old, new, reason)
    except GitError:
        # Failed, not killed (a held branch lock, a hook): put the index and work tree
        # back, so the repo is as it was. Should that fail too, the journal stays and the
        # next command finishes the move instead.
        if old is not None:
            with contextlib.suppress(GitError):
                git.switch_tree(new, old)
                git.journal_path.unlink()
        raise
    git.journal_path.unlink()
