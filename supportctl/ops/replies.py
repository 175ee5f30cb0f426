"""Canned replies: the desk's scripted answers in `templates/replies/`, listed and rendered
for one ticket in its customer's language.

A reply is `templates/replies/<name>.md`, with language variants `<name>.<lang>.md`
(`ru`, `uk`, `en`). For a ticket the variant in its customer's `language` is used, else the
plain file. The text is a Jinja2 template rendered in the same sandbox as the report
templates, read from the committed tree (what a teammate pushed, never the work tree), and
printed as plain text: values are not escaped, since the reply is a comment and a mail.

Variables a reply may use:

    ticket.id, ticket.title, ticket.status, ticket.priority, ticket.type, ticket.line,
    ticket.assignee, ticket.created        -- the ticket as committed
    requester                              -- who asked: the requester's address, else the
                                              reporter, else the customer's name
    customer.key, customer.name, customer.language
    agent.handle, agent.name, agent.email  -- who replies (the git identity; an agent of the
                                              configuration when the e-mail is one)
    language                               -- the variant's language (en, ru, uk)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supportctl.config.settings import LANGUAGES
from supportctl.domain.errors import NotFound, UsageError
from supportctl.storage.templates import REPLIES, RepoTemplates, render

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

SUFFIX = ".md"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


@dataclass(frozen=True)
class Reply:
    """One canned reply: its name, the languages it has a variant in (`""` for the plain
    file) and each variant's first line (what `replies` shows)."""

    name: str
    files: dict[str, str] = field(default_factory=dict)  # language ("" plain) -> file name
    first_lines: dict[str, str] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        return [lang for lang in ("", *LANGUAGES) if lang in self.files]


@dataclass(frozen=True)
class Rendered:
    name: str
    language: str  # of the variant used; "" for the plain file
    path: str  # templates/replies/...
    text: str


def split_name(file_name: str) -> tuple[str, str] | None:
    """`password-reset.ru.md` -> ("password-reset", "ru"); `x.md` -> ("x", ""); None for a
    file that is not a reply (another suffix, a name outside [a-z0-9_-])."""
    if not file_name.endswith(SUFFIX) or "/" in file_name:
        return None
    stem = file_name[: -len(SUFFIX)]
    name, dot, lang = stem.rpartition(".")
    if not dot:
        name, lang = stem, ""
    elif lang not in LANGUAGES:
        return None
    return (name, lang) if _NAME.match(name) else None


def _templates(repo: Desk) -> RepoTemplates:
    return RepoTemplates(repo.git, repo.commit_id())


def replies(repo: Desk, *, first_lines: bool = True) -> list[Reply]:
    """Every committed canned reply, by name."""
    templates = _templates(repo)
    found: dict[str, Reply] = {}
    for path in templates.names(REPLIES):
        parts = split_name(path[len(REPLIES) + 1 :])
        if parts is None:
            continue
        name, lang = parts
        reply = found.setdefault(name, Reply(name))
        reply.files[lang] = path
        if first_lines:
            text = templates.source(path) or ""
            first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
            reply.first_lines[lang] = first
    return [found[k] for k in sorted(found)]


def find(repo: Desk, name: str) -> Reply:
    """The reply `name`, or NotFound with the nearest names."""
    known = {r.name: r for r in replies(repo, first_lines=False)}
    wanted = name.strip().lower()
    if wanted in known:
        return known[wanted]
    close = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.6)
    if close:
        hint = f" (did you mean {close[0]!r}?)"
    elif known:
        hint = f" (known: {', '.join(known)})"
    else:
        hint = f" (none committed: add {_folder()}/<name>.md)"
    raise NotFound(f"unknown reply {name!r}{hint}")


def _folder() -> str:
    return f"templates/{REPLIES}"


def render_reply(repo: Desk, ticket_id: str, name: str) -> Rendered:
    """The reply `name` rendered for the ticket, in its customer's language when there is
    such a variant, else the plain one. A template error or a refused operation is a
    one-line ConfigError naming the file (and line), exit 4."""
    if not name.strip():
        raise UsageError("--reply needs a reply name")
    reply = find(repo, name)
    tid = repo.ticket_id(ticket_id)
    ticket = repo.ticket(tid).ticket
    config = repo.config
    customer = config.customers.get(str(ticket.customer))
    language = customer.language if customer else "en"
    lang = language if language in reply.files else ""
    if lang not in reply.files:
        have = ", ".join(x or "plain" for x in reply.languages)
        raise NotFound(
            f"reply {reply.name!r} has no {language} variant and no plain one "
            f"({_folder()}/{reply.name}{SUFFIX}); it has: {have}"
        )
    path = reply.files[lang]
    ident = repo.git.identity()
    agent = config.agent_for_email(ident.email)
    context: dict[str, Any] = {
        "ticket": {
            "id": tid,
            "title": ticket.title or "",
            "status": ticket.status or "",
            "priority": ticket.priority or "",
            "type": ticket.type or "",
            "line": ticket.line or "",
            "assignee": ticket.assignee or "",
            "created": ticket.created or "",
        },
        "requester": ticket.requester
        or ticket.reporter
        or (customer.name if customer else str(ticket.customer or "")),
        "customer": {
            "key": str(ticket.customer or ""),
            "name": customer.name if customer else str(ticket.customer or ""),
            "language": language,
        },
        "agent": {
            "handle": agent.handle if agent else "",
            "name": agent.name if agent else (ident.name or ident.email),
            "email": ident.email,
        },
        "language": lang or language,
    }
    text = render(_templates(repo), path, {}, with_line=True, **context)
    return Rendered(reply.name, lang, f"{_folder()}/{path[len(REPLIES) + 1 :]}", text)
