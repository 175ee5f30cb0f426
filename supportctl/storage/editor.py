"""The user's text editor, run on a file (`kb new` and `kb edit` at a terminal)."""

from __future__ import annotations

import shlex
import subprocess


def run_editor(editor: str, path: str) -> int:
    """Run `editor` (a command line such as $EDITOR, words split as a shell would) on
    `path` and wait for it; its exit status. OSError when it cannot be started."""
    # No shell: the path is one argument whatever it holds, and $EDITOR may carry options.
    return subprocess.call([*shlex.split(editor), path])
