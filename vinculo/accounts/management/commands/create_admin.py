"""Create a node administrator from the command line (the first account of a new node)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.roles import Role
from vinculo.accounts.services import users
from vinculo.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a node administrator and print a one-time password (changed at first sign-in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--language", choices=["es", "en"], default="es")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password = users.create_user(
                by=None,
                username=options["username"],
                full_name=options["full_name"],
                email=options["email"],
                roles=[Role.NODE_ADMIN.value],
                language=options["language"],
            )
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        except ValidationError as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
            raise CommandError(f"Invalid account details: {details}") from error
        self.stdout.write(f"Node administrator {user.username} created in {user.office.code}.")
        self.stdout.write(f"One-time password: {password}")
        self.stdout.write("Sign in with it, choose a new password and set up the second factor.")
