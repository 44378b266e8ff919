"""Site-wide pages: home, language switch, and the error pages (in the reader's language)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_POST

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.forms import LanguageForm
from vinculo.accounts.middleware import remember_language
from vinculo.accounts.roles import PERMISSION_INFO
from vinculo.accounts.services import users
from vinculo.audit import selectors as audit_selectors


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    """The person's start page: who they are on this node, what they may do, recent sign-ins."""
    user = signed_in_user(request)
    abilities = [PERMISSION_INFO[p].label for p in sorted(user.permissions)]
    context = {
        "person": user,
        "abilities": abilities,
        "recent_signins": audit_selectors.recent_signins(user, limit=5),
    }
    return render(request, "web/home.html", context)


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language; remembered on the account when signed in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if not form.is_valid():
        messages.error(request, _("Unknown language."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        users.set_language(user=request.user, language=language)
    remember_language(response, language)
    return response


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood. Nothing was changed."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        403,
        _("Not allowed"),
        _("Your roles do not allow this page. If you need it, ask your node administrator."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page not found"), _("There is nothing here, or you are not allowed to see it."))


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context processors' database queries failing again.
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    with override(language):
        text = _(
            "Something went wrong on this node. Nothing was changed. Quote this reference to your administrator: %(id)s"
        ) % {"id": getattr(request, "request_id", "-")}
        return _error(request, 500, _("Server error"), text)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("The form has expired"),
        _(
            "For your security, this form could not be accepted (it was open too long, or came from another site). "
            "Nothing was changed. Go back, reload the page and try again."
        ),
    )
