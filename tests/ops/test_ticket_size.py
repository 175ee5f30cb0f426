"""A ticket never grows past what the reader accepts, and a long thread can still be closed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from ruamel.yaml.comments import CommentedMap

from supportctl.domain import yamlio
from supportctl.ops.tickets import CLOSING_RESERVE
from tests.helpers import Cli, git

if TYPE_CHECKING:
    from pathlib import Path

T1 = "data/tickets/0000/SUP-1.yaml"
CAP = yamlio.MAX_FILE_BYTES
ROOM = CAP - CLOSING_RESERVE  # what comments and other changes may fill
LONG = ("x" * 79 + "\n") * 800  # a 63 KB comment, within the 64 K characters a text may have


def _comment(text: str) -> CommentedMap:
    entry = CommentedMap()
    entry["at"] = "2026-10-05T10:00:00+03:00"
    entry["author"] = "anna"
    entry["visibility"] = "public"
    entry["text"] = yamlio.text_value(text)
    return entry


def grow_by_hand(root: Path, size: int) -> None:
    """Give SUP-1 comments by hand (one commit) until its file is `size` bytes, give or
    take a few: long comments, then one of the length that is left."""
    data = yamlio.load((root / T1).read_bytes())
    data["comments"] = [_comment(LONG)]
    one = len(yamlio.dump(data))
    data["comments"].append(_comment(LONG))
    step = len(yamlio.dump(data)) - one
    data["comments"] = [_comment(LONG) for _ in range((size - one) // step + 1)]
    filler = size - len(yamlio.dump(data)) - 150
    if filler > 0:
        data["comments"].append(_comment("z" * filler))
        data["comments"][-1]["text"] = "z" * (filler + size - len(yamlio.dump(data)))
    (root / T1).write_bytes(yamlio.dump(data))
    git(root, "commit", "-qam", "SUP-1: thread imported from the old helpdesk")


@pytest.fixture
def long_thread(support_repo: Path, cli: Cli) -> Path:
    assert (
        cli("new", "Printer queue stuck", "-c", "acme", "-t", "incident", "-p", "high").exit_code
        == 0
    )
    grow_by_hand(support_repo, ROOM)
    return support_repo


def test_a_comment_may_not_eat_the_room_kept_for_closing(long_thread: Path, cli: Cli) -> None:
    root = long_thread
    head, before = git(root, "rev-parse", "HEAD"), (root / T1).read_bytes()
    assert len(before) == ROOM
    r = cli("comment", "SUP-1", "One more line.")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert re.fullmatch(
        rf"supportctl: error: SUP-1: comment would make {T1} [0-9,]+ bytes, more than the "
        rf"{ROOM:,} a ticket may reach before the room kept for resolve and close; nothing was "
        r"written \(continue in a new ticket: `supportctl link NEW --related SUP-1`\)\n",
        r.stderr,
    ), r.stderr
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / T1).read_bytes() == before
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".git/supportctl/journal.json").exists()

    # the ticket can still be worked to its end, and read all along
    for args in (
        ("start", "SUP-1"),
        ("resolve", "SUP-1", "--resolution", "Queue purged, spooler restarted."),
        ("close", "SUP-1"),
        ("show", "SUP-1"),
    ):
        r = cli(*args)
        assert (r.exit_code, r.stderr) == (0, ""), (args, r.stderr)
    assert len((root / T1).read_bytes()) <= CAP
    assert cli("list", "--status", "closed").stdout.count("SUP-1") == 1


def test_no_action_writes_a_file_the_reader_would_refuse(support_repo: Path, cli: Cli) -> None:
    # A ticket made long by hand, past the room for comments but still readable: resolving
    # may use the room kept for it, but never write more than the reader accepts.
    root = support_repo
    assert (
        cli("new", "Printer queue stuck", "-c", "acme", "-t", "incident", "-p", "high").exit_code
        == 0
    )
    grow_by_hand(root, CAP - 20_000)
    head, before = git(root, "rev-parse", "HEAD"), (root / T1).read_bytes()
    assert len(before) == CAP - 20_000
    r = cli("resolve", "SUP-1", "--resolution", "y" * 30_000)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert re.fullmatch(
        rf"supportctl: error: {T1} would be [0-9,]+ bytes, more than the {CAP:,} a file may have; "
        r"nothing was written\n",
        r.stderr,
    ), r.stderr
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / T1).read_bytes() == before
    assert not (root / ".git/supportctl/journal.json").exists()
    assert cli("resolve", "SUP-1", "--resolution", "Purged the queue.").exit_code == 0
    assert cli("close", "SUP-1").exit_code == 0
    r = cli("show", "SUP-1")
    assert (r.exit_code, r.stderr) == (0, "")


def test_no_action_writes_more_nodes_than_the_reader_accepts(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worklog of short entries reaches the node cap long before 2 MiB (18,182 entries of
    # 11 nodes in 1.9 MB); `log` must refuse the entry that would pass it, not write a file
    # that every later command skips. The cap is lowered so the file stays small.
    monkeypatch.setattr(yamlio, "MAX_NODES", 2_000)
    root = support_repo
    assert (
        cli("new", "Printer queue stuck", "-c", "acme", "-t", "incident", "-p", "high").exit_code
        == 0
    )
    assert cli("log", "SUP-1", "-m", "5").exit_code == 0
    [log] = (root / "data/worklogs").glob("*/*.yaml")
    entry = log.read_text()
    log.write_text(entry * 181)  # 1 + 181 * 11 nodes: one more entry passes 2,000
    git(root, "commit", "-qam", "Worklog imported from the old helpdesk")
    head, before = git(root, "rev-parse", "HEAD"), log.read_bytes()
    r = cli("log", "SUP-1", "-m", "5")
    rel = log.relative_to(root).as_posix()
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr == (
        f"supportctl: error: {rel} would be refused when read (too many nodes "
        "(more than 2000, counting what aliases repeat)); nothing was written\n"
    )
    assert git(root, "rev-parse", "HEAD") == head
    assert log.read_bytes() == before
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".git/supportctl/journal.json").exists()
    r = cli("show", "SUP-1")
    assert (r.exit_code, r.stderr) == (0, "")
    assert "Time logged: 15h5m" in r.stdout


def test_tags_may_not_eat_the_nodes_kept_for_closing(
    support_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One `tag` call can add 100,000 tags (one node each, 790 KB): past the node cap a
    # ticket could be neither read nor resolved. Nodes are kept for closing like bytes.
    monkeypatch.setattr(yamlio, "MAX_NODES", 2_000)
    root = support_repo
    assert (
        cli("new", "Printer queue stuck", "-c", "acme", "-t", "incident", "-p", "high").exit_code
        == 0
    )
    head, before = git(root, "rev-parse", "HEAD"), (root / T1).read_bytes()
    r = cli("tag", "SUP-1", *(f"t{i}" for i in range(1_000)))
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert re.fullmatch(
        rf"supportctl: error: SUP-1: tag would give {T1} [0-9,]+ YAML nodes, more than the "
        r"1,000 a ticket may reach before the room kept for resolve and close; nothing was "
        r"written \(continue in a new ticket: `supportctl link NEW --related SUP-1`\)\n",
        r.stderr,
    ), r.stderr
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / T1).read_bytes() == before
    assert not (root / ".git/supportctl/journal.json").exists()
    assert cli("tag", "SUP-1", *(f"t{i}" for i in range(900))).exit_code == 0
    for args in (
        ("start", "SUP-1"),
        ("resolve", "SUP-1", "--resolution", "Purged the queue."),
        ("close", "SUP-1"),
        ("show", "SUP-1"),
    ):
        r = cli(*args)
        assert (r.exit_code, r.stderr) == (0, ""), (args, r.stderr)
