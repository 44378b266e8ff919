"""A person's own profile: details, language, password and second factor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.forms import EnrolForm, LanguageForm, PasswordChangeForm
from vinculo.accounts.services import second_factor, users
from vinculo.accounts.views.signin import RECOVERY_KEY
from vinculo.core.errors import DomainError


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "person": user,
        "language_form": LanguageForm(initial={"language": user.language, "next": request.path}),
        "permissions": sorted(user.permissions),
    }
    return render(request, "accounts/profile.html", context)


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                users.change_own_password(
                    user=user,
                    current_password=form.cleaned_data["current_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except DomainError as error:
                form.add_error("current_password", str(error.message))
            except ValidationError as error:
                form.add_error("new_password", error)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password has been changed."))
                return redirect("accounts:profile")
    return render(
        request, "accounts/password_change.html", {"form": form, "forced": user.must_change_password}, status=status
    )


@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    """Second-factor status, and new recovery codes on request (needs a current code)."""
    user = signed_in_user(request)
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = second_factor.regenerate_recovery_codes(user=user, code=form.cleaned_data["code"])
            except DomainError as error:
                form.add_error("code", str(error.message))
            else:
                request.session[RECOVERY_KEY] = codes
                return redirect("accounts:recovery_codes")
    context = {
        "person": user,
        "form": form,
        "codes_left": second_factor.unused_recovery_codes(user) if user.has_second_factor else 0,
        "method": request.session.get("second_factor", ""),
    }
    return render(request, "accounts/security.html", context, status=status)
