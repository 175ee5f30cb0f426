"""Canned replies: `replies`, `comment ID --reply NAME [--edit]`, in the customer's
language, rendered in the templates' sandbox from the committed tree."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import CONFIG, commit_file, commit_files, git, head, ok, trailers

if TYPE_CHECKING:
    from pathlib import Path

GREETING_EN = "Hello {{ requester }},\n\n{{ ticket.id }} ({{ ticket.title }}) for {{ customer.name }}.\n{{ agent.name }}\n"
GREETING_RU = "Здравствуйте, {{ requester }}!\n\nОбращение {{ ticket.id }}: {{ ticket.title }}.\n{{ agent.name }}\n"


@pytest.fixture
def desk(support_repo: Path, cli: Any) -> Path:
    """acme reads English (the default), globex Russian; greeting has en (plain) and ru
    variants, only-ru has no plain one; SUP-1 is acme's, SUP-2 globex's."""
    config = CONFIG.replace(
        "  globex:\n    name: Globex\n    plan: standard\n",
        "  globex:\n    name: Globex\n    plan: standard\n    language: ru\n",
    )
    commit_files(
        support_repo,
        {
            "supportctl.yaml": config,
            "templates/replies/greeting.md": GREETING_EN,
            "templates/replies/greeting.ru.md": GREETING_RU,
            "templates/replies/only-ru.ru.md": "Только по-русски, {{ requester }}.\n",
            "templates/replies/README.txt": "not a reply\n",
        },
    )
    ok(
        cli(
            "new",
            "Printer_jam *now*",
            "-c",
            "acme",
            "-t",
            "incident",
            "-p",
            "normal",
            "--reporter",
            "Ivan Petrov",
        )
    )
    ok(cli("new", "Принтер не печатает", "-c", "globex", "-t", "incident", "-p", "normal"))
    return support_repo


def _last_comment(cli: Any, tid: str) -> dict[str, Any]:
    comments: list[dict[str, Any]] = json.loads(ok(cli("show", tid, "--json")).stdout)["comments"]
    return comments[-1]


def test_reply_in_english_for_an_english_customer(desk: Path, cli: Any) -> None:
    r = ok(cli("comment", "SUP-1", "--reply", "greeting"))
    assert r.stdout == "SUP-1: reply to customer: Hello Ivan Petrov, SUP-1 (Printer_jam *…\n"
    entry = _last_comment(cli, "SUP-1")
    # plain text: a title's Markdown characters are not escaped
    assert (
        entry["text"]
        == "Hello Ivan Petrov,\n\nSUP-1 (Printer_jam *now*) for ACME LLC.\nAnna Smirnova\n"
    )
    assert entry["visibility"] == "public"
    assert ("Visibility", "public") in trailers(desk)


def test_reply_in_russian_for_a_russian_customer(desk: Path, cli: Any) -> None:
    ok(cli("comment", "SUP-2", "--reply", "greeting"))
    assert _last_comment(cli, "SUP-2")["text"] == (
        "Здравствуйте, Globex!\n\nОбращение SUP-2: Принтер не печатает.\nAnna Smirnova\n"
    )


def test_a_reply_without_the_language_or_a_plain_variant_is_refused(desk: Path, cli: Any) -> None:
    before = head(desk)
    r = cli("comment", "SUP-1", "--reply", "only-ru")
    assert r.exit_code == 5
    assert r.stderr == (
        "supportctl: error: reply 'only-ru' has no en variant and no plain one "
        "(templates/replies/only-ru.md); it has: ru\n"
    )
    assert head(desk) == before


def test_replies_lists_names_languages_and_first_lines(desk: Path, cli: Any) -> None:
    r = ok(cli("replies"))
    assert r.stdout.splitlines() == [
        "NAME      LANGUAGES  FIRST LINE",
        "greeting  plain,ru   Hello {{ requester }},",
        "only-ru   ru         Только по-русски, {{ requester }}.",
    ]
    data = json.loads(ok(cli("replies", "--json")).stdout)
    assert data[0] == {
        "name": "greeting",
        "languages": ["plain", "ru"],
        "files": {
            "plain": "templates/replies/greeting.md",
            "ru": "templates/replies/greeting.ru.md",
        },
        "first_line": {"plain": "Hello {{ requester }},", "ru": "Здравствуйте, {{ requester }}!"},
    }


def test_replies_are_read_from_the_commit_not_the_work_tree(desk: Path, cli: Any) -> None:
    (desk / "templates/replies/greeting.md").write_text("Changed but not committed\n")
    (desk / "templates/replies/draft.md").write_text("Draft\n")
    ok(cli("comment", "SUP-1", "--reply", "greeting"))
    assert _last_comment(cli, "SUP-1")["text"].startswith("Hello Ivan Petrov,")
    assert [d["name"] for d in json.loads(ok(cli("replies", "--json")).stdout)] == [
        "greeting",
        "only-ru",
    ]


def test_unknown_reply_suggests_the_nearest(desk: Path, cli: Any) -> None:
    r = cli("comment", "SUP-1", "--reply", "greting")
    assert r.exit_code == 5
    assert r.stderr == "supportctl: error: unknown reply 'greting' (did you mean 'greeting'?)\n"
    r = cli("comment", "SUP-1", "--reply", "zzz")
    assert r.stderr == "supportctl: error: unknown reply 'zzz' (known: greeting, only-ru)\n"


def test_template_errors_name_the_file_and_line(desk: Path, cli: Any) -> None:
    commit_files(
        desk,
        {
            "templates/replies/broken.md": "Hello\n{% if %}\n",
            "templates/replies/unknown.md": "Hello\n\n{{ ticket.nope.deeper }}\n",
        },
    )
    before = head(desk)
    r = cli("comment", "SUP-1", "--reply", "broken")
    assert r.exit_code == 4
    assert r.stderr == (
        "supportctl: error: templates/replies/broken.md:2: template error: "
        "Expected an expression, got 'end of statement block'\n"
    )
    r = cli("comment", "SUP-1", "--reply", "unknown")
    assert r.exit_code == 4
    assert r.stderr.startswith(
        "supportctl: error: templates/replies/unknown.md:3: template error: "
    )
    assert head(desk) == before


def test_a_sandbox_violation_is_refused(desk: Path, cli: Any) -> None:
    commit_file(
        desk,
        "templates/replies/evil.md",
        "{{ cycler.__init__.__globals__.os.system('touch pwned') }}\n",
    )
    r = cli("comment", "SUP-1", "--reply", "evil")
    assert r.exit_code == 4
    assert r.stderr.startswith("supportctl: error: templates/replies/evil.md: template ")
    assert not (desk / "pwned").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["extra text", "--reply", "greeting"],
            "give TEXT, --file or --reply, not two of them (--edit adds to a reply)",
        ),
        (
            ["--reply", "greeting", "--from-customer"],
            "--reply writes our answer; --from-customer records theirs",
        ),
        (
            ["--reply", "greeting", "--edit"],
            "--edit needs a terminal; without it the reply is sent as rendered",
        ),
        (["some text", "--edit"], "--edit goes with --reply NAME"),
    ],
)
def test_reply_usage_errors(desk: Path, cli: Any, args: list[str], message: str) -> None:
    before = head(desk)
    r = cli("comment", "SUP-1", *args)
    assert r.exit_code == 2
    assert r.stderr == f"supportctl: error: {message}\n"
    assert head(desk) == before


def test_internal_canned_note(desk: Path, cli: Any) -> None:
    ok(cli("comment", "SUP-1", "--reply", "greeting", "--internal"))
    assert _last_comment(cli, "SUP-1")["visibility"] == "internal"
    assert git(desk, "log", "-1", "--format=%s").startswith("SUP-1: internal note: Hello")
