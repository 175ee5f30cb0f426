"""Files of the work tree, reached without following symbolic links.

A symlink in `data/` (committed, or made by hand) could point anywhere: reading through
it would print a file from outside the repo, writing through it would change one. Every
path is walked one folder at a time from the repo root with O_NOFOLLOW, so a link met
on the way is refused (DataError naming the path) instead of followed, even when it
appears between a check and the write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from supportctl.domain.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Iterator

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePath(DataError):
    """A repo path that is not a plain relative path, or leads through a symbolic link."""


def parts_of(rel: str) -> list[str]:
    """The components of a repo-relative POSIX path; UnsafePath for an absolute path,
    `..`, `.`, an empty component or a NUL."""
    if not rel or rel.startswith("/") or "\0" in rel or "\\" in rel:
        raise UnsafePath(f"{rel!r} is not a path inside the repo")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"{rel!r} is not a path inside the repo")
    return parts


def _link_error(rel: str) -> UnsafePath:
    return UnsafePath(
        f"{rel} is a symbolic link; supportctl never reads or writes through a link in the "
        "repo's data (replace it with a real folder or file)"
    )


def _open_dir(root: Path, parts: list[str], *, create: bool) -> int:
    """A descriptor of the folder root/parts[0]/…, every step refusing a symlink."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, name in enumerate(parts):
            try:
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, dir_fd=fd)
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                # ELOOP: the component is a symlink; ENOTDIR: a file, or a link to one
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(fd, name):
                    raise _link_error("/".join(parts[: i + 1])) from None
                raise
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def check(root: Path, rel: str) -> None:
    """UnsafePath when `rel` is not a plain path inside the repo, or when it, or any folder
    on its way that exists, is a symlink. Missing folders are fine (a write makes them)."""
    parts = parts_of(rel)
    try:
        fd = _open_dir(root, parts[:-1], create=False)
    except FileNotFoundError:
        return
    try:
        if _is_link(fd, parts[-1]):
            raise _link_error(rel)
    finally:
        os.close(fd)


def read_bytes(root: Path, rel: str) -> bytes:
    """Content of the file root/rel, refusing a symlink anywhere on the way (UnsafePath);
    OSError as usual when it is missing or unreadable."""
    parts = parts_of(rel)
    fd = _open_dir(root, parts[:-1], create=False)
    try:
        try:
            file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _link_error(rel) from None
            raise
    finally:
        os.close(fd)
    with os.fdopen(file_fd, "rb") as fh:
        return fh.read()


def write_bytes(root: Path, rel: str, content: bytes) -> None:
    """Replace root/rel with `content` atomically (a temporary file renamed over it),
    making missing folders; a symlink on the way is refused (UnsafePath)."""
    parts = parts_of(rel)
    fd = _open_dir(root, parts[:-1], create=True)
    tmp = f".{parts[-1]}.tmp{os.getpid()}"
    try:
        file_fd = os.open(
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=fd,
        )
        try:
            with os.fdopen(file_fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, parts[-1], src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)


def remove(root: Path, rel: str) -> None:
    """Delete root/rel if it exists (a symlink there is removed, not followed); a symlink
    among its folders is refused (UnsafePath)."""
    parts = parts_of(rel)
    try:
        fd = _open_dir(root, parts[:-1], create=False)
    except FileNotFoundError:
        return
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(parts[-1], dir_fd=fd)
    finally:
        os.close(fd)


def links_under(root: Path, folder: str) -> list[str]:
    """Repo-relative paths of every symlink under root/folder (the folder itself included),
    without following any of them."""
    start = root / folder
    if start.is_symlink():
        return [folder]
    found: list[str] = []
    for here, dirs, files in os.walk(start, followlinks=False):
        for name in (*dirs, *files):
            path = Path(here, name)
            if path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def files_under(root: Path, folder: str, suffix: str) -> Iterator[str]:
    """Repo-relative paths of the regular files named *suffix under root/folder, in sorted
    order, never entering a symlinked folder (see `links_under` for those)."""
    start = root / folder
    if start.is_symlink() or not start.is_dir():
        return
    for here, dirs, files in os.walk(start, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(here, name)
            if name.endswith(suffix) and not path.is_symlink():
                yield path.relative_to(root).as_posix()
