"""The whole command line: every command module registered on the root app, the sub-apps
joined, and `app_for`, which keeps of it what one run needs.

The command modules import only light things at the top (Typer, the domain's errors and
parsers); each command imports what it works with when it runs, so `--help` starts
without git, YAML, SQLite or the report's libraries.
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING

from typer.main import get_command_name

# the ticket verbs and the other top-level commands register on `app` as they are imported,
# in the order `--help` lists them
from supportctl.cli import agent as _agent  # noqa: F401  (queue, search)
from supportctl.cli import backlog as _backlog  # noqa: F401  (similar, backlog, devtask)
from supportctl.cli import outage as _outage  # noqa: F401
from supportctl.cli import replies as _replies  # noqa: F401
from supportctl.cli import sync as _sync  # noqa: F401
from supportctl.cli import tickets as _tickets  # noqa: F401
from supportctl.cli.alert import alert_app
from supportctl.cli.kb import kb_app
from supportctl.cli.mail import mail_app
from supportctl.cli.report import report_app
from supportctl.cli.root import app, state
from supportctl.cli.sla import sla_app

if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer
    from typer.models import CommandInfo, TyperInfo

app.add_typer(alert_app, name="alert")
app.add_typer(kb_app, name="kb")
app.add_typer(mail_app, name="mail")
app.add_typer(report_app, name="report")
app.add_typer(sla_app, name="sla")

__all__ = ["app", "app_for", "state"]


# root options that come before the command: the one that takes a value, and the flags
_ROOT_VALUE = "--repo"
_ROOT_FLAGS = ("--debug", "--version")


def app_for(argv: Sequence[str]) -> typer.Typer:
    """`app` with only the command or group that `argv` runs (none for `--version`).

    Typer builds every registered command's parameters on each start, which costs more
    than most commands do; one run needs one. Anything else (no command, an unknown one,
    `--help` at the top, shell completion) gets the whole app, so Typer's own help and
    "no such command" answers are unchanged."""
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return app
    i, version = 0, False
    while i < len(argv):
        arg = argv[i]
        if arg == _ROOT_VALUE:
            i += 2
        elif arg.startswith(_ROOT_VALUE + "=") or arg in _ROOT_FLAGS:
            version = version or arg == "--version"
            i += 1
        elif arg.startswith("-"):
            return app
        else:
            break
    else:
        return _pruned([], []) if version else app
    name = argv[i]
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return app
    return _pruned(commands, groups)


def _pruned(commands: list[CommandInfo], groups: list[TyperInfo]) -> typer.Typer:
    pruned = copy.copy(app)
    pruned.registered_commands = commands
    pruned.registered_groups = groups
    return pruned
