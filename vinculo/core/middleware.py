"""Request id propagation and the security headers Django does not set on its own."""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from vinculo.core.context import RequestContext, bind_request, current_request, unbind_request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address for audit and logs.

    X-Forwarded-For is believed only when the direct peer is one of VINCULO_TRUSTED_PROXIES,
    and then read from the right, skipping trusted proxies: the first other address is the
    one the proxy itself saw, which a client cannot forge (it can only prepend).
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXIES
    if remote not in trusted:
        return remote[:64]
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed(forwarded.split(",")):
        address = _valid_ip(hop)
        if address is None:
            break
        if address not in trusted:
            return address
    return remote[:64]


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed one from the proxy) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = bind_request(RequestContext(request_id=request_id, client_ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            unbind_request(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Headers beyond SecurityMiddleware's: Permissions-Policy, CORP, and no caching of pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("X-Permitted-Cross-Domain-Policies", "none")
        # Also here (not only XFrameOptionsMiddleware) because WhiteNoise answers static
        # files before the later middleware runs.
        response.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            # Pages may show case data: keep them out of shared and browser caches.
            response.setdefault("Cache-Control", "no-store")
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request()
        record.request_id = context.request_id if context else "-"
        return True
