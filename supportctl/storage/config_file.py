"""supportctl.yaml in the work tree: read here, parsed by `config.settings`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportctl.config.settings import CONFIG_NAME, LINKED_CONFIG, Config, parse_config
from supportctl.domain.errors import ConfigError
from supportctl.storage import safepath

if TYPE_CHECKING:
    from pathlib import Path


def load_config(root: Path, *, deep: bool = False) -> Config:
    """Read `supportctl.yaml` under `root`; with `deep`, also build every calendar."""
    path = root / CONFIG_NAME
    try:
        text = safepath.read_bytes(root, CONFIG_NAME)
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found") from None
    except safepath.UnsafePath:
        # never read through it: its target could be any file, printed by a mistake's message
        raise ConfigError(f"{CONFIG_NAME}: {LINKED_CONFIG}") from None
    return parse_config(text, path, deep=deep)
