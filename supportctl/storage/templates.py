"""Every template is rendered here, and every value a template prints is escaped here.

Templates come from the support repo's `templates/` as committed at the commit being
reported on, then from the packaged defaults. A repo's template is code that any
teammate's commit (and `sync`) brings to every machine that makes a report, so:

- it runs in Jinja2's immutable sandbox: `cycler.__init__.__globals__.os` and the like
  are refused (a one-line ConfigError naming the template, exit 4);
- it is read from the commit (git blobs), never through the work tree, and a symbolic
  link is followed only inside the commit's tree: otherwise a committed
  `templates/report.md.j2 -> /etc/passwd` would put a local file into a customer's report.

One escaping policy (`supportctl.domain.text`): in a Markdown template every printed
value is escaped for Markdown and HTML (`escape_markdown`), unless a filter already made
it safe (`md`, `quote`, `code`, or `safe` for Markdown that is meant); in an HTML template every value is HTML-escaped
(autoescape). Text in data never becomes markup, a link or an image. A plain-text
template (`.txt.j2`, a mail body) prints values as they are: nothing reads markup there.
"""

from __future__ import annotations

import posixpath
import re
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from supportctl.domain.errors import ConfigError
from supportctl.domain.text import escape_markdown, md_code, md_quote, md_text

if TYPE_CHECKING:
    import gettext
    from collections.abc import Callable, Iterable, Iterator

    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Repo

FOLDER = "templates"
REPLIES = "replies"  # canned replies: templates/replies/<name>[.<language>].md
LINK_MODE = "120000"  # a symbolic link in a git tree
FILE_MODES = ("100644", "100755")


class MarkdownText(Markup):
    """Markdown that is safe to print as is. Joined with plain text, the text is escaped
    with the Markdown policy (markupsafe's `Markup` would only escape HTML)."""

    @classmethod
    def escape(cls, s: Any) -> MarkdownText:
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(escape_markdown(str(s)))


def md(value: Any) -> MarkdownText:
    """Filter `md`: `md_text`, marked safe."""
    return MarkdownText(md_text(value))


def quote(value: Any, indent: int = 0) -> MarkdownText:
    """Filter `quote`: `md_quote`, marked safe."""
    return MarkdownText(md_quote(value, indent))


def code(value: Any) -> MarkdownText:
    """Filter `code`: `md_code`, marked safe."""
    return MarkdownText(md_code(value))


def _markdown_value(value: Any) -> Any:
    """`finalize` of Markdown templates: what is not already safe is escaped."""
    if hasattr(value, "__html__"):
        return value
    return MarkdownText(escape_markdown(str(value)))


def _join(env: Any, value: Any, d: str = "", attribute: Any = None) -> MarkdownText:
    """`join` of Markdown templates: items and separator escaped unless already safe."""
    items = [env.getattr(v, attribute) if attribute is not None else v for v in value]
    return MarkdownText(_markdown_value(d)).join(items)


def is_html(name: str) -> bool:
    return name.endswith((".html.j2", ".html", ".svg.j2", ".xml.j2"))


def is_plain_text(name: str) -> bool:
    """A plain-text template (a mail body, a canned reply): values are printed as they
    are, since no markup reads them; the sandbox and its limits are the same."""
    return name.endswith(".txt.j2") or name.startswith(REPLIES + "/")


class RepoTemplates:
    """The support repo's `templates/` folder as committed at one commit.

    Everything is read from the commit's tree, never from the work tree. A symbolic link
    is resolved inside that tree (this project's own checkout links `templates` to
    `supportctl/templates`); one that points outside the repo is refused."""

    def __init__(self, git: Repo | None, commit: str | None) -> None:
        self.git = git
        self.commit = commit

    def _entries(self, path: str) -> list[tuple[str, str, str]]:
        assert self.git is not None
        assert self.commit is not None
        return self.git.entries_at(self.commit, path)

    def _follow(self, shown: str, path: str, target: str) -> str:
        """Where the link at `path` (shown to the user as `shown`) points, inside the repo."""
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            raise ConfigError(f"{shown}: {_LINK_OUTSIDE}")
        return resolved

    @cached_property
    def _folder(self) -> dict[str, tuple[str, str, str]]:
        """name under templates/ -> (path in the tree, mode, object id)."""
        if self.git is None or self.commit is None:
            return {}
        folder = FOLDER
        for _ in range(MAX_LINKS):
            entries = self._entries(folder)
            if not (len(entries) == 1 and entries[0][0] == folder and entries[0][1] == LINK_MODE):
                return {p[len(folder) + 1 :]: (p, mode, sha) for p, mode, sha in entries}
            target = self.git.blob(entries[0][2]).decode("utf-8", "replace")
            folder = self._follow(FOLDER, folder, target)
        raise ConfigError(f"{FOLDER}: {_LINK_LOOP}")

    def names(self, under: str) -> list[str]:
        """The committed names of the files in `templates/<under>/` (and below it)."""
        return sorted(n for n in self._folder if n.startswith(under + "/"))

    def source(self, name: str) -> str | None:
        """The committed text of `templates/<name>`, or None when there is no such file."""
        entry = self._folder.get(name)
        if entry is None:
            return None
        assert self.git is not None
        shown = f"{FOLDER}/{name}"
        path, mode, sha = entry
        for _ in range(MAX_LINKS):
            if mode != LINK_MODE:
                break
            path = self._follow(shown, path, self.git.blob(sha).decode("utf-8", "replace"))
            found = [e for e in self._entries(path) if e[0] == path]
            if not found:
                raise ConfigError(f"{shown}: a symbolic link to {path}, which is not in the commit")
            path, mode, sha = found[0]
        else:
            raise ConfigError(f"{shown}: {_LINK_LOOP}")
        if mode not in FILE_MODES:
            raise ConfigError(f"{shown}: not a file")
        try:
            return self.git.blob(sha).decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{shown}: not UTF-8 text") from None


def uncommitted_templates(repo: Desk) -> list[str]:
    """Files under `templates/` that differ from HEAD: they are not used until committed."""
    # Read-only: no symlink refusal (templates are read from the commit) and no index lock.
    return sorted(repo.git.uncommitted(FOLDER)) if repo.git.head() else []


MAX_LINKS = 8
_LINK_OUTSIDE = (
    "a symbolic link out of the repo; templates are read from the commit and a link is "
    "followed only inside it (commit the template file itself)"
)
_LINK_LOOP = "too many symbolic links"
_MAX_PRODUCT = 1_000_000  # items a template may make with `*`
_MAX_POWER_BITS = 100_000  # size of an integer a template may make with `**`
_WIDTH = re.compile(r"%[-+ #0]*(\d+)|\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")


def _check_widths(fmt: str) -> None:
    """A format (`%`, `format`) whose field widths or precisions could make a huge string
    is refused (SecurityError), before anything is allocated."""
    from jinja2.exceptions import SecurityError

    if "%*" in fmt or "*." in fmt:
        raise SecurityError("a format with a width taken from its arguments")
    for m in _WIDTH.finditer(fmt):
        if int(m.group(1) or m.group(2)) > _MAX_PRODUCT:
            raise SecurityError(f"a format width past {_MAX_PRODUCT:,}")


def _bounded(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja2's filter `name`, refusing a width (any whole-number argument) or a format that
    would make a string past the sandbox's limit."""

    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        from jinja2.exceptions import SecurityError

        if name == "format" and isinstance(value, str):
            _check_widths(value)
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and arg > _MAX_PRODUCT:
                raise SecurityError(f"`{name}` past {_MAX_PRODUCT:,} characters")
        return real(value, *args, **kwargs)

    return bounded


def _install_translations(env: Any, translations: gettext.NullTranslations, safe: type) -> None:
    """Jinja2's i18n extension (`{% trans %}`, `_()`, `ngettext()`) with the escaping policy of
    the template: the translated text is the template's own (safe), the values put into it
    are escaped like any other printed value (`safe` is MarkdownText or Markup)."""
    from jinja2 import pass_context

    def fill(context: Any, text: str, variables: dict[str, Any]) -> Any:
        if context.eval_ctx.autoescape:
            return safe(text) % variables
        return text % variables

    @pass_context
    def gettext(context: Any, message: str, **variables: Any) -> Any:
        return fill(context, translations.gettext(message), variables)

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> Any:
        variables.setdefault("num", n)
        return fill(context, translations.ngettext(singular, plural, n), variables)

    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    # install_gettext_callables wraps the callables in its own, which escape values for
    # HTML only; ours keep the Markdown policy in Markdown templates.
    env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)


def environment(
    templates: RepoTemplates,
    name: str,
    filters: dict[str, Callable[..., Any]],
    translations: gettext.NullTranslations | None = None,
) -> Any:
    """A sandboxed environment for template `name`: Markdown escaping for Markdown
    templates, HTML autoescape for HTML ones; with `translations`, Jinja2's i18n extension
    speaking that language."""
    from jinja2 import BaseLoader, ChoiceLoader, PackageLoader, StrictUndefined, TemplateNotFound
    from jinja2.exceptions import SecurityError
    from jinja2.loaders import split_template_path
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class CommitLoader(BaseLoader):
        def get_source(
            self, environment: Any, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            path = "/".join(split_template_path(template))
            text = templates.source(path)
            if text is None:
                raise TemplateNotFound(template)
            return text, f"{FOLDER}/{path}", lambda: True

    class Sandbox(ImmutableSandboxedEnvironment):
        # `'a' * 10**9` or `9 ** 9 ** 9` would take the memory or the time of the machine
        # that makes the report (CI included): refused like any other unsafe operation.
        # `+` of strings or lists doubles them as fast, and `%` formats to any width.
        intercepted_binops = frozenset(["*", "**", "+", "%"])

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if (
                operator == "+"
                and isinstance(left, str | bytes | list | tuple)
                and hasattr(right, "__len__")
                and len(left) + len(right) > _MAX_PRODUCT
            ):
                raise SecurityError(f"a sum longer than {_MAX_PRODUCT:,} items")
            if operator == "%" and isinstance(left, str):
                _check_widths(left)
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if (
                        isinstance(seq, str | bytes | list | tuple)
                        and isinstance(times, int)
                        and len(seq) * times > _MAX_PRODUCT
                    ):
                        raise SecurityError(f"a repetition longer than {_MAX_PRODUCT:,} items")
            if (
                operator == "**"
                and isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right * left.bit_length() > _MAX_POWER_BITS
            ):
                raise SecurityError(f"a power larger than {_MAX_POWER_BITS:,} bits")
            return super().call_binop(context, operator, left, right)

    html = is_html(name)
    text = is_plain_text(name)
    env = Sandbox(
        loader=ChoiceLoader([CommitLoader(), PackageLoader("supportctl", FOLDER)]),
        # Markdown templates autoescape too, so macro output and `md` results count as
        # safe; `finalize` escapes every other value with the Markdown policy first.
        autoescape=not text,
        finalize=None if html or text else _markdown_value,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update({"md": md, "quote": quote, "code": code})
    for filter_name in ("center", "indent", "wordwrap", "truncate", "format"):
        env.filters[filter_name] = _bounded(filter_name, env.filters[filter_name])
    if not html and not text:
        env.filters["join"] = lambda value, d="", attribute=None: _join(env, value, d, attribute)
        env.filters["safe"] = MarkdownText
    env.filters.update(filters)
    if translations is not None:
        _install_translations(env, translations, Markup if html else MarkdownText)
    return env


RENDER_SECONDS = 300  # a template looping for hours stops CI; the packaged ones take seconds


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """SecurityError when the block runs past `seconds` (main thread only, where signals
    arrive; elsewhere nothing is limited)."""
    import signal
    import threading

    from jinja2.exceptions import SecurityError

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum: int, _frame: Any) -> None:
        raise SecurityError(f"rendering took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    memory = _memory_limit(RENDER_MEMORY)
    try:
        yield
    except MemoryError:
        raise SecurityError(f"rendering needed more than {RENDER_MEMORY >> 20:,} MiB") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        memory()


def _template_line(exc: BaseException, filename: str) -> int | str:
    """The template's line where `exc` happened: Jinja2 rewrites the traceback so that the
    template's frames carry its file name and line."""
    import traceback

    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines and lines[-1] is not None else "?"


RENDER_MEMORY = 2 << 30  # what rendering may add to the process; `~` can double a string


def _memory_limit(extra: int) -> Callable[[], None]:
    """Cap the address space at its present size plus `extra` (Linux; elsewhere nothing),
    so a runaway template fails with MemoryError instead of taking the machine's memory.
    Returns what puts the old limit back."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as fh:
            size = int(fh.read().split()[0]) * resource.getpagesize()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + extra
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return lambda: None
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        return lambda: None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _joined(pieces: Iterable[str]) -> list[str]:
    """The pieces of a rendered template joined a few thousand at a time: a long report
    has hundreds of thousands of them (every value, every bit of markup), which are then
    never all held at once."""
    parts: list[str] = []
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) == 4096:
            parts.append("".join(batch))
            batch.clear()
    parts.append("".join(batch))
    return parts


def render(
    templates: RepoTemplates,
    name: str,
    filters: dict[str, Callable[..., Any]],
    translations: gettext.NullTranslations | None = None,
    *,
    with_line: bool = False,
    **context: Any,
) -> str:
    """Render template `name`; a broken or refused template (often a repo's own override)
    is a one-line ConfigError naming the file and line, not a traceback. `with_line`: an
    error met while rendering (an unknown variable) names the line too."""
    parts = render_parts(templates, name, filters, translations, with_line=with_line, **context)
    return "".join(parts)


def render_parts(
    templates: RepoTemplates,
    name: str,
    filters: dict[str, Callable[..., Any]],
    translations: gettext.NullTranslations | None = None,
    *,
    with_line: bool = False,
    **context: Any,
) -> list[str]:
    """`render`'s text in consecutive parts, for a caller that reworks a long text a part
    at a time."""
    from jinja2 import TemplateError, TemplateSyntaxError
    from jinja2.exceptions import SecurityError

    env = environment(templates, name, filters, translations)
    try:
        with _time_limit(RENDER_SECONDS):
            parts = _joined(env.get_template(name).generate(**context))
    except TemplateSyntaxError as exc:
        where = f"{FOLDER}/{exc.name or name}:{exc.lineno}"
        raise ConfigError(f"{where}: template error: {exc.message}") from None
    except SecurityError as exc:
        raise ConfigError(
            f"{FOLDER}/{name}: template refused: {exc} (templates run in a sandbox)"
        ) from None
    except TemplateError as exc:
        where = f"{FOLDER}/{name}"
        if with_line:
            where += f":{_template_line(exc, where)}"
        raise ConfigError(f"{where}: template error: {exc.message or exc}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # a template's own arithmetic or call going wrong (`1/0`, a range past the
        # sandbox's limit), not a bug of supportctl: one line naming the file
        raise ConfigError(f"{FOLDER}/{name}: template error: {type(exc).__name__}: {exc}") from None
    return parts
