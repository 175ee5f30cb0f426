"""Golden PDFs of the demo month, compared byte for byte.

Regenerate them after an intended change (a template, the demo, WeasyPrint or DejaVu) with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_pdf_golden.py

GOLDEN_PDFS is the one list of what is kept: a file name and the `report` arguments that
make it. The customer reports are one per language of the demo's customers (each in its
customer's `language:`: Russian, Ukrainian, English); the team's report of the whole desk is
kept in all three languages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from supportctl.ops.demo import build_demo

if TYPE_CHECKING:
    from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "pdf"
NOW = "2026-11-15T12:00:00+03:00"
GOLDEN_PDFS = {
    "demo-internal.pdf": (),
    "demo-internal.ru.pdf": ("--lang", "ru"),
    "demo-internal.uk.pdf": ("--lang", "uk"),
    "demo-customer-marketplus.pdf": ("--customer", "marketplus"),
    "demo-customer-dniprobank.pdf": ("--customer", "dniprobank"),
    "demo-customer-baltroute.pdf": ("--customer", "baltroute"),
}


@pytest.fixture(scope="module")
def demo_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(ROOT, tmp_path_factory.mktemp("demo") / "demo").root


@pytest.mark.parametrize("name", sorted(GOLDEN_PDFS))
def test_demo_pdf_matches_golden(demo_desk: Path, cli: Cli, tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    result = cli(
        "--repo",
        str(demo_desk),
        "report",
        "--month",
        "2026-10",
        "--now",
        NOW,
        "--format",
        "pdf",
        "-o",
        str(target),
        *GOLDEN_PDFS[name],
    )
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), f"{name} differs from {path}"


def test_every_golden_pdf_is_listed() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.pdf")) == sorted(GOLDEN_PDFS)
