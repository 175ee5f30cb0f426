"""The demo's October (`make demo`) as a customer and as the team read it, in English,
Russian and Ukrainian: golden files, the same bytes on every run, nothing of the team's in a
customer's report, and money a reader can recompute.

Regenerate the golden files after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_demo_reports.py
"""

from __future__ import annotations

import html
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from supportctl.domain import yamlio
from supportctl.ops.demo import build_demo
from supportctl.report.collect import report_for
from supportctl.report.render import FORMATS, render
from supportctl.storage.desk import Desk
from supportctl.storage.locale import translations

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
DEMO_GOLDEN = GOLDEN / "demo"
CUSTOMER = "marketplus"
LANGUAGES = ("en", "ru", "uk")
NOW = "2026-11-15T12:00:00+03:00"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_demo(ROOT, tmp_path_factory.mktemp("demo") / "demo")


def _report(desk: Desk, customer: str | None, language: str, fmt: str, **kw: Any) -> str:
    from supportctl.cli.common import parse_now
    from supportctl.domain.periods import resolve_period

    at = parse_now(NOW)
    period = resolve_period("2026-10", None, None, at, desk.config.timezone)
    model = report_for(desk, period, customer, at, language=language, **kw)
    return render(model, fmt, desk.git)


def _golden(name: str, text: str) -> None:
    path = DEMO_GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("language", LANGUAGES)
def test_demo_reports_match_golden_and_are_the_same_bytes_again(demo: Desk, language: str) -> None:
    for fmt in FORMATS:
        customer = _report(demo, CUSTOMER, language, fmt)
        internal = _report(demo, None, language, fmt)
        _golden(f"customer.{language}.{fmt}", customer)
        _golden(f"internal.{language}.{fmt}", internal)
        # a second run, through a new Desk (and its caches), gives the same bytes
        fresh = Desk(demo.root)
        assert _report(fresh, CUSTOMER, language, fmt) == customer
        assert _report(fresh, None, language, fmt) == internal


def test_a_customer_reads_their_own_language_by_default(demo: Desk) -> None:
    model = json.loads(_report(demo, CUSTOMER, None, "json"))  # type: ignore[arg-type]
    assert (model["report"]["audience"], model["report"]["language"]) == ("customer", "ru")
    assert json.loads(_report(demo, "dniprobank", None, "json"))["report"]["language"] == "uk"  # type: ignore[arg-type]
    assert json.loads(_report(demo, "cloudnest", None, "json"))["report"]["language"] == "en"  # type: ignore[arg-type]


def _internal_notes(root: Path) -> Iterator[str]:
    for path in sorted((root / "data" / "tickets").rglob("*.yaml")):
        for c in yamlio.load(path.read_bytes()).get("comments") or []:
            if c.get("visibility") == "internal":
                yield str(c["text"]).strip()


def test_no_customer_report_of_the_demo_shows_anything_of_the_team_or_of_others(
    demo: Desk,
) -> None:
    config = demo.config
    staff = [v for a in config.agents.values() for v in (a.handle, a.name, a.email) if v]
    notes = list(_internal_notes(demo.root))
    assert len(notes) > 20
    owner = {}
    titles = {}
    for view in demo.tickets():
        owner[view.id] = view.ticket.customer
        titles[view.id] = view.ticket.title
    for customer in sorted(config.customers):
        mine = {t for t, c in owner.items() if c == customer}
        worklog_notes = " ".join(
            w.note for w in demo.worklogs() if w.ticket in mine
        )  # what was done is theirs to read, even when a note says the same
        for language in LANGUAGES:
            # the HTML is made from the Markdown: one customer's pages stand for all
            for fmt in FORMATS if customer == CUSTOMER else ("md", "json"):
                text = html.unescape(_report(demo, customer, language, fmt)).replace("\\", "")
                for note in notes:
                    if note not in worklog_notes:
                        assert note not in text, (customer, language, fmt, note)
                for person in staff:
                    assert not re.search(rf"\b{re.escape(person)}\b", text), (customer, person)
                for ticket, other in owner.items():
                    if other != customer:
                        assert not re.search(rf"\b{ticket}\b", text), (customer, fmt, ticket)
                        assert titles[ticket] not in text, (customer, fmt, ticket)


# -- money that adds up ----------------------------------------------------------------------


def _number(text: str, language: str) -> Decimal:
    """A number as printed (`1 234,50 ₽`, `€1,234.50`, `2,500.00 RUB`), without its currency."""
    digits = re.sub(r"[^\d.,-]", "", text)
    if language == "en":
        digits = digits.replace(",", "")
    else:
        digits = digits.replace(".", "").replace(",", ".")
    return Decimal(digits)


def _minutes(text: str) -> int:
    hours, minutes = re.sub(r"[^\d:]", "", text).split(":")
    return int(hours) * 60 + int(minutes)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def money_rows(text: str, language: str) -> int:
    """Recompute every money figure of every money table in a Markdown report from the figures
    printed beside it; returns how many figures were checked."""
    t = translations(language).gettext
    checked = 0
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set(line) <= set("|-: "):
            continue
        row = dict(zip(header, cells, strict=True))
        if t("overage cost") in row:
            minutes = _minutes(row[t("overage")])
            rate = _number(row[t("rate per hour")], language)
            cost = _number(row[t("overage cost")], language)
            assert _cents(minutes * rate / 60) == cost, line
            checked += 1
        if t("service credit") in row:
            m = re.fullmatch(r"([\d.,]+)% × (.+) = (.+)", row[t("service credit")])
            if m:  # no fee: a percentage only, nothing to recompute
                percent, fee, amount = (_number(g, language) for g in m.groups())
                assert _cents(fee * percent / 100) == amount, line
                checked += 1
    return checked


def test_every_money_figure_of_the_demo_adds_up(demo: Desk) -> None:
    checked = 0
    for language in LANGUAGES:
        checked += money_rows(_report(demo, None, language, "md"), language)
        for customer in sorted(demo.config.customers):
            checked += money_rows(_report(demo, customer, language, "md"), language)
    # 4 customers: overage and credit rows in the desk's table, each customer's section and
    # each customer's own report, and credits of the two customers with a fee
    assert checked >= 3 * (4 * 3 + 2 * 3)


def test_every_money_figure_of_the_golden_reports_adds_up() -> None:
    files = sorted(GOLDEN.rglob("*.md"))
    assert len(files) >= 7
    checked = 0
    for path in files:
        language = next((lang for lang in LANGUAGES if f".{lang}." in path.name), "en")
        checked += money_rows(path.read_text(encoding="utf-8"), language)
    assert checked >= 30


def test_the_issues_example_adds_up() -> None:
    """5:55 at 1 200 an hour is 7 100.00; the report once said 5.92 h beside it."""
    text = (
        "| overage | rate per hour | overage cost |\n|---:|---:|---:|\n"
        "| 5:55 | 1,200.00 UAH | 7,100.00 UAH |\n"
    )
    assert money_rows(text, "en") == 1
    with pytest.raises(AssertionError):
        money_rows(text.replace("7,100.00", "7,104.00"), "en")


# Words of the desk's own data: what tickets, reasons, names and the configuration say is
# printed as it was written, in whatever language it was written.
_DATA_KEYS = frozenset(
    (
        *("id", "ticket", "tickets", "title", "root", "customer", "name", "agent", "line"),
        *("reason", "slug", "tag", "service", "sources", "generator", "timezone", "currency"),
    )
)
# Values of these fields are the ticket vocabulary, which the report translates.
_VOCABULARY_FIELDS = frozenset(("status", "priority", "type", "channel", "visibility"))
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _data_words(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, str):
        if key in _DATA_KEYS:
            yield from _WORD.findall(node)
    elif isinstance(node, list):
        for item in node:
            yield from _data_words(item, key)
    elif isinstance(node, dict):
        if node.get("kind") in ("change", "detail") or "field" in node:  # an audit row's fact
            if node["field"] not in _VOCABULARY_FIELDS:
                for k in ("old", "new", "value"):
                    yield from _WORD.findall(str(node.get(k) or ""))
            return
        if node.get("kind") == "renamed":
            yield from _WORD.findall(node["from"])
        for k, v in node.items():
            if (key == "by" and k in ("class", "line")) or k == "by_line":  # config values
                yield from (w for name in v for w in _WORD.findall(name))
            yield from _data_words(v, k)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_teams_report_in_russian_or_ukrainian_has_no_english_of_its_own(
    demo: Desk, language: str
) -> None:
    model = json.loads(_report(demo, None, language, "json"))
    allowed = set(_data_words(model)) | {"SLA"}  # the term the teams use in both languages
    text = _report(demo, None, language, "md")
    text = re.sub(r"`[^`]*`", "", text).replace("\\", "")  # code spans: commits, KB slugs
    english = sorted({w for w in _WORD.findall(text) if w not in allowed})
    assert english == []
