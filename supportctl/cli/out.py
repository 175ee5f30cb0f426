"""The one place that writes: data to stdout, diagnostics to stderr, reports to files.

Text that came from a ticket, an article or a teammate's commit may hold terminal control
characters (ESC sequences that move the cursor, retitle the window or set the clipboard;
BEL; C1 controls). Everything printed for people goes through `visible()`; JSON keeps every
value exact, with those characters escaped the JSON way.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.progress import Progress, TaskID

# The only escape sequences supportctl prints itself: bold on and off (`kb search` at a
# terminal). They change nothing but the weight of the text, so they pass wherever they are.
BOLD = ("\x1b[1m", "\x1b[0m")

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080..U+009F; some terminals
# read U+009B as CSI). A CRLF line end is a line end.
_CONTROL = re.compile("\r\n|\x1b\\[[01]m|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # a quick look first
# json.dumps escapes C0 itself; with ensure_ascii=False it leaves DEL and C1 raw
_JSON_RAW = re.compile("[\x7f-\x9f]")


def _show(m: re.Match[str]) -> str:
    s = m.group()
    if s == "\r\n":
        return "\n"
    if len(s) > 1:  # our own bold on/off
        return s
    return f"\\x{ord(s):02x}"


def visible(text: str) -> str:
    """`text` with every control character but newline and tab shown as `\\xNN`."""
    return _CONTROL.sub(_show, text) if _ANY_CONTROL.search(text) else text


def emit(text: str = "") -> None:
    """Print `text` and a line end, unless it ends with one already."""
    text = visible(text)
    _write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")


_PART = 1 << 16  # characters written at a time


def _write(text: str) -> None:
    """Write `text` a part at a time: a long report's text is never encoded whole."""
    if len(text) <= _PART:
        sys.stdout.write(text)
        return
    for i in range(0, len(text), _PART):
        sys.stdout.write(text[i : i + _PART])


def emit_rich(renderable: Any) -> None:
    """A rich renderable (a table) fitted to the terminal; for a terminal only, callers
    print plain text to pipes. Its cells must already be `visible()` rich Text."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=False).print(renderable)


def emit_json(data: Any) -> None:
    emit_json_text(json_text(data))


def json_text(data: Any) -> str:
    """The JSON document `emit_json` prints, before `emit_json_text` writes it."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def emit_json_text(text: str) -> None:
    """Print a JSON document as it is, but DEL and C1 characters as \\u escapes (same value)."""
    _write(_JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def emit_binary(data: bytes) -> None:
    """Binary data (a PDF) to stdout, which must not be a terminal: it would be garbage
    there, and the control bytes in it would drive the terminal."""
    if sys.stdout.isatty():
        raise UsageError("binary output is not written to a terminal: give -o FILE or redirect")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def warn(text: str) -> None:
    sys.stderr.write(f"supportctl: {visible(text)}\n")


def log(text: str) -> None:
    """One line of a long-running command's log (`alert serve`): stderr, as it is."""
    sys.stderr.write(f"{visible(text)}\n")
    sys.stderr.flush()


def error(text: str) -> None:
    sys.stderr.write(f"supportctl: error: {visible(text)}\n")


def output_path(output: str) -> Path:
    """The file `--output` names, or UsageError when it names none (checked before the
    work, so a long report does not fail at the end)."""
    if not output.strip():
        raise UsageError("--output is empty: give a file name")
    target = Path(output).expanduser()
    if not target.is_absolute():
        target = Path.cwd() / target
    try:
        mode: int | None = target.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # a new file; a parent that is a file is refused when it is written
    except OSError as exc:  # no permission to look, a name too long, ...
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
    if output.endswith(("/", os.sep)) or (mode is not None and stat.S_ISDIR(mode)):
        raise UsageError(f"--output {output} is a folder: give a file name")
    if mode is not None and stat.S_ISLNK(mode):
        try:
            mode = target.stat().st_mode  # what the link leads to (/dev/stdout: a device)
        except OSError:
            mode = None  # a dangling link is replaced like a missing file
    if mode is not None and not stat.S_ISREG(mode):
        # the file is replaced, never written through: that would put a regular file in
        # place of a device such as /dev/null, of a named pipe, or of a link to one
        raise UsageError(f"--output {output} is not a regular file: give a file name")
    return target


def write_file(output: str, text: str | bytes) -> Path:
    """Write `text` (UTF-8 when it is a str) to the file `output` (relative to the current
    folder) all at once.

    The text goes to a new private file beside the target (created exclusively, so nothing
    placed there beforehand, such as a symlink, is written through) and is then renamed
    over the target; a symlink at the target itself is replaced, not followed. A failure
    leaves no partial file and no temporary file. Returns the path written.
    """
    target = output_path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            # mkstemp makes the file 0600; a report gets the mode any new file would get
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fh.fileno(), 0o666 & ~umask)
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Left-aligned columns two spaces apart, widths in terminal cells (wide CJK counts 2).

    A plain formatter rather than tabulate for listings of tens of thousands of rows:
    tabulate's per-cell type detection costs seconds there, and an ID or a title that
    looks like a number must not be right-aligned. Cells are made `visible()` first, so
    the widths are those of what the terminal shows.
    """
    # Column by column, with the per-cell work in C (map over str methods): a listing has
    # tens of thousands of rows, and most columns are ASCII throughout, where a cell's
    # width is its length.
    columns = [list(column) for column in zip(headers, *rows, strict=True)]
    for i, column in enumerate(columns):
        if set(map(type, column)) != {str}:
            columns[i] = ["" if c is None else str(c) for c in column]
    if any(_ANY_CONTROL.search(" ".join(column)) for column in columns):
        columns = [[visible(c) for c in column] for column in columns]
    last = len(headers) - 1
    padded: list[Sequence[str]] = []
    for i, column in enumerate(columns):
        if i == last:
            padded.append(column)
        elif "".join(column).isascii():
            padded.append(list(map(str.ljust, column, repeat(max(map(len, column))))))
        else:
            from rich.cells import cell_len

            lens = [len(c) if c.isascii() else cell_len(c) for c in column]
            width = max(lens)
            padded.append([c + " " * (width - n) for c, n in zip(column, lens, strict=True)])
    return "\n".join(map(str.rstrip, map("  ".join, zip(*padded, strict=True))))


class ScanBar:
    """The bar a long history scan shows on a terminal (a `ScanProgress` of the desk).

    It goes to stderr, since stdout may be a pipe carrying the answer, and disappears when
    the scan ends."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int | None) -> None:
        if done is None:
            if self._bar is not None:
                self._bar.stop()
                self._bar = self._task = None
            return
        if self._bar is None or self._task is None:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("reading history: {task.completed} commits"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("history", total=None)
        if done:
            self._bar.update(self._task, completed=done)
