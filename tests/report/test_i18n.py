"""Languages of the report: every string a reader sees is in the Russian and Ukrainian
catalogs, and numbers, money, durations and plural forms follow the reader's locale."""

from __future__ import annotations

import io
import re

import pytest

from supportctl.report.i18n import NBSP, Formats
from supportctl.storage.locale import (
    catalog_text,
    source_messages,
    translations,
    update_catalog,
)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po

    return read_po(io.BytesIO(catalog_text(language)), locale=language, domain="supportctl")


def _key(message) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    ident = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, ident


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_marked_string_is_translated(language: str) -> None:
    source = {_key(m): m for m in source_messages() if m.id}
    assert len(source) > 100  # the templates and the marked Python strings were read
    catalog = {_key(m): m for m in _catalog(language) if m.id}
    missing = sorted(str(k) for k in source if k not in catalog)
    assert missing == [], f"{language}: not in the catalog (run scripts/update-catalogs)"
    stale = sorted(str(k) for k in catalog if k not in source)
    assert stale == [], f"{language}: no longer used (run scripts/update-catalogs)"
    for key, message in catalog.items():
        assert not message.fuzzy, (language, key)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), (language, key, "untranslated")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)} - {"num"}
        for form in forms:
            # every value the source puts in is shown by the translation, and no other
            assert set(PLACEHOLDER.findall(form)) - {"num"} == wanted, (language, key, form)
        if isinstance(message.id, tuple):
            assert len(forms) == 3, (language, key)  # one, few, many


def test_updating_a_catalog_keeps_every_translation() -> None:
    from babel.messages.pofile import read_po

    for language in ("ru", "uk"):
        updated = read_po(io.BytesIO(update_catalog(language, source_messages())), locale=language)
        before = {_key(m): m.string for m in _catalog(language) if m.id}
        after = {_key(m): m.string for m in updated if m.id}
        assert after == before


def test_plural_forms_of_each_language() -> None:
    ru = translations("ru")
    one, many = "%(num)s ticket", "%(num)s tickets"
    assert [ru.ngettext(one, many, n) % {"num": n} for n in (1, 3, 5, 11, 21, 22)] == [
        "1 заявка",
        "3 заявки",
        "5 заявок",
        "11 заявок",
        "21 заявка",
        "22 заявки",
    ]
    uk = translations("uk")
    assert uk.ngettext(one, many, 4) % {"num": 4} == "4 заявки"
    assert translations("en").ngettext(one, many, 1) % {"num": 1} == "1 ticket"


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


def test_an_unknown_language_is_refused() -> None:
    from supportctl.domain.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown language 'de'"):
        translations("de")
