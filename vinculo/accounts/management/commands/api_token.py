"""`vinculo api_token create|list|revoke`: bearer tokens for national systems calling the API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.models import ApiToken, User
from vinculo.accounts.services import api_tokens
from vinculo.core.errors import DomainError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (each acts as one account of this node's office)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", help="create: the account the token acts as")
        parser.add_argument("--name", default="", help="create: what will use the token")
        parser.add_argument("--days", type=int, default=365, help="create: lifetime in days (1-730)")
        parser.add_argument("--id", type=int, help="revoke: the token's number (see list)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            user = User.objects.filter(username=options["user"] or "").first()
            if user is None:
                raise CommandError("Name an existing account with --user.")
            if not options["name"]:
                raise CommandError("Say what will use the token with --name.")
            try:
                token, secret = api_tokens.create_token(by=None, user=user, name=options["name"], days=options["days"])
            except DomainError as error:
                raise CommandError(str(error.message)) from error
            self.stdout.write(f"Token #{token.pk} for {user.username}, expires {token.expires_at:%Y-%m-%d}:")
            self.stdout.write(secret)
            self.stdout.write("It is shown only now. Send it as: Authorization: Bearer <token>")
        elif action == "list":
            for token in ApiToken.objects.select_related("user"):
                state = "revoked" if token.revoked_at else ("usable" if token.is_usable() else "expired")
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"#{token.pk} {token.prefix}… {token.user.username} '{token.name}' {state}, last used {used}"
                )
        else:
            found = ApiToken.objects.filter(pk=options["id"]).first()
            if found is None:
                raise CommandError("No such token; see `vinculo api_token list`.")
            api_tokens.revoke_token(by=None, token=found)
            self.stdout.write(f"Token #{found.pk} revoked.")
