"""Shared fixtures: real git repositories in tmp_path with a pinned identity and clock."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import typer.testing

from supportctl.cli import state
from supportctl.ops.init import init_repo
from tests.helpers import CONFIG, FIXED_DATE, Cli, cached_get_command, git
from tests.mailservers import (
    dovecot,
    imap_account,
    smtp_server,
    smtp_server_ssl,
    smtp_server_tls,
)

# real mail servers: SMTP (aiosmtpd) and IMAP (dovecot)
__all__ = ["dovecot", "imap_account", "smtp_server", "smtp_server_ssl", "smtp_server_tls"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real $HOME or git config; pin identity and dates."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Anna Smirnova")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "anna@support.example")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Anna Smirnova")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "anna@support.example")
    monkeypatch.setenv("GIT_AUTHOR_DATE", FIXED_DATE)
    monkeypatch.setenv("GIT_COMMITTER_DATE", FIXED_DATE)
    tmp = home / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # kept drafts land here, not in /tmp
    monkeypatch.delenv("SUPPORTCTL_REPO", raising=False)
    monkeypatch.delenv("SUPPORTCTL_NOW", raising=False)
    state.repo = None
    state.debug = False


@pytest.fixture
def support_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised support repo with the test config, as the current directory."""
    root = tmp_path / "desk"
    init_repo(root)
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    git(root, "add", "supportctl.yaml")
    git(root, "commit", "-qm", "Test configuration")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setattr(typer.testing, "_get_command", cached_get_command)
    return Cli()


# Modules that drive many processes, clones, generated inputs or whole-desk CLI scenarios;
# `make test-fast` leaves them out, unimported (the rest, ~1,300 tests, runs in about 25 s on two quiet
# cores). The mail tests that start an SMTP or IMAP server run with the slow set.
_TESTS = Path(__file__).parent
_SLOW_MODULES = {
    "cli/test_agent.py",
    "cli/test_alert_availability.py",
    "cli/test_alert_ingest.py",
    "cli/test_alert_serve.py",
    "cli/test_at_terminal.py",
    "cli/test_availability.py",
    "cli/test_bulk.py",
    "cli/test_common.py",
    "cli/test_completion.py",
    "cli/test_entrypoint.py",
    "cli/test_hostile.py",
    "cli/test_kb.py",
    "cli/test_mail_fetch.py",
    "cli/test_mail_ingest.py",
    "cli/test_mail_roundtrip.py",
    "cli/test_mail_send.py",
    "cli/test_progress.py",
    "cli/test_replies.py",
    "cli/test_report_send.py",
    "cli/test_show_links.py",
    "cli/test_sla.py",
    "cli/test_sla_lang.py",
    "cli/test_startup.py",
    "cli/test_tickets.py",
    "ops/mail/test_fetch.py",
    "ops/mail/test_imap.py",
    "ops/mail/test_intake.py",
    "ops/mail/test_intake_rules.py",
    "ops/mail/test_outbound.py",
    "ops/mail/test_round_trip.py",
    "ops/mail/test_smtp.py",
    "ops/test_alerts.py",
    "ops/test_backlog.py",
    "ops/test_customer_message.py",
    "ops/test_demo.py",
    "ops/test_demo_replies.py",
    "ops/test_queue.py",
    "ops/test_sync.py",
    "ops/test_sync_history.py",
    "ops/test_ticket_size.py",
    "ops/test_tickets.py",
    "ops/test_validate.py",
    "report/test_audience.py",
    "report/test_browser.py",
    "report/test_collect.py",
    "report/test_demo_reports.py",
    "report/test_escaping.py",
    "report/test_figures.py",
    "report/test_i18n.py",
    "report/test_isolation.py",
    "report/test_layout.py",
    "report/test_pdf.py",
    "report/test_pdf_golden.py",
    "report/test_period_scope.py",
    "report/test_report_cli.py",
    "report/test_templates.py",
    "scripts/test_ensure_chromium.py",
    "scripts/test_ensure_dovecot.py",
    "storage/test_catalog.py",
    "storage/test_concurrency.py",
    "storage/test_history_identity.py",
    "storage/test_history_scan.py",
    "storage/test_memory.py",
    "storage/test_objects.py",
    "storage/test_queries.py",
    "storage/test_safepath.py",
    "storage/test_sla_periods.py",
    "storage/test_ticket_search.py",
    "storage/test_transaction_batch.py",
    "test_architecture.py",
}
# The longest git scenarios of otherwise quick modules (every parameter of each); the event
# parsing they exercise is covered in the fast set by storage/test_history_parsing.py.
_SLOW_TESTS = {
    "ops/test_tickets.py::test_hand_comments_and_unknown_keys_survive_many_actions",
    "storage/test_history.py::test_corrupt_cache_is_rebuilt",
    "storage/test_history.py::test_hand_made_commits_give_the_same_sla_as_supportctl",
    "storage/test_history.py::test_merge_counts_the_branch_event_once",
    "storage/test_history.py::test_rewritten_history_gives_fresh_results",
    "storage/test_history.py::test_skewed_commit_dates_keep_events_in_commit_order",
}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m "not slow"` (make test-fast) does not even import the slow modules: importing
    them (browsers, servers, Hypothesis strategies) is a good part of a fast run."""
    if config.getoption("markexpr", "") != "not slow" or collection_path.suffix != ".py":
        return None
    try:
        module = collection_path.relative_to(_TESTS).as_posix()
    except ValueError:
        return None
    return True if module in _SLOW_MODULES else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.relative_to(_TESTS).as_posix()
        name = getattr(item, "originalname", item.name)  # without the parameters
        if (
            module in _SLOW_MODULES
            or f"{module}::{name}" in _SLOW_TESTS
            or "hypothesis" in item.keywords
        ):
            item.add_marker(pytest.mark.slow)
