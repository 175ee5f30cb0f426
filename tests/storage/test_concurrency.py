"""One clone, many processes: the per-clone lock, git's own index.lock, crashes, caches.

Processes run the installed console script (or `python -m supportctl`), so these are
real operating-system processes competing for the same `.git/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from supportctl.storage import git as gitio
from supportctl.storage.cache import file_name
from tests.helpers import Cli, git

_SCRIPT = Path(sys.executable).parent / "supportctl"
SUPPORTCTL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "supportctl"]
NOW = "2026-10-07T12:00:00+03:00"

# A child that runs the CLI and kills itself with SIGKILL at a chosen point, as a power
# cut or `kill -9` would: no finally blocks, no atexit, the lock dies with the process.
KILLER = r"""
import os, signal, sys
from supportctl.storage import git as gitio

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[1]
if point == "before-ref":           # commit object and journal written, HEAD not moved
    gitio.Repo.update_ref = die
elif point == "after-ref":          # HEAD moved, work tree and index not updated
    gitio.Repo.checkout_files = die
elif point == "mid-index":          # work tree written, index not updated
    gitio.Repo._update_index = die
elif point == "sync-before-checkout":   # sync: replayed, nothing checked out yet
    gitio.Repo._with_index = die
elif point == "sync-after-checkout":    # sync: index and work tree moved, branch not
    gitio.Repo.set_branch = die
sys.argv = ["supportctl", *sys.argv[2:]]
from supportctl.cli import main
main()
"""


def run(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUPPORTCTL, *args],
        check=False,
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def killed_at(root: Path, point: str, *args: str) -> None:
    r = subprocess.run(
        [sys.executable, "-c", KILLER, point, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)


def status(root: Path) -> str:
    return git(root, "status", "--porcelain")


def assert_consistent(root: Path, cli: Cli) -> None:
    assert status(root) == ""
    fsck = subprocess.run(
        ["git", "fsck", "--no-progress"], cwd=root, capture_output=True, text=True, check=False
    )
    assert fsck.returncode == 0, fsck
    assert "error" not in fsck.stderr, fsck
    assert "missing" not in fsck.stdout, fsck
    r = cli("validate")
    assert r.exit_code == 0, r.stdout + r.stderr
    state = root / ".git" / "supportctl"
    assert not (state / "journal.json").exists()
    assert not list(state.glob("index.*")), "a private index was left behind"


def one_line_error(r: Any, code: int, text: str) -> None:
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("supportctl: error: "), r.stderr
    assert text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture
def ticket(support_repo: Path, cli: Cli) -> Path:
    r = cli("new", "Server room too hot", "-c", "acme", "-t", "incident", "-p", "high")
    assert r.exit_code == 0, r.stderr
    return support_repo


# -- many processes, one clone ----------------------------------------------------------------
def test_two_processes_at_once_both_succeed(ticket: Path, cli: Cli) -> None:
    before = int(git(ticket, "rev-list", "--count", "HEAD"))
    spans: list[tuple[float, float, str, int, str]] = []

    def worker(make: Any) -> None:
        for i in range(10):
            args = make(i)
            t0 = time.monotonic()
            r = run(ticket, *args)
            spans.append((t0, time.monotonic(), args[0], r.returncode, r.stderr))

    threads = [
        threading.Thread(
            target=worker, args=(lambda i: ("comment", "SUP-1", f"parallel comment {i}"),)
        ),
        threading.Thread(
            target=worker,
            args=(
                lambda i: (
                    "new",
                    f"Parallel ticket {i}",
                    "-c",
                    "globex",
                    "-t",
                    "service_request",
                    "-p",
                    "low",
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [(s[2], s[3], s[4]) for s in spans if s[3] != 0] == []
    overlaps = sum(1 for a in spans for b in spans if a is not b and a[0] < b[1] and b[0] < a[1])
    assert overlaps > 0, "the two workers never ran at the same time"
    assert int(git(ticket, "rev-list", "--count", "HEAD")) == before + 20
    texts = [c["text"] for c in json.loads(cli("show", "SUP-1", "--json").stdout)["comments"]]
    assert sorted(texts) == sorted(f"parallel comment {i}" for i in range(10))
    rows = json.loads(cli("list", "--json").stdout)
    assert [r["id"] for r in rows] == [f"SUP-{n}" for n in range(1, 12)]
    assert sorted(r["title"] for r in rows[1:]) == sorted(f"Parallel ticket {i}" for i in range(10))
    assert_consistent(ticket, cli)


def test_writer_waits_for_the_supportctl_lock(ticket: Path, cli: Cli) -> None:
    """A second writer blocks on .git/supportctl/lock until the first one lets go."""
    import fcntl

    lock = ticket / ".git" / "supportctl" / "lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [*SUPPORTCTL, "comment", "SUP-1", "queued"],
            cwd=ticket,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert proc.poll() is None, "the command did not wait for the lock"
        fcntl.flock(fh, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == "SUP-1: reply to customer: queued\n"
    assert_consistent(ticket, cli)


# -- git's own index.lock ---------------------------------------------------------------------
def _hold_index_lock(root: Path, seconds: float) -> threading.Thread:
    lock = root / ".git" / "index.lock"
    lock.write_text("")

    def release() -> None:
        time.sleep(seconds)
        lock.unlink()

    t = threading.Thread(target=release)
    t.start()
    return t


def test_command_waits_for_a_briefly_held_index_lock(ticket: Path, cli: Cli) -> None:
    t = _hold_index_lock(ticket, 0.5)
    started = time.monotonic()
    r = cli("comment", "SUP-1", "while git was busy")
    t.join()
    assert r.exit_code == 0, r.stderr
    assert time.monotonic() - started >= 0.4  # it did wait
    assert "while git was busy" in (ticket / "data/tickets/0000/SUP-1.yaml").read_text()
    assert_consistent(ticket, cli)


def test_stuck_index_lock_is_exit_8_with_nothing_committed(
    ticket: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A killed git's index.lock, there before the command: it is waited for, then the command
    # stops before committing (it used to commit and then fail: "the commit is made").
    monkeypatch.setattr(gitio, "INDEX_LOCK_TIMEOUT", 0.3)
    lock = ticket / ".git" / "index.lock"
    lock.write_text("")
    head = git(ticket, "rev-parse", "HEAD")
    r = cli("comment", "SUP-1", "not recorded while the lock is stuck")
    one_line_error(
        r,
        8,
        f"{lock} is stale: no git process runs in this repo (left by a killed git, "
        f"0 s old) (nothing was committed); remove it (`rm {lock}`) and run the "
        f"command again",
    )
    assert git(ticket, "rev-parse", "HEAD") == head
    assert not (ticket / ".git/supportctl/journal.json").exists()
    lock.unlink()
    assert status(ticket) == ""
    r = cli("tag", "SUP-1", "hvac")
    assert (r.exit_code, r.stderr) == (0, "")
    text = (ticket / "data/tickets/0000/SUP-1.yaml").read_text()
    assert "not recorded" not in text
    assert "hvac" in text
    assert_consistent(ticket, cli)


# -- crashes (SIGKILL at the worst moments) ---------------------------------------------------------
@pytest.mark.parametrize("point", ["after-ref", "mid-index"])
def test_killed_after_the_commit_is_finished_by_the_next_command(
    ticket: Path, cli: Cli, point: str
) -> None:
    killed_at(ticket, point, "comment", "SUP-1", "half-done comment")
    assert (
        git(ticket, "log", "-1", "--format=%s") == "SUP-1: reply to customer: half-done comment\n"
    )
    assert status(ticket) != ""  # the work tree or the index lags behind HEAD
    assert (ticket / ".git/supportctl/journal.json").exists()
    r = cli("show", "SUP-1")  # even a read-only command puts it right, and says so
    assert r.exit_code == 0, r.stderr
    assert r.stderr == (
        "supportctl: an interrupted supportctl command had committed its action; its "
        "files are now checked out; check `git status` and `git log -1` if in doubt\n"
    )
    assert status(ticket) == ""
    assert not (ticket / ".git/supportctl/journal.json").exists()
    r = cli("start", "SUP-1")
    assert (r.exit_code, r.stderr) == (0, "")
    record = json.loads(cli("show", "SUP-1", "--json").stdout)
    assert [c["text"] for c in record["comments"]] == ["half-done comment"]
    assert record["status"] == "in_progress"
    assert "half-done comment" in (ticket / "data/tickets/0000/SUP-1.yaml").read_text()
    assert_consistent(ticket, cli)


def test_killed_before_head_moved_is_rolled_back(ticket: Path, cli: Cli) -> None:
    head = git(ticket, "rev-parse", "HEAD")
    killed_at(ticket, "before-ref", "comment", "SUP-1", "never happened")
    assert git(ticket, "rev-parse", "HEAD") == head
    assert (ticket / ".git/supportctl/journal.json").exists()
    r = cli("start", "SUP-1")
    assert r.exit_code == 0, r.stderr
    assert "had not committed its action; nothing changed" in r.stderr
    assert git(ticket, "rev-parse", "HEAD~1") == head
    assert "never happened" not in (ticket / "data/tickets/0000/SUP-1.yaml").read_text()
    assert_consistent(ticket, cli)


def _clone_pair(tmp_path: Path, ticket: Path) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(ticket, "branch", "-M", "main")
    git(ticket, "remote", "add", "origin", str(remote))
    git(ticket, "push", "-q", "origin", "HEAD:refs/heads/main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(other))
    git(ticket, "fetch", "-q", "origin")
    git(ticket, "branch", "-q", "-u", "origin/main")
    return remote, other


@pytest.mark.parametrize("point", ["sync-before-checkout", "sync-after-checkout"])
def test_sync_killed_mid_move_leaves_a_consistent_clone(
    tmp_path: Path, ticket: Path, cli: Cli, point: str
) -> None:
    remote, other = _clone_pair(tmp_path, ticket)
    r = run(other, "comment", "SUP-1", "from the other desk")
    assert r.returncode == 0, r.stderr
    assert run(other, "sync").returncode == 0
    assert cli("comment", "SUP-1", "from this desk").exit_code == 0
    head = git(ticket, "rev-parse", "HEAD").strip()

    killed_at(ticket, point, "sync")
    assert git(ticket, "rev-parse", "HEAD").strip() == head
    r = cli("tag", "SUP-1", "after-crash")
    assert r.exit_code == 0, r.stderr
    assert_consistent(ticket, cli)
    r = cli("sync", "--json")
    assert r.exit_code == 0, r.stderr
    texts = [c["text"] for c in json.loads(cli("show", "SUP-1", "--json").stdout)["comments"]]
    assert sorted(texts) == ["from the other desk", "from this desk"]
    assert git(ticket, "rev-parse", "HEAD") == git(remote, "rev-parse", "main")
    assert_consistent(ticket, cli)


def test_sync_waits_for_a_briefly_held_index_lock(tmp_path: Path, ticket: Path, cli: Cli) -> None:
    _, other = _clone_pair(tmp_path, ticket)
    assert run(other, "comment", "SUP-1", "from the other desk").returncode == 0
    assert run(other, "sync").returncode == 0
    t = _hold_index_lock(ticket, 0.5)
    r = cli("sync", "--json")
    t.join()
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["received"] == ["SUP-1: reply to customer: from the other desk"]
    assert_consistent(ticket, cli)


def test_sync_with_a_stuck_index_lock_changes_nothing(
    tmp_path: Path, ticket: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gitio, "INDEX_LOCK_TIMEOUT", 0.3)
    _, other = _clone_pair(tmp_path, ticket)
    assert run(other, "comment", "SUP-1", "from the other desk").returncode == 0
    assert run(other, "sync").returncode == 0
    head = git(ticket, "rev-parse", "HEAD")
    lock = ticket / ".git" / "index.lock"
    lock.write_text("")
    one_line_error(cli("sync"), 8, f"{lock} is stale: no git process runs in this repo")
    assert git(ticket, "rev-parse", "HEAD") == head
    lock.unlink()
    assert status(ticket) == ""
    assert cli("sync").exit_code == 0
    assert_consistent(ticket, cli)


# -- caches under .git/supportctl ---------------------------------------------------------------------
def _answers(cli: Cli) -> list[Any]:
    def out(*args: str) -> Any:
        r = cli(*args)
        assert r.exit_code == 0, (args, r.stderr)
        return json.loads(r.stdout)

    return [
        out("list", "--json"),
        out("show", "SUP-1", "--json"),
        out("show", "SUP-2", "--json"),
        out("sla", "show", "SUP-1", "--json", "--now", NOW),
        out("sla", "explain", "SUP-2", "--json", "--now", NOW),
        out("report", "--month", "2026-10", "--format", "json", "--now", NOW),
    ]


@pytest.fixture
def busy_desk(ticket: Path, cli: Cli) -> Path:
    for args in (
        ("comment", "SUP-1", "Checking the AC unit"),
        ("log", "SUP-1", "-m", "40"),
        ("new", "Badge reader", "-c", "globex", "-t", "incident", "-p", "normal"),
        ("start", "SUP-2"),
    ):
        assert cli(*args).exit_code == 0
    path = ticket / "data/tickets/0000/SUP-2.yaml"  # a hand edit: parsed from blobs, cached
    path.write_text(path.read_text().replace("priority: normal", "priority: critical"))
    git(ticket, "commit", "-qam", "SUP-2 is critical after all")
    return ticket


GARBAGE = bytes(range(256)) * 64


def test_garbage_caches_are_detected_and_rebuilt(busy_desk: Path, cli: Cli) -> None:
    state = busy_desk / ".git" / "supportctl"
    warm = _answers(cli)
    shutil.rmtree(state)
    cold = _answers(cli)
    assert warm == cold
    caches = state / "cache"
    assert (caches / file_name("blobs")).is_file()
    for f in [caches / file_name("blobs"), *caches.glob("events*")]:
        f.write_bytes(GARBAGE)
    assert _answers(cli) == cold
    import sqlite3

    with sqlite3.connect(caches / file_name("blobs")) as db:  # rebuilt into a real database
        assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] > 0
    assert list(caches.glob("events*"))
    for f in caches.glob("events*"):
        f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])  # truncated
    assert _answers(cli) == cold
    assert_consistent(busy_desk, cli)


def test_wrong_rows_in_a_valid_cache_are_not_trusted(busy_desk: Path, cli: Cli) -> None:
    import marshal
    import sqlite3

    cold = _answers(cli)
    caches = busy_desk / ".git" / "supportctl" / "cache"
    with sqlite3.connect(caches / file_name("blobs")) as db:
        db.execute("UPDATE blobs SET data = '{not json'")
        # the events of the hand-made commit
        assert db.execute("UPDATE blobs SET data = '[[\"x\"]]' WHERE kind LIKE 'events.%'").rowcount
    assert list(caches.glob("events*.marshal"))
    for f in caches.glob("events*.marshal"):
        f.write_bytes(marshal.dumps(("0" * 40, 3, [("not", "an", "event")])))
    assert _answers(cli) == cold


def test_events_cache_follows_rewritten_history(busy_desk: Path, cli: Cli) -> None:
    _answers(cli)  # warm the cache at the current tip
    git(busy_desk, "reset", "-q", "--hard", "HEAD~2")  # drop the hand edit and `start SUP-2`
    assert cli("wait", "SUP-2", "--reason", "badge vendor").exit_code == 0
    warm = _answers(cli)
    shutil.rmtree(busy_desk / ".git" / "supportctl")
    assert _answers(cli) == warm
    explain = warm[4]
    assert [e["action"] for e in explain["events"] if e["action"] != "now"] == ["new", "wait"]


def test_private_index_of_a_killed_command_is_removed(ticket: Path, cli: Cli) -> None:
    state = ticket / ".git/supportctl"
    state.mkdir(exist_ok=True)
    proc = subprocess.Popen(["true"])
    proc.wait()
    stale = state / f"index.{proc.pid}"
    stale.write_bytes(b"DIRC half written")
    mine = state / f"index.{os.getpid()}"  # a live process's index is never touched
    mine.write_bytes(b"DIRC")
    r = cli("list")
    assert r.exit_code == 0, r.stderr
    assert not stale.exists()
    assert mine.exists()
    mine.unlink()


# -- a command that fails (not killed), git's lock files left by a killed git -------------------
T1 = "data/tickets/0000/SUP-1.yaml"


def _aged(lock: Path, seconds: int) -> Path:
    lock.write_text("")
    then = time.time() - seconds
    os.utime(lock, (then, then))
    return lock


def _unchanged(root: Path, head: str, content: bytes, cli: Cli) -> None:
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / T1).read_bytes() == content
    assert status(root) == ""
    assert not (root / ".git/supportctl/journal.json").exists()
    r = cli("list")  # nothing is left for the next command to put right
    assert (r.exit_code, r.stderr) == (0, "")


def test_a_command_refused_by_a_git_hook_leaves_no_trace(ticket: Path, cli: Cli) -> None:
    hook = ticket / ".git/hooks/reference-transaction"
    hook.write_text('#!/bin/sh\n[ "$1" = prepared ] && exit 1\nexit 0\n')
    hook.chmod(0o755)
    head, content = git(ticket, "rev-parse", "HEAD"), (ticket / T1).read_bytes()
    one_line_error(
        cli("comment", "SUP-1", "refused"),
        8,
        "git update-ref failed: fatal: ref updates aborted by hook",
    )
    _unchanged(ticket, head, content, cli)
    hook.unlink()
    assert cli("comment", "SUP-1", "accepted").exit_code == 0
    assert_consistent(ticket, cli)


def test_a_stale_head_lock_is_named_and_changes_nothing(ticket: Path, cli: Cli) -> None:
    lock = _aged(ticket / ".git/HEAD.lock", 300)
    head, content = git(ticket, "rev-parse", "HEAD"), (ticket / T1).read_bytes()
    r = cli("comment", "SUP-1", "blocked")
    assert (r.exit_code, r.stderr) == (
        8,
        (
            f"supportctl: error: git update-ref failed: {lock} is stale: no git process runs in this "
            f"repo (left by a killed git, 5 min old); remove it (`rm {lock}`) and run the command again\n"
        ),
    )
    _unchanged(ticket, head, content, cli)
    for args in (
        ("show", "SUP-1"),
        ("sla", "show", "SUP-1", "--now", NOW),
        ("report", "--month", "2026-10", "--now", NOW),
    ):
        r = cli(*args)
        assert (r.exit_code, r.stderr) == (0, ""), (args, r.stderr)
    lock.unlink()
    assert cli("comment", "SUP-1", "after the lock is gone").exit_code == 0
    assert_consistent(ticket, cli)


def test_a_lock_held_by_a_running_git_is_named_with_its_process(
    ticket: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gitio, "INDEX_LOCK_TIMEOUT", 0.3)
    lock = ticket / ".git/index.lock"
    # `git commit -a` holds the index lock while its editor is open
    editor = subprocess.Popen(
        ["git", "commit", "-a", "--allow-empty"],
        cwd=ticket,
        env={**os.environ, "GIT_EDITOR": "sleep 60;:"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.exists()
        head = git(ticket, "rev-parse", "HEAD")
        r = cli("comment", "SUP-1", "while git waits for its editor")
        one_line_error(
            r,
            8,
            f"{lock} is held by a running git process (pid {editor.pid}: git commit "
            f"-a --allow-empty) (nothing was committed); wait for it to finish, then "
            f"run the command again",
        )
        assert git(ticket, "rev-parse", "HEAD") == head
        assert not (ticket / ".git/supportctl/journal.json").exists()
    finally:
        editor.terminate()
        editor.wait(10)
    assert not lock.exists()  # git removes its lock when it is stopped
    r = cli("show", "SUP-1")
    assert (r.exit_code, r.stderr) == (0, "")
    assert_consistent(ticket, cli)


def test_read_only_commands_go_on_when_recovery_is_blocked(
    ticket: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gitio, "INDEX_LOCK_TIMEOUT", 0.3)
    killed_at(ticket, "after-ref", "comment", "SUP-1", "half-done comment")
    lock = _aged(ticket / ".git/index.lock", 3 * 3600)
    notice = (
        f"supportctl: {lock} is stale: no git process runs in this repo (left by a killed git, "
        f"3 h old) (the commit is made; the next supportctl command updates the work tree); "
        f"remove it (`rm {lock}`) and run the command again (commands that only read go on; "
        f"commands that write stop)\n"
    )
    for args in (
        ("list",),
        ("show", "SUP-1"),
        ("sla", "show", "SUP-1", "--now", NOW),
        ("report", "--month", "2026-10", "--now", NOW),
    ):
        r = cli(*args)
        assert (r.exit_code, r.stderr) == (0, notice), (args, r.stderr)
    assert "half-done comment" in cli("show", "SUP-1").stdout
    r = cli("tag", "SUP-1", "blocked")
    assert (r.exit_code, r.stderr) == (
        8,
        notice.replace("supportctl: ", "supportctl: error: ", 1).replace(
            " (commands that only read go on; commands that write stop)", ""
        ),
    )
    lock.unlink()
    r = cli("tag", "SUP-1", "unblocked")
    assert r.exit_code == 0
    assert "had committed its action" in r.stderr
    assert_consistent(ticket, cli)


def test_sync_with_a_stale_branch_lock_changes_nothing(
    tmp_path: Path, ticket: Path, cli: Cli
) -> None:
    _, other = _clone_pair(tmp_path, ticket)
    assert run(other, "comment", "SUP-1", "from the other desk").returncode == 0
    assert run(other, "sync").returncode == 0
    head, content = git(ticket, "rev-parse", "HEAD"), (ticket / T1).read_bytes()
    lock = _aged(ticket / ".git/refs/heads/main.lock", 300)
    r = cli("sync")
    assert (r.exit_code, r.stderr) == (
        8,
        (
            f"supportctl: error: git update-ref failed: {lock} is stale: no git process runs in this "
            f"repo (left by a killed git, 5 min old); remove it (`rm {lock}`) and run the command again\n"
        ),
    )
    _unchanged(ticket, head, content, cli)
    lock.unlink()
    assert cli("sync").exit_code == 0
    assert "from the other desk" in (ticket / T1).read_text()
    assert_consistent(ticket, cli)


def test_a_symlinked_cache_is_replaced_not_written_through(
    ticket: Path, cli: Cli, tmp_path: Path
) -> None:
    cache = ticket / ".git/supportctl/cache" / file_name("blobs")
    for extra in ("-wal", "-shm"):
        Path(f"{cache}{extra}").unlink(missing_ok=True)
    cache.unlink()
    victim = tmp_path / "victim.db"
    victim.write_bytes(b"")
    cache.symlink_to(victim)
    r = cli("list")
    assert (r.exit_code, r.stderr) == (0, "")
    assert victim.read_bytes() == b""
    assert not cache.is_symlink()
