"""The one place that writes: data to stdout, diagnostics to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(text: str = "") -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"supportctl: {text}\n")


def error(text: str) -> None:
    sys.stderr.write(f"supportctl: error: {text}\n")
