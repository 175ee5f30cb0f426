"""The only module that talks to git.

Every git process supportctl starts goes through `_spawn`, so the environment, the
working folder and the mapping of a failure to a one-line `GitError` live in one place;
`run_git` (with its timeout) and `_reading` (output read while git runs) are the two ways
to wait for one. The rest of the module is small named operations on top, and everything
else gets plain data from here: paths, blob ids, bytes, `Identity`, `RawCommit`. Single
objects are read through one `git cat-file --batch` process kept for the whole command,
started on the first read. GitPython, which costs more to import than a short command
costs to run, is imported only by what reads commit objects.

Commits are built apart from the user's index, so their own staged and unstaged changes
are never swept into a supportctl commit: by editing only the trees on the changed paths
(`storage.objects`), or where that declines, in a private index; `storage.transaction`
makes one per action.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from supportctl.domain.errors import GitError, UsageError
from supportctl.storage import objects, safepath

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    import git

ZERO = "0" * 40
# The name of a copy of the index (`Repo.uncommitted`) starts with this, its digest follows.
INDEX_COPY = "index-copy."
INDEX_LOCK_TIMEOUT = 10.0
# A remote that stops answering (or an ssh waiting on a host key no one will confirm)
# would otherwise hold the per-clone lock for ever, and every other writer gives up.
REMOTE_TIMEOUT = 600.0

T = TypeVar("T")

# What a command could not put right of a killed command's leftovers (a stale lock, a
# journal it does not trust) while it only reads: reported when it ends (`take_notices`),
# unless it took the lock, where the same problem is its error. It is also where a
# message goes when nobody passed a `notify` to `Repo`: said late, but never lost.
_NOTICES: list[str] = []


def notice(text: str) -> None:
    _NOTICES.append(text)


def take_notices() -> list[str]:
    taken = list(dict.fromkeys(_NOTICES))
    _NOTICES.clear()
    return taken


# -- the process runner -----------------------------------------------------------------
# Pinned in every git run. git's messages are parsed (a held lock, a refused push) and
# passed on in errors, so they must not come translated; GitPython pinned the same.
# Pathspecs are ours, with their magic (`:(exclude,top)data`) and case as written: set in
# the user's environment, GIT_LITERAL_PATHSPECS would make that one a path that does not
# exist, and GIT_ICASE_PATHSPECS would take `Data/` for `data/`.
_ENV = {
    "LC_ALL": "C",
    "LANGUAGE": "C",
    "GIT_LITERAL_PATHSPECS": "0",
    "GIT_ICASE_PATHSPECS": "0",
}
# Pinned against the user's own git config, each for output this module parses:
# `log.showSignature` prints gpg lines into `git log`; `log.showRoot=false` hides the
# files of a root commit (a ticket created there would have no history); `color.ui=always`
# puts escape codes into `--raw`; another log encoding garbles names and subjects.
_CONFIG = (
    "-c",
    "log.showSignature=false",
    "-c",
    "log.showRoot=true",
    "-c",
    "color.ui=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
)


@dataclass(frozen=True)
class Finished:
    """A git process that ran to its end: its exit status and its output, undecoded."""

    status: int
    out: bytes
    err: bytes

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


def _spawn(
    cwd: Path,
    args: Sequence[str],
    *,
    env: dict[str, str] | None,
    stdin: int | IO[bytes],
    stderr: int | IO[bytes],
) -> subprocess.Popen[bytes]:
    """The one place a git process starts."""
    try:
        return subprocess.Popen(
            ["git", *_CONFIG, *args],
            cwd=cwd,
            env={**os.environ, **(env or {}), **_ENV},
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (no `git` on PATH)") from None
    except OSError as exc:
        raise GitError(f"cannot run git in {cwd}: {exc.strerror}") from None


def run_git(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> Finished:
    """Run git to its end. With `check`, a non-zero exit is a GitError naming git's own
    reason in one line; without, the caller reads the status (a refused push, a merge
    with conflicts are answers, not failures)."""
    proc = _spawn(
        cwd,
        args,
        env=env,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        # not `communicate()`: a child git started (ssh, a hook) may hold the pipes open
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait()
        raise GitError(
            f"git {_subcommand(args)} did not finish within {timeout:g} s; it was stopped"
        ) from None
    if check and proc.returncode:
        raise GitError(_failure(cwd, args, err, proc.returncode))
    return Finished(proc.returncode, out, err)


@contextlib.contextmanager
def _reading(
    cwd: Path, args: Sequence[str], *, feed: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """A git process whose output is read while it runs (a long history, many blobs).

    A reader that stops early stops git too; a git that fails is a GitError once its
    output has been read to the end."""
    with tempfile.TemporaryFile() as errors:
        # stderr to a file: a pipe nobody reads until the end could fill and stall git
        proc = _spawn(
            cwd,
            args,
            env=None,
            stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
            stderr=errors,
        )
        finished = False
        try:
            yield proc
            finished = True
        finally:
            if not finished:
                proc.kill()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            status = proc.wait()
        if status:
            errors.seek(0)
            raise GitError(_failure(cwd, args, errors.read(), status))


def _entries(tree: bytes) -> list[tuple[str, str, str]]:
    """(name, mode, id) of a tree object's entries, modes as git writes them (`40000` for
    a folder)."""
    try:
        return [
            (name.decode("utf-8", "replace"), objects.canonical_mode(mode).decode(), sha.hex())
            for name, (mode, sha) in objects.parse_tree(tree).items()
        ]
    except ValueError:
        raise GitError("git gave a tree object it cannot have written; run `git fsck`") from None


def _subcommand(args: Sequence[str]) -> str:
    words = list(args)
    while words[:1] == ["-c"]:
        words = words[2:]
    return words[0] if words else "git"


def _failure(cwd: Path, args: Sequence[str], err: bytes, status: int) -> str:
    """One line for a git command that failed: git's last word on it, which says what
    went wrong, or for a lock file in the way, who holds it and what to do."""
    text = err.decode("utf-8", "replace")
    held = _HELD_LOCK.search(text)
    if held:
        # git's last line is only "remove the file manually to continue"
        return f"git {_subcommand(args)} failed: {lock_state(Path(held.group(1)), cwd)}"
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    detail = lines[-1] if lines else f"exit status {status}"
    return f"git {_subcommand(args)} failed: {detail}"


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    when: datetime  # aware, in the author's offset


@dataclass(frozen=True)
class RawCommit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_time: datetime
    committer_time: datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    changes: tuple[tuple[str, str, str], ...]  # (path, old blob, new blob); ZERO when absent


_ZONES: dict[str, timezone] = {}
FUTURE_SLACK = timedelta(minutes=5)  # clocks of two machines are never quite in step


def parse_git_time(seconds: str, offset: str) -> datetime:
    tz = _ZONES.get(offset)
    if tz is None:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        tz = _ZONES[offset] = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime.fromtimestamp(int(seconds.removeprefix("@")), tz)


def git_time(when: datetime) -> str:
    """Git's internal date format, which keeps the exact instant and offset.

    The `@` marks the number as seconds since the epoch: without it git reads a number
    below 100000000 (before 1973-03-03) as something else and refuses the date.
    """
    offset = when.utcoffset() or timedelta(0)
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    return f"@{int(when.timestamp())} {sign}{abs(total) // 60:02d}{abs(total) % 60:02d}"


def _plain_git_dir(root: Path) -> Path | None:
    """`root/.git` when it is plainly the repository (no GIT_DIR, no worktree link), as
    GitPython would find it; None leaves the question to GitPython."""
    if "GIT_DIR" in os.environ:
        return None
    git_dir = Path(os.path.abspath(root)) / ".git"
    if (
        (git_dir / "objects").is_dir()
        and (git_dir / "refs").is_dir()
        and (git_dir / "HEAD").is_file()
    ):
        return git_dir
    return None


class _ObjectReader:
    """One `git cat-file --batch` for a command's single-object reads, requests answered
    one at a time; it ends when its repo object is collected or the program exits."""

    def __init__(self, root: Path) -> None:
        self._proc = _spawn(
            root,
            ["cat-file", "--batch"],
            env=None,
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        weakref.finalize(self, _stop, self._proc)

    def read_object(self, name: str) -> tuple[str, str, bytes] | None:
        """(id, type, content) of the object `name` names, resolved when asked (a ref
        moved meanwhile is read anew); None when there is none."""
        proc = self._proc
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(name.encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            raise GitError("git cat-file stopped") from None
        header = proc.stdout.readline().split()
        if not header:
            raise GitError("git cat-file stopped")
        if len(header) != 3 or not header[2].isdigit():  # `<name> missing`, `ambiguous`
            return None
        content = proc.stdout.read(int(header[2]) + 1)[:-1]
        return header[0].decode(), header[1].decode(), content


def _feeding(stdin: IO[bytes], data: bytes) -> threading.Thread:
    """Write all of a batch process's input from a thread, then close it, while the caller
    reads the output: written first, a long output would fill its pipe and stall both."""

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):
            stdin.write(data)
        with contextlib.suppress(BrokenPipeError):
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Repo:
    def __init__(self, root: Path, notify: Callable[[str], None] | None = None) -> None:
        self.root = root
        # Where a storage-level message for the user goes (the lock's word on a recovered
        # action); the CLI passes its warning printer, and the core itself never prints.
        self.notify: Callable[[str], None] = notify or notice
        self._reader: _ObjectReader | None = None
        plain = _plain_git_dir(root)
        self._plain = plain is not None
        self.git_dir = plain if plain is not None else Path(self._repo.git_dir)
        self._state_path = self.git_dir / "supportctl"
        self._acting: Identity | None = None
        # Trees read or written for commits made by editing trees, by id (so never stale),
        # and the tree of the last commit made: a run of commits (a mail batch) reads
        # back none of the trees it wrote.
        self._trees: dict[str, bytes] = {}
        self._last_commit: tuple[str, str] | None = None

    @cached_property
    def _repo(self) -> git.Repo:
        import git

        try:
            return git.Repo(self.root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"{self.root}: not a git repository (run `supportctl init`)") from None

    def _object(self, name: str) -> bytes | None:
        """An object's content by id or `rev:path`; None when there is none."""
        found = self._object_with_id(name)
        return None if found is None else found[2]

    def _object_with_id(self, name: str) -> tuple[str, str, bytes] | None:
        if self._reader is None:
            self._reader = _ObjectReader(self.root)
        return self._reader.read_object(name)

    @property
    def state_dir(self) -> Path:
        """`.git/supportctl/`, checked on every use: read-only commands write caches there
        too, and through a symlinked folder they would land wherever it points."""
        if self._state_path.is_symlink():
            raise GitError(
                f"{self._state_path} is a symbolic link; remove it (it holds only caches)"
            )
        return self._state_path

    # -- plumbing -------------------------------------------------------------
    def _run(
        self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> str:
        return run_git(self.root, *args, env=env, stdin=stdin).text

    @classmethod
    def init(cls, path: Path) -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        if not (path / ".git").exists():
            run_git(path, "init", "--quiet")
        return cls(path)

    def hooks_dir(self) -> Path:
        """The folder git runs hooks from: `core.hooksPath` when set, else `.git/hooks`
        (in the main repo's folder for a worktree)."""
        hooks = Path(self._run("rev-parse", "--git-path", "hooks").strip())
        return hooks if hooks.is_absolute() else self.root / hooks

    def head(self) -> str | None:
        return self.rev("HEAD")

    def rev(self, rev: str) -> str | None:
        """Commit id of `rev`, or None when it does not exist (e.g. an empty repo).

        Asked of the object reader the command keeps anyway, not of a `rev-parse` of its
        own: the reader resolves the name anew on every request, so a ref moved
        meanwhile (by this command or anyone) is seen."""
        if not rev or "\n" in rev:
            return None  # a request is one line; git has no such name
        found = self._object_with_id(f"{rev}^{{commit}}")
        return None if found is None or found[1] != "commit" else found[0]

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self._run("merge-base", "--is-ancestor", older, newer)
            return True
        except GitError:
            return False

    def commit_date(self, sha: str) -> datetime:
        c = self._repo.commit(sha)
        return parse_git_time(str(c.committed_date), _offset_text(int(c.committer_tz_offset)))

    def act_as(self, who: Identity | None) -> None:
        """Author and commit what follows as `who` (None: as git's configured identity).

        A scripted history (the demo) is made by many people over weeks: each commit's
        author and committer are `who`, dated at the action's time, else at `who.when`."""
        self._acting = who

    def identity(self, at: datetime | None = None) -> Identity:
        """The author identity git would use, refusing to guess one from the host name."""
        if self._acting is not None:
            return Identity(self._acting.name, self._acting.email, at or self._acting.when)
        try:
            out = self._run("-c", "user.useConfigOnly=true", "var", "GIT_AUTHOR_IDENT").strip()
        except GitError as exc:
            if "date" in exc.message:  # e.g. a GIT_AUTHOR_DATE git cannot read
                bad = os.environ.get("GIT_AUTHOR_DATE", "")
                detail = exc.message.rpartition("fatal: ")[2]
                raise UsageError(f"bad GIT_AUTHOR_DATE {bad!r}: {detail}") from None
            raise GitError(
                "no git identity: run `git config user.name NAME` and `git config user.email EMAIL`"
            ) from None
        head, _, rest = out.rpartition(">")
        name, _, email = head.partition("<")
        seconds, offset = rest.split()
        when = at or parse_git_time(seconds, offset)
        if at is not None:
            recorded = self._run("var", "GIT_COMMITTER_IDENT").strip().rpartition(">")[2].split()
            now = parse_git_time(recorded[0], recorded[1])
            if at > now + FUTURE_SLACK:
                raise UsageError(
                    f"--at {at.isoformat()} is in the future (now {now.isoformat()}); "
                    "--at back-dates an action"
                )
        return Identity(name.strip(), email.strip(), when)

    # -- reading --------------------------------------------------------------
    def ls_tree(self, prefix: str, rev: str = "HEAD") -> list[tuple[str, str]]:
        """(path, blob) of every file under `prefix` at `rev`; empty before the first commit."""
        try:
            entries = self.entries_at(rev, prefix)
        except GitError:
            # asked only when ls-tree failed: a hot path pays one git process, not two
            if rev == "HEAD" and self.head() is None:
                return []
            raise
        return [(path, sha) for path, _, sha in entries]

    def entries_at(self, rev: str, prefix: str) -> list[tuple[str, str, str]]:
        """(path, mode, object id) of every entry under `prefix` at commit `rev`, links and
        submodules included: a caller reading files from the commit can then refuse a
        symbolic link (mode 120000) instead of taking its target for content."""
        out = self._run("ls-tree", "-r", "-z", "--full-tree", rev, "--", prefix)
        result = []
        for entry in out.split("\0"):
            if entry:
                meta, _, path = entry.partition("\t")
                mode, _, sha = meta.split()
                result.append((path, mode, sha))
        return result

    def folder_at(self, rev: str, path: str) -> tuple[str, str] | None:
        """(commit id of `rev`, tree id of the folder `path` in that commit), or None when
        either is missing. The tree id changes whenever anything under the folder does."""
        commit = self.rev(rev)
        if commit is None or "\n" in path:
            return None
        found = self._object_with_id(f"{commit}:{path}")
        return None if found is None or found[1] != "tree" else (commit, found[0])

    def blob(self, sha: str) -> bytes:
        content = self._object(sha)
        if content is None:
            raise GitError(f"git has no object {sha}")
        return content

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs through one `git cat-file --batch`, requests written while reading."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        found: dict[str, bytes] = {}
        # A process of its own rather than GitPython's shared one: all requests go in at
        # once (from a thread, so neither pipe fills up) instead of one round trip each.
        with _reading(self.root, ["cat-file", "--batch"], feed=True) as proc:
            assert proc.stdin is not None
            assert proc.stdout is not None
            stdin = proc.stdin

            def feed() -> None:
                with contextlib.suppress(BrokenPipeError):
                    stdin.write("".join(f"{s}\n" for s in wanted).encode())
                with contextlib.suppress(BrokenPipeError):
                    stdin.close()

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            try:
                for sha in wanted:
                    header = proc.stdout.readline().split()
                    if len(header) == 3 and header[1] == b"blob":
                        found[sha] = proc.stdout.read(int(header[2]) + 1)[:-1]
                    elif len(header) == 3:
                        proc.stdout.read(int(header[2]) + 1)
                    elif not header:
                        raise GitError(f"git cat-file stopped before {sha}")
            finally:
                writer.join()
        return found

    def tree(self, name: str) -> list[tuple[str, str, str]] | None:
        """(mode, name, object id) of each entry of the tree `name` (an object id or
        `rev:path`), in git's order, read through the command's one `cat-file`; None when
        `name` is no tree (or there is no such object)."""
        if "\n" in name:
            return None  # a batch request is one line
        if self._reader is None:
            self._reader = _ObjectReader(self.root)
        found = self._reader.read_object(name)
        if found is None or found[1] != "tree":
            return None
        size = len(found[0]) // 2  # SHA-1 or SHA-256 ids
        data = found[2]
        entries = []
        i, end = 0, len(data)
        while i < end:
            space = data.index(b" ", i)
            nul = data.index(b"\0", space)
            mode = data[i:space].decode().rjust(6, "0")  # as ls-tree prints it (040000)
            entries.append(
                (
                    mode,
                    data[space + 1 : nul].decode("utf-8", "replace"),
                    data[nul + 1 : nul + 1 + size].hex(),
                )
            )
            i = nul + 1 + size
        return entries

    def tree_id(self, name: str) -> str | None:
        """The id of the tree `name` names (`rev:path`), read through the command's one
        `cat-file`; None when it names no tree."""
        if "\n" in name:
            return None
        found = self._object_with_id(name)
        return None if found is None or found[1] != "tree" else found[0]

    def blob_at(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob id, content) of the file `path` at `rev`; None when there is none."""
        if "\n" in rev or "\n" in path:
            return None  # a batch request is one line; no such path is ever committed
        if self._reader is None:
            self._reader = _ObjectReader(self.root)
        found = self._reader.read_object(f"{rev}:{path}")
        return None if found is None else (found[0], found[2])

    def file_at(self, rev: str, path: str) -> bytes | None:
        if "\n" in rev or "\n" in path:
            return None  # a batch request is one line; no such path is ever committed
        return self._object(f"{rev}:{path}")

    def dirty(self, paths: Sequence[str]) -> list[str]:
        """Paths among `paths` that differ from HEAD in the index or the work tree.

        A path that leads through a symlink is refused first (safepath.UnsafePath)."""
        if not paths:
            return []
        for path in paths:
            safepath.check(self.root, path)
        out = self._run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
        return [e[3:] for e in out.split("\0") if len(e) > 3 and e[2] == " "]

    def uncommitted(self, prefix: str, index_copies: Path | None = None) -> dict[str, str]:
        """Files under `prefix` whose staged or work-tree state differs from HEAD, with git's
        two-letter status (`" M"`, `"M "`, `" D"`, `"??"`; both paths of a rename).

        For read-only commands: no optional locks, since `git status` would otherwise
        refresh the index under `index.lock` and could make a concurrent writer fail.

        `index_copies`: a folder where git may keep a refreshed copy of the index (see
        `_index_copy`), for a question about many files."""
        env = {"GIT_OPTIONAL_LOCKS": "0"}
        copy = None if index_copies is None else self._index_copy(index_copies)
        if copy is not None:
            env = {"GIT_INDEX_FILE": str(copy)}
        out = self._run(
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
            prefix,
            env=env,
        )
        found: dict[str, str] = {}
        entries = iter(out.split("\0"))
        for entry in entries:
            if len(entry) > 3:
                found[entry[3:]] = entry[:2]
                if "R" in entry[:2] or "C" in entry[:2]:  # -z puts the old path next
                    found[next(entries, "")] = "D "
        found.pop("", None)
        for path in self._pending_files():
            found.pop(path, None)
        return found

    def _index_copy(self, folder: Path) -> Path | None:
        """A copy of the index, the same entries, whose stat data git may refresh; None
        when there is none to be had (the caller asks with the index itself).

        The index's stat data says which files git need not read again. When it is stale
        (a copied or restored clone, a tool that rewrote files unchanged), `git status`
        reads and hashes every file again on every run, since a read-only command must
        not write the user's index; asked with a copy, git refreshes the copy once. The
        copy is named after the content it was taken from, so it is never used for
        another index; it keeps the index's time, so git's check of entries written in
        the same second as the index ("racily clean") is the same."""
        if "GIT_INDEX_FILE" in os.environ:
            return None
        try:
            if any(self.git_dir.glob("sharedindex.*")):
                return None  # a split index: the copy would not find its shared part
            fd = _open_nofollow(self.git_dir / "index", os.O_RDONLY)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read()
                seen = os.fstat(fh.fileno())
        except (OSError, GitError):
            return None
        name = f"{INDEX_COPY}{hashlib.sha256(data).hexdigest()[:32]}"
        copy = folder / name
        try:
            if copy.is_file() and not copy.is_symlink():
                return copy
            for old in folder.glob(f"{INDEX_COPY}*"):
                if not old.name.startswith(name):
                    with contextlib.suppress(OSError):
                        old.unlink()
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.utime(tmp, ns=(seen.st_atime_ns, seen.st_mtime_ns))
                os.replace(tmp, copy)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return None
        return copy

    def _pending_files(self) -> list[str]:
        """Files an interrupted supportctl action committed but could not check out yet: they
        differ from HEAD until recovery runs, but they are not anybody's uncommitted edits."""
        try:
            data = self.read_journal()
        except (OSError, ValueError, GitError):  # recovery reports a journal it cannot trust
            return []
        if data is None or self.journal_problem(data) or self.head() != data.get("new"):
            return []
        return list(data.get("files") or {})

    def operation_in_progress(self) -> str | None:
        for name, what in (
            ("MERGE_HEAD", "a merge"),
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
        ):
            if (self.git_dir / name).exists():
                return what
        return None

    def log(
        self, rev: str = "HEAD", paths: Sequence[str] = ("data",), *, newest_first: bool = False
    ) -> Iterator[RawCommit]:
        """Stream commits with trailers and raw changes, in one `git log` pass.

        Oldest first (parents before children) by default. `newest_first` streams in
        git's default order instead: output starts at once, while `--reverse` and
        `--topo-order` make git walk the whole history before printing anything.
        """
        if self.head() is None:
            return
        fmt = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cd%x1f%s%x1f%(trailers:only,unfold)%x1f"
        order = [] if newest_first else ["--reverse", "--topo-order"]
        args = [
            "log",
            *order,
            "--raw",
            "--date=raw",
            "--no-renames",
            "-z",
            "--no-abbrev",
            f"--format={fmt}",
            rev,
            "--",
            *paths,
        ]
        with _reading(self.root, args) as proc:
            assert proc.stdout is not None
            for record in _records(proc.stdout, 1 << 16):
                yield _parse_record(record)

    def commit_fields(self, rev: str, apart: str) -> Iterator[list[str]]:
        """Every commit reachable from `rev` (a commit id or a range), newest first, as
        the fields id, root tree, parents, author name, author e-mail, author date and
        committer date (git's raw dates), subject, trailers (one per line), and whether
        it changed anything outside the top-level folder `apart` ("1", else ""; a merge:
        "").

        No diff of what lies in `apart`: git then reads commit objects and root trees
        only, about a third of the work of `log --raw`, whose tree diffs of the folders
        of files are most of the cost on a long history. The fields of a commit are
        split like those of `log`, so both read a malformed one alike.
        """
        fmt = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cd%x1f%s%x1f%(trailers:only,unfold)"
        # every commit, as without a pathspec (`--full-history --sparse`), with the raw
        # diff of what lies outside the folder `apart`: git compares root trees, never
        # descending into it (a file or submodule of that name is outside it). No rename
        # detection: any line at all is the answer; and no submodule change hidden by the
        # user's or the repository's settings.
        args = ["log", "--date=raw", "--no-abbrev", f"--format={fmt}", "--raw", "--no-renames"]
        args += ["--ignore-submodules=none", "--full-history", "--sparse", rev]
        args += ["--", f":(exclude,top){apart}/"]
        with _reading(self.root, args) as proc:
            assert proc.stdout is not None
            for record in _records(proc.stdout, 1 << 18):
                fields = record.split("\x1f")
                # the raw lines follow the trailers; each starts with ":", which no
                # trailer line does
                last = fields[-1]
                if last.startswith(":"):
                    fields[-1], changed = "", "1"
                elif (cut := last.find("\n:")) >= 0:
                    fields[-1], changed = last[: cut + 1], "1"
                else:
                    changed = ""
                fields.append(changed)
                yield fields

    def object_ids(self, names: Sequence[str]) -> list[tuple[str, str] | None]:
        """(type, id) of each object name (`<tree>:<path>`, `<commit>^{tree}`), None for
        one that does not exist: all through one `git cat-file --batch-check`."""
        if not names:
            return []
        if any("\n" in n for n in names):
            raise ValueError("an object name has no newline")
        args = ["cat-file", "--batch-check=%(objecttype) %(objectname)", "--buffer"]
        with _reading(self.root, args, feed=True) as proc:
            assert proc.stdin is not None
            assert proc.stdout is not None
            writer = _feeding(proc.stdin, "".join(f"{n}\n" for n in names).encode())
            try:
                lines = proc.stdout.read().decode("utf-8", "replace").split("\n")
            finally:
                writer.join()
        found: list[tuple[str, str] | None] = []
        for line in lines[: len(names)]:
            kind, _, oid = line.partition(" ")
            ok = kind in ("blob", "tree", "commit", "tag") and len(oid) == len(ZERO)
            found.append((kind, oid) if ok else None)
        found.extend([None] * (len(names) - len(found)))
        return found

    def tree_changes(
        self, shas: Iterable[str], prefix: str
    ) -> dict[str, tuple[tuple[str, str, str], ...]]:
        """The files under `prefix` each commit (not a merge) changed, as (path, old blob,
        new blob) like `RawCommit.changes`: one `git diff-tree --stdin` for all of them.
        A commit that changed nothing there is left out."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        args = ["diff-tree", "--stdin", "-r", "--root", "--no-renames", "-z", "--no-abbrev"]
        with _reading(self.root, [*args, "--", prefix], feed=True) as proc:
            assert proc.stdin is not None
            assert proc.stdout is not None
            writer = _feeding(proc.stdin, "".join(f"{s}\n" for s in wanted).encode())
            try:
                out = proc.stdout.read().decode("utf-8", "replace")
            finally:
                writer.join()
        found: dict[str, list[tuple[str, str, str]]] = {}
        rows: list[tuple[str, str, str]] = []
        tokens = iter(out.split("\0"))
        for token in tokens:
            if token.startswith(":"):
                _, _, old, new, _ = token.split(" ", 4)
                rows.append((next(tokens, ""), old, new))
            elif token:
                rows = found.setdefault(token.strip(), [])
        return {sha: tuple(rows) for sha, rows in found.items() if rows}

    # -- the state folder and the journal --------------------------------------
    def ensure_state_dir(self) -> Path:
        """`.git/supportctl/`, made when missing; a symlink there is refused (the lock, the
        journal and the caches would live wherever it points)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    def open_state_file(self, name: str, flags: int) -> int:
        """A file descriptor on `.git/supportctl/NAME`, never through a symbolic link."""
        return _open_nofollow(self.ensure_state_dir() / name, flags)

    @property
    def journal_path(self) -> Path:
        return self.state_dir / "journal.json"

    def read_journal(self) -> Any:
        """The journal an action in flight writes (see `storage.transaction`), parsed, or
        None when there is none. OSError when it cannot be read, ValueError when it is not
        JSON (a journal cut short), GitError when it is a symbolic link."""
        if not os.path.lexists(self.journal_path):
            return None
        return json.loads(_read_nofollow(self.journal_path))

    def write_journal(self, data: dict[str, Any]) -> None:
        self.ensure_state_dir()
        _write_nofollow(self.journal_path, json.dumps(data))

    def journal_problem(self, data: Any) -> str | None:
        """Why a journal cannot have been written by supportctl, or None when it is sound.

        Checked before any of it is used: it may only name commit ids and files under
        `data/` reached without a symlink, so a forged one cannot make even a read-only
        command write or delete anything elsewhere."""
        if not isinstance(data, dict):
            return "not a supportctl journal"
        for key in ("old", "new"):
            value = data.get(key)
            if value is not None and not (isinstance(value, str) and _SHA.fullmatch(value)):
                return f"`{key}` is not a commit id"
        files = data.get("files", {} if data.get("move") else None)
        if not isinstance(files, dict):
            return "not a supportctl journal (no `files`)"
        for path, sha in files.items():
            if not (isinstance(sha, str) and _SHA.fullmatch(sha)) and sha is not None:
                return f"the blob id of {path!r} is not a blob id"
            if not isinstance(path, str) or not path.startswith(JOURNAL_FOLDER):
                return f"it names {path!r}, outside {JOURNAL_FOLDER}"
            try:
                safepath.check(self.root, path)
            except safepath.UnsafePath as exc:
                return f"it names {path!r}: {exc.message}"
        done = data.get("done", {})
        if not isinstance(done, dict) or any(
            p not in files or not (b is None or (isinstance(b, str) and _SHA.fullmatch(b)))
            for p, b in done.items()
        ):
            return "its `done` files are not among its `files`"
        return None

    def stale_indexes(self) -> Iterator[Path]:
        """Private index files left by killed commands (`write_commit` names them after the
        process that made them)."""
        for f in self.state_dir.glob("index.*") if self.state_dir.is_dir() else ():
            pid = f.suffix[1:]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                yield f

    def index_matches(self, old: str | None, new: str) -> bool:
        """Whether the index holds `new`'s version of every path that differs from `old`."""
        changed = (
            {p for p, _, _ in self.changed_paths(old, new)}
            if old
            else set(self._run("ls-tree", "-r", "-z", "--name-only", new).split("\0")) - {""}
        )
        differs = set(
            self._run("diff-index", "--cached", "--name-only", "-z", "--no-renames", new).split(
                "\0"
            )
        )
        return not (changed & differs)

    # -- writing --------------------------------------------------------------
    def store_blob(self, content: bytes) -> str:
        """Write `content` as a blob, byte for byte (no attribute filter, no end-of-line
        conversion: the file is checked out as the action wrote it); its id."""
        return self._run("hash-object", "-w", "--no-filters", "--stdin", stdin=content).strip()

    def write_commit(
        self,
        parent: str | None,
        files: dict[str, bytes | None],
        message: str,
        *,
        author: Identity,
        committer: Identity | None = None,
    ) -> tuple[str, dict[str, str | None]]:
        """Write a commit of `parent`'s tree with `files` changed (None deletes); no ref moves.

        The committer is `committer`, else the author when acting as someone (`act_as`),
        else git's own (the configured identity, now). Returns the commit id and the blob
        id written per path.
        """
        edited = self._edited_tree(parent, files)
        if edited is not None:
            tree, blobs = edited
        else:
            tree, blobs = self._indexed_tree(parent, files)
        commit_env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": git_time(author.when),
        }
        if committer is None and self._acting is not None:
            committer = author
        if committer is not None:
            commit_env |= {
                "GIT_COMMITTER_NAME": committer.name,
                "GIT_COMMITTER_EMAIL": committer.email,
                "GIT_COMMITTER_DATE": git_time(committer.when),
            }
        parents = ["-p", parent] if parent else []
        sha = self._run(
            "commit-tree", tree, *parents, "-F", "-", env=commit_env, stdin=message.encode()
        ).strip()
        self._last_commit = (sha, tree)
        return sha, blobs

    def _edited_tree(
        self, parent: str | None, files: dict[str, bytes | None]
    ) -> tuple[str, dict[str, str | None]] | None:
        """`parent`'s tree with `files` changed, made by editing only the trees on their
        paths (see `storage.objects`): no git process at all. None when this repository
        is not the plain case, or the change is one for git's index to judge."""
        writer = self._loose_writer(parent)
        if writer is None or parent is None:
            return None
        trees = self._trees
        if len(trees) > TREE_CACHE:
            trees.clear()
        last = self._last_commit
        if last is not None and last[0] == parent and last[1] in trees:
            root_body = trees[last[1]]
        else:
            root = self._object_with_id(f"{parent}^{{tree}}")
            if root is None or root[1] != "tree":
                return None
            root_body = trees[root[0]] = root[2]

        def read_tree(sha: str) -> bytes:
            if sha in trees:
                return trees[sha]
            found = self._object_with_id(sha)
            if found is None or found[1] != "tree":
                raise objects.Unsupported(sha)
            trees[sha] = found[2]
            return found[2]

        def write(kind: bytes, body: bytes) -> str:
            sha = writer.write(kind, body)
            if kind == b"tree":
                trees[sha] = body
            return sha

        blobs = {p: (None if c is None else writer.write(b"blob", c)) for p, c in files.items()}
        try:
            tree = objects.edit_tree(read_tree, write, root_body, blobs)
        except objects.Unsupported:
            return None
        return tree, blobs

    def _loose_writer(self, parent: str | None) -> objects.LooseWriter | None:
        """A writer of loose objects when git would write them plainly into `.git/objects`:
        a SHA-1 repository (told by the id of `parent`) in its own folder, no object folder
        set from outside, no shared-permission rule, no second object format to keep.
        Read from the repository's own config file only: settings included from elsewhere
        send the commit through git's index instead."""
        if not self._plain or parent is None or len(parent) != 40:
            return None
        if "GIT_OBJECT_DIRECTORY" in os.environ or "GIT_DIR" in os.environ:
            return None
        try:
            config = (self.git_dir / "config").read_bytes().lower()
        except OSError:
            return None
        # a repository configured to sync objects to disk (core.fsync…) gets them from git
        if any(k in config for k in (b"sharedrepository", b"objectformat", b"include", b"fsync")):
            return None
        return objects.LooseWriter(self.git_dir / "objects")

    def _indexed_tree(
        self, parent: str | None, files: dict[str, bytes | None]
    ) -> tuple[str, dict[str, str | None]]:
        """`parent`'s tree with `files` changed, through a private index: git judges every
        path. Used for the first commit and wherever `_edited_tree` declines."""
        blobs = {p: (None if c is None else self.store_blob(c)) for p, c in files.items()}
        index_file = self.ensure_state_dir() / f"index.{os.getpid()}"
        env = {"GIT_INDEX_FILE": str(index_file)}
        try:
            self._run("read-tree", *([parent] if parent else ["--empty"]), env=env)
            args = ["update-index", "--add"]
            for path, sha in blobs.items():
                args += (
                    ["--force-remove", path]
                    if sha is None
                    else ["--cacheinfo", f"100644,{sha},{path}"]
                )
            self._run(*args, env=env)
            tree = self._run("write-tree", env=env).strip()
        finally:
            index_file.unlink(missing_ok=True)
        return tree, blobs

    def update_ref(self, ref: str, new: str, old: str | None, reason: str) -> None:
        """Move `ref` to `new` only if it still points at `old` (None: does not exist yet),
        so a commit made meanwhile by anyone else is never lost."""
        self._run("update-ref", "-m", reason, ref, new, old or ZERO)

    # -- sync plumbing ----------------------------------------------------------
    def current_branch(self) -> str | None:
        try:
            return self._run("symbolic-ref", "-q", "--short", "HEAD").strip() or None
        except GitError:
            return None

    def remotes(self) -> list[str]:
        return [r for r in self._run("remote").split() if r]

    def fetch(self, remote: str) -> None:
        done = run_git(
            self.root,
            "fetch",
            "--quiet",
            "--prune",
            "--end-of-options",
            remote,
            check=False,
            timeout=REMOTE_TIMEOUT,
        )
        if done.status != 0:
            # git's first "fatal:" line names the problem; the lines after it are advice
            err = done.err.decode("utf-8", "replace")
            lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
            first = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), None)
            detail = first or (lines[-1] if lines else f"exit status {done.status}")
            raise GitError(
                f"git fetch failed: {detail.removeprefix('fatal: ').removeprefix('error: ')}"
            )

    def push(self, remote: str, branch: str, sha: str) -> bool:
        """Push `sha` to `remote`'s `branch`; False when the remote moved on (non-fast-forward)."""
        # With --porcelain each ref's outcome is a stdout line like "!<TAB>src:dst<TAB>[rejected]
        # (fetch first)"; stderr's last line is only a hint whose wording varies by git version.
        done = run_git(
            self.root,
            "push",
            "--porcelain",
            "--end-of-options",
            remote,
            f"{sha}:refs/heads/{branch}",
            check=False,
            timeout=REMOTE_TIMEOUT,
        )
        if done.status == 0:
            return True
        refused = [ln.split("\t")[-1] for ln in done.text.splitlines() if ln.startswith("!")]
        if refused and all(_lost_race(r) for r in refused):
            return False
        err = done.err.decode("utf-8", "replace")
        errors = [
            ln.strip() for ln in err.splitlines() if ln.strip() and not ln.startswith("hint:")
        ]
        raise GitError(
            f"git push failed: {(refused or errors or ['exit status ' + str(done.status)])[0]}"
        )

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self._run("merge-base", a, b).strip() or None
        except GitError:
            return None

    def rev_list(self, spec: str) -> list[str]:
        out = self._run("rev-list", "--reverse", "--topo-order", "--no-merges", spec)
        return [line for line in out.split() if line]

    def subjects(self, spec: str) -> list[str]:
        """The subject lines of the commits in `spec` (`A..B`, or one tip), oldest first."""
        out = self._run("log", "--reverse", "--format=%s", spec)
        return [line for line in out.splitlines() if line]

    def trailer_values(self, shas: Iterable[str], key: str) -> dict[str, list[str]]:
        """The values of trailer `key` in each of these commits' messages (all of them read
        by one `git log`, the ids given on its standard input)."""
        text = self._run(
            "log",
            "--no-walk=unsorted",
            "--stdin",
            f"--format=%H%x1f%(trailers:key={key},valueonly,unfold)%x1e",
            stdin="".join(f"{s}\n" for s in shas).encode(),
        )
        out: dict[str, list[str]] = {}
        for record in text.split("\x1e"):
            sha, _, values = record.strip().partition("\x1f")
            if sha:
                out[sha] = [v.strip() for v in values.splitlines() if v.strip()]
        return out

    def deleted_paths(self, spec: str, paths: Sequence[str]) -> list[str]:
        """Paths under `paths` that some commit in `spec` deleted (renames count as a
        delete and an add)."""
        out = self._run(
            "log",
            "--no-renames",
            "--diff-filter=D",
            "--name-only",
            "--format=",
            spec,
            "--",
            *paths,
        )
        return [line for line in out.splitlines() if line]

    def names_in(self, rev: str, folder: str) -> list[str]:
        """The paths of the entries directly in `folder` (ending in `/`) at `rev`."""
        return [f"{folder}{name}" for name, _, _ in self._tree_at(rev, folder.rstrip("/"))]

    def files_in(self, rev: str, folder: str) -> list[tuple[str, str]]:
        """(path, object id) of every file under `folder` at `rev`, like `ls_tree`, for a
        folder of a few hundred entries: its trees are read through the object reader
        instead of a `git ls-tree` process. Empty when the folder or `rev` is missing."""
        return self._files_below(self._tree_at(rev, folder), folder)

    def _files_below(
        self, entries: list[tuple[str, str, str]], folder: str
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for name, mode, sha in entries:
            path = f"{folder}/{name}"
            if mode == "40000":
                found += self._files_below(self._tree_entries(sha), path)
            else:
                found.append((path, sha))
        return found

    def changed_on(self, parent: str, commit: str, folder: str) -> list[str] | None:
        """The paths under `folder` that `commit` adds, changes or deletes, when its one
        parent is `parent` (else None), found by comparing the two trees through the
        object reader: only the folders that differ are read, and no process starts."""
        found = self._object_with_id(commit)
        if found is None or found[1] != "commit":
            return None
        headers = found[2].partition(b"\n\n")[0].split(b"\n")
        if [h[7:].decode() for h in headers if h.startswith(b"parent ")] != [parent]:
            return None
        return self._differing(self._tree_at(parent, folder), self._tree_at(commit, folder), folder)

    def _differing(
        self, old: list[tuple[str, str, str]], new: list[tuple[str, str, str]], folder: str
    ) -> list[str]:
        was = {name: (mode, sha) for name, mode, sha in old}
        now = {name: (mode, sha) for name, mode, sha in new}
        paths = []
        for name in sorted(was.keys() | now.keys()):
            a, b = was.get(name), now.get(name)
            if a == b:
                continue
            path = f"{folder}/{name}"
            inside_a = self._tree_entries(a[1]) if a is not None and a[0] == "40000" else []
            inside_b = self._tree_entries(b[1]) if b is not None and b[0] == "40000" else []
            if inside_a or inside_b:
                paths += self._differing(inside_a, inside_b, path)
            if any(e is not None and e[0] != "40000" for e in (a, b)):
                paths.append(path)  # a file added, changed, deleted, or become a folder
        return paths

    def _tree_at(self, rev: str, folder: str) -> list[tuple[str, str, str]]:
        """(name, mode, id) of the entries of `folder` at `rev`; empty when there is no
        such folder."""
        if "\n" in rev or "\n" in folder:
            return []
        found = self._object_with_id(f"{rev}:{folder}")
        return [] if found is None or found[1] != "tree" else _entries(found[2])

    def _tree_entries(self, tree: str) -> list[tuple[str, str, str]]:
        found = self._object_with_id(tree)
        return [] if found is None or found[1] != "tree" else _entries(found[2])

    def count(self, spec: str) -> int:
        return int(self._run("rev-list", "--count", spec).strip() or 0)

    def commit_info(self, sha: str) -> tuple[str, Identity, tuple[str, ...]]:
        """(full message, author with date, parents) of a commit."""
        c = self._repo.commit(sha)
        when = parse_git_time(str(c.authored_date), _offset_text(int(c.author_tz_offset)))
        message = c.message if isinstance(c.message, str) else c.message.decode("utf-8", "replace")
        return (
            message,
            Identity(c.author.name or "", c.author.email or "", when),
            tuple(p.hexsha for p in c.parents),
        )

    def committer(self, sha: str) -> Identity:
        """Committer name, e-mail and date of a commit (sync keeps them when it replays one)."""
        c = self._repo.commit(sha)
        when = parse_git_time(str(c.committed_date), _offset_text(int(c.committer_tz_offset)))
        return Identity(c.committer.name or "", c.committer.email or "", when)

    def changed_paths(self, old: str, new: str) -> list[tuple[str, str, str]]:
        """(path, old blob, new blob) between two commits; ZERO for absent."""
        out = self._run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new)
        tokens = out.split("\0")
        result = []
        for i in range(0, len(tokens) - 1, 2):
            meta = tokens[i].lstrip(":").split()
            if len(meta) >= 4:
                result.append((tokens[i + 1], meta[2], meta[3]))
        return result

    def merge_text(self, base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes, bool]:
        """git merge-file: (merged content, clean?)."""
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
                path = Path(tmp) / name
                path.write_bytes(content)
                paths.append(str(path))
            # exit status: the number of conflicts, or negative when merge-file failed
            done = run_git(self.root, "merge-file", "-p", *paths, check=False)
            if done.status < 0 or done.status > 127:
                raise GitError(_failure(self.root, ["merge-file"], done.err, done.status))
            return done.out, done.status == 0

    def switch_tree(self, old: str | None, new: str) -> None:
        """Check out `new` over `old` in the index and the work tree, keeping unrelated local
        changes (git refuses, and nothing changes, where a local change is in the way)."""
        self._with_index(lambda: self._run("read-tree", "-m", "-u", *([old] if old else []), new))

    def set_branch(self, old: str | None, new: str, reason: str) -> None:
        """Move the current branch (HEAD itself when detached) from `old` to `new`."""
        branch = self.current_branch()
        self.update_ref(f"refs/heads/{branch}" if branch else "HEAD", new, old, reason)

    def checkout_files(
        self,
        blobs: dict[str, str | None],
        contents: dict[str, bytes | None] | None = None,
        *,
        index: bool = True,
    ) -> None:
        """Write the blobs of a commit just made to the work tree and the index (None
        deletes): only these paths, so the user's other changes stay as they are.
        `contents`: the blobs' bytes where the caller has them (no read back); `index`
        False leaves the index to `update_index`."""
        for path, sha in blobs.items():
            if sha is None:
                safepath.remove(self.root, path)
            else:
                content = contents.get(path) if contents is not None else None
                safepath.write_bytes(
                    self.root, path, self.blob(sha) if content is None else content
                )
        if index:
            self._update_index(blobs)

    def update_index(
        self, blobs: dict[str, str | None], committed: dict[str, str | None] | None = None
    ) -> None:
        """Stage `blobs` as the work tree has them (written from a commit just made), and
        `committed` as the commit has them, whatever the work tree holds now (changed since
        by someone else: that change stays theirs, unstaged)."""
        if not committed:
            self._update_index(blobs)
            return
        args = ["update-index", "--add", "--remove"]
        for path, sha in committed.items():
            args += (
                ["--force-remove", path] if sha is None else ["--cacheinfo", f"100644,{sha},{path}"]
            )
        args += ["--", *blobs]
        self._with_index(
            lambda: self._run(*args),
            "the commit is made; the next supportctl command updates the work tree",
        )

    def staged(self) -> set[str]:
        """Paths whose staged state differs from HEAD (none without a HEAD)."""
        if self.head() is None:
            return set()
        out = self._run("diff-index", "--cached", "--name-only", "-z", "--no-renames", "HEAD")
        return set(out.split("\0")) - {""}

    def blob_id_at(self, rev: str, path: str) -> str | None:
        """The id of the file `path` at `rev`, None when there is no such file."""
        if not rev or "\n" in rev or "\n" in path:
            return None
        last = self._last_commit
        if last is not None and last[0] == rev:
            known = self._blob_in_kept_trees(last[1], path)
            if known is not None:
                return known[0]
        found = self._object_with_id(f"{rev}:{path}")
        return found[0] if found is not None and found[1] == "blob" else None

    def _blob_in_kept_trees(self, tree: str, path: str) -> tuple[str | None] | None:
        """(the blob id of `path` in `tree`, None when there is no such file), read from the
        trees kept in memory; None when one on the way is not kept."""
        body = self._trees.get(tree)
        names = path.split("/")
        for i, name in enumerate(names):
            if body is None:
                return None
            try:
                entry = objects.parse_tree(body).get(name.encode())
            except ValueError:
                return None
            if entry is None:
                return (None,)
            mode, sha = entry
            if i == len(names) - 1:
                return (None,) if objects.canonical_mode(mode) == objects.TREE else (sha.hex(),)
            if objects.canonical_mode(mode) != objects.TREE:
                return (None,)
            body = self._trees.get(sha.hex())
        return None

    def worktree_blob_id(self, path: str) -> str | None:
        """The blob id of the work tree's file at `path` as it is (no filters), None when
        there is none; a symlink or a folder there gets an id no commit of ours has."""
        full = self.root / path
        try:
            st = full.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return "-"
        return objects.object_id(b"blob", full.read_bytes())

    def _update_index(self, blobs: dict[str, str | None]) -> None:
        args = ["update-index", "--add", "--remove", "--", *blobs]
        self._with_index(
            lambda: self._run(*args),
            "the commit is made; the next supportctl command updates the work tree",
        )

    def wait_for_index_lock(self) -> None:
        """Before committing, wait for git's index.lock like after (an editor or IDE holds it
        briefly); one still there after INDEX_LOCK_TIMEOUT stops the command with nothing
        committed, instead of a commit made and exit 8 ("the commit is made")."""
        lock = self.git_dir / "index.lock"
        deadline = time.monotonic() + INDEX_LOCK_TIMEOUT
        while lock.exists():
            if time.monotonic() > deadline:
                raise GitError(lock_state(lock, self.root, "nothing was committed"))
            time.sleep(0.1)

    def _with_index(self, write: Callable[[], T], done: str = "") -> T:
        """Run a git command that writes the index, waiting while git's own index.lock is held
        (by an editor, an IDE or another git command) for up to INDEX_LOCK_TIMEOUT."""
        lock = self.git_dir / "index.lock"
        deadline = time.monotonic() + INDEX_LOCK_TIMEOUT
        while True:
            try:
                return write()
            except GitError as exc:
                # GitError keeps only git's last stderr line, the "remove the file manually" hint.
                locked = (
                    lock.exists()
                    or "index.lock" in exc.message
                    or "remove the file manually" in exc.message
                )
                if not locked:
                    raise
                if time.monotonic() > deadline:
                    raise GitError(lock_state(lock, self.root, done)) from None
                time.sleep(0.1)


# Trees kept in memory by a Repo (a few KiB each) before it starts afresh.
TREE_CACHE = 1024
# A journal may only name files here: recovery writes what it names, even for a reader.
JOURNAL_FOLDER = "data/"
JOURNAL_ADVICE = (
    "supportctl did not write it, so it was left alone: look at it, then remove it to continue"
)
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object ids
_HELD_LOCK = re.compile(r"Unable to create '([^'\n]+\.lock)': File exists")
# git subcommands that never take a lock: one running does not explain a held lock file
_READERS = frozenset(
    [
        "cat-file",
        "log",
        "ls-tree",
        "ls-files",
        "rev-parse",
        "rev-list",
        "show",
        "var",
        "merge-base",
        "diff-tree",
        "for-each-ref",
        "config",
        "version",
        "help",
    ]
)
STALE_AGE = 600.0  # without /proc, a lock file this old is taken to be left over


def lock_state(lock: Path, root: Path, done: str = "") -> str:
    """One line about a git lock file in the way: its full path, whether a git process that
    may hold it runs in this repo, and what to do. The holder is looked for in /proc (a
    git process working in this repo, other than read-only git commands); without /proc,
    a file older than STALE_AGE is taken to be left over."""
    note = f" ({done})" if done else ""
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return f"{lock} was held by another git process{note}; it is gone: run the command again"
    remove = f"remove it (`rm {lock}`) and run the command again"
    holders = _git_processes(root)
    if holders:
        pid, what = holders[0]
        return (
            f"{lock} is held by a running git process (pid {pid}: {what}){note}; "
            "wait for it to finish, then run the command again"
        )
    if holders is not None:
        return (
            f"{lock} is stale: no git process runs in this repo (left by a killed git, "
            f"{_ago(age)} old){note}; {remove}"
        )
    if age < STALE_AGE:
        return (
            f"{lock} is held, maybe by a running git process ({_ago(age)} old){note}; wait for "
            f"it to finish; if no git command is running, {remove}"
        )
    return f"{lock} is {_ago(age)} old, so probably left by a killed git{note}; {remove}"


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{max(int(seconds), 0)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def _git_processes(root: Path) -> list[tuple[int, str]] | None:
    """(pid, command) of git processes that may write in the repo at `root`: a git whose
    working folder is in the repo, except read-only subcommands (GitPython's cat-file).
    None when processes cannot be listed (no /proc)."""
    proc = Path("/proc")
    if not (proc / "self" / "cmdline").exists():
        return None
    here = str(root.resolve())
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            name = os.path.basename(argv[0].decode(errors="replace"))
            if name != "git" and not name.startswith("git-"):
                continue
            cwd = os.readlink(entry / "cwd")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or another user's process
        if not (cwd == here or cwd.startswith(here + os.sep)):
            continue
        words = [a.decode(errors="replace") for a in argv[1:] if a]
        sub = next(
            (
                w
                for i, w in enumerate(words)
                if not w.startswith("-") and (i == 0 or words[i - 1] not in ("-c", "-C"))
            ),
            "",
        )
        if sub in _READERS:
            continue
        found.append((int(entry.name), " ".join(["git", *words])[:60]))
    return sorted(found)


def _open_nofollow(path: Path, flags: int) -> int:
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise GitError(
                f"{path} is a symbolic link; supportctl does not follow it: remove it"
            ) from None
        raise


def _read_nofollow(path: Path) -> str:
    with os.fdopen(_open_nofollow(path, os.O_RDONLY), "rb") as fh:
        return fh.read(1 << 20).decode("utf-8", "replace")


def _write_nofollow(path: Path, text: str) -> None:
    with os.fdopen(_open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as fh:
        fh.write(text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lost_race(refusal: str) -> bool:
    """Whether a push was refused only because someone else pushed first: non-fast-forward
    ("[rejected] (fetch first)"), or the remote's ref was being updated by another push at
    that very moment ("[remote rejected] (failed to update ref)" / "(failed to lock)")."""
    return refusal.startswith("[rejected]") or (
        refusal.startswith("[remote rejected]")
        and ("failed to update ref" in refusal or "failed to lock" in refusal)
    )


def _offset_text(altz: int) -> str:
    # GitPython keeps offsets as seconds west of UTC
    east = -altz // 60
    sign = "-" if east < 0 else "+"
    return f"{sign}{abs(east) // 60:02d}{abs(east) % 60:02d}"


_RAW_CHANGE = re.compile(r":\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) [A-Z]\d*\x00([^\x00]*)\x00")


def _records(stdout: IO[bytes], chunk_size: int) -> Iterator[str]:
    """The non-empty records of a `log` stream whose format starts each with \\x1e, read
    `chunk_size` characters at a time."""
    stream = io.TextIOWrapper(stdout, encoding="utf-8", errors="replace", newline="")
    buf = ""
    while chunk := stream.read(chunk_size):
        parts = (buf + chunk).split("\x1e")
        buf = parts.pop()
        yield from (part for part in parts if part)
    if buf:
        yield buf


def _parse_record(part: str) -> RawCommit:
    # runs once per commit of the history: kept to a few C-level string operations
    fields = part.split("\x1f")
    sha, parents, an, ae, adate, cdate, subject, trailers_text = fields[:8]
    raw = fields[8] if len(fields) > 8 else ""
    trailers = []
    for line in trailers_text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            trailers.append((key.strip(), value.strip()))
    a_s, _, a_off = adate.partition(" ")
    c_s, _, c_off = cdate.partition(" ")
    return RawCommit(
        sha.strip(),
        tuple(parents.split()),
        an,
        ae,
        parse_git_time(a_s, a_off),
        parse_git_time(c_s, c_off),
        subject,
        tuple(trailers),
        tuple((path, old, new) for old, new, path in _RAW_CHANGE.findall(raw)),
    )
