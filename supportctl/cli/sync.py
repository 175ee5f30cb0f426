"""`supportctl sync`: share the support repo through its git remote."""

from __future__ import annotations

from typing import Annotated

import typer

from supportctl.cli import out
from supportctl.cli.common import repo
from supportctl.cli.root import app


@app.command()
def sync(
    remote: Annotated[str, typer.Option("--remote", help="Git remote to sync with.")] = "origin",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Fetch, integrate and push; retries while others push in between.

    Example: supportctl sync --remote origin
    """
    from supportctl.ops.sync import sync as run_sync

    result = run_sync(repo(check_config=False), remote)
    if as_json:
        out.emit_json(
            {
                "remote": result.remote,
                "branch": result.branch,
                "received": result.received,
                "sent": result.sent,
                "renumbered": [{"from": a, "to": b} for a, b in result.renumbered],
                "decisions": result.decisions,
                "attempts": result.attempts,
                "head": result.head,
            }
        )
        return
    for old, new in result.renumbered:
        out.emit(
            f"renumbered {old} → {new}: {old} was taken on {remote} meanwhile (yours was never pushed)"
        )
    for d in result.decisions:
        out.emit(d)
    out.emit(f"received {len(result.received)} commit(s) from {remote}/{result.branch}")
    for s in result.received:
        out.emit(f"  ← {s}")
    out.emit(f"sent {len(result.sent)} commit(s)")
    for s in result.sent:
        out.emit(f"  → {s}")
