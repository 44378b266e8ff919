"""Signing in with a password and a second factor, enrolling the factor, signing out.

Between the password and the second factor the session holds only a "pending" marker
(user id, stage, start time); Django's login() runs when both steps have passed.
"""

from __future__ import annotations

import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from vinculo.accounts import totp
from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.forms import CodeForm, EnrolForm, LoginForm
from vinculo.accounts.middleware import remember_language
from vinculo.accounts.models import User
from vinculo.accounts.services import authentication, second_factor
from vinculo.accounts.services.authentication import Outcome, StepResult
from vinculo.core.errors import DomainError

PENDING_KEY = "vinculo_pending_login"
RECOVERY_KEY = "vinculo_new_recovery_codes"
PENDING_SECONDS = 300


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_message(result: StepResult) -> str:
    until = timezone.localtime(result.locked_until) if result.locked_until else None
    when = formats.time_format(until, "H:i") if until else ""
    return _(
        "This account is locked after too many failed attempts. Try again after %(time)s, "
        "or ask your node administrator to unlock it."
    ) % {"time": when}


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user half-way through signing in, if the marker is present and fresh."""
    marker = request.session.get(PENDING_KEY)
    if not isinstance(marker, dict) or time.time() - float(marker.get("started", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = marker.get("user_id")
    if not isinstance(user_id, int):
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.select_related("office").filter(pk=user_id, is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return user, marker


def _finish(request: HttpRequest, user: User, *, method: str, next_url: str) -> HttpResponse:
    authentication.record_login(user=user, method=method)
    request.session.pop(PENDING_KEY, None)
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["second_factor"] = method
    if method == "recovery_code":
        left = second_factor.unused_recovery_codes(user)
        messages.warning(
            request,
            ngettext(
                "You signed in with a recovery code. %(count)d code is left; make new ones from your security page.",
                "You signed in with a recovery code. %(count)d codes are left; make new ones from your security page.",
                left,
            )
            % {"count": left},
        )
    return HttpResponseRedirect(next_url)


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: username and password."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = authentication.check_password(
            username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if result.outcome is Outcome.OK and result.user is not None:
            user = result.user
            if user.has_second_factor:
                stage = "verify"
            elif user.needs_second_factor and not authentication.second_factor_waived(user):
                stage = "enrol"
            else:
                method = "waived_demo" if user.needs_second_factor else "not_required"
                return _finish(request, user, method=method, next_url=next_url)
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "stage": stage,
                "started": time.time(),
                "next": next_url,
            }
            return redirect("accounts:login_verify" if stage == "verify" else "accounts:login_enrol")
        if result.outcome is Outcome.LOCKED:
            form.add_error(None, _locked_message(result))
        else:
            form.add_error(None, _("The username or password is not correct."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@never_cache
def login_verify_view(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app or a recovery code."""
    pending = _pending(request)
    if pending is None or pending[1].get("stage") != "verify":
        messages.info(request, _("Start again by entering your username and password."))
        return redirect("accounts:login")
    user, marker = pending
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = authentication.check_second_factor(user_id=user.pk, code=form.cleaned_data["code"])
        if result.outcome is Outcome.OK:
            return _finish(request, user, method=result.method, next_url=marker["next"])
        if result.outcome is Outcome.LOCKED:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _locked_message(result))
            return redirect("accounts:login")
        form.add_error("code", _("That code is not valid. Enter the current code from your app, or a recovery code."))
        status = 401
    return render(request, "accounts/login_verify.html", {"form": form, "person": user}, status=status)


def _qr_svg(secret: str, user: User) -> str:
    account = f"{user.username}@{settings.NODE_ID}"
    uri = totp.provisioning_uri(secret, account=account, issuer=settings.TOTP_ISSUER or "Vínculo")
    # Rendered here, as inline SVG: the secret never leaves the node to draw the picture.
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff", title=_("QR code"))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrolment(request: HttpRequest, user: User, *, during_login: bool, next_url: str = "") -> HttpResponse:
    """The enrolment page and its form, shared by both ways in (while signing in, or from a session)."""
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.confirm_enrolment(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", str(error.message))
            status = 400
        else:
            if during_login:
                _finish(request, user, method="totp_enrolled", next_url=next_url)
            request.session["second_factor"] = "totp_enrolled"
            request.session[RECOVERY_KEY] = codes
            return redirect("accounts:recovery_codes")
    secret = second_factor.pending_secret(user) or second_factor.begin_enrolment(user=user)
    context = {
        "form": form,
        "person": user,
        "qr_svg": mark_safe(_qr_svg(secret, user)),  # noqa: S308 - generated SVG, no user input in markup
        "secret_grouped": _grouped(secret),
        "during_login": during_login,
    }
    return render(request, "accounts/enrol.html", context, status=status)


@never_cache
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """Second factor required but not set up: enrol it now, before the session starts."""
    pending = _pending(request)
    if pending is None or pending[1].get("stage") != "enrol":
        messages.info(request, _("Start again by entering your username and password."))
        return redirect("accounts:login")
    user, marker = pending
    return _enrolment(request, user, during_login=True, next_url=marker["next"])


@never_cache
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up the second factor from within a session (optional roles, or after an admin reset)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user = signed_in_user(request)
    if user.has_second_factor:
        messages.info(request, _("Your second factor is already set up."))
        return redirect("accounts:security")
    return _enrolment(request, user, during_login=False)


@never_cache
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Show freshly made recovery codes once; they are not kept anywhere in clear."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    codes = request.session.pop(RECOVERY_KEY, None)
    if not codes:
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        authentication.record_logout(user=request.user)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    django_logout(request)
    messages.success(request, _("You have signed out."))
    response = redirect("accounts:login")
    remember_language(response, language)
    return response
