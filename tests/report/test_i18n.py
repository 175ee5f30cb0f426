"""Languages of the report: numbers, money, dates, durations and words follow the
reader's locale, and values put into a translated sentence are escaped like any other."""

from __future__ import annotations

from supportctl.report.i18n import NBSP, Formats
from supportctl.storage.locale import translations


def test_numbers_money_and_durations_in_the_readers_locale() -> None:
    ru, uk, en = Formats("ru"), Formats("uk"), Formats("en")
    assert ru.money(1234.5, "RUB") == f"1{NBSP}234,50{NBSP}₽"
    assert en.money(1234.5, "RUB") == f"1,234.50{NBSP}RUB"  # no symbol of its own in English
    assert en.money(514.58, "EUR") == "€514.58"
    assert uk.dur(2 * 3600 + 15 * 60) == f"2{NBSP}год{NBSP}15{NBSP}хв"
    assert ru.dur(2 * 3600 + 15 * 60) == f"2{NBSP}ч{NBSP}15{NBSP}мин"
    assert en.dur(2 * 3600 + 15 * 60) == "2h15m"  # the English report's long-standing form
    assert (ru.pct(33.333), en.pct(33.333), ru.pct(None)) == (f"33,3{NBSP}%", "33.3%", "н/д")
    assert (ru.hm(355), en.hm(75), ru.hm(60 * 1234 + 5)) == ("5:55", "1:15", f"1{NBSP}234:05")
    assert (ru.day("2026-10-05"), uk.day("2026-10-05"), en.day("2026-10-05")) == (
        "05.10.2026",
        "05.10.2026",
        "2026-10-05",
    )
    assert uk.when("2026-10-05T09:07:00+03:00") == "05.10.2026, 09:07"
    assert (ru.month("2026-10"), uk.month("2026-10"), en.month("2026-10")) == (
        "Октябрь 2026",
        "Жовтень 2026",
        "October 2026",
    )
    assert (ru.words("in_progress"), uk.action("taken_into_work")) == ("в работе", "взято в роботу")
    assert en.words("some_class") == "some_class"  # not a word of the vocabulary: as it is


def test_values_in_a_translated_sentence_are_escaped_like_any_other() -> None:
    from supportctl.storage.templates import RepoTemplates, environment

    for name, expected in (
        ("x.md.j2", r"Клиент: \*Evil\* &lt;b&gt; \[x\](javascript:1)"),
        ("x.html.j2", "Клиент: *Evil* &lt;b&gt; [x](javascript:1)"),
    ):
        env = environment(RepoTemplates(None, None), name, {}, translations("ru"))
        page = env.from_string('{{ _("Customer: %(name)s", name=v) }}')
        assert page.render(v="*Evil* <b> [x](javascript:1)") == expected
    env = environment(RepoTemplates(None, None), "x.md.j2", {}, translations("uk"))
    page = env.from_string('{{ ngettext("%(num)s ticket", "%(num)s tickets", n) }}')
    assert page.render(n=5) == "5 заявок"


def test_the_reopen_rate_agrees_with_its_number_of_resolved_requests() -> None:
    import json
    from pathlib import Path

    from supportctl.report.render import render_markdown
    from supportctl.storage.templates import RepoTemplates

    golden = Path(__file__).parent / "golden" / "demo"
    expected = {
        "ru": ("решённую заявку", "решённые заявки", "решённых заявок"),
        "uk": ("вирішену заявку", "вирішені заявки", "вирішених заявок"),
        "en": ("resolved", "resolved", "resolved"),
    }
    for language, words in expected.items():
        for audience in ("customer", "internal"):
            model = json.loads((golden / f"{audience}.{language}.json").read_text("utf-8"))
            for resolved, word in zip((1, 3, 5), words, strict=True):
                model["breakdown"]["reopen_rate"].update(
                    reopened=1, resolved=resolved, percent=round(100 / resolved, 2)
                )
                text = render_markdown(model, RepoTemplates(None, None))
                assert f" {resolved} {word} (" in text, (language, audience, resolved)


def test_an_audit_rows_facts_in_the_readers_words_and_as_they_were_in_english() -> None:
    row = {
        "action": "link",
        "detail": "link: related (a ticket not in this report); customer acme → (another customer)",
        "parts": [
            {"kind": "detail", "field": "link", "value": "related (a ticket not in this report)"},
            {"kind": "change", "field": "customer", "old": "acme", "new": "(another customer)"},
            {"kind": "change", "field": "status", "old": "new", "new": "in_progress"},
            {"kind": "worked", "minutes": "25", "on": "2026-10-01"},
        ],
    }
    assert Formats("en").event_detail(row) == row["detail"]
    assert Formats("en").event("link") == "link"
    assert Formats("ru").event("link") == "связь"
    assert Formats("ru").event_detail(row) == (
        "связь: связана с (заявка вне этого отчёта); клиент acme → (другой клиент); "
        "статус новая → в работе; 25 мин за 01.10.2026"
    )
    assert Formats("uk").event_detail({**row, "parts": row["parts"][2:3]}) == (
        "статус нова → в роботі"
    )
    # a report model stored before the facts were kept prints its English detail
    assert Formats("ru").event_detail({"detail": "title changed"}) == "title changed"
