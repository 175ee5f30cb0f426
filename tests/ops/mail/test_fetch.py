"""ops/mail/fetch.py: a real dovecot's mailbox through the real intake into a real desk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain.errors import ConfigError, TemporaryFailure
from supportctl.ops.mail import imap
from supportctl.ops.mail.fetch import fetch
from supportctl.storage.desk import open_repo
from tests.helpers import git
from tests.mailservers import PASSWORD_ENV, commits, configure, free_port, mail

if TYPE_CHECKING:
    from pathlib import Path

    from tests.mailservers import ImapAccount


@pytest.fixture
def desk(support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> Path:
    configure(support_repo, imap_account)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return support_repo


def test_new_mail_becomes_tickets_and_moves_to_the_done_folder(
    desk: Path, imap_account: ImapAccount
) -> None:
    imap_account.append(mail(1), mail(2))
    imap_account.append(mail(3, sender="someone@stranger.example"), flags=["\\Seen"])
    before = commits(desk)
    result = fetch(open_repo(str(desk)))
    assert [(m.message_id, m.outcome, m.ticket, m.done) for m in result.mails] == [
        ("<m1@acme.example>", "new", "SUP-1", "moved"),
        ("<m2@acme.example>", "new", "SUP-2", "moved"),
        # read in a mail client already: with a done folder, every message there is waiting
        ("<m3@acme.example>", "quarantined", None, "moved"),
    ]
    assert (result.folder, result.done_folder) == ("INBOX", "Processed")
    assert commits(desk) == before + 3
    assert [m.commit for m in result.mails] == git(desk, "rev-list", "-3", "HEAD").split()[::-1]
    assert open_repo(str(desk)).ticket("SUP-2").ticket.title == "Printer 2 is on fire"
    assert imap_account.messages() == []
    assert [mid for mid, _ in imap_account.messages("Processed")] == [
        b"Message-ID: <m1@acme.example>",
        b"Message-ID: <m2@acme.example>",
        b"Message-ID: <m3@acme.example>",
    ]


def test_a_reply_lands_on_its_ticket(desk: Path, imap_account: ImapAccount) -> None:
    imap_account.append(mail(1))
    fetch(open_repo(str(desk)))
    imap_account.append(mail(2, reply_to=1))
    (reply,) = fetch(open_repo(str(desk))).mails
    assert (reply.outcome, reply.ticket) == ("entry", "SUP-1")


def test_nothing_waiting_makes_no_commit(desk: Path, imap_account: ImapAccount) -> None:
    before = commits(desk)
    assert fetch(open_repo(str(desk))).mails == ()
    assert commits(desk) == before
    assert imap_account.messages("Processed") == []


DONE = frozenset([b"\\Seen", imap.DONE_KEYWORD.encode()])


def test_without_a_done_folder_messages_are_flagged_seen_and_done(
    support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(support_repo, imap_account, done_folder=None)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append(mail(1))
    # someone opened it in webmail before the run: still the customer's mail to take in
    imap_account.append(mail(2), flags=["\\Seen"])
    first, second = fetch(open_repo(str(support_repo))).mails
    assert (first.message_id, first.outcome, first.done) == ("<m1@acme.example>", "new", "seen")
    assert (second.message_id, second.outcome, second.done) == (
        "<m2@acme.example>",
        "new",
        "seen",
    )
    assert imap_account.messages() == [
        (b"Message-ID: <m1@acme.example>", DONE),
        (b"Message-ID: <m2@acme.example>", DONE),
    ]
    before = commits(support_repo)
    assert fetch(open_repo(str(support_repo))).mails == ()
    imap_account.append(mail(3))
    assert [m.message_id for m in fetch(open_repo(str(support_repo))).mails] == [
        "<m3@acme.example>"
    ]
    assert commits(support_repo) == before + 1


class Crash(BaseException):
    """The process dying: nothing after it runs, not even `except Exception`."""


@pytest.mark.parametrize("done_folder", ["Processed", None])
def test_a_rerun_after_a_crash_between_commit_and_move_commits_nothing_twice(
    support_repo: Path,
    imap_account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    done_folder: str | None,
) -> None:
    configure(support_repo, imap_account, done_folder=done_folder)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append(mail(1), mail(2))
    before = commits(support_repo)

    def crash(*args: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(imap.Mailbox, "move" if done_folder else "mark_done", crash)
        with pytest.raises(Crash):
            fetch(open_repo(str(support_repo)))
    assert commits(support_repo) == before + 2
    # still waiting, and unseen: the fetch only peeked
    assert imap_account.messages() == [
        (b"Message-ID: <m1@acme.example>", frozenset()),
        (b"Message-ID: <m2@acme.example>", frozenset()),
    ]

    again = fetch(open_repo(str(support_repo)))
    assert [(m.outcome, m.ticket) for m in again.mails] == [
        ("duplicate", "SUP-1"),
        ("duplicate", "SUP-2"),
    ]
    assert commits(support_repo) == before + 2
    if done_folder:
        assert imap_account.messages() == []
        assert len(imap_account.messages(done_folder)) == 2
    else:
        assert {flags for _, flags in imap_account.messages()} == {DONE}


def test_a_folder_that_keeps_no_keywords_falls_back_to_seen(
    support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(support_repo, imap_account, done_folder=None)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append(mail(1))
    imap_account.append(mail(2), flags=["\\Seen"])
    opened = imap.open_mailbox

    def no_keywords(*args: Any, **kwargs: Any) -> imap.Mailbox:
        box = opened(*args, **kwargs)
        assert box.keeps_keywords  # dovecot keeps them: this stands in for one that does not
        box.keeps_keywords = False
        return box

    monkeypatch.setattr("supportctl.ops.mail.fetch.open_mailbox", no_keywords)
    (only,) = fetch(open_repo(str(support_repo))).mails
    assert only.message_id == "<m1@acme.example>"
    assert {flags for _, flags in imap_account.messages()} == {frozenset([b"\\Seen"])}


def test_starttls(
    support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(support_repo, imap_account, security="starttls")
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append(mail(1))
    assert [m.outcome for m in fetch(open_repo(str(support_repo))).mails] == ["new"]


def test_wrong_password_is_a_clear_error(
    desk: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap_account.append(mail(1))
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    before = commits(desk)
    with pytest.raises(ConfigError, match=rf"^IMAP login as {imap_account.user}@127\.0\.0\.1:"):
        fetch(open_repo(str(desk)))
    assert commits(desk) == before
    assert len(imap_account.messages()) == 1


def test_the_password_comes_only_from_the_environment(
    desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(ConfigError) as caught:
        fetch(open_repo(str(desk)))
    assert caught.value.message == (
        f"the environment variable {PASSWORD_ENV} (mail.imap.password_env) is not set: "
        "it must hold the IMAP password"
    )


def test_server_down_is_a_temporary_failure(
    support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    configure(support_repo, imap_account, port=port)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    with pytest.raises(TemporaryFailure) as caught:
        fetch(open_repo(str(support_repo)))
    assert caught.value.exit_code == 75
    assert caught.value.message.startswith(f"IMAP server 127.0.0.1:{port} unreachable")


def test_no_imap_section(support_repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"^mail\.imap is not configured in supportctl\.yaml"):
        fetch(open_repo(str(support_repo)))
