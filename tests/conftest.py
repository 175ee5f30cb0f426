"""Shared fixtures: real git repositories in tmp_path with a pinned identity and clock."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from supportctl.cli import app, state
from supportctl.initrepo import init_repo

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
    monkeypatch.delenv("SUPPORTCTL_REPO", raising=False)
    monkeypatch.delenv("SUPPORTCTL_NOW", raising=False)
    state.repo = None
    state.debug = False


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, **(env or {})}
    return subprocess.run(["git", *args], cwd=root, env=full, check=True, capture_output=True,
                          text=True).stdout


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


class Cli:
    """Runs the Typer app in-process; our error boundary lives inside the app."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
        state.repo = None
        state.debug = False
        return self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cli() -> Iterator[Cli]:
    yield Cli()
