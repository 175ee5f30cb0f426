"""The model of a finished period's report is kept for its commit: read back in every
format, told the same warnings, and never served once the tip has moved."""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import TYPE_CHECKING

from supportctl.storage.cache import FOLDER, file_name, versioned
from tests.helpers import commit_file, git, run_at

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

NOW = "2026-11-15T12:00:00+03:00"  # October is over


def _report(cli: Cli, *args: str) -> str:
    result = cli("report", *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _rows(root: Path) -> dict[str, bytes]:
    """The kept reports: key -> stored (compressed) JSON."""
    path = root / ".git/supportctl" / FOLDER / file_name("blobs")
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, data FROM blobs WHERE kind=?", (versioned("report"),)))


def _set_created(root: Path, key: str, value: int) -> None:
    path = root / ".git/supportctl" / FOLDER / file_name("blobs")
    with sqlite3.connect(path) as db:
        kind = versioned("report")
        (data,) = db.execute(
            "SELECT data FROM blobs WHERE kind=? AND key=?", (kind, key)
        ).fetchone()
        stored = json.loads(zlib.decompress(data))
        stored["model"]["summary"]["created"] = value
        packed = zlib.compress(json.dumps(stored).encode())
        db.execute("UPDATE blobs SET data=? WHERE kind=? AND key=?", (packed, kind, key))


def test_a_finished_months_report_is_read_back_until_the_tip_moves(
    october_desk: Path, cli: Cli
) -> None:
    month = ("--month", "2026-10", "--now", NOW)
    fresh = {fmt: _report(cli, *month, "--format", fmt) for fmt in ("json", "md", "html")}
    head = git(october_desk, "rev-parse", "HEAD").strip()
    (key,) = _rows(october_desk)
    assert key.startswith(f"{head} ")
    for fmt, text in fresh.items():  # read back: the same bytes in every format
        assert _report(cli, *month, "--format", fmt) == text
    _set_created(october_desk, key, 99)  # what is read back is what was kept
    assert json.loads(_report(cli, *month, "--format", "json"))["summary"]["created"] == 99
    assert (
        json.loads(_report(cli, *month, "-c", "acme", "--format", "json"))["summary"]["created"]
        == json.loads(fresh["json"])["customers"][0]["summary"]["created"]
    )
    assert len(_rows(october_desk)) == 2  # one per customer asked for
    commit_file(october_desk, "notes.txt", "not a ticket\n")
    tip = git(october_desk, "rev-parse", "HEAD").strip()
    model = json.loads(_report(cli, *month, "--format", "json"))
    assert model["report"]["commit"] == tip
    assert model["summary"]["created"] == 3
    assert [k.split()[0] for k in _rows(october_desk)] == [tip]  # the old tip's rows are gone


def test_an_open_period_is_computed_every_time(october_desk: Path, cli: Cli) -> None:
    _report(cli, "--month", "2026-11", "--now", NOW, "--format", "json")
    _report(cli, "--month", "2026-10", "--now", "2026-10-31T12:00:00+03:00", "--format", "json")
    assert _rows(october_desk) == {}


def test_worklog_problems_are_told_again_when_the_report_is_read_back(
    october_desk: Path, cli: Cli
) -> None:
    commit_file(october_desk, "data/worklogs/2026-09.yaml", "entries: [\n")
    month = ("report", "--month", "2026-10", "--now", NOW)
    first = cli(*month)
    assert first.exit_code == 0, first.output
    assert "skipped data/worklogs/2026-09.yaml" in first.stderr
    assert _rows(october_desk)
    again = cli(*month)
    assert (again.stdout, again.stderr) == (first.stdout, first.stderr)


def test_a_configuration_never_committed_is_not_kept(october_desk: Path, cli: Cli) -> None:
    run_at(cli, "2026-10-20T10:00:00+03:00", "comment", "SUP-1", "One more")
    git(october_desk, "rm", "-q", "--cached", "supportctl.yaml")
    git(october_desk, "commit", "-qm", "The configuration stays local")
    _report(cli, "--month", "2026-10", "--now", NOW, "--format", "json")
    assert _rows(october_desk) == {}
