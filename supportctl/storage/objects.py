"""Git's object formats, for a commit that changes a few files of a large tree.

Rebuilding the tree of a commit through an index reads and writes one entry per file
of the desk; changing a ticket needs only the few trees on its path (the root, `data/`,
`data/tickets/`, its shard). Here those trees are parsed, edited and written back as
loose objects (blobs too), byte for byte what `git write-tree` makes of the same files,
so the commit that follows is the same commit. Only the plain case is handled: a
SHA-1 repository whose objects are in `.git/objects`, with no shared-permission rule
and no request to sync objects to disk, and paths git takes on every platform; the
caller falls back to git's index otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

TREE = b"40000"
_SHA_BYTES = 20


class Unsupported(Exception):
    """The change cannot be made by editing trees (a file where a folder is wanted, an
    entry of a kind git's index would refuse): the caller lets git's index decide."""


def object_id(kind: bytes, body: bytes) -> str:
    return hashlib.sha1(kind + b" %d\0" % len(body) + body).hexdigest()


def parse_tree(body: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """name -> (mode, 20-byte id) of a tree object's entries."""
    entries: dict[bytes, tuple[bytes, bytes]] = {}
    i = 0
    while i < len(body):
        space = body.index(b" ", i)
        nul = body.index(b"\0", space)
        entries[body[space + 1 : nul]] = (body[i:space], body[nul + 1 : nul + 1 + _SHA_BYTES])
        i = nul + 1 + _SHA_BYTES
    return entries


def canonical_mode(mode: bytes) -> bytes:
    """The mode git's index gives an entry read from a tree (`read-tree` then `write-tree`
    turns a `100664` into `100644` and a `040000` into `40000`)."""
    value = int(mode, 8)
    kind = value & 0o170000
    if kind == 0o040000:
        return TREE
    if kind == 0o100000:
        return b"100755" if value & 0o100 else b"100644"
    return b"%o" % value


def format_tree(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """A tree object's body, entries in git's order (a folder sorts as if its name ended
    in `/`)."""

    def key(name: bytes) -> bytes:
        return name + b"/" if entries[name][0] == TREE else name

    return b"".join(
        entries[name][0] + b" " + name + b"\0" + entries[name][1]
        for name in sorted(entries, key=key)
    )


class LooseWriter:
    """Writes objects into `objects/xx/…` as git does: compressed, read-only, through a
    `tmp_obj_*` file (which `git gc` removes should a crash leave one) linked into place,
    so a reader never sees half an object."""

    def __init__(self, objects: Path) -> None:
        self.objects = objects

    def write(self, kind: bytes, body: bytes) -> str:
        sha = object_id(kind, body)
        folder = self.objects / sha[:2]
        final = folder / sha[2:]
        if final.exists():
            return sha
        folder.mkdir(exist_ok=True)
        data = zlib.compress(kind + b" %d\0" % len(body) + body, 1)
        while True:
            tmp = folder / f"tmp_obj_{secrets.token_hex(6)}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            # written meanwhile by someone else: the same bytes
            with contextlib.suppress(FileExistsError):
                os.link(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return sha


def edit_tree(
    read_tree: Callable[[str], bytes],
    write: Callable[[bytes, bytes], str],
    root: bytes,
    changes: dict[str, str | None],
) -> str:
    """The id of the tree whose body is `root` with `changes` made: path -> blob id, None
    deletes.

    Files get mode 100644, folders emptied by a deletion disappear, and every tree on a
    changed path is written through `write`: what `git write-tree` makes after
    `git update-index --cacheinfo 100644,…` / `--force-remove` of the same paths.
    `read_tree` gives the body of a tree by id."""
    for path in changes:
        if path.startswith("/") or path.endswith("/") or "\0" in path:
            raise Unsupported(path)
    return write(b"tree", _edit(read_tree, write, root, changes))


def _plain_name(name: str) -> bool:
    """Whether git's index takes `name` as a path component on every platform: not `.`,
    `..` or `.git`, nor anything another file system could read as `.git` (`git~1`,
    `.GIT.`, `.git::$INDEX_ALLOCATION`), nor a name with a control character."""
    low = name.lower()
    return not (
        name in ("", ".", "..")
        or low.startswith((".git", "git~"))
        or name.endswith((".", " "))
        or any(c in name for c in "\\:")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    )


def _edit(
    read_tree: Callable[[str], bytes],
    write: Callable[[bytes, bytes], str],
    body: bytes,
    changes: dict[str, str | None],
) -> bytes:
    by_name: dict[bytes, dict[str, str | None]] = {}
    for path, blob in changes.items():
        head, _, rest = path.partition("/")
        if not _plain_name(head):
            raise Unsupported(path)  # git's index may refuse such a path: let it say so
        by_name.setdefault(head.encode(), {})[rest] = blob
    try:
        entries = {name: (canonical_mode(m), sha) for name, (m, sha) in parse_tree(body).items()}
    except ValueError:
        raise Unsupported("a tree git's index would have to read") from None
    for name, inner in by_name.items():
        old = entries.get(name)
        if "" in inner:
            # a file; a folder of that name, or files below it, are for git to refuse
            if len(inner) > 1 or (old is not None and old[0] == TREE):
                raise Unsupported(name.decode(errors="replace"))
            blob = inner[""]
            if blob is None:
                entries.pop(name, None)
            else:
                entries[name] = (b"100644", bytes.fromhex(blob))
            continue
        if old is not None and old[0] != TREE:
            raise Unsupported(name.decode(errors="replace"))
        sub = _edit(read_tree, write, read_tree(old[1].hex()) if old else b"", inner)
        if sub:
            entries[name] = (TREE, bytes.fromhex(write(b"tree", sub)))
        else:
            entries.pop(name, None)
    return format_tree(entries)
