"""`supportctl sync`: fetch, integrate, push, retrying while others push in between.

Local commits that are not on the remote yet are replayed on top of it, one by one,
keeping their messages, authors, committers and both dates (so SLA history and the
back-dating audit are unchanged). Where both sides changed the same file, the change is
merged by structure:

- ticket files: comments from both sides, in time order (a comment edited or removed
  on one side is edited or removed in the result); tags and related links as
  sets (what one side added or removed is added or removed); other fields take the
  side that changed them, and where both changed a field to different values the
  later of the actions that set that field wins, by author date (last writer wins,
  as the SLA history reads it); the other value stays in history (a losing local
  value in full in its replayed commit's message) and sync reports it;
- worklog files: entries from both sides;
- anything else: git's three-way text merge, and a true conflict stops the sync
  with nothing changed.

A ticket created offline whose ID was meanwhile taken on the remote is renumbered
(it was never pushed, so nobody else knows its number); its commits are rewritten
with the new ID, so its history follows it. A sync that fails after renumbering says
so in its error, since the next one will not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from supportctl.domain import yamlio
from supportctl.domain.articles import (
    ArticleError,
    assemble_article,
    set_key,
    split_article,
    str_list,
)
from supportctl.domain.errors import GitError, SupportctlError, SyncError, UsageError
from supportctl.domain.ids import id_number, id_of_path, is_ticket_id, ticket_path
from supportctl.domain.ticket import Ticket, TicketFile, UnreadableTicket, parse_ticket
from supportctl.storage.desk import Desk
from supportctl.storage.git import ZERO, RawCommit
from supportctl.storage.history import events_from_diff, events_from_trailers
from supportctl.storage.transaction import refuse_busy, transaction

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportctl.domain.events import Event
    from supportctl.storage.desk import Desk
    from supportctl.storage.transaction import Transaction

MAX_ATTEMPTS = 5


@dataclass
class SyncResult:
    remote: str
    branch: str
    received: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    renumbered: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    attempts: int = 0
    head: str | None = None


def _load(content: bytes | None) -> Any:
    if content is None:
        return None
    try:
        return yamlio.load(content)
    except yamlio.YamlProblem:
        return None


def _plain(value: Any) -> Any:
    return yamlio.plain(value)


def _minus(items: list[Any], gone: list[Any]) -> list[Any]:
    """`items` without `gone`, as multisets compared by plain value; order kept."""
    pool = [_plain(x) for x in gone]
    out = []
    for x in items:
        p = _plain(x)
        if p in pool:
            pool.remove(p)
        else:
            out.append(x)
    return out


def _set_merge(cur: list[Any], old: list[Any], new: list[Any]) -> list[Any]:
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    out = [x for x in cur if x not in removed]
    out += [x for x in added if x not in out]
    return out


class _Merger:
    def __init__(
        self,
        remote_times: Callable[[str, str], datetime | None],
        remote_set: Callable[[str, str], datetime | None],
    ) -> None:
        self.remote_times = remote_times
        self.remote_set = remote_set  # when the remote last set exactly this field, if it did
        self.decisions: list[str] = []
        self.lost: list[tuple[str, str, Any]] = []  # (ticket, field, our value the remote beat)

    def ticket(
        self, tid: str, old_b: bytes, new_b: bytes, cur_b: bytes, local_at: datetime
    ) -> bytes | None:
        old, new, cur = _load(old_b), _load(new_b), _load(cur_b)
        if not all(isinstance(x, dict) for x in (old, new, cur)):
            return None
        for key in list(dict.fromkeys([*old.keys(), *new.keys()])):
            o, n = _plain(old.get(key)), _plain(new.get(key))
            if o == n:
                continue
            c = _plain(cur.get(key))
            if key == "comments":
                # Ours are the comments the local commit added, wherever they sit: an earlier
                # sync may have sorted one in before the remote's (so not "those after the
                # base's"). A comment edited or removed by hand on our side goes the same way.
                seq = cur.get(key) if isinstance(cur.get(key), list) else new.get(key)
                added = _minus(list(new.get(key) or []), list(old.get(key) or []))
                removed = _minus(list(old.get(key) or []), list(new.get(key) or []))
                merged = _minus(list(cur.get(key) or []), removed) + added
                merged.sort(key=lambda x: _when(x.get("at") if isinstance(x, dict) else None))
                del seq[:]
                seq.extend(merged)
                cur[key] = seq
            elif key == "tags" and isinstance(n, list):
                merged_tags = _set_merge(list(c or []), list(o or []), n)
                seq = cur.get(key) if isinstance(cur.get(key), list) else new.get(key)
                del seq[:]
                seq.extend(merged_tags)
                cur[key] = seq
            elif key == "links" and isinstance(n, dict):
                links = cur.get(key) if isinstance(cur.get(key), dict) else new.get(key)
                cur[key] = links
                for lk in dict.fromkeys([*(o or {}).keys(), *n.keys()]):
                    lo, ln, lc = (o or {}).get(lk), n.get(lk), _plain(links.get(lk))
                    if lo == ln:
                        continue
                    if isinstance(ln, list):
                        merged_links = _set_merge(list(lc or []), list(lo or []), ln)
                        links[lk] = new[key][lk]
                        del links[lk][:]
                        links[lk].extend(merged_links)
                    elif lc == lo or lc is None:
                        links[lk] = ln
                    elif lc != ln:
                        self._contradiction(tid, f"links.{lk}", lc, ln, local_at, links, lk)
            elif c == o and (self.remote_set(tid, key) or local_at) > local_at:
                # the remote set it later and back again (low, then high as before): its later
                # action still wins, as it would have on one desk
                self._contradiction(tid, key, c, n, local_at, cur, key, new.get(key))
            elif c == o:
                cur[key] = new.get(key)
            elif c != n:
                self._contradiction(tid, key, c, n, local_at, cur, key, new.get(key))
        file = TicketFile.parse(cur_b)
        file.merge_in(Ticket.from_plain(_plain(cur)))
        return file.dump()

    def _contradiction(
        self,
        tid: str,
        key: str,
        theirs: Any,
        ours: Any,
        local_at: datetime,
        target: Any,
        slot: str,
        value: Any = None,
    ) -> None:
        remote_at = self.remote_times(tid, key)
        shown_ours, shown_theirs = _short(ours), _short(theirs)
        if remote_at is None or local_at >= remote_at:
            target[slot] = value if value is not None else ours
            self.decisions.append(
                f"{tid}: {key} changed on both sides; kept yours ({shown_ours}, the later "
                f"action); {shown_theirs} from the remote stays in history"
            )
        else:
            self.lost.append((tid, key, ours))
            self.decisions.append(
                f"{tid}: {key} changed on both sides; kept the remote's ({shown_theirs}, the "
                f"later action); yours ({shown_ours}) stays in history"
            )

    @staticmethod
    def worklog(old_b: bytes | None, new_b: bytes, cur_b: bytes) -> bytes | None:
        old, new, cur = _load(old_b) or [], _load(new_b), _load(cur_b)
        if not isinstance(new, list) or not isinstance(cur, list) or not isinstance(old, list):
            return None
        plain_old = [_plain(e) for e in old]
        plain_cur = [_plain(e) for e in cur]
        for entry in new:
            p = _plain(entry)
            if p not in plain_old and p not in plain_cur:
                cur.append(entry)
        return yamlio.dump(cur)


def _merge_article(
    old_b: bytes, new_b: bytes, cur_b: bytes, merge_text: Callable[[bytes, bytes, bytes], Any]
) -> bytes | None:
    """Both sides changed a KB article: lists in the front matter (tickets, tags, customers)
    merge as sets, `updated` takes the later date, the body merges line by line. None when
    something truly conflicts (then the plain text merge decides, or sync stops)."""
    try:
        old, old_rest = split_article(old_b)
        new, new_rest = split_article(new_b)
        cur, cur_rest = split_article(cur_b)
    except ArticleError:
        return None
    if not all(isinstance(m, dict) for m in (old, new, cur)):
        return None
    if new_rest == old_rest or cur_rest == new_rest:
        rest = cur_rest
    elif cur_rest == old_rest:
        rest = new_rest
    else:
        merged, clean = merge_text(old_rest.encode(), cur_rest.encode(), new_rest.encode())
        if not clean:
            return None
        rest = merged.decode("utf-8")
    for key in list(dict.fromkeys([*old, *new])):
        ov, nv, cv = old.get(key), new.get(key), cur.get(key)
        if _plain(ov) == _plain(nv) or _plain(cv) == _plain(nv):
            continue  # this side did not change it, or both made the same change
        if _plain(cv) == _plain(ov):
            if key in new:
                set_key(cur, key, nv)
            else:
                cur.pop(key, None)
        elif all(isinstance(v, list) for v in (ov or [], nv or [], cv or [])):
            merged_list = _set_merge(list(cv or []), list(ov or []), list(nv or []))
            target = str_list(cur, key)
            target[:] = merged_list
        elif key == "updated":
            cur[key] = nv if str(nv) > str(cv) else cv
        else:
            return None
    return assemble_article(cur, rest)


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _when(value: Any) -> float:
    try:
        when = datetime.fromisoformat(str(value))
        return when.timestamp() if when.tzinfo else 0.0
    except ValueError:
        return 0.0


class _Replayer:
    def __init__(self, repo: Desk, tx: Transaction, base: str, onto: str, local: list[str]) -> None:
        self.repo = repo
        self.tx = tx
        self.base = base
        self.onto = onto
        self.local = local
        self.idmap: dict[str, str] = {}
        self.renumbered: list[tuple[str, str]] = []
        self.remote_ids: set[str] = set()  # every ID the remote's new commits name
        self._commits = self._remote_commits()
        self.merger = _Merger(self._lookup, self._set_at)
        prefix = repo.config.id_prefix
        taken = [
            id_number(tid)
            for p, _ in repo.git.ls_tree("data/tickets", onto)
            if (tid := id_of_path(p)) and is_ticket_id(tid, prefix)
        ]
        # IDs are never reused: a fresh number is above every ID either side ever used,
        # deleted tickets included (the local history up to HEAD contains the common base)
        taken.append(repo.ticket_numbers_used().get(prefix, 0))
        taken += [id_number(t) for t in self.remote_ids if is_ticket_id(t, prefix)]
        self.next_number = max(taken, default=0)
        for sha in local:
            for path, old, _ in repo.git.changed_paths(f"{sha}^", sha):
                tid = id_of_path(path)
                if tid and old == ZERO and is_ticket_id(tid, prefix):
                    self.next_number = max(self.next_number, id_number(tid))

    def _remote_commits(self) -> list[RawCommit]:
        commits = []
        for c in self.repo.git.log(f"{self.base}..{self.onto}", paths=("data/tickets",)):
            if len(c.parents) > 1:
                continue
            commits.append(c)
            events: list[Event] = events_from_trailers(c) or events_from_diff(c, self.repo.git.blob)
            self.remote_ids.update(e.ticket for e in events)
            self.remote_ids.update(tid for p, _, _ in c.changes if (tid := id_of_path(p)))
        return commits

    def _field_times(self) -> dict[tuple[str, str], datetime]:
        """(ticket, field) -> author date of the remote's latest action that set that field.

        Read from the ticket files before and after each remote commit, so every field an
        action sets counts (a resolution text, a KB link, a link), not only the ones with
        trailers; `links.<kind>` is tracked per kind. `*` is the latest action of any kind.
        """
        times: dict[tuple[str, str], datetime] = {}

        def seen(tid: str, key: str, when: datetime) -> None:
            if (tid, key) not in times or when > times[(tid, key)]:
                times[(tid, key)] = when

        for c in self._commits:
            for path, old_blob, new_blob in c.changes:
                tid = id_of_path(path)
                if not tid:
                    continue
                old = _plain_ticket(self.repo, old_blob)
                new = _plain_ticket(self.repo, new_blob)
                seen(tid, "*", c.author_time)
                for key in dict.fromkeys([*old, *new]):
                    if old.get(key) == new.get(key):
                        continue
                    seen(tid, key, c.author_time)
                    ol, nl = old.get(key), new.get(key)
                    if key == "links" and isinstance(ol or {}, dict) and isinstance(nl or {}, dict):
                        for kind in dict.fromkeys([*(ol or {}), *(nl or {})]):
                            if (ol or {}).get(kind) != (nl or {}).get(kind):
                                seen(tid, f"links.{kind}", c.author_time)
        return times

    @cached_property
    def _times(self) -> dict[tuple[str, str], datetime]:
        return self._field_times()

    def _lookup(self, tid: str, key: str) -> datetime | None:
        for k in (key, key.split(".")[0], "*"):
            if (tid, k) in self._times:
                return self._times[(tid, k)]
        return None

    def _set_at(self, tid: str, key: str) -> datetime | None:
        return self._times.get((tid, key))

    def _renumber_text(self, text: bytes) -> bytes:
        if not self.idmap:
            return text
        pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in self.idmap) + r")\b")
        return pattern.sub(lambda m: self.idmap[m.group(1)], text.decode("utf-8")).encode("utf-8")

    def _renumber_record(self, text: bytes) -> bytes:
        """A mail record names its ticket in `ticket:` only; the rest (its subject, which
        may quote the number) stays as the mail had it."""
        if not self.idmap:
            return text

        def swap(m: re.Match[bytes]) -> bytes:
            was = m.group(2).decode("utf-8", "replace")
            return m.group(1) + self.idmap[was].encode() if was in self.idmap else m.group(0)

        return _RECORD_TICKET.sub(swap, text)

    def replay(self) -> str:
        tip = self.onto
        git = self.repo.git
        for sha in self.local:
            message, author, parents = git.commit_info(sha)
            files: dict[str, bytes | None] = {}
            changes = git.changed_paths(parents[0], sha)
            # ticket files first: a renumbering they cause applies to the commit's other
            # files too (a mail record sorts before them)
            changes.sort(key=lambda c: not c[0].startswith("data/tickets/"))
            for path, old_blob, new_blob in changes:
                old = git.blob(old_blob) if old_blob != ZERO else None
                new = git.blob(new_blob) if new_blob != ZERO else None
                tid = id_of_path(path)
                if tid and old is None and tid not in self.idmap:
                    taken = git.file_at(tip, path)
                    # taken: the remote has another ticket with this ID, or had one
                    if (taken is not None and taken != new) or (
                        taken is None and tid in self.remote_ids
                    ):
                        self.next_number += 1
                        fresh = f"{self.repo.config.id_prefix}-{self.next_number}"
                        self.idmap[tid] = fresh
                        self.renumbered.append((tid, fresh))
                renamed_from = tid if tid and tid in self.idmap else None
                if renamed_from:
                    path = ticket_path(self.idmap[renamed_from])
                if path.startswith(("data/tickets/", "data/worklogs/", "data/kb/")):
                    old = self._renumber_text(old) if old is not None else None
                    new = self._renumber_text(new) if new is not None else None
                elif path.startswith(MAIL_PREFIX) and path.endswith(".yaml"):
                    old = self._renumber_record(old) if old is not None else None
                    new = self._renumber_record(new) if new is not None else None
                if renamed_from:
                    # the old number may have reached the customer in a mail: it stays an
                    # alias that subject tags may use (every version, so the merge sees
                    # only the commit's own change)
                    old = _with_alias(old, renamed_from) if old is not None else None
                    new = _with_alias(new, renamed_from) if new is not None else None
                files[path] = self._merge(path, old, new, git.file_at(tip, path), author.when)
            text = self._renumber_text(message.encode("utf-8")).decode("utf-8")
            if self.merger.lost:
                text = _with_note(text, self.merger.lost)
                self.merger.lost = []
            # Keep the committer and commit date too: offline work synced hours later must not
            # look back-dated (author date far before commit date) in reports.
            committer = git.committer(sha)
            tip = self.tx.write_commit(tip, files, text, author=author, committer=committer)
        return tip

    def _merge(
        self, path: str, old: bytes | None, new: bytes | None, cur: bytes | None, local_at: datetime
    ) -> bytes | None:
        tid = id_of_path(path)
        if cur == new:
            return new
        if cur == old:
            # a ticket the remote changed and changed back is not "untouched": its later action
            # on a field still beats ours; otherwise our file goes in byte for byte
            if tid and old is not None and new is not None and self._set_at(tid, "*"):
                decided = len(self.merger.decisions)
                kept = self.merger.ticket(tid, old, new, old, local_at)
                if kept is not None and len(self.merger.decisions) > decided:
                    return kept
            return new
        if new == old:
            return cur
        if new is None or cur is None:
            raise SyncError(
                f"{path} was deleted on one side and changed on the other; resolve it by hand"
            )
        merged: bytes | None = None
        if tid and old is not None:
            merged = self.merger.ticket(tid, old, new, cur, local_at)
        elif path.startswith("data/worklogs/"):
            merged = self.merger.worklog(old, new, cur)
        elif path.startswith("data/kb/") and old is not None:
            merged = _merge_article(old, new, cur, self.repo.git.merge_text)
        if merged is None:
            merged, clean = self.repo.git.merge_text(old or b"", cur, new)
            if not clean:
                raise SyncError(
                    f"{path} was changed on both sides and the changes conflict; "
                    f"merge it by hand (git pull), then run sync again"
                )
        return merged


MAIL_PREFIX = "data/mail/"
_RECORD_TICKET = re.compile(rb"(?m)^(ticket:[ \t]*)([A-Z0-9]+-[0-9]+)[ \t]*$")


def _with_alias(content: bytes, alias: str) -> bytes:
    """A ticket file with `alias` among its `aliases` (as it was when unreadable)."""
    try:
        file = TicketFile.parse(content)
    except UnreadableTicket:
        return content
    ticket = file.ticket
    if alias in ticket.aliases:
        return content
    file.update(replace(ticket, aliases=(*ticket.aliases, alias)))
    return file.dump()


def _plain_ticket(repo: Desk, blob: str) -> dict[str, Any]:
    if blob == ZERO:
        return {}
    data = parse_ticket(repo.git.blob(blob))
    return {} if "__error__" in data else data


def _with_note(message: str, lost: list[tuple[str, str, Any]]) -> str:
    """The replayed commit's message with what its action set and the remote's later action
    overrode, in full: nothing typed is lost. It goes before the trailers (git reads only the
    last paragraph as trailers), indented so no line of it can pass for a trailer."""
    lines = ["Overridden in sync by a later action on the remote (kept here as typed):"]
    for tid, key, value in lost:
        text = "" if value is None else str(_plain(value))
        body = text.splitlines() or [""]
        if len(body) == 1:
            lines.append(f"    {tid} {key}: {body[0]}")
        else:
            lines.append(f"    {tid} {key}:")
            lines += [f"        {line}" if line else "" for line in body]
    note = "\n".join(lines)
    paragraphs = message.rstrip("\n").split("\n\n")
    if len(paragraphs) > 1 and re.search(r"(?m)^Ticket: ", paragraphs[-1]):
        paragraphs.insert(len(paragraphs) - 1, note)
    else:
        paragraphs.append(note)
    return "\n\n".join(paragraphs) + "\n"


def sync(repo: Desk, remote: str = "origin", max_attempts: int = MAX_ATTEMPTS) -> SyncResult:
    git = repo.git
    refuse_busy(git)
    branch = git.current_branch()
    if branch is None:
        raise SyncError("HEAD is detached; check out a branch to sync")
    # Only a configured remote, by name: never a URL or anything git could read as an
    # option (`--upload-pack=…` would run a command).
    known = git.remotes()
    if remote not in known:
        listed = ", ".join(known) if known else "none; add one with `git remote add origin URL`"
        raise UsageError(f"unknown remote {remote!r} (remotes: {listed})")
    result = SyncResult(remote, branch)
    with transaction(repo) as tx:
        try:
            return _attempts(repo, tx, remote, branch, max_attempts, result)
        except SupportctlError as exc:
            if not result.renumbered:
                raise
            # An attempt that failed later (push refused, gave up) may already have renumbered
            # tickets here: the user must hear about it now, the next sync will not say it again.
            moved = ", ".join(f"{a} → {b}" for a, b in result.renumbered)
            raise type(exc)(f"{exc.message}; renumbered here meanwhile: {moved}") from None


def _attempts(
    repo: Desk, tx: Transaction, remote: str, branch: str, max_attempts: int, result: SyncResult
) -> SyncResult:
    git = repo.git
    for attempt in range(1, max_attempts + 1):
        result.attempts = attempt
        try:
            git.fetch(remote)
        except GitError as exc:
            raise SyncError(
                f"cannot fetch from {remote}: {exc.message.removeprefix('git fetch failed: ')}"
            ) from None
        upstream = git.rev(f"refs/remotes/{remote}/{branch}")
        head = git.head()
        if head is None and upstream is None:
            return result
        if head is None:
            assert upstream is not None
            result.received += _subjects(repo, upstream)
            _move(tx, upstream)
            result.head = upstream
            return result
        if upstream is None or git.is_ancestor(upstream, head):
            if upstream != head:
                sent = _subjects(repo, f"{upstream}..{head}" if upstream else head)
                if _push(repo, remote, branch, head):
                    result.sent += sent
                    result.head = head
                    return result
                continue
            result.head = head
            return result
        if git.is_ancestor(head, upstream):
            result.received += _subjects(repo, f"{head}..{upstream}")
            _move(tx, upstream)
            result.head = upstream
            return result
        base = git.merge_base(head, upstream)
        if base is None:
            raise SyncError(f"{remote}/{branch} has no history in common with {branch}")
        local = git.rev_list(f"{upstream}..{head}")
        received = _subjects(repo, f"{head}..{upstream}")
        replayer = _Replayer(repo, tx, base, upstream, local)
        tip = replayer.replay()
        _move(tx, tip)
        result.received += received
        result.decisions += replayer.merger.decisions
        for was, now in replayer.renumbered:
            # A retry may renumber again what the previous attempt renumbered: report the
            # user's original ID and the final one.
            first = next((i for i, (_, to) in enumerate(result.renumbered) if to == was), None)
            if first is None:
                result.renumbered.append((was, now))
            else:
                result.renumbered[first] = (result.renumbered[first][0], now)
        sent = _subjects(repo, f"{upstream}..{tip}")
        if _push(repo, remote, branch, tip):
            result.sent += sent
            result.head = tip
            return result
    raise SyncError(f"{remote} kept moving; gave up after {max_attempts} attempts (run sync again)")


def _subjects(repo: Desk, spec: str) -> list[str]:
    return repo.git.subjects(spec)


def _push(repo: Desk, remote: str, branch: str, sha: str) -> bool:
    try:
        return repo.git.push(remote, branch, sha)
    except GitError as exc:
        raise SyncError(
            f"cannot push to {remote}: {exc.message.removeprefix('git push failed: ')}; "
            f"your commits are kept here, run sync again"
        ) from None


def _move(tx: Transaction, new: str) -> None:
    try:
        tx.move_head(new, "supportctl: sync")
    except GitError as exc:
        if ".lock" in exc.message:
            raise  # git's own lock, not the user's changes: exit 8 naming the lock file
        raise SyncError(
            f"local uncommitted changes block the sync ({exc.message}); commit or stash them"
        ) from None
