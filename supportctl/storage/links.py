"""Which tickets point at a ticket: its duplicates (`links.duplicate_of`) and children
(`links.parent`), found without reading every ticket file.

The links of a shard folder's tickets are cached by the folder's tree id, as the listing
is (`queries.listing`): a warm question reads one row per shard and parses nothing; a
commit that changes one shard reads that shard's ticket files again, and only those
(each of them parsed once per blob, through the ticket cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supportctl.domain.ids import id_of_path, sort_key

if TYPE_CHECKING:
    from supportctl.storage.desk import Desk

KIND = "links"
# per shard: [ticket ID, duplicate_of, parent] of each ticket that has either
Row = list[str | None]


@dataclass(frozen=True)
class PointingHere:
    """The tickets whose links point at one ticket, in ID order."""

    duplicates: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def pointing_at(repo: Desk, ticket_id: str) -> PointingHere:
    """The committed tickets (at HEAD) that are duplicates or children of `ticket_id`."""
    found = PointingHere()
    for tid, duplicate_of, parent in _rows(repo):
        if duplicate_of == ticket_id:
            found.duplicates.append(str(tid))
        if parent == ticket_id:
            found.children.append(str(tid))
    found.duplicates.sort(key=sort_key)
    found.children.sort(key=sort_key)
    return found


def _rows(repo: Desk) -> list[Row]:
    top = repo.git.tree("HEAD:data/tickets") or []
    shards = [(name, oid) for mode, name, oid in top if mode == "040000"]
    keys = [f"{name} {oid}" for name, oid in shards]
    cached = repo.cache.get_many(KIND, keys)
    missing = [(name, oid, key) for (name, oid), key in zip(shards, keys, strict=True)]
    missing = [m for m in missing if m[2] not in cached]
    if missing:
        fresh = _shard_rows(repo, missing)
        repo.cache.put_many(KIND, fresh)
        cached.update(fresh)
    return [row for key in keys for row in cached[key]]


def _shard_rows(repo: Desk, shards: list[tuple[str, str, str]]) -> dict[str, list[Row]]:
    files: list[tuple[str, str]] = []
    key_of = {}
    for name, oid, key in shards:
        key_of[name] = key
        for mode, file_name, blob in repo.git.tree(oid) or []:
            path = f"data/tickets/{name}/{file_name}"
            if mode != "040000" and id_of_path(path):
                files.append((path, blob))
    found: dict[str, list[Row]] = {key: [] for _, _, key in shards}
    for view in repo.ticket_files(files, ("id", "links")):
        if view.error:
            continue  # `validate` names it; a broken file points nowhere
        links = view.ticket.links
        if links.duplicate_of or links.parent:
            row: Row = [view.ticket.id, links.duplicate_of, links.parent]
            found[key_of[view.path.split("/")[2]]].append(row)
    return found
