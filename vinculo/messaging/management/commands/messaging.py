"""`vinculo messaging worker|status|ping`: the delivery worker and its companions.

vinculo messaging worker [--once] [--name NAME]   deliver due messages, hand accepted ones to
                                                   their handlers, refresh the directory
vinculo messaging status                          what waits, what was delivered or given up
vinculo messaging ping MEMBER                     queue a delivery test to another node
"""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from vinculo.core.errors import DomainError
from vinculo.messaging import handlers, heads, network
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox

IDLE_SECONDS = 1.0
DIRECTORY_EVERY_SECONDS = 60
HEAD_EVERY_SECONDS = 600
# The first head a minute after start: a worker that is restarted often does not sign heads in bursts.
HEAD_FIRST_SECONDS = 60


class Command(BaseCommand):
    help = "Run the delivery worker, show the outbox, or send a delivery test."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["worker", "status", "ping"])
        parser.add_argument("member", nargs="?", help="with ping: the member to test")
        parser.add_argument("--once", action="store_true", help="with worker: one pass, then exit")
        parser.add_argument("--name", help="with worker: this worker's name (default host:pid)")

    def handle(self, *args: Any, action: str, member: str | None = None, **options: Any) -> None:
        if action == "status":
            self._status()
        elif action == "ping":
            self._ping(member)
        else:
            self._work(name=options.get("name") or f"{socket.gethostname()}:{os.getpid()}", once=options["once"])

    def _status(self) -> None:
        for row in OutboundMessage.objects.values("recipient", "status").annotate(n=Count("id")).order_by("recipient"):
            self.stdout.write(f"out {row['recipient']:<12} {row['status']:<10} {row['n']}")
        unhandled = InboundMessage.objects.filter(processed_at__isnull=True).count()
        self.stdout.write(f"in  {InboundMessage.objects.count()} accepted, {unhandled} not yet handled")

    def _ping(self, member: str | None) -> None:
        if not member:
            raise CommandError("Say which member to test: vinculo messaging ping GT-MP")
        try:
            with transaction.atomic():
                message = outbox.send(type="system.ping", recipient=member, payload=b"{}")
        except (DomainError, network.NetworkUnavailable) as error:
            raise CommandError(str(getattr(error, "message", error))) from error
        self.stdout.write(f"Queued {message.id} for {member}; the worker delivers it.")

    def _work(self, *, name: str, once: bool) -> None:
        stopping = {"now": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["now"] = True  # finish the message in hand, then leave

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Delivery worker {name} started.")
        last_refresh = 0.0
        last_head = time.monotonic() - HEAD_EVERY_SECONDS + HEAD_FIRST_SECONDS
        while not stopping["now"]:
            if time.monotonic() - last_refresh > DIRECTORY_EVERY_SECONDS:
                last_refresh = time.monotonic()
                self._refresh_directory()
            if time.monotonic() - last_head > HEAD_EVERY_SECONDS:
                last_head = time.monotonic()
                self._exchange_heads()
            busy = self._pass(name, stopping)
            if once:
                break
            if not busy:
                time.sleep(IDLE_SECONDS)
        self.stdout.write(f"Delivery worker {name} stopped.")

    def _pass(self, name: str, stopping: dict[str, bool]) -> bool:
        busy = False
        for message_id in outbox.claim_due(name):
            if stopping["now"]:
                break
            outbox.deliver(message_id, name)
            busy = True
        return handlers.process_pending() > 0 or busy

    def _refresh_directory(self) -> None:
        from vinculo.federation.services import node

        try:
            node.refresh_if_due()
        except Exception as error:  # a hub that is down, or a bad answer, must not stop delivery
            self.stderr.write(f"directory refresh failed: {error}")

    def _exchange_heads(self) -> None:
        """Sign the evidence log's head and send it to every active peer (so history cannot be rewritten unseen)."""
        try:
            heads.sign_and_send()
        except Exception as error:  # no keys or no directory yet: try again next time
            self.stderr.write(f"evidence head not exchanged: {error}")
