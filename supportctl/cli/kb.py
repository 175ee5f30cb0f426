"""`supportctl kb new|show|list|edit|link|search`: the knowledge base."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from supportctl.cli import complete, out
from supportctl.cli.common import parse_when, read_text_input, repo
from supportctl.domain.errors import SupportctlError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

kb_app = typer.Typer(help="Knowledge base: write, find and link articles.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened (ISO 8601); back-dates the commit's author date."),
]
BodyFileOpt = Annotated[
    str | None,
    typer.Option("--body-file", help="Read the Markdown body from a file, or - for stdin."),
]
T = TypeVar("T")


def _interactive() -> bool:
    """Open $EDITOR only for a person at a terminal, never in scripts or CI."""
    return bool(os.environ.get("EDITOR")) and sys.stdin.isatty()


def _with_editor(text: bytes, commit: Callable[[bytes, str], T]) -> T:
    """Let the user edit `text` in $EDITOR, then `commit` it. If that fails, the edited
    text is kept in its temporary file (named in the message) instead of being lost."""
    from supportctl.storage.editor import run_editor  # here: `--help` starts without storage

    fd, name = tempfile.mkstemp(prefix="supportctl-kb-", suffix=".md")
    with os.fdopen(fd, "wb") as fh:
        fh.write(text)
    editor = os.environ.get("EDITOR", "vi")
    try:
        code = run_editor(editor, name)
    except OSError as exc:
        raise UsageError(f"cannot run $EDITOR {editor!r}: {exc.strerror}") from None
    if code != 0:
        raise UsageError(
            f"{editor} exited with status {code}; nothing committed (text kept in {name})"
        )
    edited = Path(name).read_bytes()
    if not edited.strip():
        Path(name).unlink(missing_ok=True)
        raise UsageError("the article is empty; nothing committed")
    try:
        result = commit(edited, name)
    except SupportctlError as exc:
        exc.message += f" (your text is kept in {name})"
        raise
    Path(name).unlink(missing_ok=True)
    return result


def _print_problems(problems: list[object]) -> None:
    for p in problems:
        out.warn(f"skipped {p}")


@kb_app.command("new")
def new(
    title: Annotated[str, typer.Argument(help="Article title; the slug is made from it.")],
    from_ticket: Annotated[
        str | None,
        typer.Option("--from-ticket", help="Prefill from this ticket and link it both ways."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Product (repeatable).")
    ] = None,
    slug: Annotated[
        str | None, typer.Option("--slug", help="Use this slug instead of one made from the title.")
    ] = None,
    body_file: BodyFileOpt = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="The ticket already names another article: point it at this one."
        ),
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a KB article (one commit; with --from-ticket the ticket's `kb` is set in it too).

    The body comes from --body-file, else from stdin when something is piped in, else
    from $EDITOR when you are at a terminal, else the prefilled text is committed as is.
    Example: supportctl kb new "Чеки не печатаются после обновления Windows" --from-ticket SUP-42 --tag kkt
    """
    from supportctl.ops import kb as kb_actions

    r = repo()
    body = read_text_input(None, body_file, "--body") if body_file is not None else None
    if body is None and not sys.stdin.isatty():
        # piped in (`… | supportctl kb new T`): that is the body; nothing piped keeps the draft
        piped = read_text_input(None, "-", "--body")
        body = piped if piped.strip() else None
    draft = kb_actions.new_draft(r, title, tags=tag or [], ticket_id=from_ticket, body=body)
    text = draft.render(product or [])
    when = parse_when(at)

    def commit(content: bytes, source: str) -> kb_actions.KbResult:
        return kb_actions.new_article(
            r, content, slug=slug, ticket_id=from_ticket, replace=replace, at=when, source=source
        )

    if body_file is None and _interactive():
        kb_actions.check_new(r, title, slug=slug, ticket_id=from_ticket, replace=replace)
        result = _with_editor(text, commit)
    else:
        result = commit(text, "article")
    if as_json:
        out.emit_json(result.to_dict())
    else:
        out.emit(result.subject)


@kb_app.command("show")
def show(
    slug: Annotated[
        str,
        typer.Argument(
            help="Article slug, e.g. ne-pechatayutsya-cheki.", autocompletion=complete.kb_slug
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show one article: its front matter and Markdown body.

    Example: supportctl kb show ne-pechatayutsya-cheki
    """
    from supportctl.storage.catalog import get_article

    article = get_article(repo(), slug.strip())
    if as_json:
        out.emit_json(article.to_dict())
        return
    lines = [article.title, ""]
    for key in ("tags", "products", "customers", "tickets"):
        values = getattr(article, key)
        if values:
            lines.append(f"  {key + ':':<10} {', '.join(values)}")
    if article.updated:
        lines.append(f"  {'updated:':<10} {article.updated}")
    lines.append(f"  {'path:':<10} {article.path}")
    out.emit("\n".join([*lines, "", article.body.rstrip()]))


@kb_app.command("list")
def list_(
    tag: Annotated[str | None, typer.Option("--tag", help="Only articles with this tag.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List articles by slug; broken files are reported on stderr and skipped.

    Example: supportctl kb list --tag vpn
    """
    from supportctl.storage.catalog import list_articles

    rows, problems = list_articles(repo(), tag)
    _print_problems(list(problems))
    if as_json:
        out.emit_json([{k: v for k, v in a.to_dict().items() if k != "body"} for a in rows])
        return
    if not rows:
        out.emit("no articles")
        return
    from tabulate import tabulate

    table = [[a.slug, a.updated, len(a.tickets), a.title] for a in rows]
    out.emit(tabulate(table, headers=["SLUG", "UPDATED", "TICKETS", "TITLE"], tablefmt="plain"))


@kb_app.command("edit")
def edit(
    slug: Annotated[str, typer.Argument(help="Article slug.", autocompletion=complete.kb_slug)],
    title: Annotated[
        str | None, typer.Option("--title", help="New title (the slug stays).")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Set the tags (repeatable; replaces the list)."),
    ] = None,
    body_file: BodyFileOpt = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit an article in one commit; `updated` becomes the commit date.

    Without --title/--tag/--body-file the whole file opens in $EDITOR.
    Example: supportctl kb edit ne-pechatayutsya-cheki --tag kkt --tag pos --body-file fix.md
    """
    from supportctl.ops import kb as kb_actions

    r = repo()
    body = read_text_input(None, body_file, "--body") if body_file is not None else None
    when = parse_when(at)
    if title is None and tag is None and body is None and _interactive():
        current = kb_actions.article_text(r, slug)
        result = _with_editor(
            current,
            lambda text, source: kb_actions.edit_article(
                r, slug, text=text, at=when, source=source
            ),
        )
    else:
        result = kb_actions.edit_article(r, slug, title=title, tags=tag, body=body, at=when)
    if as_json:
        out.emit_json(result.to_dict())
    else:
        out.emit(result.subject)


@kb_app.command("link")
def link(
    ticket_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Ticket ID, e.g. SUP-42.", autocompletion=complete.ticket
        ),
    ],
    slug: Annotated[str, typer.Argument(help="Article slug.", autocompletion=complete.kb_slug)],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="The ticket names another article: point it at this one."),
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Link a ticket and an article both ways (ticket `kb`, article `tickets:`) in one commit.

    Example: supportctl kb link SUP-42 ne-pechatayutsya-cheki
    """
    from supportctl.ops.kb import link_article

    result = link_article(repo(), ticket_id, slug.strip(), replace=replace, at=parse_when(at))
    if as_json:
        out.emit_json(result.to_dict())
    else:
        out.emit(result.subject)


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (any language of the KB).")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most N articles.")
    ] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Ranked full-text search with highlighted snippets (typos and word forms are forgiven).

    Example: supportctl kb search "касса не печатает чек"
    """
    from supportctl.search.index import analyze
    from supportctl.storage.catalog import search_kb

    # Bold on a terminal; Markdown bold (**word**) in JSON and pipes.
    bold = not as_json and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    results, problems = search_kb(repo(), query, limit, out.BOLD if bold else ("**", "**"))
    _print_problems(list(problems))
    if as_json:
        out.emit_json([h.to_dict() for h in results])
        return
    if not results:
        out.warn(
            "no searchable words in the query (only stop words?)"
            if not analyze(query)
            else "no matching articles"
        )
        return
    blocks = []
    for n, h in enumerate(results, 1):
        tags = f"  [{', '.join(h.tags)}]" if h.tags else ""
        blocks.append(f"{n}. {h.title}\n   {h.slug}  score {h.score:.2f}{tags}\n   {h.snippet}")
    out.emit("\n\n".join(blocks))
