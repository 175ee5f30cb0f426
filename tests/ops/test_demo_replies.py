"""The demo's canned replies (demo/replies/, committed by the demo as templates/replies/):
each renders in the sandbox, in Russian for the Russian-speaking customer and in English
for the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportctl.ops import tickets as actions
from supportctl.ops.init import init_repo
from supportctl.ops.replies import render_reply, replies
from supportctl.storage.desk import Desk
from tests.helpers import git

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["need-more-info", "password-reset", "printer-not-printing", "vpn-access"]


@pytest.fixture
def demo_desk(tmp_path: Path) -> Desk:
    root = tmp_path / "desk"
    init_repo(root)
    (root / "supportctl.yaml").write_bytes((ROOT / "supportctl.yaml").read_bytes())
    folder = root / "templates" / "replies"
    folder.mkdir(parents=True)
    for f in (ROOT / "demo" / "replies").glob("*.md"):
        (folder / f.name).write_bytes(f.read_bytes())
    git(root, "add", ".")
    git(root, "commit", "-qm", "Demo configuration and replies")
    desk = Desk(root)
    for customer in ("marketplus", "baltroute"):
        actions.new_ticket(
            desk,
            title="Не печатает принтер" if customer == "marketplus" else "Printer offline",
            customer=customer,
            type="incident",
            priority="normal",
            reporter="Ирина Ковалёва" if customer == "marketplus" else "John Smith",
        )
    return desk


def test_the_demo_ships_l1_scripts_in_russian_and_english(demo_desk: Desk) -> None:
    found = {r.name: r.languages for r in replies(demo_desk)}
    assert found == {name: ["", "ru"] for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_each_renders_in_the_customers_language(demo_desk: Desk, name: str) -> None:
    ru = render_reply(demo_desk, "SUP-1", name)
    assert ru.language == "ru"
    assert ru.text.startswith("Здравствуйте, Ирина Ковалёва!\n")
    assert "Анна Смирнова" in ru.text
    assert "{{" not in ru.text
    en = render_reply(demo_desk, "SUP-2", name)
    assert en.language == ""
    assert en.text.startswith("Hello John Smith,\n")
    assert "SUP-2" in en.text
