"""The `mail:` section and the customers' contacts and domains of supportctl.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supportctl.config.settings import Contact, MailSettings, ServerSettings, parse_config
from supportctl.domain.errors import ConfigError
from tests.helpers import CONFIG, git

MAIL = """\
mail:
  address: support@desk.example
  smtp: {host: smtp.desk.example, port: 587, security: starttls, user: desk, password_env: SMTP_PASSWORD}
  imap: {host: imap.desk.example, port: 993, security: ssl, user: desk, password_env: IMAP_PASSWORD,
         folder: INBOX, done_folder: Processed}
  unknown_sender: quarantine
  reopen_days: 14
  fallback_charsets: [koi8-r, cp1251, cp866]
  max_auto_per_day: 40
  acknowledge: true
"""
ACME_MAIL = """\
    domains: [acme.example]
    contacts:
      - {email: Ivan@Acme.example, name: Иван Петров, reports: true}
"""
GLOBEX_MAIL = """\
    contacts:
      - {email: boss@acme.example, name: The Boss}
      - partner@globex.example
"""


def config_text(mail: str = MAIL, acme: str = ACME_MAIL, globex: str = GLOBEX_MAIL) -> str:
    text = CONFIG.replace(
        "    credits: {per_breach: 2%, cap: 15%}\n",
        "    credits: {per_breach: 2%, cap: 15%}\n" + acme,
        1,
    )
    text = text.replace(
        "    name: Globex\n    plan: standard\n",
        "    name: Globex\n    plan: standard\n" + globex,
        1,
    )
    return text + mail


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text.encode(), Path("supportctl.yaml"))
    return info.value.message.splitlines()


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_the_documented_example_parses() -> None:
    config = parse_config(config_text().encode(), Path("supportctl.yaml"))
    assert config.mail == MailSettings(
        address="support@desk.example",
        smtp=ServerSettings("smtp.desk.example", 587, "starttls", "desk", "SMTP_PASSWORD"),
        imap=ServerSettings(
            "imap.desk.example", 993, "ssl", "desk", "IMAP_PASSWORD", "INBOX", "Processed"
        ),
        acknowledge=True,
    )
    acme = config.customer("acme")
    assert acme.domains == ("acme.example",)
    assert acme.contacts == (Contact("ivan@acme.example", "Иван Петров", True),)
    assert config.customer("globex").contacts == (
        Contact("boss@acme.example", "The Boss", False),
        Contact("partner@globex.example", "", False),
    )


def test_a_desk_without_mail_gets_the_defaults() -> None:
    config = parse_config(CONFIG.encode(), Path("supportctl.yaml"))
    assert config.mail == MailSettings()
    assert config.mail.unknown_sender == "quarantine"
    assert config.mail.reopen_days == 14
    assert config.mail.fallback_charsets == ("koi8-r", "cp1251", "cp866")
    assert config.mail.max_attachment_bytes == 10 * 1024 * 1024
    assert config.customer_for_address("ivan@acme.example") is None


def test_sender_to_customer_exact_address_first_then_domain() -> None:
    config = parse_config(config_text().encode(), Path("supportctl.yaml"))
    assert config.customer_for_address("IVAN@acme.example") == "acme"
    assert config.customer_for_address("anyone@acme.example") == "acme"
    assert config.customer_for_address("x@mail.acme.example") == "acme"  # a subdomain
    # an exact contact wins over another customer's domain
    assert config.customer_for_address("boss@acme.example") == "globex"
    assert config.customer_for_address("partner@globex.example") == "globex"
    assert config.customer_for_address("other@globex.example") is None
    assert config.customer_for_address("x@notacme.example") is None


def test_mail_mistakes_are_each_reported_with_line_and_hint() -> None:
    mail = (
        MAIL.replace("  reopen_days: 14\n", "  reopen_dayz: 14\n")
        .replace("security: starttls", "security: tls")
        .replace("unknown_sender: quarantine", "unknown_sender: acmee")
        .replace("[koi8-r, cp1251, cp866]", "[koi8-r, klingon]")
        .replace("acknowledge: true", "acknowledge: yes")
    )
    text = config_text(mail=mail)
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'smtp:')}: mail smtp: unknown security 'tls' "
        "(expected one of ssl, starttls, none)",
        f"supportctl.yaml:{line_of(text, 'unknown_sender')}: mail: unknown_sender 'acmee' is no "
        "customer (did you mean 'acme'?)",
        f"supportctl.yaml:{line_of(text, 'reopen_dayz')}: unknown key 'reopen_dayz' in `mail` "
        "(did you mean 'reopen_days'?)",
        f"supportctl.yaml:{line_of(text, 'klingon')}: mail: unknown charset 'klingon'",
        f"supportctl.yaml:{line_of(text, 'acknowledge')}: mail: `acknowledge` must be true or "
        "false, got 'yes'",
    ]


def test_plain_text_passwords_only_to_a_server_on_this_machine() -> None:
    remote = MAIL.replace("port: 587, security: starttls", "port: 25, security: none")
    text = config_text(mail=remote)
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'smtp:')}: mail smtp: `security: none` sends the "
        "password in clear text; it is allowed only for a server on this machine (localhost), "
        "not smtp.desk.example"
    ]
    local = remote.replace("host: smtp.desk.example", "host: 127.0.0.1")
    config = parse_config(config_text(mail=local).encode(), Path("supportctl.yaml"))
    assert config.mail.smtp == ServerSettings("127.0.0.1", 25, "none", "desk", "SMTP_PASSWORD")


def test_two_customers_cannot_claim_one_address_or_domain() -> None:
    globex = "    domains: [acme.example]\n    contacts: [ivan@acme.example]\n"
    text = config_text(globex=globex)
    domains_line = line_of(text, "    contacts: [ivan") - 1
    assert problems(text) == [
        f"supportctl.yaml:{domains_line}: customer globex: domain acme.example is already "
        "claimed by customer acme",
        f"supportctl.yaml:{domains_line + 1}: customer globex: address ivan@acme.example is "
        "already claimed by customer acme",
    ]


def test_contact_and_domain_mistakes() -> None:
    acme = (
        "    domains: [acme.example, 'not a domain']\n"
        "    contacts:\n"
        "      - {email: ivan, nam: Ivan}\n"
    )
    text = config_text(acme=acme)
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'not a domain')}: customer acme: 'not a domain' is "
        "not a mail domain like acme.example",
        f"supportctl.yaml:{line_of(text, 'nam: Ivan')}: unknown key 'nam' in a contact of "
        "customer 'acme' (did you mean 'name'?)",
        f"supportctl.yaml:{line_of(text, 'nam: Ivan')}: customer acme: 'ivan' is not an "
        "e-mail address",
    ]


def test_validate_reports_mail_problems(support_repo: Path, cli: Any) -> None:
    text = config_text(mail=MAIL.replace("  reopen_days: 14\n", "  reopen_days: soon\n"))
    (support_repo / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(support_repo, "commit", "-qm", "Mail", "supportctl.yaml")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        f"supportctl.yaml:{line_of(text, 'reopen_days')}: mail: `reopen_days` must be a whole "
        "number, got 'soon'\n"
    )


def test_a_customer_reads_the_desk_in_its_configured_language() -> None:
    text = config_text(acme=ACME_MAIL + "    language: uk\n")
    config = parse_config(text.encode(), Path("supportctl.yaml"))
    assert config.customers["acme"].language == "uk"
    assert config.customers["globex"].language == "en"


def test_an_unknown_language_is_a_mistake_on_its_line() -> None:
    text = config_text(acme=ACME_MAIL + "    language: russian\n")
    found = problems(text)
    assert any(
        f":{line_of(text, 'language: russian')}:" in p
        and "unknown language 'russian' (expected one of en, ru, uk)" in p
        for p in found
    ), found


def test_what_fetch_and_send_would_refuse_is_a_mistake_on_its_line() -> None:
    mail = MAIL.replace(", password_env: SMTP_PASSWORD}", "}").replace(
        "security: ssl, user: desk, password_env: IMAP_PASSWORD,", "security: ssl,"
    )
    mail = mail.replace("done_folder: Processed", "done_folder: INBOX")
    text = config_text(mail=mail)
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'smtp:')}: mail smtp: `user` is set but `password_env` "
        "is not (name the environment variable that holds the password; without `user` the "
        "server is used without a login)",
        f"supportctl.yaml:{line_of(text, 'imap:')}: mail imap: missing `user` (the IMAP login; "
        "the password is read from the environment variable `password_env` names)",
        f"supportctl.yaml:{line_of(text, 'imap:')}: mail imap: missing `password_env` (the IMAP "
        "login; the password is read from the environment variable `password_env` names)",
        f"supportctl.yaml:{line_of(text, 'done_folder')}: mail imap: `done_folder` is the folder "
        "fetched from (INBOX); processed mail must go to another one",
    ]


def test_an_smtp_password_without_a_user_is_a_mistake() -> None:
    text = config_text(mail=MAIL.replace("security: starttls, user: desk,", "security: starttls,"))
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'smtp:')}: mail smtp: `password_env` is set but `user` "
        "is not (the login needs both; without `user` the password would never be used)"
    ]


def test_an_smtp_server_without_a_login_needs_no_password() -> None:
    mail = MAIL.replace(", user: desk, password_env: SMTP_PASSWORD}", "}")
    config = parse_config(config_text(mail=mail).encode(), Path("supportctl.yaml"))
    assert config.mail.smtp == ServerSettings("smtp.desk.example", 587, "starttls")


def test_control_characters_in_names_and_addresses_are_mistakes() -> None:
    acme = (
        "    contacts:\n"
        '      - {email: ivan@acme.example, name: "Ivan\\r\\nBcc: all@victim.example"}\n'
        '      - {email: "boss@acme.example\\x00", name: Boss}\n'
    )
    mail = MAIL.replace(
        "  address: support@desk.example\n", '  address: "support@desk.example\\x7f"\n'
    )
    text = config_text(mail=mail, acme=acme)
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'Ivan')}: customer acme: contact `name` "
        "'Ivan\\r\\nBcc: all@victim.example' holds a line break or another control character",
        f"supportctl.yaml:{line_of(text, 'boss@')}: customer acme: 'boss@acme.example\\x00' is "
        "not an e-mail address",
        f"supportctl.yaml:{line_of(text, 'support@')}: mail: `address` "
        "'support@desk.example\\x7f' is not an e-mail address",
    ]


def test_a_negative_count_says_zero_is_the_least() -> None:
    text = config_text(mail=MAIL.replace("max_auto_per_day: 40", "max_auto_per_day: -1"))
    assert problems(text) == [
        f"supportctl.yaml:{line_of(text, 'max_auto_per_day')}: mail: `max_auto_per_day` must be "
        "a whole number, 0 or more, got -1"
    ]
    zero = config_text(mail=MAIL.replace("max_auto_per_day: 40", "max_auto_per_day: 0"))
    assert parse_config(zero.encode(), Path("supportctl.yaml")).mail.max_auto_per_day == 0


def test_validate_reports_a_fetch_setting_that_would_fail_at_run_time(
    support_repo: Path, cli: Any
) -> None:
    text = config_text(mail=MAIL.replace("done_folder: Processed", "done_folder: INBOX"))
    (support_repo / "supportctl.yaml").write_text(text, encoding="utf-8")
    git(support_repo, "commit", "-qm", "Mail", "supportctl.yaml")
    r = cli("validate")
    assert r.exit_code == 9
    assert r.stdout == (
        f"supportctl.yaml:{line_of(text, 'done_folder')}: mail imap: `done_folder` is the folder "
        "fetched from (INBOX); processed mail must go to another one\n"
    )
