"""`--help` and `--version` start fast: they import nothing heavy (STYLE.md, lazy imports).

Each command imports what it works with when it runs; registering the commands must not.
Typer itself formats help with rich, so rich may come in for `--help`, but only through
typer.rich_utils.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import supportctl

if TYPE_CHECKING:
    from tests.conftest import Cli

HEAVY = {
    "git",
    "gitdb",
    "ruamel",
    "yaml",
    "sqlite3",
    "_sqlite3",
    "jinja2",
    "markdown",
    "nh3",
    "holidays",
    "rich",
    "babel",
    "snowballstemmer",
    "leather",
    "tabulate",
}
# the implementations behind the commands: none is needed to describe them
LAYERS = ("supportctl.ops", "supportctl.report", "supportctl.storage", "supportctl.config")

# the package under test, wherever the test run found it
SOURCE = str(Path(supportctl.__file__).resolve().parents[1])
_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|( *)(\S+)$")


def imports(*args: str) -> list[tuple[str, str | None]]:
    """(module, the module that imported it) for each module `supportctl ARGS` imports."""
    env = {**os.environ, "PYTHONPATH": SOURCE}
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "supportctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd="/",
    )
    assert p.returncode == 0, p.stderr[-2000:]
    tree = [
        (len(m.group(1)) // 2, m.group(2))
        for m in map(_LINE.match, p.stderr.splitlines())
        if m is not None
    ]
    found: list[tuple[str, str | None]] = []
    # -X importtime prints a module after the modules it imported, one level deeper
    for i, (depth, name) in enumerate(tree):
        parent = next((n for d, n in tree[i + 1 :] if d < depth), None)
        found.append((name, parent))
    return found


@pytest.mark.parametrize(
    "args",
    [("--version",), ("--help",), ("sla", "--help"), ("kb", "--help"), ("list", "--help")],
    ids=" ".join,
)
def test_nothing_heavy_is_imported(args: tuple[str, ...]) -> None:
    found = imports(*args)
    names = {name for name, _ in found}
    assert "supportctl.cli" in names  # the measurement sees our imports at all
    heavy = sorted(
        name
        for name, parent in found
        if name.split(".")[0] in HEAVY
        and not (name == "rich" and parent == "typer.rich_utils" and "--help" in args)
        and not (name.startswith("rich.") and "--help" in args)
    )
    assert heavy == []
    assert sorted(n for n in names if n.startswith(LAYERS)) == []


def test_rich_comes_in_only_for_typers_help() -> None:
    assert "rich" not in {name for name, _ in imports("--version")}
    parents = {parent for name, parent in imports("--help") if name == "rich"}
    assert parents == {"typer.rich_utils"}


def test_no_cli_module_imports_its_own_package() -> None:
    """cli/__init__ imports the command modules; one importing back from it is a cycle."""
    import ast

    cli = Path(supportctl.__file__).parent / "cli"
    submodules = {p.stem for p in cli.glob("*.py")} - {"__init__"}
    upward = []
    for path in sorted(cli.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "supportctl.cli":
                upward += [f"{path.name}: {a.name}" for a in node.names if a.name not in submodules]
            if isinstance(node, ast.Import):
                upward += [
                    f"{path.name}: {a.name}" for a in node.names if a.name == "supportctl.cli"
                ]
    assert upward == []


# -- one run builds only the command it runs ---------------------------------------------------
SAME_ANSWER = [
    ("--version",),
    ("--help",),
    (),
    ("--debug",),
    ("--version", "--help"),
    ("--help", "--version"),
    ("--repo", "--version"),
    ("--repo=/nowhere", "--version"),
    ("show", "--help"),
    ("show",),
    ("show", "SUP-1", "--bogus"),
    ("--repo", "/nowhere", "list", "--limit", "x"),
    ("--debug", "list", "--help"),
    ("sla",),
    ("sla", "nope"),
    ("kb", "search", "--help"),
    ("nope",),
    ("-h",),
]


@pytest.mark.parametrize("args", SAME_ANSWER, ids=" ".join)
def test_the_pruned_app_answers_as_the_whole_one(args: tuple[str, ...]) -> None:
    from typer.testing import CliRunner

    from supportctl.cli import app, app_for, state

    def run(which: object) -> tuple[int, str, str]:
        state.repo, state.debug = None, False
        r = CliRunner().invoke(which, list(args), env={"COLUMNS": "100"})  # type: ignore[arg-type]
        return r.exit_code, r.stdout, r.stderr

    assert run(app_for(args)) == run(app)


def test_one_command_or_group_is_built() -> None:
    from supportctl.cli import app, app_for

    show = app_for(["--repo", "x", "show", "SUP-1"])
    assert [c.callback.__name__ for c in show.registered_commands if c.callback] == ["show"]
    assert show.registered_groups == []
    sla = app_for(["sla", "check"])
    assert (sla.registered_commands, [g.name for g in sla.registered_groups]) == ([], ["sla"])
    assert app_for(["--version"]).registered_commands == []
    assert app_for(["--help"]) is app
    assert app_for(["nope"]) is app
    assert len(app.registered_commands) > 20  # the whole app is left as it was


def test_show_and_list_do_not_import_gitpython(support_repo: Path, cli: Cli) -> None:
    """Single objects come through one `git cat-file --batch`; GitPython costs more to
    import than these commands cost to run."""
    assert cli("new", "Printer", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    env = {**os.environ, "PYTHONPATH": SOURCE}
    for args in (["list"], ["show", "SUP-1"]):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "supportctl", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
            cwd=support_repo,
        )
        assert p.returncode == 0, p.stderr[-2000:]
        assert "Printer" in p.stdout
        names = {m.group(2) for m in map(_LINE.match, p.stderr.splitlines()) if m}
        assert "supportctl.storage.git" in names
        assert "git" not in names


def test_a_bare_version_prints_what_the_app_prints_without_typer() -> None:
    from typer.testing import CliRunner

    from supportctl.cli import app, state

    state.repo, state.debug = None, False
    expected = CliRunner().invoke(app, ["--version"])
    env = {**os.environ, "PYTHONPATH": SOURCE}
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "supportctl", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd="/",
    )
    assert (p.returncode, p.stdout) == (expected.exit_code, expected.stdout)
    assert p.stdout == f"supportctl {supportctl.__version__}\n"
    names = {m.group(2) for m in map(_LINE.match, p.stderr.splitlines()) if m}
    assert "supportctl.cli" in names
    assert sorted(n for n in names if n.split(".")[0] in ("typer", "click")) == []
    assert "supportctl.cli.commands" not in names


def test_warm_show_and_list_read_no_yaml(support_repo: Path, cli: Cli) -> None:
    """Once the caches hold the parsed configuration, ticket files and listing rows, a
    `show` or `list` neither parses YAML nor loads a YAML library."""
    assert cli("new", "Printer", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    env = {**os.environ, "PYTHONPATH": SOURCE}
    warm = []
    for args in (["list"], ["show", "SUP-1"], ["list"], ["show", "SUP-1"]):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "supportctl", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
            cwd=support_repo,
        )
        assert p.returncode == 0, p.stderr[-2000:]
        assert "Printer" in p.stdout
        warm.append(
            {m.group(2).split(".")[0] for m in map(_LINE.match, p.stderr.splitlines()) if m}
        )
    for names in warm[2:]:
        assert "supportctl" in names
        assert sorted(names & {"yaml", "ruamel"}) == []
