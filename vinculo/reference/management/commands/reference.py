"""`vinculo reference load` (re)loads the shipped reference data; `check` only parses it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.reference import loading


class Command(BaseCommand):
    help = "Load the shipped reference data (countries, border crossings, populations, code lists), or check it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load", "check"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "check":
                crossings = loading.parse_crossings(loading.DATA / "border_crossings.csv")
                populations = loading.parse_populations(loading.DATA / "populations.csv")
                lists = loading.parse_code_lists(loading.CODELISTS)
                codes = sum(len(code_list.codes) for code_list in lists)
                self.stdout.write(
                    f"Reference data files are valid: {len(crossings)} border crossings, "
                    f"{len(populations)} population figures, {len(lists)} code lists with {codes} codes."
                )
                return
            report = loading.load_reference_data()
        except loading.ReferenceDataError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
