"""The installed entry points, in subprocesses, and the command-line surface: help and docs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing

import supportctl
from supportctl.cli import app

ROOT = Path(__file__).resolve().parents[2]


def console_script() -> str:
    """The `supportctl` script installed next to this interpreter (the venv's bin)."""
    found = shutil.which("supportctl", path=str(Path(sys.executable).parent))
    assert found, f"no supportctl console script next to {sys.executable}"
    return found


def run(
    *args: str, cwd: Path | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        input=input.decode() if input else None,
        env=os.environ.copy(),
    )


def test_version_in_process(cli: Any) -> None:
    r = cli("--version")
    assert r.exit_code == 0
    assert r.stdout == f"supportctl {supportctl.__version__}\n"
    assert supportctl.__version__ == version("supportctl")


def test_python_dash_m_version() -> None:
    p = run(sys.executable, "-m", "supportctl", "--version")
    assert (p.returncode, p.stdout, p.stderr) == (0, f"supportctl {supportctl.__version__}\n", "")


def test_console_script_version() -> None:
    p = run(console_script(), "--version")
    assert (p.returncode, p.stdout, p.stderr) == (0, f"supportctl {supportctl.__version__}\n", "")


def test_console_script_does_real_work(support_repo: Path) -> None:
    script = console_script()
    p = run(
        script,
        "new",
        "Checkout fails",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
        cwd=support_repo,
    )
    assert (p.returncode, p.stdout) == (0, "SUP-1\n"), p.stderr
    p = run(script, "escalate", "SUP-1", "--reason", "needs DB access", cwd=support_repo / "data")
    assert (p.returncode, p.stdout) == (0, "SUP-1: escalate L1 → L2 (needs DB access)\n"), p.stderr
    log = subprocess.run(
        ["git", "log", "-1", "--format=%s|%aI|%(trailers:key=Action,valueonly)"],
        cwd=support_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        log.strip()
        == "SUP-1: escalate L1 → L2 (needs DB access)|2026-10-05T10:00:00+03:00|escalate"
    )


def test_console_script_errors_are_one_line_with_exit_code(
    support_repo: Path, tmp_path: Path
) -> None:
    script = console_script()
    p = run(script, "show", "SUP-999", cwd=support_repo)
    assert (p.returncode, p.stdout, p.stderr) == (
        5,
        "",
        "supportctl: error: unknown ticket SUP-999\n",
    )
    p = run(script, "close", "../x", cwd=support_repo)
    assert p.returncode == 2
    assert p.stderr == "supportctl: error: bad ticket ID '../x': expected SUP-<number>\n"
    p = run(script, "list", cwd=tmp_path)
    assert p.returncode == 3
    assert "Traceback" not in p.stderr
    assert len(p.stderr.splitlines()) == 1


def test_debug_shows_the_traceback(support_repo: Path) -> None:
    p = run(sys.executable, "-m", "supportctl", "--debug", "show", "SUP-999", cwd=support_repo)
    assert p.returncode != 0
    assert "Traceback" in p.stderr
    assert "NotFound: unknown ticket SUP-999" in p.stderr


def test_description_from_stdin_in_a_subprocess(support_repo: Path) -> None:
    p = run(
        console_script(),
        "new",
        "From a pipe",
        "-c",
        "acme",
        "-t",
        "incident",
        "-p",
        "low",
        "--description-file",
        "-",
        cwd=support_repo,
        input="Строка из канала\n".encode(),
    )
    assert (p.returncode, p.stdout) == (0, "SUP-1\n"), p.stderr
    text = (support_repo / "data/tickets/0000/SUP-1.yaml").read_text(encoding="utf-8")
    assert "description: Строка из канала\n" in text


# -- help and docs --------------------------------------------------------------------------
def all_commands() -> list[tuple[list[str], Any]]:
    """Every command and sub-command as (path, click command)."""
    found: list[tuple[list[str], Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            if not sub.hidden:
                found.append(([*path, name], sub))
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = all_commands()
TOP_LEVEL = [path[0] for path, _ in COMMANDS if len(path) == 1]


def test_the_ticket_verbs_are_top_level() -> None:
    assert {
        "init",
        "new",
        "show",
        "list",
        "assign",
        "comment",
        "log",
        "start",
        "wait",
        "escalate",
        "resolve",
        "close",
        "reopen",
        "link",
        "tag",
        "edit",
        "validate",
    } <= set(TOP_LEVEL)


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help(cli: Any, path: list[str], cmd: Any) -> None:
    assert cmd.help, f"{' '.join(path)} has no docstring"
    assert cmd.help.strip(), f"{' '.join(path)} has no docstring"
    summary = cmd.help.strip().splitlines()[0]
    r = cli(*path, "--help")
    assert r.exit_code == 0, r.output
    assert flat(summary) in flat(r.stdout)
    undocumented = [
        p.name
        for p in cmd.params
        if p.param_type_name == "option" and not (getattr(p, "help", "") or "").strip()
    ]
    assert undocumented == [], f"options without help in {' '.join(path)}"


def test_root_help_lists_every_command(cli: Any) -> None:
    r = cli("--help")
    assert r.exit_code == 0
    text = flat(r.stdout)
    for name in TOP_LEVEL:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), name


def test_every_top_level_command_is_in_the_readme() -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not written yet")
    text = readme.read_text(encoding="utf-8")
    # `supportctl NAME ...` in an example, or a code span that starts with the name: `NAME --opt`.
    missing = [
        name
        for name in TOP_LEVEL
        if not re.search(rf"supportctl {re.escape(name)}\b|`{re.escape(name)}[\s`]", text)
    ]
    assert missing == [], f"commands not documented in README.md: {missing}"


def test_exit_code_table_in_the_readme_matches_the_code() -> None:
    from supportctl.domain import errors

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (\d+) \| (.+) \|$", readme, re.MULTILINE))
    assert sorted(int(k) for k in table) == sorted(errors.EXIT_CODES) == [*range(12), 75]
    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.SupportctlError)
    }
    assert codes <= set(errors.EXIT_CODES)


def test_pre_commit_hook_runs_validate() -> None:
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "supportctl-validate"
    assert hook["entry"] == "supportctl validate"
    assert hook["pass_filenames"] is False
    assert hook["language"] == "python"


def test_shell_completion_offers_the_commands(support_repo: Path) -> None:
    env = {
        **os.environ,
        "_SUPPORTCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "supportctl li",
        "COMP_CWORD": "1",
    }
    r = subprocess.run(
        [console_script()],
        cwd=support_repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0
    assert set(r.stdout.split()) == {"list", "link"}
    # the script is for the shell it is run from (found among its parent processes): run
    # from bash, as a user does, not from whatever started the test run
    shown = run("bash", "-c", '"$0" --show-completion; exit $?', console_script())
    assert "_SUPPORTCTL_COMPLETE=complete_bash" in shown.stdout, (shown.returncode, shown.stderr)


def test_non_utf8_argument_is_refused_in_a_subprocess(support_repo: Path) -> None:
    before = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=support_repo, capture_output=True, check=True
    ).stdout
    r = subprocess.run(
        [
            console_script().encode(),
            b"new",
            b"Caf\xe9",
            b"-c",
            b"acme",
            b"-t",
            b"incident",
            b"-p",
            b"low",
        ],
        cwd=support_repo,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2
    assert r.stderr == b"supportctl: error: title is not valid UTF-8\n"
    assert (
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=support_repo, capture_output=True, check=True
        ).stdout
        == before
    )


def test_author_and_committer_dates_are_honoured_apart(support_repo: Path, cli: Any) -> None:
    env = {
        "GIT_AUTHOR_DATE": "2026-10-05T10:00:00+03:00",
        "GIT_COMMITTER_DATE": "2026-10-05T12:30:00+03:00",
    }
    assert (
        cli("new", "Printer", "-c", "acme", "-t", "incident", "-p", "low", env=env).exit_code == 0
    )
    dates = subprocess.run(
        ["git", "log", "-1", "--format=%aI %cI"],
        cwd=support_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert dates == ["2026-10-05T10:00:00+03:00", "2026-10-05T12:30:00+03:00"]
    shown = cli("show", "SUP-1", "--json").stdout
    assert '"created": "2026-10-05T10:00:00+03:00"' in shown
