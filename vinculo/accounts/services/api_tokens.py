"""API tokens for national systems: made, checked and revoked (every step audited)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import ApiToken, User
from vinculo.audit import services as audit
from vinculo.core.errors import DomainError

PREFIX = "vnc_"
INACTIVE_ACCOUNT = _("The account is deactivated.")
BAD_LIFETIME = _("A token lives between 1 and 730 days.")


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic(durable=True)
def create_token(*, by: User | None, user: User, name: str, days: int = 365) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with the only copy of the secret."""
    if not user.is_active:
        raise DomainError(INACTIVE_ACCOUNT)
    if not 1 <= days <= 730:
        raise DomainError(BAD_LIFETIME)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=secret[:12],
        digest=digest_of(secret),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        action="api_token.created",
        actor=by,
        actor_label=None if by else "system",
        target=user,
        data={"token": token.pk, "name": token.name, "days": days},
    )
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The account a presented token acts as, or None (unknown, revoked, expired, inactive)."""
    if not secret.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user__office").filter(digest=digest_of(secret)).first()
    if token is None or not token.is_usable():
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic(durable=True)
def revoke_token(*, by: User | None, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            action="api_token.revoked",
            actor=by,
            actor_label=None if by else "system",
            target=token.user,
            data={"token": token.pk, "name": token.name},
        )
    return token
