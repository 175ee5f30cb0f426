"""The translation catalogs: every string a reader sees is in the Russian and Ukrainian
catalogs, with its placeholders and plural forms, and updating them keeps every translation."""

from __future__ import annotations

import io
import re

import pytest

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


def test_an_unknown_language_is_refused() -> None:
    from supportctl.domain.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown language 'de'"):
        translations("de")
