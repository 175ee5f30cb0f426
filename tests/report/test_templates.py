"""Templates from the repo: rendered in a sandbox, read from the commit, links not followed out
of the repo, and an HTML page that loads nothing from outside itself."""

from __future__ import annotations

import os
import re
import resource
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import commit_file, git

if TYPE_CHECKING:
    from pathlib import Path

MONTH = ("report", "--month", "2026-10", "--now", "2026-11-15T12:00:00+03:00")
RUNS = {
    "report.md.j2": MONTH,
    "report.html.j2": (*MONTH, "--format", "html"),
    "devtask.md.j2": ("devtask", "SUP-2", "--now", "2026-11-15T12:00:00+03:00"),
}
EXPLOITS = [
    (
        '{{ cycler.__init__.__globals__.os.popen("touch MARK").read() }}',
        "access to attribute '__init__' of 'type' object is unsafe.",
    ),
    (
        '{{ lipsum.__globals__["os"].system("touch MARK") }}',
        "access to attribute '__globals__' of 'function' object is unsafe.",
    ),
    (
        "{{ joiner.__init__.__globals__.os.system('touch MARK') }}",
        "access to attribute '__init__' of 'type' object is unsafe.",
    ),
    (
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% endfor %}",
        "access to attribute '__class__' of 'str' object is unsafe.",
    ),
]


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize(("exploit", "why"), EXPLOITS)
def test_a_template_cannot_run_code(
    october_desk: Path,
    cli,
    tmp_path: Path,
    name: str,  # type: ignore[no-untyped-def]
    exploit: str,
    why: str,
) -> None:
    mark = tmp_path / "pwned"
    commit_file(
        october_desk,
        f"templates/{name}",
        exploit.replace("MARK", str(mark)) + "\n",
        "A teammate's template",
    )
    r = cli(*RUNS[name])
    assert not mark.exists()  # `touch` never ran
    assert r.exit_code == 4
    assert r.stderr == (
        f"supportctl: error: templates/{name}: template refused: {why} "
        "(templates run in a sandbox)\n"
    )
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # memory or time of the machine making the report (CI included): refused
        (
            "{{ 'a' * 10**9 }}",
            (
                "template refused: a repetition longer than 1,000,000 items "
                "(templates run in a sandbox)"
            ),
        ),
        (
            "{{ 10**9 * [1] }}",
            (
                "template refused: a repetition longer than 1,000,000 items "
                "(templates run in a sandbox)"
            ),
        ),
        (
            "{{ 9 ** (9 ** 9) }}",
            ("template refused: a power larger than 100,000 bits (templates run in a sandbox)"),
        ),
        (
            "{% set a = 'x' * 600000 %}{{ (a + a) | length }}",
            ("template refused: a sum longer than 1,000,000 items (templates run in a sandbox)"),
        ),
        (
            "{{ '%100000000s' % 'x' }}",
            ("template refused: a format width past 1,000,000 (templates run in a sandbox)"),
        ),
        (
            "{{ 'x' | center(50000000) }}",
            ("template refused: `center` past 1,000,000 characters (templates run in a sandbox)"),
        ),
        (
            "{{ '%s' | format('x') }}{{ '{:>99999999}' | format('x') }}",
            ("template refused: a format width past 1,000,000 (templates run in a sandbox)"),
        ),
        # a template's own failure is one line naming the file, not a traceback
        (
            "{% for i in range(10**9) %}{% endfor %}",
            (
                "template error: OverflowError: Range too big. "
                "The sandbox blocks ranges larger than MAX_RANGE (100000)."
            ),
        ),
        ("{{ 1 / 0 }}", "template error: ZeroDivisionError: division by zero"),
    ],
)
@pytest.mark.parametrize("name", ["report.md.j2", "devtask.md.j2"])
def test_a_template_that_runs_away_or_fails_is_one_line(
    october_desk: Path,
    cli,
    name: str,  # type: ignore[no-untyped-def]
    body: str,
    message: str,
) -> None:
    commit_file(october_desk, f"templates/{name}", body + "\n", "A teammate's template")
    r = cli(*RUNS[name])
    assert (r.exit_code, r.stdout) == (4, "")
    assert r.stderr == f"supportctl: error: templates/{name}: {message}\n"


def test_a_template_may_still_multiply(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    commit_file(
        october_desk,
        "templates/report.md.j2",
        "{{ '-' * 3 }} {{ 2 ** 10 }} {{ 6 * 7 }} {{ 'a' + 'b' }} {{ 7 % 4 }} "
        "{{ '%5s.' % 'x' }}{{ 'y' | center(3) }}.\n",
    )
    r = cli(*MONTH)
    assert (r.exit_code, r.stdout) == (0, "--- 1024 42 ab 3     x. y .\n")


def test_a_template_cannot_change_the_model(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    commit_file(
        october_desk,
        "templates/report.md.j2",
        "{{ r.summary.update({'created': 99}) }}{{ r.summary.created }}\n",
    )
    r = cli(*MONTH)
    assert r.exit_code == 4
    assert r.stderr.startswith("supportctl: error: templates/report.md.j2: template refused: ")


@pytest.mark.parametrize("relative", [False, True])
def test_a_linked_template_is_not_followed_out_of_the_repo(
    october_desk: Path,
    cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    relative: bool,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET\n", encoding="utf-8")
    (october_desk / "templates").mkdir()
    link = october_desk / "templates" / "report.md.j2"
    link.symlink_to(os.path.relpath(secret, link.parent) if relative else secret)
    git(october_desk, "add", "templates")
    git(october_desk, "commit", "-qm", "Link a template")
    r = cli(*MONTH)
    assert "TOP-SECRET" not in r.output
    assert r.exit_code == 4
    assert r.stderr == (
        "supportctl: error: templates/report.md.j2: a symbolic link out of the repo; templates are "
        "read from the commit and a link is followed only inside it (commit the template file "
        "itself)\n"
    )


def test_a_linked_templates_folder_is_not_followed_out_of_the_repo(
    october_desk: Path,
    cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "report.md.j2").write_text("TOP-SECRET {{ r.summary.created }}\n", encoding="utf-8")
    (october_desk / "templates").symlink_to(outside)
    git(october_desk, "add", "templates")
    git(october_desk, "commit", "-qm", "Link the templates")
    r = cli(*MONTH)
    assert "TOP-SECRET" not in r.output
    assert r.exit_code == 4
    assert r.stderr.startswith("supportctl: error: templates: a symbolic link out of the repo;")


def test_a_link_inside_the_commit_is_read_from_the_commit(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # like this project's own checkout: templates -> supportctl/templates
    commit_file(october_desk, "shared/report.md.j2", "Shared {{ r.summary.created }}\n")
    (october_desk / "templates").symlink_to("shared")
    git(october_desk, "add", "templates")
    git(october_desk, "commit", "-qm", "Link the templates")
    (october_desk / "shared" / "report.md.j2").write_text("Uncommitted\n", encoding="utf-8")
    r = cli(*MONTH)
    assert r.exit_code == 0, r.output
    assert r.stdout == "Shared 3\n"


def test_an_uncommitted_template_is_not_used(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    commit_file(october_desk, "templates/report.md.j2", "Committed {{ r.summary.created }}\n")
    (october_desk / "templates" / "report.md.j2").write_text("Edited\n", encoding="utf-8")
    r = cli(*MONTH)
    assert r.exit_code == 0
    assert r.stdout == "Committed 3\n"
    assert r.stderr == (
        "supportctl: templates/report.md.j2 has uncommitted changes: "
        "the report uses the committed version\n"
    )


@pytest.mark.parametrize(
    "page",
    [
        '<img src="https://t.example/p.gif">{{ body_head }}{{ body_rest }}',
        '<link rel="stylesheet" href="https://t.example/s.css">{{ body_head }}',
        "<style>@import 'https://t.example/s.css';</style>{{ body_head }}",
        '<div style="background: url(https://t.example/p.gif)">{{ body_head }}</div>',
        '<script src="https://t.example/a.js"></script>',
        "<style>body{background:\\75 rl(https://t.example/p.gif)}</style>{{ body_head }}",
        "<style>@\\69mport 'https://t.example/s.css';</style>{{ body_head }}",
    ],
)
def test_an_html_template_that_loads_from_outside_is_refused(
    october_desk: Path, cli, page: str
) -> None:  # type: ignore[no-untyped-def]
    commit_file(october_desk, "templates/report.html.j2", page + "\n")
    r = cli(*MONTH, "--format", "html")
    assert r.exit_code == 4
    assert r.stdout == ""
    assert r.stderr.startswith(
        "supportctl: error: templates/report.html.j2: the page would load or run "
    )
    assert r.stderr.endswith("; an HTML report must be self-contained\n")
    assert r.stderr.count("\n") == 1


def test_the_sanitiser_keeps_no_image_and_no_remote_load(october_desk: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # Markdown written into a template (not data) still passes the nh3 fence on its way to HTML
    commit_file(
        october_desk,
        "templates/report.md.j2",
        '# R\n\n![x](https://t.example/a.gif) <img src="https://t.example/b.gif">\n'
        '<link rel="stylesheet" href="https://t.example/s.css"> '
        '<video poster="https://t.example/p.gif"></video> [a link](https://example.com/)\n',
    )
    r = cli(*MONTH, "--format", "html")
    assert r.exit_code == 0, r.output
    for load in ("<img", "t.example", "<link", "poster", "<video"):
        assert load not in r.stdout, load
    assert '<a href="https://example.com/" rel="noopener noreferrer">a link</a>' in r.stdout


def test_a_template_that_loops_for_hours_is_stopped(
    october_desk: Path,
    cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from supportctl.storage import templates as templating

    monkeypatch.setattr(templating, "RENDER_SECONDS", 0.5)
    commit_file(
        october_desk,
        "templates/report.md.j2",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    r = cli(*MONTH)
    assert (r.exit_code, r.stdout) == (4, "")
    assert r.stderr == (
        "supportctl: error: templates/report.md.j2: template refused: rendering took "
        "longer than 0.5 s (templates run in a sandbox)\n"
    )


def test_a_template_that_takes_the_memory_is_stopped(
    october_desk: Path,
    cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from supportctl.storage import templates as templating

    monkeypatch.setattr(templating, "RENDER_MEMORY", 256 << 20)
    limit = resource.getrlimit(resource.RLIMIT_AS)
    doubling = "".join(f"{{% set s{i + 1} = s{i} ~ s{i} %}}" for i in range(10))
    commit_file(
        october_desk,
        "templates/report.md.j2",
        "{% set s0 = 'x' * 1000000 %}" + doubling + "{{ s10 | length }}\n",
    )
    r = cli(*MONTH)
    assert (r.exit_code, r.stdout) == (4, "")
    assert r.stderr == (
        "supportctl: error: templates/report.md.j2: template refused: rendering needed "
        "more than 256 MiB (templates run in a sandbox)\n"
    )
    assert resource.getrlimit(resource.RLIMIT_AS) == limit  # lifted again


# -- a long text reworked a part at a time -------------------------------------------------
_TEXT = st.text(alphabet=st.sampled_from(["\n", "\n", "\n", " ", "\t", "a", "é", "\u2014"]))


@settings(max_examples=500, deadline=None)
@given(text=_TEXT, cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_tidied_parts_give_the_text_tidied_whole(text: str, cuts: list[int]) -> None:
    from supportctl.report.render import tidied

    points = sorted({min(c, len(text)) for c in cuts})
    parts = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert tidied(parts) == re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
    assert parts == []  # each part let go of once it is done
