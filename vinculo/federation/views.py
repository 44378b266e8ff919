"""The hub's federation endpoints: the signed directory (public) and key-rotation announcements.

No session and no CSRF token: the directory holds only public keys and is signed, and an
announcement is its own credential (signed by the member's current key in the register).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from vinculo.core.errors import DomainError
from vinculo.federation.services import hub

MAX_ANNOUNCEMENT_BYTES = 16 * 1024
REFUSAL_STATUS = {"malformed": 400, "bad_time": 400, "bad_overlap": 400, "key_in_use": 409}


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


@require_GET
def directory_view(request: HttpRequest) -> HttpResponse:
    """The latest signed directory (a compact JWS), or 404 on an office node or before the first publication."""
    if settings.NODE_ROLE != "hub":
        return _json(404, {"code": "not_hub", "message": "only the hub publishes the network directory"})
    latest = hub.latest_published()
    if latest is None:
        return _json(404, {"code": "no_directory", "message": "the hub has not published a directory yet"})
    response = HttpResponse(latest.token, content_type="application/jose")
    response["X-Vinculo-Directory-Version"] = str(latest.version)
    return response


@csrf_exempt
@require_POST
def keys_view(request: HttpRequest) -> HttpResponse:
    """Accept a member's key-rotation announcement (a compact JWS signed by its current key)."""
    if settings.NODE_ROLE != "hub":
        return _json(404, {"code": "not_hub", "message": "only the hub keeps the network register"})
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_ANNOUNCEMENT_BYTES:
        message = f"an announcement is at most {MAX_ANNOUNCEMENT_BYTES} bytes"
        return _json(413, {"code": "too_large", "message": message})
    body = request.read(MAX_ANNOUNCEMENT_BYTES + 1)
    try:
        token = body.decode("ascii")
    except UnicodeDecodeError:
        return _json(400, {"code": "malformed", "message": "the announcement is not ASCII"})
    try:
        accepted = hub.accept_rotation(token)
    except hub.RotationRefused as refused:
        return _json(REFUSAL_STATUS.get(refused.code, 403), {"code": refused.code, "message": refused.detail})
    except DomainError as error:  # the hub cannot publish (its own register is incomplete)
        return _json(503, {"code": error.code, "message": str(error.message)})
    return _json(
        200,
        {
            "status": "already_known" if accepted.already_known else "accepted",
            "member": accepted.member,
            "directory_version": accepted.directory_version,
        },
    )
