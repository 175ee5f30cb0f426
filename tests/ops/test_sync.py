"""`supportctl sync` between real clones of a real bare remote on local paths.

Every clone has its own git identity (`git config user.name/user.email` inside the
clone); each command sets its own author and commit date, so the clones act like
agents at different desks, some of them offline for a while.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from supportctl.domain.errors import GitError, SyncError
from supportctl.ops.sync import sync as run_sync
from supportctl.storage import git as gitio
from supportctl.storage.desk import Desk as SupportDesk
from tests.helpers import Clone, Remote, assert_clean, git, monday

NOW = "2026-10-07T12:00:00+03:00"  # "now" for SLA questions: two days after the action


def trailer(c: Clone, key: str, rev: str = "HEAD") -> list[str]:
    out = c.git("log", f"--format=%(trailers:key={key},valueonly,separator=%x2c)", rev)
    return [line for line in out.splitlines() if line]


def sla_numbers(sla: dict[str, Any]) -> dict[str, Any]:
    """`sla show --json` without the commit ids (`stopped_by`), which differ between desks."""
    return {
        **sla,
        "metrics": {
            m: {k: v for k, v in c.items() if k != "stopped_by"} for m, c in sla["metrics"].items()
        },
    }


# -- sending and receiving ------------------------------------------------------------
def test_offline_work_is_sent_then_received(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    done = [
        a(
            "new",
            "VPN drops every hour",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "high",
            when=monday("09:00"),
        ),
        a("comment", "SUP-1", "Looking at the tunnel logs", when=monday("09:05")),
        a("log", "SUP-1", "-m", "25", "--note", "tunnel logs", when=monday("09:30")),
        a("start", "SUP-1", when=monday("09:31")),
        a("tag", "SUP-1", "vpn", when=monday("09:32")),
    ]
    assert done[0].stdout == "SUP-1\n"
    subjects = [a.subjects()[4]] + [r.stdout.strip() for r in done[1:]]
    assert subjects[0] == "SUP-1: new incident for acme (high): VPN drops every hour"

    sent = a.sync()
    assert sent == {
        "remote": "origin",
        "branch": "main",
        "received": [],
        "sent": subjects,
        "renumbered": [],
        "decisions": [],
        "attempts": 1,
        "head": a.head(),
    }
    assert desk.remote_head() == a.head()

    r = b("sync")
    assert r.stdout.splitlines() == [
        "received 5 commit(s) from origin/main",
        *[f"  ← {s}" for s in subjects],
        "sent 0 commit(s)",
    ]
    assert b.head() == a.head()
    assert b.json("show", "SUP-1") == a.json("show", "SUP-1")

    quiet = b.sync()
    assert (quiet["received"], quiet["sent"], quiet["attempts"]) == ([], [], 1)


# -- two agents, one ticket --------------------------------------------------------------
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

# (agent, author date, command): what the two agents do while neither syncs
ANNA = [
    ("anna", monday("09:10"), ("log", "SUP-1", "-m", "30", "--note", "first look")),
    ("anna", monday("09:20"), ("comment", "SUP-1", "We are looking into it")),
    ("anna", monday("09:25"), ("tag", "SUP-1", "printer", "hw", "--remove", "triage")),
    ("anna", monday("09:40"), ("edit", "SUP-1", "--title", "Printer on floor 2 is broken")),
    ("anna", monday("11:00"), ("resolve", "SUP-1", "--resolution", "Replaced the fuser")),
]
BORIS = [
    ("boris", monday("09:15"), ("escalate", "SUP-1", "--reason", "needs a hardware engineer")),
    ("boris", monday("09:30"), ("tag", "SUP-1", "urgent")),
    ("boris", monday("09:35"), ("edit", "SUP-1", "--title", "Printer jammed")),
    ("boris", monday("10:30"), ("comment", "SUP-1", "--internal", "Ordered a spare fuser")),
    ("boris", monday("10:40"), ("log", "SUP-1", "-m", "20", "--note", "spare part")),
    ("boris", monday("11:10"), ("comment", "SUP-1", "It prints again;\nplease confirm.")),
]


def test_two_agents_on_one_ticket_lose_nothing(desk: Remote) -> None:
    a, b, ref = desk.clone("anna"), desk.clone("boris"), desk.clone("anna", "reference")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    ref.sync()

    subjects = [a(*cmd, when=when).stdout.strip() for _, when, cmd in ANNA]
    subjects += [b(*cmd, when=when).stdout.strip() for _, when, cmd in BORIS]
    # the reference desk does the same things one after the other, in time order
    for who, when, cmd in sorted(ANNA + BORIS, key=lambda x: x[1]):
        ref(*cmd, when=when, who=who)

    first = a.sync()
    assert first["sent"] == subjects[:5]
    assert first["decisions"] == []
    second = b.sync()
    assert second["received"] == subjects[:5]
    assert second["sent"] == subjects[5:]
    assert second["decisions"] == [
        (
            "SUP-1: title changed on both sides; kept the remote's ('Printer on floor 2 is broken', the "
            "later action); yours ('Printer jammed') stays in history"
        )
    ]
    third = a.sync()
    assert third["received"] == subjects[5:]
    assert third["sent"] == []
    assert a.head() == b.head() == desk.remote_head()

    for c in (a, b):
        log = c.subjects()
        assert all(s in log for s in subjects), set(subjects) - set(log)
        assert_clean(c)

    t, expected = a.json("show", "SUP-1"), ref.json("show", "SUP-1")
    assert t["title"] == "Printer on floor 2 is broken"  # 09:40 beats 09:35
    assert "SUP-1: edit title Printer on floor 2 jams → Printer jammed" in a.subjects()
    assert (t["status"], t["line"], t["resolution"]) == ("resolved", "L2", "Replaced the fuser")
    assert sorted(t["tags"]) == sorted(expected["tags"]) == ["hw", "printer", "urgent"]
    stamps = [c["at"] for c in t["comments"]]
    assert stamps == sorted(stamps)
    assert t["comments"] == expected["comments"]
    assert [c["text"].strip() for c in t["comments"]] == [
        "Escalated L1 → L2: needs a hardware engineer",
        "We are looking into it",
        "Ordered a spare fuser",
        "It prints again;\nplease confirm.",
    ]
    assert t["worklogs"] == expected["worklogs"]
    assert t["minutes_logged"] == 50
    assert {k: v for k, v in t.items() if k != "tags"} == {
        k: v for k, v in expected.items() if k != "tags"
    }

    sla = a.json("sla", "show", "SUP-1", "--now", NOW)
    assert sla == b.json("sla", "show", "SUP-1", "--now", NOW)
    assert sla_numbers(sla) == sla_numbers(ref.json("sla", "show", "SUP-1", "--now", NOW))
    assert sla["metrics"]["first_response"]["state"] == "met"
    assert sla["metrics"]["first_response"]["elapsed_seconds"] == 20 * 60
    assert sla["metrics"]["resolution"]["elapsed_seconds"] == 2 * 3600


@pytest.mark.parametrize("later", ["anna", "boris"])
def test_contradicting_edits_later_action_wins(desk: Remote, later: str) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    a_at, b_at = (
        (monday("10:05"), monday("10:00"))
        if later == "anna"
        else (monday("10:00"), monday("10:05"))
    )
    a("edit", "SUP-1", "--priority", "critical", "--title", "Whole floor cannot print", when=a_at)
    b("edit", "SUP-1", "--priority", "low", "--title", "One printer jams", when=b_at)
    a.sync()
    got = b.sync()
    if later == "anna":
        assert got["decisions"] == [
            (
                "SUP-1: title changed on both sides; kept the remote's ('Whole floor cannot print', the later "
                "action); yours ('One printer jams') stays in history"
            ),
            (
                "SUP-1: priority changed on both sides; kept the remote's ('critical', the later action); "
                "yours ('low') stays in history"
            ),
        ]
    else:
        assert got["decisions"] == [
            (
                "SUP-1: title changed on both sides; kept yours ('One printer jams', the later action); 'Whole "
                "floor cannot print' from the remote stays in history"
            ),
            (
                "SUP-1: priority changed on both sides; kept yours ('low', the later action); 'critical' from "
                "the remote stays in history"
            ),
        ]
    a.sync()
    winner = {
        "anna": ("critical", "Whole floor cannot print"),
        "boris": ("low", "One printer jams"),
    }[later]
    for c in (a, b):
        t = c.json("show", "SUP-1")
        assert (t["priority"], t["title"]) == winner
        assert_clean(c)
        # the SLA reads the same last word from history as the file shows
        assert c.json("sla", "show", "SUP-1", "--now", NOW)["priority"] == winner[0]
        # and both edits are events, in time order: the loser's too
        edits = [
            (e["at"], e["priority"])
            for e in c.json("sla", "explain", "SUP-1", "--now", NOW)["events"]
            if e["action"] == "edit"
        ]
        first, second = ("low", "critical") if later == "anna" else ("critical", "low")
        assert edits == [
            ("2026-10-05T10:00:00+03:00", first),
            ("2026-10-05T10:05:00+03:00", second),
        ]
    if later == "anna":  # boris's edit lost; its commit changes nothing but stays an event
        audit = json.loads(
            a("report", "--month", "2026-10", "--now", NOW, "--format", "json").stdout
        )["audit"]["events"]
        details = [r["detail"] for r in audit if r["action"] == "edit"]
        assert any("overridden by a later action" in d for d in details), details


def test_human_sync_output_names_decisions(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    a("edit", "SUP-1", "--title", "Toner empty", when=monday("10:00"))
    b("edit", "SUP-1", "--title", "Paper jam", when=monday("10:01"))
    a.sync()
    out = b("sync").stdout.splitlines()
    assert out == [
        (
            "SUP-1: title changed on both sides; kept yours ('Paper jam', the later action); 'Toner empty' "
            "from the remote stays in history"
        ),
        "received 1 commit(s) from origin/main",
        "  ← SUP-1: edit title Printer on floor 2 jams → Toner empty",
        "sent 1 commit(s)",
        "  → SUP-1: edit title Printer on floor 2 jams → Paper jam",
    ]


def test_replayed_commits_keep_their_commit_date(desk: Remote) -> None:
    """Offline work synced hours later is not reported as back-dated."""
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    b("comment", "SUP-1", "Checking the tray", when=monday("09:05"))
    a("start", "SUP-1", when=monday("09:10"))
    a.sync(when=monday("09:11"))
    b.sync(when=monday("17:00"))
    assert b.git("log", "-1", "--format=%an %ad|%cn %cd", "--date=iso", "HEAD~0") == (
        "Boris Petrenko 2026-10-05 09:05:00 +0300|Boris Petrenko 2026-10-05 09:05:00 +0300\n"
    )
    events = [
        e for e in b.json("sla", "explain", "SUP-1", "--now", NOW)["events"] if e["action"] != "now"
    ]
    assert [e["action"] for e in events] == ["new", "comment", "start"]
    assert [e["backdated_seconds"] for e in events] == [0, 0, 0]
    report = json.loads(b("report", "--month", "2026-10", "--format", "json", "--now", NOW).stdout)
    assert report["audit"]["flagged"] == []


def test_comment_fixed_by_hand_while_the_other_side_comments(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a("comment", "SUP-1", "Plese send the model number", when=monday("09:10"))
    a.sync()
    b.sync()
    path = a.root / "data/tickets/0000/SUP-1.yaml"
    path.write_text(path.read_text().replace("Plese", "Please"))
    a.git("commit", "-qam", "Fix a typo in SUP-1's first reply")
    b("comment", "SUP-1", "Model HP 4250, thanks", when=monday("09:20"))
    b.sync()
    got = a.sync()
    assert got["sent"] == ["Fix a typo in SUP-1's first reply"]
    assert got["decisions"] == []
    b.sync()
    for c in (a, b):
        assert [x["text"] for x in c.json("show", "SUP-1")["comments"]] == [
            "Please send the model number",
            "Model HP 4250, thanks",
        ]
        assert_clean(c)


# -- ticket IDs -------------------------------------------------------------------------
def test_offline_new_tickets_never_share_an_id(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
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
    b("comment", "SUP-2", "Which model do you need?", when=monday("10:10"))
    b("log", "SUP-2", "-m", "15", "--note", "quote", when=monday("10:15"))
    b("link", "SUP-1", "--related", "SUP-2", when=monday("10:20"))
    b("start", "SUP-2", when=monday("10:25"))
    a.sync()
    got = b.sync()
    assert got["renumbered"] == [{"from": "SUP-2", "to": "SUP-3"}]
    assert got["sent"] == [
        "SUP-3: new service request for globex (low): Laptop for a new hire",
        "SUP-3: reply to customer: Which model do you need?",
        "SUP-3: log 15m (quote)",
        "SUP-1: related SUP-3",
        "SUP-3: start work (new → in_progress)",
    ]
    a.sync()
    for c in (a, b):
        assert c.json("show", "SUP-2")["title"] == "Mail bounces"
        mine = c.json("show", "SUP-3")
        assert (mine["id"], mine["title"], mine["path"]) == (
            "SUP-3",
            "Laptop for a new hire",
            "data/tickets/0000/SUP-3.yaml",
        )
        assert mine["comments"][0]["text"] == "Which model do you need?"
        assert [(w["minutes"], w["note"]) for w in mine["worklogs"]] == [(15, "quote")]
        assert c.json("show", "SUP-1")["links"]["related"] == ["SUP-3"]
        sla = c.json("sla", "show", "SUP-3", "--now", NOW)
        assert (sla["id"], sla["created"], sla["status"]) == (
            "SUP-3",
            "2026-10-05T10:05:00+03:00",
            "in_progress",
        )
        assert sla["metrics"]["start_work"]["elapsed_seconds"] == 20 * 60
        assert_clean(c)
    assert trailer(b, "Ticket", "HEAD~5..HEAD") == ["SUP-3", "SUP-1", "SUP-3", "SUP-3", "SUP-3"]
    assert trailer(b, "Link", "HEAD~5..HEAD") == ["related SUP-3"]
    worklog = (b.root / "data/worklogs/2026-10/boris_at_support.example.yaml").read_text()
    assert "ticket: SUP-3" in worklog
    assert "SUP-2" not in worklog
    # the next ticket B opens continues after everything it has seen
    assert (
        b(
            "new", "Keyboard", "-c", "acme", "-t", "incident", "-p", "low", when=monday("11:00")
        ).stdout
        == "SUP-4\n"
    )


def test_three_clones_offline_all_get_distinct_ids(desk: Remote) -> None:
    clones = [desk.clone(h) for h in ("anna", "boris", "vera")]
    for i, c in enumerate(clones):
        c.sync()
        r = c(
            "new",
            f"Request from desk {i}",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "low",
            when=monday(f"10:0{i}"),
        )
        assert r.stdout == "SUP-1\n"
        c("comment", "SUP-1", f"note {i}", when=monday(f"10:1{i}"))
    clones[0].sync()
    assert clones[1].sync()["renumbered"] == [{"from": "SUP-1", "to": "SUP-2"}]
    out = clones[2]("sync").stdout
    assert (
        "renumbered SUP-1 → SUP-3: SUP-1 was taken on origin meanwhile (yours was never pushed)"
        in out
    )
    for c in clones:
        c.sync()
    assert len({c.head() for c in clones}) == 1
    rows = clones[0].json("list")
    assert [(r["id"], r["title"]) for r in rows] == [
        ("SUP-1", "Request from desk 0"),
        ("SUP-2", "Request from desk 1"),
        ("SUP-3", "Request from desk 2"),
    ]
    for i, c in enumerate(clones):
        assert [x["text"] for x in c.json("show", f"SUP-{i + 1}")["comments"]] == [f"note {i}"]
        assert_clean(c)


# -- hand edits and merges ------------------------------------------------------------------
def _review_branch(c: Clone, when: str) -> None:
    """A reviewer raises the priority in an editor on a branch and merges it with --no-ff."""
    path = c.root / "data/tickets/0000/SUP-1.yaml"
    env = {
        "GIT_AUTHOR_NAME": "Vera Orlova",
        "GIT_AUTHOR_EMAIL": "vera@support.example",
        "GIT_COMMITTER_NAME": "Vera Orlova",
        "GIT_COMMITTER_EMAIL": "vera@support.example",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    git(c.root, "checkout", "-q", "-b", "review")
    path.write_text(path.read_text().replace("priority: high", "priority: critical"))
    git(c.root, "commit", "-qam", "Raise SUP-1 to critical: the whole floor is down", env=env)
    git(c.root, "checkout", "-q", "main")
    later = when.replace(":30:00", ":31:00")
    git(
        c.root,
        "merge",
        "-q",
        "--no-ff",
        "review",
        "-m",
        "Merge branch 'review'",
        env={**env, "GIT_AUTHOR_DATE": later, "GIT_COMMITTER_DATE": later},
    )


def _assert_hand_edit_counts(c: Clone) -> None:
    sla = c.json("sla", "show", "SUP-1", "--now", NOW)
    assert sla["priority"] == "critical"
    # the reply at 09:20 stopped first_response under the rule of the time (high: 2h) ...
    assert sla["metrics"]["first_response"]["target_seconds"] == 2 * 3600
    # ... the running resolution clock now follows the critical rule: 4h on 24x7
    resolution = sla["metrics"]["resolution"]
    assert (resolution["target_seconds"], resolution["calendar"]) == (4 * 3600, "24x7")
    assert resolution["rule"].startswith("standard rule 1")
    rows = c.json("sla", "explain", "SUP-1", "--now", NOW)["events"]
    manual = [r for r in rows if r["manual"]]
    assert [(r["priority"], r["author"], r["at"]) for r in manual] == [
        ("critical", "Vera Orlova", "2026-10-05T09:30:00+03:00")
    ]
    text = c("sla", "explain", "SUP-1", "--now", NOW).stdout
    assert "hand edit" in text
    report = json.loads(c("report", "--month", "2026-10", "--format", "json", "--now", NOW).stdout)
    flagged = report["audit"]["flagged"]
    assert [(f["ticket"], f["manual"]) for f in flagged] == [("SUP-1", True)]


def test_reviewer_merge_pushed_by_hand_is_an_event(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    b("comment", "SUP-1", "Checking it", when=monday("09:20"))
    before = b.json("sla", "show", "SUP-1", "--now", NOW)
    assert before["metrics"]["resolution"]["target_seconds"] == 16 * 3600

    _review_branch(a, monday("09:30"))
    git(a.root, "push", "-q", "origin", "main")  # plain git, no supportctl
    got = b.sync()
    assert got["received"] == [
        "Raise SUP-1 to critical: the whole floor is down",
        "Merge branch 'review'",
    ]
    assert got["sent"] == ["SUP-1: reply to customer: Checking it"]
    a.sync()
    for c in (a, b):
        t = c.json("show", "SUP-1")
        assert t["priority"] == "critical"
        assert [x["text"] for x in t["comments"]] == ["Checking it"]
        _assert_hand_edit_counts(c)
        assert_clean(c)


def test_unpushed_local_merge_is_replayed(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    b("comment", "SUP-1", "Checking it", when=monday("09:20"))
    b.sync()
    _review_branch(a, monday("09:30"))  # merged locally, not pushed; the remote moved meanwhile
    got = a.sync()
    assert got["sent"] == ["Raise SUP-1 to critical: the whole floor is down"]
    b.sync()
    for c in (a, b):
        assert c.json("show", "SUP-1")["priority"] == "critical"
        _assert_hand_edit_counts(c)
        assert_clean(c)


# -- three clones, moving remote ------------------------------------------------------------
def test_three_clones_sync_in_turns(desk: Remote) -> None:
    clones = [desk.clone(h) for h in ("anna", "boris", "vera")]
    clones[0](*TICKET, when=monday("09:00"))
    for c in clones:
        c.sync()
    subjects = []
    minute = 0
    for rnd in range(3):
        for _i, c in enumerate(clones):
            minute += 1
            subjects.append(
                c(
                    "comment",
                    "SUP-1",
                    f"round {rnd} from {c.handle}",
                    when=monday(f"09:{10 + minute:02d}"),
                ).stdout.strip()
            )
            c("log", "SUP-1", "-m", "5", "--note", f"r{rnd}", when=monday(f"09:{10 + minute:02d}"))
            c.sync(when=monday(f"09:{10 + minute:02d}"))
    for c in clones:
        c.sync()
    assert len({c.head() for c in clones} | {desk.remote_head()}) == 1
    t = clones[2].json("show", "SUP-1")
    assert [x["text"] for x in t["comments"]] == [
        f"round {r} from {h}" for r in range(3) for h in ("anna", "boris", "vera")
    ]
    assert t["minutes_logged"] == 45
    assert all(s in clones[1].subjects() for s in subjects)
    for c in clones:
        assert_clean(c)


def _race(c: Clone, rival: Clone, times: int) -> SupportDesk:
    """A repo whose push first lets `rival` push a comment: the remote moves in between."""
    repo = SupportDesk(c.root)
    push = repo.git.push
    raced = {"n": 0}

    def racing_push(remote: str, branch: str, sha: str) -> bool:
        if raced["n"] < times:
            raced["n"] += 1
            rival(
                "comment", "SUP-1", f"meanwhile #{raced['n']}", when=monday(f"10:{raced['n']:02d}")
            )
            rival.sync()
        return push(remote, branch, sha)

    repo.git.push = racing_push  # type: ignore[method-assign]
    return repo


def test_remote_moving_between_fetch_and_push_is_retried(desk: Remote) -> None:
    a, b, c = desk.clone("anna"), desk.clone("boris"), desk.clone("vera")
    a(*TICKET, when=monday("09:00"))
    for x in (a, b, c):
        x.sync()
    a("comment", "SUP-1", "from anna", when=monday("09:30"))
    b("tag", "SUP-1", "floor2", when=monday("09:31"))
    b.sync()  # a is now behind and ahead: the first attempt replays
    result = run_sync(_race(a, c, times=2))
    assert result.attempts == 3
    assert result.received == [
        "SUP-1: tag +floor2",
        "SUP-1: reply to customer: meanwhile #1",
        "SUP-1: reply to customer: meanwhile #2",
    ]
    assert result.sent == ["SUP-1: reply to customer: from anna"]
    assert result.head == a.head() == desk.remote_head()
    for x in (b, c):
        x.sync()
    texts = [x["text"] for x in b.json("show", "SUP-1")["comments"]]
    assert texts == ["from anna", "meanwhile #1", "meanwhile #2"]
    assert_clean(a)


def test_sync_gives_up_after_max_attempts_keeping_local_work(desk: Remote) -> None:
    a, c = desk.clone("anna"), desk.clone("vera")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    c.sync()
    a("comment", "SUP-1", "from anna", when=monday("09:30"))
    with pytest.raises(
        SyncError, match=r"^origin kept moving; gave up after 3 attempts \(run sync again\)$"
    ):
        run_sync(_race(a, c, times=99), max_attempts=3)
    assert "SUP-1: reply to customer: from anna" in a.subjects()
    assert_clean(a)
    got = a.sync()  # and a quiet moment later it goes through
    assert got["sent"] == ["SUP-1: reply to customer: from anna"]
    assert got["attempts"] == 1


def test_failed_sync_still_says_what_it_renumbered(desk: Remote) -> None:
    a, b, c = desk.clone("anna"), desk.clone("boris"), desk.clone("vera")
    a(*TICKET, when=monday("09:00"))
    for x in (a, b, c):
        x.sync()
    b("new", "Taken first", "-c", "acme", "-t", "incident", "-p", "low", when=monday("09:10"))
    b.sync()
    a("new", "Offline ticket", "-c", "acme", "-t", "incident", "-p", "low", when=monday("09:20"))
    with pytest.raises(SyncError) as failed:
        run_sync(_race(a, c, times=99), max_attempts=2)
    assert failed.value.message == (
        "origin kept moving; gave up after 2 attempts (run sync again); "
        "renumbered here meanwhile: SUP-2 → SUP-3"
    )
    assert a.json("show", "SUP-3")["title"] == "Offline ticket"  # already renamed locally
    assert a.sync()["renumbered"] == []  # ... so the next sync has nothing to say about it


# -- refusals ---------------------------------------------------------------------------------
def _refused(r: Any, code: int, message: str) -> None:
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("supportctl: error: "), r.stderr
    assert message in r.stderr, r.stderr


def test_sync_without_a_reachable_remote(desk: Remote) -> None:
    a = desk.clone("anna")
    _refused(
        a("sync", "--remote", "upstream", code=2), 2, "unknown remote 'upstream' (remotes: origin)"
    )
    a.git("remote", "set-url", "origin", str(desk.tmp / "gone.git"))
    _refused(a("sync", code=10), 10, "cannot fetch from origin:")


def test_a_remote_is_never_read_as_a_git_option(desk: Remote) -> None:
    a = desk.clone("anna")
    pwned = desk.tmp / "pwned"
    for remote in (
        f"--upload-pack=touch {pwned};",
        f"--receive-pack=touch {pwned};",
        "-v",
        str(desk.tmp / "remote.git"),
    ):
        _refused(a("sync", f"--remote={remote}", code=2), 2, "unknown remote")
    assert not pwned.exists()


def test_sync_refuses_on_detached_head(desk: Remote) -> None:
    a = desk.clone("anna")
    a.git("checkout", "-q", "--detach")
    _refused(a("sync", code=10), 10, "HEAD is detached; check out a branch to sync")


def test_local_changes_in_the_way_stop_sync_without_harm(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    a("comment", "SUP-1", "from anna", when=monday("09:30"))
    a.sync()
    path = b.root / "data/tickets/0000/SUP-1.yaml"
    path.write_text(path.read_text() + "# my note\n")
    (b.root / "scratch.txt").write_text("unrelated\n")
    head = b.head()
    _refused(b("sync", code=10), 10, "local uncommitted changes block the sync")
    assert b.head() == head
    assert path.read_text().endswith("# my note\n")
    assert not (b.root / ".git/supportctl/journal.json").exists()
    b.git("checkout", "--", str(path))
    got = b.sync()
    assert got["received"] == ["SUP-1: reply to customer: from anna"]
    assert (b.root / "scratch.txt").read_text() == "unrelated\n"  # unrelated work survives


def test_true_conflict_outside_tickets_stops_with_nothing_changed(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    for c, plan in ((a, "standard  # a"), (b, "standard  # b")):
        cfg = c.root / "supportctl.yaml"
        cfg.write_text(cfg.read_text().replace("    plan: standard\n", f"    plan: {plan}\n", 1))
        c.git("commit", "-qam", f"config by {c.handle}")
    a.sync()
    head = b.head()
    _refused(
        b("sync", code=10), 10, "supportctl.yaml was changed on both sides and the changes conflict"
    )
    assert b.head() == head
    assert b.git("status", "--porcelain") == ""


def test_push_refused_by_the_remote_is_a_sync_error(desk: Remote) -> None:
    a = desk.clone("anna")
    hook = desk.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'frozen for the audit' >&2\nexit 1\n")
    hook.chmod(0o755)
    a(*TICKET, when=monday("09:00"))
    r = a("sync", code=10)
    _refused(r, 10, "cannot push to origin: [remote rejected] (pre-receive hook declined)")
    assert a.git("status", "--porcelain") == ""
    assert a.subjects()[0].startswith("SUP-1: new incident")


@pytest.mark.parametrize(
    ("porcelain", "retry"),
    [
        ("[rejected] (fetch first)", True),
        ("[rejected] (non-fast-forward)", True),
        (
            "[remote rejected] (failed to update ref)",
            True,
        ),  # two pushes raced for the remote's ref lock
        ("[remote rejected] (pre-receive hook declined)", False),
    ],
)
def test_push_refusals_that_mean_someone_pushed_first_are_retried(
    desk: Remote, monkeypatch: pytest.MonkeyPatch, porcelain: str, retry: bool
) -> None:
    repo = SupportDesk(desk.clone("anna").root)
    out = f"To {desk.remote}\n!\tabc:refs/heads/main\t{porcelain}\nDone\n"
    err = "error: failed to push some refs\nhint: Updates were rejected\n"
    refused = gitio.Finished(1, out.encode(), err.encode())
    monkeypatch.setattr(gitio, "run_git", lambda *a, **k: refused)
    if retry:
        assert repo.git.push("origin", "main", "abc") is False
    else:
        with pytest.raises(
            GitError, match=r"^git push failed: \[remote rejected\] \(pre-receive hook declined\)$"
        ):
            repo.git.push("origin", "main", "abc")


def test_sync_entry_point_in_a_subprocess(desk: Remote) -> None:
    """The installed console script, as an agent's shell runs it."""
    import os
    import shutil
    import sys

    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    exe = shutil.which("supportctl", path=str(Path(sys.executable).parent)) or "supportctl"
    env = dict(os.environ)
    r = subprocess.run(
        [exe, "sync"], cwd=a.root, env=env, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == [
        "sent 1 commit(s)",
        "  → SUP-1: new incident for acme (high): Printer on floor 2 jams",
    ]
    r = subprocess.run(
        [exe, "sync", "--json"], cwd=b.root, env=env, capture_output=True, text=True, check=False
    )
    assert json.loads(r.stdout)["head"] == a.head()


# -- the knowledge base across clones --------------------------------------------------------
def _kb_article(c: Clone, slug: str) -> str:
    return (c.root / "data/kb" / f"{slug}.md").read_text(encoding="utf-8")


def test_two_agents_solving_with_one_article_both_keep_their_link(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a("new", "Printer jams", "-c", "acme", "-t", "incident", "-p", "low", when=monday("09:05"))
    a("kb", "new", "Printer jams on thick paper", "--body-file", "-", when=monday("09:10"))
    a.sync()
    b.sync()
    a(
        "resolve",
        "SUP-1",
        "-r",
        "fixed",
        "--kb",
        "printer-jams-on-thick-paper",
        when=monday("10:00"),
    )
    b(
        "resolve",
        "SUP-2",
        "-r",
        "fixed",
        "--kb",
        "printer-jams-on-thick-paper",
        when=monday("10:30"),
    )
    a.sync()
    got = b.sync()
    assert got["sent"][-1].startswith("SUP-2: resolve")
    a.sync()
    for c in (a, b):
        assert "tickets: [SUP-1, SUP-2]" in _kb_article(c, "printer-jams-on-thick-paper")
        assert c.json("kb", "show", "printer-jams-on-thick-paper")["tickets"] == ["SUP-1", "SUP-2"]
        assert_clean(c)


def test_renumbered_ticket_keeps_its_article_link(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    a(*TICKET, when=monday("09:00"))
    a.sync()
    b.sync()
    a("new", "Mail bounces", "-c", "acme", "-t", "incident", "-p", "normal", when=monday("10:00"))
    b("new", "Toner empty", "-c", "globex", "-t", "incident", "-p", "low", when=monday("10:05"))
    b("resolve", "SUP-2", "-r", "new toner", when=monday("10:20"))
    b(
        "kb",
        "new",
        "Replacing toner",
        "--from-ticket",
        "SUP-2",
        "--body-file",
        "-",
        when=monday("10:30"),
    )
    a.sync()
    got = b.sync()
    assert got["renumbered"] == [{"from": "SUP-2", "to": "SUP-3"}]
    article = _kb_article(b, "replacing-toner")
    assert "SUP-3" in article
    assert "SUP-2" not in article
    assert b.json("show", "SUP-3")["kb"] == "replacing-toner"
    assert b.json("kb", "show", "replacing-toner")["tickets"] == ["SUP-3"]
    assert_clean(b)


def test_sync_brings_the_fix_of_a_broken_configuration(desk: Remote) -> None:
    a, b = desk.clone("anna"), desk.clone("boris")
    cfg = a.root / "supportctl.yaml"
    good = cfg.read_text()
    cfg.write_text(good.replace("    plan: standard\n", "    plan: gold\n", 1))
    a.git("commit", "-qam", "config: a typo")
    a.git("push", "-q", "origin", "HEAD")
    b.sync()
    refused = b("list", code=4)
    assert "unknown plan 'gold'" in refused.stderr
    cfg.write_text(good)
    a.git("commit", "-qam", "config: fix the typo")
    a.git("push", "-q", "origin", "HEAD")
    b.sync()  # not stopped by the broken configuration it is about to replace
    b("list")
