"""`report --format pdf`: the HTML report laid out by WeasyPrint, read back with poppler.

The text is checked with pdftotext, the pages with pdfinfo and with images from pdftoppm
(the first page of a customer's PDF is kept at /tmp/supportctl-report-pdf/customer-page-1.png,
to be looked at). `make test` installs poppler (scripts/ensure-pdf-tools); without it these
tests are skipped, and fail under CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tests.helpers import component_missing, run_at

if TYPE_CHECKING:
    from tests.conftest import Cli

NOW = "2026-11-15T12:00:00+03:00"
VIEW = Path(tempfile.gettempdir()) / "supportctl-report-pdf"
# A4 at 72 points per inch, as pdfinfo prints it
A4_POINTS = "595.276 x 841.89 pts (A4)"


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        component_missing(f"poppler's {tool}", "make test installs it (scripts/ensure-pdf-tools)")
    return found


def _run(tool: str, *args: str) -> str:
    p = subprocess.run(
        [_poppler(tool), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def pdf_text(path: Path) -> str:
    return _run("pdftotext", str(path), "-")


def pdf_info(path: Path) -> dict[str, str]:
    lines = _run("pdfinfo", str(path)).splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def page_image(pdf: Path, page: int, out: Path) -> Path:
    """Page `page` as a PNG at 50 dpi (`out` without the .png)."""
    _run(
        "pdftoppm",
        "-r",
        "50",
        "-png",
        "-singlefile",
        "-f",
        str(page),
        "-l",
        str(page),
        str(pdf),
        str(out),
    )
    return out.with_suffix(".png")


def ink(pdf: Path, page: int, tmp_path: Path) -> tuple[int, int, float]:
    """(width, height, share of pixels that are not white) of page `page`, read from
    pdftoppm's grey PGM (no image library needed)."""
    out = tmp_path / f"gray-{page}"
    _run(
        "pdftoppm",
        "-r",
        "50",
        "-gray",
        "-singlefile",
        "-f",
        str(page),
        "-l",
        str(page),
        str(pdf),
        str(out),
    )
    data = out.with_suffix(".pgm").read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert (magic, depth) == (b"P5", b"255")
    w, h = int(width), int(height)
    return w, h, sum(1 for b in pixels[: w * h] if b < 200) / (w * h)


def _pdf(cli: Cli, tmp_path: Path, name: str, *args: str) -> Path:
    target = tmp_path / name
    r = cli(
        "report", "--month", "2026-10", "--now", NOW, "--format", "pdf", "-o", str(target), *args
    )
    assert r.exit_code == 0, r.output
    assert r.stderr == f"supportctl: wrote {target}\n"
    return target


def test_pdf_has_the_reports_text_in_english_and_russian(
    october_desk: Path, cli: Cli, tmp_path: Path
) -> None:
    text = " ".join(pdf_text(_pdf(cli, tmp_path, "all.pdf")).split())
    assert "Support report 2026-10" in text
    assert "Checkout returns 500" in text
    # Cyrillic is real text in an embedded font, not boxes or images (a title wraps in its
    # cell, and pdftotext reads the cells of a row line by line)
    assert "Отчёт" in text
    assert "«Продажи» формируется медленно" in text
    # the hostile title is text, never markup that ran
    assert "<script>alert(1" in text


def test_pdf_pages_are_a4_with_a_page_number_and_a_running_title(
    october_desk: Path, cli: Cli, tmp_path: Path
) -> None:
    pdf = _pdf(cli, tmp_path, "all.pdf")
    info = pdf_info(pdf)
    pages = int(info["Pages"])
    assert pages >= 2
    assert info["Page size"] == A4_POINTS
    assert info["Creator"] == "supportctl 0.1.0"
    assert info["CreationDate"] == info["ModDate"]
    last = _run("pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-")
    assert re.search(rf"^{pages} ?/ ?{pages}$", last, re.MULTILINE), last
    assert last.lstrip().startswith("Support report 2026-10\n")
    first = _run("pdftotext", "-f", "1", "-l", "1", str(pdf), "-")
    assert re.search(rf"^1 ?/ ?{pages}$", first, re.MULTILINE), first
    # the title runs at the top of every page but the first, which has it as its heading
    assert first.count("Support report 2026-10") == 1


def test_pdf_dates_are_the_report_commits(october_desk: Path, cli: Cli, tmp_path: Path) -> None:
    info = pdf_info(_pdf(cli, tmp_path, "all.pdf"))
    # the report's commit is dated 2026-11-02T10:00:00+03:00 (the November comment)
    assert info["CreationDate"] == "Mon Nov  2 07:00:00 2026 UTC"
    assert info["ModDate"] == "Mon Nov  2 07:00:00 2026 UTC"


def test_customer_pdf_pages_look_like_pages(october_desk: Path, cli: Cli, tmp_path: Path) -> None:
    pdf = _pdf(cli, tmp_path, "globex.pdf", "--customer", "globex")
    text = " ".join(pdf_text(pdf).split())
    assert "Отчёт" in text
    assert "«Продажи» формируется медленно" in text
    for leak in ("Checkout", "SUP-1 ", "SUP-3", "acme", "1h30m"):
        assert leak not in text, leak
    pages = int(pdf_info(pdf)["Pages"])
    for page in range(1, pages + 1):
        width, height, share = ink(pdf, page, tmp_path)
        # A4 at 50 dpi: 595.276 x 841.89 pt make 413.4 x 584.6 px, rounded up
        assert (width, height) == (414, 585)
        assert share > 0.005, f"page {page} is blank"
    VIEW.mkdir(parents=True, exist_ok=True)
    png = page_image(pdf, 1, VIEW / "customer-page-1")
    assert _png_size(png) == (414, 585)


def test_no_table_row_is_cut_by_a_page_break(support_repo: Path, cli: Cli, tmp_path: Path) -> None:
    # enough tickets for the ticket table to run over pages, each title wrapping in its cell
    rows = 40
    for n in range(rows):
        run_at(
            cli,
            f"2026-10-{1 + n % 28:02d}T1{n % 8}:{n:02d}:00+03:00",
            "new",
            f"r{n:02d}start заявка with a title long enough to wrap inside its cell r{n:02d}end",
            "--customer",
            "acme",
            "--type",
            "incident",
            "--priority",
            "normal",
        )
    pdf = _pdf(cli, tmp_path, "long.pdf")
    pages = int(pdf_info(pdf)["Pages"])
    assert pages >= 3
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for page in range(1, pages + 1):
        words = _run("pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-").split()
        for n in range(rows):
            starts.setdefault(n, []).extend([page] * words.count(f"r{n:02d}start"))
            ends.setdefault(n, []).extend([page] * words.count(f"r{n:02d}end"))
    assert all(starts[n] for n in range(rows))
    # a row cut by a page break would start its title on one page and end it on the next
    assert starts == ends
    assert len({p for found in starts.values() for p in found}) >= 2


def test_same_commit_same_bytes_in_two_processes(october_desk: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("one.pdf", "two.pdf"):
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "supportctl",
                "report",
                "--month",
                "2026-10",
                "--now",
                NOW,
                "--format",
                "pdf",
                "-o",
                str(tmp_path / name),
            ],
            cwd=october_desk,
            capture_output=True,
            timeout=300,
            check=False,
            env={
                **os.environ,
                "PYTHONHASHSEED": "random",
                "TZ": "UTC" if name == "one.pdf" else "Asia/Tokyo",
            },
        )
        assert p.returncode == 0, p.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(b"%PDF-")


def test_a_later_commit_outside_the_period_makes_a_new_pdf_with_its_date(
    october_desk: Path, cli: Cli, tmp_path: Path
) -> None:
    before = _pdf(cli, tmp_path, "before.pdf")
    run_at(cli, "2026-11-20T09:00:00+03:00", "comment", "SUP-3", "Still fine in November")
    after = _pdf(cli, tmp_path, "after.pdf")
    # the figures are those of October in both; the commit the report names, and so the
    # PDF's date, are the later one
    info = pdf_info(after)
    assert info["CreationDate"] == "Fri Nov 20 06:00:00 2026 UTC"
    assert before.read_bytes() != after.read_bytes()
    texts = [" ".join(pdf_text(p).split()).partition("Summary")[2] for p in (before, after)]
    # the footer names the commit and its date; everything else is October's
    figures = [re.sub(r"commit [0-9a-f]{40} \(\S+\)", "commit", t) for t in texts]
    assert figures[0]
    assert figures[0] == figures[1]
    assert texts[0] != texts[1]


def test_pdf_to_a_pipe_and_never_to_a_terminal(october_desk: Path, cli: Cli) -> None:
    piped = cli("report", "--month", "2026-10", "--now", NOW, "--format", "pdf")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes.startswith(b"%PDF-1.7")


def test_pdf_refuses_a_terminal(october_desk: Path) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        p = subprocess.run(
            [sys.executable, "-m", "supportctl", "report", "--month", "2026-10", "--format", "pdf"],
            cwd=october_desk,
            stdout=secondary,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert p.returncode == 2
    assert (
        p.stderr == b"supportctl: error: --format pdf is binary: give -o FILE or redirect stdout\n"
    )
