"""Print the permission matrix (the source of docs/permissions.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from vinculo.accounts.roles import permission_matrix_markdown


class Command(BaseCommand):
    help = "Print the role/permission matrix as Markdown."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(permission_matrix_markdown())
