"""The gettext catalogs of what a customer reads (reports, `sla show`), one domain `supportctl`.

Translators edit `supportctl/locale/<lang>/LC_MESSAGES/supportctl.po` and nothing else: the
catalog is compiled with Babel when it is first needed in a process, so no `.mo` file is
committed and none can drift from its `.po`. English is the text of the source itself.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from importlib import resources
from typing import Any

from supportctl.config.settings import LANGUAGES
from supportctl.domain.errors import ConfigError

DOMAIN = "supportctl"


def catalog_path(language: str) -> str:
    """Where the catalog of `language` lives inside the package."""
    return f"locale/{language}/LC_MESSAGES/{DOMAIN}.po"


def catalog_text(language: str) -> bytes:
    """The `.po` file of `language` as shipped."""
    return resources.files("supportctl").joinpath(catalog_path(language)).read_bytes()


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations of `language` (English: the source strings themselves)."""
    if language not in LANGUAGES:
        raise ConfigError(f"unknown language {language!r} (expected one of {', '.join(LANGUAGES)})")
    if language == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(catalog_text(language)), locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# What is translated: the report templates (Jinja2's i18n extension) and the Python modules
# whose strings a customer reads, marked with `_()` / `ngettext()`.
SOURCES = (
    ("templates/report*.j2", "jinja2.ext:babel_extract"),
    ("report/**.py", "python"),
    ("cli/sla.py", "python"),
)
EXTRACT_OPTIONS = {"templates/report*.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def source_messages() -> Any:
    """Every translatable string of the package's sources, as a Babel `Catalog` (what
    `pybabel extract` would make into a .pot)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = resources.files("supportctl")
    catalog = Catalog(domain=DOMAIN, project="supportctl", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        SOURCES,
        EXTRACT_OPTIONS,
        keywords={**DEFAULT_KEYWORDS, "_p": ((1, "c"), 2)},
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalog(language: str, source: Any) -> bytes:
    """The `.po` of `language` brought up to `source`: new strings added untranslated,
    strings no longer used dropped, every translation kept (`pybabel update`)."""
    from babel.messages.pofile import read_po, write_po

    catalog = read_po(io.BytesIO(catalog_text(language)), locale=language, domain=DOMAIN)
    created = catalog.creation_date  # an unchanged catalog is rewritten byte for byte
    catalog.update(source, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.creation_date = created
    out = io.BytesIO()
    # file names without line numbers: moving code does not touch the catalogs
    write_po(out, catalog, width=100, ignore_obsolete=True, include_lineno=False)
    return out.getvalue()
