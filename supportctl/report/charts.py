"""Inline SVG charts for the HTML report: plain SVG written here, no script, no external load.

Every chart is drawn on a viewBox 360 units wide with text of 12 units, so that at a
phone's width (375 CSS px, the drawing ~340 px wide) text stays above 11 px; on a desktop
the drawing scales up. Labels are spaced by their estimated width so none overlap; a bar
of zero is not drawn (no rectangle has a zero or negative size). Text is escaped, numbers
are written with fixed precision, so the same model gives the same bytes.

Every visible string goes through the `gettext` given (`_("...")`, for extraction), dates
and numbers are formatted by Babel for the report's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

WIDTH = 360
FONT = 12  # user units; x 340/360 at a phone's width = 11.3 px
CHAR = 0.62 * FONT  # a generous average glyph width, for spacing labels (Cyrillic included)
INK = "#1d2330"
MUTED = "#5b6475"
GRID = "#d6dbe4"
TRACK = "#eef2f8"
BLUE = "#2f6fb0"
GREEN = "#3a9a5b"
ORANGE = "#d9822b"
CHARTS = ("daily", "compliance", "hours", "trend")


def _n(value: float) -> str:
    """A coordinate with one decimal, without a trailing `.0`: stable bytes."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float = FONT) -> float:
    return len(text) * 0.62 * size


def fit(text: str, room: float = WIDTH - 2.0) -> str:
    """`text`, cut with an ellipsis where it would run past `room` (a long name or a long
    translation never leaves the drawing)."""
    while text_width(text) > room and len(text) > 2:
        text = text[:-2] + "…"
    return text


@dataclass
class _Svg:
    height: float
    title: str
    label: str
    parts: list[str] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        anchor: str = "start",
        size: float = FONT,
        weight: str = "",
        fill: str = INK,
    ) -> None:
        bold = ' font-weight="bold"' if weight else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}"'
            f'{bold} fill="{fill}">{escape(content)}</text>'
        )

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> None:
        if w <= 0 or h <= 0:
            return  # nothing to draw: never a rectangle of zero or negative size
        hint = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}">'
            f"{hint}</rect>"
            if hint
            else f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"/>'
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, stroke: str, dash: bool = False
    ) -> None:
        dashes = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'stroke="{stroke}" stroke-width="1.5"{dashes}/>'
        )

    def render(self) -> str:
        h = _n(self.height)
        return (
            # the label names no data (a customer's name stays out of attributes); the
            # figures are told in <desc>
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label={quoteattr(self.title)} '
            f'viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" class="chart" '
            f'font-family="sans-serif"><title>{escape(self.title)}</title>'
            f"<desc>{escape(self.label)}</desc>" + "".join(self.parts) + "</svg>"
        )


@dataclass(frozen=True)
class _Formats:
    gettext: Callable[[str], str]
    locale: str

    def number(self, value: float) -> str:
        from babel.numbers import format_decimal

        return str(format_decimal(value, format="#,##0.##", locale=self.locale))

    def percent(self, value: float) -> str:
        from babel.numbers import format_percent

        # the language's own pattern ("33,3 %" in Russian), one decimal at most
        share = Decimal(str(round(value, 1))) / 100
        return str(format_percent(share, locale=self.locale, decimal_quantization=False))

    def day(self, day: date) -> str:
        from babel.dates import format_skeleton

        return str(format_skeleton("MMMd", day, locale=self.locale))

    def month(self, month: str) -> str:
        from babel.dates import format_date

        return str(format_date(date.fromisoformat(month + "-01"), "LLL", locale=self.locale))

    def month_year(self, month: str) -> str:
        from babel.dates import format_skeleton

        return str(format_skeleton("yMMM", date.fromisoformat(month + "-01"), locale=self.locale))


def _scale_top(peak: float) -> tuple[float, float]:
    """A round top for an axis reaching `peak`, and its tick step (at most 4 ticks)."""
    if peak <= 0:
        return 1.0, 1.0
    step = 1.0
    while True:
        for mult in (1, 2, 5):
            s = step * mult
            if peak / s <= 4:
                top = s * -(-peak // s)
                return top, s
        step *= 10


def _legend(svg: _Svg, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    for colour, whole in items:
        name = fit(whole, 120)
        svg.rect(x, y - 9, 10, 10, colour)
        svg.text(x + 14, y, name)
        x += 14 + text_width(name) + 14


def _daily(rows: Sequence[dict[str, Any]], f: _Formats) -> str:
    _ = f.gettext
    days = [date.fromisoformat(str(r["day"])) for r in rows]
    created = [int(r["created"]) for r in rows]
    resolved = [int(r["resolved"]) for r in rows]
    title = _("Requests created and resolved per day")
    label = _("{created} requests created and {resolved} resolved from {first} to {last}").format(
        created=sum(created), resolved=sum(resolved), first=f.day(days[0]), last=f.day(days[-1])
    )
    svg = _Svg(214, title, label)
    svg.text(0, 14, fit(title), weight="bold")
    _legend(svg, 0, 34, [(BLUE, _("Created")), (GREEN, _("Resolved"))])
    top, step = _scale_top(max([*created, *resolved]))
    ticks = [step * i for i in range(int(top / step) + 1)]
    left = max(text_width(f.number(t)) for t in ticks) + 6
    plot_top, plot_bottom, right = 50.0, 184.0, WIDTH - 2.0
    height = plot_bottom - plot_top

    def y_of(v: float) -> float:
        return plot_bottom - height * v / top

    for t in ticks:
        svg.line(left, y_of(t), right, y_of(t), GRID)
        svg.text(left - 4, y_of(t) + 4, f.number(t), anchor="end", fill=MUTED)
    slot = (right - left) / len(rows)
    bar = slot * 0.4
    for i, day in enumerate(days):
        x = left + slot * i + slot * 0.1
        tip = _("{day}: {created} created, {resolved} resolved").format(
            day=f.day(day), created=created[i], resolved=resolved[i]
        )
        svg.rect(x, y_of(created[i]), bar, plot_bottom - y_of(created[i]), BLUE, tip)
        svg.rect(x + bar, y_of(resolved[i]), bar, plot_bottom - y_of(resolved[i]), GREEN, tip)
    # a label every k days, k chosen so that labels never touch
    need = max(text_width(f.day(d)) for d in days) + 8
    every = next((k for k in (1, 2, 7, 14, 28) if k * slot >= need), -(-need // slot))
    for i in range(0, len(days), int(every)):
        centre = left + slot * (i + 0.5)
        half = text_width(f.day(days[i])) / 2
        if centre + half > WIDTH:  # the last label may not fit at the right edge
            continue
        svg.line(centre, plot_bottom, centre, plot_bottom + 3, MUTED)
        svg.text(max(centre, half), plot_bottom + 20, f.day(days[i]), anchor="middle")
    return svg.render()


_METRIC_NAMES = ("first_response", "start_work", "resolution", "overall")


def _metric_label(metric: str, _: Callable[[str], str]) -> str:
    names = {
        "first_response": _("First response"),
        "start_work": _("Start of work"),
        "resolution": _("Resolution"),
        "overall": _("All deadlines"),
    }
    return names.get(metric, metric.replace("_", " "))


def _rows_chart(
    svg: _Svg,
    top: float,
    rows: Sequence[tuple[str, str, float, float, str]],
    scale: float,
) -> float:
    """Rows of (name, figure, value, track, colour): the name left and the figure right
    above a bar of `value` over a light track of `track`, on a scale from 0 to `scale`."""
    y = top
    width = WIDTH - 2.0
    for name, whole, value, track, colour in rows:
        figure = fit(whole, width / 2)
        svg.text(0, y + 12, fit(name, width - text_width(figure) - 8))
        svg.text(width, y + 12, figure, anchor="end", weight="bold", fill=colour)
        svg.rect(0, y + 17, width * min(track, scale) / scale, 12, TRACK)
        svg.rect(0, y + 17, width * min(value, scale) / scale, 12, colour)
        y += 38
    return y


def _compliance(sla: dict[str, Any], f: _Formats) -> str | None:
    _ = f.gettext
    comp = sla.get("compliance") or {}
    target = sla.get("compliance_target")
    rows = []
    for metric in [m for m in _METRIC_NAMES if m in comp] + [
        m for m in comp if m not in _METRIC_NAMES
    ]:
        value = comp[metric].get("percent")
        if value is None:
            rows.append((_metric_label(metric, _), _("nothing due"), 0.0, 0.0, MUTED))
            continue
        below = target is not None and float(value) < float(target)
        rows.append(
            (_metric_label(metric, _), f.percent(float(value)), float(value), 100.0,
             ORANGE if below else BLUE)
        )  # fmt: skip
    if all(r[1] == _("nothing due") for r in rows):
        return None
    title = _("Deadlines met, per kind of deadline")
    summary = "; ".join(f"{r[0]}: {r[1]}" for r in rows)
    if target is not None:
        summary += "; " + _("target {target}").format(target=f.percent(float(target)))
    svg = _Svg(38 + 38 * len(rows), title, summary)
    svg.text(0, 14, fit(title), weight="bold")
    if target is not None:
        svg.text(WIDTH - 2, 30, fit(_("target {target}").format(target=f.percent(float(target)))),
                 anchor="end", fill=MUTED)  # fmt: skip
    end = _rows_chart(svg, 34, rows, 100.0)
    if target is not None:
        x = (WIDTH - 2.0) * float(target) / 100
        for i in range(len(rows)):
            svg.line(x, 34 + 38 * i + 14, x, 34 + 38 * i + 32, INK, dash=True)
    svg.height = end
    return svg.render()


def _hours(time: dict[str, Any], f: _Formats) -> str | None:
    _ = f.gettext
    customers = time.get("customers") or []
    rows = []
    for c in customers:
        used = float(c.get("hours_used") or 0)
        available = float(c.get("available_hours") or 0)
        if available > 0:
            figure = _("{used} h of {available} h").format(
                used=f.number(used), available=f.number(available)
            )
        else:
            figure = _("{used} h").format(used=f.number(used))
        rows.append((str(c.get("name") or c.get("customer") or ""), figure, used, available,
                     ORANGE if available and used > available else BLUE))  # fmt: skip
    if not rows or not any(r[2] or r[3] for r in rows):
        return None
    title = _("Hours used against the package")
    svg = _Svg(0, title, "; ".join(f"{r[0]}: {r[1]}" for r in rows))
    svg.text(0, 14, fit(title), weight="bold")
    scale = max(max(r[2], r[3]) for r in rows)
    svg.height = _rows_chart(svg, 22, rows, scale)
    return svg.render()


def _trend_heading(title: str, months: Sequence[dict[str, Any]], f: _Formats) -> str:
    """The trend's title with its months, in the first form that fits the drawing: both
    months whole, else the locale's shorter month range (`май — окт. 2026 г.`), else digits."""
    first, last = (date.fromisoformat(f"{months[i]['month']}-01") for i in (0, -1))
    whole = f"{title}: {f.month_year(str(months[0]['month']))} – {f.month_year(str(months[-1]['month']))}"
    if text_width(whole) <= WIDTH - 2.0:
        return whole
    from babel.dates import format_interval

    for skeleton in ("yMMM", "yM"):
        short = f"{title}: {format_interval(first, last, skeleton, locale=f.locale)}"
        if text_width(short) <= WIDTH - 2.0:
            return short
    return short


def _trend(months: Sequence[dict[str, Any]], target: Any, package: float, f: _Formats) -> str:
    _ = f.gettext
    title = _("Last six months")
    first, last = f.month_year(str(months[0]["month"])), f.month_year(str(months[-1]["month"]))
    label = f"{title}, {first} – {last}: " + "; ".join(
        _("{month}: {requests} requests, {compliance} of deadlines met, {hours} h").format(
            month=f.month_year(str(m["month"])),
            requests=m["requests"],
            compliance="—" if m["compliance_percent"] is None
            else f.percent(float(m["compliance_percent"])),
            hours=f.number(float(m["hours"])),
        )
        for m in months
    )  # fmt: skip
    svg = _Svg(0, title, label)
    svg.text(0, 14, fit(_trend_heading(title, months, f)), weight="bold")
    panels: list[tuple[str, list[float | None], Callable[[float], str], float | None, str]] = [
        (_("Requests"), [float(m["requests"]) for m in months], lambda v: f.number(v), None, BLUE),
        (
            _("Deadlines met, %"),
            [None if m["compliance_percent"] is None else float(m["compliance_percent"])
             for m in months],
            lambda v: f.number(round(v)),
            None if target is None else float(target),
            GREEN,
        ),
        (_("Hours"), [float(m["hours"]) for m in months], lambda v: f.number(round(v, 1)),
         package or None, ORANGE),
    ]  # fmt: skip
    y = 24.0
    slot = (WIDTH - 2.0) / len(months)
    for name, values, fmt, ref, colour in panels:
        heading = name
        if ref is not None:
            heading += " · " + (
                _("target {target}").format(target=f.percent(ref))
                if colour == GREEN
                else _("package {hours} h").format(hours=f.number(ref))
            )
        svg.text(0, y + 14, fit(heading), weight="bold", fill=MUTED)
        base = y + 82
        peak = 100.0 if colour == GREEN else max([v or 0.0 for v in values] + [ref or 0.0, 1.0])
        for i, (m, v) in enumerate(zip(months, values, strict=True)):
            x = slot * i
            if v is None:
                svg.text(x + slot / 2, base - 4, "—", anchor="middle", fill=MUTED)
            else:
                h = 46 * v / peak
                svg.rect(x + slot * 0.2, base - h, slot * 0.6, h, colour)
                svg.text(x + slot / 2, base - h - 4, fmt(v), anchor="middle")
            svg.text(x + slot / 2, base + 15, f.month(str(m["month"])), anchor="middle",
                     fill=MUTED)  # fmt: skip
        svg.line(0, base, WIDTH - 2, base, GRID)
        if ref is not None:
            ry = base - 46 * ref / peak
            svg.line(0, ry, WIDTH - 2, ry, INK, dash=True)
        y = base + 24
    svg.height = y
    return svg.render()


def charts(
    model: dict[str, Any], *, gettext: Callable[[str], str] = lambda s: s, locale: str = "en"
) -> dict[str, str]:
    """Name -> inline SVG, in the order of CHARTS; a chart with nothing to show is left out."""
    f = _Formats(gettext, locale)
    out: dict[str, str] = {}
    daily = model.get("daily") or []
    if daily:
        out["daily"] = _daily(daily, f)
    sla = model.get("sla") or {}
    compliance = _compliance(sla, f)
    if compliance:
        out["compliance"] = compliance
    hours = _hours(model.get("time") or {}, f)
    if hours:
        out["hours"] = hours
    trend = model.get("trend") or []
    if trend:
        customers = (model.get("time") or {}).get("customers") or []
        package = (
            float(customers[0].get("package_hours") or 0)
            if (model.get("report") or {}).get("customer") and len(customers) == 1
            else 0.0
        )
        out["trend"] = _trend(trend, sla.get("compliance_target"), package, f)
    return out
