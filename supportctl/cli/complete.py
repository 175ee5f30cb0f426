"""Shell completion: the callbacks Typer calls for ticket IDs, KB slugs, customers, agents
and canned replies, and a fast path that answers the same questions before Typer is loaded.

Building the whole Typer app takes longer than a Tab may (200 ms on a 20,000-ticket desk),
so `answer` reads the shell's request itself when it is one of the questions below (a
command of `COMMANDS`, a position or option with a completer) and prints what Typer's own
completion classes would print for the same candidates; anything else (command names,
option names, other arguments) goes to Typer. `COMMANDS` is checked against the app by a
test, so the two cannot drift apart.

This module imports only the standard library at the top (the command modules name its
callbacks, and `--help` loads no storage); storage.completion when a Tab asks.
"""

from __future__ import annotations

import re
import shlex
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from supportctl.storage import completion as light

    Found = list[light.Candidate]
    Completer = Callable[[list[str], str], list[tuple[str, str]]]

PROG = "supportctl"
VAR = "_SUPPORTCTL_COMPLETE"


# -- where the candidates come from ------------------------------------------------------
def _root(args: Sequence[str]) -> Path | None:
    from supportctl.storage import completion as light

    override = None
    for i, a in enumerate(args):
        if a == "--repo" and i + 1 < len(args):
            override = args[i + 1]
        elif a.startswith("--repo="):
            override = a.partition("=")[2]
    return light.find_root(override)


def _tickets(root: Path, incomplete: str) -> Found:
    from supportctl.storage import completion as light

    tree = light.tickets_tree(root)
    if tree is None:
        return []
    lines = light.ticket_lines(root, tree)
    if lines is None:  # the cache does not cover HEAD: list the full way, which fills it
        lines = _index_the_full_way(root, tree)
    return light.tickets(lines, incomplete)


def _index_the_full_way(root: Path, tree: str) -> list[str]:
    from supportctl.storage import completion as light
    from supportctl.storage.desk import Desk
    from supportctl.storage.queries import listing

    lines = light.index_lines([e[4] for e in listing(Desk(root)) if not e[1] and e[4]])
    path = Desk(root).cache.path("completion")
    if path is not None:
        light.save_index(path, tree, lines)
    return lines


def _config(root: Path, section: str, incomplete: str) -> Found:
    from supportctl.storage import completion as light

    found = light.config_keys(root, section)
    if found is None:
        from supportctl.storage.desk import Desk

        config = Desk(root).config
        found = [
            (k, v.name)
            for k, v in (config.customers if section == "customers" else config.agents).items()
        ]
    return [c for c in found if c[0].lower().startswith(incomplete.lower())]


def _replies(root: Path, incomplete: str) -> Found:
    from supportctl.storage import completion as light

    found = light.reply_names(root, incomplete)
    if found is None:
        from supportctl.ops.replies import replies
        from supportctl.storage.desk import Desk

        found = [
            (r.name, ", ".join(lang or "plain" for lang in r.languages))
            for r in replies(Desk(root), first_lines=False)
            if r.name.startswith(incomplete.lower())
        ]
    return found


def _safely(fn: Callable[[], Found]) -> Found:
    # a Tab never shows a traceback: a broken repo offers nothing, the command then says why
    try:
        return fn()
    except Exception:
        return []


# -- Typer's autocompletion callbacks ----------------------------------------------------
def ticket(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """Ticket IDs, open ones first, with their titles."""
    root = _root(args)
    return _safely(lambda: _tickets(root, incomplete) if root else [])


def kb_slug(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """Slugs of the committed KB articles."""
    from supportctl.storage import completion as light

    root = _root(args)
    return _safely(lambda: light.kb_slugs(root, incomplete) if root else [])


def customer(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """Customer keys of supportctl.yaml, with their names."""
    root = _root(args)
    return _safely(lambda: _config(root, "customers", incomplete) if root else [])


def agent(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """Agent handles of supportctl.yaml, with their names."""
    root = _root(args)
    return _safely(lambda: _config(root, "agents", incomplete) if root else [])


def reply(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """Canned reply names, with their languages."""
    root = _root(args)
    return _safely(lambda: _replies(root, incomplete) if root else [])


def assignee_or_ticket(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """`assign ID ...`: more IDs with --to, else the agent."""
    if any(a == "--to" or a.startswith("--to=") for a in args):
        return ticket(args, incomplete)
    return agent(args, incomplete)


# -- the fast path -----------------------------------------------------------------------
COMPLETERS: dict[str, Completer] = {
    f.__name__: f for f in (ticket, kb_slug, customer, agent, reply, assignee_or_ticket)
}

# command -> (completer of each positional argument, its last one repeated when it takes
# several values ("*" after the name); every option that takes a value -> its completer or
# None). Flags are the options not listed. Checked against the Typer app by a test.
COMMANDS: dict[str, tuple[tuple[str | None, ...], Mapping[str, str | None]]] = {}


def _define(command: str, positional: str, options: str) -> None:
    args = tuple(None if a == "-" else a for a in positional.split())
    opts: dict[str, str | None] = {}
    for spec in options.split():
        names, _, fn = spec.partition("=")
        for name in names.split("/"):
            opts[name] = fn or None
    COMMANDS[command] = (args, opts)


_AT = "--at"
for _cmd, _pos, _opts in (
    (
        "new",
        "-",
        "--customer/-c=customer --type/-t --priority/-p --class --channel --reporter "
        f"--description/-d --description-file --tag --assignee=agent {_AT}",
    ),
    (
        "list",
        "",
        "--status/-s --customer/-c=customer --assignee/-a=agent --line/-l --priority/-p "
        "--type/-t --tag --sort --limit",
    ),
    ("queue", "", "--agent/-a=agent --customer/-c=customer --line/-l --now"),
    ("search", "-", "--status/-s --customer/-c=customer --limit/-n"),
    ("show", "ticket", ""),
    ("assign", "ticket assignee_or_ticket*", f"--to=agent {_AT}"),
    ("comment", "ticket -", f"--file --reply=reply {_AT}"),
    ("log", "ticket", f"--minutes/-m --time --note/-n --on {_AT}"),
    ("start", "ticket", _AT),
    ("wait", "ticket", f"--reason/-r {_AT}"),
    ("escalate", "ticket", f"--reason/-r --to {_AT}"),
    ("deescalate", "ticket", f"--to --reason/-r {_AT}"),
    ("resolve", "ticket", f"--resolution/-r --kb=kb_slug {_AT}"),
    ("close", "ticket*", f"--resolved-before --customer/-c=customer {_AT}"),
    ("reopen", "ticket", f"--reason/-r {_AT}"),
    (
        "link",
        "ticket",
        f"--duplicate-of=ticket --related=ticket --parent=ticket {_AT}",
    ),
    ("tag", "ticket -*", f"--remove {_AT}"),
    (
        "edit",
        "ticket",
        f"--title --priority --type --customer=customer --class {_AT}",
    ),
    ("outage", "ticket", f"--service --start --end {_AT}"),
    ("similar", "ticket", "--limit/-n --days --now"),
    ("devtask", "ticket", "--output/-o --now"),
    ("sla show", "ticket", "--now --lang"),
    ("sla explain", "ticket", "--now"),
    ("sla status", "", "--customer/-c=customer --now"),
    ("sla check", "", "--month --since --until --customer/-c=customer --min --now"),
    ("sla availability", "", "--month --since --until --customer/-c=customer --now"),
    ("report send", "", "--month --customer/-c=customer --now"),
    ("kb show", "kb_slug", ""),
    ("kb edit", "kb_slug", f"--title --tag --body-file {_AT}"),
    ("kb link", "ticket kb_slug", _AT),
):
    _define(_cmd, _pos, _opts)

GROUPS = frozenset(c.partition(" ")[0] for c in COMMANDS if " " in c)
_ROOT_VALUE = ("--repo",)


def _request(shell: str, env: Mapping[str, str]) -> tuple[list[str], str] | None:
    """(the words before the one completed, that word) as Typer's class for `shell` reads
    them; None when the request is not one this path reads."""
    try:
        if shell == "bash":
            words = shlex.split(env["COMP_WORDS"])
            cword = int(env["COMP_CWORD"])
            return words[1:cword], (words[cword] if cword < len(words) else "")
        if shell in ("zsh", "fish"):
            line = env.get("_TYPER_COMPLETE_ARGS", "")
            words = shlex.split(line)[1:]
            if words and not line.endswith(" "):
                return words[:-1], words[-1]
            return words, ""
    except (KeyError, ValueError):
        return None
    return None


def _completer(args: list[str], incomplete: str) -> Completer | None:
    """The completer of the word being typed, when COMMANDS knows it."""
    if incomplete.startswith("-"):
        return None  # option names: Typer's
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _ROOT_VALUE else 1
    if i >= len(args):
        return None  # the command itself
    command = args[i]
    i += 1
    if command in GROUPS:
        if i >= len(args):
            return None
        command = f"{command} {args[i]}"
        i += 1
    if command not in COMMANDS:
        return None
    positional, options = COMMANDS[command]
    n = 0
    rest = args[i:]
    j = 0
    while j < len(rest):
        word = rest[j]
        if word == "--" or ("=" in word and word.startswith("-")):
            return None
        if word.startswith("-") and len(word) > 1:
            if word in options:
                if j + 1 == len(rest):
                    name = options[word]
                    return COMPLETERS[name] if name else None
                j += 2
                continue
            j += 1
            continue
        n += 1
        j += 1
    if not positional:
        return None
    if n >= len(positional):
        last = positional[-1]
        if last is None or not last.endswith("*"):
            return None
        n = len(positional) - 1
    name = positional[n]
    return COMPLETERS[name.rstrip("*")] if name and name.rstrip("*") else None


def _zsh_escape(s: str) -> str:
    return (
        s.replace('"', '""')
        .replace("'", "''")
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace(":", r"\\:")
    )


def render(
    shell: str, items: list[tuple[str, str]], env: Mapping[str, str]
) -> tuple[str | None, int]:
    """What Typer's completion class for `shell` prints for `items` (None: nothing, not
    even a newline) and the exit code."""
    if shell == "bash":
        return "\n".join(v for v, _ in items), 0
    if shell == "zsh":
        if not items:
            return "_files", 0
        lines = [
            f'"{_zsh_escape(v)}":"{_zsh_escape(h)}"' if h else f'"{_zsh_escape(v)}"'
            for v, h in items
        ]
        return "_arguments '*: :((" + "\n".join(lines) + "))'", 0
    action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":
        return None, 0 if items else 1
    if action == "get-args" and items:
        return "\n".join(f"{v}\t{_one_line(h)}" if h else v for v, h in items), 0
    return "", 0


def _one_line(text: str) -> str:
    return re.sub(r"\s", " ", text)


def answer(env: Mapping[str, str]) -> int | None:
    """Answer a completion request without Typer when it is one this path knows: the exit
    code; None when Typer should answer it."""
    request = env.get(VAR, "")
    shell = request.removeprefix("complete_")
    if not request.startswith("complete_") or shell not in ("bash", "zsh", "fish"):
        return None
    parsed = _request(shell, env)
    if parsed is None:
        return None
    args, incomplete = parsed
    fn = _completer(args, incomplete)
    if fn is None:
        return None
    text, code = render(shell, fn(args, incomplete), env)
    if text is not None:
        sys.stdout.write(text + "\n")  # as click.echo ends what Typer's classes return
    sys.stdout.flush()
    return code
