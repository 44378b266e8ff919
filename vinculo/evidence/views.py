"""The auditor's view of the evidence log: filters, and verifying the log now."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.evidence import selectors, services, verification
from vinculo.evidence.forms import EvidenceFilterForm

PAGE_SIZE = 50


@require_GET
@require_permission(Permission.AUDIT_VIEW)
def entry_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = EvidenceFilterForm(request.GET)
    page = None
    if filters.is_valid():
        entries = selectors.entries_for_auditor(actor, **filters.criteria())
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "head": selectors.chain_head(actor),
        "last_verification": selectors.last_verification(actor),
    }
    template = "evidence/entry_list.html#entry-rows" if request.htmx else "evidence/entry_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_POST
@require_permission(Permission.AUDIT_VIEW)
def verify_view(request: HttpRequest) -> HttpResponse:
    """Walk the whole log now and show whether it is intact (and where it breaks if not)."""
    actor = signed_in_user(request)
    verdict = services.verify_log(actor=actor)
    context = {"verdict": verdict, "reason": verification.describe(verdict)}
    template = "evidence/includes/verdict.html" if request.htmx else "evidence/verify.html"  # type: ignore[attr-defined]
    return render(request, template, context)
