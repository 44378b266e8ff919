"""Django's flush, taught about the append-only audit table (tests and development only).

Flushing erases everything, the audit trail included, so it is refused in production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from vinculo.audit import triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("flush erases the audit trail and is refused when VINCULO_ENVIRONMENT=production.")
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
