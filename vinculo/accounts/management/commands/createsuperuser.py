"""Refuse Django's createsuperuser: Vínculo has no superuser, only roles (use create_admin)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Not available in Vínculo: use `vinculo create_admin` to create a node administrator."

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError("Vínculo has no superuser. Use `vinculo create_admin --username ... --full-name ...`.")
