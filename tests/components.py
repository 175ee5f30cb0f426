"""Real components a test needs (a browser, a server): skip where missing, fail under CI=true.

CI must never pass green on a run that silently skipped the browser or a server test.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def component_missing(component: str, how_to_get_it: str) -> NoReturn:
    """Skip the calling test on a developer's machine; fail it under `CI=true`."""
    message = f"{component} is missing ({how_to_get_it})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true needs it", pytrace=False)
    pytest.skip(message)
