"""Render the report model: Markdown from a Jinja2 template, HTML from that Markdown.

Templates are looked up first in the support repo's `templates/`, then in the
packaged defaults. Every piece of ticket text goes through `md` (escapes Markdown and
HTML), and the HTML made from Markdown is sanitised with nh3 as a second fence.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from supportctl.durations import format_duration
from supportctl.templating import render as render_template

FORMATS = ("md", "html", "json")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(value: Any) -> str:
    """Ticket text safe inside Markdown (tables included): one line, no markup, no HTML."""
    text = " ".join(str(value if value is not None else "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def dur(seconds: Any) -> str:
    if seconds is None:
        return "—"
    return format_duration(float(seconds))


def pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1f}%"


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else ("±0" if value == 0 else str(value))


def hours(value: Any) -> str:
    return f"{float(value):.2f}"


def money(value: Any, currency: str = "") -> str:
    text = f"{float(value):,.2f}".replace(",", " ")
    return f"{text} {currency}".strip()


def environment(repo_templates: Path | None) -> Any:
    from supportctl.templating import environment as make

    return make(
        repo_templates,
        {"md": md, "dur": dur, "pct": pct, "signed": signed, "hours": hours, "money": money},
    )


def render_markdown(model: dict[str, Any], repo_templates: Path | None) -> str:
    text = render_template(environment(repo_templates), "report.md.j2", r=model)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def markdown_to_safe_html(text: str) -> str:
    import markdown
    import nh3

    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    tags = set(nh3.ALLOWED_TAGS) | {"table", "thead", "tbody", "tr", "th", "td", "section"}
    attributes = {
        **nh3.ALLOWED_ATTRIBUTES,
        "th": {"align"},
        "td": {"align"},
        "a": {"href", "title"},
    }
    return str(
        nh3.clean(
            html,
            tags=tags,
            attributes=attributes,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )


def render_html(model: dict[str, Any], repo_templates: Path | None) -> str:
    from supportctl.report.charts import charts

    body = markdown_to_safe_html(render_markdown(model, repo_templates))
    # Charts go right after the title block, before the first section.
    cut = body.find("<h2")
    head, rest = (body[:cut], body[cut:]) if cut >= 0 else (body, "")
    env = environment(repo_templates)
    text = render_template(
        env, "report.html.j2", r=model, body_head=head, body_rest=rest, charts=charts(model)
    )
    return text.rstrip() + "\n"


def render_json(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def render(model: dict[str, Any], fmt: str, repo_templates: Path | None) -> str:
    if fmt == "md":
        return render_markdown(model, repo_templates)
    if fmt == "html":
        return render_html(model, repo_templates)
    return render_json(model)
