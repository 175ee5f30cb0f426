"""The report's charts from a model: what each one draws, in which language, and that the
SVG is well-formed, escaped, free of zero-sized bars and the same bytes every time."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from supportctl.report.charts import CHARTS, FONT, WIDTH, charts

GOLDEN = Path(__file__).parent / "golden" / "report.json"
SVG = "{http://www.w3.org/2000/svg}"


def _model() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_every_chart_is_accessible_well_formed_svg_with_a_readable_font() -> None:
    drawn = charts(_model())
    assert list(drawn) == list(CHARTS)
    for svg in drawn.values():
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        assert root.get("aria-label") == root.findtext(f"{SVG}title")
        assert root.findtext(f"{SVG}desc")
        assert root.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
        sizes = {float(t.get("font-size", "0")) for t in root.iter(f"{SVG}text")}
        assert min(sizes) >= FONT
        for rect in root.iter(f"{SVG}rect"):
            assert float(rect.get("width", "0")) > 0
            assert float(rect.get("height", "0")) > 0
        assert "script" not in svg.lower()


def test_the_same_model_gives_the_same_bytes() -> None:
    assert charts(_model()) == charts(copy.deepcopy(_model()))


def test_the_days_are_the_periods_with_date_labels_and_a_scale_that_fits() -> None:
    model = _model()
    svg = charts(model)["daily"]
    labels = _texts(svg)
    assert "Oct 1" in labels
    assert "Oct 29" in labels
    assert not any(t.startswith(("Sep", "Nov")) for t in labels)
    # the busiest day had one request: the scale runs to 1, not to a round 40
    peak = max(max(d["created"], d["resolved"]) for d in model["daily"])
    assert peak == 1
    assert [t for t in labels if t.isdigit()] == ["0", "1"]
    # a bar per day with something in it, each with its day in a tooltip
    tips = re.findall(r"<rect[^>]*><title>([^<]*)</title>", svg)
    assert tips
    assert all(t.startswith("Oct ") for t in tips)


def test_compliance_is_drawn_against_the_plans_target_and_below_it_stands_out() -> None:
    model = _model()
    assert "target" not in " ".join(_texts(charts(model)["compliance"]))
    model["sla"]["compliance_target"] = 95.0
    svg = charts(model)["compliance"]
    assert "target 95%" in _texts(svg)
    assert 'stroke-dasharray="4 3"' in svg  # the target line
    assert "#d9822b" in svg  # 33% is below 95%: orange
    model["sla"]["compliance_target"] = 20.0
    assert "#d9822b" not in charts(model)["compliance"]


def test_hours_against_the_package_for_one_customer() -> None:
    model = _model()
    model["time"]["customers"] = model["time"]["customers"][:1]
    svg = charts(model)["hours"]
    assert "1.5 h of 10 h" in _texts(svg)
    widths = [float(r.get("width", "0")) for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert len(widths) == 2  # the package's track and the hours used
    assert widths[1] / widths[0] == 0.15


def test_the_trend_shows_six_months_with_their_figures() -> None:
    model = _model()
    model["trend"][0].update(requests=7, compliance_percent=87.5, hours=12.25)
    texts = _texts(charts(model)["trend"])
    for month in ("May", "Jun", "Jul", "Aug", "Sep", "Oct"):
        assert texts.count(month) == 3  # under each of the three rows
    assert "7" in texts
    assert "88" in texts  # 87.5 % rounded for the column's label
    assert "12.2" in texts


def test_text_is_translated_and_formatted_for_the_language() -> None:
    def shout(text: str) -> str:
        return "«" + text + "»"

    drawn = charts(_model(), gettext=shout, locale="ru")
    for name, svg in drawn.items():
        root = ET.fromstring(svg)
        title = root.findtext(f"{SVG}title") or ""
        assert title.startswith("«"), name
        assert title.endswith("»"), name
    daily = _texts(drawn["daily"])
    assert "1 окт." in daily
    assert "«Created»" in daily
    assert "«Resolved»" in daily
    assert "33,3\u00a0%" in _texts(drawn["compliance"])
    assert "окт." in _texts(drawn["trend"])


def test_the_trend_title_names_both_months_uncut_in_a_longer_language() -> None:
    from supportctl.storage.locale import translations

    for language, months in (("ru", ("май", "окт.")), ("uk", ("трав.", "жовт."))):
        gettext = translations(language).gettext
        heading = _texts(charts(_model(), gettext=gettext, locale=language)["trend"])[0]
        assert heading.startswith(gettext("Last six months")), heading
        assert "…" not in heading
        for month in months:
            assert month in heading
    # the months of two years: the shorter form would not fit, the digits do
    model = _model()
    for i, m in enumerate(model["trend"]):
        m["month"] = ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04")[i]
    heading = _texts(charts(model, gettext=translations("ru").gettext, locale="ru")["trend"])[0]
    assert heading.endswith("11.2025—04.2026"), heading


def test_names_are_escaped_and_stay_out_of_attributes() -> None:
    model = _model()
    model["time"]["customers"][0]["name"] = '<img src=x onerror="alert(1)"> & co'
    svg = charts(model)["hours"]
    assert "<img" not in svg
    assert "&lt;img src=x" in svg
    root = ET.fromstring(svg)
    assert "img" not in (root.get("aria-label") or "")
    assert any(t.startswith("<img") for t in _texts(svg))


def test_a_chart_with_nothing_to_show_is_left_out() -> None:
    model = _model()
    for c in model["time"]["customers"]:
        c.update(hours_used=0.0, available_hours=0.0)
    for m in model["sla"]["compliance"].values():
        m["percent"] = None
    drawn = charts({**model, "daily": [], "trend": []})
    assert drawn == {}


def test_a_long_name_or_translation_is_cut_to_the_drawing() -> None:
    model = _model()
    model["time"]["customers"][0]["name"] = "Общество с ограниченной ответственностью " * 3
    drawn = charts(model, gettext=lambda s: s * 4)
    for svg in drawn.values():
        for text in _texts(svg):
            if len(text) > 50:
                assert text.endswith("…"), text
                assert len(text) * 0.62 * FONT <= WIDTH, text
