"""`supportctl mail fetch`: its output, its JSON and its exit codes, against a real dovecot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from supportctl.storage import transaction
from tests.helpers import desk_lock_held, ok
from tests.mailservers import PASSWORD_ENV, commits, configure, free_port, mail

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli
    from tests.mailservers import ImapAccount


@pytest.fixture
def desk(support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> Path:
    configure(support_repo, imap_account)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return support_repo


def test_one_line_per_message(desk: Path, imap_account: ImapAccount, cli: Cli) -> None:
    imap_account.append(mail(1), mail(2, sender="who@stranger.example"))
    r = ok(cli("mail", "fetch"))
    assert r.stdout.splitlines() == [
        "new         SUP-1     <m1@acme.example>, moved to Processed",
        r.stdout.splitlines()[1],
    ]
    assert r.stdout.splitlines()[1].startswith("quarantined -         <m2@acme.example> (")
    assert r.stdout.splitlines()[1].endswith("), moved to Processed")
    assert r.stderr == ""


def test_nothing_waiting_prints_nothing(desk: Path, cli: Cli) -> None:
    # cron mails whatever a job prints: a quiet minute must stay quiet
    r = ok(cli("mail", "fetch"))
    assert (r.stdout, r.stderr) == ("", "")


def test_json(desk: Path, imap_account: ImapAccount, cli: Cli) -> None:
    imap_account.append(mail(1))
    (item,) = json.loads(ok(cli("mail", "fetch", "--json")).stdout)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=desk, capture_output=True, text=True, check=False
    ).stdout.strip()
    assert item == {
        "uid": 1,
        "message_id": "<m1@acme.example>",
        "outcome": "new",
        "ticket": "SUP-1",
        "commit": head,
        "reason": None,
        "done": "moved",
        "folder": "Processed",
    }
    assert json.loads(ok(cli("mail", "fetch", "--json")).stdout) == []


def test_server_down_exits_75(
    support_repo: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    port = free_port()
    configure(support_repo, imap_account, port=port)
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    r = cli("mail", "fetch")
    assert r.exit_code == 75
    assert r.stderr.startswith(f"supportctl: error: IMAP server 127.0.0.1:{port} unreachable")
    assert r.stdout == ""


def test_wrong_password_exits_4(
    desk: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    r = cli("mail", "fetch")
    assert (r.exit_code, r.stderr) == (
        4,
        f"supportctl: error: IMAP login as {imap_account.user}@127.0.0.1:{imap_account.port} "
        "refused: [AUTHENTICATIONFAILED] Authentication failed. (check mail.imap.user and the "
        "password in the environment variable named by mail.imap.password_env)\n",
    )


def test_unset_password_exits_4(desk: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    r = cli("mail", "fetch")
    assert (r.exit_code, r.stderr) == (
        4,
        f"supportctl: error: the environment variable {PASSWORD_ENV} (mail.imap.password_env) "
        "is not set: it must hold the IMAP password\n",
    )


def test_desk_busy_exits_75_and_leaves_the_message_for_the_next_run(
    desk: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    imap_account.append(mail(1))
    before = commits(desk)
    with desk_lock_held(desk):
        monkeypatch.setattr(transaction, "LOCK_TIMEOUT", 0.3)
        r = cli("mail", "fetch")
        assert (r.exit_code, r.stdout) == (75, "")
        assert r.stderr == (
            "supportctl: error: another supportctl command holds the lock; try again "
            "(the message was not taken in)\n"
        )
    assert commits(desk) == before
    assert imap_account.messages() == [(b"Message-ID: <m1@acme.example>", frozenset())]
    r = ok(cli("mail", "fetch"))
    assert r.stdout == "new         SUP-1     <m1@acme.example>, moved to Processed\n"


@pytest.mark.slow
def test_cron_run_of_the_console_script(desk: Path, imap_account: ImapAccount) -> None:
    # as cron runs it: a fresh process, the repo named on the command line, nothing on stdin
    imap_account.append(mail(1))
    before = commits(desk)
    exe = os.path.join(os.path.dirname(sys.executable), "supportctl")
    run = subprocess.run(
        [exe, "--repo", str(desk), "mail", "fetch"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd="/",
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == "new         SUP-1     <m1@acme.example>, moved to Processed\n"
    assert commits(desk) == before + 1


def test_a_held_git_lock_exits_75_and_leaves_the_message_waiting(
    desk: Path, imap_account: ImapAccount, cli: Cli
) -> None:
    imap_account.append(mail(1))
    before = commits(desk)
    lock = desk / ".git" / "index.lock"
    lock.write_bytes(b"")
    r = cli("mail", "fetch")
    assert r.exit_code == 75
    assert r.stderr.startswith("supportctl: error: ")
    assert r.stderr.rstrip().endswith("(the message was not taken in)")
    assert commits(desk) == before
    [(_, flags)] = imap_account.messages()
    assert b"\\Seen" not in flags
    lock.unlink()
    assert ok(cli("mail", "fetch")).stdout.startswith("new         SUP-1 ")
