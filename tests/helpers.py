"""What the tests share besides fixtures: git in a folder, a file committed by hand, the CLI run
in-process at a pinned moment, template repositories, clones of a bare remote, and the rule for
a real component (a browser) that is missing.

Fixtures live in conftest.py; test modules import these from here, never from each other.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import typer.main
from typer.testing import CliRunner, Result

from supportctl.cli import app, state
from supportctl.ops.init import init_repo
from supportctl.storage.desk import open_repo
from supportctl.storage.history import History

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

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


# -- real components --------------------------------------------------------------------------
def component_missing(component: str, how_to_get_it: str) -> NoReturn:
    """Skip the calling test on a developer's machine; fail it under `CI=true`.

    CI must never pass green on a run that silently skipped the browser or a server test.
    """
    message = f"{component} is missing ({how_to_get_it})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true needs it", pytrace=False)
    pytest.skip(message)


# The advice every refused symbolic link in the repo's data ends with.
LINK_ADVICE = (
    "is a symbolic link; supportctl never reads or writes through a link in the repo's "
    "data (replace it with a real folder or file)"
)


# -- git ---------------------------------------------------------------------------------------
def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `root` as a person at a terminal would; fail the test if git fails."""
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        ["git", *args], cwd=root, env=full, check=True, capture_output=True, text=True
    ).stdout


def at(when: str) -> dict[str, str]:
    """Pin both git dates, like an agent acting at that moment."""
    return {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def trailers(root: Path, rev: str = "HEAD") -> list[tuple[str, str]]:
    """A commit's trailers as git itself parses them."""
    out = git(root, "log", "-1", "--format=%(trailers:only,unfold)", rev)
    pairs = []
    for line in out.splitlines():
        if line.strip():
            key, _, value = line.partition(": ")
            pairs.append((key, value))
    return pairs


def commit_files(root: Path, files: dict[str, str], message: str = "Add files by hand") -> None:
    """Write each path (relative to `root`) and commit them by hand, as a teammate would."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        git(root, "add", "--", path)
    git(root, "commit", "-qm", message)


def commit_file(root: Path, path: str, text: str, message: str = "Add a file by hand") -> None:
    commit_files(root, {path: text}, message)


def history(root: Path) -> History:
    return History(open_repo(str(root)), progress=False)


# -- the command line, in-process --------------------------------------------------------------
_COMMAND: list[Any] = []


def cached_get_command(typer_app: Any) -> Any:
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


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def run_at(cli: Cli, when: str, *args: str, input: str | None = None) -> Result:
    """Run a command that must succeed, with both git dates pinned to `when`."""
    return ok(cli(*args, env=at(when), input=input))


# -- template repositories ---------------------------------------------------------------------
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


# -- clones of a bare remote -------------------------------------------------------------------
CONFIG3 = CONFIG + "  vera: {name: Vera Orlova, email: vera@support.example, line: L3}\n"
PEOPLE = {
    "anna": ("Anna Smirnova", "anna@support.example"),
    "boris": ("Boris Petrenko", "boris@support.example"),
    "vera": ("Vera Orlova", "vera@support.example"),
}


def monday(hhmm: str) -> str:
    """An author date on Monday 2026-10-05 in Moscow (office hours 09-13, 14-18)."""
    return f"2026-10-05T{hhmm}:00+03:00"


class Clone:
    """One agent's clone; commands run in-process with the clone's own git identity."""

    def __init__(self, root: Path, handle: str, cli: Cli) -> None:
        self.root = root
        self.handle = handle
        self.cli = cli

    def __call__(
        self,
        *args: str,
        when: str = "2026-10-05T08:00:00+03:00",
        who: str | None = None,
        code: int = 0,
    ) -> Any:
        env: dict[str, str | None] = {
            "SUPPORTCTL_REPO": str(self.root),
            # unset the conftest identity so the clone's `git config user.*` is used
            "GIT_AUTHOR_NAME": None,
            "GIT_AUTHOR_EMAIL": None,
            "GIT_COMMITTER_NAME": None,
            "GIT_COMMITTER_EMAIL": None,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        if who:  # act as somebody else (the sequential reference desk)
            name, email = PEOPLE[who]
            env.update(
                GIT_AUTHOR_NAME=name,
                GIT_AUTHOR_EMAIL=email,
                GIT_COMMITTER_NAME=name,
                GIT_COMMITTER_EMAIL=email,
            )
        r = self.cli(*args, env=env)  # type: ignore[arg-type]
        assert r.exit_code == code, f"{args}: exit {r.exit_code}\n{r.stdout}\n{r.stderr}"
        return r

    def sync(self, when: str = "2026-10-05T19:00:00+03:00") -> dict[str, Any]:
        return dict(json.loads(self("sync", "--json", when=when).stdout))

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def subjects(self) -> list[str]:
        return self.git("log", "--format=%s").splitlines()


class Remote:
    """A bare remote seeded with a support repo, and clones of it."""

    def __init__(self, tmp_path: Path, cli: Cli, config: str = CONFIG3) -> None:
        self.tmp = tmp_path
        self.cli = cli
        self.remote = tmp_path / "remote.git"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(self.remote))
        seed = tmp_path / "seed"
        init_repo(seed)
        (seed / "supportctl.yaml").write_text(config, encoding="utf-8")
        git(seed, "add", "supportctl.yaml")
        git(seed, "commit", "-qm", "Test configuration")
        git(seed, "branch", "-M", "main")
        git(seed, "push", "-q", str(self.remote), "main")

    def clone(self, handle: str, name: str | None = None) -> Clone:
        root = self.tmp / (name or handle)
        git(self.tmp, "clone", "-q", str(self.remote), str(root))
        full, email = PEOPLE[handle]
        git(root, "config", "user.name", full)
        git(root, "config", "user.email", email)
        return Clone(root, handle, self.cli)

    def remote_head(self) -> str:
        return git(self.remote, "rev-parse", "main").strip()


def files_of(root: Path) -> Iterator[Path]:
    for p in root.rglob("*"):
        if p.is_file() and ".git" not in p.relative_to(root).parts:
            yield p


def assert_no_conflict_markers(root: Path) -> None:
    for p in files_of(root):
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            assert not line.startswith(("<<<<<<<", "=======", ">>>>>>>", "|||||||")), f"{p}: {line}"


def assert_clean(c: Clone) -> None:
    assert c.git("status", "--porcelain") == ""
    c("validate")
    assert_no_conflict_markers(c.root)


_HOLD_LOCK = """
import fcntl, sys, time
fh = open(sys.argv[1], "w")
fcntl.flock(fh, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(30)
"""


@contextlib.contextmanager
def desk_lock_held(root: Path) -> Iterator[None]:
    """The desk's lock held by another process (as another supportctl command would) while
    the block runs."""
    lock = root / ".git" / "supportctl" / "lock"
    lock.parent.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.kill()
        holder.wait()
