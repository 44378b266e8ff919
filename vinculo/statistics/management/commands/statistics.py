"""`vinculo statistics build` and `vinculo statistics send-report`: count the office's cases, report to the hub.

    vinculo statistics build                     # a new snapshot of the aggregates
    vinculo statistics send-report [--monthly]   # count afresh and send the figures to the hub

The delivery worker counts once a day and sends the monthly report by itself (from the day's
aggregates); the command counts afresh and sends a report on demand (or, with --monthly, the
month's report if it has not gone yet).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.models import Office
from vinculo.core.errors import DomainError
from vinculo.statistics.models import Report
from vinculo.statistics.services import aggregates, reports


class Command(BaseCommand):
    help = "Count the office's cases into statistics, or send the statistical report to the hub."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["build", "send-report"])
        parser.add_argument("--monthly", action="store_true", help="send the month's report unless already sent")

    def handle(self, *args: Any, action: str, monthly: bool = False, **options: Any) -> None:
        if settings.NODE_ROLE != "office":
            raise CommandError("Statistics are counted and reported by office nodes, not by the hub.")
        office = Office.objects.get(code=settings.NODE_ID)
        started = time.perf_counter()
        try:
            if action == "build":
                snapshot = aggregates.build_snapshot(by=None, office=office)
                self.stdout.write(f"counted {snapshot.case_count} cases in {snapshot.build_ms} ms")
                return
            if monthly:
                report = reports.send_monthly_report()
                if report is None:
                    self.stdout.write("this month's report was already sent")
                    return
            else:
                snapshot = aggregates.build_snapshot(by=None, office=office)
                report = reports.send_report(by=None, kind=Report.Kind.ON_DEMAND, snapshot=snapshot)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        seconds = time.perf_counter() - started
        self.stdout.write(f"report {report.report_id} queued for the hub ({report.kind}, {seconds:.1f} s)")
