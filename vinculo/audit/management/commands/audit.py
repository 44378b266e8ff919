"""`vinculo audit verify` checks the hash chain; `vinculo audit export` writes the trail to a file.

verify exits non-zero, naming the first bad entry, when the chain is broken; it appends an
`audit.verified` entry only when the chain is intact.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.audit import exports, selectors
from vinculo.audit import services as audit
from vinculo.audit.selectors import TrailCriteria
from vinculo.audit.verification import CHUNK_SIZE


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


class Command(BaseCommand):
    help = "Verify the audit chain, or export the audit trail as JSONL or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,export}")
        commands.add_parser("verify", help="Recompute every entry's hash and link, from #1 to the chain head.")
        export = commands.add_parser("export", help="Write the trail (or part of it) to a file or standard output.")
        export.add_argument("--format", choices=exports.FORMATS, default="jsonl", dest="file_format")
        export.add_argument("--output", help="File to create (readable by its owner only); standard output if absent.")
        export.add_argument("--action", default="", help="An action code (auth.login) or its start (auth.).")
        export.add_argument("--from", dest="date_from", default="", help="First day, YYYY-MM-DD (node's time zone).")
        export.add_argument("--to", dest="date_to", default="", help="Last day, YYYY-MM-DD (node's time zone).")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "verify":
            self._verify()
        else:
            self._export(**options)

    def _verify(self) -> None:
        verdict = audit.verify_trail(actor=None)
        if not verdict.is_intact:
            raise CommandError(
                f"Audit chain BROKEN at entry #{verdict.first_bad_seq}: {verdict.reason}. "
                "Nothing was appended to the trail."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {_entries(verdict.checked)}, head #{verdict.checked} {verdict.last_hash}"
            )
        )

    def _export(self, *, file_format: str, output: str | None, **options: Any) -> None:
        criteria = TrailCriteria(action=options["action"])
        if options["date_from"]:
            criteria["date_from"] = _day(options["date_from"])
        if options["date_to"]:
            criteria["date_to"] = _day(options["date_to"])
        entries = selectors.entries_for_export(None, **criteria)
        count = entries.count()
        described = {key: str(value) for key, value in criteria.items() if value}
        audit.record_trail_exported(actor=None, file_format=file_format, filters=described, count=count)
        chunks = exports.chunks(file_format, entries.iterator(chunk_size=CHUNK_SIZE))
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        # The trail names people and their addresses: the file is created for its owner only.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
        self.stderr.write(f"Exported {_entries(count)} of the audit trail to {output}.")
