"""`supportctl kb ...` and the suggestions of `supportctl new`, against real git repos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git, run_at

WHEN = "2026-10-07T15:30:00+03:00"
TICKET = "data/tickets/0000/SUP-1.yaml"
SLUG = "kassa-ne-pechataet-cheki-posle-obnovleniya"
ARTICLE = f"data/kb/{SLUG}.md"


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def trailers(root: Path) -> list[str]:
    return git(root, "log", "-1", "--format=%(trailers:only,unfold)").split("\n")[:-2]


def changed(root: Path) -> list[str]:
    return git(root, "show", "--name-only", "--format=", "HEAD").split()


@pytest.fixture
def desk(support_repo: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    """SUP-1: a solved acme ticket with a public reply, an internal note and a resolution."""
    run_at(
        cli,
        "2026-10-05T10:00:00+03:00",
        "new",
        "Касса не печатает чеки после обновления Windows",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
        "--tag",
        "kkt",
        "--description",
        "После обновления Windows касса пишет «Нет связи с ККТ».\nЧеки не печатаются.",
    )
    run_at(
        cli,
        "2026-10-05T10:20:00+03:00",
        "comment",
        "SUP-1",
        "Закрепили COM-порт ККТ, проверьте печать.",
    )
    run_at(
        cli,
        "2026-10-05T10:25:00+03:00",
        "comment",
        "SUP-1",
        "пароль от RDP кассы: hunter2",
        "--internal",
    )
    run_at(
        cli,
        "2026-10-05T11:00:00+03:00",
        "resolve",
        "SUP-1",
        "--resolution",
        "После обновления Windows сменился COM-порт ККТ.",
    )
    return support_repo


def test_new_from_ticket_prefills_and_links_both_ways_in_one_commit(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = commits(desk)
    r = run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Касса не печатает чеки после обновления",
        "--from-ticket",
        "sup-1",
        "--tag",
        "windows",
    )
    assert r.stdout == f"SUP-1: KB article {SLUG} written from this ticket\n"
    assert commits(desk) == before + 1
    assert sorted(changed(desk)) == [ARTICLE, TICKET]
    assert trailers(desk) == ["Ticket: SUP-1", "Action: kb-new", f"Kb: {SLUG}"]

    text = (desk / ARTICLE).read_text(encoding="utf-8")
    front, body = text.split("---\n")[1:3]
    assert front == (
        "title: Касса не печатает чеки после обновления\n"
        "tags: [kkt, windows]\n"
        "products: []\n"
        "customers: [acme]\n"
        "tickets: [SUP-1]\n"
        "updated: 2026-10-07\n"
    )
    assert (
        "## Проблема\n\nПосле обновления Windows касса пишет «Нет связи с ККТ».\nЧеки не печатаются.\n"
        in body
    )
    assert "## Причина\n\nПосле обновления Windows сменился COM-порт ККТ.\n" in body
    assert "## Решение\n\n- Закрепили COM-порт ККТ, проверьте печать.\n" in body
    assert "hunter2" not in body  # internal notes stay internal
    assert (
        "- [SUP-1](../tickets/0000/SUP-1.yaml): Касса не печатает чеки после обновления Windows"
        in body
    )

    ticket = (desk / TICKET).read_text(encoding="utf-8")
    assert f"\nkb: {SLUG}\nresolution:" in ticket  # at its documented place in the key order
    # The history reader and the SLA engine take the new action in their stride.
    assert cli("sla", "show", "SUP-1", "--now", "2026-10-08T12:00:00+03:00").exit_code == 0
    shown = json.loads(cli("kb", "show", SLUG, "--json").stdout)
    assert shown["tickets"] == ["SUP-1"]
    assert shown["path"] == ARTICLE


def test_new_without_ticket_commits_only_the_article(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Відновлення даних з резервної копії",
        "--tag",
        "Backup",
        "--body-file",
        "-",
        input="Відновити з нічної копії: `pgbackrest restore`.\n",
    )
    slug = "vidnovlennia-danykh-z-rezervnoi-kopii"
    assert r.stdout == f"KB: new article {slug}: Відновлення даних з резервної копії\n"
    assert changed(desk) == [f"data/kb/{slug}.md"]
    assert trailers(desk) == ["Action: kb-new", f"Kb: {slug}"]
    text = (desk / f"data/kb/{slug}.md").read_text(encoding="utf-8")
    assert text.endswith("---\n\nВідновити з нічної копії: `pgbackrest restore`.\n")
    assert "tags: [backup]\n" in text
    assert "tickets: []\n" in text


def test_new_json(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = run_at(
        cli, WHEN, "kb", "new", "Printer offline", "--body-file", "-", "--json", input="Body\n"
    )
    data = json.loads(r.stdout)
    assert data["action"] == "kb-new"
    assert data["slug"] == "printer-offline"
    assert data["ticket"] is None
    assert data["article"]["updated"] == "2026-10-07"
    assert len(data["commit"]) == 40


def test_new_refuses_an_existing_slug(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Printer offline")
    before = commits(desk)
    r = cli("kb", "new", "Printer  Offline!")
    assert r.exit_code == 6
    assert r.stderr == (
        "supportctl: error: KB article 'printer-offline' already exists "
        "(data/kb/printer-offline.md); give another title or --slug, or use `kb edit`\n"
    )
    assert commits(desk) == before
    run_at(cli, WHEN, "kb", "new", "Printer offline", "--slug", "printer-offline-2")
    assert (desk / "data/kb/printer-offline-2.md").is_file()


def test_new_refuses_an_uncommitted_file_of_that_name(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (desk / "data/kb/printer-offline.md").write_text("draft", encoding="utf-8")
    assert cli("kb", "new", "Printer offline").exit_code == 6
    assert (desk / "data/kb/printer-offline.md").read_text() == "draft"


def test_titles_without_letters_get_article_n(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert run_at(cli, WHEN, "kb", "new", "!!!").stdout.startswith("KB: new article article-1:")
    assert run_at(cli, WHEN, "kb", "new", "日本語").stdout.startswith("KB: new article article-2:")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["kb", "new", "x", "--slug", "Bad Slug"],
            2,
            "bad slug 'Bad Slug': lowercase ASCII letters, digits and - only, at most 80",
        ),
        (["kb", "new", "x", "--from-ticket", "SUP-99"], 5, "unknown ticket SUP-99"),
        (["kb", "new", "   "], 2, "title is empty"),
        (
            ["kb", "new", "x", "--tag", "a b"],
            2,
            "bad tag 'a b': letters, digits and . + - _ only, at most 40",
        ),
    ],
)
def test_new_bad_input(desk: Path, cli, args: list[str], code: int, message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.exit_code == code, r.output
    assert r.stderr == f"supportctl: error: {message}\n"


def test_new_from_ticket_that_names_another_article(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Old article", "--from-ticket", "SUP-1")
    r = cli("kb", "new", "New article", "--from-ticket", "SUP-1")
    assert r.exit_code == 6
    assert r.stderr == (
        "supportctl: error: SUP-1 is already linked to KB article old-article; "
        "use --replace to link it to new-article instead\n"
    )
    run_at(cli, WHEN, "kb", "new", "New article", "--from-ticket", "SUP-1", "--replace")
    assert sorted(changed(desk)) == ["data/kb/new-article.md", "data/kb/old-article.md", TICKET]
    assert "tickets: []\n" in (desk / "data/kb/old-article.md").read_text()
    assert "Kb-Previous: old-article" in trailers(desk)


def test_show_and_list(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli, WHEN, "kb", "new", "Касса не печатает чеки после обновления", "--from-ticket", "SUP-1"
    )
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Printer offline",
        "--tag",
        "printer",
        "--body-file",
        "-",
        input="Restart it.\n",
    )
    r = cli("kb", "show", "printer-offline")
    assert r.exit_code == 0
    assert r.stdout == (
        "Printer offline\n\n  tags:      printer\n  updated:   2026-10-07\n"
        "  path:      data/kb/printer-offline.md\n\nRestart it.\n"
    )
    listed = json.loads(cli("kb", "list", "--json").stdout)
    assert [a["slug"] for a in listed] == [SLUG, "printer-offline"]
    assert "body" not in listed[0]
    assert [
        a["slug"] for a in json.loads(cli("kb", "list", "--tag", "printer", "--json").stdout)
    ] == ["printer-offline"]
    table = cli("kb", "list").stdout.splitlines()
    assert table[0].split() == ["SLUG", "UPDATED", "TICKETS", "TITLE"]
    assert table[1].split()[:3] == [SLUG, "2026-10-07", "1"]


def test_show_unknown(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("kb", "show", "nope")
    assert r.exit_code == 5
    assert r.stderr == "supportctl: error: unknown KB article 'nope' (no data/kb/nope.md)\n"


def test_broken_article_is_reported_and_skipped_by_list_and_search(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Printer offline",
        "--body-file",
        "-",
        input="Restart the printer.\n",
    )
    (desk / "data/kb/broken.md").write_text(
        "---\ntitle: Broken printer\ntags: pos\n---\nprinter\n", encoding="utf-8"
    )
    git(desk, "add", "data/kb/broken.md")
    git(desk, "commit", "-qm", "hand-written article")
    for args in (["kb", "list"], ["kb", "search", "printer"]):
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert (
            r.stderr
            == "supportctl: skipped data/kb/broken.md:3: `tags` must be a list like [a, b]\n"
        )
        assert "printer-offline" in r.stdout
        assert "broken" not in r.stdout
    r = cli("kb", "show", "broken")
    assert r.exit_code == 7
    assert r.stderr == "supportctl: error: data/kb/broken.md:3: `tags` must be a list like [a, b]\n"
    # `new` keeps quiet about it and still suggests the good article.
    r = cli("new", "Printer does not print", "-c", "acme", "-t", "incident", "-p", "low", "--json")
    assert r.exit_code == 0
    assert r.stderr == ""
    assert [s["slug"] for s in json.loads(r.stdout)["suggestions"]] == ["printer-offline"]


def test_search_json_fields_and_ranking(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli, WHEN, "kb", "new", "Касса не печатает чеки после обновления", "--from-ticket", "SUP-1"
    )
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Отчёт по продажам формируется медленно",
        "--body-file",
        "-",
        input="Отчёт строится долго: нет индекса.\n",
    )
    r = cli("kb", "search", "не печатаются чеки", "--json")
    assert r.exit_code == 0
    hits = json.loads(r.stdout)
    assert [h["slug"] for h in hits] == [SLUG]
    assert set(hits[0]) == {"slug", "title", "score", "snippet", "tags"}
    assert "**печатаются**" in hits[0]["snippet"]
    assert hits[0]["tags"] == ["kkt"]
    r = cli("kb", "search", "отчеты медлено", "--limit", "1")  # another word form and a typo
    assert r.stdout.startswith("1. Отчёт по продажам формируется медленно\n")
    assert "**" in r.stdout


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "no searchable words in the query (only stop words?)"),
        ("и не на в", "no searchable words in the query (only stop words?)"),
        ("the of and", "no searchable words in the query (only stop words?)"),
        ("xylophone", "no matching articles"),
    ],
)
def test_search_finding_nothing(desk: Path, cli, query: str, message: str) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Printer offline")
    r = cli("kb", "search", query)
    assert r.exit_code == 0
    assert r.stdout == ""
    assert r.stderr == f"supportctl: {message}\n"
    assert json.loads(cli("kb", "search", query, "--json").stdout) == []


def test_search_an_empty_kb(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("kb", "search", "printer", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == []


def test_edit_sets_updated_to_the_commit_date(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Printer offline",
        "--from-ticket",
        "SUP-1",
        "--body-file",
        "-",
        input="Old.\n",
    )
    r = run_at(
        cli,
        "2026-10-09T09:00:00+03:00",
        "kb",
        "edit",
        "printer-offline",
        "--title",
        "Printer is offline",
        "--tag",
        "printer",
        "--tag",
        "pos",
        "--body-file",
        "-",
        input="New text.\n",
    )
    assert r.stdout == "KB: edit printer-offline (title, tags, body)\n"
    assert changed(desk) == ["data/kb/printer-offline.md"]
    assert trailers(desk) == ["Action: kb-edit", "Kb: printer-offline"]
    text = (desk / "data/kb/printer-offline.md").read_text(encoding="utf-8")
    assert text == (
        "---\ntitle: Printer is offline\ntags: [printer, pos]\nproducts: []\ncustomers: [acme]\n"
        "tickets: [SUP-1]\nupdated: 2026-10-09\n---\n\nNew text.\n"
    )
    r = cli("kb", "edit", "printer-offline", "--title", "Printer is offline")
    assert r.exit_code == 6
    assert r.stderr == "supportctl: error: KB article printer-offline: nothing changed\n"
    r = cli("kb", "edit", "printer-offline")
    assert r.exit_code == 2
    assert r.stderr == (
        "supportctl: error: nothing to edit: give --title, --tag or --body-file (or set $EDITOR)\n"
    )
    assert cli("kb", "edit", "nope", "--title", "x").exit_code == 5


def test_edit_in_the_editor_keeps_tickets_managed(
    desk: Path, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Printer offline",
        "--from-ticket",
        "SUP-1",
        "--body-file",
        "-",
        input="Old.\n",
    )
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "t = p.read_text(encoding='utf-8')\n"
        "t = t.replace('Old.', 'Новый текст.').replace('tickets: [SUP-1]', 'tickets: [SUP-9]')\n"
        "t = t.replace('products: []', 'products: []  # none yet\\nowner: boris')\n"
        "p.write_text(t, encoding='utf-8')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.setattr("supportctl.cli.kb._interactive", lambda: True)
    r = run_at(cli, "2026-10-09T09:00:00+03:00", "kb", "edit", "printer-offline")
    assert r.stdout == "KB: edit printer-offline (body)\n"
    text = (desk / "data/kb/printer-offline.md").read_text(encoding="utf-8")
    assert "Новый текст." in text
    assert "updated: 2026-10-09\n" in text
    assert "tickets: [SUP-1]\n" in text  # the hand edit of `tickets:` is not taken
    assert "products: []  # none yet\nowner: boris\n" in text  # what the author added stays


def test_new_in_the_editor_and_a_broken_edit_keeps_the_text(
    desk: Path, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text(encoding='utf-8').replace('tags: []', 'tags: [a, b'), encoding='utf-8')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.setattr("supportctl.cli.kb._interactive", lambda: True)
    before = commits(desk)
    r = cli("kb", "new", "Printer offline")
    assert r.exit_code == 7
    assert "invalid YAML" in r.stderr
    assert "(your text is kept in " in r.stderr
    kept = r.stderr.rsplit("(your text is kept in ", 1)[1].rstrip(")\n")
    assert "tags: [a, b" in Path(kept).read_text(encoding="utf-8")
    assert commits(desk) == before
    editor.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text(encoding='utf-8') + 'Typed in the editor.\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    run_at(cli, WHEN, "kb", "new", "Printer offline")
    assert "Typed in the editor." in (desk / "data/kb/printer-offline.md").read_text(
        encoding="utf-8"
    )


def test_link_both_ways_in_one_commit(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Printer offline", "--body-file", "-", input="Restart.\n")
    before = commits(desk)
    r = run_at(cli, WHEN, "kb", "link", "SUP-1", "printer-offline")
    assert r.stdout == "SUP-1: link KB article printer-offline\n"
    assert commits(desk) == before + 1
    assert sorted(changed(desk)) == ["data/kb/printer-offline.md", TICKET]
    assert trailers(desk) == ["Ticket: SUP-1", "Action: kb-link", "Kb: printer-offline"]
    assert "tickets: [SUP-1]\n" in (desk / "data/kb/printer-offline.md").read_text()
    assert "updated: 2026-10-07\n" in (desk / "data/kb/printer-offline.md").read_text()
    assert "\nkb: printer-offline\n" in (desk / TICKET).read_text(encoding="utf-8")
    r = cli("kb", "link", "SUP-1", "printer-offline")
    assert r.exit_code == 6
    assert (
        r.stderr == "supportctl: error: SUP-1 and KB article printer-offline are already linked\n"
    )


def test_resolve_kb_links_both_ways_in_one_commit(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Printer offline")
    run_at(cli, WHEN, "reopen", "SUP-1", "--reason", "again")
    run_at(cli, WHEN, "resolve", "SUP-1", "--resolution", "port", "--kb", "printer-offline")
    assert sorted(changed(desk)) == ["data/kb/printer-offline.md", TICKET]
    assert "tickets: [SUP-1]" in (desk / "data/kb/printer-offline.md").read_text(encoding="utf-8")
    assert cli("kb", "link", "SUP-1", "printer-offline").exit_code == 6  # already linked


def test_link_errors(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, WHEN, "kb", "new", "Printer offline")
    run_at(cli, WHEN, "kb", "new", "Scanner offline")
    assert cli("kb", "link", "SUP-1", "nope").exit_code == 5
    assert cli("kb", "link", "SUP-7", "printer-offline").exit_code == 5
    run_at(cli, WHEN, "kb", "link", "SUP-1", "printer-offline")
    r = cli("kb", "link", "SUP-1", "scanner-offline")
    assert r.exit_code == 6
    run_at(cli, WHEN, "kb", "link", "SUP-1", "scanner-offline", "--replace")
    assert sorted(changed(desk)) == [
        "data/kb/printer-offline.md",
        "data/kb/scanner-offline.md",
        TICKET,
    ]


def test_new_ticket_suggestions(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli, WHEN, "kb", "new", "Касса не печатает чеки после обновления", "--from-ticket", "SUP-1"
    )
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "VPN drops every ten minutes",
        "--body-file",
        "-",
        input="Reconnect.\n",
    )
    r = cli(
        "new",
        "Не печатается чек",
        "-c",
        "globex",
        "-t",
        "incident",
        "-p",
        "high",
        "-d",
        "Касса: нет связи с ККТ",
        "--json",
    )
    assert r.exit_code == 0, r.output
    suggestions = json.loads(r.stdout)["suggestions"]
    assert [s["slug"] for s in suggestions] == [SLUG]
    assert set(suggestions[0]) == {"slug", "title", "score", "snippet"}
    assert suggestions[0]["score"] > 0
    r = cli("new", "Не печатается чек", "-c", "globex", "-t", "incident", "-p", "high")
    assert r.stdout == "SUP-3\n"
    assert (
        r.stderr
        == f"supportctl: KB articles that may answer it:\nsupportctl:   {SLUG}: Касса не печатает чеки после обновления\n"
    )


def test_new_ticket_with_an_empty_kb_has_no_suggestions(support_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("new", "Printer", "-c", "acme", "-t", "incident", "-p", "low", "--json")
    assert r.exit_code == 0
    assert r.stderr == ""
    assert json.loads(r.stdout)["suggestions"] == []


def test_every_kb_command_has_help_with_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    for name in ("new", "show", "list", "edit", "link", "search"):
        r = cli("kb", name, "--help")
        assert r.exit_code == 0
        assert "Example: supportctl kb " + name in " ".join(r.stdout.split())


def test_installed_entry_point_searches(desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(
        cli,
        WHEN,
        "kb",
        "new",
        "Printer offline",
        "--body-file",
        "-",
        input="Restart the printer.\n",
    )
    exe = Path(sys.executable).with_name("supportctl")
    if not exe.exists():
        pytest.skip("entry point not installed")
    r = subprocess.run(
        [str(exe), "kb", "search", "printers", "--json"],
        cwd=desk,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["slug"] == "printer-offline"


def test_kb_new_takes_a_piped_body_and_opens_no_editor_without_a_terminal(  # type: ignore[no-untyped-def]
    support_repo: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportctl.cli import kb as kb_cli

    monkeypatch.setenv("EDITOR", "false")  # would fail the command if it were ever run
    assert kb_cli._interactive() is False  # stdin is not a terminal here
    r = cli("kb", "new", "Piped article", input="## Problem\n\nFrom a pipe, не с терминала.\n")
    assert r.exit_code == 0, r.stderr
    text = (support_repo / "data/kb/piped-article.md").read_text(encoding="utf-8")
    assert "From a pipe, не с терминала." in text
