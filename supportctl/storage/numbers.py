"""The highest ticket number ever used, per ID prefix: IDs are never handed out twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportctl.domain.ids import id_of_path, parse_id

if TYPE_CHECKING:
    from collections.abc import Iterable

    from supportctl.storage.cache import CachedRepo

IDS = "ids"  # the cache of highest ticket numbers (see CACHE_FORMATS)


def highest_ticket_numbers(repo: CachedRepo, rev: str = "HEAD") -> dict[str, int]:
    """Per ID prefix, the highest ticket number ever used in the history of `rev`: in a
    ticket file it has, or in one any of its commits deleted (or renamed away).

    Kept in a small cache file with the commit it was read at and
    extended with the commits since, so `new` on a long history reads a few commits. The
    first time, only the highest shard folders are searched for deleted files: a number
    above the highest one in the tree was handed out in its shard or a later one.
    """
    git = repo.git
    tip = git.rev(rev)
    if tip is None:
        return {}
    saved = repo.cache.read_json(IDS)
    try:
        known, best = str(saved["tip"]), {str(k): int(v) for k, v in saved["max"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        known, best = "", {}

    def see(paths: Iterable[str]) -> None:
        for p in paths:
            parsed = parse_id(tid) if (tid := id_of_path(p)) else None
            if parsed:
                best[parsed[0]] = max(best.get(parsed[0], 0), parsed[1])

    if known == tip:
        return best
    step = git.changed_on(known, tip, "data/tickets") if known else None
    if step is not None:
        # one commit on (the previous action's): its own files, read from its trees
        see(step)
    elif known and git.rev(known):
        # also when history was rewritten (a sync replays local commits): an ID the old
        # tip used stays used, which is all this has to promise
        see(git.deleted_paths(f"{known}..{tip}", ["data/tickets"]))
        see(p for p, _, _ in git.changed_paths(known, tip))
    else:
        best = {}
        shards = sorted(git.names_in(tip, "data/tickets/"))
        where = ["data/tickets"]
        if shards and shards[-1].rsplit("/", 1)[-1].isdigit():
            see(p for p, _ in git.files_in(tip, shards[-1]))
            top = int(shards[-1].rsplit("/", 1)[-1])
            where = [f"data/tickets/{n:04d}" for n in (top, top + 1, top + 2)]
        see(git.deleted_paths(tip, where))
    repo.cache.write_json(IDS, {"tip": tip, "max": best})
    return best
