"""What sending mail keeps on disk besides the commit: a per-clone send lock, the send
journal, and the index of sent records that the daily rate limit counts.

The journal (`.git/supportctl/mail-send.log`, never committed) is what makes "nothing is
ever sent twice" hold across a crash. A message is marked `sending` before the SMTP
transaction and `accepted` the moment the server takes it; the run's one commit then
moves it out of the outbox and the marks are cleared. A run killed before that commit
leaves the marks: the next run records an `accepted` message as sent without sending it
again, and a `sending` one (the server may or may not have taken it) as `uncertain`, also
without sending it again. At most once, never twice: an agent can write again when a
customer says nothing came, but a second copy cannot be taken back.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.errors import GitError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Repo

JOURNAL = "mail-send.log"
LOCK = "mail-send.lock"
STATES = ("sending", "accepted", "done")
MAIL_DIR = "data/mail"
OUTBOX = "data/mail/outbox"
RECORD_KIND = "mail-record"


@contextlib.contextmanager
def send_lock(git: Repo) -> Iterator[None]:
    """One `mail send` at a time per clone. A second one (cron starting the next run while
    a slow server still holds the last) stops at once instead of waiting to send the
    same queue."""
    with os.fdopen(git.open_state_file(LOCK, os.O_RDWR | os.O_CREAT), "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GitError("another `supportctl mail send` is running in this clone") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class SendJournal:
    """Append-only marks `<state> <hash> <message-id>`, each written and fsynced before
    the step it announces; the last mark of a hash wins."""

    def __init__(self, git: Repo) -> None:
        self.git = git

    def states(self) -> dict[str, tuple[str, str]]:
        """hash -> (state, Message-ID) of every message not `done`."""
        try:
            fd = self.git.open_state_file(JOURNAL, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
        out: dict[str, tuple[str, str]] = {}
        for line in data.decode("utf-8", "replace").splitlines():
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] not in STATES:
                continue  # a line cut short by a crash: the step it announced never ran
            state, key, message_id = parts
            if state == "done":
                out.pop(key, None)
            else:
                out[key] = (state, message_id)
        return out

    def mark(self, key: str, state: str, message_id: str) -> None:
        assert state in STATES
        assert " " not in message_id
        assert "\n" not in message_id
        line = f"{state} {key} {message_id}\n".encode()
        fd = self.git.open_state_file(JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def finish(self, done: Iterable[tuple[str, str]]) -> None:
        """Mark messages done (their commit is made, or they were never sent); the file is
        emptied once nothing in it is pending."""
        for key, message_id in done:
            self.mark(key, "done", message_id)
        if not self.states():
            with contextlib.suppress(FileNotFoundError):
                (self.git.state_dir / JOURNAL).unlink()


def outbox_files(git: Repo, rev: str | None) -> dict[str, dict[str, tuple[str, str]]]:
    """hash -> {".eml"|".yaml": (path, blob)} of the queue at `rev`."""
    if rev is None:
        return {}
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for path, blob in git.ls_tree(OUTBOX, rev):
        name = path[len(OUTBOX) + 1 :]
        stem, dot, ext = name.rpartition(".")
        if "/" in name or not dot or f".{ext}" not in (".eml", ".yaml"):
            continue
        out.setdefault(stem, {})[f".{ext}"] = (path, blob)
    return out


def _record_row(content: bytes) -> dict[str, Any] | None:
    """What the rate limit needs of one mail record: direction, auto, outcome, sent (a
    POSIX time), to and cc; None for a record it cannot read (it counts nothing)."""
    try:
        data = yamlio.load_plain(content)
    except (yamlio.YamlProblem, ValueError):
        return None
    if not isinstance(data, dict) or data.get("direction") != "out":
        return None
    try:
        sent = datetime.fromisoformat(str(data.get("sent"))).timestamp()
    except ValueError:
        return None
    addresses = [*(data.get("to") or []), *(data.get("cc") or [])]
    return {
        "auto": data.get("auto") is True,
        "outcome": str(data.get("outcome")),
        "sent": sent,
        "to": [str(a).lower() for a in addresses if isinstance(a, str)],
    }


def sent_records(desk: Desk, rev: str | None) -> list[dict[str, Any]]:
    """The outgoing mail records at `rev` (`data/mail/<hh>/<hash>.yaml`, direction out), as
    `_record_row` gives them. Parsed once per blob: the cache keeps them."""
    if rev is None:
        return []
    entries = [
        (p, b)
        for p, b in desk.git.ls_tree(MAIL_DIR, rev)
        if p.endswith(".yaml") and p.count("/") == 3 and len(p.split("/")[2]) == 2
    ]
    cached = desk.cache.get_many(RECORD_KIND, (b for _, b in entries))
    missing = [b for _, b in entries if b not in cached]
    if missing:
        contents = desk.git.blobs(missing)
        fresh = {b: _record_row(contents.get(b, b"")) for b in missing}
        desk.cache.put_many(RECORD_KIND, fresh)
        cached.update(fresh)
    return [row for _, b in entries if (row := cached.get(b)) is not None]
