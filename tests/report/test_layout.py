"""The HTML report's layout in a real headless Chromium at a desktop's and a phone's width:
nothing sticks out of the page sideways (except inside a box that scrolls), no text is wider
than its cell, chart labels do not overlap and chart text stays legible; and the charts'
SVG, parsed, has no bar of zero or negative size."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.report.charts import charts
from tests.helpers import component_missing
from tests.report.test_browser import ARGS, CHROMIUM

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-11-15T12:00:00+03:00"
SVG = "{http://www.w3.org/2000/svg}"
WIDTHS = [(1280, 800), (375, 812)]

# Every problem the page's own geometry shows, as text: a box past the viewport's sides
# that no scrolling box holds, a cell whose text is wider than the cell, chart labels whose
# boxes intersect, chart text drawn smaller than 11 px.
PROBLEMS = """
() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll'].includes(s.overflowX) && p.scrollWidth > p.clientWidth) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
    (el.textContent || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > width) out.push('page wider than the viewport');
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if ((r.left < -0.5 || r.right > width + 0.5) && !scrolls(el))
      out.push('outside the viewport: ' + name(el) + ' ' + r.left + '..' + r.right);
  }
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.scrollWidth > cell.clientWidth + 1 && !scrolls(cell))
      out.push('text wider than its cell: ' + name(cell));
  }
  for (const svg of document.querySelectorAll('svg')) {
    const texts = [...svg.querySelectorAll('text')].map((t) => [t, t.getBoundingClientRect()]);
    for (const [t, r] of texts) {
      if (r.height < 11) out.push('chart text under 11 px: ' + name(t) + ' ' + r.height);
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const [a, ra] = texts[i];
        const [b, rb] = texts[j];
        if (ra.left < rb.right - 0.5 && rb.left < ra.right - 0.5 &&
            ra.top < rb.bottom - 0.5 && rb.top < ra.bottom - 0.5)
          out.push('chart labels overlap: ' + name(a) + ' / ' + name(b));
      }
    }
  }
  return out;
}
"""


def _browser() -> Any:
    if CHROMIUM is None:
        component_missing("Debian's chromium", "make test installs it")
    try:
        from playwright import sync_api
    except ImportError:
        component_missing("playwright", "make test installs it")
    return sync_api


def _html(cli: Any, path: Path, *args: str) -> Path:
    r = cli(
        "report", "--month", "2026-10", "--format", "html", "-o", str(path), "--now", NOW, *args
    )
    assert r.exit_code == 0, r.output
    return path


@pytest.mark.parametrize("customer", [None, "acme"])
def test_the_report_fits_a_desktop_and_a_phone(
    october_desk: Path, cli: Any, tmp_path: Path, customer: str | None
) -> None:
    sync_api = _browser()
    page_file = _html(
        cli, tmp_path / "report.html", *(("--customer", customer) if customer else ())
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env={"HOME": str(tmp_path)}
        )
        try:
            for width, height in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(page_file.as_uri())
                page.wait_for_load_state("load")
                assert page.locator("svg.chart").count() == 4
                assert page.evaluate(PROBLEMS) == [], (width, customer)
                # numbers stand right-aligned in their columns
                aligned = page.evaluate(
                    "[...document.querySelectorAll('td[align=right]')]"
                    ".map((c) => getComputedStyle(c).textAlign)"
                )
                assert aligned
                assert set(aligned) == {"right"}
                page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()


def test_the_problems_script_sees_an_overflow_and_an_overlap(
    october_desk: Path, cli: Any, tmp_path: Path
) -> None:
    """The layout check is not blind: a page made to overflow and to overlap fails it."""
    sync_api = _browser()
    page_file = _html(cli, tmp_path / "report.html")
    text = page_file.read_text(encoding="utf-8")
    broken = text.replace(
        "</style>", "table { display: table; } td { white-space: nowrap; max-width: 3rem; }</style>"
    )
    broken = re.sub(r'(<text x=")[0-9.]+(" y=")[0-9.]+', r"\g<1>10\g<2>20", broken, count=2)
    page_file.write_text(broken, encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env={"HOME": str(tmp_path)}
        )
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812})
            page.goto(page_file.as_uri())
            problems = page.evaluate(PROBLEMS)
        finally:
            browser.close()
    assert any(p.startswith("outside the viewport") for p in problems)
    assert any(p.startswith("text wider than its cell") for p in problems)
    assert any(p.startswith("chart labels overlap") for p in problems)


def _bars(svg: str) -> list[dict[str, str]]:
    root = ET.fromstring(svg)
    return [r.attrib for r in root.iter(f"{SVG}rect")]


@pytest.mark.parametrize("customer", ["acme", "globex", None])
def test_every_bar_of_the_charts_has_a_size(
    october_desk: Path, cli: Any, tmp_path: Path, customer: str | None
) -> None:
    page = _html(cli, tmp_path / "r.html", *(("--customer", customer) if customer else ()))
    charts = re.findall(r"<svg\b.*?</svg>", page.read_text(encoding="utf-8"), re.DOTALL)
    assert len(charts) == 4
    by_title = {ET.fromstring(c).findtext(f"{SVG}title"): c for c in charts}
    hours = by_title["Hours used against the package"]
    bars = _bars(hours)
    assert bars  # a one-customer report draws its hours (the bar once had a negative height)
    for chart in charts:
        for bar in _bars(chart):
            assert float(bar["width"]) > 0, (customer, bar)
            assert float(bar["height"]) > 0, (customer, bar)


# The chart words in Russian (longer than English), as a translator might write them.
RUSSIAN = {
    "Requests created and resolved per day": "Заявки: поступило и решено по дням",
    "Created": "Поступило",
    "Resolved": "Решено",
    "Deadlines met, per kind of deadline": "Соблюдение сроков по видам сроков",
    "First response": "Первый ответ",
    "Start of work": "Начало работы",
    "Resolution": "Решение",
    "All deadlines": "Все сроки",
    "nothing due": "сроков не было",
    "target {target}": "цель {target}",
    "Hours used against the package": "Использованные часы пакета",
    "{used} h of {available} h": "{used} ч из {available} ч",
    "{used} h": "{used} ч",
    "Last six months": "Последние шесть месяцев",
    "Requests": "Заявки",
    "Deadlines met, %": "Сроки соблюдены, %",
    "Hours": "Часы",
    "package {hours} h": "пакет {hours} ч",
}


@pytest.mark.parametrize("customer", [None, "acme"])
def test_russian_chart_words_fit_a_phone(
    october_desk: Path, cli: Any, tmp_path: Path, customer: str | None
) -> None:
    sync_api = _browser()
    args = ("--customer", customer) if customer else ()
    page_file = _html(cli, tmp_path / "report.html", *args)
    r = cli("report", "--month", "2026-10", "--format", "json", "--now", NOW, *args)
    assert r.exit_code == 0, r.output
    model = json.loads(r.stdout)
    model["sla"]["compliance_target"] = 99.5
    russian = iter(charts(model, gettext=lambda s: RUSSIAN.get(s, s), locale="ru").values())
    html = re.sub(
        r"<svg\b.*?</svg>", lambda _m: next(russian), page_file.read_text("utf-8"), flags=re.S
    )
    assert "Поступило" in html
    page_file.write_text(html, encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env={"HOME": str(tmp_path)}
        )
        try:
            for width, height in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(page_file.as_uri())
                assert page.evaluate(PROBLEMS) == [], (width, customer)
                # no chart text is cut off at the drawing's sides
                outside = page.evaluate(
                    """[...document.querySelectorAll('svg.chart')].flatMap((svg) => {
                         const box = svg.getBoundingClientRect();
                         return [...svg.querySelectorAll('text')].filter((t) => {
                           const r = t.getBoundingClientRect();
                           return r.left < box.left - 0.5 || r.right > box.right + 0.5;
                         }).map((t) => t.textContent);
                       })"""
                )
                assert outside == [], (width, customer)
                page.close()
        finally:
            browser.close()
