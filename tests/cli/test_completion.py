"""Shell completion of ticket IDs, KB slugs, customers, agents and canned replies: a real
bash driven through a pty with the installed script, zsh and fish through Typer's
`_SUPPORTCTL_COMPLETE` protocol, and the fast path checked against Typer itself."""

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
from typing import TYPE_CHECKING, Any

import pytest
import typer.main

from supportctl.cli import app
from supportctl.cli import complete as fast
from supportctl.storage import cache
from supportctl.storage import completion as light
from tests.helpers import CONFIG, Cli, commit_files, from_template, ok

if TYPE_CHECKING:
    from collections.abc import Mapping


def console_script() -> str:
    found = shutil.which("supportctl", path=str(Path(sys.executable).parent))
    assert found, f"no supportctl console script next to {sys.executable}"
    return found


def _build_desk(root: Path) -> None:
    cli = Cli()
    commit_files(
        root,
        {
            "templates/replies/password-reset.md": "Hello\n",
            "templates/replies/password-reset.ru.md": "Привет\n",
            "templates/replies/vpn-access.md": "VPN\n",
        },
    )
    for n in range(1, 11):
        title = f"Printer {n} does not print" if n != 2 else "VPN: no access"
        ok(cli("new", title, "-c", "acme" if n % 2 else "globex", "-t", "incident", "-p", "low"))
    ok(cli("resolve", "SUP-1", "-r", "done"))
    for n in range(4, 10):
        ok(cli("resolve", f"SUP-{n}", "-r", "done"))
        ok(cli("close", f"SUP-{n}"))
    ok(cli("kb", "new", "Printer queue stuck", "--body-file", "-", input="Restart the spooler.\n"))


@pytest.fixture
def desk(
    support_repo: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """SUP-1 resolved, SUP-2, SUP-3 and SUP-10 open, SUP-4..9 closed, a KB article, two
    canned replies."""
    return from_template("completion", support_repo, _build_desk, monkeypatch, tmp_path_factory)


def protocol(root: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("_SUPPORTCTL")}
    return subprocess.run(
        [console_script()],
        cwd=root,
        env={**full, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def bash_words(root: Path, line: str) -> list[str]:
    words = line.split(" ")
    r = protocol(
        root,
        {
            "_SUPPORTCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


# -- what is offered -----------------------------------------------------------------------
def test_ticket_ids_open_first_newest_first(desk: Path) -> None:
    assert bash_words(desk, "supportctl show ") == [
        "SUP-10", "SUP-3", "SUP-2", "SUP-9", "SUP-8", "SUP-7", "SUP-6", "SUP-5", "SUP-4", "SUP-1",
    ]  # fmt: skip
    assert bash_words(desk, "supportctl show SUP-1") == ["SUP-10", "SUP-1"]
    assert bash_words(desk, "supportctl start sup-")[:2] == ["SUP-10", "SUP-3"]
    assert bash_words(desk, "supportctl sla show SUP-1") == ["SUP-10", "SUP-1"]


def test_other_candidates(desk: Path) -> None:
    assert bash_words(desk, "supportctl new x --customer ") == ["acme", "globex"]
    assert bash_words(desk, "supportctl list -c g") == ["globex"]
    assert bash_words(desk, "supportctl assign SUP-2 ") == ["anna", "boris"]
    assert bash_words(desk, "supportctl assign SUP-2 SUP-3 --to b") == ["boris"]
    assert bash_words(desk, "supportctl assign SUP-2 --to boris SUP-")[:1] == ["SUP-10"]
    assert bash_words(desk, "supportctl comment SUP-2 --reply ") == ["password-reset", "vpn-access"]
    assert bash_words(desk, "supportctl resolve SUP-2 --kb pr") == ["printer-queue-stuck"]
    assert bash_words(desk, "supportctl kb show ") == ["printer-queue-stuck"]
    assert bash_words(desk, "supportctl kb link SUP-2 ") == ["printer-queue-stuck"]
    assert bash_words(desk, "supportctl --repo . link SUP-2 --parent SUP-3") == ["SUP-3"]
    # a position without a completer offers nothing (bash then completes file names)
    assert bash_words(desk, "supportctl comment SUP-2 ") == []


def test_outage_sla_and_report_send_complete_ids_and_customers(desk: Path) -> None:
    assert bash_words(desk, "supportctl outage SUP-1") == ["SUP-10", "SUP-1"]
    assert bash_words(desk, "supportctl sla availability -c ") == ["acme", "globex"]
    assert bash_words(desk, "supportctl sla status --customer a") == ["acme"]
    assert bash_words(desk, "supportctl sla check --month last -c ") == ["acme", "globex"]
    assert bash_words(desk, "supportctl report send --customer g") == ["globex"]


def test_zsh_shows_titles_and_fish_tabs_them(desk: Path) -> None:
    r = protocol(
        desk,
        {"_SUPPORTCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "supportctl show SUP-2"},
    )
    assert r.stdout == '_arguments \'*: :(("SUP-2":"VPN\\\\: no access (new)"))\'\n'
    r = protocol(
        desk,
        {
            "_SUPPORTCTL_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "supportctl new t --customer ",
        },
    )
    assert r.stdout == "acme\tACME LLC\nglobex\tGlobex\n"
    r = protocol(
        desk,
        {
            "_SUPPORTCTL_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "is-args",
            "_TYPER_COMPLETE_ARGS": "supportctl show zzz",
        },
    )
    assert (r.returncode, r.stdout) == (1, "")


def test_outside_a_support_repo_nothing_is_offered(tmp_path: Path) -> None:
    assert bash_words(tmp_path, "supportctl show ") == []


def test_a_new_commit_is_seen_at_once(desk: Path, cli: Any) -> None:
    assert bash_words(desk, "supportctl show SUP-1")[:1] == ["SUP-10"]
    ok(cli("new", "Eleventh", "-c", "acme", "-t", "incident", "-p", "low"))
    assert bash_words(desk, "supportctl show SUP-1")[:2] == ["SUP-11", "SUP-10"]


def test_a_cold_cache_is_filled_the_full_way(desk: Path) -> None:
    shutil.rmtree(desk / ".git" / "supportctl" / "cache")
    assert bash_words(desk, "supportctl show SUP-3") == ["SUP-3"]
    assert (desk / ".git" / "supportctl" / "cache" / cache.file_name("completion")).is_file()


# -- the fast path answers as Typer would --------------------------------------------------
def _completer_name(param: Any) -> str | None:
    todo = [getattr(param, "_custom_shell_complete", None)]
    while todo:
        f = todo.pop()
        if f is None:
            continue
        if getattr(f, "__module__", "") == fast.__name__:
            return str(f.__name__)
        todo.append(getattr(f, "__wrapped__", None))
        todo += [
            c.cell_contents
            for c in getattr(f, "__closure__", None) or ()
            if callable(c.cell_contents)
        ]
    return None


def test_the_fast_table_matches_the_app() -> None:
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    for name, (positional, options) in fast.COMMANDS.items():
        command: Any = root
        for part in name.split():
            command = command.get_command(ctx, part)
        args: list[str | None] = []
        opts: dict[str, str | None] = {}
        for p in command.params:
            if p.param_type_name == "argument":
                n = _completer_name(p) or ""
                args.append(n + "*" if p.nargs == -1 else (n or None))
            elif p.param_type_name == "option" and not p.is_flag and not p.count:
                opts.update(dict.fromkeys(p.opts, _completer_name(p)))
        assert (name, tuple(a if a != "*" else "-*" for a in args)) == (name, positional)
        assert (name, opts) == (name, dict(options))
    # every parameter with a completer is on the fast path
    for command_name, command in root.commands.items():  # type: ignore[attr-defined]
        subs = command.commands.items() if hasattr(command, "commands") else [("", command)]
        for sub, leaf in subs:
            full = f"{command_name} {sub}".strip()
            if any(_completer_name(p) for p in leaf.params):
                assert full in fast.COMMANDS


@pytest.mark.parametrize(
    "line",
    [
        "supportctl show SUP-",
        "supportctl close SUP-1 SUP-",
        "supportctl assign SUP-2 ",
        "supportctl assign SUP-2 --to ",
        "supportctl comment SUP-2 --reply p",
        "supportctl new x -c ",
        "supportctl kb edit ",
        "supportctl link SUP-2 --duplicate-of SUP-",
        "supportctl list --assignee ",
        "supportctl queue --agent ",
        "supportctl search printer -c ",
        "supportctl outage SUP-",
        "supportctl report send -c ",
    ],
)
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_fast_path_prints_what_typer_prints(desk: Path, line: str, shell: str) -> None:
    env = {"_SUPPORTCTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env |= {"COMP_WORDS": line, "COMP_CWORD": str(len(line.split(" ")) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    quick = protocol(desk, env)
    # the same request with the fast path switched off: Typer's own answer
    slow = subprocess.run(
        [sys.executable, "-c", "from supportctl.cli import app; app(prog_name='supportctl')"],
        cwd=desk,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (quick.returncode, quick.stdout) == (slow.returncode, slow.stdout)
    assert quick.stdout.strip()


def test_fast_path_leaves_command_and_option_names_to_typer() -> None:
    for words, incomplete in (([], "sh"), (["show"], "--"), (["kb"], "sh"), (["bogus"], "")):
        assert fast._completer(words, incomplete) is None


def test_config_keys_match_the_real_configuration(support_repo: Path) -> None:
    from supportctl.storage.desk import Desk

    config = Desk(support_repo).config
    assert light.config_keys(support_repo, "customers") == [
        (k, c.name) for k, c in config.customers.items()
    ]
    assert light.config_keys(support_repo, "agents") == [
        (k, a.name) for k, a in config.agents.items()
    ]
    project = Path(__file__).resolve().parents[2]
    if (project / ".git").exists() and light.config_keys(project, "customers"):
        real = Desk(project).config
        assert [k for k, _ in light.config_keys(project, "customers") or []] == list(real.customers)


def test_flow_style_sections_go_the_full_way(support_repo: Path) -> None:
    commit_files(
        support_repo,
        {
            "supportctl.yaml": CONFIG.replace(
                "agents:\n  anna: {name: Anna Smirnova, email: anna@support.example, line: L1}\n"
                "  boris: {name: Boris Petrenko, email: boris@support.example, line: L2}\n",
                "agents: {anna: {name: Anna Smirnova, email: anna@support.example, line: L1}}\n",
            )
        },
    )
    assert light.config_keys(support_repo, "agents") is None
    assert fast.agent([], "") == [("anna", "Anna Smirnova")]


# -- a real bash through a pty -------------------------------------------------------------
def _read_until(fd: int, pattern: str, timeout: float = 30.0) -> str:
    seen = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if re.search(pattern, seen.decode("utf-8", "replace")):
                return seen.decode("utf-8", "replace")
    raise AssertionError(f"no {pattern!r} in {seen.decode('utf-8', 'replace')!r}")


def test_bash_completes_through_the_installed_script(desk: Path, tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is part of the test environment"
    script = subprocess.run(
        [console_script(), "--show-completion", "bash"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert "_SUPPORTCTL_COMPLETE=complete_bash" in script.stdout, script.stderr
    rc = tmp_path / "bashrc"
    rc.write_text(
        f"PS1='READY> '\nexport PATH={Path(console_script()).parent}:$PATH\n"
        "bind 'set show-all-if-ambiguous on' 2>/dev/null\n"
        "bind 'set completion-query-items 0' 2>/dev/null\n" + script.stdout,
        encoding="utf-8",
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive bash in the desk
        os.chdir(desk)
        os.environ["TERM"] = "dumb"
        os.execv(bash, [bash, "--noprofile", "--rcfile", str(rc), "-i"])
    try:
        _read_until(fd, "READY> ")
        os.write(fd, b"supportctl show SUP-1\t")
        # both candidates listed (bash sorts them itself)
        _read_until(fd, r"SUP-1\s+SUP-10\s")
        os.write(fd, b"\x15")  # kill the line
        os.write(fd, b"supportctl comment SUP-2 --reply vpn\t")
        line = _read_until(fd, r"--reply vpn-access ")
        assert "vpn-access" in line
        os.write(fd, b"\x15supportctl assign SUP-3 bo\t")
        assert "boris " in _read_until(fd, r"assign SUP-3 boris ")
    finally:
        os.write(fd, b"\x15exit\n")
        os.close(fd)
        os.waitpid(pid, 0)
