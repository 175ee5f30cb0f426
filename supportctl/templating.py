"""The Jinja2 environment for every template: the support repo's `templates/` first,
then the packaged defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def environment(repo_templates: Path | None, filters: dict[str, Callable[..., Any]]) -> Any:
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders: list[Any] = []
    if repo_templates is not None and repo_templates.is_dir():
        loaders.append(FileSystemLoader(str(repo_templates)))
    loaders.append(PackageLoader("supportctl", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=False,  # Markdown output; the HTML made from it is sanitised with nh3
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters)
    return env


def render(env: Any, name: str, **context: Any) -> str:
    """Render template `name`; a broken template (often a repo's own override) is a one-line
    ConfigError naming the file and line, not a traceback."""
    from jinja2 import TemplateError, TemplateSyntaxError

    from supportctl.errors import ConfigError

    try:
        text: str = env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        where = f"templates/{exc.name or name}:{exc.lineno}"
        raise ConfigError(f"{where}: template error: {exc.message}") from None
    except TemplateError as exc:
        raise ConfigError(f"templates/{name}: template error: {exc.message or exc}") from None
    return text
