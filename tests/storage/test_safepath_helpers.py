"""The safe-path helpers on plain folders (no repository, no git): a symbolic link on the way
is refused or removed, never followed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from supportctl.storage import safepath
from tests.helpers import LINK_ADVICE

if TYPE_CHECKING:
    from pathlib import Path


def test_safepath_walks_folder_by_folder(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    safepath.write_bytes(root, "data/a/b.yaml", b"x")
    assert safepath.read_bytes(root, "data/a/b.yaml") == b"x"
    (root / "data/link").symlink_to(outside, target_is_directory=True)
    (root / "data/a/file-link.yaml").symlink_to(outside / "victim.txt")
    for rel in ("data/link/victim.txt", "data/link/new/deeper.txt"):
        with pytest.raises(safepath.UnsafePath) as info:
            safepath.write_bytes(root, rel, b"changed")
        assert info.value.message == f"data/link {LINK_ADVICE}"
        assert info.value.exit_code == 7
    with pytest.raises(safepath.UnsafePath) as info:
        safepath.read_bytes(root, "data/a/file-link.yaml")
    assert info.value.message == f"data/a/file-link.yaml {LINK_ADVICE}"
    with pytest.raises(safepath.UnsafePath):
        safepath.remove(root, "data/link/victim.txt")
    for bad in ("/etc/passwd", "../x", "data/./x", "data//x", ""):
        with pytest.raises(safepath.UnsafePath):
            safepath.check(root, bad)
    assert (outside / "victim.txt").read_text() == "keep me\n"
    assert not (outside / "new").exists()
    assert safepath.links_under(root, "data") == ["data/a/file-link.yaml", "data/link"]
    assert list(safepath.files_under(root, "data", ".yaml")) == ["data/a/b.yaml"]
