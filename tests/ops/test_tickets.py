"""The lifecycle core (supportctl.ops.tickets) called as a library, against real git repos."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

from supportctl.domain.errors import DataError, IllegalTransition, NotFound, UsageError
from supportctl.domain.ticket import TICKET_KEYS
from supportctl.ops import tickets as actions
from supportctl.storage.desk import Desk
from supportctl.storage.transaction import TRAILER_TEXT
from tests.helpers import git, head, trailers

if TYPE_CHECKING:
    from pathlib import Path

FIXED_DATE = "2026-10-05T10:00:00+03:00"
T1 = "data/tickets/0000/SUP-1.yaml"


def load(root: Path, rel: str = T1) -> Any:
    return YAML(typ="safe").load((root / rel).read_text(encoding="utf-8"))


def top_keys(root: Path, rel: str = T1) -> list[str]:
    text = (root / rel).read_text(encoding="utf-8")
    return [ln.split(":", 1)[0] for ln in text.splitlines() if ln and ln[0] not in " #"]


@pytest.fixture
def repo(support_repo: Path) -> Desk:
    return Desk(support_repo)


def ticket(repo: Desk, title: str = "Checkout fails", **kw: Any) -> actions.ActionResult:
    kw = {"customer": "acme", "type": "incident", "priority": "high", **kw}
    return actions.new_ticket(repo, title=title, **kw)


# -- new ----------------------------------------------------------------------------------
def test_new_ticket_result(repo: Desk) -> None:
    r = ticket(
        repo,
        tags=["Urgent", "payments", "urgent"],
        cls="payments",
        reporter="Пётр",
        description="line one\nline two\n\n",
    )
    assert r.ticket_id == "SUP-1"
    assert r.action == "new"
    assert r.commit == head(repo.root)
    assert r.subject == "SUP-1: new incident for acme (high): Checkout fails"
    assert r.ticket.tags == ("payments", "urgent")
    assert r.ticket.description == "line one\nline two\n"
    assert r.ticket.created == FIXED_DATE
    assert not r.ticket.has("comments")  # added with the first comment, see test_first_comment_*
    keys = top_keys(repo.root)
    assert keys == [k for k in TICKET_KEYS if k in keys]


def test_new_ticket_normalises_choices(repo: Desk) -> None:
    r = ticket(repo, type="Information-Request", priority=" LOW ", channel="Phone")
    assert (r.ticket.type, r.ticket.priority, r.ticket.channel) == (
        "information_request",
        "low",
        "phone",
    )


@pytest.mark.parametrize(
    ("kw", "exc", "message"),
    [
        ({"customer": "initech"}, NotFound, "unknown customer 'initech' (known: acme, globex)"),
        ({"type": "bug"}, UsageError, "unknown type 'bug'"),
        ({"priority": "p1"}, UsageError, "unknown priority 'p1'"),
        ({"channel": "pigeon"}, UsageError, "unknown channel 'pigeon'"),
        ({"assignee": "zed"}, NotFound, "unknown agent 'zed' (known: anna, boris)"),
        ({"assignee": "../zed"}, UsageError, "bad assignee '../zed'"),
        ({"tags": ["ok", "not ok"]}, UsageError, "bad tag 'not ok'"),
        ({"tags": ["x" * 41]}, UsageError, "bad tag"),
        ({"cls": "c" * 61}, UsageError, "class is too long (61 characters, at most 60)"),
        ({"description": "a\x00b"}, UsageError, "description looks binary (it contains NUL bytes)"),
        ({"description": "x" * (64 * 1024 + 1)}, UsageError, "description is too long"),
        ({"description": "bad \udcff surrogate"}, UsageError, "description is not valid UTF-8"),
    ],
)
def test_new_ticket_refusals(
    repo: Desk, kw: dict[str, Any], exc: type[Exception], message: str
) -> None:
    before = head(repo.root)
    with pytest.raises(exc) as info:
        ticket(repo, **kw)
    assert str(info.value).startswith(message)
    assert head(repo.root) == before
    assert not (repo.root / T1).exists()


def test_new_ticket_control_characters_in_description_are_dropped(repo: Desk) -> None:
    r = ticket(repo, description="ring \x07 bell\r\nnext\tline\x1b[31m")
    assert r.ticket.description == "ring  bell\nnext\tline[31m\n"


def test_two_agents_get_sequential_ids(repo: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ticket(repo).ticket_id == "SUP-1"
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "boris@support.example")
    assert ticket(Desk(repo.root)).ticket_id == "SUP-2"
    assert git(repo.root, "log", "-1", "--format=%ae").strip() == "boris@support.example"


# -- moves --------------------------------------------------------------------------------
def test_full_lifecycle_statuses_and_trailers(repo: Desk) -> None:
    ticket(repo)
    steps = [
        (lambda: actions.start(repo, "SUP-1"), "new", "in_progress"),
        (lambda: actions.wait(repo, "SUP-1", reason="logs"), "in_progress", "waiting"),
        (lambda: actions.start(repo, "SUP-1"), "waiting", "in_progress"),
        (lambda: actions.resolve(repo, "SUP-1", resolution="fixed"), "in_progress", "resolved"),
        (lambda: actions.reopen(repo, "SUP-1", reason="again"), "resolved", "in_progress"),
        (
            lambda: actions.resolve(repo, "SUP-1", resolution="fixed twice"),
            "in_progress",
            "resolved",
        ),
        (lambda: actions.close(repo, "SUP-1"), "resolved", "closed"),
        (lambda: actions.reopen(repo, "SUP-1", reason="and again"), "closed", "in_progress"),
    ]
    for step, old, new in steps:
        result = step()
        assert result.ticket.status == new
        assert ("From-Status", old) in trailers(repo.root)
        assert ("To-Status", new) in trailers(repo.root)
        assert load(repo.root)["status"] == new
    assert load(repo.root)["resolution"] == "fixed twice"


@pytest.mark.parametrize(
    ("status_steps", "action", "message"),
    [
        (
            [],
            lambda r: actions.close(r, "SUP-1"),
            "cannot close SUP-1: it is new (resolve it first)",
        ),
        (
            ["start"],
            lambda r: actions.close(r, "SUP-1"),
            "cannot close SUP-1: it is in_progress (resolve it first)",
        ),
        (
            ["wait"],
            lambda r: actions.wait(r, "SUP-1", reason="x"),
            "cannot wait SUP-1: it is waiting",
        ),
        (["resolve"], lambda r: actions.start(r, "SUP-1"), "cannot start SUP-1: it is resolved"),
        (
            ["resolve"],
            lambda r: actions.wait(r, "SUP-1", reason="x"),
            "cannot wait SUP-1: it is resolved",
        ),
        (
            ["resolve"],
            lambda r: actions.resolve(r, "SUP-1", resolution="x"),
            "cannot resolve SUP-1: it is resolved",
        ),
        (
            ["resolve", "close"],
            lambda r: actions.escalate(r, "SUP-1", reason="x"),
            "cannot escalate SUP-1: it is closed",
        ),
        (
            ["start"],
            lambda r: actions.reopen(r, "SUP-1", reason="x"),
            "cannot reopen SUP-1: it is in_progress (it is still open)",
        ),
    ],
)
def test_illegal_moves(repo: Desk, status_steps: list[str], action: Any, message: str) -> None:
    ticket(repo)
    for step in status_steps:
        {
            "start": lambda: actions.start(repo, "SUP-1"),
            "wait": lambda: actions.wait(repo, "SUP-1", reason="w"),
            "resolve": lambda: actions.resolve(repo, "SUP-1", resolution="r"),
            "close": lambda: actions.close(repo, "SUP-1"),
        }[step]()
    before = head(repo.root)
    with pytest.raises(IllegalTransition) as info:
        action(repo)
    assert info.value.message == message
    assert info.value.exit_code == 6
    assert head(repo.root) == before


def test_escalate_lines(repo: Desk) -> None:
    ticket(repo)
    r = actions.escalate(repo, "SUP-1", reason="needs DB access")
    assert r.subject == "SUP-1: escalate L1 → L2 (needs DB access)"
    assert r.ticket.line == "L2"
    r = actions.escalate(repo, "SUP-1", reason="vendor", to="l4")
    assert r.ticket.line == "L4"
    assert trailers(repo.root)[2:4] == [("From-Line", "L2"), ("To-Line", "L4")]
    with pytest.raises(IllegalTransition, match="L4 is the last line"):
        actions.escalate(repo, "SUP-1", reason="more")
    with pytest.raises(IllegalTransition, match="from L4 to L4"):
        actions.escalate(repo, "SUP-1", reason="more", to="L4")
    with pytest.raises(UsageError, match="escalate needs --reason"):
        actions.escalate(repo, "SUP-1", reason=" ")


def test_escalate_line_not_in_config(repo: Desk) -> None:
    ticket(repo)
    path = repo.root / T1
    path.write_text(
        path.read_text(encoding="utf-8").replace("line: L1", "line: L9"), encoding="utf-8"
    )
    git(repo.root, "commit", "-qam", "hand edit")
    # read as a malformed file, like every value outside its vocabulary
    with pytest.raises(
        DataError,
        match=r"^SUP-1: invalid line 'L9' \(expected one of L1, L2, L3, "
        r"L4\); run supportctl validate$",
    ):
        actions.escalate(repo, "SUP-1", reason="x")


def test_long_reason_is_shortened_in_subject_and_trailer_but_kept_in_file(
    repo: Desk,
) -> None:
    ticket(repo)
    reason = "word " * 100
    actions.escalate(repo, "SUP-1", reason=reason)
    subject = git(repo.root, "log", "-1", "--format=%s").strip()
    assert subject.startswith("SUP-1: escalate L1 → L2 (word word")
    assert subject.endswith("…)")
    value = dict(trailers(repo.root))["Reason"]
    assert len(value) <= TRAILER_TEXT
    assert value.endswith("…")
    assert load(repo.root)["comments"][0]["text"] == "Escalated L1 → L2: " + reason.strip()


def test_resolve_with_kb_article(repo: Desk) -> None:
    ticket(repo)
    kb = repo.root / "data/kb/checkout-500.md"
    kb.write_text("---\ntitle: Checkout 500\n---\nClear the cache.\n", encoding="utf-8")
    git(repo.root, "add", str(kb))
    git(repo.root, "commit", "-qm", "kb")
    r = actions.resolve(repo, "SUP-1", resolution="Cleared the cache", kb="Checkout-500")
    assert r.subject == "SUP-1: resolve with KB checkout-500"
    assert ("Kb", "checkout-500") in trailers(repo.root)
    data = load(repo.root)
    assert (data["kb"], data["resolution"]) == ("checkout-500", "Cleared the cache")
    keys = top_keys(repo.root)
    assert keys.index("kb") < keys.index("resolution")
    with pytest.raises(UsageError, match="bad KB slug"):
        actions.resolve(repo, "SUP-1", resolution="x", kb="../etc/passwd")


# -- comments, worklogs -------------------------------------------------------------------
def test_first_comment_only_adds_lines(repo: Desk) -> None:
    ticket(repo)
    actions.comment(repo, "SUP-1", "hello")
    diff = git(repo.root, "diff", "HEAD~1", "HEAD", "--", T1)
    changed = [
        ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert changed == [
        "+comments:",
        "+  - at: '2026-10-05T10:00:00+03:00'",
        "+    author: anna",
        "+    visibility: public",
        "+    text: hello",
    ]


def test_comment_author_is_agent_handle_or_git_name(
    repo: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket(repo)
    actions.comment(repo, "SUP-1", "from anna")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Vera Outsider")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "vera@elsewhere.example")
    actions.comment(repo, "SUP-1", "from vera", internal=True)
    assert [(c["author"], c["visibility"]) for c in load(repo.root)["comments"]] == [
        ("anna", "public"),
        ("Vera Outsider", "internal"),
    ]


def test_multiline_comment_is_a_literal_block(repo: Desk) -> None:
    ticket(repo)
    actions.comment(repo, "SUP-1", "Здравствуйте!\n\nПроблема решена.")
    text = (repo.root / T1).read_text(encoding="utf-8")
    assert "    text: |\n      Здравствуйте!\n\n      Проблема решена.\n" in text


def test_log_time_files_per_agent_and_month(repo: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    ticket(repo)
    actions.log_time(repo, "SUP-1", minutes=30, note="first look")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Boris Petrenko")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "Boris@Support.Example")
    r = actions.log_time(repo, "SUP-1", minutes=60, on=date(2026, 11, 2))
    assert r.subject == "SUP-1: log 1h"
    anna = "data/worklogs/2026-10/anna_at_support.example.yaml"
    boris = "data/worklogs/2026-11/boris_at_support.example.yaml"
    assert git(repo.root, "show", "--name-only", "--format=", "HEAD").split() == [boris]
    assert load(repo.root, anna) == [
        {
            "ticket": "SUP-1",
            "minutes": 30,
            "on": "2026-10-05",
            "note": "first look",
            "author": "anna",
            "at": FIXED_DATE,
        }
    ]
    assert load(repo.root, boris)[0]["author"] == "boris"
    logs = repo.worklogs()
    assert [(w.ticket, w.minutes, w.author, w.path) for w in logs] == [
        ("SUP-1", 30, "anna", anna),
        ("SUP-1", 60, "boris", boris),
    ]


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "time must be positive, got 0 minutes"),
        (-1, "time must be positive, got -1 minutes"),
        (24 * 60 + 1, "1441 minutes is more than a day; log each day separately"),
    ],
)
def test_log_time_refusals(repo: Desk, minutes: int, message: str) -> None:
    ticket(repo)
    before = head(repo.root)
    with pytest.raises(UsageError) as info:
        actions.log_time(repo, "SUP-1", minutes=minutes)
    assert info.value.message == message
    assert head(repo.root) == before


def test_log_time_whole_day_is_allowed(repo: Desk) -> None:
    ticket(repo)
    actions.log_time(repo, "SUP-1", minutes=24 * 60)
    assert ("Minutes", "1440") in trailers(repo.root)


def test_log_time_refuses_a_broken_worklog_file(repo: Desk) -> None:
    ticket(repo)
    path = repo.root / "data/worklogs/2026-10/anna_at_support.example.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("- ticket: SUP-1\n  minutes: [30\n", encoding="utf-8")
    git(repo.root, "add", str(path))
    git(repo.root, "commit", "-qm", "broken worklog")
    before = head(repo.root)
    with pytest.raises(
        DataError, match=r"^data/worklogs/2026-10/anna_at_support.example.yaml:\d+: "
    ):
        actions.log_time(repo, "SUP-1", minutes=5)
    assert head(repo.root) == before


def test_log_time_refuses_a_worklog_file_that_is_no_list(repo: Desk) -> None:
    ticket(repo)
    path = repo.root / "data/worklogs/2026-10/anna_at_support.example.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("a: 1\n", encoding="utf-8")
    git(repo.root, "add", str(path))
    git(repo.root, "commit", "-qm", "a mapping by hand")
    before = head(repo.root)
    with pytest.raises(DataError) as caught:
        actions.log_time(repo, "SUP-1", minutes=5)
    assert caught.value.exit_code == 7
    assert str(caught.value) == (
        "data/worklogs/2026-10/anna_at_support.example.yaml:1: expected a list of worklog entries"
    )
    assert head(repo.root) == before


# -- attributes ---------------------------------------------------------------------------
def test_assign_inserts_missing_key_in_documented_place(repo: Desk) -> None:
    ticket(repo)
    path = repo.root / T1
    text = path.read_text(encoding="utf-8").replace("assignee:\n", "")
    path.write_text(text, encoding="utf-8")
    git(repo.root, "commit", "-qam", "drop assignee by hand")
    actions.assign(repo, "SUP-1", "boris")
    keys = top_keys(repo.root)
    assert keys.index("line") < keys.index("assignee") < keys.index("tags")
    with pytest.raises(IllegalTransition, match="already assigned to boris"):
        actions.assign(repo, "SUP-1", "boris")
    actions.assign(repo, "SUP-1", None)
    assert load(repo.root)["assignee"] is None
    with pytest.raises(IllegalTransition, match="already assigned to nobody"):
        actions.assign(repo, "SUP-1", None)


def test_link_and_tag_refusals(repo: Desk) -> None:
    ticket(repo)
    ticket(repo, "Second")
    with pytest.raises(UsageError, match="unknown link kind 'child'"):
        actions.link(repo, "SUP-1", kind="child", other="SUP-2")
    with pytest.raises(UsageError, match="cannot link SUP-1 to itself"):
        actions.link(repo, "SUP-1", kind="related", other="1")
    with pytest.raises(NotFound, match="unknown ticket SUP-3"):
        actions.link(repo, "SUP-1", kind="parent", other="SUP-3")
    actions.link(repo, "SUP-1", kind="duplicate_of", other="SUP-2")
    with pytest.raises(IllegalTransition, match="SUP-1 is already duplicate of SUP-2"):
        actions.link(repo, "SUP-1", kind="duplicate_of", other="SUP-2")
    with pytest.raises(UsageError, match="give tags to add, or --remove TAG"):
        actions.tag(repo, "SUP-1")
    with pytest.raises(IllegalTransition, match="tags unchanged"):
        actions.tag(repo, "SUP-1", remove=["absent"])


def test_edit_refusals(repo: Desk) -> None:
    ticket(repo)
    with pytest.raises(UsageError, match="cannot edit 'status'"):
        actions.edit(repo, "SUP-1", {"status": "closed"})
    with pytest.raises(UsageError, match="nothing to edit"):
        actions.edit(repo, "SUP-1", {})
    with pytest.raises(IllegalTransition, match="SUP-1: nothing changed"):
        actions.edit(repo, "SUP-1", {"title": "  Checkout   fails "})
    with pytest.raises(UsageError, match="title must be one line"):
        actions.edit(repo, "SUP-1", {"title": "Checkout\nfails hard"})
    r = actions.edit(repo, "SUP-1", {"title": "Checkout\tfails  hard"})
    assert r.ticket.title == "Checkout fails hard"


# -- the file and the commit ----------------------------------------------------------------
def test_hand_comments_and_unknown_keys_survive_many_actions(repo: Desk) -> None:
    ticket(repo, tags=["a"])
    ticket(repo, "Other")
    path = repo.root / T1
    text = path.read_text(encoding="utf-8")
    text = text.replace("status: new\n", "status: new   # checked by Vera\n")
    text = "# contract ДС-42\n" + text + "x-contract: ДС-42  # keep me\n"
    path.write_text(text, encoding="utf-8")
    git(repo.root, "commit", "-qam", "hand edits")
    actions.assign(repo, "SUP-1", "anna")
    actions.tag(repo, "SUP-1", add=["b"])
    actions.link(repo, "SUP-1", kind="related", other="SUP-2")
    actions.comment(repo, "SUP-1", "hi")
    actions.escalate(repo, "SUP-1", reason="x")
    actions.edit(repo, "SUP-1", {"priority": "low"})
    final = path.read_text(encoding="utf-8")
    assert final.startswith("# contract ДС-42\n")
    assert "status: new   # checked by Vera\n" in final
    assert "x-contract: ДС-42  # keep me\n" in final
    data = load(repo.root)
    assert (data["assignee"], data["tags"], data["links"]["related"], data["priority"]) == (
        "anna",
        ["a", "b"],
        ["SUP-2"],
        "low",
    )


def test_unknown_ticket_and_broken_ticket(repo: Desk) -> None:
    with pytest.raises(NotFound, match="unknown ticket SUP-7"):
        actions.start(repo, "7")
    ticket(repo)
    (repo.root / T1).write_text("- just\n- a list\n", encoding="utf-8")
    git(repo.root, "commit", "-qam", "break")
    with pytest.raises(DataError, match=r"^data/tickets/0000/SUP-1.yaml:1: expected a mapping"):
        actions.start(repo, "SUP-1")
