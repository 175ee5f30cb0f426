"""KB suggestions shown when a ticket is filed (filled in by the KB module)."""

from __future__ import annotations

from typing import Any

from supportctl.store import SupportRepo


def suggestions(repo: SupportRepo, ticket: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    return []
