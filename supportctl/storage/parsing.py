"""What a ticket or worklog file holds, as plain data; a file that cannot be read gives
its error and line instead, so a listing shows it rather than stopping."""

from __future__ import annotations

from typing import Any

from supportctl.domain import yamlio


def parse_ticket(content: bytes) -> dict[str, Any]:
    """Plain data of a ticket file, or {'__error__': msg, '__line__': n}."""
    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem as exc:
        return {"__error__": exc.message, "__line__": exc.line}
    if not isinstance(data, dict):
        return {"__error__": "expected a mapping of ticket fields", "__line__": 1}
    return data


def parse_worklog_file(content: bytes) -> dict[str, Any]:
    try:
        data = yamlio.load_plain(content)
    except yamlio.YamlProblem as exc:
        return {"entries": [], "__error__": exc.message, "__line__": exc.line}
    if not isinstance(data, list):
        return {"entries": [], "__error__": "expected a list of worklog entries", "__line__": 1}
    return {"entries": [e for e in data if isinstance(e, dict)]}
