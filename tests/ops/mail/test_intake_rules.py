"""The intake's rules for machine mail, the quarantine and new tickets, against real git
repos: machine mail never gets an acknowledgement nor moves a ticket, a dropped message
stays dropped, a new ticket's title and links."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from supportctl.domain.ids import ticket_path
from supportctl.domain.ticket import read_ticket
from supportctl.ops import tickets as actions
from supportctl.ops.mail import quarantine as q
from supportctl.ops.mail.intake import ACK_FAILED, IngestResult, ingest
from supportctl.ops.mail.records import paths_of
from supportctl.storage.desk import Desk
from tests.helpers import commit_file, git, head, trailers
from tests.mailtexts import MAIL_CONFIG, message, use_mail_config

if TYPE_CHECKING:
    from pathlib import Path

    from supportctl.domain.ticket import Ticket

ACK_CONFIG = MAIL_CONFIG + "  acknowledge: true\n"


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_mail_config(support_repo)
    return support_repo


@pytest.fixture
def acking(support_repo: Path) -> Path:
    use_mail_config(support_repo, ACK_CONFIG)
    return support_repo


def take(root: Path, *raws: bytes) -> list[IngestResult]:
    return ingest(Desk(root), raws)


def ticket(root: Path, tid: str) -> Ticket:
    return read_ticket((root / ticket_path(tid)).read_bytes())


def queued(root: Path, rev: str = "HEAD") -> list[str]:
    return [v for k, v in trailers(root, rev) if k == "Mail-Queued"]


FIRST = message()


# -- a failing acknowledgement never costs the ticket -------------------------------------------
def test_a_broken_ack_template_commits_the_ticket_without_the_ack(acking: Path) -> None:
    commit_file(acking, "templates/mail/ack.en.txt.j2", "Hello {{ customer_name \n")
    [r] = take(acking, FIRST)
    assert (r.outcome, r.ticket, r.commit) == ("new", "SUP-1", head(acking))
    assert r.warning is not None
    assert r.warning.startswith("SUP-1: no acknowledgement queued (")
    assert "ack.en.txt.j2" in r.warning
    assert queued(acking) == []
    [failed] = [v for k, v in trailers(acking) if k == ACK_FAILED]
    assert "ack.en.txt.j2" in failed
    assert ticket(acking, "SUP-1").requester == "ivan@acme.example"
    assert not (acking / "data/mail/outbox").exists()
    assert git(acking, "status", "--porcelain") == ""
    # the JSON of the result is what it was
    assert set(r.to_dict()) == {"message_id", "outcome", "ticket", "commit", "reason"}


# -- the quarantine: dropped stays dropped ------------------------------------------------------
def test_a_dropped_message_delivered_again_is_a_duplicate(root: Path) -> None:
    raw = message("someone@nowhere.example", message_id="<d1@x>")
    take(root, raw)
    [held] = q.list_quarantine(Desk(root))
    sha = q.drop(Desk(root), held.id)
    paths = paths_of("<d1@x>")
    assert not (root / paths.quarantined_eml).exists()
    record = (root / paths.quarantined_record).read_text(encoding="utf-8")
    assert record.startswith("message_id: <d1@x>\n")
    assert "\ndropped: '2026-10-05T10:00:00+03:00'\n" in record
    assert "\nby: " in record
    assert q.list_quarantine(Desk(root)) == []
    [again] = take(root, raw)
    assert (again.outcome, again.commit, again.reason) == (
        "duplicate",
        None,
        "dropped from the quarantine",
    )
    assert head(root) == sha
    with pytest.raises(Exception, match="no quarantined message"):
        q.drop(Desk(root), held.id)


# -- machine mail from the quarantine -----------------------------------------------------------
def test_machine_mail_accepted_as_a_new_ticket_gets_no_ack(acking: Path) -> None:
    # a vacation notice from a person's address: only its header says machine
    robot = message(
        "anna@nowhere.example",
        "Away until Monday",
        message_id="<n1@nowhere.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    [r] = take(acking, robot)
    assert r.outcome == "quarantined"
    [held] = q.list_quarantine(Desk(acking))
    r = q.accept(Desk(acking), held.id, new=True, customer="acme")
    assert (r.outcome, r.ticket) == ("new", "SUP-1")
    assert queued(acking) == []
    assert not (acking / "data/mail/outbox").exists()


def test_own_mail_accepted_onto_a_ticket_is_an_internal_note(root: Path) -> None:
    take(root, FIRST)
    actions.wait(Desk(root), "SUP-1", reason="which client?")
    # our own mail quoting nothing of the desk: quarantined
    own = message(
        "support@desk.example", "Re: VPN", message_id="<own1@desk.example>", name="Support"
    )
    [r] = take(root, own)
    assert (r.outcome, r.reason) == ("quarantined", "own mail that quotes no message of this desk")
    [held] = q.list_quarantine(Desk(root))
    r = q.accept(Desk(root), held.id, ticket="SUP-1")
    assert (r.outcome, r.ticket, r.reason) == ("machine", "SUP-1", "own mail")
    t = ticket(root, "SUP-1")
    assert t.status == "waiting"  # never moves
    assert (t.comments[-1].kind, t.comments[-1].from_customer) == ("internal", False)
    assert ("Action", "machine-mail") in trailers(root)


# -- machine addresses --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sender", ["noreply-42@acme.example", "no-reply.x@acme.example", "nobody@acme.example"]
)
def test_mail_from_a_machine_address_never_opens_a_ticket(acking: Path, sender: str) -> None:
    raw = message(sender, "Weekly report", message_id="<r1@acme.example>", name="")
    [r] = take(acking, raw)
    assert (r.outcome, r.reason) == (
        "quarantined",
        "auto-reply that quotes no message of this desk",
    )
    assert not (acking / "data/tickets").exists() or not list(
        (acking / "data/tickets").rglob("*.yaml")
    )
    assert queued(acking) == []


def test_mail_from_a_machine_address_quoting_a_ticket_is_a_note(root: Path) -> None:
    take(root, FIRST)
    raw = message(
        "daemon@acme.example",
        "Re: VPN does not connect",
        message_id="<r2@acme.example>",
        in_reply_to="<m1@acme.example>",
    )
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("machine", "SUP-1")
    assert ticket(root, "SUP-1").comments[-1].kind == "internal"


def test_a_person_writing_about_out_of_office_opens_a_ticket(root: Path) -> None:
    raw = message(subject="Out of office laptop can't reach VPN", message_id="<p1@acme.example>")
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("new", "SUP-1")
    assert ticket(root, "SUP-1").title == "Out of office laptop can't reach VPN"


# -- a new ticket's title and links -------------------------------------------------------------
def test_a_new_ticket_drops_our_tags_from_its_title(root: Path) -> None:
    take(root, FIRST)
    actions.resolve(Desk(root), "SUP-1", resolution="done")
    actions.close(Desk(root), "SUP-1")
    raw = message(
        subject="Re: [SUP-1] Printer broken [sup-1]",
        message_id="<p2@acme.example>",
        in_reply_to="<m1@acme.example>",
    )
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    t = ticket(root, "SUP-2")
    assert (t.title, t.links.related) == ("Printer broken", ("SUP-1",))


def test_a_subject_of_only_a_tag_is_no_subject(root: Path) -> None:
    [r] = take(root, message(subject="[SUP-77]", message_id="<p3@acme.example>"))
    assert ticket(root, r.ticket or "").title == "(no subject)"


def test_a_quarantined_stranger_quoting_a_tag_keeps_the_link_when_accepted(root: Path) -> None:
    take(root, FIRST)
    raw = message("who@nowhere.example", "Re: [SUP-1] VPN", message_id="<s1@nowhere.example>")
    [r] = take(root, raw)
    assert r.outcome == "quarantined"
    [held] = q.list_quarantine(Desk(root))
    r = q.accept(Desk(root), held.id, new=True, customer="globex")
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    t = ticket(root, "SUP-2")
    assert (t.title, t.links.related) == ("VPN", ("SUP-1",))
    assert ("Link", "related SUP-1") in trailers(root)


# -- an mbox gives each message as it came -------------------------------------------------------
def test_mbox_from_lines_are_unescaped_before_the_message_is_stored(
    root: Path, tmp_path: Path
) -> None:
    from supportctl.storage.mailsource import messages_at

    raw = message(
        body="Hello,\n\nFrom the start the VPN fails.\n>From a quote\n\nIvan\n",
        message_id="<mb1@acme.example>",
    ).replace(b"\r\n", b"\n")
    escaped = raw.replace(b"\n>From a quote", b"\n>>From a quote").replace(
        b"\nFrom the start", b"\n>From the start"
    )
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From ivan@acme.example Mon Oct  5 10:00:00 2026\n" + escaped + b"\n")
    [r] = ingest(Desk(root), messages_at(box))
    assert r.outcome == "new"
    assert (root / paths_of("<mb1@acme.example>").eml).read_bytes() == raw
    # the line mbox escaped is the customer's text again, not a quote trimmed away
    assert ticket(root, "SUP-1").description == (
        "Hello,\n\nFrom the start the VPN fails.\n>From a quote\n\nIvan\n"
    )


# -- replies thread on people's messages only --------------------------------------------------
def test_a_reply_references_no_machine_mail(root: Path) -> None:
    take(root, FIRST)
    auto = message(
        subject="Auto: VPN does not connect",
        message_id="<auto1@acme.example>",
        in_reply_to="<m1@acme.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    [r] = take(root, auto)
    assert r.outcome == "machine"
    assert ticket(root, "SUP-1").message_ids == ("<m1@acme.example>", "<auto1@acme.example>")
    actions.comment(Desk(root), "SUP-1", "We restarted the gateway.")
    [eml] = (root / "data/mail/outbox").glob("*.eml")
    sent = eml.read_bytes()
    assert (
        b"References: <m1@acme.example>\r\n" in sent or b"References: <m1@acme.example>\n" in sent
    )
    assert b"auto1" not in sent


# -- a stranger's tags cost one listing at most -------------------------------------------------
def test_tags_in_a_subject_cost_one_ticket_listing_at_most(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    take(root, FIRST)
    listings: list[str] = []
    real = Desk.tickets

    def counted(self: Desk, *args: object, **kwargs: object) -> object:
        listings.append("tickets")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Desk, "tickets", counted)
    tags = " ".join(f"[SUP-{n}]" for n in range(1, 60))
    raw = message("who@globex.example", f"Re: {tags} hello", message_id="<many@globex.example>")
    [r] = take(root, raw)
    assert (r.outcome, r.ticket) == ("new", "SUP-2")
    assert ticket(root, "SUP-2").links.related == ("SUP-1",)
    assert len(listings) <= 1
