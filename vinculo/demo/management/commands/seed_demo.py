"""Seed a demo node with one synthetic account per role and a synthetic caseload (idempotent), through the services."""

from __future__ import annotations

import contextlib
import random
import signal
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Role, roles_for_node
from vinculo.accounts.services import users
from vinculo.demo.cases import seed_cases
from vinculo.demo.people import synthetic_name

DEMO_CASES_PER_OFFICE = 500
DEMO_PASSWORD = "vinculo-demo"  # noqa: S105 - published demo credential, accepted only with VINCULO_DEMO=true

USERNAME_SUFFIX = {
    Role.PROSECUTOR: "fiscal",
    Role.FOCAL_POINT: "enlace",
    Role.INVESTIGATOR: "investigador",
    Role.VICTIM_CARE: "victimas",
    Role.JUDGE: "juez",
    Role.ANALYST: "analista",
    Role.ME_OFFICER: "mye",
    Role.TRAINER: "formador",
    Role.NODE_ADMIN: "admin",
    Role.AUDITOR: "auditor",
}


def demo_username(role: Role) -> str:
    prefix = "hub" if settings.NODE_ROLE == "hub" else settings.NODE_ID.split("-")[0].lower()
    return f"{prefix}.{USERNAME_SUFFIX[role]}"


class Command(BaseCommand):
    help = "Create the demo accounts of this node (one per role) and its synthetic cases. Only with VINCULO_DEMO=true."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=DEMO_CASES_PER_OFFICE,
            help=f"How many synthetic cases an office node holds (default {DEMO_CASES_PER_OFFICE}).",
        )

    def handle(self, *args: Any, cases: int, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo only runs on a demo node (VINCULO_DEMO=true).")
        if cases < 0:
            raise CommandError("--cases cannot be negative.")
        office = Office.objects.get(code=settings.NODE_ID)
        rng = random.Random(f"vinculo-demo-{settings.NODE_ID}")  # noqa: S311 - reproducible demo names, not secrets
        created = 0
        for role in roles_for_node(settings.NODE_ROLE):
            username = demo_username(role)
            full_name = synthetic_name(rng, country=office.country)
            if User.objects.filter(username=username).exists():
                continue
            users.create_user(
                by=None,
                username=username,
                full_name=full_name,
                email=f"{username}@demo.invalid",
                roles=[role.value],
                language="en" if office.country == "BZ" else "es",
                password=DEMO_PASSWORD,
                is_demo_account=True,
            )
            created += 1
        self.stdout.write(f"{settings.NODE_ID}: {created} demo accounts created.")
        if settings.NODE_ROLE == "office":
            team = {
                role.value: User.objects.get(username=demo_username(role))
                for role in (Role.INVESTIGATOR, Role.VICTIM_CARE, Role.JUDGE)
            }
            started = time.monotonic()
            with stop_between_cases() as stop:
                made = seed_cases(
                    lead=User.objects.get(username=demo_username(Role.PROSECUTOR)),
                    team=team,
                    count=cases,
                    node_id=settings.NODE_ID,
                    admin=User.objects.get(username=demo_username(Role.NODE_ADMIN)),
                    stop=lambda: bool(stop),
                )
            elapsed = time.monotonic() - started
            ending = " (stopped on request; run again to add the rest)" if stop else ""
            self.stdout.write(f"{settings.NODE_ID}: {made} synthetic cases registered in {elapsed:.1f} s{ending}.")
            self._seed_exchanges()

    def _seed_exchanges(self) -> None:
        """A few requests, an alert and a joint team, queued for the delivery worker (once per node)."""
        from vinculo.demo.exchanges import seed_exchanges
        from vinculo.messaging.network import NetworkUnavailable

        try:
            made = seed_exchanges(
                node_id=settings.NODE_ID, prosecutor=User.objects.get(username=demo_username(Role.PROSECUTOR))
            )
        except NetworkUnavailable:  # a node seeded without the network's directory: no exchanges
            self.stdout.write(f"{settings.NODE_ID}: no network directory, so no demo exchanges.")
            return
        if made:
            self.stdout.write(f"{settings.NODE_ID}: {made} demo exchanges queued for the other offices.")


@contextlib.contextmanager
def stop_between_cases() -> Iterator[list[str]]:
    """While seeding, SIGTERM or Ctrl-C end it after the case being written, never halfway through one.

    The list yielded gets the signal's name when one arrives; the previous handlers come back after.
    """
    received: list[str] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
