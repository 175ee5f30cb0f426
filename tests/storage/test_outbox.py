"""What sending keeps beside the commit: the journal, the lock, the counted records."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from supportctl.domain.errors import GitError
from supportctl.storage import outbox
from supportctl.storage.cache import file_name
from supportctl.storage.desk import open_repo
from tests.helpers import commit_file, commit_files, git

if TYPE_CHECKING:
    from pathlib import Path

SENT = datetime.fromisoformat("2026-10-05T07:00:00+00:00").timestamp()
QUEUED = datetime.fromisoformat("2026-10-05T08:00:00+00:00").timestamp()


def record(
    to: str, *, auto: bool = True, direction: str = "out", sent: str = "2026-10-05T07:00:00+00:00"
) -> str:
    return (
        f"message_id: <x@desk.example>\ndirection: {direction}\nticket: SUP-1\nkind: ack\n"
        f"auto: {'true' if auto else 'false'}\noutcome: sent\nsent: '{sent}'\nto: [{to}]\n"
    )


def test_outgoing_rows_follow_the_history(support_repo: Path) -> None:
    commit_files(
        support_repo,
        {
            "data/mail/ab/ab01.yaml": record("ivan@acme.example"),
            "data/mail/cd/cd01.yaml": record("olga@acme.example", auto=False),
            "data/mail/ef/ef01.yaml": record("petr@acme.example", direction="in"),
            "data/mail/ab/ab01/notes.yaml": record("attachment@acme.example"),
            "data/mail/quarantine/9901.yaml": record("quarantined@acme.example"),
            "data/mail/outbox/7701.yaml": (
                "message_id: <q@desk.example>\nticket: SUP-2\nkind: ack\nauto: true\n"
                "queued: '2026-10-05T08:00:00+00:00'\nto: [ivan@acme.example]\ncc: []\n"
            ),
        },
    )
    desk = open_repo(str(support_repo))
    rows = sorted(outbox.outgoing(desk, desk.git.head()))
    assert rows == [
        (False, "sent", SENT, ("olga@acme.example",)),
        (True, "queued", QUEUED, ("ivan@acme.example",)),
        (True, "sent", SENT, ("ivan@acme.example",)),
    ]
    assert (support_repo / ".git/supportctl/cache" / file_name("mail-records")).is_file()
    git(support_repo, "rm", "-q", "data/mail/ab/ab01.yaml")
    git(support_repo, "commit", "-qm", "drop one")
    commit_file(support_repo, "data/mail/12/1201.yaml", record("new@acme.example"))
    desk = open_repo(str(support_repo))
    rows = sorted(outbox.outgoing(desk, desk.git.head()))
    assert [r[3] for r in rows] == [
        ("olga@acme.example",),
        ("ivan@acme.example",),
        ("new@acme.example",),
    ]
    # history rewritten under the cache: the commit it names is gone, it is rebuilt
    git(support_repo, "reset", "-q", "--hard", "HEAD~2")
    git(support_repo, "reflog", "expire", "--expire=now", "--all")
    git(support_repo, "gc", "-q", "--prune=now")
    commit_file(support_repo, "data/mail/34/3401.yaml", record("other@acme.example"))
    desk = open_repo(str(support_repo))
    rows = sorted(outbox.outgoing(desk, desk.git.head()))
    assert ("other@acme.example",) in [r[3] for r in rows]
    assert ("new@acme.example",) not in [r[3] for r in rows]
    assert len(rows) == 4


def test_the_journal_keeps_the_last_mark_until_done(support_repo: Path) -> None:
    git_repo = open_repo(str(support_repo)).git
    journal = outbox.SendJournal(git_repo)
    assert journal.states() == {}
    journal.mark("aa", "sending", "<a@x>")
    journal.mark("bb", "sending", "<b@x>")
    journal.mark("aa", "accepted", "<a@x>")
    path = support_repo / ".git/supportctl" / outbox.JOURNAL
    with path.open("ab") as fh:
        fh.write(b"accep")  # a line cut short by a kill: the step never ran
    assert journal.states() == {"aa": ("accepted", "<a@x>"), "bb": ("sending", "<b@x>")}
    journal.finish([("aa", "<a@x>")])
    assert journal.states() == {"bb": ("sending", "<b@x>")}
    journal.finish([("bb", "<b@x>")])
    assert not path.exists()


def test_a_named_journal_is_its_own_and_keeps_notes_until_done(support_repo: Path) -> None:
    git_repo = open_repo(str(support_repo)).git
    mail = outbox.SendJournal(git_repo)
    reports = outbox.SendJournal(git_repo, "report-send.log")
    mail.mark("aa", "sending", "<a@x>")
    reports.note("rr", b"to: [ivan@acme.example]\n")
    reports.mark("rr", "accepted", "<r@x>")
    assert mail.states() == {"aa": ("sending", "<a@x>")}
    assert reports.states() == {"rr": ("accepted", "<r@x>")}
    assert reports.noted("rr") == b"to: [ivan@acme.example]\n"
    assert reports.noted("zz") is None
    # mail send clearing its own marks leaves the other journal alone
    mail.finish([("aa", "<a@x>")])
    assert reports.states() == {"rr": ("accepted", "<r@x>")}
    reports.finish([("rr", "<r@x>")])
    assert reports.noted("rr") is None
    assert sorted(p.name for p in (support_repo / ".git/supportctl").glob("*-send.log*")) == []


def test_each_kind_of_sending_has_its_own_lock(support_repo: Path) -> None:
    git_repo = open_repo(str(support_repo)).git
    with outbox.send_lock(git_repo), outbox.send_lock(git_repo, "report-send.lock", "report send"):
        with (
            pytest.raises(GitError) as err,
            outbox.send_lock(git_repo, "report-send.lock", "report send"),
        ):
            pass
        assert err.value.message == "another `supportctl report send` is running in this clone"


def test_one_send_at_a_time(support_repo: Path) -> None:
    git_repo = open_repo(str(support_repo)).git
    with outbox.send_lock(git_repo), pytest.raises(GitError), outbox.send_lock(git_repo):
        pass
    with outbox.send_lock(git_repo):
        pass  # released
