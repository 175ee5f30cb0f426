"""bench/generate.py: the generated desk holds what a real desk holds, and the CLI accepts it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).parent / "supportctl")

pytestmark = pytest.mark.slow


def _generate(out: Path, tickets: int, commits: int, seed: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    stats: dict[str, object] = generate.generate(tickets, commits, out, seed=seed, verbose=False)
    return stats


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "desk"
    _generate(out, 300, 3000, seed=9)
    return out


def test_every_action_after_creation_is_in_the_history(desk: Path) -> None:
    actions = set(_git(desk, "log", "--format=%(trailers:key=Action,valueonly)").split())
    for action in ("new", "comment", "assign", "tag", "link", "edit", "kb-new", "kb-link"):
        assert action in actions, action


def test_seven_customers_some_with_cyrillic_names(desk: Path) -> None:
    customers = set(_git(desk, "log", "--format=%(trailers:key=To-Customer,valueonly)").split())
    assert customers == {"acme", "globex", "initech", "umbrella", "romashka", "kvitka", "vektor"}
    config = (desk / "supportctl.yaml").read_text(encoding="utf-8")
    assert "name: ТОВ «Квітка»" in config


def test_kb_articles_in_three_languages_linked_both_ways(desk: Path) -> None:
    articles = sorted((desk / "data" / "kb").glob("*.md"))
    texts = [a.read_text(encoding="utf-8") for a in articles]
    assert len(articles) == 300 // 65
    assert any("## Рішення" in t for t in texts) or any("## Решение" in t for t in texts)
    linked = _git(desk, "grep", "-l", "^kb: ", "HEAD", "--", "data/tickets").split()
    assert linked
    ticket = linked[0].split(":", 1)[1].rsplit("/", 1)[1].removesuffix(".yaml")
    assert any(ticket in t.split("---")[1] for t in texts)


def test_the_cli_validates_the_generated_desk(desk: Path) -> None:
    r = subprocess.run([EXE, "validate"], cwd=desk, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_same_seed_gives_the_same_commits(tmp_path: Path) -> None:
    _generate(tmp_path / "a", 40, 400, seed=4)
    _generate(tmp_path / "b", 40, 400, seed=4)
    assert _git(tmp_path / "a", "rev-parse", "HEAD") == _git(tmp_path / "b", "rev-parse", "HEAD")


def test_verify_generate_finds_the_cli_writes_the_same_history() -> None:
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "verify_generate.py"),
            *("--tickets", "60", "--commits", "700", "--seed", "3"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "identical history" in r.stdout
