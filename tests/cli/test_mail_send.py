"""`supportctl mail send`: exit codes, output, JSON, and the SMTP set-up from the config."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.helpers import commit_file, head, ok
from tests.mailservers import mail_config, mail_ticket, queued

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli
    from tests.mailservers import SmtpServer


def test_send_json(cli: Cli, support_repo: Path, smtp_server: SmtpServer) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port))
    tid = mail_ticket(support_repo)
    ok(cli("comment", tid, "Ответ клиенту."))
    result = ok(cli("mail", "send", "--json"))
    (row,) = json.loads(result.stdout)
    assert set(row) == {"message_id", "ticket", "kind", "to", "outcome", "detail", "commit"}
    assert row["ticket"] == tid
    assert row["kind"] == "reply"
    assert row["to"] == ["ivan@acme.example"]
    assert row["outcome"] == "sent"
    assert row["commit"] == head(support_repo)
    assert len(smtp_server.received) == 1
    assert json.loads(ok(cli("mail", "send", "--json")).stdout) == []


def test_send_text_and_dry_run(cli: Cli, support_repo: Path, smtp_server: SmtpServer) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port))
    tid = mail_ticket(support_repo)
    ok(cli("comment", tid, "Ответ."))
    dry = ok(cli("mail", "send", "--dry-run"))
    lines = dry.stdout.splitlines()
    assert lines[0].startswith(f"would-send {tid} <sup-1.")
    assert lines[0].endswith("@desk.example> → ivan@acme.example")
    assert lines[1] == "1 would-send (nothing was sent or written)"
    assert smtp_server.received == []
    sent = ok(cli("mail", "send"))
    assert sent.stdout.splitlines()[-1] == "1 sent"
    assert ok(cli("mail", "send")).stdout == "nothing queued\n"


def test_a_failure_exits_75_and_keeps_the_queue(
    cli: Cli, support_repo: Path, smtp_server: SmtpServer
) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port))
    tid = mail_ticket(support_repo)
    ok(cli("comment", tid, "Ответ."))
    smtp_server.stop()
    result = cli("mail", "send")
    assert result.exit_code == 75
    assert result.stdout.splitlines()[-1] == "1 failed"
    assert "cannot connect (connection refused) (still queued)" in result.stderr
    assert len(queued(support_repo)) == 2


def test_starttls_with_the_password_from_the_environment(
    cli: Cli, support_repo: Path, smtp_server_tls: SmtpServer
) -> None:
    box = smtp_server_tls
    config = mail_config(box.port).replace(
        f"{{host: 127.0.0.1, port: {box.port}, security: none}}",
        f"{{host: localhost, port: {box.port}, security: starttls, user: desk, password_env: DESK_SMTP}}",
    )
    commit_file(support_repo, "supportctl.yaml", config)
    tid = mail_ticket(support_repo)
    ok(cli("comment", tid, "Ответ."))
    unset = cli("mail", "send")
    assert unset.exit_code == 4
    assert unset.stderr == (
        "supportctl: error: mail.smtp.password_env: the environment variable DESK_SMTP is not "
        "set (it holds the SMTP password for desk@localhost)\n"
    )
    assert box.cert is not None
    env = {"DESK_SMTP": "s3cret", "SSL_CERT_FILE": str(box.cert)}
    ok(cli("mail", "send", env=env))
    assert box.logins == [("desk", "s3cret")]
    assert len(box.received) == 1


def test_send_needs_an_smtp_server(cli: Cli, support_repo: Path) -> None:
    tid = mail_ticket(support_repo)
    result = cli("mail", "send")
    assert result.exit_code == 4
    assert result.stderr == (
        "supportctl: error: mail send: supportctl.yaml has no mail.smtp server to send through\n"
    )
    assert tid == "SUP-1"


def test_a_permanent_refusal_exits_11_and_leaves_the_queue(
    cli: Cli, support_repo: Path, smtp_server: SmtpServer
) -> None:
    commit_file(support_repo, "supportctl.yaml", mail_config(smtp_server.port))
    tid = mail_ticket(support_repo)
    ok(cli("comment", tid, "Ответ."))
    smtp_server.refuse_rcpt["ivan@acme.example"] = "550 5.1.1 no such user"
    result = cli("mail", "send")
    assert result.exit_code == 11
    assert result.stdout.splitlines()[-1] == "1 failed"
    assert result.stderr.rstrip().endswith(
        "every recipient refused: ivan@acme.example (550 5.1.1 no such user) "
        "(refused for good: recorded, no longer queued)"
    )
    assert queued(support_repo) == []
    again = ok(cli("mail", "send"))
    assert again.stdout == "nothing queued\n"
