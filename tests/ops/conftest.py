"""Fixtures of the use-case tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import Cli, Remote

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def desk(tmp_path: Path, cli: Cli) -> Remote:
    """Real clones of a real bare remote."""
    return Remote(tmp_path, cli)
