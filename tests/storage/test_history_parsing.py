"""Events from one commit's trailers or ticket files, without git: the commit is written out
as the log reader hands it over, and blobs are bytes looked up by id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from supportctl.domain.events import Event
from supportctl.storage.git import ZERO, RawCommit
from supportctl.storage.history import (
    events_from_diff,
    events_from_trailers,
    generation_at,
)

MSK = timezone(timedelta(hours=3))
AT = datetime(2026, 10, 5, 10, 0, tzinfo=MSK)
LATER = datetime(2026, 10, 5, 10, 30, tzinfo=MSK)
T1 = "data/tickets/0000/SUP-1.yaml"
T2 = "data/tickets/0000/SUP-2.yaml"


def commit(
    *trailers: tuple[str, str],
    changes: tuple[tuple[str, str, str], ...] = (),
    sha: str = "a" * 40,
) -> RawCommit:
    return RawCommit(
        sha, (), "Anna Smirnova", "anna@support.example", AT, LATER, "s", trailers, changes
    )


TICKET = """\
id: SUP-1
title: Printer jams
customer: acme
type: incident
priority: normal
status: new
line: L1
created: '2026-10-05T10:00:00+03:00'
comments: []
"""


# -- trailers ----------------------------------------------------------------------------------
def test_trailers_give_one_event_with_every_change_and_detail() -> None:
    c = commit(
        ("Ticket", "SUP-1"),
        ("Action", "escalate"),
        ("From-line", "L1"),
        ("To-line", "L2"),
        ("From-assignee", "anna"),
        ("To-assignee", "-"),  # `-` is "no value"
        ("Reason", "needs DB analysis"),
    )
    (e,) = events_from_trailers(c)
    assert e == Event(
        "a" * 40,
        "SUP-1",
        "escalate",
        AT,
        LATER,
        "Anna Smirnova",
        "anna@support.example",
        {"line": ("L1", "L2"), "assignee": ("anna", None)},
        {"reason": "needs DB analysis"},
    )
    assert (e.manual, e.backdated) == (False, timedelta(minutes=30))


def test_trailer_keys_are_read_case_blind_and_untracked_fields_are_ignored() -> None:
    c = commit(
        ("ticket", "SUP-1"),
        ("ACTION", "new"),
        ("to-Status", "new"),  # a new ticket has only To- trailers
        ("To-colour", "red"),  # not a tracked field: dropped
        ("Channel", "phone"),
    )
    (e,) = events_from_trailers(c)
    assert (e.action, e.changes, e.details) == (
        "new",
        {"status": (None, "new")},
        {"channel": "phone"},
    )


def test_one_commit_for_two_tickets_is_an_event_on_each() -> None:
    c = commit(("Ticket", "SUP-1"), ("Ticket", "SUP-2"), ("Action", "link"), ("Action", "edit"))
    events = events_from_trailers(c)
    # the first Action trailer wins
    assert [(e.ticket, e.action) for e in events] == [("SUP-1", "link"), ("SUP-2", "link")]


def test_without_a_ticket_trailer_there_is_no_event_and_without_action_it_is_an_edit() -> None:
    assert events_from_trailers(commit(("Action", "new"), ("To-status", "new"))) == []
    assert events_from_trailers(commit()) == []
    (e,) = events_from_trailers(commit(("Ticket", "SUP-1")))
    assert e.action == "edit"


# -- hand edits: ticket files before and after --------------------------------------------------
def diff(*changes: tuple[str, bytes | None, bytes | None]) -> list[Event]:
    """Events of a hand-made commit changing each path from one text to another (None: absent)."""
    blobs: dict[str, bytes] = {}
    rows = []
    for i, (path, old, new) in enumerate(changes):
        ids = []
        for side, text in (("o", old), ("n", new)):
            if text is None:
                ids.append(ZERO)
            else:
                blob_id = f"{side}{i}".ljust(40, "0")
                blobs[blob_id] = text
                ids.append(blob_id)
        rows.append((path, ids[0], ids[1]))
    return events_from_diff(commit(changes=tuple(rows)), blobs.__getitem__)


def test_a_hand_edit_is_the_event_its_status_change_names() -> None:
    after = TICKET.replace("status: new", "status: in_progress").replace(
        "priority: normal", "priority: high"
    )
    (e,) = diff((T1, TICKET.encode(), after.encode()))
    assert (e.ticket, e.action, e.manual) == ("SUP-1", "start", True)
    assert e.changes == {"status": ("new", "in_progress"), "priority": ("normal", "high")}


def test_a_resolved_ticket_moved_back_by_hand_is_a_reopen() -> None:
    resolved = TICKET.replace("status: new", "status: resolved")
    (e,) = diff(
        (T1, resolved.encode(), TICKET.replace("status: new", "status: in_progress").encode())
    )
    assert (e.action, e.changes) == ("reopen", {"status": ("resolved", "in_progress")})


def test_a_line_change_by_hand_is_an_escalation_and_a_comment_is_its_own_event() -> None:
    after = TICKET.replace("line: L1", "line: L2").replace(
        "comments: []",
        "comments:\n- {author: anna, at: '2026-10-05T10:20:00+03:00', text: Hi}\n"
        "- {author: anna, at: '2026-10-05T10:21:00+03:00', text: Note, visibility: internal}",
    )
    events = diff((T1, TICKET.encode(), after.encode()))
    assert [(e.action, e.changes, e.details) for e in events] == [
        ("escalate", {"line": ("L1", "L2")}, {}),
        ("comment", {}, {"visibility": "public"}),
        ("comment", {}, {"visibility": "internal"}),
    ]


def test_a_file_added_by_hand_is_new_and_one_removed_is_a_delete() -> None:
    with_channel = TICKET.replace("line: L1", "line: L1\nchannel: phone")
    (new,) = diff((T1, None, with_channel.encode()))
    assert (new.action, new.details, new.changes["status"]) == (
        "new",
        {"channel": "phone"},
        (None, "new"),
    )
    (gone,) = diff((T1, TICKET.encode(), None))
    assert (gone.ticket, gone.action, gone.changes) == ("SUP-1", "delete", {})


def test_a_file_moved_by_hand_with_the_same_created_time_is_a_rename() -> None:
    moved = TICKET.replace("id: SUP-1", "id: SUP-2")
    (e,) = diff((T1, TICKET.encode(), None), (T2, None, moved.encode()))
    assert (e.ticket, e.action, e.details, e.changes) == (
        "SUP-2",
        "rename",
        {"from": "SUP-1", "file": "SUP-2"},
        {},
    )


def test_broken_or_foreign_files_carry_no_event() -> None:
    assert diff((T1, TICKET.encode(), b"id: [SUP-1\n")) == []  # not YAML after the edit
    assert diff(("data/kb/a.md", None, b"---\ntitle: x\n---\n")) == []  # not a ticket file
    # unchanged tracked fields and no new comment: nothing happened to the ticket
    assert diff((T1, TICKET.encode(), (TICKET + "# a remark\n").encode())) == []


# -- grouping ---------------------------------------------------------------------------------
def event(ticket: str, at: datetime, sha: str) -> Event:
    return Event(sha, ticket, "comment", at, at, "Anna", "anna@x")


def test_the_generation_of_an_id_is_the_latest_created_at_or_before_the_moment() -> None:
    day = timedelta(days=1)
    grouped = {
        "SUP-1~1": [event("SUP-1~1", AT, "1")],  # the first ticket of that ID, deleted
        "SUP-1~2": [event("SUP-1~2", AT + day, "2")],
        "SUP-1": [event("SUP-1", AT + 3 * day, "3")],  # the live one
    }
    assert generation_at(grouped, "SUP-1", AT - day) == "SUP-1"  # before any: the live ID
    assert generation_at(grouped, "SUP-1", AT) == "SUP-1~1"
    assert generation_at(grouped, "SUP-1", AT + 2 * day) == "SUP-1~2"
    assert generation_at(grouped, "SUP-1", AT + 3 * day) == "SUP-1"
    assert generation_at({}, "SUP-7", AT) == "SUP-7"
