"""Inline SVG charts for the HTML report, drawn by the `leather` charting library.

leather writes plain SVG through ElementTree (text is escaped, no scripts) and is
deterministic, so the same report renders byte-identical charts.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

PALETTE = ("#2f6fb0", "#d9822b", "#3a9a5b", "#b53f5a")


def _svg(chart: Any, width: int, height: int, label: str) -> str:
    buf = io.StringIO()
    chart.to_svg(buf, width=width, height=height)
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg, flags=re.DOTALL)
    # Scale with the page on phones: keep the drawing's aspect through viewBox.
    svg = svg.replace(
        f'<svg width="{width}" height="{height}"',
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" class="chart"',
        1,
    )
    return svg.replace("Monaco", "sans-serif")


def charts(
    model: dict[str, Any], *, gettext: Callable[[str], str] = lambda s: s, locale: str = "en"
) -> dict[str, str]:
    """Name -> inline SVG. Visible strings go through `gettext`; dates and numbers are
    formatted for `locale`."""
    import leather

    _ = gettext

    leather.theme.background_color = "#ffffff"
    leather.theme.default_series_colors = list(PALETTE)
    out: dict[str, str] = {}

    daily = model.get("daily") or []
    if daily:
        chart = leather.Chart(_("Created vs resolved per day"))
        created = [(i + 1, d["created"]) for i, d in enumerate(daily)]
        resolved = [(i + 1, d["resolved"]) for i, d in enumerate(daily)]
        chart.add_x_scale(1, max(2, len(daily)))
        top = max([1] + [v for _, v in created + resolved])
        chart.add_y_scale(0, top)
        chart.add_line(created, name=_("created"), stroke_color=PALETTE[0])
        chart.add_line(resolved, name=_("resolved"), stroke_color=PALETTE[2])
        out["daily"] = _svg(chart, 720, 300, _("Tickets created and resolved per day"))

    comp = (model.get("sla") or {}).get("compliance") or {}
    rows = [
        (float(v["percent"]), k.replace("_", " "))
        for k, v in comp.items()
        if v.get("percent") is not None
    ]
    if rows:
        chart = leather.Chart(_("SLA compliance, %"))
        chart.add_x_scale(0, 100)
        chart.add_bars(rows, fill_color=PALETTE[0])
        out["compliance"] = _svg(chart, 720, 240, _("SLA compliance per metric"))

    per_customer = [
        (float(c["hours_used"]), str(c["name"])[:30])
        for c in (model.get("time") or {}).get("customers", [])
    ]
    if per_customer and any(h for h, _ in per_customer):
        chart = leather.Chart(_("Hours logged per customer"))
        chart.add_bars(per_customer, fill_color=PALETTE[1])
        out["hours"] = _svg(chart, 720, 60 + 40 * len(per_customer), _("Hours logged per customer"))
    return out
