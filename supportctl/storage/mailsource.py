"""Messages handed to `mail ingest`: one message file, an mbox, or a Maildir.

Each message is read when its turn comes, so a large mbox is never held whole.
"""

from __future__ import annotations

import mailbox
import os
import re
from typing import TYPE_CHECKING

from supportctl.domain.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MBOX_START = b"From "


def messages_at(path: Path) -> Iterator[bytes]:
    """The raw messages at `path`: a Maildir (its `new/` and `cur/`, in delivery order), an mbox
    (a file starting with a `From ` line), or one message."""
    if path.is_dir():
        yield from _maildir(path)
        return
    try:
        with path.open("rb") as fh:
            start = fh.read(len(MBOX_START))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if start == MBOX_START:
        yield from _mbox(path)
        return
    yield _read(path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _maildir(path: Path) -> Iterator[bytes]:
    folders = [path / "new", path / "cur"]
    if not any(f.is_dir() for f in folders):
        raise UsageError(f"{path} is a folder but no Maildir (it has no new/ or cur/)")
    found = []
    for folder in folders:
        if folder.is_dir():
            # a name starting with a dot is a file another program is still writing
            found += [(n, folder / n) for n in os.listdir(folder) if not n.startswith(".")]
    # a Maildir name starts with its delivery time: by name is the order mail came in,
    # whether a mail client has moved it to cur/ yet or not
    for _, file in sorted(found):
        if file.is_file():
            yield _read(file)


def _mbox(path: Path) -> Iterator[bytes]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        for key in keys:
            try:
                raw = box.get_bytes(key, from_=False)
            except OSError as exc:
                raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
            yield unescape_from(raw)
    finally:
        box.close()


# mboxrd writes ">From " for a body line "From ", and one more ">" for each already there;
# mboxo only the first. Taking one ">" off reads both as they were meant.
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def unescape_from(raw: bytes) -> bytes:
    """A message read from an mbox as it came: its `>From ` lines unescaped."""
    return _ESCAPED_FROM.sub(rb"\1", raw)
