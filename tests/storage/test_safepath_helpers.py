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


@pytest.mark.parametrize(
    "rel", ["", "/etc/passwd", "..", "data/../x", "./data", "data//x", "data/", "a\\b", "a\0b"]
)
def test_a_path_that_is_not_plain_and_relative_is_refused(rel: str) -> None:
    with pytest.raises(safepath.UnsafePath) as info:
        safepath.parts_of(rel)
    assert info.value.message == f"{rel!r} is not a path inside the repo"


def test_a_plain_path_is_its_components() -> None:
    assert safepath.parts_of("data/tickets/0000/SUP-1.yaml") == [
        "data",
        "tickets",
        "0000",
        "SUP-1.yaml",
    ]
    assert safepath.parts_of("..hidden/.x") == ["..hidden", ".x"]  # dots inside a name are fine


def test_a_write_makes_missing_folders_replaces_the_file_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    safepath.write_bytes(tmp_path, "data/a/b/c.yaml", b"first")
    safepath.write_bytes(tmp_path, "data/a/b/c.yaml", b"second")
    assert safepath.read_bytes(tmp_path, "data/a/b/c.yaml") == b"second"
    assert sorted(p.name for p in (tmp_path / "data/a/b").iterdir()) == ["c.yaml"]


def test_a_write_replaces_a_symlinked_file_instead_of_writing_through_it(
    tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data/x.yaml").symlink_to(outside / "victim.txt")
    safepath.write_bytes(root, "data/x.yaml", b"mine")
    assert not (root / "data/x.yaml").is_symlink()
    assert (root / "data/x.yaml").read_bytes() == b"mine"
    assert (outside / "victim.txt").read_text() == "keep me\n"


def test_a_missing_file_reads_as_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        safepath.read_bytes(tmp_path, "data/none.yaml")


def test_remove_takes_a_link_away_without_following_it_and_ignores_what_is_missing(
    tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data/x.yaml").symlink_to(outside / "victim.txt")
    safepath.remove(root, "data/x.yaml")
    assert not (root / "data/x.yaml").is_symlink()
    assert (outside / "victim.txt").read_text() == "keep me\n"
    safepath.remove(root, "data/x.yaml")  # already gone
    safepath.remove(root, "nowhere/deeper/x.yaml")  # no such folder


def test_check_names_the_first_link_on_the_way_and_allows_missing_folders(
    tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "repo"
    (root / "data/kb").mkdir(parents=True)
    (root / "data/kb/link.md").symlink_to(outside / "secret.md")
    (root / "data/worklogs").symlink_to(outside, target_is_directory=True)
    safepath.check(root, "data/tickets/0000/SUP-1.yaml")  # nothing there yet: fine
    safepath.check(root, "data/kb/plain.md")
    for rel, named in [
        ("data/kb/link.md", "data/kb/link.md"),
        ("data/worklogs/2026-10/a.yaml", "data/worklogs"),
    ]:
        with pytest.raises(safepath.UnsafePath) as info:
            safepath.check(root, rel)
        assert info.value.message == f"{named} {LINK_ADVICE}"


def test_files_under_lists_regular_files_in_order_and_links_under_lists_the_links(
    tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for rel in ("data/t/0001/B.yaml", "data/t/0000/b.yaml", "data/t/0000/a.yaml", "data/t/n.txt"):
        safepath.write_bytes(root, rel, b"x")
    (root / "data/t/0000/c.yaml").symlink_to(outside / "secret.yaml")
    (root / "data/t/0002").symlink_to(outside, target_is_directory=True)
    assert list(safepath.files_under(root, "data/t", ".yaml")) == [
        "data/t/0000/a.yaml",
        "data/t/0000/b.yaml",
        "data/t/0001/B.yaml",
    ]
    assert safepath.links_under(root, "data/t") == ["data/t/0000/c.yaml", "data/t/0002"]
    assert list(safepath.files_under(root, "data/none", ".yaml")) == []
    (root / "data/linked").symlink_to(root / "data/t", target_is_directory=True)
    assert list(safepath.files_under(root, "data/linked", ".yaml")) == []
    assert safepath.links_under(root, "data/linked") == ["data/linked"]
