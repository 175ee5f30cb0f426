"""The ticket fields the e-mail channel adds: absent from older files, which read and write
back byte for byte; in their documented place when set."""

from __future__ import annotations

from dataclasses import replace

from supportctl.domain.ticket import Comment, TicketFile, read_ticket

OLD_FILE = b"""\
# escalated by phone, see the call log
id: SUP-7
title: Checkout fails   # as the customer put it
customer: acme
type: incident
priority: high
channel: email
reporter: Ivan
status: in_progress
line: L1
assignee:
tags: [payments]
created: 2026-10-05T09:00:00+03:00
description: |
  line one
links:
  related: [SUP-1]
comments:
  - at: '2026-10-06T09:00:00+03:00'
    author: anna
    text: |
      We are on it
vendor_case: 4711   # hand-added, not a field of ours
"""


def test_an_older_file_reads_with_the_new_fields_empty_and_writes_back_unchanged() -> None:
    t = read_ticket(OLD_FILE)
    assert (t.requester, t.cc, t.message_ids, t.aliases) == (None, (), (), ())
    assert t.comments[0].kind == "public"
    assert not t.comments[0].from_customer
    plain = t.to_plain()
    for key in ("requester", "cc", "message_ids", "aliases"):
        assert key not in plain
    assert "from_customer" not in plain["comments"][0]
    file = TicketFile.parse(OLD_FILE)
    file.update(replace(file.ticket, title=file.ticket.title))
    assert file.dump() == OLD_FILE


def test_mail_fields_go_to_their_documented_places() -> None:
    file = TicketFile.parse(OLD_FILE)
    t = file.ticket
    entry = Comment(
        at="2026-10-07T09:00:00+03:00",
        author="ivan@acme.example",
        from_customer=True,
        text="Still broken",
        message_id="<a1@acme.example>",
        attachments=("data/mail/ab/abc/screen.png",),
    )
    file.update(
        replace(
            t,
            requester="ivan@acme.example",
            cc=("boss@acme.example",),
            aliases=("SUP-3",),
            comments=(*t.comments, entry),
            message_ids=("<a1@acme.example>",),
        )
    )
    text = file.dump().decode()
    assert "reporter: Ivan\nrequester: ivan@acme.example\ncc: [boss@acme.example]\nstatus:" in text
    assert "links:\n  related: [SUP-1]\naliases: [SUP-3]\ncomments:\n" in text
    assert text.endswith(
        "      We are on it\n"
        "  - at: '2026-10-07T09:00:00+03:00'\n"
        "    author: ivan@acme.example\n"
        "    from_customer: true\n"
        "    text: Still broken\n"
        "    message_id: <a1@acme.example>\n"
        "    attachments:\n"
        "      - data/mail/ab/abc/screen.png\n"
        "vendor_case: 4711   # hand-added, not a field of ours\n"  # a hand-added key stays put
        "message_ids:\n"
        "  - <a1@acme.example>\n"
    )
    back = read_ticket(file.dump())
    assert back.comments[-1] == replace(entry, keys=back.comments[-1].keys)
    assert back.comments[-1].kind == "customer"
    # a second Message-ID adds a line: the ones before stay as they are
    before = file.dump()
    file.update(replace(file.ticket, message_ids=(*file.ticket.message_ids, "<a2@desk>")))
    after = file.dump()
    assert after == before + b"  - <a2@desk>\n"


def test_comment_kind_tells_the_three_entries_apart() -> None:
    assert Comment(text="x").kind == "public"
    assert Comment(text="x", visibility="public").kind == "public"
    assert Comment(text="x", visibility="internal").kind == "internal"
    assert Comment(text="x", from_customer=True).kind == "customer"
    assert not Comment(text="x", from_customer=True).internal


def test_a_from_customer_that_is_not_true_or_false_is_kept_as_written() -> None:
    t = read_ticket(
        OLD_FILE.replace(b"    author: anna\n", b"    author: anna\n    from_customer: yes\n")
    )
    assert t.comments[0].kind == "public"
    assert t.to_plain()["comments"][0]["from_customer"] == "yes"
