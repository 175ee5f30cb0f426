"""The `supportctl` command line: one Typer app, sub-apps per noun, one error boundary.

`main` is what the `supportctl` script runs. The app itself (`supportctl.cli.commands`)
is loaded only when a command needs it: a bare `--version` prints without Typer or any
command module, which cost several times what starting Python does.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["app", "app_for", "main", "state"]


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"] and not any(
        k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ
    ):
        from supportctl import __version__

        # what Typer's eager --version option prints (cli/root.py), exit code 0
        sys.stdout.write(f"supportctl {__version__}\n")
        return
    if os.environ.get("_SUPPORTCTL_COMPLETE", "").startswith("complete_"):
        # a Tab: the questions about tickets, customers, ... are answered before Typer loads
        from supportctl.cli.complete import answer

        code = answer(os.environ)
        if code is not None:
            sys.exit(code)
    try:
        from supportctl.cli.commands import app_for

        app_for(argv)()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)


def __getattr__(name: str) -> Any:
    # `from supportctl.cli import app` (tests, embedding) gets the whole app, as before
    if name in ("app", "app_for", "state"):
        from supportctl.cli import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
