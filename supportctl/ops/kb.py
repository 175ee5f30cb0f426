"""KB actions: write an article, edit it, link it to a ticket. Each is exactly one commit.

Links go both ways and are written in the same commit: the ticket's `kb` field names
the article that answers it (the field `resolve --kb` sets; one article per ticket),
and the article's `tickets:` list names every ticket it answers. `tickets:` is kept by
these actions; an edit of it by hand in `kb edit` is ignored so the two sides agree.

Trailers: `Action: kb-new | kb-edit | kb-link`, `Kb: <slug>`, and `Ticket: <ID>` when a
ticket file changes too (so the ticket's history shows the article being written).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportctl.domain.articles import (
    MAX_ARTICLE_TITLE,
    article_path,
    front_matter,
    new_slug,
    render_article,
    set_key,
    str_list,
    update_article,
)
from supportctl.domain.errors import IllegalTransition, UsageError
from supportctl.domain.ids import ticket_path
from supportctl.domain.text import check_slug, is_slug
from supportctl.domain.ticket import check_tag, clean_line
from supportctl.ops.articles import parse_article, read_article, set_tickets
from supportctl.ops.tickets import ticket_action
from supportctl.storage.transaction import Change, short, transaction

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from supportctl.domain.articles import ArticleMeta
    from supportctl.domain.ticket import Ticket, TicketFile
    from supportctl.storage.desk import Desk
    from supportctl.storage.git import Identity


@dataclass
class KbResult:
    action: str
    slug: str
    path: str
    commit: str
    subject: str
    ticket: str | None
    article: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "slug": self.slug,
            "path": self.path,
            "commit": self.commit,
            "subject": self.subject,
            "ticket": self.ticket,
            "article": self.article,
        }


# -- drafts ----------------------------------------------------------------------------
_HEADINGS = {
    "en": ("Problem", "Cause", "Resolution", "Tickets", "not stated in {id} yet"),
    "ru": ("Проблема", "Причина", "Решение", "Заявки", "в {id} пока не описано"),
    "uk": ("Проблема", "Причина", "Рішення", "Звернення", "у {id} поки не описано"),
}


def _language(text: str) -> str:
    if re.search("[іїєґІЇЄҐ]", text):
        return "uk"
    return "ru" if re.search("[а-яА-ЯёЁ]", text) else "en"


def _block(text: str | None) -> str:
    return (text or "").strip()


def _bullet(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return "\n".join([f"- {lines[0]}", *(f"  {ln}" if ln.strip() else "" for ln in lines[1:])])


def body_from_ticket(ticket: Ticket) -> str:
    """Article body prefilled from a (solved) ticket: Problem from its description, Cause
    from the resolution, Resolution from the public replies, and a link to the ticket.

    Internal notes are left out on purpose: they may hold credentials or names the
    customer-facing text should not, and the agent adds what matters while editing.
    """
    tid = ticket.id
    title = ticket.title or ""
    lang = _language(f"{title} {ticket.description or ''}")
    problem_h, cause_h, resolution_h, tickets_h, missing = _HEADINGS[lang]
    todo = f"_({missing.format(id=tid)})_"
    replies = [
        _block(c.text)
        for c in ticket.comments
        if (c.visibility if c.has("visibility") else "public") == "public" and _block(c.text)
    ]
    resolution = _block(ticket.resolution)
    parts = [
        f"## {problem_h}",
        "",
        _block(ticket.description) or title,
        "",
        f"## {cause_h}",
        "",
        resolution or todo,
        "",
        f"## {resolution_h}",
        "",
        "\n".join(_bullet(r) for r in replies) if replies else (resolution or todo),
        "",
        f"## {tickets_h}",
        "",
        f"- [{tid}](../{ticket_path(tid).removeprefix('data/')}): {title}",
    ]
    return "\n".join(parts) + "\n"


def blank_body(title: str) -> str:
    problem_h, cause_h, resolution_h, _, _ = _HEADINGS[_language(title)]
    return f"## {problem_h}\n\n\n## {cause_h}\n\n\n## {resolution_h}\n\n"


def _tags(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(check_tag(t) for t in tags))


@dataclass
class Draft:
    """The text a new article starts from (what the editor opens, or what is committed as is)."""

    title: str
    tags: list[str]
    customers: list[str]
    body: str

    def render(self, products: Sequence[str] = ()) -> bytes:
        return render_article(
            title=self.title,
            tags=self.tags,
            products=list(products),
            customers=self.customers,
            body=self.body,
        )


def new_draft(
    repo: Desk,
    title: str,
    *,
    tags: Sequence[str] = (),
    ticket_id: str | None = None,
    body: str | None = None,
) -> Draft:
    """Draft of a new article; prefilled from the ticket when `ticket_id` is given."""
    title = clean_line(title, what="title", limit=MAX_ARTICLE_TITLE, one_line=True)
    tag_list = _tags(tags)
    customers: list[str] = []
    if ticket_id:
        ticket = repo.ticket(repo.ticket_id(ticket_id)).ticket
        tag_list = list(dict.fromkeys([*ticket.tags, *tag_list]))
        if ticket.customer:
            customers = [ticket.customer]
        prefilled = body_from_ticket(ticket)
    else:
        prefilled = blank_body(title)
    return Draft(title, tag_list, customers, prefilled if body is None else body)


# -- committing ------------------------------------------------------------------------
def _taken(repo: Desk, slug: str) -> bool:
    path = article_path(slug)
    return repo.git.file_at("HEAD", path) is not None or (repo.root / path).exists()


def _normalise(meta: Any, fields: ArticleMeta) -> None:
    """Title on one line and tags in the form every other command uses."""
    title = clean_line(fields.title, what="title", limit=MAX_ARTICLE_TITLE, one_line=True)
    if meta.get("title") != title:
        meta["title"] = title
    tags = _tags(fields.tags)
    if list(meta.get("tags") or []) != tags:
        seq = str_list(meta, "tags")
        seq[:] = tags


def _commit_plain(
    repo: Desk, action: str, at: datetime | None, build: Callable[[Identity], Change]
) -> tuple[str, str]:
    """One commit that touches no ticket (`build` runs under the lock)."""
    with transaction(repo, at=at) as tx:
        change = build(tx.author)
        subject = f"KB: {change.subject}"
        sha = tx.commit(Change(subject, [("Action", action), *change.trailers], change.files))
        return sha, subject


def new_article(
    repo: Desk,
    text: bytes,
    *,
    slug: str | None = None,
    ticket_id: str | None = None,
    replace: bool = False,
    at: datetime | None = None,
    source: str = "article",
) -> KbResult:
    """Commit a new article from its full text (front matter and body, as `Draft.render`
    or an editor gives it). With `ticket_id`, the same commit sets the ticket's `kb`.

    The slug comes from the title (`article-N` when it has no transliterable letters);
    an existing slug is refused (IllegalTransition) rather than overwritten.
    """
    fields, _ = parse_article(text, source)
    title = clean_line(fields.title, what="title", limit=MAX_ARTICLE_TITLE, one_line=True)
    chosen = check_slug(slug) if slug else new_slug(title, lambda s: _taken(repo, s))
    path = article_path(chosen)
    tid = repo.ticket_id(ticket_id) if ticket_id else None

    def content(ident: Identity) -> bytes:
        if _taken(repo, chosen):
            raise IllegalTransition(
                f"KB article {chosen!r} already exists ({path}); "
                "give another title or --slug, or use `kb edit`"
            )

        def change(meta: Any) -> None:
            _normalise(meta, fields)
            set_tickets(meta, [tid] if tid else [])
            set_key(meta, "updated", ident.when.date())

        return update_article(text, change)

    if tid is None:

        def build(ident: Identity) -> Change:
            return Change(
                f"new article {chosen}: {short(title)}", [("Kb", chosen)], {path: content(ident)}
            )

        sha, subject = _commit_plain(repo, "kb-new", at, build)
        return KbResult("kb-new", chosen, path, sha, subject, None, _article_dict(repo, chosen))

    def fn(data: TicketFile, ident: Identity) -> Change:
        files: dict[str, bytes | None] = {path: content(ident)}
        trailers = [("Kb", chosen)]
        trailers += _point_ticket(repo, data, tid, chosen, replace, files)
        return Change(f"KB article {chosen} written from this ticket", trailers, files)

    result = ticket_action(repo, tid, "kb-new", at, fn)
    return KbResult(
        "kb-new", chosen, path, result.commit, result.subject, tid, _article_dict(repo, chosen)
    )


def check_new(
    repo: Desk,
    title: str,
    *,
    slug: str | None = None,
    ticket_id: str | None = None,
    replace: bool = False,
) -> None:
    """Refuse early what `new_article` would refuse, before anyone spends time in an editor."""
    if slug:
        chosen = check_slug(slug)
        if _taken(repo, chosen):
            raise IllegalTransition(
                f"KB article {chosen!r} already exists ({article_path(chosen)})"
            )
    if ticket_id:
        tid = repo.ticket_id(ticket_id)
        old = repo.ticket(tid).ticket.kb or ""
        if old and not replace:
            raise IllegalTransition(
                f"{tid} is already linked to KB article {old}; use --replace "
                "to link it to the new one instead"
            )


def _point_ticket(
    repo: Desk, data: TicketFile, tid: str, slug: str, replace: bool, files: dict[str, bytes | None]
) -> list[tuple[str, str]]:
    """Set the ticket's `kb`; with `replace`, also drop the ticket from its old article."""
    old = data.ticket.kb or None
    trailers: list[tuple[str, str]] = []
    if old and old != slug:
        if not replace:
            raise IllegalTransition(
                f"{tid} is already linked to KB article {old}; "
                f"use --replace to link it to {slug} instead"
            )
        trailers.append(("Kb-Previous", old))
        old_path = article_path(old)
        old_content = repo.git.file_at("HEAD", old_path) if is_slug(old) else None
        if old_content is not None:
            fields, _ = parse_article(old_content, old_path)
            if tid in fields.tickets:
                remaining = [t for t in fields.tickets if t != tid]
                files[old_path] = update_article(old_content, lambda m: set_tickets(m, remaining))
    data.update(dataclasses.replace(data.ticket, kb=slug))
    return trailers


def link_article(
    repo: Desk,
    ticket_id: str,
    slug: str,
    *,
    replace: bool = False,
    at: datetime | None = None,
) -> KbResult:
    """Link a ticket and an article both ways in one commit (ticket `kb`, article `tickets:`)."""
    tid = repo.ticket_id(ticket_id)
    slug = check_slug(slug)
    read_article(repo, slug)  # fail early, before taking the lock

    def fn(data: TicketFile, ident: Identity) -> Change:
        path, content, fields = read_article(repo, slug)
        in_article = tid in fields.tickets
        if (data.ticket.kb or "") == slug and in_article:
            raise IllegalTransition(f"{tid} and KB article {slug} are already linked")
        files: dict[str, bytes | None] = {}
        trailers = [("Kb", slug)]
        trailers += _point_ticket(repo, data, tid, slug, replace, files)
        if not in_article:
            files[path] = update_article(content, lambda m: set_tickets(m, [*fields.tickets, tid]))
        return Change(f"link KB article {slug}", trailers, files)

    result = ticket_action(repo, tid, "kb-link", at, fn)
    return KbResult(
        "kb-link",
        slug,
        article_path(slug),
        result.commit,
        result.subject,
        tid,
        _article_dict(repo, slug),
    )


def edit_article(
    repo: Desk,
    slug: str,
    *,
    title: str | None = None,
    tags: Sequence[str] | None = None,
    body: str | None = None,
    text: bytes | None = None,
    at: datetime | None = None,
    source: str = "article",
) -> KbResult:
    """Change an article's title, tags and/or body, or replace its whole text (`text`, from
    an editor). `updated` becomes the commit date; the slug and `tickets:` never change."""
    slug = check_slug(slug)
    if text is None and title is None and tags is None and body is None:
        raise UsageError("nothing to edit: give --title, --tag or --body-file (or set $EDITOR)")
    new_title = (
        clean_line(title, what="title", limit=MAX_ARTICLE_TITLE, one_line=True)
        if title is not None
        else None
    )
    new_tags = _tags(tags) if tags is not None else None
    if text is not None:
        parse_article(text, source)

    def build(ident: Identity) -> Change:
        path, current, fields = read_article(repo, slug)
        current_body = parse_article(current, path)[1]
        base = text if text is not None else current
        base_fields, base_body = parse_article(base, source)
        if new_title is not None:
            base_fields = dataclasses.replace(base_fields, title=new_title)
        if new_tags is not None:
            base_fields = dataclasses.replace(base_fields, tags=tuple(new_tags))

        def change(meta: Any) -> None:
            _normalise(meta, base_fields)
            set_tickets(meta, list(fields.tickets))
            if text is not None:
                # The date is ours to set; a hand change to it in the editor is not a change.
                before = front_matter(current)
                if "updated" in before:
                    set_key(meta, "updated", before["updated"])
                else:
                    meta.pop("updated", None)

        same_body = body is not None and body.strip("\n") == base_body.strip("\n")
        edited = update_article(base, change, None if same_body else body)
        if edited == current:
            raise IllegalTransition(f"KB article {slug}: nothing changed")
        after, after_body = parse_article(edited, source)
        what = [
            name
            for name, changed in (
                ("title", after.title != fields.title),
                ("tags", after.tags != fields.tags),
                ("products", after.products != fields.products),
                ("customers", after.customers != fields.customers),
                ("body", after_body != current_body),
            )
            if changed
        ]
        final = update_article(edited, lambda m: set_key(m, "updated", ident.when.date()))
        label = ", ".join(what) or "front matter"
        return Change(f"edit {slug} ({label})", [("Kb", slug)], {path: final})

    sha, subject = _commit_plain(repo, "kb-edit", at, build)
    return KbResult(
        "kb-edit", slug, article_path(slug), sha, subject, None, _article_dict(repo, slug)
    )


def article_text(repo: Desk, slug: str) -> bytes:
    """The committed text of an article (what `kb edit` opens in the editor)."""
    return read_article(repo, slug)[1]


def _article_dict(repo: Desk, slug: str) -> dict[str, Any]:
    from supportctl.storage.catalog import get_article

    return get_article(repo, slug).to_dict()
