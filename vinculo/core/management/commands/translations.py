"""Keep the Spanish catalogue complete: extract, compile (.po → .mo without GNU gettext), check.

`check` fails when a string in the code or templates is missing from locale/es, or is
there but untranslated or fuzzy. Compilation uses polib, so a node installs with nothing
but Python; extraction needs GNU gettext's xgettext (a developer tool only).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

LANGUAGES = ["es"]
IGNORE = [".venv", "var", "node_modules", "static/vendor", "build", "docs", "benchmarks"]


def _locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def _catalogue(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def _extract() -> None:
    if shutil.which("xgettext") is None:
        raise CommandError("GNU gettext is needed to extract strings (Debian: apt-get install gettext).")
    call_command(
        "makemessages",
        locale=LANGUAGES,
        domain="django",
        ignore_patterns=IGNORE,
        no_obsolete=True,
        add_location="file",
        verbosity=0,
    )


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def catalogue_problems(fresh: polib.POFile, committed: polib.POFile, language: str) -> list[str]:
    """What keeps ``committed`` from serving every string of ``fresh`` (a new extraction): entries
    missing, fuzzy or untranslated, and plural entries without every form the language's
    ``Plural-Forms`` header asks for (gettext falls back to English for a missing form)."""
    problems: list[str] = []
    found = re.search(r"nplurals\s*=\s*(\d+)", committed.metadata.get("Plural-Forms", ""))
    plurals = int(found.group(1)) if found else 2
    known = {_key(e) for e in committed if not e.obsolete}
    for entry in fresh:
        if entry.obsolete:
            continue
        where = entry.occurrences[0][0] if entry.occurrences else "?"
        if _key(entry) not in known:
            problems.append(f"[{language}] not in the catalogue: {entry.msgid!r} ({where})")
    for entry in committed:
        if entry.obsolete:
            continue
        where = entry.occurrences[0][0] if entry.occurrences else "?"
        if "fuzzy" in entry.flags:
            problems.append(f"[{language}] fuzzy: {entry.msgid!r} ({where})")
        elif not entry.translated():
            problems.append(f"[{language}] untranslated: {entry.msgid!r} ({where})")
        elif entry.msgid_plural and any(not entry.msgstr_plural.get(n) for n in range(plurals)):
            problems.append(f"[{language}] needs {plurals} plural forms: {entry.msgid!r} ({where})")
    return problems


class Command(BaseCommand):
    help = "Extract, compile or check the translation catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["extract", "compile", "check"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")()

    def _extract(self) -> None:
        _extract()
        self.stdout.write(
            "Extracted strings into " + ", ".join(str(_catalogue(_locale_dir(), lang)) for lang in LANGUAGES)
        )

    def _compile(self) -> None:
        for language in LANGUAGES:
            po_path = _catalogue(_locale_dir(), language)
            if not po_path.exists():
                raise CommandError(f"Missing catalogue {po_path}.")
            catalogue = polib.pofile(str(po_path))
            catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))

    def _check(self) -> None:
        problems: list[str] = []
        for language in LANGUAGES:
            committed_path = _catalogue(_locale_dir(), language)
            if not committed_path.exists():
                problems.append(f"{committed_path} does not exist")
                continue
            original = committed_path.read_bytes()
            # makemessages writes into the project's own locale/ folder whatever LOCALE_PATHS
            # says, so extract in place and always put the committed catalogue back.
            try:
                _extract()
                fresh = polib.pofile(str(committed_path))
            finally:
                committed_path.write_bytes(original)
            problems += catalogue_problems(fresh, polib.pofile(str(committed_path)), language)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(problems)} translation problem(s). Run `make translations`, translate, and commit locale/."
            )
        self.stdout.write("Spanish catalogue is complete.")
