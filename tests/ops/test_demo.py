"""The shipped demo data is exactly what replaying the demo scenario produces."""

from __future__ import annotations

import itertools
from pathlib import Path

from supportctl.ops.demo import build_demo, load_steps
from supportctl.ops.validate import validate_repo
from supportctl.storage.desk import Desk

ROOT = Path(__file__).resolve().parents[2]


def test_scenario_is_a_month_in_time_order() -> None:
    steps = load_steps(ROOT / "demo" / "scenario.yaml")
    assert len(steps) > 300
    assert steps[0].at.isoformat().startswith("2026-10-01")
    assert all(a.at <= b.at for a, b in itertools.pairwise(steps))


def test_replay_matches_shipped_data(tmp_path: Path) -> None:
    repo = build_demo(ROOT, tmp_path / "demo")
    assert validate_repo(repo) == []
    shipped = {
        p.relative_to(ROOT).as_posix(): p.read_bytes()
        for p in sorted((ROOT / "data").rglob("*"))
        if p.is_file() and p.name != ".gitkeep"
    }
    replayed = {
        p.relative_to(repo.root).as_posix(): p.read_bytes()
        for p in sorted((repo.root / "data").rglob("*"))
        if p.is_file() and p.name != ".gitkeep"
    }
    assert sorted(shipped) == sorted(replayed)
    for path, content in shipped.items():
        assert replayed[path] == content, f"{path} differs: regenerate with `make demo-data`"
    log = Desk(repo.root).git.subjects("HEAD")
    assert len(log) > 400


def test_demo_never_replaces_a_folder_it_did_not_build(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from supportctl.domain.errors import UsageError
    from supportctl.ops import demo

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not a demo repo"):
        build_demo(ROOT, mine)
    assert (mine / "notes.txt").read_text() == "keep me"

    monkeypatch.setattr(demo, "load_steps", lambda path: [])  # set-up commit only: fast
    first = build_demo(ROOT, tmp_path / "demo")
    (first.root / "scratch.txt").write_text("from the last run")
    again = build_demo(ROOT, tmp_path / "demo")  # an earlier demo is replaced
    assert not (again.root / "scratch.txt").exists()


def test_demo_entry_point_has_help(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from supportctl.cli import demo

    with pytest.raises(SystemExit) as exc:
        demo.main(["--help"])
    assert exc.value.code == 0
    assert "usage: python -m supportctl.cli.demo" in capsys.readouterr().out


def test_demo_entry_point_builds_from_the_shipped_desk(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from supportctl.cli import demo
    from supportctl.ops import demo as replay

    for module in (demo, replay):  # set-up commit only: fast
        monkeypatch.setattr(module, "load_steps", lambda path: [])
    target = tmp_path / "demo"
    assert demo.main([str(target)]) == 0
    assert capsys.readouterr() == (f"demo support repo: {target} (0 actions replayed)\n", "")
    shipped = (ROOT / "supportctl.yaml").read_bytes()
    assert (target / "supportctl.yaml").read_bytes() == shipped

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert demo.main([str(mine)]) == 2
    assert capsys.readouterr() == (
        "",
        f"supportctl: error: {mine} exists and is not a demo repo built by supportctl; "
        "refusing to replace it (choose another folder)\n",
    )


def test_demo_entry_point_cannot_build_in_proc_in_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    from supportctl.cli import demo

    assert demo.main(["/proc/nope/demo"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("supportctl: error: cannot build the demo in /proc/nope/demo: ")
    assert err.count("\n") == 1
