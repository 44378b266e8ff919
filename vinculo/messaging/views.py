"""The inbox endpoint other nodes post envelopes to (no session, no CSRF: the envelope is the credential)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from vinculo.core.middleware import client_ip
from vinculo.messaging import network
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
        return _answer(503, {"code": unavailable.code, "detail": unavailable.detail})
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        return _answer(413, {"code": "too_large", "detail": f"an envelope is at most {limit} bytes"})
    if request.content_type not in CONTENT_TYPES:
        return _answer(415, {"code": "malformed", "detail": "send the envelope as application/jose"})
    data = request.read(limit + 1)
    try:
        accepted = inbox.receive(data, remote_address=client_ip(request))
    except inbox.Refused as refused:
        answer = _answer(refused.status, {"code": refused.code, "detail": refused.detail})
        if refused.retry_after is not None:
            answer["Retry-After"] = str(refused.retry_after)
        return answer
    return _answer(200, {"receipt": accepted.receipt, "duplicate": accepted.duplicate})
