"""`supportctl report send` against a real SMTP server on loopback (aiosmtpd): what a
customer receives, one commit per run, never twice (also after a crash between the SMTP
transaction and the commit), the dry run, one customer, a customer without contacts and
the mail exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from supportctl.domain import yamlio
from tests.helpers import CONFIG, commit_file, git, head, ok, run_at
from tests.mailservers import mail_config

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Cli
    from tests.mailservers import SmtpServer

NOW = "2026-11-03T10:00:00+03:00"
REPORT_CONTACTS = (
    "    credits: {per_breach: 2%, cap: 15%}\n"
    "    language: ru\n"
    "    contacts:\n"
    "      - {email: ivan@acme.example, name: Иван Петров, reports: true}\n"
    "      - {email: olga@acme.example, name: Ольга Сидорова}\n"
    "      - {email: cfo@acme.example, reports: true}\n"
)
SUBJECT = "Отчёт о поддержке за октябрь 2026: ACME LLC"


@pytest.fixture
def reporting_desk(support_repo: Path, cli: Cli, smtp_server: SmtpServer) -> Path:
    """acme (Russian) has two report contacts and a ticket in October; globex none."""
    config = mail_config(smtp_server.port)
    config = config.replace(
        CONFIG.split("  globex:")[0].rsplit("    credits:", 1)[1].join(["    credits:", ""]),
        "",
    )
    assert "domains: [acme.example]" in config
    config = config.replace("    domains: [acme.example]\n", "", 1)
    config = config.replace(
        "    contacts:\n"
        "      - {email: ivan@acme.example, name: Иван Петров}\n"
        "      - {email: olga@acme.example, name: Ольга Сидорова}\n",
        REPORT_CONTACTS.split("    credits: {per_breach: 2%, cap: 15%}\n")[1],
        1,
    )
    assert "reports: true" in config
    commit_file(support_repo, "supportctl.yaml", config)
    run_at(
        cli,
        "2026-10-05T10:00:00+03:00",
        "new",
        "Касса не печатает чек",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
    )
    run_at(cli, "2026-10-05T10:20:00+03:00", "comment", "SUP-1", "Смотрим")
    return support_repo


def _commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def _send(cli: Cli, *args: str):  # type: ignore[no-untyped-def]
    return cli("report", "send", "--month", "2026-10", "--now", NOW, *args)


def test_a_customer_receives_the_pdf_the_html_and_the_text_in_their_language(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    before = head(reporting_desk)
    commits = _commits(reporting_desk)
    result = ok(_send(cli))
    assert _commits(reporting_desk) == commits + 1
    (got,) = smtp_server.received
    assert got.mail_from == "support@desk.example"
    assert sorted(got.rcpt_tos) == ["cfo@acme.example", "ivan@acme.example"]
    msg = got.message()
    assert msg["Subject"] == SUBJECT
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().startswith("Здравствуйте!\n\nОтчёт о поддержке за октябрь 2026")
    assert "Касса не печатает чек" in plain.get_content()
    assert html.get_content_type() == "text/html"
    assert html.get_content().startswith("<!DOCTYPE html>")
    assert "Касса не печатает чек" in html.get_content()
    assert "globex" not in html.get_content().lower()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "support-report-2026-10-acme.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-")
    # the attachment opens and holds the customer's text
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:
        (tmp_path / "got.pdf").write_bytes(pdf)
        text = subprocess.run(
            [pdftotext, str(tmp_path / "got.pdf"), "-"], capture_output=True, text=True, check=False
        ).stdout
        # the title wraps in its table cell, so its words are read apart
        words = text.split()
        assert all(word in words for word in ("Касса", "печатает", "чек", "SUP-1", "ACME"))
    # the record, in the run's one commit
    record = yamlio.load_plain((reporting_desk / "data/reports/2026-10/acme.yaml").read_bytes())
    assert record["to"] == ["ivan@acme.example", "cfo@acme.example"]
    assert record["message_id"] == msg["Message-ID"]
    assert record["report_commit"] == before
    assert record["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert record["subject"] == SUBJECT
    assert record["language"] == "ru"
    assert record["outcome"] == "sent"
    assert record["sent"] == "2026-11-03T07:00:00+00:00"
    assert git(reporting_desk, "show", "--name-only", "--format=%s", "HEAD").split() == [
        "report",
        "2026-10",
        "sent",
        "to",
        "acme",
        "data/reports/2026-10/acme.yaml",
    ]
    assert result.stdout.splitlines() == [
        f"sent 2026-10 acme → ivan@acme.example, cfo@acme.example {msg['Message-ID']}",
        "skipped 2026-10 globex: no contact has `reports: true`",
    ]


def test_the_same_report_is_never_sent_twice(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer
) -> None:
    ok(_send(cli))
    commits = _commits(reporting_desk)
    again = ok(_send(cli, "--customer", "acme"))
    assert len(smtp_server.received) == 1
    assert _commits(reporting_desk) == commits
    message_id = smtp_server.received[0].message()["Message-ID"]
    assert again.stdout == (
        f"already-sent 2026-10 acme → ivan@acme.example, cfo@acme.example {message_id}: "
        "recorded in data/reports/2026-10/acme.yaml\n"
    )


def test_a_crash_between_smtp_and_the_commit_sends_nothing_again(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportctl.ops import report_send

    def killed(*args: object) -> str:
        raise KeyboardInterrupt  # the process dies after the server took the message

    commits = _commits(reporting_desk)
    with monkeypatch.context() as patch:
        patch.setattr(report_send, "_commit", killed)
        assert _send(cli).exit_code == 130
    assert len(smtp_server.received) == 1
    assert _commits(reporting_desk) == commits
    result = ok(_send(cli, "--json"))
    assert len(smtp_server.received) == 1
    assert _commits(reporting_desk) == commits + 1
    rows = {row["customer"]: row for row in json.loads(result.stdout)}
    assert rows["acme"]["outcome"] == "sent"
    assert rows["acme"]["detail"] == (
        "taken by the server in a run that stopped before its commit; not sent again"
    )
    record = yamlio.load_plain((reporting_desk / "data/reports/2026-10/acme.yaml").read_bytes())
    assert record["message_id"] == smtp_server.received[0].message()["Message-ID"]
    assert record["to"] == ["ivan@acme.example", "cfo@acme.example"]
    assert not (reporting_desk / ".git/supportctl/report-send.log").exists()
    # and a third run says it was sent
    assert ok(_send(cli)).stdout.startswith("already-sent 2026-10 acme")


def test_dry_run_sends_and_writes_nothing(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer
) -> None:
    commits = _commits(reporting_desk)
    result = ok(_send(cli, "--dry-run"))
    assert smtp_server.received == []
    assert _commits(reporting_desk) == commits
    assert git(reporting_desk, "status", "--porcelain") == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("would-send 2026-10 acme → ivan@acme.example, cfo@acme.example <")
    assert "PDF " in lines[0]
    assert lines[1:] == [
        "skipped 2026-10 globex: no contact has `reports: true`",
        "(dry run: nothing was sent or written)",
    ]


def test_one_customer_and_a_customer_without_contacts(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer
) -> None:
    commits = _commits(reporting_desk)
    result = ok(_send(cli, "--customer", "globex"))
    assert result.stdout == "skipped 2026-10 globex: no contact has `reports: true`\n"
    assert smtp_server.received == []
    assert _commits(reporting_desk) == commits
    unknown = _send(cli, "--customer", "nobody")
    assert unknown.exit_code == 5
    assert unknown.stderr == "supportctl: error: unknown customer 'nobody' (known: acme, globex)\n"


def test_month_last_is_the_previous_month_in_the_desks_zone(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer
) -> None:
    # 00:30 on 1 November in Moscow is still 31 October in UTC: `last` is October
    result = ok(
        cli("report", "send", "--dry-run", "--now", "2026-10-31T21:30:00+00:00", "-c", "acme")
    )
    assert result.stdout.startswith("would-send 2026-10 acme")


@pytest.mark.parametrize(
    ("reply", "code", "detail"),
    [
        ("550 5.1.1 no such user", 11, "550 5.1.1 no such user"),
        ("450 4.2.1 mailbox busy", 75, "450 4.2.1 mailbox busy"),
    ],
)
def test_a_refusal_exits_with_the_mail_codes_and_records_nothing(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer, reply: str, code: int, detail: str
) -> None:
    smtp_server.refuse_rcpt["ivan@acme.example"] = reply
    smtp_server.refuse_rcpt["cfo@acme.example"] = reply
    commits = _commits(reporting_desk)
    result = _send(cli, "-c", "acme")
    assert result.exit_code == code
    assert detail in result.stderr
    assert result.stderr.startswith("supportctl: failed 2026-10 acme → ")
    assert _commits(reporting_desk) == commits
    # fixed on the server side, the next run sends it
    smtp_server.refuse_rcpt.clear()
    ok(_send(cli, "-c", "acme"))
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_is_try_again_later(
    cli: Cli, reporting_desk: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    result = _send(cli)
    assert result.exit_code == 75
    assert "cannot connect (connection refused)" in result.stderr
    assert not (reporting_desk / "data/reports").exists()


def test_report_and_report_send_both_run_and_have_help(reporting_desk: Path) -> None:
    from supportctl.cli.commands import app_for

    for argv in (["report", "send", "--help"], ["report", "--month", "2026-10"], ["report"]):
        pruned = app_for(argv)
        assert [g.name for g in pruned.registered_groups] == ["report"]
        assert pruned.registered_commands == []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "supportctl", *args],
            cwd=reporting_desk,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    helped = run("report", "send", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--dry-run" in helped.stdout
    group = run("report", "--help")
    assert group.returncode == 0, group.stderr
    assert "--format" in group.stdout
    assert "send" in group.stdout
    md = run("report", "--month", "2026-10", "--now", NOW)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Support report 2026-10\n")
    mixed = run("report", "--format", "pdf", "send")
    assert mixed.returncode == 2
    assert mixed.stderr == (
        "supportctl: error: `report send` takes its own options: give them after 'send'\n"
    )
