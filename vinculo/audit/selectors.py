"""Reads of the audit trail. Only auditors read it whole; people see their own sign-ins."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import TypedDict, Unpack

from django.conf import settings
from django.db.models import Max, Q, QuerySet

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied


def recent_signins(user: User, *, limit: int = 5) -> QuerySet[AuditEntry]:
    """The person's own latest successful sign-ins (shown on their start page)."""
    return AuditEntry.objects.filter(actor=user, action="auth.login").order_by("-seq")[:limit]


def _start_of_day(day: date) -> datetime:
    # Days are the node's days: an auditor in San Salvador asking for 1 March means
    # midnight to midnight there, not in UTC.
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


class TrailCriteria(TypedDict, total=False):
    """What the trail can be filtered by (every key optional)."""

    username: str  # part of the actor's username at the time
    action: str  # a code (auth.login), the start of one (auth.) or a family (auth)
    office: str
    target_type: str
    target_id: str
    request_id: str
    date_from: date | None  # inclusive, in the node's time zone
    date_to: date | None  # inclusive, in the node's time zone


def _filtered(entries: QuerySet[AuditEntry], criteria: TrailCriteria) -> QuerySet[AuditEntry]:
    username = criteria.get("username", "")
    action = criteria.get("action", "")
    office = criteria.get("office", "")
    target_type = criteria.get("target_type", "")
    target_id = criteria.get("target_id", "")
    request_id = criteria.get("request_id", "")
    date_from = criteria.get("date_from")
    date_to = criteria.get("date_to")
    if username:
        entries = entries.filter(actor_label__icontains=username)
    if action:
        code = action.strip().lower().removesuffix("*")
        if code.endswith("."):
            entries = entries.filter(action__startswith=code)
        else:
            # "auth" finds auth itself and its family (auth.login, auth.failed, ...).
            entries = entries.filter(Q(action=code) | Q(action__startswith=f"{code}."))
    if office:
        entries = entries.filter(office_code__iexact=office.strip())
    if target_type:
        entries = entries.filter(target_type=target_type.strip())
    if target_id:
        entries = entries.filter(target_id=target_id.strip())
    if request_id:
        entries = entries.filter(request_id=request_id.strip())
    # The first and last days of the calendar have no neighbour to convert to UTC through;
    # a bound there means "no bound".
    if date_from is not None and date_from > date.min + timedelta(days=1):
        entries = entries.filter(at__gte=_start_of_day(date_from))
    if date_to is not None and date_to < date.max - timedelta(days=1):
        entries = entries.filter(at__lt=_start_of_day(date_to + timedelta(days=1)))
    return entries


def entries_for_auditor(actor: User, **criteria: Unpack[TrailCriteria]) -> QuerySet[AuditEntry]:
    """The trail as the auditor's page shows it, newest first.

    ``username`` matches part of the actor's username at the time; ``action`` is a code
    (``auth.login``), the start of one (``auth.``) or a family (``auth``); dates are
    inclusive, in the node's time zone.
    """
    if not actor.has_permission(Permission.AUDIT_VIEW):
        raise AccessDenied(Permission.AUDIT_VIEW.value)
    entries = _filtered(AuditEntry.objects.all(), criteria)
    return entries.order_by("-seq")


def entries_for_export(actor: User | None, **criteria: Unpack[TrailCriteria]) -> QuerySet[AuditEntry]:
    """The filtered trail to export, oldest first, as it stands now.

    ``actor`` None is the node's operator at the console (who holds the database anyway).
    Entries are capped at the newest one existing when the export starts, so the count
    recorded for the export is exactly what is sent, however long the download takes.
    """
    if actor is not None and not actor.has_permission(Permission.AUDIT_EXPORT):
        raise AccessDenied(Permission.AUDIT_EXPORT.value)
    newest = AuditEntry.objects.aggregate(newest=Max("seq"))["newest"] or 0
    entries = _filtered(AuditEntry.objects.filter(seq__lte=newest), criteria)
    return entries.order_by("seq")


def last_verification(actor: User) -> AuditEntry | None:
    """The latest successful verification of the chain (only successes are ever recorded)."""
    if not actor.has_permission(Permission.AUDIT_VIEW):
        raise AccessDenied(Permission.AUDIT_VIEW.value)
    return AuditEntry.objects.filter(action="audit.verified").order_by("-seq").first()
