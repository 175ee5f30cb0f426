"""`supportctl sync` and the ticket history: renumbering never reuses an ID the remote ever had,
and where two clones set one field differently the later action that set it wins, while the
losing text stays in history.

Real clones of a real bare remote (the helpers of tests/test_sync.py).
"""

from __future__ import annotations

from tests.conftest import git
from tests.test_sync import NOW, TICKET, Clone, Desk, assert_clean, at, desk  # noqa: F401


def delete_by_hand(c: Clone, ticket: str, when: str) -> None:
    c.git("rm", "-q", f"data/tickets/0000/{ticket}.yaml")
    git(c.root, "commit", "-qm", f"remove {ticket}", env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})


# -- renumbering -------------------------------------------------------------------------------
def test_renumbering_skips_ids_the_remote_used_and_deleted(desk: Desk) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=at("09:00"))
    a.sync()
    b.sync()
    # on the remote: SUP-2 and SUP-3 created, then deleted by hand; SUP-2 is not in its tree
    assert a("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal",
             when=at("10:00")).stdout == "SUP-2\n"
    assert a("new", "Fax", "-c", "acme", "-t", "incident", "-p", "low", when=at("10:01")).stdout == "SUP-3\n"
    delete_by_hand(a, "SUP-2", at("10:10"))
    delete_by_hand(a, "SUP-3", at("10:11"))
    a.sync()
    # meanwhile, offline, B opens its own SUP-2
    assert b("new", "Laptop for a new hire", "-c", "globex", "-t", "service_request", "-p", "low",
             when=at("10:05")).stdout == "SUP-2\n"
    b("comment", "SUP-2", "Which model do you need?", when=at("10:20"))
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
    assert b("new", "Keyboard", "-c", "acme", "-t", "incident", "-p", "low", when=at("11:00")).stdout == "SUP-5\n"
