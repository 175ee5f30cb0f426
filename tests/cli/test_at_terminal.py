"""What a person at a terminal sees: the bulk actions' confirmation, `comment --reply
--edit` through $EDITOR. The installed console script runs under a real pty."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import commit_files, head, ok

SCRIPT = shutil.which("supportctl", path=str(Path(sys.executable).parent))


class Terminal:
    """`supportctl ARGS` under a pty in `cwd`: what it wrote, and keys to send it."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        assert SCRIPT, f"no supportctl console script next to {sys.executable}"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.environ.update(env or {})
            os.execv(SCRIPT, [SCRIPT, *args])
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.seen):
                return self.seen
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536).decode("utf-8", "replace")
                except OSError:
                    break
        raise AssertionError(f"no {pattern!r} in {self.seen!r}")

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait(self) -> int:
        with_rest = ""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            with_rest += chunk.decode("utf-8", "replace")
        self.seen += with_rest
        os.close(self.fd)
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def _count(root: Path) -> int:
    return int(
        subprocess.run(
            ["git", "rev-list", "--count", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


@pytest.fixture
def three(support_repo: Path, cli: Any) -> Path:
    for n in range(3):
        ok(cli("new", f"Printer {n} offline", "-c", "acme", "-t", "incident", "-p", "low"))
    return support_repo


def test_bulk_assign_asks_at_a_terminal(three: Path) -> None:
    before = _count(three)
    t = Terminal(three, "assign", "SUP-1", "SUP-2", "SUP-3", "--to", "boris")
    shown = t.expect(r"Assign 3 ticket\(s\)\? \[y/N\]: ")
    assert "SUP-1: nobody → boris  Printer 0 offline" in shown
    assert "SUP-3: nobody → boris  Printer 2 offline" in shown
    t.send("y\n")
    assert t.wait() == 0
    assert "assign: 3 of 3 ticket(s) changed" in t.seen
    assert _count(three) == before + 3


def test_saying_no_changes_nothing(three: Path) -> None:
    before = head(three)
    t = Terminal(three, "close", "--resolved-before", "2027-01-01")
    t.expect(r"nothing to close")
    assert t.wait() == 0
    t = Terminal(three, "assign", "SUP-1", "SUP-2", "--to", "anna")
    t.expect(r"\[y/N\]: ")
    t.send("n\n")
    assert t.wait() == 1
    assert "nothing changed" in t.seen
    assert head(three) == before


@pytest.fixture
def with_reply(three: Path) -> Path:
    commit_files(
        three, {"templates/replies/ack.md": "Hello from {{ agent.name }} on {{ ticket.id }}\n"}
    )
    return three


def _editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that replaces the file's text with `body` (after checking what it got)."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "assert p.read_text() == 'Hello from Anna Smirnova on SUP-2\\n', p.read_text()\n"
        f"p.write_text({body!r})\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


def test_reply_edited_in_the_editor(with_reply: Path, tmp_path: Path, cli: Any) -> None:
    editor = _editor(tmp_path, "Hello from Anna, edited\n")
    t = Terminal(with_reply, "comment", "SUP-2", "--reply", "ack", "--edit", env={"EDITOR": editor})
    assert t.wait() == 0, t.seen
    assert "SUP-2: reply to customer: Hello from Anna, edited" in t.seen
    import json

    comments = json.loads(ok(cli("show", "SUP-2", "--json")).stdout)["comments"]
    assert comments[-1]["text"].rstrip("\n") == "Hello from Anna, edited"


def test_an_emptied_reply_writes_nothing(with_reply: Path, tmp_path: Path) -> None:
    before = head(with_reply)
    editor = _editor(tmp_path, "  \n")
    t = Terminal(with_reply, "comment", "SUP-2", "--reply", "ack", "--edit", env={"EDITOR": editor})
    assert t.wait() == 2
    assert "supportctl: error: the reply is empty; nothing written" in t.seen
    assert head(with_reply) == before
