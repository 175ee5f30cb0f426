"""Ticket identity in the history: IDs are never reused, a deleted ticket's namesake is another
ticket, and a ticket renamed by hand keeps its history.

Times are Moscow wall times of the test calendar `office` (mon-fri 09:00-13:00, 14:00-18:00);
2026-10-05 is a Monday.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from supportctl.storage.cache import file_name
from tests.helpers import Cli, at, git, history, ok

if TYPE_CHECKING:
    from pathlib import Path

NOW = "2026-10-05T12:00:00+03:00"
NEW_ACME = ("new", "Printer broken", "-c", "acme", "-t", "incident", "-p", "normal")
NEW_GLOBEX = ("new", "VPN drops", "-c", "globex", "-t", "incident", "-p", "normal")


def sla(cli: Cli, ticket: str, now: str = NOW) -> dict[str, Any]:
    return dict(json.loads(ok(cli("sla", "show", ticket, "--json", "--now", now)).stdout))


def delete_by_hand(root: Path, ticket: str, when: str) -> None:
    git(root, "rm", "-q", f"data/tickets/0000/{ticket}.yaml")
    git(root, "commit", "-qm", f"remove {ticket}", env=at(when))


def rename_by_hand(root: Path, old: str, new: str, when: str, trailer: str = "") -> None:
    folder = root / "data/tickets/0000"
    git(root, "mv", f"data/tickets/0000/{old}.yaml", f"data/tickets/0000/{new}.yaml")
    path = folder / f"{new}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(f"id: {old}\n", f"id: {new}\n"), encoding="utf-8"
    )
    git(
        root,
        "commit",
        "-qam",
        f"renumber {old} as {new}",
        *(("-m", trailer) if trailer else ()),
        env=at(when),
    )


# -- IDs are never reused ------------------------------------------------------------------------
def test_new_never_reuses_the_id_of_a_deleted_ticket(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_GLOBEX, env=at("2026-10-05T10:05:00+03:00")))
    ok(cli("comment", "SUP-2", "Reconnect please", env=at("2026-10-05T10:10:00+03:00")))
    delete_by_hand(support_repo, "SUP-2", "2026-10-05T10:20:00+03:00")
    assert ok(cli(*NEW_ACME, env=at("2026-10-05T10:30:00+03:00"))).stdout == "SUP-3\n"
    # the new ticket starts with its own history: globex's reply answers nothing here
    m = sla(cli, "SUP-3")
    assert (m["customer"], m["created"]) == ("acme", "2026-10-05T10:30:00+03:00")
    assert m["metrics"]["first_response"]["state"] == "running"
    # and the number stays taken after more deletions, also when the small cache of the
    # highest numbers is gone (read again from the history)
    delete_by_hand(support_repo, "SUP-3", "2026-10-05T10:40:00+03:00")
    (support_repo / ".git/supportctl/cache" / file_name("ids")).unlink()
    assert ok(cli(*NEW_ACME, env=at("2026-10-05T10:50:00+03:00"))).stdout == "SUP-4\n"


def test_only_ticket_files_of_the_desk_reserve_numbers(support_repo: Path, cli: Cli) -> None:
    """A YAML file under data/tickets that is no ticket file (validate names it) holds no ID:
    its name reserves no number, nor does a ticket of another prefix. `new` counted any
    `<name>-<digits>.yaml`, so a stray `notes-2026.yaml` made the next ticket SUP-2027."""
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    shard = support_repo / "data/tickets/0000"
    (shard / "notes-2026.yaml").write_text("a: 1\n", encoding="utf-8")
    (shard / "HD-300.yaml").write_text("a: 1\n", encoding="utf-8")
    git(support_repo, "add", "data")
    git(support_repo, "commit", "-qm", "stray files", env=at("2026-10-05T10:05:00+03:00"))
    (shard / "SUP-0450.yaml").write_text("a: 1\n", encoding="utf-8")  # not committed
    assert ok(cli(*NEW_ACME, env=at("2026-10-05T10:10:00+03:00"))).stdout == "SUP-2\n"


def test_a_deleted_tickets_namesake_is_another_ticket(support_repo: Path, cli: Cli) -> None:
    """A file with a deleted ticket's ID brought back by hand (or from an old clone) starts a new
    generation: the old one's events count neither for its SLA nor in its customer's report."""
    ok(cli(*NEW_GLOBEX, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli("comment", "SUP-1", "Reconnect please", env=at("2026-10-05T10:10:00+03:00")))
    ok(cli("log", "SUP-1", "-m", "30", env=at("2026-10-05T10:15:00+03:00")))
    delete_by_hand(support_repo, "SUP-1", "2026-10-05T10:20:00+03:00")
    path = support_repo / "data/tickets/0000/SUP-1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "id: SUP-1\ntitle: Scanner offline\ncustomer: acme\ntype: incident\npriority: normal\n"
        "channel: phone\nstatus: new\nline: L1\nassignee:\ntags: []\n"
        "created: '2026-10-05T11:00:00+03:00'\ndescription: ''\n",
        encoding="utf-8",
    )
    git(support_repo, "add", "data")
    git(support_repo, "commit", "-qm", "ticket by hand", env=at("2026-10-05T11:00:00+03:00"))

    m = sla(cli, "SUP-1")
    assert (m["customer"], m["created"], m["status"]) == (
        "acme",
        "2026-10-05T11:00:00+03:00",
        "new",
    )
    first = m["metrics"]["first_response"]
    assert (first["state"], first["elapsed_seconds"]) == ("running", 3600)

    grouped = history(support_repo).by_ticket()
    assert [e.action for e in grouped["SUP-1"]] == ["new"]
    assert [(e.ticket, e.action) for e in grouped["SUP-1~1"]] == [
        ("SUP-1~1", "new"),
        ("SUP-1~1", "comment"),
        ("SUP-1~1", "log"),
        ("SUP-1~1", "delete"),
    ]

    shown = json.loads(ok(cli("show", "SUP-1", "--json")).stdout)
    assert (shown["customer"], shown["worklogs"], shown["minutes_logged"]) == ("acme", [], 0)

    def report(customer: str) -> dict[str, Any]:
        return dict(
            json.loads(
                ok(
                    cli(
                        "report",
                        "--month",
                        "2026-10",
                        "--now",
                        NOW,
                        "--customer",
                        customer,
                        "--audience",
                        "internal",
                        "--format",
                        "json",
                    )
                ).stdout
            )
        )

    acme, globex = report("acme"), report("globex")
    assert [(r["ticket"], r["action"]) for r in acme["audit"]["events"]] == [("SUP-1", "new")]
    assert (acme["time"]["tickets"], acme["time"]["total_hours"]) == ([], 0)
    assert [r["ticket"] for r in globex["audit"]["events"]] == ["SUP-1~1"] * 4
    assert [(t["ticket"], t["hours"], t["minutes"]) for t in globex["time"]["tickets"]] == [
        ("SUP-1~1", 0.5, 30)
    ]
    # a later sync or rebuild of the cache reads the same generations
    (support_repo / ".git/supportctl/cache" / file_name("events")).unlink()
    assert sla(cli, "SUP-1") == m


# -- hand renames ------------------------------------------------------------------------------
def test_a_ticket_renamed_by_hand_keeps_its_history(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    ok(cli("comment", "SUP-2", "Restart it", env=at("2026-10-05T10:30:00+03:00")))
    before = sla(cli, "SUP-2")
    rename_by_hand(support_repo, "SUP-2", "SUP-9", "2026-10-05T11:00:00+03:00")
    after = sla(cli, "SUP-9")
    for result in (before, after):
        result.pop("id")
    assert after == before
    assert after["created"] == "2026-10-05T10:01:00+03:00"
    assert after["metrics"]["first_response"]["state"] == "met"
    grouped = history(support_repo).by_ticket()
    assert "SUP-2" not in grouped
    assert [(e.ticket, e.action, e.details.get("from")) for e in grouped["SUP-9"]] == [
        ("SUP-9", "new", None),
        ("SUP-9", "comment", None),
        ("SUP-9", "rename", "SUP-2"),
    ]
    ok(cli("comment", "SUP-9", "Done?", env=at("2026-10-05T11:10:00+03:00")))
    assert [e.action for e in history(support_repo).by_ticket()["SUP-9"]][-1] == "comment"


def test_validate_flags_a_hand_rename_before_it_is_committed(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    folder = support_repo / "data/tickets/0000"
    text = (folder / "SUP-2.yaml").read_text(encoding="utf-8").replace("id: SUP-2\n", "id: SUP-9\n")
    (folder / "SUP-2.yaml").unlink()
    (folder / "SUP-9.yaml").write_text(text, encoding="utf-8")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        "data/tickets/0000/SUP-9.yaml:1: SUP-2 renamed by hand to SUP-9 (same `created` as the "
        "deleted data/tickets/0000/SUP-2.yaml); a ticket ID is permanent: restore SUP-2.yaml, "
        "or, if the rename is meant, commit it with --no-verify and the trailer `Action: rename` "
        "(its history follows it)\n"
    )
    assert r.stderr.strip().endswith("1 problem(s) found")


def test_validate_flags_a_committed_hand_rename_until_it_is_undone(
    support_repo: Path, cli: Cli
) -> None:
    """Committed by hand (no hook, or --no-verify), the rename is still flagged in CI; renaming
    the ticket back settles it without rewriting the shared commit."""
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    rename_by_hand(support_repo, "SUP-2", "SUP-9", "2026-10-05T11:00:00+03:00")
    sha = git(support_repo, "rev-parse", "HEAD").strip()
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        f"data/tickets/0000/SUP-9.yaml:1: ticket SUP-2 was renamed to SUP-9 by hand in commit "
        f"{sha[:7]} (its history is kept; a ticket ID is permanent: rename it back, or, if the "
        f"rename is meant, make it in a commit with the trailer `Action: rename`)\n"
    )
    assert r.stderr.strip().endswith("1 problem(s) found")
    # renamed back, still uncommitted: the pre-commit check lets the fix through
    folder = support_repo / "data/tickets/0000"
    text = (folder / "SUP-9.yaml").read_text(encoding="utf-8").replace("id: SUP-9\n", "id: SUP-2\n")
    (folder / "SUP-9.yaml").unlink()
    (folder / "SUP-2.yaml").write_text(text, encoding="utf-8")
    r = cli("validate")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "supportctl: no problems found\n")
    git(support_repo, "add", "-A", "data")
    git(support_repo, "commit", "-qm", "SUP-2 back", env=at("2026-10-05T11:30:00+03:00"))
    r = cli("validate")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "supportctl: no problems found\n")
    assert [e.action for e in history(support_repo).by_ticket()["SUP-2"]] == [
        "new",
        "rename",
        "rename",
    ]
    # and renamed again, reviewed this time: accepted
    rename_by_hand(
        support_repo, "SUP-2", "SUP-9", "2026-10-05T11:40:00+03:00", trailer="Action: rename"
    )
    r = cli("validate")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "supportctl: no problems found\n")


def test_a_hand_rename_committed_with_the_trailer_is_accepted(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    rename_by_hand(
        support_repo, "SUP-2", "SUP-9", "2026-10-05T11:00:00+03:00", trailer="Action: rename"
    )
    r = cli("validate")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "supportctl: no problems found\n")
    # and the trailer did not turn the hand commit into an action: the history follows it
    assert [
        (e.action, e.details.get("from")) for e in history(support_repo).by_ticket()["SUP-9"]
    ] == [("new", None), ("rename", "SUP-2")]
    # a later unreviewed rename of the same ticket is flagged again
    rename_by_hand(support_repo, "SUP-9", "SUP-12", "2026-10-05T11:30:00+03:00")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.startswith(
        "data/tickets/0000/SUP-12.yaml:1: ticket SUP-9 was renamed to SUP-12 by hand in commit "
    )
    assert r.stdout.count("\n") == 1


def test_a_rename_event_says_what_the_ticket_was_called(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    rename_by_hand(support_repo, "SUP-2", "SUP-9", "2026-10-05T11:00:00+03:00")
    explained = json.loads(ok(cli("sla", "explain", "SUP-9", "--json", "--now", NOW)).stdout)
    assert [(e["action"], e["detail"]) for e in explained["events"]] == [
        ("new", ""),
        ("rename", "renamed from SUP-2"),
        ("now", ""),
    ]
    report = json.loads(
        ok(
            cli(
                "report",
                "--month",
                "2026-10",
                "--now",
                NOW,
                "--customer",
                "acme",
                "--audience",
                "internal",
                "--format",
                "json",
            )
        ).stdout
    )
    # the old ID is the same ticket's, so the report names it (other tickets' IDs it hides)
    assert [
        (e["ticket"], e["detail"]) for e in report["audit"]["events"] if e["action"] == "rename"
    ] == [("SUP-9", "renamed from SUP-2")]
    table = ok(cli("sla", "explain", "SUP-9", "--now", NOW)).stdout
    assert "renamed from SUP-2 hand edit" in table


def test_an_action_on_a_file_whose_id_differs_is_refused(support_repo: Path, cli: Cli) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    folder = support_repo / "data/tickets/0000"
    git(support_repo, "mv", "data/tickets/0000/SUP-2.yaml", "data/tickets/0000/SUP-7.yaml")
    git(
        support_repo,
        "commit",
        "-qm",
        "file renamed, id forgotten",
        env=at("2026-10-05T10:05:00+03:00"),
    )
    head = git(support_repo, "rev-parse", "HEAD")
    message = (
        "supportctl: error: data/tickets/0000/SUP-7.yaml: its id says SUP-2, not SUP-7; fix the file or its "
        "name (see `supportctl validate`)\n"
    )
    for args in (
        ("comment", "SUP-7", "Hello"),
        ("start", "SUP-7"),
        ("log", "SUP-7", "-m", "5"),
        ("resolve", "SUP-7", "-r", "done"),
        ("tag", "SUP-7", "printer"),
    ):
        r = cli(*args, env=at("2026-10-05T10:10:00+03:00"))
        assert (r.exit_code, r.stderr) == (7, message), args
    assert git(support_repo, "rev-parse", "HEAD") == head
    assert git(support_repo, "status", "--porcelain") == ""
    assert (folder / "SUP-7.yaml").read_text(encoding="utf-8").startswith("id: SUP-2\n")
    # the file moved but its id did not: still the same ticket, with its history
    grouped = history(support_repo).by_ticket()
    assert [e.action for e in grouped["SUP-2"]] == ["new", "edit"]
    assert "SUP-2~1" not in grouped
    assert "SUP-7" not in grouped


def test_a_ticket_renamed_in_two_hand_commits_keeps_its_history(
    support_repo: Path, cli: Cli
) -> None:
    """`git mv` committed first, the `id` fixed in a later commit: the commit that changes the
    id is the rename, so the ticket keeps its history under the new ID (and validate flags it)."""
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    ok(cli("comment", "SUP-2", "Restart it", env=at("2026-10-05T10:30:00+03:00")))
    before = sla(cli, "SUP-2")
    git(support_repo, "mv", "data/tickets/0000/SUP-2.yaml", "data/tickets/0000/SUP-9.yaml")
    git(support_repo, "commit", "-qm", "move SUP-2", env=at("2026-10-05T10:40:00+03:00"))
    path = support_repo / "data/tickets/0000/SUP-9.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: SUP-2\n", "id: SUP-9\n"), encoding="utf-8"
    )
    git(support_repo, "commit", "-qam", "id of SUP-9", env=at("2026-10-05T11:00:00+03:00"))
    sha = git(support_repo, "rev-parse", "HEAD").strip()

    after = sla(cli, "SUP-9")
    for result in (before, after):
        result.pop("id")
    assert after == before
    grouped = history(support_repo).by_ticket()
    assert "SUP-2" not in grouped
    assert [(e.action, e.details.get("from")) for e in grouped["SUP-9"]] == [
        ("new", None),
        ("comment", None),
        ("edit", None),
        ("rename", "SUP-2"),
    ]
    r = cli("validate")
    assert (r.exit_code, r.stdout) == (
        9,
        (
            f"data/tickets/0000/SUP-9.yaml:1: ticket SUP-2 was renamed to SUP-9 by hand in commit "
            f"{sha[:7]} (its history is kept; a ticket ID is permanent: rename it back, or, if the "
            f"rename is meant, make it in a commit with the trailer `Action: rename`)\n"
        ),
    )
    assert "SUP-2" not in ok(cli("sla", "status", "--now", NOW)).stdout


def test_a_ticket_whose_id_is_changed_in_place_then_moved_keeps_its_history(
    support_repo: Path, cli: Cli
) -> None:
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:01:00+03:00")))
    path = support_repo / "data/tickets/0000/SUP-2.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: SUP-2\n", "id: SUP-9\n"), encoding="utf-8"
    )
    git(support_repo, "commit", "-qam", "id of SUP-9", env=at("2026-10-05T10:40:00+03:00"))
    git(support_repo, "mv", "data/tickets/0000/SUP-2.yaml", "data/tickets/0000/SUP-9.yaml")
    git(support_repo, "commit", "-qm", "file of SUP-9", env=at("2026-10-05T11:00:00+03:00"))
    grouped = history(support_repo).by_ticket()
    assert "SUP-2" not in grouped
    assert [(e.action, e.details.get("from")) for e in grouped["SUP-9"]] == [
        ("new", None),
        ("rename", "SUP-2"),
        ("edit", None),
    ]
    assert sla(cli, "SUP-9")["created"] == "2026-10-05T10:01:00+03:00"


def test_an_id_changed_by_hand_to_a_live_tickets_id_takes_nothing_from_it(
    support_repo: Path, cli: Cli
) -> None:
    """A typo: SUP-2.yaml's id edited to SUP-1, which is another live ticket. SUP-1 keeps its
    own history (nothing is retired or merged); validate names the file."""
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_GLOBEX, env=at("2026-10-05T10:01:00+03:00")))
    ok(cli("comment", "SUP-1", "Restart it", env=at("2026-10-05T10:30:00+03:00")))
    before = sla(cli, "SUP-1")
    path = support_repo / "data/tickets/0000/SUP-2.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: SUP-2\n", "id: SUP-1\n"), encoding="utf-8"
    )
    git(support_repo, "commit", "-qam", "typo", env=at("2026-10-05T11:00:00+03:00"))
    assert sla(cli, "SUP-1") == before
    grouped = history(support_repo).by_ticket()
    assert [e.action for e in grouped["SUP-1"]] == ["new", "comment"]
    assert [e.action for e in grouped["SUP-2"]] == ["new", "edit"]
    assert not any("~" in t for t in grouped)
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout.startswith(
        "data/tickets/0000/SUP-2.yaml:1: id SUP-1 does not match the file name"
    )


def test_an_id_typo_put_right_keeps_the_commits_other_edits_on_its_own_ticket(
    support_repo: Path, cli: Cli
) -> None:
    """The typo of the test above, then its correction in a commit that also raises the
    priority: the raise is SUP-2's (the file's own ticket), never SUP-1's."""
    ok(cli(*NEW_ACME, env=at("2026-10-05T10:00:00+03:00")))
    ok(cli(*NEW_GLOBEX, env=at("2026-10-05T10:01:00+03:00")))
    path = support_repo / "data/tickets/0000/SUP-2.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("id: SUP-2\n", "id: SUP-1\n"), encoding="utf-8")
    git(support_repo, "commit", "-qam", "typo", env=at("2026-10-05T11:00:00+03:00"))
    path.write_text(text.replace("priority: normal\n", "priority: critical\n"), encoding="utf-8")
    git(
        support_repo, "commit", "-qam", "put right, and urgent", env=at("2026-10-05T11:30:00+03:00")
    )
    grouped = history(support_repo).by_ticket()
    assert [e.action for e in grouped["SUP-1"]] == ["new"]
    assert [(e.action, e.changes) for e in grouped["SUP-2"]] == [
        ("new", grouped["SUP-2"][0].changes),
        ("edit", {}),
        ("edit", {"priority": ("normal", "critical")}),
    ]
    assert (sla(cli, "SUP-1")["priority"], sla(cli, "SUP-2")["priority"]) == ("normal", "critical")
    assert cli("validate").exit_code == 0
