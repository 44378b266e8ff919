"""The inbox endpoint other nodes post envelopes to, and the delivery pages of the node's administrators.

The inbox takes no session and no CSRF token: the envelope is the credential. The pages are for
node administrators and auditors (``selectors.READERS``), read only, and never show content.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_any_permission, signed_in_user
from vinculo.core.errors import NotFound
from vinculo.core.middleware import client_ip
from vinculo.messaging import health, network, selectors
from vinculo.messaging.forms import ReceivedFilterForm, RefusedFilterForm, SentFilterForm
from vinculo.messaging.services import inbox

CONTENT_TYPES = ("application/jose", "application/octet-stream", "text/plain")


def _answer(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def inbox_view(request: HttpRequest) -> HttpResponse:
    try:
        limit = network.policy().max_envelope_bytes
    except network.NetworkUnavailable as unavailable:
        # Nothing can be checked without a directory, but the refusal is recorded like the others;
        # the envelope is read up to the protocol's default limit (the policy's is unknown).
        data = request.read(network.Policy().max_envelope_bytes)
        return _refused(inbox.refuse_unavailable(data, unavailable, remote_address=client_ip(request)))
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        return _answer(413, {"code": "too_large", "detail": f"an envelope is at most {limit} bytes"})
    if request.content_type not in CONTENT_TYPES:
        return _answer(415, {"code": "malformed", "detail": "send the envelope as application/jose"})
    data = request.read(limit + 1)
    try:
        accepted = inbox.receive(data, remote_address=client_ip(request))
    except inbox.Refused as refused:
        return _refused(refused)
    return _answer(200, {"receipt": accepted.receipt, "duplicate": accepted.duplicate})


def _refused(refused: inbox.Refused) -> HttpResponse:
    answer = _answer(refused.status, {"code": refused.code, "detail": refused.detail})
    if refused.retry_after is not None:
        answer["Retry-After"] = str(refused.retry_after)
    return answer


# --- the delivery pages --------------------------------------------------------------------------

PAGE_SIZE = 50
readers_only = require_any_permission(*selectors.READERS)


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, rows: str = "") -> HttpResponse:
    """The page (or, for htmx, only its ``rows`` partial), with the directory's state for the banner."""
    actor = signed_in_user(request)
    context = {"directory_status": selectors.directory_status(actor, now=timezone.now()), **context}
    if rows and request.htmx:  # type: ignore[attr-defined]
        template = f"{template}#{rows}"
    return render(request, template, context)


@require_GET
@readers_only
def health_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    context = {
        "peers": selectors.delivery_health(actor, now=timezone.now(), language=get_language()),
        "delayed_after": int(health.DELAYED_AFTER.total_seconds()),
        "failing_after": int(health.FAILING_AFTER.total_seconds()),
    }
    return _render(request, "messaging/health.html", context)


@require_GET
@readers_only
def sent_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = SentFilterForm(request.GET)
    page = None
    if filters.is_valid():
        messages = selectors.sent_messages(actor, **filters.criteria())
        page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "messaging/sent_list.html", {"filters": filters, "page": page}, rows="rows")


@require_GET
@readers_only
def sent_detail_view(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    try:
        sent = selectors.sent_message(signed_in_user(request), message_id)
    except NotFound:
        raise Http404 from None
    return _render(request, "messaging/sent_detail.html", {"sent": sent, "message": sent.message})


@require_GET
@readers_only
def received_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = ReceivedFilterForm(request.GET)
    page = None
    if filters.is_valid():
        messages = selectors.received_messages(actor, **filters.criteria())
        page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "messaging/received_list.html", {"filters": filters, "page": page}, rows="rows")


@require_GET
@readers_only
def received_detail_view(request: HttpRequest, sender: str, message_id: uuid.UUID) -> HttpResponse:
    try:
        received = selectors.received_message(signed_in_user(request), sender, message_id)
    except NotFound:
        raise Http404 from None
    return _render(request, "messaging/received_detail.html", {"received": received, "message": received.message})


@require_GET
@readers_only
def refused_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = RefusedFilterForm(request.GET)
    page = None
    if filters.is_valid():
        refusals = selectors.refused_envelopes(actor, **filters.criteria())
        page = Paginator(refusals, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "messaging/refused_list.html", {"filters": filters, "page": page}, rows="rows")


@require_GET
@readers_only
def directory_view(request: HttpRequest) -> HttpResponse:
    overview = selectors.directory_overview(signed_in_user(request), now=timezone.now(), language=get_language())
    return _render(request, "messaging/directory.html", {"overview": overview})
