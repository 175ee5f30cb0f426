"""The one error boundary (supportctl/cli/root.py): no traceback for any input, ever.

Our own errors keep their documented exit codes, Ctrl-C is 130, anything unexpected is one
line that says how to report it and exit 1, `--debug` shows the traceback, and a group
run without a command prints its help.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer.main

from supportctl.cli import app
from supportctl.cli.root import HOW_TO_REPORT

if TYPE_CHECKING:
    from tests.conftest import Cli

NOW = "2026-10-31T12:00:00+03:00"
_ALL_GROUPS = {
    name: cmd
    for name, cmd in typer.main.get_command(app).commands.items()
    if hasattr(cmd, "commands")
}
# groups that only hold commands; `report` is itself a command with subcommands beside it
GROUPS = sorted(
    name for name, cmd in _ALL_GROUPS.items() if not getattr(cmd, "invoke_without_command", False)
)


def internal(text: str) -> str:
    return f"supportctl: error: internal error: {text} ({HOW_TO_REPORT})\n"


def test_the_groups_are_known() -> None:
    assert GROUPS == ["alert", "kb", "mail", "sla"]
    assert sorted(set(_ALL_GROUPS) - set(GROUPS)) == ["report"]


def test_report_without_options_asks_for_a_period(support_repo: Path, cli: Cli) -> None:
    r = cli("report")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == "supportctl: error: give --month YYYY-MM (or `last`), or --since DATE\n"


def test_bare_supportctl_prints_its_help(cli: Cli) -> None:
    r = cli()
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == cli("--help").stdout
    assert "Usage:" in r.stdout


@pytest.mark.parametrize("group", GROUPS)
def test_a_group_without_a_command_prints_its_help(cli: Cli, group: str) -> None:
    r = cli(group)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == cli(group, "--help").stdout
    assert f"{group} [OPTIONS] COMMAND [ARGS]..." in r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("args", [(), ("sla",), ("kb",)])
def test_bare_groups_in_a_subprocess(args: tuple[str, ...]) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "supportctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (p.returncode, p.stderr) == (0, "")
    assert f"Usage: python -m supportctl {' '.join(args)}".rstrip() in " ".join(p.stdout.split())


def test_an_unexpected_error_is_one_line_and_exit_1(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the index is\nbroken")

    monkeypatch.setattr("supportctl.storage.queries.list_view", broken)
    r = cli("list")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        internal("RuntimeError: the index is broken"),
    )
    with pytest.raises(RuntimeError, match="the index is"):
        cli("--debug", "list")


def test_an_unexpected_error_without_a_message(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError

    monkeypatch.setattr("supportctl.storage.queries.list_view", broken)
    r = cli("list")
    assert (r.exit_code, r.stderr) == (1, internal("KeyError"))


BROKEN_LIST = """
import sys
import supportctl.storage.queries as queries

def broken(*args, **kwargs):
    raise ZeroDivisionError("division by zero")

queries.list_view = broken
sys.argv[0] = "supportctl"
from supportctl.cli import main
main()
"""


@pytest.mark.slow
def test_an_unexpected_error_in_a_subprocess(support_repo: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-c", BROKEN_LIST, "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (p.returncode, p.stdout, p.stderr) == (
        1,
        "",
        internal("ZeroDivisionError: division by zero"),
    )
    p = subprocess.run(
        [sys.executable, "-c", BROKEN_LIST, "--debug", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 1
    assert p.stderr.startswith("Traceback (most recent call last):\n")
    assert p.stderr.endswith("ZeroDivisionError: division by zero\n")


def test_our_errors_keep_their_exit_codes(support_repo: Path, cli: Cli) -> None:
    r = cli("show", "SUP-7")
    assert (r.exit_code, r.stderr) == (5, "supportctl: error: unknown ticket SUP-7\n")
    r = cli("report", "--month", "2026-13")
    assert r.exit_code == 2
    assert r.stderr.startswith("supportctl: error: ")
    assert "internal error" not in r.stderr


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("/proc/nope/r.md", "No such file or directory"),
        # looking at /proc/1/root is refused even to root in a container
        ("/proc/1/root/nope/r.md", "Permission denied"),
    ],
)
def test_report_to_an_unwritable_place_is_one_line(
    support_repo: Path, cli: Cli, output: str, reason: str
) -> None:
    if output.startswith("/proc/1/root") and os.access("/proc/1/root", os.R_OK | os.X_OK):
        pytest.skip("this process may look inside /proc/1/root")
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", output)
    assert (r.exit_code, r.stdout, r.stderr) == (
        2,
        "",
        f"supportctl: error: cannot write --output {output}: {reason}\n",
    )


def test_report_to_a_name_too_long_is_one_line(support_repo: Path, cli: Cli) -> None:
    output = "a" * 300 + "/r.md"
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", output)
    assert (r.exit_code, r.stdout, r.stderr) == (
        2,
        "",
        f"supportctl: error: cannot write --output {output}: File name too long\n",
    )


def test_report_never_replaces_a_named_pipe(support_repo: Path, cli: Cli) -> None:
    pipe = support_repo.parent / "pipe"
    os.mkfifo(pipe)
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", str(pipe))
    assert (r.exit_code, r.stdout, r.stderr) == (
        2,
        "",
        f"supportctl: error: --output {pipe} is not a regular file: give a file name\n",
    )
    assert pipe.is_fifo()


def test_report_never_replaces_a_link_to_a_pipe_but_replaces_a_link_to_a_file(
    support_repo: Path, cli: Cli
) -> None:
    # /dev/stdout is such a link: replacing it would break the system for everyone
    pipe = support_repo.parent / "pipe"
    os.mkfifo(pipe)
    to_pipe = support_repo.parent / "to-pipe"
    to_pipe.symlink_to(pipe)
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", str(to_pipe))
    assert (r.exit_code, r.stdout, r.stderr) == (
        2,
        "",
        f"supportctl: error: --output {to_pipe} is not a regular file: give a file name\n",
    )
    assert to_pipe.is_symlink()
    kept = support_repo.parent / "kept.md"
    kept.write_text("mine")
    to_file = support_repo.parent / "to-file.md"
    to_file.symlink_to(kept)
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", str(to_file))
    assert r.exit_code == 0, r.stderr
    assert not to_file.is_symlink()  # the link is replaced, never written through
    assert kept.read_text() == "mine"
    assert to_file.read_text().startswith("#")


def _blocked_on_stdin(pid: int) -> bool:
    try:
        if "pipe_read" not in Path(f"/proc/{pid}/wchan").read_text():
            return False
    except OSError:
        return False
    # a pipe, but which: on a loaded machine the command may still be reading a git
    # child's output; the system call under way names the file descriptor (0: stdin)
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return True  # not readable here: the wait channel has to do
    return len(call) > 1 and call[1] == "0x0"


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")
def test_ctrl_c_exits_130_without_a_traceback(support_repo: Path) -> None:
    # `new` waits for its description on stdin: interrupt it there
    command = [
        "new",
        "Slow",
        "-c",
        "acme",
        "-t",
        "incident",
        "-p",
        "low",
        "--description-file",
        "-",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportctl", *command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a suite started in the background of a script inherits
        # Ctrl-C ignored, and Python then never turns it into KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 30
    while not _blocked_on_stdin(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _blocked_on_stdin(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (130, "", "")
