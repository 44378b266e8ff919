"""The catalogue check: what it refuses (without running an extraction: on catalogues written here)."""

from __future__ import annotations

import polib

from vinculo.core.management.commands.translations import catalogue_problems

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;\\n"\n\n'
)
PLURAL = 'msgid "%(n)s file"\nmsgid_plural "%(n)s files"\n'


def catalogue(body: str) -> polib.POFile:
    return polib.pofile(HEADER + body)


def test_a_plural_entry_needs_every_form_the_language_has() -> None:
    fresh = catalogue(PLURAL + 'msgstr[0] ""\nmsgstr[1] ""\nmsgstr[2] ""\n')
    two = catalogue(PLURAL + 'msgstr[0] "%(n)s archivo"\nmsgstr[1] "%(n)s de archivos"\n')
    three = catalogue(PLURAL + 'msgstr[0] "%(n)s archivo"\nmsgstr[1] "%(n)s de archivos"\nmsgstr[2] "%(n)s archivos"\n')
    assert catalogue_problems(fresh, two, "es") == ["[es] needs 3 plural forms: '%(n)s file' (?)"]
    assert catalogue_problems(fresh, three, "es") == []


def test_missing_fuzzy_and_untranslated_entries_are_problems() -> None:
    fresh = catalogue('msgid "Hits"\nmsgstr ""\n\nmsgid "Queries"\nmsgstr ""\n\nmsgid "Requests"\nmsgstr ""\n')
    committed = catalogue('#, fuzzy\nmsgid "Hits"\nmsgstr "Coincidencias"\n\nmsgid "Queries"\nmsgstr ""\n')
    assert catalogue_problems(fresh, committed, "es") == [
        "[es] not in the catalogue: 'Requests' (?)",
        "[es] fuzzy: 'Hits' (?)",
        "[es] untranslated: 'Queries' (?)",
    ]
