"""Refuse Django's changepassword: passwords change through audited services only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Not available in Vínculo: a node administrator issues a one-time password from the Users page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "Passwords are changed in the web interface, where the change is audited and the person notified: "
            "a node administrator issues a one-time password from the Users page."
        )
