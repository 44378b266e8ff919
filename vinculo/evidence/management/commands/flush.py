"""Django's flush, taught about the append-only evidence table as well as the audit table.

It extends the audit module's flush (which refuses production); `vinculo.evidence` is listed
before `vinculo.audit` in INSTALLED_APPS so that this command is the one Django finds.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from vinculo.audit.management.commands.flush import Command as AuditFlushCommand
from vinculo.evidence import triggers


class Command(AuditFlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
