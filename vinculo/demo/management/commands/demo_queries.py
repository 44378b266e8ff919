"""Ask the network a few hit/no-hit queries as the office's demo prosecutor would (once per node).

``demo_network`` runs it on every office node once the servers and delivery workers are up; it
waits (at most ``--wait`` seconds) until the other offices hold the network key and have answered.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.demo import queries as demo_queries
from vinculo.demo.management.commands.seed_demo import DEMO_CASES_PER_OFFICE, demo_username
from vinculo.matching.services import queries
from vinculo.messaging import network

DEFAULT_WAIT_SECONDS = 120.0


class Command(BaseCommand):
    help = (
        "Ask the other offices a few hit/no-hit queries as this office's demo prosecutor: persons of its cases the "
        "demo planted in another office's files too, two persons nobody holds and a phone number. Only with "
        "VINCULO_DEMO=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--within",
            type=int,
            default=DEMO_CASES_PER_OFFICE,
            help="Ask only about persons of cases among the first N of both offices (those already seeded).",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=DEFAULT_WAIT_SECONDS,
            help=f"Seconds to wait for the answers, asking again offices that do not hold the network key yet "
            f"(default {DEFAULT_WAIT_SECONDS:.0f}).",
        )

    def handle(self, *args: Any, within: int, wait: float, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_queries only runs on a demo node (VINCULO_DEMO=true).")
        if settings.NODE_ROLE != "office":
            raise CommandError("Only an office node asks hit/no-hit queries.")
        node_id = network.node_id()
        by = User.objects.filter(username=demo_username(Role.PROSECUTOR)).first()
        if by is None:
            raise CommandError(f"{node_id} has no demo prosecutor; run seed_demo first.")
        if demo_queries.already_answered(by):
            self.stdout.write(f"{node_id}: the demo's hit/no-hit queries were asked and answered in an earlier run.")
            return
        asks = demo_queries.planned_asks(by=by, within=within)
        members = queries.member_offices(node_id)
        if not asks or not members:
            self.stdout.write(f"{node_id}: no case or no other office to ask about; no queries.")
            return
        outcome = demo_queries.ask_until_answered(
            by=by, asks=asks, members=members, wait_seconds=wait, say=lambda text: self._say(node_id, text)
        )
        decisions = ", ".join(f"{count} {decision}" for decision, count in sorted(outcome.decisions.items()))
        summary = f"{node_id}: {outcome.sent} queries sent (repeats included) to {', '.join(members)}; " + (
            f"answers: {decisions or 'none'}"
        )
        if not outcome.is_complete:
            owed = "".join(f"\n  {item}" for item in outcome.waiting)
            raise CommandError(f"{summary}. Stopped: {outcome.stopped}. Not answered:{owed}")
        self.stdout.write(summary + ".")

    def _say(self, node_id: str, text: str) -> None:
        self.stdout.write(f"{node_id}: {text}")
        self.stdout.flush()
