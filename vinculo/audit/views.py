"""The auditor's view of the trail (filters, export)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vinculo.accounts.decorators import require_permission
from vinculo.accounts.roles import Permission
from vinculo.audit.models import AuditEntry


@require_permission(Permission.AUDIT_VIEW)
def entry_list_view(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()[:100]
    return render(request, "audit/entry_list.html", {"entries": entries})
