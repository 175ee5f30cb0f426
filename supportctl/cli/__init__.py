"""The `supportctl` command line: one Typer app, sub-apps per noun, one error boundary.

The command modules import only light things at the top (Typer, the domain's errors and
parsers); each command imports what it works with when it runs, so `--help` and
`--version` start without git, YAML, SQLite or the report's libraries.
"""

from __future__ import annotations

import os
import sys

# the ticket verbs and the other top-level commands register on `app` as they are imported,
# in the order `--help` lists them
from supportctl.cli import backlog as _backlog  # noqa: F401  (similar, backlog, devtask)
from supportctl.cli import report as _report  # noqa: F401
from supportctl.cli import sync as _sync  # noqa: F401
from supportctl.cli import tickets as _tickets  # noqa: F401
from supportctl.cli.kb import kb_app
from supportctl.cli.root import app, state
from supportctl.cli.sla import sla_app

app.add_typer(kb_app, name="kb")
app.add_typer(sla_app, name="sla")

__all__ = ["app", "main", "state"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
