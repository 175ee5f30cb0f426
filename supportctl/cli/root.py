"""The root `supportctl` app, its global options and the one error boundary.

The command modules register on `app` from here and cli/__init__ joins the sub-apps, so
nothing in cli imports the package it belongs to (imports only point down and sideways)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from supportctl import __version__
from supportctl.domain.errors import SupportctlError

if TYPE_CHECKING:
    from collections.abc import Sequence


# Where an unexpected error should go: it is a bug in supportctl, never the user's mistake.
HOW_TO_REPORT = (
    "run the command again with --debug for the traceback and report it, "
    "with the command you ran, to the supportctl maintainers"
)


class _Boundary(TyperGroup):
    """The one error boundary: a SupportctlError becomes one line on stderr and its exit
    code, anything unexpected one line and exit 1 (`--debug` shows the traceback)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
        except SupportctlError as exc:
            _notices()
            if state.debug:
                raise
            _say(exc)
            raise typer.Exit(exc.exit_code) from None
        except BaseException:  # typer.Exit from a command, Ctrl-C: the warnings still go out
            _notices()
            raise
        _notices()
        return result

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Usage mistakes (a missing option, a bad value) are one line too, exit code 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.Abort:
            from supportctl.cli.out import error

            error("aborted")
            sys.exit(1)
        except typer.TyperException as exc:  # click's usage errors and bad parameters
            # A group run without a command (`supportctl`, `supportctl sla`): its help is
            # the answer, not a mistake. The rich formatter has printed it already and left
            # "" here; echoing that ends the output as `--help` does. Typer spots this error
            # by name too, its class being no public name.
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message() if hasattr(exc, "format_message") else "")
                sys.exit(0)
            from supportctl.cli.out import error

            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            error(" ".join(message.split()) + hint)
            sys.exit(int(getattr(exc, "exit_code", 2)))
        except SupportctlError as exc:  # raised while the options were read
            if state.debug:
                raise
            _say(exc)
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, BrokenPipeError):
            raise  # main() turns these into their exit codes
        except Exception as exc:
            if state.debug:
                raise
            internal_error(exc)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _say(exc: SupportctlError) -> None:
    from supportctl.cli.out import error

    # a configuration with several mistakes lists each on a line of its own
    for line in exc.message.splitlines() or [""]:
        error(line)


def internal_error(exc: BaseException) -> None:
    """One line for an error supportctl did not expect, and how to report it."""
    from supportctl.cli.out import error

    text = " ".join(str(exc).split())
    error(f"internal error: {type(exc).__name__}{': ' if text else ''}{text} ({HOW_TO_REPORT})")


def _notices() -> None:
    """Warnings a command that only read left for its end (see storage.git.take_notices).
    Looked up in sys.modules: a command that never loaded storage has none, and `--help`
    must not load it only to find that out."""
    git = sys.modules.get("supportctl.storage.git")
    if git is not None:
        from supportctl.cli.out import warn

        for text in git.take_notices():
            warn(text)


app = typer.Typer(
    cls=_Boundary,
    name="supportctl",
    help="A command-line helpdesk whose tickets, worklogs and KB live in a git repository.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    repo: str | None = None
    debug: bool = False


state = State()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"supportctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            envvar="SUPPORTCTL_REPO",
            help="Support repo to use instead of the current one.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """supportctl: tickets, SLA, reports and a knowledge base kept in git."""
    state.repo = repo
    state.debug = debug
