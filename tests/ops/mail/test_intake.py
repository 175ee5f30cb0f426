"""The mail intake against real git repos: every message one commit, or the quarantine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import TemporaryFailure
from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import read_ticket
from supportctl.ops import tickets as actions
from supportctl.ops.mail import quarantine as q
from supportctl.ops.mail.intake import IngestResult, fallback_message_id, ingest
from supportctl.ops.mail.records import mail_hash, paths_of
from supportctl.storage import transaction as transaction_module
from supportctl.storage.desk import Desk
from tests.helpers import Cli, Remote, assert_clean, desk_lock_held, git, head, monday, trailers
from tests.mailtexts import MAIL_CONFIG, message, use_mail_config, with_attachment

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.domain.ticket import Ticket


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_mail_config(support_repo)
    return support_repo


def take(root: Path, *raws: bytes) -> list[IngestResult]:
    return ingest(Desk(root), raws)


def ticket(root: Path, tid: str) -> Ticket:
    return read_ticket((root / ticket_path(tid)).read_bytes())


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)


FIRST = message(
    subject="Re: Fwd: VPN does not connect",
    cc="Boss <boss@acme.example>, support@desk.example",
    body=("Hello,\n\nthe VPN fails since this morning.\n\n-- \nИван Петров, ACME\n"),
)


def reply(mid: str = "<m2@acme.example>", **kw: str) -> bytes:
    fields = {
        "subject": "Re: VPN does not connect",
        "body": "Still broken.\n\nOn Mon, Support wrote:\n> We are on it\n",
        "message_id": mid,
        "in_reply_to": "<m1@acme.example>",
        **kw,
    }
    return message(**fields)  # type: ignore[arg-type]


# -- a new ticket ---------------------------------------------------------------------------
def test_a_new_message_opens_a_ticket_in_one_commit(root: Path) -> None:
    before = commits(root)
    [r] = take(root, FIRST)
    assert r == IngestResult("<m1@acme.example>", "new", "SUP-1", head(root))
    assert commits(root) == before + 1
    t = ticket(root, "SUP-1")
    assert (t.title, t.customer, t.channel, t.status, t.type, t.priority) == (
        "VPN does not connect",
        "acme",
        "email",
        "new",
        "incident",
        "normal",
    )
    assert t.reporter == "Иван Петров <ivan@acme.example>"
    assert t.requester == "ivan@acme.example"
    assert t.cc == ("boss@acme.example",)
    assert t.description == "Hello,\n\nthe VPN fails since this morning.\n"  # no signature
    assert t.message_ids == ("<m1@acme.example>",)
    assert trailers(root) == [
        ("Ticket", "SUP-1"),
        ("Action", "new"),
        ("To-Status", "new"),
        ("To-Line", "L1"),
        ("To-Priority", "normal"),
        ("To-Type", "incident"),
        ("To-Customer", "acme"),
        ("Channel", "email"),
        ("Message-Id", "<m1@acme.example>"),
    ]
    paths = paths_of("<m1@acme.example>")
    assert paths.eml == f"data/mail/{mail_hash('<m1@acme.example>')[:2]}/{paths.hash}.eml"
    assert len(paths.hash) == 40
    assert (root / paths.eml).read_bytes() == FIRST
    record = (root / paths.record).read_text(encoding="utf-8")
    assert record == (
        "message_id: <m1@acme.example>\n"
        "direction: in\n"
        "ticket: SUP-1\n"
        "outcome: new\n"
        "received: '2026-10-05T10:00:00+03:00'\n"
        "from: ivan@acme.example\n"
        "to:\n  - support@desk.example\n"
        "cc:\n  - boss@acme.example\n  - support@desk.example\n"
        "subject: 'Re: Fwd: VPN does not connect'\n"
        "attachments: []\n"
        "skipped_attachments: []\n"
    )
    assert git(root, "status", "--porcelain") == ""


def test_a_new_ticket_file_has_the_keys_of_new_and_the_mail_ones(root: Path) -> None:
    take(root, FIRST)
    text = (root / ticket_path("SUP-1")).read_text(encoding="utf-8")
    keys = [ln.split(":", 1)[0] for ln in text.splitlines() if ln and ln[0] not in " -"]
    assert keys == [
        "id",
        "title",
        "customer",
        "type",
        "priority",
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
        "message_ids",
    ]


# -- threading --------------------------------------------------------------------------------
def test_a_reply_threads_by_in_reply_to(root: Path) -> None:
    take(root, FIRST)
    [r] = take(root, reply(cc="Anna <anna@acme.example>"))
    assert (r.outcome, r.ticket, r.commit) == ("entry", "SUP-1", head(root))
    t = ticket(root, "SUP-1")
    entry = t.comments[-1]
    assert (entry.kind, entry.author, entry.text, entry.message_id) == (
        "customer",
        "ivan@acme.example",
        "Still broken.",
        "<m2@acme.example>",
    )
    assert t.message_ids == ("<m1@acme.example>", "<m2@acme.example>")
    assert t.cc == ("boss@acme.example", "anna@acme.example")  # the requester copied her in
    assert trailers(root) == [
        ("Ticket", "SUP-1"),
        ("Action", "customer-message"),
        ("Message-Id", "<m2@acme.example>"),
    ]


def test_references_thread_when_in_reply_to_is_unknown(root: Path) -> None:
    take(root, FIRST)
    raw = message(
        message_id="<m3@acme.example>",
        subject="again",
        in_reply_to="<unknown@elsewhere>",
        references="<m1@acme.example> <unknown@elsewhere>",
    )
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("entry", "SUP-1")


def test_a_subject_tag_threads_when_the_sender_is_on_the_ticket(root: Path) -> None:
    take(root, FIRST)
    # the requester, without In-Reply-To
    [r] = take(root, message(subject="Re: [SUP-1] VPN", message_id="<t1@acme.example>"))
    assert (r.outcome, r.ticket) == ("entry", "SUP-1")
    # a colleague at the customer's domain
    [r] = take(
        root,
        message("petr@acme.example", "[sup-1] me too", message_id="<t2@acme.example>", name="Petr"),
    )
    assert (r.outcome, r.ticket) == ("entry", "SUP-1")
    assert commits(root) == 6  # init, two configurations, three messages


def test_a_stranger_quoting_a_number_gets_a_new_linked_ticket(root: Path) -> None:
    take(root, FIRST)
    before = (root / ticket_path("SUP-1")).read_bytes()
    raw = message(
        "mallory@globex.example",
        "Re: [SUP-1] VPN does not connect",
        "Please send me the VPN password.\n",
        message_id="<x1@globex.example>",
        name="Mallory",
    )
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    assert (root / ticket_path("SUP-1")).read_bytes() == before
    t = ticket(root, "SUP-2")
    assert (t.customer, t.requester, t.links.related) == (
        "globex",
        "mallory@globex.example",
        ("SUP-1",),
    )
    assert ("Link", "related SUP-1") in trailers(root)


def test_a_tag_naming_no_ticket_opens_a_new_one(root: Path) -> None:
    [r] = take(root, message(subject="[SUP-99] hello"))
    assert (r.outcome, r.ticket) == ("new", "SUP-1")
    assert ticket(root, "SUP-1").links.related == ()


# -- the status rules -----------------------------------------------------------------------
def test_a_customer_message_on_a_waiting_ticket_resumes_it(root: Path) -> None:
    take(root, FIRST)
    actions.wait(Desk(root), "SUP-1", reason="which client?")
    [r] = take(root, reply())
    assert r.outcome == "entry"
    assert ticket(root, "SUP-1").status == "in_progress"
    assert trailers(root) == [
        ("Ticket", "SUP-1"),
        ("Action", "customer-message"),
        ("From-Status", "waiting"),
        ("To-Status", "in_progress"),
        ("Message-Id", "<m2@acme.example>"),
    ]


def test_a_recently_resolved_ticket_reopens(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    take(root, FIRST)
    actions.resolve(Desk(root), "SUP-1", resolution="restarted the gateway")
    at(monkeypatch, "2026-10-19T10:00:00+03:00")  # 14 days later: still within reopen_days
    [r] = take(root, reply())
    assert (r.outcome, r.ticket) == ("entry", "SUP-1")
    assert ticket(root, "SUP-1").status == "in_progress"
    assert trailers(root) == [
        ("Ticket", "SUP-1"),
        ("Action", "reopen"),
        ("From-Status", "resolved"),
        ("To-Status", "in_progress"),
        ("Reason", "the customer wrote again"),
        ("Message-Id", "<m2@acme.example>"),
    ]


def test_a_long_resolved_ticket_gets_a_new_linked_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    take(root, FIRST)
    actions.resolve(Desk(root), "SUP-1", resolution="restarted the gateway")
    at(monkeypatch, "2026-10-19T10:00:01+03:00")  # a second past reopen_days
    before = (root / ticket_path("SUP-1")).read_bytes()
    [r] = take(root, reply())
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    assert (root / ticket_path("SUP-1")).read_bytes() == before
    t = ticket(root, "SUP-2")
    assert (t.status, t.customer, t.links.related) == ("new", "acme", ("SUP-1",))


def test_a_closed_ticket_gets_a_new_linked_one(root: Path) -> None:
    take(root, FIRST)
    desk = Desk(root)
    actions.resolve(desk, "SUP-1", resolution="done")
    actions.close(Desk(root), "SUP-1")
    [r] = take(root, reply())
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    assert ticket(root, "SUP-1").status == "closed"
    assert ticket(root, "SUP-2").links.related == ("SUP-1",)


# -- machine mail -----------------------------------------------------------------------------
def auto_reply(in_reply_to: str | None, mid: str = "<auto1@acme.example>") -> bytes:
    return message(
        subject="Автоответ: VPN does not connect",
        body="Я в отпуске до понедельника.\n",
        message_id=mid,
        in_reply_to=in_reply_to,
        headers={"Auto-Submitted": "auto-replied"},
    )


def test_an_auto_reply_is_a_note_on_the_ticket_it_quotes(root: Path) -> None:
    take(root, FIRST)
    actions.resolve(Desk(root), "SUP-1", resolution="done")
    [r] = take(root, auto_reply("<m1@acme.example>"))
    assert (r.outcome, r.ticket) == ("machine", "SUP-1")
    t = ticket(root, "SUP-1")
    assert t.status == "resolved"  # never reopens
    note = t.comments[-1]
    assert note.kind == "internal"
    assert (note.text or "").startswith("Auto-reply from ivan@acme.example: Автоответ")
    assert "Я в отпуске" in (note.text or "")
    assert ("Action", "machine-mail") in trailers(root)


def test_machine_mail_quoting_nothing_is_quarantined_never_a_ticket(root: Path) -> None:
    [r] = take(root, auto_reply(None))
    assert (r.outcome, r.ticket) == ("quarantined", None)
    assert r.reason == "auto-reply that quotes no message of this desk"
    assert list((root / "data/tickets").rglob("*.yaml")) == []
    assert [m.message_id for m in q.list_quarantine(Desk(root))] == ["<auto1@acme.example>"]


def test_a_bounce_quoting_our_message_is_a_note(root: Path) -> None:
    take(root, FIRST)
    bounce = (
        b"From: MAILER-DAEMON@mx.acme.example\r\n"
        b"To: support@desk.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.acme.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.acme.example\r\n\r\nFinal-Recipient: rfc822; gone@acme.example\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: support@desk.example\r\nMessage-ID: <m1@acme.example>\r\nSubject: Re: VPN\r\n"
        b"--b--\r\n"
    )
    [r] = take(root, bounce)
    assert (r.outcome, r.ticket, r.reason) == ("machine", "SUP-1", "bounce")
    assert ticket(root, "SUP-1").comments[-1].kind == "internal"


def test_our_own_mail_coming_back_is_machine_mail(root: Path) -> None:
    take(root, FIRST)
    loop = message(
        "support@desk.example",
        "Re: [SUP-1] VPN",
        message_id="<loop@desk.example>",
        in_reply_to="<m1@acme.example>",
        name="Support",
    )
    [r] = take(root, loop)
    assert (r.outcome, r.ticket, r.reason) == ("machine", "SUP-1", "own mail")


# -- duplicates, the quarantine, nothing lost ------------------------------------------------
def test_the_same_message_twice_makes_one_commit(root: Path) -> None:
    [first, second] = take(root, FIRST, FIRST)
    assert first.outcome == "new"
    assert second == IngestResult("<m1@acme.example>", "duplicate", "SUP-1", None, "seen before")
    sha = head(root)
    [again] = take(root, FIRST)
    assert again.outcome == "duplicate"
    assert head(root) == sha


def test_an_unknown_sender_is_quarantined_with_the_reason(root: Path) -> None:
    raw = message("someone@nowhere.example", message_id="<u1@nowhere.example>")
    [r] = take(root, raw)
    assert (r.outcome, r.reason) == (
        "quarantined",
        "unknown sender someone@nowhere.example (no customer claims it)",
    )
    paths = paths_of("<u1@nowhere.example>")
    assert (root / paths.quarantined_eml).read_bytes() == raw
    assert trailers(root) == [
        ("Action", "quarantine"),
        ("Message-Id", "<u1@nowhere.example>"),
        ("Reason", "unknown sender someone@nowhere.example (no customer claims it)"),
    ]
    [again] = take(root, raw)
    assert (again.outcome, again.commit) == ("duplicate", None)


def test_unknown_sender_may_name_a_customer(support_repo: Path) -> None:
    use_mail_config(support_repo, MAIL_CONFIG + "  unknown_sender: globex\n")
    [r] = take(support_repo, message("someone@nowhere.example", message_id="<u2@x>"))
    assert (r.outcome, ticket(support_repo, "SUP-1").customer) == ("new", "globex")


def test_bytes_that_are_no_message_are_quarantined(root: Path) -> None:
    raw = b"\x00\x01\x02 not a message \xff\xfe"
    [r] = take(root, raw)
    assert r.outcome == "quarantined"
    assert r.message_id == fallback_message_id(raw)
    assert (root / paths_of(r.message_id).quarantined_eml).read_bytes() == raw
    [again] = take(root, raw)
    assert again.outcome == "duplicate"


def test_a_message_without_message_id_gets_a_stable_one(root: Path) -> None:
    raw = message(message_id=None)
    [r] = take(root, raw)
    assert r.outcome == "new"
    assert r.message_id.endswith("@supportctl.invalid>")
    assert take(root, raw)[0].outcome == "duplicate"


def test_a_broken_ticket_file_sends_the_reply_to_the_quarantine(root: Path) -> None:
    take(root, FIRST)
    path = root / ticket_path("SUP-1")
    path.write_text("id: SUP-1\nstatus: [broken\n", encoding="utf-8")
    git(root, "commit", "-qam", "Break it")
    [r] = take(root, reply())
    assert r.outcome == "quarantined"
    assert r.reason is not None
    assert "SUP-1.yaml" in r.reason


# -- attachments ------------------------------------------------------------------------------
def test_attachments_are_stored_within_the_size_cap(root: Path) -> None:
    small = with_attachment("see the log", "../../etc/vpn.log", b"log line\n", message_id="<a1@x>")
    [r] = take(root, small)
    paths = paths_of("<a1@x>")
    stored = paths.attachment("vpn.log")
    assert (root / stored).read_bytes() == b"log line\n"
    t = ticket(root, r.ticket or "")
    assert stored in (t.description or "")
    big = with_attachment("screenshot", "screen.png", b"x" * 2000, message_id="<a2@x>")
    [r] = take(root, big)
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    description = ticket(root, "SUP-2").description or ""
    assert (
        "screen.png (2,000 bytes): not stored, larger than mail.max_attachment_bytes (1,024 bytes)"
    ) in description
    assert not (root / paths_of("<a2@x>").attachment("screen.png")).exists()
    record = (root / paths_of("<a2@x>").record).read_text(encoding="utf-8")
    assert "skipped_attachments:\n  - name: screen.png\n    bytes: 2000\n" in record


def test_attachments_beyond_the_count_cap_are_named_as_skipped(root: Path) -> None:
    from email.message import EmailMessage

    use_mail_config(root, MAIL_CONFIG + "  max_attachments: 2\n")
    msg = EmailMessage()
    msg["From"] = "Ivan <ivan@acme.example>"
    msg["To"] = "support@desk.example"
    msg["Subject"] = "Three logs"
    msg["Message-ID"] = "<many@x>"
    msg.set_content("the logs\n")
    for n in (1, 2, 3):
        msg.add_attachment(f"line {n}\n".encode(), "text", "plain", filename=f"log{n}.txt")
    [r] = take(root, msg.as_bytes())
    assert r.outcome == "new"
    paths = paths_of("<many@x>")
    assert (root / paths.attachment("log2.txt")).read_bytes() == b"line 2\n"
    assert not (root / paths.attachment("log3.txt")).exists()
    description = ticket(root, r.ticket or "").description or ""
    assert (
        "log3.txt (7 bytes): not stored, more than mail.max_attachments (2) in one message"
    ) in description
    record = (root / paths.record).read_text(encoding="utf-8")
    assert "skipped_attachments:\n  - name: log3.txt\n    bytes: 7\n" in record


# -- text -------------------------------------------------------------------------------------
def test_cyrillic_in_koi8_r(root: Path) -> None:
    raw = message(
        subject="Не работает принтер",
        body="Добрый день! Принтер не печатает.\n",
        charset="koi8-r",
        message_id="<k1@acme.example>",
    )
    [r] = take(root, raw)
    t = ticket(root, r.ticket or "")
    assert t.title == "Не работает принтер"
    assert t.description == "Добрый день! Принтер не печатает."
    assert t.reporter == "Иван Петров <ivan@acme.example>"
    assert "title: Не работает принтер\n" in (root / ticket_path("SUP-1")).read_text("utf-8")


# -- failures ---------------------------------------------------------------------------------


def test_a_held_lock_is_a_temporary_failure_and_nothing_is_written(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(root)
    with desk_lock_held(root):
        monkeypatch.setattr(transaction_module, "LOCK_TIMEOUT", 0.3)
        sha = head(root)
        with pytest.raises(TemporaryFailure, match="holds the lock"):
            ingest(desk, [FIRST])
        assert head(root) == sha
        assert not (root / "data/mail").exists()
        assert git(root, "status", "--porcelain") == ""
    assert take(root, FIRST)[0].outcome == "new"


def test_a_batch_stopped_by_a_failure_keeps_what_it_committed(root: Path) -> None:
    seen: list[IngestResult] = []

    def edit_by_hand(result: IngestResult) -> None:
        seen.append(result)
        # somebody edits the ticket meanwhile: the reply cannot be committed over that
        with (root / ticket_path("SUP-1")).open("a", encoding="utf-8") as fh:
            fh.write("# a note\n")

    with pytest.raises(TemporaryFailure, match="uncommitted changes"):
        ingest(Desk(root), [FIRST, reply()], on_result=edit_by_hand)
    assert [(r.outcome, r.ticket) for r in seen] == [("new", "SUP-1")]
    assert seen[0].commit == head(root)
    assert not (root / paths_of("<m2@acme.example>").record).exists()


# -- the quarantine ---------------------------------------------------------------------------
def test_quarantine_accept_into_a_ticket_and_as_a_new_one(root: Path) -> None:
    take(root, FIRST)
    stranger = message("someone@nowhere.example", "VPN too", message_id="<s1@nowhere.example>")
    other = message("else@nowhere.example", "Printer", message_id="<s2@nowhere.example>")
    take(root, stranger, other)
    held = sorted(q.list_quarantine(Desk(root)), key=lambda h: h.message_id)
    assert [(h.message_id, h.sender, h.subject) for h in held] == [
        ("<s1@nowhere.example>", "someone@nowhere.example", "VPN too"),
        ("<s2@nowhere.example>", "else@nowhere.example", "Printer"),
    ]
    r = q.accept(Desk(root), held[0].id[:8], ticket="sup-1")
    assert (r.outcome, r.ticket, r.commit) == ("entry", "SUP-1", head(root))
    assert ticket(root, "SUP-1").comments[-1].author == "someone@nowhere.example"
    assert not (root / paths_of("<s1@nowhere.example>").quarantined_eml).exists()
    assert (root / paths_of("<s1@nowhere.example>").eml).read_bytes() == stranger
    r = q.accept(Desk(root), held[1].id, new=True, customer="globex")
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    assert ticket(root, "SUP-2").customer == "globex"
    assert q.list_quarantine(Desk(root)) == []
    # accepted: the same message again is a duplicate, not quarantined anew
    assert take(root, stranger)[0].outcome == "duplicate"


def test_quarantine_drop(root: Path) -> None:
    take(root, message("someone@nowhere.example", message_id="<d1@x>"))
    [held] = q.list_quarantine(Desk(root))
    sha = q.drop(Desk(root), held.id)
    assert sha == head(root)
    assert q.list_quarantine(Desk(root)) == []
    assert trailers(root) == [("Action", "quarantine-drop"), ("Message-Id", "<d1@x>")]


# -- an offline clone's ticket renumbered by sync -------------------------------------------
def test_a_renumbered_ticket_keeps_threading_and_its_old_number(tmp_path: Path, cli: Cli) -> None:
    config = MAIL_CONFIG
    remote = Remote(tmp_path, cli, config=config)
    a, b = remote.clone("anna"), remote.clone("boris")
    b("new", "Printer jams", "-c", "globex", "-t", "incident", "-p", "low", when=monday("09:00"))
    b.sync()
    # anna's clone is offline: the mail opens SUP-1 there too
    [r] = take(a.root, FIRST)
    assert (r.outcome, r.ticket) == ("new", "SUP-1")
    assert a.sync()["renumbered"] == [{"from": "SUP-1", "to": "SUP-2"}]
    mine = ticket(a.root, "SUP-2")
    assert (mine.requester, mine.aliases) == ("ivan@acme.example", ("SUP-1",))
    assert ticket(a.root, "SUP-1").title == "Printer jams"
    record = (a.root / paths_of("<m1@acme.example>").record).read_text(encoding="utf-8")
    assert "\nticket: SUP-2\n" in record
    assert "subject: 'Re: Fwd: VPN does not connect'\n" in record
    # the customer answers with the number the first mail gave: the alias, not globex's SUP-1
    [r] = take(a.root, message(subject="Re: [SUP-1] VPN", message_id="<t1@acme.example>"))
    assert (r.outcome, r.ticket) == ("entry", "SUP-2")
    [r] = take(a.root, reply("<t2@acme.example>"))
    assert (r.outcome, r.ticket) == ("entry", "SUP-2")
    # globex quoting its own SUP-1 reaches it
    [r] = take(
        a.root,
        message("it@globex.example", "[SUP-1] still jams", message_id="<g1@globex.example>"),
    )
    assert (r.outcome, r.ticket) == ("entry", "SUP-1")
    a.sync()
    b.sync()
    assert ticket(b.root, "SUP-2").aliases == ("SUP-1",)
    assert len(ticket(b.root, "SUP-2").comments) == 2
    assert_clean(a)
    assert_clean(b)


def test_an_acknowledgement_is_queued_in_the_new_tickets_commit(support_repo: Path) -> None:
    use_mail_config(support_repo, MAIL_CONFIG + "  acknowledge: true\n")
    [r] = take(support_repo, FIRST)
    queued = [v for k, v in trailers(support_repo) if k == "Mail-Queued"]
    assert len(queued) == 1
    changed = git(support_repo, "show", "--name-only", "--format=", "HEAD").split()
    outbox = [p for p in changed if p.startswith("data/mail/outbox/")]
    assert len(outbox) == 2  # the message and its record
    sent = (support_repo / next(p for p in outbox if p.endswith(".eml"))).read_bytes()
    assert b"In-Reply-To: <m1@acme.example>" in sent
    assert b"[SUP-1]" in sent
    # a reply to it and machine mail are never acknowledged
    got = take(support_repo, reply(), auto_reply("<m1@acme.example>"))
    assert [g.outcome for g in got] == ["entry", "machine"]
    for rev in ("HEAD~1", "HEAD"):
        assert [k for k, _ in trailers(support_repo, rev) if k == "Mail-Queued"] == []
    assert r.ticket == "SUP-1"
