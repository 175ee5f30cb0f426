"""`supportctl mail ingest` and `mail quarantine`: sources, output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from supportctl.storage import transaction as transaction_module
from tests.helpers import commit_file, desk_lock_held, git, head
from tests.mailtexts import MAIL_CONFIG, message, use_mail_config

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli

FIRST = message()
SECOND = message(
    subject="Re: VPN does not connect",
    body="Still broken.\n",
    message_id="<m2@acme.example>",
    in_reply_to="<m1@acme.example>",
)
STRANGER = message("who@nowhere.example", "Hi", message_id="<q1@nowhere.example>")


@pytest.fixture
def root(support_repo: Path) -> Path:
    use_mail_config(support_repo)
    return support_repo


def mbox(*raws: bytes) -> bytes:
    out = b""
    for raw in raws:
        out += b"From MAILER-DAEMON Mon Oct  5 10:00:00 2026\n" + raw.replace(b"\r\n", b"\n")
        out += b"\n"
    return out


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_one_message_file(root: Path, cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "m1.eml").write_bytes(FIRST)
    r = cli("mail", "ingest", str(tmp_path / "m1.eml"))
    assert r.exit_code == 0, r.output
    assert r.stdout == "new         SUP-1     <m1@acme.example>\n"
    r = cli("mail", "ingest", str(tmp_path / "m1.eml"))
    assert (r.exit_code, r.stdout) == (0, "duplicate   SUP-1     <m1@acme.example> (seen before)\n")


def test_stdin_and_the_json_shape(root: Path, cli: Cli) -> None:
    r = cli("mail", "ingest", "-", "--json", input=FIRST)
    assert r.exit_code == 0, r.output
    assert lines(r.stdout) == [
        {
            "message_id": "<m1@acme.example>",
            "outcome": "new",
            "ticket": "SUP-1",
            "commit": head(root),
            "reason": None,
        }
    ]
    r = cli("mail", "ingest", "-", "--json", input=STRANGER)
    [got] = lines(r.stdout)
    assert (r.exit_code, got["outcome"], got["ticket"], got["commit"]) == (
        0,  # deliberately quarantined is taken in: an MTA must not send it back
        "quarantined",
        None,
        head(root),
    )
    assert got["reason"] == "unknown sender who@nowhere.example (no customer claims it)"


def test_an_mbox(root: Path, cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "box").write_bytes(mbox(FIRST, SECOND, STRANGER, FIRST))
    r = cli("mail", "ingest", str(tmp_path / "box"), "--json")
    assert r.exit_code == 0, r.output
    assert [(x["outcome"], x["ticket"]) for x in lines(r.stdout)] == [
        ("new", "SUP-1"),
        ("entry", "SUP-1"),
        ("quarantined", None),
        ("duplicate", "SUP-1"),
    ]
    assert git(root, "rev-list", "--count", "HEAD").strip() == "6"


def test_a_maildir(root: Path, cli: Cli, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1000.a:2,S").write_bytes(FIRST)
    (maildir / "new" / "1001.b").write_bytes(SECOND)
    (maildir / "new" / ".1002.writing").write_bytes(STRANGER)
    (maildir / "tmp" / "1003.c").write_bytes(STRANGER)
    r = cli("mail", "ingest", str(maildir), "--json")
    assert r.exit_code == 0, r.output
    # in delivery order (the names), new/ and cur/ alike; files being written (dot names,
    # tmp/) are left alone
    assert [(x["message_id"], x["outcome"], x["ticket"]) for x in lines(r.stdout)] == [
        ("<m1@acme.example>", "new", "SUP-1"),
        ("<m2@acme.example>", "entry", "SUP-1"),
    ]


def test_bad_sources(root: Path, cli: Cli, tmp_path: Path) -> None:
    r = cli("mail", "ingest", str(tmp_path / "missing.eml"))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"supportctl: error: {tmp_path / 'missing.eml'}: cannot read it")
    (tmp_path / "folder").mkdir()
    r = cli("mail", "ingest", str(tmp_path / "folder"))
    assert r.exit_code == 2
    assert "is a folder but no Maildir" in r.stderr
    r = cli("mail", "ingest", "-", str(tmp_path / "x"))
    assert (r.exit_code, r.stderr) == (2, "supportctl: error: - (a message on stdin) goes alone\n")


def test_exit_75_when_the_lock_stays_held(
    root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desk_lock_held(root):
        monkeypatch.setattr(transaction_module, "LOCK_TIMEOUT", 0.3)
        sha = head(root)
        r = cli("mail", "ingest", "-", input=FIRST)
        assert r.exit_code == 75
        assert r.stdout == ""
        assert r.stderr == (
            "supportctl: error: another supportctl command holds the lock; try again "
            "(the message was not taken in)\n"
        )
        assert head(root) == sha
        assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("broken", ["a configuration mistake", "no desk"])
def test_exit_75_while_the_desk_needs_fixing(root: Path, tmp_path: Path, broken: str) -> None:
    """The MTA keeps the message queued (75) instead of bouncing it to the customer."""
    if broken == "no desk":
        where = tmp_path / "nowhere"
        where.mkdir()
    else:
        where = root
        text = (root / "supportctl.yaml").read_text(encoding="utf-8")
        commit_file(
            root, "supportctl.yaml", text.replace("  acme:\n", "  acme:\n    colour: red\n", 1)
        )
    sha = head(root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "supportctl", "--repo", str(where), "mail", "ingest", "-"],
        input=FIRST,
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 75, done.stderr
    assert done.stderr.decode().endswith("; no mail was taken in\n")
    assert head(root) == sha


def test_an_mta_pipe_runs_the_installed_command(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "supportctl", "--repo", str(root), "mail", "ingest", "-"],
        input=FIRST,
        capture_output=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"new         SUP-1     <m1@acme.example>\n")


def test_quarantine_list_accept_drop(root: Path, cli: Cli) -> None:
    assert cli("mail", "quarantine", "list").stdout == "the quarantine is empty\n"
    cli("mail", "ingest", "-", input=FIRST)
    cli("mail", "ingest", "-", input=STRANGER)
    other = message("x@nowhere.example", "Spam?", message_id="<q2@nowhere.example>")
    cli("mail", "ingest", "-", input=other)
    r = cli("mail", "quarantine", "list", "--json")
    held = {x["message_id"]: x for x in json.loads(r.stdout)}
    assert set(held) == {"<q1@nowhere.example>", "<q2@nowhere.example>"}
    first = held["<q1@nowhere.example>"]
    assert (first["from"], first["subject"], first["reason"]) == (
        "who@nowhere.example",
        "Hi",
        "unknown sender who@nowhere.example (no customer claims it)",
    )
    text = cli("mail", "quarantine", "list").stdout
    assert f"{str(first['id'])[:12]}  2026-10-05T10:00:00+03:00  who@nowhere.example  Hi\n" in text
    r = cli("mail", "quarantine", "accept", str(first["id"])[:8], "--ticket", "SUP-1", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert (got["outcome"], got["ticket"], got["commit"]) == ("entry", "SUP-1", head(root))
    r = cli("mail", "quarantine", "accept", str(held["<q2@nowhere.example>"]["id"]), "--new")
    assert r.exit_code == 2
    assert r.stderr == "supportctl: error: no customer claims x@nowhere.example: give --customer\n"
    r = cli("mail", "quarantine", "drop", str(held["<q2@nowhere.example>"]["id"]))
    assert (r.exit_code, r.stdout) == (0, f"dropped ({head(root)[:7]})\n")
    assert cli("mail", "quarantine", "list").stdout == "the quarantine is empty\n"
    r = cli("mail", "quarantine", "drop", "abcdef")
    assert r.exit_code == 5
    r = cli("mail", "quarantine", "accept", "abcdef")
    assert (r.exit_code, r.stderr) == (
        2,
        "supportctl: error: accept needs --ticket ID or --new (one of the two)\n",
    )


def test_a_broken_ack_template_warns_and_takes_the_mail_in(support_repo: Path, cli: Cli) -> None:
    use_mail_config(support_repo, MAIL_CONFIG + "  acknowledge: true\n")
    commit_file(support_repo, "templates/mail/ack.en.txt.j2", "Hello {{ customer_name \n")
    r = cli("mail", "ingest", "-", input=FIRST)
    assert r.exit_code == 0, r.output
    assert r.stdout == "new         SUP-1     <m1@acme.example>\n"
    assert r.stderr.startswith("supportctl: SUP-1: no acknowledgement queued (")
    assert "ack.en.txt.j2" in r.stderr


def test_exit_75_on_an_internal_error(
    root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportctl.ops.mail import intake

    def broken(self: object) -> object:
        raise RuntimeError("a bug in the intake")

    monkeypatch.setattr(intake._Intake, "place", broken)
    sha = head(root)
    r = cli("mail", "ingest", "-", input=FIRST)
    assert r.exit_code == 75
    assert r.stdout == ""
    assert r.stderr.startswith(
        "supportctl: error: internal error: RuntimeError: a bug in the intake"
    )
    assert head(root) == sha


def test_exit_75_on_any_error_that_leaves_the_message_out(
    root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportctl.domain.errors import ConfigError
    from supportctl.ops.mail import intake

    def broken(self: object) -> object:
        raise ConfigError("supportctl.yaml: something the intake needs is wrong")

    monkeypatch.setattr(intake._Intake, "place", broken)
    r = cli("mail", "ingest", "-", input=FIRST)
    assert r.exit_code == 75
    assert r.stderr == (
        "supportctl: error: supportctl.yaml: something the intake needs is wrong; "
        "the message was not taken in\n"
    )
