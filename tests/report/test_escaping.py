"""Every value in every format is escaped: text from the configuration or from a hand-made
commit never becomes an image, a link or a tag in a report (JSON keeps the raw text: data)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import markdown
import pytest

from tests.helpers import CONFIG, at, git, run_at

if TYPE_CHECKING:
    from pathlib import Path

PIXEL = "<img src=https://t.example/{}.gif>"
IMAGE = "![x](https://t.example/{}.gif)"
NOW = "2026-11-15T12:00:00+03:00"


def hostile(where: str) -> str:
    return f"{PIXEL.format(where)} {IMAGE.format(where)}"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _loads(html: str) -> list[str]:
    """An independent look at the HTML: any tag that names something to fetch."""
    return re.findall(
        r"<img\b|<[^>]*\b(?:src|srcset|background|poster)\s*=|url\(\s*['\"]?https?:",
        html,
        re.IGNORECASE,
    )


def _check(text: str, fmt: str) -> None:
    if fmt == "json":
        json.loads(text)
        return
    if fmt == "md":
        assert "<img" not in text.lower(), text
        assert not re.search(r"(?<!\\)\]\(", text), text
        text = markdown.markdown(text, extensions=["tables"])  # what a Markdown viewer makes of it
    assert not _loads(text), _loads(text)


@pytest.fixture
def hostile_desk(support_repo: Path, cli) -> Path:  # type: ignore[no-untyped-def]
    config = (
        CONFIG.replace(
            "lines: [L1, L2, L3, L4]", f"lines: [L1, L2, {_quoted('L3 ' + hostile('line'))}]"
        )
        .replace("name: ACME LLC", f"name: {_quoted(hostile('customer'))}")
        .replace("currency: RUB", f"currency: {_quoted(hostile('currency'))}")
        .replace("name: Anna Smirnova", f"name: {_quoted(hostile('agent'))}")
    )
    (support_repo / "supportctl.yaml").write_text(config, encoding="utf-8")
    git(support_repo, "commit", "-qam", "Hostile configuration")
    run_at(
        cli,
        "2026-10-05T10:00:00+03:00",
        "new",
        hostile("title"),
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
        "--class",
        hostile("class")[:60],
        "--tag",
        "pixel",
    )
    run_at(cli, "2026-10-05T11:00:00+03:00", "escalate", "SUP-1", "--reason", "needs L2")
    run_at(cli, "2026-10-05T11:05:00+03:00", "escalate", "SUP-1", "--reason", hostile("reason"))
    run_at(cli, "2026-10-05T12:00:00+03:00", "log", "SUP-1", "--time", "12h", "--on", "2026-10-05")
    run_at(
        cli,
        "2026-10-06T10:00:00+03:00",
        "new",
        "Second",
        "--customer",
        "acme",
        "--type",
        "incident",
        "--priority",
        "high",
        "--tag",
        "pixel",
    )
    return support_repo


@pytest.mark.parametrize("customer", [None, "acme"])
def test_config_and_ticket_text_never_loads_anything(
    hostile_desk: Path, cli, customer: str | None
) -> None:  # type: ignore[no-untyped-def]
    args = ("--customer", customer) if customer else ()
    for fmt in ("md", "html", "json"):
        r = cli("report", "--month", "2026-10", "--now", NOW, "--format", fmt, *args)
        assert r.exit_code == 0, r.output
        _check(r.stdout, fmt)
    model = json.loads(
        cli("report", "--month", "2026-10", "--now", NOW, "--format", "json", *args).stdout
    )
    assert model["tickets"][0]["title"] == hostile("title")  # JSON keeps the raw text
    acme = model["time"]["customers"][0]
    assert acme["currency"] == hostile("currency")
    assert acme["overage_hours"] == 2.0


def test_hand_committed_fields_never_load_anything(hostile_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = hostile_desk / "data/tickets/0000/SUP-2.yaml"
    clean = path.read_text(encoding="utf-8")

    def commit(text: str, day: int) -> None:
        path.write_text(text, encoding="utf-8")
        when = f"2026-10-{day:02d}T10:00:00+03:00"
        git(
            hostile_desk,
            "commit",
            "-qam",
            "Edit by hand",
            env=at(when),
        )

    # Free text (a tag, the name of a KB article) never loads anything.
    text = re.sub(r"(?m)^tags:\n- pixel$", f"tags:\n- {_quoted(hostile('tag'))}", clean)
    commit(text + f"kb: {_quoted(hostile('kb'))}\n", 7)
    for fmt in ("md", "html", "json"):
        r = cli("report", "--month", "2026-10", "--now", NOW, "--format", fmt)
        assert r.exit_code == 0, r.output
        _check(r.stdout, fmt)
    # A value outside its list stops the report before it prints anything (exit 7, pointing
    # to `validate`): it never reaches a page.
    for day, field in enumerate(("status", "priority", "type", "line", "channel"), start=8):
        commit(re.sub(rf"(?m)^{field}: .*$", f"{field}: {_quoted(hostile(field))}", clean), day)
        for fmt in ("md", "html", "json"):
            r = cli("report", "--month", "2026-10", "--now", NOW, "--format", fmt)
            assert (r.exit_code, r.stdout) == (7, ""), (field, r.output)
            assert f"invalid {field} " in r.stderr
            assert "run supportctl validate" in r.stderr
    # An `id` that is not the file's name is the file's ticket (validate flags it); escaped.
    commit(re.sub(r"(?m)^id: .*$", f"id: {_quoted(hostile('id'))}", clean), 14)
    for fmt in ("md", "html", "json"):
        r = cli("report", "--month", "2026-10", "--now", NOW, "--format", fmt)
        assert r.exit_code == 0, r.output
        _check(r.stdout, fmt)


def test_devtask_escapes_every_value(hostile_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run_at(cli, "2026-10-07T10:00:00+03:00", "comment", "SUP-1", hostile("comment"))
    r = cli("devtask", "SUP-1", "--now", NOW)
    assert r.exit_code == 0, r.output
    _check(r.stdout, "md")
    assert (
        "> &lt;img src=https://t.example/comment.gif&gt; !\\[x\\](https://t.example/comment.gif)"
        in r.stdout
    )
