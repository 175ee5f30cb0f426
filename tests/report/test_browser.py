"""The HTML report in a real headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from tests.helpers import component_missing

if TYPE_CHECKING:
    from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_html_report_in_browser(october_desk: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        component_missing("Debian's chromium", "make test installs it")
    try:
        from playwright import sync_api
    except ImportError:
        component_missing("playwright", "make test installs it")
    page_file = tmp_path / "report.html"
    result = cli(
        "report",
        "--month",
        "2026-10",
        "--format",
        "html",
        "-o",
        str(page_file),
        "--now",
        "2026-11-15T12:00:00+03:00",
    )
    assert result.exit_code == 0, result.output

    console_errors: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env={"HOME": str(tmp_path)}
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            for name in ("daily", "compliance", "hours"):
                chart = page.locator(f"#chart-{name} svg")
                assert chart.count() == 1
                assert chart.is_visible()
                box = chart.bounding_box()
                assert box is not None
                assert box["width"] > 200
                assert box["height"] > 50
            # The hostile title shows as text, and nothing from ticket content ran.
            assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
            assert page.evaluate("document.scripts.length") == 0
            assert page.locator("a[href^='javascript']").count() == 0
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []
    assert console_errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
