"""Shared fixtures: real git repositories in tmp_path with a pinned identity and clock."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from supportctl.cli import app, state
from supportctl.ops.init import init_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXED_DATE = "2026-10-05T10:00:00+03:00"

CONFIG = """\
id_prefix: SUP
lines: [L1, L2, L3, L4]
timezone: Europe/Moscow
calendars:
  office:
    timezone: Europe/Moscow
    hours:
      mon-fri: "09:00-13:00, 14:00-18:00"
    country: RU
plans:
  standard:
    calendar: office
    warn_at: 80%
    rules:
      - when: {priority: critical}
        calendar: 24x7
        first_response: 30m
        start_work: 1h
        resolution: 4h
      - first_response: 2h
        start_work: 4h
        resolution: 16h
customers:
  acme:
    name: ACME LLC
    plan: standard
    package: {hours: 10, rollover: false}
    rate: 2500
    currency: RUB
    credits: {per_breach: 2%, cap: 15%}
  globex:
    name: Globex
    plan: standard
agents:
  anna: {name: Anna Smirnova, email: anna@support.example, line: L1}
  boris: {name: Boris Petrenko, email: boris@support.example, line: L2}
"""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real $HOME or git config; pin identity and dates."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Anna Smirnova")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "anna@support.example")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Anna Smirnova")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "anna@support.example")
    monkeypatch.setenv("GIT_AUTHOR_DATE", FIXED_DATE)
    monkeypatch.setenv("GIT_COMMITTER_DATE", FIXED_DATE)
    tmp = home / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # kept drafts land here, not in /tmp
    monkeypatch.delenv("SUPPORTCTL_REPO", raising=False)
    monkeypatch.delenv("SUPPORTCTL_NOW", raising=False)
    state.repo = None
    state.debug = False


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        ["git", *args], cwd=root, env=full, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def support_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised support repo with the test config, as the current directory."""
    root = tmp_path / "desk"
    init_repo(root)
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    git(root, "add", "supportctl.yaml")
    git(root, "commit", "-qm", "Test configuration")
    monkeypatch.chdir(root)
    return root


_COMMAND: list[Any] = []


def _cached_get_command(typer_app: Any) -> Any:
    """Build the Click command tree once: walking every signature took most of the run time."""
    if typer_app is not app:
        return typer.main.get_command(typer_app)
    if not _COMMAND:
        _COMMAND.append(typer.main.get_command(app))
    return _COMMAND[0]


class Cli:
    """Runs the Typer app in-process; our error boundary lives inside the app."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        state.repo = None
        state.debug = False
        return self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setattr(typer.testing, "_get_command", _cached_get_command)
    return Cli()


_TEMPLATES: dict[str, Path] = {}


def from_template(
    name: str,
    root: Path,
    build: Any,
    monkeypatch: pytest.MonkeyPatch,
    factory: pytest.TempPathFactory,
) -> Path:
    """Turn the fresh `support_repo` at `root` into the repo `build(root)` makes, building once.

    Every test still gets its own copy; commit ids match because dates and identity are pinned.
    """
    if name not in _TEMPLATES:
        build(root)
        saved = factory.mktemp(f"template-{name}") / "repo"
        shutil.copytree(root, saved, symlinks=True)
        _TEMPLATES[name] = saved
    else:
        shutil.rmtree(root)
        shutil.copytree(_TEMPLATES[name], root, symlinks=True)
        monkeypatch.chdir(root)
    return root


# Modules that drive many processes, clones, generated inputs or whole-desk CLI scenarios;
# `make test-fast` leaves them out (the rest runs in about 20 s on two cores).
_TESTS = Path(__file__).parent
_SLOW_MODULES = {
    "cli/test_common.py",
    "cli/test_entrypoint.py",
    "cli/test_hostile.py",
    "cli/test_kb.py",
    "cli/test_progress.py",
    "cli/test_sla.py",
    "cli/test_tickets.py",
    "ops/test_backlog.py",
    "ops/test_demo.py",
    "ops/test_sync.py",
    "ops/test_sync_history.py",
    "ops/test_ticket_size.py",
    "ops/test_validate.py",
    "report/test_browser.py",
    "report/test_escaping.py",
    "report/test_figures.py",
    "report/test_isolation.py",
    "report/test_report_cli.py",
    "report/test_templates.py",
    "scripts/test_ensure_chromium.py",
    "storage/test_catalog.py",
    "storage/test_concurrency.py",
    "storage/test_history_identity.py",
    "storage/test_safepath.py",
    "storage/test_sla_periods.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            item.path.relative_to(_TESTS).as_posix() in _SLOW_MODULES
            or "hypothesis" in item.keywords
        ):
            item.add_marker(pytest.mark.slow)
