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
import marshal
import os
from datetime import datetime
from typing import TYPE_CHECKING

from supportctl.domain import yamlio
from supportctl.domain.errors import GitError
from supportctl.storage.git import ZERO

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Repo

JOURNAL = "mail-send.log"
LOCK = "mail-send.lock"
STATES = ("sending", "accepted", "done")
MAIL_DIR = "data/mail"
OUTBOX = "data/mail/outbox"
RECORDS_CACHE = "mail-records"


@contextlib.contextmanager
def send_lock(git: Repo, name: str = LOCK, command: str = "mail send") -> Iterator[None]:
    """One `mail send` (or other sending `command`, with its own lock file `name`) at a
    time per clone. A second one (cron starting the next run while a slow server still
    holds the last) stops at once instead of waiting to send the same queue."""
    with os.fdopen(git.open_state_file(name, os.O_RDWR | os.O_CREAT), "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GitError(f"another `supportctl {command}` is running in this clone") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class SendJournal:
    """Append-only marks `<state> <hash> <message-id>`, each written and fsynced before
    the step it announces; the last mark of a hash wins. `name`: the file, one per kind
    of sending (a run clears the marks it finds no message for, so kinds never share)."""

    def __init__(self, git: Repo, name: str = JOURNAL) -> None:
        self.git = git
        self.name = name

    def states(self) -> dict[str, tuple[str, str]]:
        """hash -> (state, Message-ID) of every message not `done`."""
        try:
            fd = self.git.open_state_file(self.name, os.O_RDONLY)
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
        fd = self.git.open_state_file(self.name, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # a line cut short by a kill: end it, so this mark is a line of its own
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def note(self, key: str, data: bytes) -> None:
        """Keep `data` (what the commit will record of message `key`) beside the journal,
        written and fsynced before the `sending` mark: a run that finds the mark without
        the message's commit records the message from it."""
        fd = self.git.open_state_file(f"{self.name}.{key}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def noted(self, key: str) -> bytes | None:
        try:
            fd = self.git.open_state_file(f"{self.name}.{key}", os.O_RDONLY)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    def finish(self, done: Iterable[tuple[str, str]]) -> None:
        """Mark messages done (their commit is made, or they were never sent); the file is
        emptied once nothing in it is pending."""
        for key, message_id in done:
            self.mark(key, "done", message_id)
            with contextlib.suppress(FileNotFoundError):
                (self.git.state_dir / f"{self.name}.{key}").unlink()
        if not self.states():
            with contextlib.suppress(FileNotFoundError):
                (self.git.state_dir / self.name).unlink()


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


# One outgoing message, as the rate limit reads it: (auto, outcome or "queued", when it
# was sent or queued as a POSIX time, every address it is for); None for a record that
# counts nothing (incoming, unreadable).
Row = tuple[bool, str, float, tuple[str, ...]]


def _record_row(path: str, content: bytes) -> Row | None:
    try:
        data = yamlio.load_plain(content)
    except (yamlio.YamlProblem, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    queued = path.startswith(OUTBOX + "/")
    if not queued and data.get("direction") != "out":
        return None
    try:
        when = datetime.fromisoformat(str(data.get("queued" if queued else "sent"))).timestamp()
    except ValueError:
        return None
    addresses = [*(data.get("to") or []), *(data.get("cc") or [])]
    to = tuple(str(a).lower() for a in addresses if isinstance(a, str))
    outcome = "queued" if queued else str(data.get("outcome"))
    return data.get("auto") is True, outcome, when, to


def _is_record(path: str) -> bool:
    """`data/mail/<hh>/<hash>.yaml` or `data/mail/outbox/<hash>.yaml`: not the quarantine
    nor an attachment."""
    parts = path.split("/")
    return (
        len(parts) == 4
        and path.startswith(MAIL_DIR + "/")
        and (len(parts[2]) == 2 or path.startswith(OUTBOX + "/"))
        and path.endswith(".yaml")
    )


def outgoing(desk: Desk, rev: str | None) -> list[Row]:
    """The outgoing mail at `rev`: the records of what went out (`data/mail/<hh>/<hash>.yaml`,
    direction out) and the queue (outcome `queued`, its time the queued one).

    The intake asks for every acknowledgement, so this must not read 10,000 records
    each time: a cache file keeps the rows of the commit it was made for, and the next
    call reads only the records changed since (one `diff-tree`). A cache made for a
    commit git no longer has (rewritten history) is rebuilt."""
    if rev is None:
        return []
    base, rows = _cached_rows(desk)
    if rows is not None and base != rev:
        try:
            rows = _apply(desk, rows, desk.git.changed_paths(str(base), rev))
        except GitError:
            rows = None
    if rows is None:
        entries = [(p, b) for p, b in desk.git.ls_tree(MAIL_DIR, rev) if _is_record(p)]
        rows = _apply(desk, {}, [(p, ZERO, b) for p, b in entries])
    if base != rev:
        desk.cache.write(RECORDS_CACHE, [marshal.dumps((rev, rows))])
    return [row for row in rows.values() if row is not None]


def _cached_rows(desk: Desk) -> tuple[str | None, dict[str, Row | None] | None]:
    """(the commit, the rows) of the cache file, or (None, None)."""
    stored = desk.cache.read(RECORDS_CACHE)
    try:
        loaded = marshal.loads(stored) if stored else None
    except (EOFError, ValueError, TypeError):
        loaded = None
    if isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[1], dict):
        return str(loaded[0]), loaded[1]
    return None, None


def _apply(
    desk: Desk, rows: dict[str, Row | None], changes: list[tuple[str, str, str]]
) -> dict[str, Row | None]:
    """`rows` with the records among `changes` ((path, old blob, new blob)) read anew."""
    wanted = {p: new for p, _, new in changes if _is_record(p)}
    contents = desk.git.blobs(b for b in wanted.values() if b != ZERO)
    for path, blob in wanted.items():
        if blob == ZERO:
            rows.pop(path, None)
        else:
            rows[path] = _record_row(path, contents.get(blob, b""))
    return rows
