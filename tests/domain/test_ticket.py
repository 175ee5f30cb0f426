"""The typed ticket: reading plain data and YAML into it, and writing changes back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from supportctl.domain.ticket import (
    COMMENT_KEYS,
    EDITABLE_FIELDS,
    LINK_KINDS,
    TICKET_KEYS,
    TRACKED_FIELDS,
    VOCABULARY,
    WORKLOG_KEYS,
    Comment,
    Links,
    Ticket,
    TicketFile,
    UnreadableTicket,
    WorklogEntry,
    invalid_value,
    parse_ticket,
    read_ticket,
)

FULL = {
    "id": "SUP-7",
    "title": "Checkout fails",
    "customer": "acme",
    "type": "incident",
    "priority": "high",
    "class": "payments",
    "channel": "email",
    "reporter": "Пётр",
    "status": "resolved",
    "line": "L2",
    "assignee": "boris",
    "tags": ["payments", "urgent"],
    "created": "2026-10-05T09:00:00+03:00",
    "description": "line one\nline two\n",
    "links": {"duplicate_of": "SUP-3", "related": ["SUP-1", "SUP-2"], "parent": "SUP-5"},
    "kb": "checkout-500",
    "resolution": "restarted the gateway",
    "comments": [
        {
            "at": "2026-10-05T10:00:00+03:00",
            "author": "boris",
            "visibility": "public",
            "text": "On it",
        },
        {
            "at": "2026-10-05T11:00:00+03:00",
            "author": "anna",
            "visibility": "internal",
            "text": "DB",
        },
    ],
}

HAND_WRITTEN = b"""\
# escalated by phone, see the call log
id: SUP-7
title: Checkout fails   # as the customer put it
customer: acme
type: incident
priority: high
channel: email
status: in_progress
line: L1
assignee:
tags: [payments]
created: 2026-10-05T09:00:00+03:00
description: |
  line one
  line two
vendor_case: 4711   # hand-added, not a field of ours
"""


def test_field_names_come_from_the_dataclasses() -> None:
    assert TICKET_KEYS == (
        "id",
        "title",
        "customer",
        "type",
        "priority",
        "class",
        "channel",
        "reporter",
        "requester",
        "cc",
        "status",
        "line",
        "assignee",
        "tags",
        "created",
        "description",
        "links",
        "aliases",
        "kb",
        "resolution",
        "service",
        "impact",
        "outage",
        "comments",
        "message_ids",
        "alert",
    )
    assert LINK_KINDS == ("duplicate_of", "related", "parent")
    assert COMMENT_KEYS == (
        "at",
        "author",
        "from_customer",
        "visibility",
        "text",
        "message_id",
        "attachments",
    )
    assert WORKLOG_KEYS == ("ticket", "minutes", "on", "note", "author", "at")
    # the named subsets are subsets: a typo in one would silently drop a field
    assert set(TRACKED_FIELDS) <= set(TICKET_KEYS)
    assert set(EDITABLE_FIELDS) <= set(TICKET_KEYS)
    assert set(VOCABULARY) <= set(TICKET_KEYS)


def test_from_plain_types_every_field() -> None:
    t = Ticket.from_plain(FULL)
    assert (t.id, t.title, t.class_, t.status, t.assignee) == (
        "SUP-7",
        "Checkout fails",
        "payments",
        "resolved",
        "boris",
    )
    assert t.tags == ("payments", "urgent")
    assert t.links == Links.from_plain(FULL["links"])  # type: ignore[arg-type]
    assert (t.links.duplicate_of, t.links.related, t.links.parent) == (
        "SUP-3",
        ("SUP-1", "SUP-2"),
        "SUP-5",
    )
    assert [c.author for c in t.comments] == ["boris", "anna"]
    assert [c.internal for c in t.comments] == [False, True]
    assert t.comments[0].text == "On it"
    assert t.value("class") == "payments"
    assert t.with_value("class", "hardware").class_ == "hardware"
    assert not t.kept


def test_round_trip_is_exact() -> None:
    assert Ticket.from_plain(FULL).to_plain() == FULL
    assert list(Ticket.from_plain(FULL).to_plain()) == list(FULL)


def test_round_trip_keeps_what_it_cannot_type() -> None:
    odd = {
        "vendor_case": 4711,
        "id": "SUP-7",
        "title": 42,
        "tags": "urgent",
        "links": {"related": "SUP-1", "see": "wiki"},
        "comments": [{"at": "2026-10-05T10:00:00+03:00", "text": "hi", "via": "mail"}, "junk"],
        "assignee": None,
    }
    t = Ticket.from_plain(odd)
    # typed views of the odd values: text as text, a list that is none as empty
    assert t.title == "42"
    assert t.tags == ()
    assert t.links.related == ()
    assert t.comments[0].text == "hi"
    assert t.comments[1] == Comment()
    assert t.has("assignee")
    assert not t.has("reporter")
    plain = t.to_plain()
    assert plain == odd
    assert list(plain) == list(odd)
    # a field changed in code is written as set, the rest as read
    changed = replace(t, title="Checkout fails").to_plain()
    assert changed["title"] == "Checkout fails"
    assert changed["vendor_case"] == 4711


def test_built_in_code_writes_set_fields_in_key_order() -> None:
    t = Ticket(status="new", id="SUP-1", tags=("a",), links=Links(parent="SUP-9"))
    assert list(t.to_plain().items()) == [
        ("id", "SUP-1"),
        ("status", "new"),
        ("tags", ["a"]),
        ("links", {"parent": "SUP-9"}),
    ]


def test_worklog_entry() -> None:
    entry = WorklogEntry.from_plain(
        {"ticket": "SUP-1", "minutes": 30, "on": "2026-10-05", "author": "boris", "at": "t"}
    )
    assert (entry.ticket, entry.minutes, entry.note) == ("SUP-1", 30, "")
    odd = WorklogEntry.from_plain({"ticket": "SUP-1", "minutes": "45", "note": None})
    assert (odd.minutes, odd.note) == (45, "")
    assert odd.to_plain() == {"ticket": "SUP-1", "minutes": "45", "note": None}
    assert WorklogEntry.from_plain({"minutes": "lots"}).minutes == 0


def test_read_ticket() -> None:
    t = read_ticket(HAND_WRITTEN)
    assert (t.id, t.title, t.status, t.assignee) == ("SUP-7", "Checkout fails", "in_progress", None)
    assert t.created == "2026-10-05T09:00:00+03:00"
    assert t.description == "line one\nline two\n"
    assert t.kept == {"vendor_case": 4711}


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"- just\n- a list\n", "expected a mapping of ticket fields", 1),
        (b"id: SUP-1\ntitle: [unclosed\n", None, 3),
        (b"id: SUP-1\nid: SUP-2\n", None, 2),
    ],
)
def test_unreadable_ticket(content: bytes, message: str | None, line: int) -> None:
    with pytest.raises(UnreadableTicket) as caught:
        read_ticket(content)
    plain = parse_ticket(content)  # what the cache keeps: the same message and line
    assert plain == {"__error__": caught.value.message, "__line__": caught.value.line}
    assert caught.value.line == line
    if message is not None:
        assert caught.value.message == message
    with pytest.raises(UnreadableTicket) as again:
        TicketFile.parse(content)
    assert (again.value.message, again.value.line) == (caught.value.message, line)


def test_invalid_value_messages() -> None:
    lines = ("L1", "L2")
    t = Ticket.from_plain({"id": "SUP-3", "status": "in progres", "priority": "high"})
    assert invalid_value(t, lines) == (
        "SUP-3: invalid status 'in progres' (expected one of new, in_progress, waiting, "
        "resolved, closed); run supportctl validate"
    )
    t = Ticket.from_plain({"id": "SUP-3", "priority": 3})
    assert invalid_value(t, lines) == (
        "SUP-3: invalid priority '3' (expected one of critical, high, normal, low); "
        "run supportctl validate"
    )
    t = Ticket.from_plain({"line": "L9"})
    assert invalid_value(t, lines) == (
        "?: invalid line 'L9' (expected one of L1, L2); run supportctl validate"
    )
    t = Ticket.from_plain({"id": "SUP-3", "customer": "initech", "status": ""})
    assert invalid_value(t, lines) is None
    assert invalid_value(t, lines, ()) == (
        "SUP-3: invalid customer 'initech' (expected one of none configured); "
        "run supportctl validate"
    )


def test_writer_without_changes_keeps_every_byte() -> None:
    file = TicketFile.parse(HAND_WRITTEN)
    file.update(file.ticket)
    assert file.dump() == HAND_WRITTEN


def test_writer_edits_in_place_and_keeps_comments_and_order() -> None:
    file = TicketFile.parse(HAND_WRITTEN)
    t = file.ticket
    file.update(replace(t, status="resolved", assignee="boris", resolution="one\ntwo"))
    text = file.dump().decode()
    assert text.startswith("# escalated by phone, see the call log\nid: SUP-7\n")
    assert "title: Checkout fails   # as the customer put it\n" in text
    assert "status: resolved\n" in text
    assert "assignee: boris\n" in text
    # a key the file lacks goes before the first key that comes after it in TICKET_KEYS,
    # else to the end (after hand-added keys, whose place nobody knows)
    assert text.endswith(
        "vendor_case: 4711   # hand-added, not a field of ours\nresolution: |\n  one\n  two\n"
    )
    assert file.ticket.resolution == "one\ntwo\n"
    threaded = TicketFile.parse(b"id: SUP-7\nstatus: waiting\ncomments: []\nzz: 1\n")
    threaded.update(replace(threaded.ticket, kb="checkout-500", resolution="done"))
    assert threaded.dump() == (
        b"id: SUP-7\nstatus: waiting\nkb: checkout-500\nresolution: done\ncomments: []\nzz: 1\n"
    )


def test_writer_adds_comments_tags_and_links() -> None:
    file = TicketFile.parse(HAND_WRITTEN)
    t = file.ticket
    note = Comment(
        at="2026-10-06T09:00:00+03:00", author="anna", visibility="internal", text="a\nb"
    )
    file.update(
        replace(
            t,
            tags=(*t.tags, "urgent"),
            links=replace(t.links, related=("SUP-1",)),
            comments=(note,),
        )
    )
    text = file.dump().decode()
    assert "tags: [payments, urgent]\n" in text
    assert text.endswith(
        "vendor_case: 4711   # hand-added, not a field of ours\n"
        "links:\n  related: [SUP-1]\n"
        "comments:\n"
        "  - at: '2026-10-06T09:00:00+03:00'\n"
        "    author: anna\n"
        "    visibility: internal\n"
        "    text: |\n      a\n      b\n"
    )
    written = ("at", "author", "visibility", "text")
    assert file.ticket.comments == (replace(note, text="a\nb\n", keys=written),)
    assert file.ticket.links.related == ("SUP-1",)
    # the thread only grows
    with pytest.raises(ValueError, match="only be added at the end"):
        file.update(replace(file.ticket, comments=()))


def test_merged_ticket_rewrites_the_thread_and_keeps_the_lines_that_stay() -> None:
    file = TicketFile.parse(
        HAND_WRITTEN
        + b"links:\n  related: [SUP-1, SUP-2]\n"
        + b"comments:\n"
        + b"  - at: '2026-10-06T09:00:00+03:00'   # first\n    author: anna\n    text: one\n"
        + b"  - at: '2026-10-06T11:00:00+03:00'\n    author: anna\n    text: gone\n"
    )
    t = file.ticket
    first = t.comments[0]
    between = Comment(at="2026-10-06T10:00:00+03:00", author="boris", text="two")
    merged = Ticket.from_plain(
        {
            **{k: v for k, v in t.to_plain().items() if k != "vendor_case"},
            "links": {"related": ["SUP-2", "SUP-3"]},
            "comments": [first.to_plain(), between.to_plain()],
            "escalation_note": "by phone",
        }
    )
    file.merge_in(merged)
    text = file.dump().decode()
    assert text.startswith(HAND_WRITTEN.decode().split("vendor_case")[0])
    assert "vendor_case" not in text
    assert text.endswith(
        "links:\n  related: [SUP-2, SUP-3]\n"
        "comments:\n"
        "  - at: '2026-10-06T09:00:00+03:00'   # first\n    author: anna\n    text: one\n"
        "  - at: '2026-10-06T10:00:00+03:00'\n    author: boris\n    text: two\n"
        "escalation_note: by phone\n"
    )
    assert [c.text for c in file.ticket.comments] == ["one", "two"]


def test_writer_removes_tags() -> None:
    file = TicketFile.parse(HAND_WRITTEN)
    file.update(replace(file.ticket, tags=()))
    assert "tags: []\n" in file.dump().decode()


def test_new_file() -> None:
    t = Ticket(
        id="SUP-1",
        title="Checkout fails",
        customer="acme",
        status="new",
        assignee=None,
        tags=("payments",),
        description="line one\nline two",
        keys=("id", "title", "customer", "status", "assignee", "tags", "description"),
    )
    file = TicketFile.new(t)
    assert file.dump() == (
        b"id: SUP-1\ntitle: Checkout fails\ncustomer: acme\nstatus: new\nassignee:\n"
        b"tags: [payments]\ndescription: |\n  line one\n  line two\n"
    )
    assert read_ticket(file.dump()) == replace(t, description="line one\nline two\n")


def test_merged_ticket_takes_values_the_typed_fields_cannot_hold() -> None:
    file = TicketFile.parse(b"id: SUP-7\npriority: urgent!\ntitle: x\nzz: 1\n")
    t = file.ticket
    file.merge_in(Ticket.from_plain({**t.to_plain(), "priority": "p0", "zz": 2}))
    assert file.dump() == b"id: SUP-7\npriority: p0\ntitle: x\nzz: 2\n"
    file.merge_in(Ticket.from_plain({**file.ticket.to_plain(), "priority": "high"}))
    assert file.dump() == b"id: SUP-7\npriority: high\ntitle: x\nzz: 2\n"


ALERT_TICKET = b"""\
id: SUP-9
title: HighLatency
status: new
service: shop
alert:
  identity: 6a1f   # the fingerprint
  source: alertmanager
  labels: {alertname: HighLatency, severity: critical}
  severity: critical
  count: 3
  firing:
    - {start: '2026-11-03T10:00:00+00:00', end: '2026-11-03T10:42:00+00:00'}
    - {start: '2026-11-03T11:00:00+00:00'}
  seen: [aa, bb]
"""


def test_an_alert_ticket_reads_and_writes_back_its_alert() -> None:
    from supportctl.domain.ticket import FiringInterval

    file = TicketFile.parse(ALERT_TICKET)
    t = file.ticket
    assert t.service == "shop"
    assert (t.alert.identity, t.alert.count, t.alert.seen) == ("6a1f", 3, ("aa", "bb"))
    assert dict(t.alert.labels) == {"alertname": "HighLatency", "severity": "critical"}
    assert [(i.start, i.end) for i in t.alert.firing] == [
        ("2026-11-03T10:00:00+00:00", "2026-11-03T10:42:00+00:00"),
        ("2026-11-03T11:00:00+00:00", None),
    ]
    assert t.alert.firing_now
    end = "2026-11-03T11:05:00+00:00"
    ended = (*t.alert.firing[:-1], FiringInterval(t.alert.firing[-1].start, end))
    file.update(replace(t, alert=replace(t.alert, firing=ended, count=4)))
    text = file.dump().decode()
    assert "  - {start: '2026-11-03T11:00:00+00:00', end: '2026-11-03T11:05:00+00:00'}\n" in text
    assert "  count: 4\n" in text
    assert not file.ticket.alert.firing_now
    # a file without the keys has neither
    plain = read_ticket(HAND_WRITTEN)
    assert plain.service is None
    assert plain.alert.identity is None
    assert not plain.alert.firing_now
