"""The only module that talks to git (through GitPython).

Everything else gets plain data from here: paths, blob ids, bytes, `Identity`,
`RawCommit`. Commits are built in a private index so the user's own staged and
unstaged changes are never swept into a supportctl commit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import git
from gitdb.base import IStream

from supportctl.domain import yamlio
from supportctl.domain.errors import GitError, UsageError
from supportctl.domain.yamlio import MAX_FILE_BYTES
from supportctl.storage import safepath

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

ZERO = "0" * 40
LOCK_TIMEOUT = 60.0
INDEX_LOCK_TIMEOUT = 10.0

T = TypeVar("T")

# What a command could not put right of a killed command's leftovers (a stale lock, a
# journal it does not trust) while it only reads: reported when it ends (`take_notices`),
# unless it took the lock, where the same problem is its error.
_NOTICES: list[str] = []


def notice(text: str) -> None:
    _NOTICES.append(text)


def take_notices() -> list[str]:
    taken = list(dict.fromkeys(_NOTICES))
    _NOTICES.clear()
    return taken


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


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self._repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"{root}: not a git repository (run `supportctl init`)") from None
        self.git_dir = Path(self._repo.git_dir)
        self._state_path = self.git_dir / "supportctl"

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
    def run(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
        try:
            if stdin is None:
                out = self._repo.git.execute(
                    ["git", *args], env=env, stdout_as_string=False, strip_newline_in_stdout=False
                )
            else:
                with tempfile.TemporaryFile() as fh:
                    fh.write(stdin)
                    fh.seek(0)
                    out = self._repo.git.execute(
                        ["git", *args],
                        env=env,
                        istream=fh,
                        stdout_as_string=False,
                        strip_newline_in_stdout=False,
                    )
        except git.GitCommandError as exc:
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr or "")
            held = _HELD_LOCK.search(err)
            if held:
                # git's last line is only "remove the file manually to continue"
                raise GitError(
                    f"git {args[0]} failed: {lock_state(Path(held.group(1)), self.root)}"
                ) from None
            lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
            detail = lines[-1].removeprefix("stderr: ").strip("'") if lines else str(exc)
            raise GitError(f"git {args[0]} failed: {detail}") from None
        assert isinstance(out, bytes)
        return out.decode("utf-8", "replace")

    @classmethod
    def init(cls, path: Path) -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        if not (path / ".git").exists():
            try:
                git.Repo.init(path)
            except git.GitCommandError as exc:
                raise GitError(f"git init failed: {exc}") from None
        return cls(path)

    def head(self) -> str | None:
        try:
            return self._repo.head.commit.hexsha if self._repo.head.is_valid() else None
        except ValueError:
            return None

    def rev(self, rev: str) -> str | None:
        """Commit id of `rev`, or None when it does not exist (e.g. an empty repo)."""
        if rev == "HEAD":
            return self.head()
        try:
            return self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}").strip() or None
        except GitError:
            return None

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.run("merge-base", "--is-ancestor", older, newer)
            return True
        except GitError:
            return False

    def commit_date(self, sha: str) -> datetime:
        c = self._repo.commit(sha)
        return parse_git_time(str(c.committed_date), _offset_text(int(c.committer_tz_offset)))

    def identity(self, at: datetime | None = None) -> Identity:
        """The author identity git would use, refusing to guess one from the host name."""
        try:
            out = self.run("-c", "user.useConfigOnly=true", "var", "GIT_AUTHOR_IDENT").strip()
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
            recorded = self.run("var", "GIT_COMMITTER_IDENT").strip().rpartition(">")[2].split()
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
        if rev == "HEAD" and self.head() is None:
            return []
        return [(path, sha) for path, _, sha in self.entries_at(rev, prefix)]

    def entries_at(self, rev: str, prefix: str) -> list[tuple[str, str, str]]:
        """(path, mode, object id) of every entry under `prefix` at commit `rev`, links and
        submodules included: a caller reading files from the commit can then refuse a
        symbolic link (mode 120000) instead of taking its target for content."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", rev, "--", prefix)
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
        try:
            commit = self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}").strip()
            out = self.run("ls-tree", "-z", commit, "--", path) if commit else ""
        except GitError:
            return None
        for entry in out.split("\0"):
            meta, _, name = entry.partition("\t")
            if name == path and meta.split()[1:2] == ["tree"]:
                return commit, meta.split()[2]
        return None

    def blob(self, sha: str) -> bytes:
        return bytes(self._repo.git.get_object_data(sha)[3])

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs through one `git cat-file --batch`, requests written while reading."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
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
        found: dict[str, bytes] = {}
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
            proc.stdout.close()
            proc.wait()
        return found

    def file_at(self, rev: str, path: str) -> bytes | None:
        try:
            return bytes(self._repo.git.get_object_data(f"{rev}:{path}")[3])
        except (ValueError, git.GitCommandError, OSError):
            return None

    def dirty(self, paths: Sequence[str]) -> list[str]:
        """Paths among `paths` that differ from HEAD in the index or the work tree.

        A path that leads through a symlink is refused first (safepath.UnsafePath)."""
        if not paths:
            return []
        for path in paths:
            safepath.check(self.root, path)
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
        return [e[3:] for e in out.split("\0") if len(e) > 3 and e[2] == " "]

    def uncommitted(self, prefix: str) -> dict[str, str]:
        """Files under `prefix` whose staged or work-tree state differs from HEAD, with git's
        two-letter status (`" M"`, `"M "`, `" D"`, `"??"`; both paths of a rename).

        For read-only commands: no optional locks, since `git status` would otherwise
        refresh the index under `index.lock` and could make a concurrent writer fail."""
        out = self.run(
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
            prefix,
            env={"GIT_OPTIONAL_LOCKS": "0"},
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

    def _pending_files(self) -> list[str]:
        """Files an interrupted supportctl action committed but could not check out yet: they
        differ from HEAD until recovery runs, but they are not anybody's uncommitted edits."""
        journal = self.state_dir / "journal.json"
        if not os.path.lexists(journal):
            return []
        try:
            data = json.loads(_read_nofollow(journal))
        except (OSError, ValueError, GitError):  # recovery reports a journal it cannot trust
            return []
        if self._journal_problem(data) or self.head() != data.get("new"):
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
        proc = self._repo.git.execute(
            [
                "git",
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
            ],
            as_process=True,
        )
        stream = io.TextIOWrapper(proc.stdout, encoding="utf-8", errors="replace", newline="")
        buf = ""
        try:
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    break
                buf += chunk
                parts = buf.split("\x1e")
                buf = parts.pop()
                for part in parts:
                    if part:
                        yield _parse_record(part)
            if buf:
                yield _parse_record(buf)
        finally:
            proc.wait()

    # -- writing --------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One supportctl writer at a time per clone; others wait for their turn."""
        _NOTICES.clear()
        self._state_dir()
        with os.fdopen(_open_nofollow(self.state_dir / "lock", os.O_RDWR | os.O_CREAT), "w") as fh:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise GitError(
                            "another supportctl command holds the lock; try again"
                        ) from None
                    time.sleep(0.05)
            try:
                done = self.recover()
                if done:
                    from supportctl.cli.out import warn

                    warn(f"{done}; check `git status` and `git log -1` if in doubt")
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _state_dir(self) -> Path:
        """`.git/supportctl/`, made when missing; a symlink there is refused (the lock, the
        journal and the caches would live wherever it points)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    def needs_recovery(self) -> bool:
        """Whether a killed supportctl command left something behind (cheap: two stats)."""
        return os.path.lexists(self.state_dir / "journal.json") or any(self._stale_indexes())

    def _stale_indexes(self) -> Iterator[Path]:
        # private index files are named after the process that made them
        for f in self.state_dir.glob("index.*") if self.state_dir.is_dir() else ():
            pid = f.suffix[1:]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                yield f

    def recover(self) -> str | None:
        """Finish or drop an action that was interrupted between commit and work-tree update."""
        for stale in list(self._stale_indexes()):
            stale.unlink(missing_ok=True)
        journal = self.state_dir / "journal.json"
        if not os.path.lexists(journal):
            return None
        try:
            data = json.loads(_read_nofollow(journal))
        except OSError as exc:
            raise GitError(
                f"{journal}: cannot read it ({exc.strerror}); {JOURNAL_ADVICE}"
            ) from None
        except ValueError:
            # written before the commit and killed half-way: nothing was committed
            journal.unlink(missing_ok=True)
            return None
        problem = self._journal_problem(data)
        if problem:
            raise GitError(f"{journal}: {problem}; {JOURNAL_ADVICE}")
        if data.get("move"):
            return self._recover_move(journal, data)
        if self.head() == data.get("new"):
            self._checkout_files(data["files"])
            journal.unlink()
            return (
                "an interrupted supportctl command had committed its action; "
                "its files are now checked out"
            )
        journal.unlink()
        return "an interrupted supportctl command had not committed its action; nothing changed"

    def _journal_problem(self, data: Any) -> str | None:
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
        return None

    def _recover_move(self, journal: Path, data: dict[str, Any]) -> str | None:
        # move_head checks out first and moves the branch second. Killed in between, the
        # index already holds `new` while HEAD still says `old`: finish by moving the branch.
        # Killed before the checkout finished, nothing was moved: the next sync does it again.
        old, new = data.get("old"), data.get("new")
        done = None
        if isinstance(new, str) and self.head() == old and self._index_matches(old, new):
            self._set_branch(old, new, "supportctl: finish an interrupted sync")
            done = "finished an interrupted sync (the branch now points at the synced commit)"
        journal.unlink(missing_ok=True)
        return done

    def _index_matches(self, old: str | None, new: str) -> bool:
        """Whether the index holds `new`'s version of every path that differs from `old`."""
        changed = (
            {p for p, _, _ in self.changed_paths(old, new)}
            if old
            else set(self.run("ls-tree", "-r", "-z", "--name-only", new).split("\0")) - {""}
        )
        differs = set(
            self.run("diff-index", "--cached", "--name-only", "-z", "--no-renames", new).split("\0")
        )
        return not (changed & differs)

    def store_blob(self, content: bytes) -> str:
        istream = self._repo.odb.store(IStream("blob", len(content), io.BytesIO(content)))
        sha = istream.hexsha
        return sha.decode() if isinstance(sha, bytes) else str(sha)

    def write_commit(
        self,
        parent: str | None,
        files: dict[str, bytes | None],
        message: str,
        *,
        author: Identity,
        committer_env: dict[str, str] | None = None,
    ) -> tuple[str, dict[str, str | None]]:
        """Write a commit of `parent`'s tree with `files` changed (None deletes); no ref moves.

        Returns the commit id and the blob id written per path.
        """
        blobs = {p: (None if c is None else self.store_blob(c)) for p, c in files.items()}
        index_file = self.state_dir / f"index.{os.getpid()}"
        self._state_dir()
        env = {"GIT_INDEX_FILE": str(index_file)}
        try:
            self.run("read-tree", *([parent] if parent else ["--empty"]), env=env)
            args = ["update-index", "--add"]
            for path, sha in blobs.items():
                args += (
                    ["--force-remove", path]
                    if sha is None
                    else ["--cacheinfo", f"100644,{sha},{path}"]
                )
            self.run(*args, env=env)
            tree = self.run("write-tree", env=env).strip()
        finally:
            index_file.unlink(missing_ok=True)
        commit_env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": git_time(author.when),
            **(committer_env or {}),
        }
        parents = ["-p", parent] if parent else []
        sha = self.run(
            "commit-tree", tree, *parents, "-F", "-", env=commit_env, stdin=message.encode()
        ).strip()
        return sha, blobs

    def commit(
        self,
        files: dict[str, bytes | None],
        message: str,
        *,
        author: Identity,
        expect_head: str | None,
    ) -> str:
        """Commit exactly `files` (None deletes) on top of HEAD; return the new commit id."""
        if self.head() != expect_head:
            raise GitError("HEAD moved while the action was prepared; run the command again")
        for path, content in files.items():
            # Before anything is written: what the work tree update would refuse, and what
            # the reader would refuse later (a file it cannot read can never be fixed by us).
            safepath.check(self.root, path)
            if content is not None and len(content) > MAX_FILE_BYTES:
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
        self._refuse_stuck_index_lock()
        new, blobs = self.write_commit(expect_head, files, message, author=author)
        journal = self.state_dir / "journal.json"
        # A commit of other files (`init`, the demo) has nothing for recovery to restore.
        kept = {p: b for p, b in blobs.items() if p.startswith(JOURNAL_FOLDER)}
        _write_nofollow(journal, json.dumps({"old": expect_head, "new": new, "files": kept}))
        subject = message.splitlines()[0]
        try:
            self.run("update-ref", "-m", f"supportctl: {subject}", "HEAD", new, expect_head or ZERO)
        except BaseException:
            # Failed rather than killed: HEAD did not move, so the repo is as it was.
            if self.head() != new:
                journal.unlink(missing_ok=True)
            raise
        self._checkout_files(blobs)
        journal.unlink()
        return new

    # -- sync plumbing ----------------------------------------------------------
    def current_branch(self) -> str | None:
        try:
            return self.run("symbolic-ref", "-q", "--short", "HEAD").strip() or None
        except GitError:
            return None

    def remotes(self) -> list[str]:
        return [r for r in self.run("remote").split() if r]

    def fetch(self, remote: str) -> None:
        try:
            status, _, err = self._repo.git.execute(
                ["git", "fetch", "--quiet", "--prune", "--end-of-options", remote],
                with_exceptions=False,
                with_extended_output=True,
            )
        except git.GitCommandError as exc:
            raise GitError(f"git fetch failed: {exc}") from None
        if status != 0:
            # git's first "fatal:" line names the problem; the lines after it are advice
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
            first = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), None)
            detail = first or (lines[-1] if lines else f"exit status {status}")
            raise GitError(
                f"git fetch failed: {detail.removeprefix('fatal: ').removeprefix('error: ')}"
            )

    def push(self, remote: str, branch: str, sha: str) -> bool:
        """Push `sha` to `remote`'s `branch`; False when the remote moved on (non-fast-forward)."""
        # With --porcelain each ref's outcome is a stdout line like "!<TAB>src:dst<TAB>[rejected]
        # (fetch first)"; stderr's last line is only a hint whose wording varies by git version.
        try:
            status, out, err = self._repo.git.execute(
                [
                    "git",
                    "push",
                    "--porcelain",
                    "--end-of-options",
                    remote,
                    f"{sha}:refs/heads/{branch}",
                ],
                with_exceptions=False,
                with_extended_output=True,
            )
        except git.GitCommandError as exc:
            raise GitError(f"git push failed: {exc}") from None
        if status == 0:
            return True
        refused = [ln.split("\t")[-1] for ln in str(out).splitlines() if ln.startswith("!")]
        if refused and all(_lost_race(r) for r in refused):
            return False
        errors = [
            ln.strip() for ln in str(err).splitlines() if ln.strip() and not ln.startswith("hint:")
        ]
        raise GitError(
            f"git push failed: {(refused or errors or ['exit status ' + str(status)])[0]}"
        )

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self.run("merge-base", a, b).strip() or None
        except GitError:
            return None

    def rev_list(self, spec: str) -> list[str]:
        out = self.run("rev-list", "--reverse", "--topo-order", "--no-merges", spec)
        return [line for line in out.split() if line]

    def count(self, spec: str) -> int:
        return int(self.run("rev-list", "--count", spec).strip() or 0)

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
        out = self.run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new)
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
            try:
                out = self._repo.git.execute(
                    ["git", "merge-file", "-p", *paths],
                    stdout_as_string=False,
                    strip_newline_in_stdout=False,
                    with_exceptions=False,
                    with_extended_output=True,
                )
            except git.GitCommandError as exc:
                raise GitError(f"git merge-file failed: {exc}") from None
            status, merged, _ = out
            return bytes(merged), status == 0

    def move_head(self, old: str | None, new: str, reason: str) -> None:
        """Check out `new` over `old` keeping unrelated local changes, then move HEAD.

        Journaled like `commit`: if the process dies between the checkout and the branch
        update, the next locked command (see `recover`) finishes the move.
        """
        journal = self.state_dir / "journal.json"
        self._state_dir()
        _write_nofollow(journal, json.dumps({"old": old, "new": new, "move": True}))
        try:
            self._with_index(
                lambda: self.run("read-tree", "-m", "-u", *([old] if old else []), new)
            )
        except GitError:
            journal.unlink(missing_ok=True)
            raise
        try:
            self._set_branch(old, new, reason)
        except GitError:
            # Failed, not killed (a held branch lock, a hook): put the index and work tree
            # back, so the repo is as it was. Should that fail too, the journal stays and the
            # next command finishes the move instead.
            if old is not None:
                with contextlib.suppress(GitError):
                    self._with_index(lambda: self.run("read-tree", "-m", "-u", new, old))
                    journal.unlink()
            raise
        journal.unlink()

    def _set_branch(self, old: str | None, new: str, reason: str) -> None:
        branch = self.current_branch()
        ref = f"refs/heads/{branch}" if branch else "HEAD"
        self.run("update-ref", "-m", reason, ref, new, old or ZERO)

    def _checkout_files(self, blobs: dict[str, str | None]) -> None:
        for path, sha in blobs.items():
            if sha is None:
                safepath.remove(self.root, path)
            else:
                safepath.write_bytes(self.root, path, self.blob(sha))
        self._update_index(blobs)

    def _update_index(self, blobs: dict[str, str | None]) -> None:
        args = ["update-index", "--add", "--remove", "--", *blobs]
        self._with_index(
            lambda: self.run(*args),
            "the commit is made; the next supportctl command updates the work tree",
        )

    def _refuse_stuck_index_lock(self) -> None:
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
