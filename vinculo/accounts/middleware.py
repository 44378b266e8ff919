"""Session rules: idle timeout, the reader's language, and account states that block use."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vinculo.accounts.models import User
from vinculo.accounts.services import authentication

LAST_SEEN_KEY = "vinculo_last_seen"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which would otherwise swap the target in place)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _is_static(request: HttpRequest) -> bool:
    return request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class IdleTimeoutMiddleware:
    """Signs a person out after VINCULO_SESSION_IDLE_MINUTES without a request, and says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not _is_static(request):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle = settings.SESSION_IDLE_MINUTES
            if isinstance(last_seen, int | float) and now - last_seen > idle * 60:
                authentication.record_session_expired(user=user, idle_minutes=idle)
                language = translation.get_language()
                logout(request)
                if _is_api(request):
                    # The API answers for itself (401 with its error shape) to the now anonymous request.
                    return self.get_response(request)
                with translation.override(language):
                    messages.warning(
                        request,
                        ngettext(
                            "Your session expired after %(minutes)d minute without activity. Sign in again.",
                            "Your session expired after %(minutes)d minutes without activity. Sign in again.",
                            idle,
                        )
                        % {"minutes": idle},
                    )
                login_url = resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()})
                return _redirect(request, login_url)
            request.session[LAST_SEEN_KEY] = int(now)
        return self.get_response(request)


def remember_language(response: HttpResponse, language: str) -> None:
    """Keep the language in this node's cookie (read by UserLanguageMiddleware before sign-in)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )


class UserLanguageMiddleware:
    """Chooses the language: the person's own setting, else the language cookie, else Spanish.

    The browser's Accept-Language is deliberately ignored: the network works in Spanish by
    default and a shared office computer's browser settings say nothing about its reader.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        available = dict(settings.LANGUAGES)
        language = settings.LANGUAGE_CODE
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie in available:
            language = cookie
        user = request.user
        if user.is_authenticated and getattr(user, "language", "") in available:
            language = user.language
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.setdefault("Content-Language", language)
        return response


def _required_page(user: User) -> str | None:
    """The page a signed-in person must visit before anything else, if any."""
    if user.must_change_password:
        return "accounts:password_change"
    if user.needs_second_factor and not user.has_second_factor and not authentication.second_factor_waived(user):
        return "accounts:enrol"
    return None


class AccountStateMiddleware:
    """Sends a signed-in person to the page they must visit first (new password, second factor)."""

    ALLOWED = (
        "accounts:password_change",
        "accounts:logout",
        "accounts:enrol",
        "accounts:recovery_codes",
        "web:set_language",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not _is_static(request):
            required = _required_page(user)
            if required and request.path not in {reverse(name) for name in self.ALLOWED}:
                if _is_api(request):
                    message = _("Finish signing in on the web page first.")
                    return JsonResponse({"code": "account_action_required", "message": message}, status=403)
                return _redirect(request, reverse(required))
        return self.get_response(request)
