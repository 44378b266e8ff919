"""The endpoints peers upload attachments' chunks to (docs/protocol.md §16.4).

No session, no CSRF: each request carries a request signed by the sending node, checked like an
envelope's sender. ``vinculo/messaging/urls.py`` includes these under ``blobs/``.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from vinculo.federation import blobs
from vinculo.messaging.services import blob_uploads

AUTHORIZATION_SCHEME = "Vinculo "
MAX_CHUNK_BODY = blobs.MAX_CHUNK_SIZE + blobs.TAG_BYTES


def _answer(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _token(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header[len(AUTHORIZATION_SCHEME) :].strip() if header.startswith(AUTHORIZATION_SCHEME) else ""


@csrf_exempt
@require_GET
def blob_status_view(request: HttpRequest, blob: uuid.UUID) -> HttpResponse:
    """Which chunks of a blob this node holds from the requesting sender."""
    try:
        answer = blob_uploads.held_chunks(blob=str(blob), token=_token(request))
    except blob_uploads.UploadRefused as refused:
        return _answer(refused.status, {"code": refused.code, "detail": refused.detail})
    return _answer(200, answer)


@csrf_exempt
@require_http_methods(["PUT"])
def blob_chunk_view(request: HttpRequest, blob: uuid.UUID, index: int) -> HttpResponse:
    """One encrypted chunk, streamed to disk (never read whole into memory)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared.isdigit():
        return _answer(411, {"code": "malformed", "detail": "state the chunk's Content-Length"})
    if int(declared) > MAX_CHUNK_BODY:
        return _answer(413, {"code": "too_large", "detail": f"a chunk is at most {MAX_CHUNK_BODY} bytes"})
    if request.content_type != "application/octet-stream":
        return _answer(415, {"code": "malformed", "detail": "send the chunk as application/octet-stream"})
    try:
        answer = blob_uploads.accept_chunk(
            blob=str(blob), index=index, token=_token(request), body=request, length=int(declared)
        )
    except blob_uploads.UploadRefused as refused:
        return _answer(refused.status, {"code": refused.code, "detail": refused.detail})
    return _answer(200, answer)


urlpatterns = [
    path("<uuid:blob>", blob_status_view, name="blob_status"),
    path("<uuid:blob>/<int:index>", blob_chunk_view, name="blob_chunk"),
]
