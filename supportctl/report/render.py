"""Render the report model: Markdown from a Jinja2 template, HTML from that Markdown.

Templates come from the support repo's `templates/` as committed at the report's own
commit, then the packaged defaults, and run in a sandbox (supportctl/templating.py,
which also holds the one escaping policy: every value a template prints is escaped).
The HTML made from Markdown is sanitised with nh3 as a second fence, and the finished
page is checked to load nothing from outside itself.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from supportctl.domain.errors import ConfigError
from supportctl.report.i18n import Formats
from supportctl.storage.templates import RepoTemplates, render_parts
from supportctl.storage.templates import render as render_template

if TYPE_CHECKING:
    from supportctl.storage.git import Repo

FORMATS = ("md", "html", "json")


def language_of(model: dict[str, Any]) -> str:
    return str(model["report"].get("language") or "en")


def template_name(model: dict[str, Any]) -> str:
    """A customer reads `report.customer.md.j2`; the team reads `report.md.j2`."""
    if model["report"].get("audience") == "customer":
        return "report.customer.md.j2"
    return "report.md.j2"


def render_markdown(model: dict[str, Any], templates: RepoTemplates) -> str:
    formats = Formats(language_of(model))
    parts = render_parts(
        templates,
        template_name(model),
        formats.filters(),
        formats.translations,
        r=model,
    )
    return tidied(parts)


_BLANK_RUN = re.compile(r"\n{3,}")


def tidied(parts: list[str]) -> str:
    """The text of `parts` with no more than one blank line in a row, and no white space
    at its end but one line end: `re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"` of
    their text, made a part at a time. `parts` is emptied as they are done: a report's
    text (megabytes) is then held about twice at most, not four times."""
    out: list[str] = []
    pending = 0  # the line ends at the end of what is done, not written yet
    parts.reverse()
    while parts:
        part = parts.pop()
        body = part.lstrip("\n")
        pending += len(part) - len(body)
        if not body:
            continue
        core = body.rstrip("\n")
        out.append("\n\n" if pending >= 3 else "\n" * pending)
        out.append(_BLANK_RUN.sub("\n\n", core))
        pending = len(body) - len(core)
    while out and not out[-1].strip():
        out.pop()
    if out:
        out[-1] = out[-1].rstrip()
    out.append("\n")
    return "".join(out)


def markdown_to_safe_html(text: str) -> str:
    import markdown
    import nh3

    html = markdown.markdown(
        text,
        extensions=["tables", "sane_lists"],
        # `align`, not a style attribute: nh3 keeps it, so number columns stay right-aligned
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    # No image at all: an <img> pointing outside is a tracking pixel in a customer's report.
    tags = (set(nh3.ALLOWED_TAGS) - {"img"}) | {
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "section",
    }
    attributes = {
        **{k: v for k, v in nh3.ALLOWED_ATTRIBUTES.items() if k != "img"},
        "th": {"align"},
        "td": {"align"},
        "a": {"href", "title"},
    }
    return str(
        nh3.clean(
            html,
            tags=tags,
            attributes=attributes,
            attribute_filter=_no_loads,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )


def _no_loads(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: only a link (`a href`, clicked, never fetched) may name a URL."""
    if attribute in _LOADING or (attribute == "href" and tag not in ("a", "area")):
        return None
    return value


# Attributes through which a browser fetches something by itself.
_LOADING = {
    "src", "srcset", "poster", "background", "data", "action", "formaction", "ping",
    "manifest", "codebase", "longdesc", "lowsrc", "dynsrc", "xlink:href", "imagesrcset",
}  # fmt: skip
# A backslash counts too: CSS resolves escapes in names (`\75 rl(`, `@\69mport`), so any
# escape in a style could spell a load; the packaged templates use none.
_CSS_LOAD = re.compile(r"url\s*\(|@import|image-set\s*\(|\\", re.IGNORECASE)
_ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "base", "portal"}


class _LoadFinder(HTMLParser):
    """Everything in a finished page that would make a browser fetch or run something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = (value or "").strip()
            local = value.startswith("#") or value.lower().startswith("data:")
            if (name in _LOADING or (name == "href" and tag not in ("a", "area"))) and not local:
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and _CSS_LOAD.search(value):
                self.found.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            elif tag == "meta" and name == "http-equiv" and value.lower() == "refresh":
                self.found.append("<meta http-equiv=refresh>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_LOAD.search(data):
            self.found.append("a stylesheet that loads a resource")


def external_loads(html: str) -> list[str]:
    """What in `html` would load (or run) something from outside the page."""
    finder = _LoadFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def render_html(model: dict[str, Any], templates: RepoTemplates) -> str:
    from markupsafe import Markup

    from supportctl.report.charts import charts

    formats = Formats(language_of(model))
    body = markdown_to_safe_html(render_markdown(model, templates))
    # Charts go right after the title block, before the first section.
    cut = body.find("<h2")
    head, rest = (body[:cut], body[cut:]) if cut >= 0 else (body, "")
    text = render_template(
        templates,
        "report.html.j2",
        formats.filters(),
        formats.translations,
        r=model,
        lang=formats.language,
        body_head=Markup(head),
        body_rest=Markup(rest),
        charts={
            name: Markup(svg)
            for name, svg in charts(
                model, gettext=formats.translations.gettext, locale=formats.language
            ).items()
        },
    )
    loads = external_loads(text)
    if loads:
        raise ConfigError(
            f"templates/report.html.j2: the page would load or run {loads[0]}; "
            "an HTML report must be self-contained"
        )
    return text.rstrip() + "\n"


def render_json(model: dict[str, Any]) -> str:
    # `json.dumps` with an indent joins a list of every piece of the text: millions of
    # small strings for a desk's report; written one by one, only the text is held
    text = io.StringIO()
    for piece in json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(model):
        text.write(piece)
    text.write("\n")
    return text.getvalue()


def render(model: dict[str, Any], fmt: str, git: Repo | None) -> str:
    """The report in `fmt`; templates are read from the commit the model was computed from."""
    templates = RepoTemplates(git, model["report"]["commit"])
    if fmt == "md":
        return render_markdown(model, templates)
    if fmt == "html":
        return render_html(model, templates)
    return render_json(model)
