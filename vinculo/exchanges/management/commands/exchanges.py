"""`vinculo exchanges deadlines`: remind and escalate incoming requests by their deadlines.

Safe to run as often as wanted (each reminder and escalation happens once); the delivery worker
runs it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vinculo.exchanges.services import deadlines


class Command(BaseCommand):
    help = "Remind and escalate incoming information requests by their deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deadlines"])
        parser.add_argument(
            "--at",
            help="check as at this time (ISO 8601 with its offset), not now: to rehearse what will fall due",
        )

    def handle(self, *args: Any, action: str, at: str | None = None, **options: Any) -> None:
        moment = timezone.now()
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at {at!r} is not an ISO 8601 time (e.g. 2026-12-01T09:00:00+00:00).") from None
            if moment.tzinfo is None:
                raise CommandError("--at needs its UTC offset (e.g. +00:00 or -06:00).")
        checked = deadlines.check_deadlines(now=moment)
        self.stdout.write(f"{checked.reminded} reminded, {checked.escalated} escalated")
