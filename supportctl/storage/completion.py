"""What shell completion offers, read the cheap way: a shell waits on every Tab.

A completion answers in a fraction of what importing the rest of supportctl costs (GitPython,
YAML, the configuration's classes), so this module imports only the standard library (and
storage.cache for the names of the cache files, when a question needs them): it
asks git for one tree with one process, reads the listing cache (`queries.listing`) straight
from its SQLite file, and reads the committed supportctl.yaml's customer and agent keys
with a line reader. When the cache does not cover HEAD yet (a fresh clone, a commit made
since), `None` is returned and the caller computes the listing the full way, which also
fills the cache for the next Tab.

Nothing here writes, and nothing here is trusted for more than a suggestion: an answer that
is off (a hand-written configuration this reader does not follow) costs a wrong candidate,
never a wrong action, since the command run afterwards checks everything again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

CONFIG_NAME = "supportctl.yaml"
OPEN = ("new", "in_progress", "waiting")


# (value, help): what the shell offers, and the description zsh and fish show beside it
Candidate = tuple[str, str]


def find_root(override: str | None = None, start: Path | None = None) -> Path | None:
    """The support repo as `desk.find_root` finds it, or None (no error: nothing to offer)."""
    chosen = override or os.environ.get("SUPPORTCTL_REPO")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return root if (root / CONFIG_NAME).is_file() else None
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
        if (folder / ".git").exists():
            return None
    return None


def _git(root: Path, *args: str) -> str | None:
    try:
        r = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            timeout=10,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def _tree(root: Path, path: str) -> list[tuple[str, str, str]] | None:
    """(mode, name, object id) of HEAD:path, or None when there is no such tree."""
    text = _git(root, "ls-tree", "-z", f"HEAD:{path}")
    if text is None:
        return None
    rows = []
    for line in text.split("\0"):
        if line:
            meta, _, name = line.partition("\t")
            mode, _, oid = meta.split(" ")
            rows.append((mode, name, oid))
    return rows


def _cache_folder(root: Path) -> Path | None:
    git_dir = root / ".git"
    if git_dir.is_file():  # a linked worktree or a submodule: ask git where it is
        found = _git(root, "rev-parse", "--absolute-git-dir")
        if found is None:
            return None
        git_dir = Path(found.strip())
    folder = git_dir / "supportctl" / "cache"
    # never through a link: the cache folder is supportctl's own (storage.cache)
    return folder if folder.is_dir() and not folder.is_symlink() else None


def _cache_file(root: Path) -> Path | None:
    folder = _cache_folder(root)
    from supportctl.storage.cache import file_name

    path = folder / file_name("blobs") if folder else None
    return path if path is not None and path.is_file() else None


def listing_rows(root: Path) -> list[list[object]] | None:
    """The plain listing values (`queries.LIST_FIELDS` order) of every ticket at HEAD, from
    the listing cache; None when the cache does not hold every shard of HEAD."""
    shards = _tree(root, "data/tickets")
    if shards is None:
        return []  # no tickets committed yet
    keys = [f"{name} {oid}" for mode, name, oid in shards if mode == "040000"]
    if not keys:
        return []
    path = _cache_file(root)
    if path is None:
        return None
    import sqlite3  # here: only a completion of tickets needs it

    from supportctl.storage.cache import versioned

    found: dict[str, list[list[Any]]] = {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)
        try:
            for i in range(0, len(keys), 900):
                chunk = keys[i : i + 900]
                marks = ",".join("?" * len(chunk))
                for key, data in db.execute(
                    "SELECT key, data FROM blobs WHERE kind LIKE ? AND key IN (" + marks + ")",
                    (versioned("listing") + ":%", *chunk),
                ):
                    found.setdefault(key, json.loads(data))
        finally:
            db.close()
    except (sqlite3.Error, ValueError):
        return None
    if len(found) < len(keys):
        return None
    return [e[4] for key in keys for e in found[key] if not e[1] and e[4]]


def tickets_tree(root: Path) -> str | None:
    """The tree id of HEAD's data/tickets (None: no tickets committed)."""
    found = _git(root, "rev-parse", "--verify", "-q", "HEAD:data/tickets")
    return found.strip() if found else None


def ticket_lines(root: Path, tree: str) -> list[str] | None:
    """`ID<TAB>title [status]` of every ticket of `tree`, open ones first, newest first
    within each group: the completion index when it is for `tree`, else made from the
    listing cache and kept; None when neither covers HEAD."""
    from supportctl.storage.cache import file_name

    folder = _cache_folder(root)
    index = folder / file_name("completion") if folder else None
    if index is not None:
        found = _read_index(index, tree)
        if found is not None:
            return found
    rows = listing_rows(root)
    if rows is None:
        return None
    lines = index_lines(rows)
    if index is not None:
        save_index(index, tree, lines)
    return lines


def _read_index(index: Path, tree: str) -> list[str] | None:
    """The index's lines when it is whole and for `tree`; None for another tree, and for a
    damaged or foreign file (its checksum does not match: it is made again)."""
    import zlib

    try:
        fd = os.open(index, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    if head != f"{tree} {zlib.crc32(body):08x}".encode():
        return None
    try:
        return body.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def index_lines(rows: list[list[Any]]) -> list[str]:
    """The completion index's lines for listing rows (in ID order)."""
    open_: list[str] = []
    other: list[str] = []
    for row in reversed(rows):
        status = str(row[3])
        title = " ".join(str(row[1] or "").split())
        (open_ if status in OPEN else other).append(f"{row[0]}\t{title} ({status})")
    return open_ + other


def save_index(index: Path, tree: str, lines: list[str]) -> None:
    """Replace the completion index atomically; failing costs only speed."""
    import tempfile
    import zlib

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{index.name}.", suffix=".tmp", dir=index.parent)
        body = "".join(line + "\n" for line in lines).encode("utf-8")
        with open(fd, "wb") as fh:
            # the tree it is for, and a checksum: a damaged file is made again, not read
            fh.write(f"{tree} {zlib.crc32(body):08x}\n".encode() + body)
        os.replace(tmp, index)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def tickets(lines: list[str], incomplete: str, limit: int = 200) -> list[Candidate]:
    """The index's tickets whose ID starts with `incomplete` (any case), in the index's
    order (open first); titles as help."""
    want = incomplete.strip().upper()
    found = []
    for line in lines:
        tid, _, shown = line.partition("\t")
        if want and not tid.upper().startswith(want):
            continue
        found.append((tid, shown))
        if len(found) >= limit:
            break
    return found


def kb_slugs(root: Path, incomplete: str) -> list[Candidate]:
    found = _tree(root, "data/kb") or []
    slugs = sorted(
        name[:-3] for mode, name, _ in found if mode != "040000" and name.endswith(".md")
    )
    return [(s, "") for s in slugs if s.startswith(incomplete.lower())]


def reply_names(root: Path, incomplete: str) -> list[Candidate] | None:
    """Canned reply names with their languages; None when templates/ is not a plain folder
    (a link: the caller asks the full reader)."""
    top = _tree(root, "templates")
    if top is None:
        return []
    if not any(mode == "040000" and name == "replies" for mode, name, _ in top):
        return None if any(name == "replies" for _, name, _ in top) else []
    langs: dict[str, list[str]] = {}
    for mode, name, _ in _tree(root, "templates/replies") or []:
        if mode == "040000" or not name.endswith(".md"):
            continue
        stem = name[:-3]
        base, dot, lang = stem.rpartition(".")
        if not dot:
            base, lang = stem, "plain"
        elif lang not in ("en", "ru", "uk"):
            continue
        langs.setdefault(base, []).append(lang)
    return [
        (n, ", ".join(sorted(langs[n]))) for n in sorted(langs) if n.startswith(incomplete.lower())
    ]


_KEY = re.compile(r"""^(\s+)(?:"([^"]+)"|'([^']+)'|([^\s#'"][^:#]*?))\s*:(.*)$""")


def config_keys(root: Path, section: str) -> list[Candidate] | None:
    """The keys of the committed supportctl.yaml's top-level mapping `section`
    (`customers`, `agents`) with their `name:` as help; None when the file writes that
    section in a way this line reader does not follow (flow style)."""
    text = _git(root, "cat-file", "blob", f"HEAD:{CONFIG_NAME}")
    if text is None:
        return []
    found: list[Candidate] = []
    inside, indent, child, current = False, None, None, None
    names: dict[str, str] = {}
    for line in text.splitlines():
        bare = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not bare:
            continue
        if not line[0].isspace():
            if inside:
                break
            head, _, rest = bare.partition(":")
            if head.strip() == section:
                if rest.strip():
                    return None
                inside = True
            continue
        if not inside:
            continue
        m = _KEY.match(bare)
        if m is None:
            continue
        depth = len(m.group(1))
        key = m.group(2) or m.group(3) or m.group(4)
        if indent is None:
            indent = depth
        if depth == indent:
            current, child = key, None
            found.append((key, ""))
            rest = m.group(5).strip()
            flow = re.search(r"""\bname:\s*(?:"([^"]*)"|'([^']*)'|([^,}]*))""", rest)
            if rest.startswith("{") and flow:
                names[key] = (flow.group(1) or flow.group(2) or flow.group(3) or "").strip()
        elif depth > indent and current:
            child = child or depth
            if depth == child and key == "name":
                names.setdefault(current, m.group(5).strip().strip("\"'"))
    return [(key, names.get(key, "")) for key, _ in found]
