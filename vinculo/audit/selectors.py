"""Reads of the audit trail. Only auditors read it whole; people see their own sign-ins."""

from __future__ import annotations

from django.db.models import QuerySet

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry


def recent_signins(user: User, *, limit: int = 5) -> QuerySet[AuditEntry]:
    """The person's own latest successful sign-ins (shown on their start page)."""
    return AuditEntry.objects.filter(actor=user, action="auth.login").order_by("-seq")[:limit]
