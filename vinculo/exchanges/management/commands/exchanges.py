"""`vinculo exchanges deadlines`: remind and escalate incoming requests by their deadlines.

Safe to run as often as wanted (each reminder and escalation happens once); the delivery worker
runs it too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from vinculo.exchanges.services import deadlines


class Command(BaseCommand):
    help = "Remind and escalate incoming information requests by their deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deadlines"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        checked = deadlines.check_deadlines(now=timezone.now())
        self.stdout.write(f"{checked.reminded} reminded, {checked.escalated} escalated")
