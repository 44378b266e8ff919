"""The JSON API (``/api/v1/``): one NinjaAPI; modules add routers. Schema: docs/openapi.json."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError
from ninja.security import django_auth

import vinculo
from vinculo.accounts.decorators import signed_in_user
from vinculo.api.schemas import ErrorOut, MeOut, NodeOut
from vinculo.core.errors import AccessDenied, DomainError, NotFound
from vinculo.messaging.network import NetworkUnavailable

api = NinjaAPI(
    title="Vínculo node API",
    version="1",
    description="JSON API of a Vínculo node. Session authentication (with CSRF) for the web interface; "
    "bearer tokens (`vinculo api_token`) for national case-management systems. Every error is "
    '`{"code", "message"}` with the message in the account\'s language.',
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 403 if isinstance(exc, AccessDenied) else 404 if isinstance(exc, NotFound) else 400
    return api.create_response(request, {"code": exc.code, "message": str(exc.message)}, status=status)


@api.exception_handler(NetworkUnavailable)
def network_unavailable(request: HttpRequest, exc: NetworkUnavailable) -> HttpResponse:
    """No network directory in force on this node: nothing can be sent until a fresh one arrives."""
    from django.utils.translation import gettext as _

    message = _("This node has no network directory in force, so nothing can be sent to other offices now.")
    return api.create_response(request, {"code": exc.code, "message": message}, status=503)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    from django.utils.translation import gettext as _

    return api.create_response(request, {"code": "unauthenticated", "message": _("Sign in first.")}, status=401)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    text = "; ".join(f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in messages.items())
    return api.create_response(request, {"code": "invalid", "message": text}, status=400)


@api.exception_handler(SchemaError)
def schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    """A body or query that does not fit the schema (a wrong type, a value out of range)."""
    from django.utils.translation import gettext as _

    parts = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
    message = _("The request does not fit the schema: %(details)s") % {"details": "; ".join(parts)}
    return api.create_response(request, {"code": "schema", "message": message}, status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    from django.utils.translation import gettext as _

    return api.create_response(request, {"code": "not_found", "message": _("Not found.")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    from django.utils.translation import gettext as _

    return api.create_response(request, {"code": "access_denied", "message": _("Not allowed.")}, status=403)


@api.get("/node", response=NodeOut, tags=["node"], summary="This node's identity (public)")
def node(request: HttpRequest) -> dict[str, object]:
    return {
        "node_id": settings.NODE_ID,
        "role": settings.NODE_ROLE,
        "version": vinculo.__version__,
        "demo": settings.DEMO_MODE,
    }


@api.get("/me", response={200: MeOut, 401: ErrorOut}, auth=django_auth, tags=["accounts"], summary="The signed-in user")
def me(request: HttpRequest) -> dict[str, object]:
    user = signed_in_user(request)
    return {
        "username": user.username,
        "full_name": user.full_name,
        "office": user.office.code,
        "language": user.language,
        "roles": sorted(user.role_codes),
        "permissions": sorted(p.value for p in user.permissions),
    }


def _mount_module_routers() -> None:
    from vinculo.cases.api import router as cases_router
    from vinculo.exchanges.api import router as exchanges_router
    from vinculo.reference.api import router as reference_router

    api.add_router("", cases_router)
    api.add_router("", reference_router)
    api.add_router("", exchanges_router)


_mount_module_routers()
