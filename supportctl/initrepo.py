"""`supportctl init`: turn a folder into a support repo with one initial commit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from supportctl.config import CONFIG_NAME, parse_config
from supportctl.errors import GitError
from supportctl.gitio import Repo

GITATTRIBUTES = """\
# Ticket and worklog files are text; let git diff and merge them line by line.
*.yaml text eol=lf diff
*.md text eol=lf diff
"""

FOLDERS = ("data/tickets", "data/worklogs", "data/kb")


@dataclass
class InitResult:
    root: Path
    commit: str | None  # None when everything was already there


def example_config() -> bytes:
    return resources.files("supportctl.skeleton").joinpath(CONFIG_NAME).read_bytes()


def init_repo(path: Path) -> InitResult:
    """Create the layout; commit only what is missing. Running it twice is harmless.

    When it fails (no git identity, a merge in progress...), a folder or `.git` it created
    is removed again: the path is left as it was.
    """
    existed, had_git = path.exists(), (path / ".git").exists()
    try:
        return _init(path)
    except BaseException:
        if not existed:
            shutil.rmtree(path, ignore_errors=True)
        elif not had_git:
            shutil.rmtree(path / ".git", ignore_errors=True)
        raise


def _init(path: Path) -> InitResult:
    repo = Repo.init(path)
    files: dict[str, bytes | None] = {}
    own_config = False
    if not (path / CONFIG_NAME).exists():
        files[CONFIG_NAME] = example_config()
    elif repo.file_at("HEAD", CONFIG_NAME) is None:
        # A configuration written before `init` is committed with the rest: commands compute
        # from the committed one only. A broken one is refused, with all its mistakes.
        text = (path / CONFIG_NAME).read_bytes()
        parse_config(text, path / CONFIG_NAME)
        files[CONFIG_NAME] = text
        own_config = True
    if not (path / ".gitattributes").exists():
        files[".gitattributes"] = GITATTRIBUTES.encode()
    for folder in FOLDERS:
        keep = f"{folder}/.gitkeep"
        if not (path / folder).is_dir() or not any((path / folder).iterdir()):
            files[keep] = b""
    if not files:
        return InitResult(path, None)
    busy = repo.operation_in_progress()
    if busy:
        raise GitError(f"{busy} is in progress in {path}; finish or abort it first")
    # a .gitkeep deleted from the work tree is simply put back
    dirty = [
        d
        for d in repo.dirty(list(files))
        if (not d.endswith("/.gitkeep") or (path / d).exists())
        and not (own_config and d == CONFIG_NAME)
    ]
    if dirty:
        raise GitError(f"{dirty[0]} has uncommitted changes; commit or remove it first")
    with repo.lock():
        ident = repo.identity()
        msg = "Initialise support repo\n\nAction: init\n"
        sha = repo.commit(files, msg, author=ident, expect_head=repo.head())
    return InitResult(path, sha)
