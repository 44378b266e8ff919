"""View guards: signed in, and holding a permission of the matrix (else 403, audited)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit

View = Callable[..., HttpResponseBase]


@transaction.atomic(durable=True)
def _record_denial(request: HttpRequest, wanted: str) -> None:
    audit.record(
        action="access.denied",
        actor=request.user if isinstance(request.user, User) else None,
        data={"permission": wanted, "path": request.path[:200]},
    )


def require_permission(permission: Permission) -> Callable[[View], View]:
    """Let the view run only for a signed-in user who holds ``permission``."""
    return require_any_permission(permission)


def require_any_permission(*permissions: Permission) -> Callable[[View], View]:
    """Let the view run only for a signed-in user who holds at least one of ``permissions``."""
    wanted = "|".join(permission.value for permission in permissions)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(user.has_permission(permission) for permission in permissions):
                _record_denial(request, wanted)
                raise PermissionDenied(wanted)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def signed_in_user(request: HttpRequest) -> User:
    """The request's user as a Vínculo account (views behind login_required / require_permission)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("not signed in")
    return user
