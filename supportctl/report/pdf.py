"""The report as a PDF: the very HTML `--format html` prints, laid out for A4 by WeasyPrint.

Same commit, same bytes: the PDF's creation and modification dates are the date of the
commit the report was computed from (`report.commit_date`, printed on the report), and its
file identifier is derived from the HTML, so nothing in it depends on when or where it was
made. A later commit that changes nothing in the period still makes a new report: it names
that commit and carries its date, so its bytes differ (the figures do not).

The page CSS (A4, running header, page numbers, rows never cut) lives in the `@media print`
block of report.html.j2, so a browser's "print" gives the same pages. Text is set in DejaVu
Sans (Cyrillic included), embedded as a subset.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from supportctl.report.render import render

if TYPE_CHECKING:
    from supportctl.storage.git import Repo


def html_to_pdf(html: str, created: str) -> bytes:
    """`html` as PDF bytes; `created` (ISO 8601) is both its creation and modification date."""
    # no type information shipped
    from weasyprint import HTML  # type: ignore[import-untyped]

    # WeasyPrint logs every CSS property it does not know (the screen-only ones) as a warning
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=None).render()
    document.metadata.created = created
    document.metadata.modified = created
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    pdf = document.write_pdf(pdf_identifier=identifier)
    assert isinstance(pdf, bytes)
    return pdf


def render_pdf(model: dict[str, Any], git: Repo | None) -> bytes:
    """The report as PDF, from the HTML `render(model, "html", git)` gives."""
    return html_to_pdf(render(model, "html", git), str(model["report"]["commit_date"]))
