"""The one place that writes: data to stdout, diagnostics to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def emit(text: str = "") -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"supportctl: {text}\n")


def error(text: str) -> None:
    sys.stderr.write(f"supportctl: error: {text}\n")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Left-aligned columns two spaces apart, widths in terminal cells (wide CJK counts 2).

    A plain formatter rather than tabulate for listings of tens of thousands of rows:
    tabulate's per-cell type detection costs seconds there, and an ID or a title that
    looks like a number must not be right-aligned.
    """
    from rich.cells import cell_len

    lines = [list(headers), *(["" if c is None else str(c) for c in r] for r in rows)]
    widths = [0] * len(headers)
    lens = []
    for cells in lines:
        cl = [len(c) if c.isascii() else cell_len(c) for c in cells]
        lens.append(cl)
        widths = [max(w, n) for w, n in zip(widths, cl, strict=True)]
    last = len(headers) - 1
    out = []
    for cells, cl in zip(lines, lens, strict=True):
        parts = [c + " " * (widths[i] - cl[i]) if i < last else c for i, c in enumerate(cells)]
        out.append("  ".join(parts).rstrip())
    return "\n".join(out)
