"""`supportctl init`: turn a folder into a support repo with one initial commit."""

from __future__ import annotations

import shlex
import shutil
import stat
import sys
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from supportctl.config.settings import CONFIG_NAME, parse_config
from supportctl.domain.errors import GitError, IllegalTransition
from supportctl.storage.git import Repo
from supportctl.storage.transaction import Change, refuse_busy, transaction

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.storage.git import Identity

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


def init_repo(path: Path, *, identity: Identity | None = None) -> InitResult:
    """Create the layout; commit only what is missing. Running it twice is harmless.

    The commit is made as `identity` when given (the demo's scripted desk admin), else as
    git's configured identity.

    When it fails (no git identity, a merge in progress...), a folder or `.git` it created
    is removed again: the path is left as it was.
    """
    existed, had_git = path.exists(), (path / ".git").exists()
    try:
        return _init(path, identity)
    except BaseException:
        if not existed:
            shutil.rmtree(path, ignore_errors=True)
        elif not had_git:
            shutil.rmtree(path / ".git", ignore_errors=True)
        raise


def _init(path: Path, identity: Identity | None) -> InitResult:
    repo = Repo.init(path)
    repo.act_as(identity)
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
    refuse_busy(repo)
    # a .gitkeep deleted from the work tree is simply put back
    dirty = [
        d
        for d in repo.dirty(list(files))
        if (not d.endswith("/.gitkeep") or (path / d).exists())
        and not (own_config and d == CONFIG_NAME)
    ]
    if dirty:
        raise GitError(f"{dirty[0]} has uncommitted changes; commit or remove it first")
    with transaction(repo) as tx:
        change = Change("Initialise support repo", [("Action", "init")], files)
        sha = tx.commit(change, check_dirty=False)
    return InitResult(path, sha)


HOOK_MARK = "# installed by `supportctl init --hooks`"


def hook_script() -> str:
    """A pre-commit hook running `supportctl validate` with this very installation."""
    python = shlex.quote(sys.executable)
    return (
        "#!/bin/sh\n"
        f"{HOOK_MARK}: a commit whose tickets, worklogs, KB articles\n"
        "# or supportctl.yaml do not validate is refused. `git commit --no-verify` skips it.\n"
        "# validate reads the work tree, so it must hold what is being committed: an unstaged\n"
        "# edit could otherwise pass in place of the staged content (or a configuration that\n"
        "# is not committed vouch for a ticket that is).\n"
        "if ! git diff --quiet -- supportctl.yaml data; then\n"
        "  echo 'supportctl: unstaged changes in supportctl.yaml or data/; the hook validates what"
        " is committed: stage them (git add) or set them aside (git stash --keep-index) first'"
        " >&2\n"
        "  exit 1\n"
        "fi\n"
        f'exec {python} -m supportctl --repo "$(pwd)" validate\n'
    )


def install_hook(root: Path) -> tuple[Path, bool]:
    """Install the pre-commit hook in the repo's hooks folder (honouring core.hooksPath).

    Returns (its path, whether anything changed). A hook that is not ours is never
    overwritten: IllegalTransition says so."""
    repo = Repo(root)
    hook = repo.hooks_dir() / "pre-commit"
    script = hook_script()
    if hook.is_symlink() or hook.exists():
        try:
            current = hook.read_text(encoding="utf-8", errors="replace")
        except OSError:
            current = ""
        if hook.is_symlink() or HOOK_MARK not in current:
            raise IllegalTransition(
                f"{hook} already exists and is not supportctl's; leaving it as it is (add "
                "`supportctl validate` to it yourself, or use the pre-commit framework's "
                "supportctl-validate hook)"
            )
        if current == script and hook.stat().st_mode & stat.S_IXUSR:
            return hook, False
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(script, encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return hook, True
