"""Fixtures of the storage tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.yaml").write_text("- ticket: SUP-1\n  minutes: TOPSECRET\n  on: x\n")
    (folder / "secret.md").write_text("---\ntitle: TOPSECRET\ntickets: [TOPSECRET]\n---\nbody\n")
    (folder / "victim.txt").write_text("keep me\n")
    return folder
