"""`supportctl sync` and the ticket history: renumbering never reuses an ID the remote ever had,
and where two clones set one field differently the later action that set it wins, while the
losing text stays in history.

Real clones of a real bare remote (tests/helpers.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import assert_clean, at, git, monday

if TYPE_CHECKING:
    from tests.helpers import Clone, Remote

NOW = "2026-10-07T12:00:00+03:00"  # "now" for SLA questions: two days after the action
TICKET = (
    "new",
    "Printer on floor 2 jams",
    "-c",
    "acme",
    "-t",
    "incident",
    "-p",
    "high",
    "--tag",
    "triage",
)


def delete_by_hand(c: Clone, ticket: str, when: str) -> None:
    c.git("rm", "-q", f"data/tickets/0000/{ticket}.yaml")
    git(
        c.root,
        "commit",
        "-qm",
        f"remove {ticket}",
        env=at(when),
    )


# -- renumbering -------------------------------------------------------------------------------
def test_renumbering_skips_ids_the_remote_used_and_deleted(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    # on the remote: SUP-2 and SUP-3 created, then deleted by hand; SUP-2 is not in its tree
    assert (
        a(
            "new",
            "Mail bounces",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "normal",
            when=monday("10:00"),
        ).stdout
        == "SUP-2\n"
    )
    assert (
        a("new", "Fax", "-c", "acme", "-t", "incident", "-p", "low", when=monday("10:01")).stdout
        == "SUP-3\n"
    )
    delete_by_hand(a, "SUP-2", monday("10:10"))
    delete_by_hand(a, "SUP-3", monday("10:11"))
    a.sync()
    # meanwhile, offline, B opens its own SUP-2
    assert (
        b(
            "new",
            "Laptop for a new hire",
            "-c",
            "globex",
            "-t",
            "service_request",
            "-p",
            "low",
            when=monday("10:05"),
        ).stdout
        == "SUP-2\n"
    )
    b("comment", "SUP-2", "Which model do you need?", when=monday("10:20"))
    got = b.sync()
    assert got["renumbered"] == [{"from": "SUP-2", "to": "SUP-4"}]
    a.sync()
    for c in (a, b):
        mine = c.json("show", "SUP-4")
        assert (mine["customer"], mine["title"]) == ("globex", "Laptop for a new hire")
        sla = c.json("sla", "show", "SUP-4", "--now", NOW)
        assert (sla["customer"], sla["created"]) == ("globex", "2026-10-05T10:05:00+03:00")
        assert sla["metrics"]["first_response"]["elapsed_seconds"] == 15 * 60
        assert not (c.root / "data/tickets/0000/SUP-2.yaml").exists()
        assert_clean(c)
    # and the next ticket continues after every ID ever seen
    assert (
        b(
            "new", "Keyboard", "-c", "acme", "-t", "incident", "-p", "low", when=monday("11:00")
        ).stdout
        == "SUP-5\n"
    )


# -- contradicting actions ---------------------------------------------------------------------
def _two_resolutions(desk: Remote, anna_at: str, boris_at: str) -> tuple[Clone, Clone]:
    """Both agents resolve SUP-1 offline with different texts; Boris also comments at 10:10,
    after both resolutions, and syncs first."""
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a("start", "SUP-1", when=monday("09:30"))
    a.sync()
    b.sync()
    a(
        "resolve",
        "SUP-1",
        "-r",
        "ANNA fix: reinstalled the driver\nand cleared the queue",
        when=anna_at,
    )
    b("resolve", "SUP-1", "-r", "BOB fix", when=boris_at)
    b("comment", "SUP-1", "Printing again, closing soon", when=monday("10:10"))
    b.sync()
    return a, b


def test_later_resolution_wins_even_when_the_other_side_acted_later(desk: Remote) -> None:
    """ "Later action wins" compares the actions that set the field: Boris's later comment does
    not make his earlier resolution the later one."""
    a, b = _two_resolutions(desk, anna_at=monday("10:05"), boris_at=monday("10:00"))
    got = a.sync()
    assert got["decisions"] == [
        (
            "SUP-1: resolution changed on both sides; kept yours ('ANNA fix: reinstalled the driver and "
            "cl…', the later action); 'BOB fix' from the remote stays in history"
        )
    ]
    b.sync()
    for c in (a, b):
        t = c.json("show", "SUP-1")
        assert (t["status"], t["resolution"]) == (
            "resolved",
            "ANNA fix: reinstalled the driver\nand cleared the queue\n",
        )
        assert [x["text"] for x in t["comments"]] == ["Printing again, closing soon"]
        assert_clean(c)
    # the loser's text is in its own commit, which stays in history
    assert "BOB fix" in a.git("log", "-p", "--format=%s")


def test_losing_resolution_text_is_kept_in_the_replayed_commit(desk: Remote) -> None:
    a, b = _two_resolutions(desk, anna_at=monday("10:00"), boris_at=monday("10:05"))
    got = a.sync()
    assert got["decisions"] == [
        (
            "SUP-1: resolution changed on both sides; kept the remote's ('BOB fix', the later action); "
            "yours ('ANNA fix: reinstalled the driver and cl…') stays in history"
        )
    ]
    b.sync()
    for c in (a, b):
        assert c.json("show", "SUP-1")["resolution"].strip() == "BOB fix"
        assert_clean(c)
        replayed = c.git("log", "-1", "--format=%B", "--author=anna", "--grep=resolve")
        assert replayed == (
            "SUP-1: resolve\n\n"
            "Overridden in sync by a later action on the remote (kept here as typed):\n"
            "    SUP-1 resolution:\n"
            "        ANNA fix: reinstalled the driver\n"
            "        and cleared the queue\n\n"
            "Ticket: SUP-1\nAction: resolve\nFrom-Status: in_progress\nTo-Status: resolved\n\n"
        )
        # still one event, flagged as overridden; its trailers read back unchanged
        explain = c.json("sla", "explain", "SUP-1", "--now", NOW)["events"]
        assert [e["action"] for e in explain] == [
            "new",
            "start",
            "resolve",
            "resolve",
            "comment",
            "now",
        ]


def test_a_later_remote_action_that_set_a_field_back_still_wins(desk: Remote) -> None:
    """Boris sets the priority to low and, later than Anna's offline `critical`, back to high:
    his later action wins as it would on one desk, and the file agrees with the SLA's history
    (before, the file kept Anna's earlier `critical` while the SLA read Boris's `high`)."""
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync(when=monday("09:10"))
    b.sync(when=monday("09:10"))
    b("edit", "SUP-1", "--priority", "low", when=monday("10:00"))
    b("edit", "SUP-1", "--priority", "high", when=monday("10:20"))
    b.sync(when=monday("10:30"))
    a("edit", "SUP-1", "--priority", "critical", when=monday("10:05"))
    got = a.sync(when=monday("10:40"))
    assert got["decisions"] == [
        (
            "SUP-1: priority changed on both sides; kept the remote's ('high', the later action); "
            "yours ('critical') stays in history"
        )
    ]
    b.sync(when=monday("10:50"))
    for c in (a, b):
        assert c.json("show", "SUP-1")["priority"] == "high"
        assert c.json("sla", "show", "SUP-1", "--now", NOW)["priority"] == "high"
        assert_clean(c)
    replayed = a.git("log", "-1", "--format=%B", "--author=anna", "--grep=critical")
    assert "    SUP-1 priority: critical\n" in replayed
