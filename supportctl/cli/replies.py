"""`supportctl replies`: the desk's canned replies (`comment ID --reply NAME` sends one)."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import repo
from supportctl.cli.root import app


@app.command()
def replies(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List the canned replies in templates/replies/ with their languages and first lines.

    Example: supportctl replies
    """
    from supportctl.ops.replies import replies as committed

    found = committed(repo())
    if as_json:
        out.emit_json(
            [
                {
                    "name": r.name,
                    "languages": [lang or "plain" for lang in r.languages],
                    "files": {
                        (lang or "plain"): f"templates/{path}" for lang, path in r.files.items()
                    },
                    "first_line": {
                        (lang or "plain"): r.first_lines.get(lang, "") for lang in r.languages
                    },
                }
                for r in found
            ]
        )
        return
    if not found:
        out.warn("no canned replies: add templates/replies/<name>.md (and <name>.ru.md, ...)")
        return
    rows = []
    for r in found:
        shown = r.languages[0]
        first = r.first_lines.get("en") or r.first_lines.get(shown, "")
        langs = ",".join(lang or "plain" for lang in r.languages)
        rows.append((r.name, langs, first if len(first) <= 60 else first[:59] + "…"))
    out.emit(out.table(rows, ["NAME", "LANGUAGES", "FIRST LINE"]))
