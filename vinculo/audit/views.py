"""The auditor's view of the trail: filters, export, and verifying the chain.

Reading, exporting and verifying are themselves audited, through the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.audit import exports, selectors, verification
from vinculo.audit import services as audit
from vinculo.audit.forms import AuditFilterForm

PAGE_SIZE = 50
EXPORT_CHUNK_SIZE = 2000


def _filter_query(query: QueryDict) -> str:
    """The filters that were given, as a query string (for export, page and address-bar links)."""
    given = {name: value for name in AuditFilterForm.base_fields if (value := query.get(name, "").strip())}
    return urlencode(given)


@require_GET
@require_permission(Permission.AUDIT_VIEW)
def entry_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = AuditFilterForm(request.GET)
    page = None
    if filters.is_valid():
        entries = selectors.entries_for_auditor(actor, **filters.criteria())
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        # Read the page before recording this view, so the rows and the count shown are the
        # trail as it was when the auditor asked (the new entry shows on the next view).
        page.object_list = list(page.object_list)
        audit.record_trail_viewed(
            actor=actor, filters=filters.described(), page=page.number, matched=page.paginator.count
        )
    else:
        audit.record_trail_viewed(actor=actor, filters=filters.submitted(), page=0, matched=0)
    query = _filter_query(request.GET)
    context = {
        "filters": filters,
        "page": page,
        "query": query,
        "can_export": actor.has_permission(Permission.AUDIT_EXPORT),
        "last_verification": selectors.last_verification(actor),
    }
    if not request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/entry_list.html", context)
    response = render(request, "audit/entry_list.html#entry-rows", context)
    # The address bar gets the filters that matter, not every empty field of the form.
    response["HX-Push-Url"] = reverse("audit:entry_list") + (f"?{query}" if query else "")
    return response


def _export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    actor = signed_in_user(request)
    filters = AuditFilterForm(request.GET)
    if not filters.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('audit:entry_list')}?{_filter_query(request.GET)}")
    entries = selectors.entries_for_export(actor, **filters.criteria())
    audit.record_trail_exported(
        actor=actor, file_format=file_format, filters=filters.described(), count=entries.count()
    )
    response = StreamingHttpResponse(
        exports.chunks(file_format, entries.iterator(chunk_size=EXPORT_CHUNK_SIZE)),
        content_type=exports.CONTENT_TYPES[file_format],
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(file_format)}"'
    return response


# require_permission's View type says HttpResponse; a streamed response is an HttpResponseBase.
@require_GET
@require_permission(Permission.AUDIT_EXPORT)
def export_csv_view(request: HttpRequest) -> HttpResponseBase:
    """The filtered trail as CSV (cells that a spreadsheet would run as formulas are defused)."""
    return _export(request, "csv")


@require_GET
@require_permission(Permission.AUDIT_EXPORT)
def export_jsonl_view(request: HttpRequest) -> HttpResponseBase:
    """The filtered trail as JSON lines, each with the fields its hash covers."""
    return _export(request, "jsonl")


@require_POST
@require_permission(Permission.AUDIT_VIEW)
def verify_view(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain now and show whether it is intact (and where it breaks if not)."""
    actor = signed_in_user(request)
    verdict = audit.verify_trail(actor=actor)
    context = {"verdict": verdict, "reason": verification.describe(verdict)}
    template = "audit/includes/verdict.html" if request.htmx else "audit/verify.html"  # type: ignore[attr-defined]
    return render(request, template, context)
