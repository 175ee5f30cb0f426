"""Hostile and broken input: random text, random bytes, path tricks, YAML bombs.

Every failure must be a clean error: a documented exit code, one line on stderr, no
traceback; every success must round-trip what the user typed after the documented
normalisation.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supportctl
from supportctl.ops.init import init_repo
from tests.helpers import CONFIG, Cli, git

if TYPE_CHECKING:
    from collections.abc import Iterator

CLEAN_EXITS = {2, 5, 6, 7, 8}
NOW = "2026-10-30T12:00:00+03:00"
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def make_desk(parent: Path) -> Path:
    """A support repo for one hypothesis test function (fixtures would be reset per example)."""
    root = Path(tempfile.mkdtemp(dir=parent, prefix="desk-"))
    init_repo(root)
    (root / "supportctl.yaml").write_text(CONFIG, encoding="utf-8")
    git(root, "add", "supportctl.yaml")
    git(root, "commit", "-qm", "Test configuration")
    return root


def call(cli: Cli, root: Path, *args: str, input: str | bytes | None = None) -> Any:
    r = cli(*args, input=input, env={"SUPPORTCTL_REPO": str(root)})
    if r.exit_code != 0:
        assert r.exit_code in CLEAN_EXITS, (args, r.exit_code, r.stderr)
        assert r.stderr.count("\n") == 1, (args, r.stderr)
        assert r.stderr.startswith("supportctl: error: "), (args, r.stderr)
        assert "Traceback" not in r.stderr, (args, r.stdout)
        assert r.stdout == "", (args, r.stdout)
    return r


# -- the documented normalisation, written out independently of supportctl.domain.ticket ---------------
def _is_control(c: str) -> bool:
    return unicodedata.category(c) == "Cc"


def expected_text(raw: str) -> str | None:
    """Comments: CRLF and lone CR become LF, newlines and tabs stay, other control characters
    go, trailing whitespace is stripped. None: refused (NUL, lone surrogates, too long)."""
    if "\x00" in raw or any(0xD800 <= ord(c) <= 0xDFFF for c in raw) or len(raw) > 64 * 1024:
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or not _is_control(c)).rstrip()
    return text or None


def expected_title(raw: str) -> str | None:
    """Titles: one line; control (and other category C) characters become spaces and runs of
    whitespace collapse. None: refused (a line break, empty, NUL, lone surrogates, longer
    than 200)."""
    if any(
        b in raw
        for b in ("\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
    ):
        return None
    if "\x00" in raw or any(0xD800 <= ord(c) <= 0xDFFF for c in raw) or len(raw) > 64 * 1024:
        return None
    one = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in raw).split())
    return one if one and len(one) <= 200 else None


YAML_BITS = [
    ": ",
    "- ",
    "# ",
    "&anchor ",
    "*anchor",
    "!!python/object ",
    "| ",
    "> ",
    "'",
    '"',
    "%YAML 1.1",
    "@",
    "`",
    "---",
    "...",
    "? ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\\",
    "~",
    "null",
    "yes",
    "0x1F",
    "1e3",
    "<<: *a",
    "id: SUP-1",
    "Action: close",
    "\n---\n",
    "\n- x\n",
    "  ",
]
CONTROL = [
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\ufffe",
    "\uffff",
    "\ue000",
    "\x00",
]
WORDS = [
    "Принтер",
    "не печатает",
    "ёжик",
    "Україна",
    "ñandú",
    "日本語",
    "😀",
    "e\u0301",
    "ß",
    " ",
    "x",
]

text_pieces = st.one_of(
    st.sampled_from(YAML_BITS),
    st.sampled_from(CONTROL),
    st.sampled_from(WORDS),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.text(st.characters(min_codepoint=0x400, max_codepoint=0x4FF), max_size=12),  # Cyrillic
)
hostile_text = st.one_of(
    st.lists(text_pieces, max_size=25).map("".join),
    st.tuples(st.sampled_from(WORDS + YAML_BITS), st.integers(10, 30_000)).map(
        lambda t: t[0] * t[1]
    ),
)


def _shown(text: str, expected: str) -> bool:
    # a multi-line text is stored as a YAML literal block, which ends with one newline
    return text == expected or ("\n" in expected and text == expected + "\n")


@SETTINGS
@given(title=hostile_text, body=hostile_text)
def test_random_text_round_trips_or_is_refused(
    tmp_path_factory: pytest.TempPathFactory, title: str, body: str
) -> None:
    root = _desk(tmp_path_factory, "text")
    cli = Cli()
    r = call(cli, root, "new", "-c", "acme", "-t", "incident", "-p", "low", "--json", "--", title)
    want_title = expected_title(title)
    if want_title is None:
        assert r.exit_code == 2
        return
    assert r.exit_code == 0, r.stderr
    tid = json.loads(r.stdout)["id"]
    r = call(cli, root, "comment", tid, "--", body)
    want_body = expected_text(body)
    assert (r.exit_code == 0) == (want_body is not None), (r.exit_code, r.stderr)

    shown = json.loads(call(cli, root, "show", tid, "--json").stdout)
    assert shown["title"] == want_title
    if want_body is not None:
        assert _shown(shown["comments"][-1]["text"], want_body), (
            shown["comments"][-1]["text"],
            want_body,
        )
    report = json.loads(
        call(cli, root, "report", "--month", "2026-10", "--format", "json", "--now", NOW).stdout
    )
    assert {t["id"]: t["title"] for t in report["tickets"]}[tid] == want_title
    subject = git(root, "log", "-1", "--format=%B")
    assert subject.count("\nTicket: ") == 1
    assert "\nAction: close" not in subject


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_random_bytes_on_stdin_are_kept_or_refused(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    root = _desk(tmp_path_factory, "bytes")
    cli = Cli()
    if not (root / "data/tickets/0000/SUP-1.yaml").exists():
        assert (
            call(
                cli, root, "new", "Stdin target", "-c", "acme", "-t", "incident", "-p", "low"
            ).exit_code
            == 0
        )
    r = call(cli, root, "comment", "SUP-1", "--file", "-", input=data)
    try:
        want = None if b"\x00" in data else expected_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        want = None
    assert (r.exit_code == 0) == (want is not None), (data, r.exit_code, r.stderr)
    if want is not None:
        last = json.loads(call(cli, root, "show", "SUP-1", "--json").stdout)["comments"][-1]["text"]
        assert _shown(last, want)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "../x",
                "/etc/passwd",
                "SUP-1/../../x",
                "SUP-1\x00",
                "SUP-0",
                "SUP-01",
                "sup-1",
                " 1 ",
                "SUP-99999",
            ]
        ),
    )
)
def test_random_ids_are_clean_errors(tmp_path_factory: pytest.TempPathFactory, raw: str) -> None:
    root = _desk(tmp_path_factory, "ids")
    cli = Cli()
    if not (root / "data/tickets/0000/SUP-1.yaml").exists():
        assert (
            call(
                cli, root, "new", "Only ticket", "-c", "acme", "-t", "incident", "-p", "low"
            ).exit_code
            == 0
        )
    for args in (("show", "--", raw), ("sla", "show", "--", raw), ("comment", "--", raw, "hi")):
        r = call(cli, root, *args)
        if r.exit_code == 0:
            assert raw.strip().upper().removeprefix("SUP-") == "1"


_DESKS: dict[str, Path] = {}


def _desk(factory: pytest.TempPathFactory, name: str) -> Path:
    # one repo per test function, made on its first example; the env (HOME, identity) is the
    # conftest's, set once per test function
    key = f"{name}:{os.environ['HOME']}"
    if key not in _DESKS:
        _DESKS[key] = make_desk(factory.mktemp(name))
    return _DESKS[key]


def test_title_control_characters_become_spaces(support_repo: Path, cli: Cli) -> None:
    r = cli(
        "new",
        "Printer\x1bbroken\x7fnow\tagain",
        "-c",
        "acme",
        "-t",
        "incident",
        "-p",
        "low",
        "--json",
    )
    assert json.loads(r.stdout)["ticket"]["title"] == "Printer broken now again"
    r = cli("new", "Printer\x0bbroken\rnow", "-c", "acme", "-t", "incident", "-p", "low")
    assert (r.exit_code, r.stderr) == (
        2,
        "supportctl: error: title must be one line (it contains a line break)\n",
    )


# -- path tricks ----------------------------------------------------------------------------
def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` but git's own bookkeeping (.git/index, caches), with size and mtime."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


TRICKS = [
    "../x",
    "/etc/passwd",
    "SUP-1/../../x",
    "SUP-1\x00",
    "SUP-1\x00../x",
    "..",
    "~/x",
    "$(touch pwned)",
    "`touch pwned`; x",
    "SUP-1\nSUP-2",
    "SUP-" + "9" * 30,
    "data/tickets/0000/SUP-1",
]


def test_ids_and_slugs_with_path_tricks_touch_nothing(
    tmp_path: Path, support_repo: Path, cli: Cli
) -> None:
    assert cli("new", "Target", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    (tmp_path / "x").write_text("sentinel\n")
    before, head = _tree(tmp_path), git(support_repo, "rev-parse", "HEAD")
    for bad in TRICKS:
        for args in (
            ("show", bad),
            ("comment", bad, "hi"),
            ("log", bad, "-m", "5"),
            ("start", bad),
            ("escalate", bad, "--reason", "r"),
            ("tag", bad, "t"),
            ("edit", bad, "--title", "t"),
            ("link", "SUP-1", "--related", bad),
            ("sla", "show", bad),
            ("resolve", "SUP-1", "--resolution", "done", "--kb", bad),
        ):
            r = cli(*args)
            assert r.exit_code in (2, 5), (args, r.exit_code, r.stderr)
            assert r.stderr.count("\n") == 1, (args, r.stderr)
            assert "Traceback" not in r.stderr, (args, r.stderr)
    assert _tree(tmp_path) == before
    assert git(support_repo, "rev-parse", "HEAD") == head
    assert not list(tmp_path.rglob("pwned"))


def test_no_shell_runs_user_text() -> None:
    package = Path(supportctl.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in (
                    "os.system",
                    "os.popen",
                    "subprocess.getoutput",
                    "subprocess.getstatusoutput",
                    "pty.spawn",
                    "eval",
                    "exec",
                ) or name.startswith(("os.exec", "os.spawn")):
                    found.append(f"{path.name}:{node.lineno}: {name}")
                for kw in node.keywords:
                    if kw.arg == "shell" and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False
                    ):
                        found.append(f"{path.name}:{node.lineno}: shell={ast.unparse(kw.value)}")
    assert found == []
    text = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    assert "shell=True" not in text
    assert "os.system(" not in text


# -- YAML resource exhaustion -----------------------------------------------------------------------
BOMB = """\
id: SUP-2
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
title: *i
"""


def test_yaml_bombs_are_skipped_reported_and_refused(support_repo: Path, cli: Cli) -> None:
    assert cli("new", "Honest ticket", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    shard = support_repo / "data/tickets/0000"
    hostile = {
        "SUP-2": BOMB,
        "SUP-3": "id: SUP-3\ntitle: " + "[" * 1000 + "]" * 1000 + "\n",
        "SUP-4": "id: SUP-4\ntitle: x\nnest:\n" + "- " * 1000 + "deep\n",
        "SUP-5": "id: SUP-5\ntitle: " + "A" * (50 * 1024 * 1024) + "\n",
    }
    for tid, text in hostile.items():
        (shard / f"{tid}.yaml").write_text(text, encoding="utf-8")
    git(support_repo, "add", "data")
    git(support_repo, "commit", "-qm", "Tickets imported by hand")

    timings: dict[str, float] = {}

    def timed(name: str, *args: str) -> Any:
        t0 = time.monotonic()
        r = cli(*args)
        timings[name] = round(time.monotonic() - t0, 2)
        assert "Traceback" not in r.stderr
        return r

    r = timed("list", "list", "--json")
    assert r.exit_code == 0
    assert [t["id"] for t in json.loads(r.stdout)] == ["SUP-1"]
    warnings = r.stderr.splitlines()
    assert len(warnings) == 4
    assert all(w.startswith("supportctl: skipped data/tickets/0000/SUP-") for w in warnings)
    assert "too many nodes" in warnings[0]
    assert "too large" in warnings[3]

    r = timed("validate", "validate")
    assert r.exit_code == 9
    for tid in hostile:
        assert f"data/tickets/0000/{tid}.yaml:" in r.stdout
    for tid in hostile:
        r = timed(f"show {tid}", "show", tid)
        assert r.exit_code == 7
        assert r.stderr.startswith(f"supportctl: error: data/tickets/0000/{tid}.yaml:")
        assert r.stderr.count("\n") == 1
        r = timed(f"comment {tid}", "comment", tid, "hello")
        assert r.exit_code == 7
        assert r.stderr.count("\n") == 1
    r = timed("sla status", "sla", "status", "--now", NOW)
    assert r.exit_code == 0, r.stderr
    r = timed("report", "report", "--month", "2026-10", "--format", "json", "--now", NOW)
    assert r.exit_code == 0, r.stderr
    assert [t["id"] for t in json.loads(r.stdout)["tickets"]] == ["SUP-1"]
    print("timings (s):", timings)  # measured, not asserted: see `pytest -s`


def test_hand_made_ticket_with_unprintable_text_stays_readable(
    support_repo: Path, cli: Cli
) -> None:
    """A comment holding characters YAML cannot carry literally (U+FFFE) must not break the file."""
    assert cli("new", "Odd bytes", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    r = cli("comment", "SUP-1", "line one \ufffe\nline two")
    assert r.exit_code == 0, r.stderr
    shown = json.loads(cli("show", "SUP-1", "--json").stdout)
    assert shown["comments"][0]["text"] == "line one \ufffe\nline two"
    assert cli("validate").exit_code == 0
    assert git(support_repo, "status", "--porcelain") == ""


# -- report -o: a new private file beside the target, then a rename ----------------------------
def _files(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (symlinks as `-> target`, files as their text)."""
    found = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            found[rel] = f"-> {os.readlink(p)}"
        elif p.is_file() and ".git" not in p.relative_to(folder).parts:
            found[rel] = p.read_text(encoding="utf-8", errors="replace")
    return found


def test_report_output_never_writes_through_a_placed_symlink(
    tmp_path: Path, support_repo: Path, cli: Cli
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n", encoding="utf-8")
    reports = support_repo / "reports"
    reports.mkdir()
    # the name the old code wrote to, and the target itself, both pointing out of the folder
    (reports / ".r.md.tmp").symlink_to(victim)
    (reports / "linked.md").symlink_to(victim)
    for name in ("r.md", "linked.md"):
        r = cli("report", "--month", "2026-10", "--now", NOW, "-o", f"reports/{name}")
        assert (r.exit_code, r.stderr) == (0, f"supportctl: wrote reports/{name}\n")
        written = reports / name
        assert not written.is_symlink()
        assert written.read_text(encoding="utf-8").startswith("# ")
        assert oct(written.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert victim.read_text(encoding="utf-8") == "do not touch\n"
    # nothing else is left in the folder: no temporary file
    assert sorted(p.name for p in reports.iterdir()) == [".r.md.tmp", "linked.md", "r.md"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("", "--output is empty: give a file name"),
        ("data", "--output data is a folder: give a file name"),
        ("reports/", "--output reports/ is a folder: give a file name"),
    ],
)
def test_report_output_that_is_no_file_name_is_a_usage_error(
    tmp_path: Path, support_repo: Path, cli: Cli, output: str, message: str
) -> None:
    before = _files(tmp_path)
    r = cli("report", "--month", "2026-10", "--now", NOW, "-o", output)
    assert (r.exit_code, r.stderr, r.stdout) == (2, f"supportctl: error: {message}\n", "")
    assert _files(tmp_path) == before  # no report, no temporary file, in the repo or above it


def test_output_that_cannot_be_written_is_one_line_for_every_command(
    support_repo: Path, cli: Cli
) -> None:
    assert cli("new", "Printer", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    before = _files(support_repo)
    for args in (
        ("report", "--month", "2026-10", "--now", NOW),
        ("backlog",),
        ("devtask", "SUP-1", "--now", NOW),
    ):
        r = cli(*args, "-o", "supportctl.yaml/out.md")  # a file where a folder should be
        assert (r.exit_code, r.stderr) == (
            2,
            "supportctl: error: cannot write --output supportctl.yaml/out.md: File exists\n",
        ), args
        r = cli(*args, "-o", "")
        assert (r.exit_code, r.stderr) == (
            2,
            "supportctl: error: --output is empty: give a file name\n",
        )
    assert _files(support_repo) == before


def test_report_output_into_an_unwritable_folder_is_one_line(support_repo: Path, cli: Cli) -> None:
    locked = support_repo / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        r = cli("report", "--month", "2026-10", "--now", NOW, "-o", "locked/r.md")
        assert (r.exit_code, r.stderr) == (
            2,
            ("supportctl: error: cannot write --output locked/r.md: Permission denied\n"),
        )
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


# -- terminal escapes in committed text ----------------------------------------------------------
ESCAPES = ("\x1b", "\x07", "\x9b", "\x9d", "\r")


def _commit_hostile_text(root: Path, cli: Cli) -> None:
    """SUP-1 as a teammate might commit it by hand: YAML escapes put ESC, BEL and C1 in the text."""
    assert cli("new", "Printer broken", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    assert cli("comment", "SUP-1", "placeholder").exit_code == 0
    path = root / "data/tickets/0000/SUP-1.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "title: Printer broken", 'title: "Printer \\e]0;owned\\a broken \\e[2J\\x9b31m"'
    )
    text = text.replace(
        "text: placeholder", 'text: "line one \\e]52;c;cm0gLXJmIH4=\\a\\rfake\\nline two \\x9d"'
    )
    path.write_text(text, encoding="utf-8")
    git(root, "commit", "-qam", "Tidy SUP-1 by hand")


def test_list_and_show_print_no_terminal_escapes(support_repo: Path, cli: Cli) -> None:
    _commit_hostile_text(support_repo, cli)
    for args in (("list",), ("show", "SUP-1")):
        r = cli(*args)
        assert r.exit_code == 0, r.stderr
        assert not any(c in r.stdout + r.stderr for c in ESCAPES), (args, r.stdout)
    shown = cli("show", "SUP-1").stdout.splitlines()
    assert shown[0] == "SUP-1: Printer \\x1b]0;owned\\x07 broken \\x1b[2J\\x9b31m"
    assert "line one \\x1b]52;c;cm0gLXJmIH4=\\x07\\x0dfake" in shown
    assert "line two \\x9d" in shown
    listed = cli("list").stdout.splitlines()
    assert listed[1].endswith("Printer \\x1b]0;owned\\x07 broken \\x1b[2J\\x9b31m")
    # the columns line up with what the terminal shows
    assert listed[0].index("TITLE") == listed[1].index("Printer")


def test_json_output_keeps_control_characters_exact_and_escaped(
    support_repo: Path, cli: Cli
) -> None:
    _commit_hostile_text(support_repo, cli)
    r = cli("show", "SUP-1", "--json")
    assert not any(c in r.stdout for c in ESCAPES)
    data = json.loads(r.stdout)
    assert data["title"] == "Printer \x1b]0;owned\x07 broken \x1b[2J\x9b31m"
    assert data["comments"][0]["text"] == "line one \x1b]52;c;cm0gLXJmIH4=\x07\rfake\nline two \x9d"
    r = cli("list", "--json")
    assert "\x9b" not in r.stdout
    assert json.loads(r.stdout)[0]["title"] == data["title"]
    r = cli("report", "--month", "2026-10", "--format", "json", "--now", NOW)
    assert "\x9b" not in r.stdout
    assert "\x1b" not in r.stdout
    assert {t["id"]: t["title"] for t in json.loads(r.stdout)["tickets"]}["SUP-1"] == data["title"]


# -- YAML that is neither refused nor quick, before ---------------------------------------------
@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail a command that runs longer than `seconds` (they took a minute before the caps)."""

    def expired(*_: Any) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_huge_flow_lists_and_anchor_floods_are_refused_quickly(
    support_repo: Path, cli: Cli
) -> None:
    assert cli("new", "Honest ticket", "-c", "acme", "-t", "incident", "-p", "low").exit_code == 0
    shard = support_repo / "data/tickets/0000"
    (shard / "SUP-2.yaml").write_text(  # 0.8 MB, 400,000 flow items
        "id: SUP-2\ntitle: Flow\ntags: [" + ",".join(["x"] * 400_000) + "]\n", encoding="utf-8"
    )
    (shard / "SUP-3.yaml").write_text(  # 0.75 MB, 150,000 anchors
        "id: SUP-3\ntitle: Anchors\ntags: [" + ",".join(["&a x"] * 150_000) + "]\n",
        encoding="utf-8",
    )
    git(support_repo, "add", "data")
    git(support_repo, "commit", "-qm", "Tickets imported by hand")
    problems = {
        "SUP-2": "data/tickets/0000/SUP-2.yaml:3: too many nodes (more than 200000, counting what "
        "aliases repeat)",
        "SUP-3": "data/tickets/0000/SUP-3.yaml:3: too many anchors and aliases (more than 1000)",
    }
    timings: dict[str, float] = {}

    def run(*args: str) -> Any:
        t0 = time.monotonic()
        with deadline(15):  # well under a second each on an idle machine
            r = cli(*args)
        timings[" ".join(args[:2])] = round(time.monotonic() - t0, 2)
        return r

    r = run("list")
    assert r.exit_code == 0
    assert [ln.split()[0] for ln in r.stdout.splitlines()[1:]] == ["SUP-1"]
    assert r.stderr == "".join(f"supportctl: skipped {p}\n" for p in problems.values())
    for tid, problem in problems.items():
        r = run("show", tid)
        assert (r.exit_code, r.stderr) == (7, f"supportctl: error: {problem}\n")
        r = run("comment", tid, "hello")
        assert (r.exit_code, r.stderr) == (7, f"supportctl: error: {problem}\n")
        for verb in ("show", "explain"):  # it said "unknown ticket" (exit 5)
            r = run("sla", verb, tid, "--now", NOW)
            assert (r.exit_code, r.stderr) == (7, f"supportctl: error: {problem}\n"), verb
    r = run("validate")
    assert r.exit_code == 9
    assert r.stdout == "".join(f"{p}\n" for p in problems.values())
    r = run("report", "--month", "2026-10", "--format", "json", "--now", NOW)
    assert r.exit_code == 0
    assert [t["id"] for t in json.loads(r.stdout)["tickets"]] == ["SUP-1"]
    print("timings (s):", timings)
