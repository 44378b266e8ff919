"""`vinculo messaging worker|status|ping`: the delivery worker and its companions.

vinculo messaging worker [--once] [--name NAME] [--threads N] [--batch N]
                                                   deliver due messages, hand accepted ones to
                                                   their handlers, refresh the directory, run
                                                   other modules' periodic jobs (periodic.py)
vinculo messaging status                          what waits, what was delivered or given up
vinculo messaging ping MEMBER                     queue a delivery test to another node
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections, transaction
from django.db.models import Count

from vinculo.core.errors import DomainError
from vinculo.messaging import handlers, heads, network, periodic
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox

log = logging.getLogger(__name__)

# An idle worker looks for received messages to hand on, and its delivery threads for messages
# due, this often: with a read that takes no lock (a claim, which writes, is tried only when the
# read found something due), so that a query and its answer cross four workers in about a second.
# A message this worker's own handlers queue (an answer) wakes its delivery threads at once.
IDLE_SECONDS = 0.1
DIRECTORY_EVERY_SECONDS = 60
HEAD_EVERY_SECONDS = 600
# The first head a minute after start: a worker that is restarted often does not sign heads in bursts.
HEAD_FIRST_SECONDS = 60


class Command(BaseCommand):
    help = "Run the delivery worker, show the outbox, or send a delivery test."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._nudge = threading.Event()  # set when this worker queued messages: its delivery threads look now

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["worker", "status", "ping"])
        parser.add_argument("member", nargs="?", help="with ping: the member to test")
        parser.add_argument("--once", action="store_true", help="with worker: one pass, then exit")
        parser.add_argument("--name", help="with worker: this worker's name (default host:pid)")
        parser.add_argument(
            "--threads",
            type=int,
            help="with worker: deliveries in flight at once, each thread with its own database connection and "
            "HTTP connections (default VINCULO_DELIVERY_THREADS)",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=outbox.BATCH_SIZE,
            help=f"with worker: messages a thread claims and seals at once (default {outbox.BATCH_SIZE})",
        )

    def handle(self, *args: Any, action: str, member: str | None = None, **options: Any) -> None:
        if action == "status":
            self._status()
        elif action == "ping":
            self._ping(member)
        else:
            threads = options.get("threads") or settings.DELIVERY_THREADS
            if threads < 1 or options["batch"] < 1:
                raise CommandError("--threads and --batch must be at least 1.")
            self._work(
                name=(options.get("name") or f"{socket.gethostname()}:{os.getpid()}")[:64],
                once=options["once"],
                threads=threads,
                batch=options["batch"],
            )

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

    def _work(self, *, name: str, once: bool, threads: int, batch: int) -> None:
        stopping = threading.Event()

        def stop(signum: int, frame: Any) -> None:
            stopping.set()  # finish the messages in hand, then leave

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Delivery worker {name} started.")
        if once:
            self._refresh_directory()
            self._deliver_due(name, batch, stopping)
            handlers.process_pending()
            periodic.Schedule().run_due()  # a first pass: every job that is enabled
        else:
            # Deliveries run in their own threads, each claiming a batch at a time; this thread
            # refreshes the directory, exchanges evidence heads, hands received messages on and
            # runs the periodic jobs other modules registered.
            delivering = [
                threading.Thread(
                    target=self._deliver_loop, args=(name, batch, stopping), name=f"delivery-{number}", daemon=True
                )
                for number in range(threads)
            ]
            for thread in delivering:
                thread.start()
            try:
                self._main_loop(stopping)
            finally:
                stopping.set()
                for thread in delivering:
                    thread.join()
        self.stdout.write(f"Delivery worker {name} stopped.")

    def _main_loop(self, stopping: threading.Event, *, schedule: periodic.Schedule | None = None) -> None:
        schedule = schedule or periodic.Schedule()
        last_refresh = 0.0
        last_head = time.monotonic() - HEAD_EVERY_SECONDS + HEAD_FIRST_SECONDS
        while not stopping.is_set():
            close_old_connections()
            if time.monotonic() - last_refresh > DIRECTORY_EVERY_SECONDS:
                last_refresh = time.monotonic()
                self._refresh_directory()
            if time.monotonic() - last_head > HEAD_EVERY_SECONDS:
                last_head = time.monotonic()
                self._exchange_heads()
            schedule.run_due()  # a job that fails is logged and waits its interval
            if handlers.process_pending():
                self._nudge.set()  # what the handlers queued (answers) leaves now
            else:
                stopping.wait(IDLE_SECONDS)

    def _deliver_loop(self, name: str, batch: int, stopping: threading.Event) -> None:
        """One delivery thread: claim a batch, deliver it, again; look again shortly when nothing is due."""
        try:
            while not stopping.is_set():
                close_old_connections()
                try:
                    claimed = outbox.claim_due(name, limit=batch) if outbox.anything_due() else []
                    if claimed:
                        outbox.deliver_batch(claimed, name, should_stop=stopping.is_set)
                except Exception:  # a database that went away, a bug: the claims expire, delivery goes on
                    log.exception("delivery pass failed")
                    claimed = []
                if not claimed and not stopping.is_set() and self._nudge.wait(IDLE_SECONDS):
                    self._nudge.clear()
        finally:
            outbox.close_connections()
            connections.close_all()

    def _deliver_due(self, name: str, batch: int, stopping: threading.Event) -> None:
        """``--once``: one batch of what is due, in this thread."""
        claimed = outbox.claim_due(name, limit=batch)
        if claimed:
            outbox.deliver_batch(claimed, name, should_stop=stopping.is_set)

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
