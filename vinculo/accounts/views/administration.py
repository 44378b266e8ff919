"""User administration for the node administrator (accounts of this node's office only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vinculo.accounts import selectors
from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.forms import UserFilterForm, UserForm
from vinculo.accounts.roles import Permission
from vinculo.accounts.services import users
from vinculo.core.errors import DomainError

TEMP_PASSWORD_KEY = "vinculo_temporary_password"  # noqa: S105 - a session key name, not a password


@require_permission(Permission.USERS_MANAGE)
def user_list_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    filters = UserFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    people = selectors.user_list(
        actor, text=criteria.get("text", ""), role=criteria.get("role", ""), status=criteria.get("status", "")
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    template = "accounts/user_list.html#user-rows" if request.htmx else "accounts/user_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"filters": filters, "page": page})


@require_permission(Permission.USERS_MANAGE)
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    form = UserForm(request.POST or None, initial={"language": actor.language})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                person, password = users.create_user(
                    by=actor,
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    roles=data["roles"],
                    language=data["language"],
                )
            except DomainError as error:
                form.add_error("username" if error.code == "username_taken" else None, str(error.message))
            else:
                request.session[TEMP_PASSWORD_KEY] = {"user_id": person.pk, "password": password}
                messages.success(request, _("The account has been created."))
                return redirect("accounts:user_detail", user_id=person.pk)
    return render(request, "accounts/user_form.html", {"form": form}, status=status)


@require_permission(Permission.USERS_MANAGE)
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    person = selectors.user_for_admin(actor, user_id)
    initial = {
        "full_name": person.full_name,
        "email": person.email,
        "language": person.language,
        "roles": sorted(person.role_codes),
    }
    form = UserForm(request.POST or None, initial=initial, editing=person)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                users.update_user(
                    by=actor,
                    user=person,
                    full_name=data["full_name"],
                    email=data["email"],
                    language=data["language"],
                    roles=data["roles"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The changes have been saved."))
                return redirect("accounts:user_detail", user_id=person.pk)
    temporary = request.session.pop(TEMP_PASSWORD_KEY, None)
    if not (isinstance(temporary, dict) and temporary.get("user_id") == person.pk):
        temporary = None
    context = {"person": person, "form": form, "temporary": temporary, "is_self": person.pk == actor.pk}
    return render(request, "accounts/user_detail.html", context, status=status)


ACTIONS = {
    "deactivate": (
        lambda actor, person: users.set_active(by=actor, user=person, is_active=False),
        gettext_lazy("The account has been deactivated."),
    ),
    "reactivate": (
        lambda actor, person: users.set_active(by=actor, user=person, is_active=True),
        gettext_lazy("The account has been reactivated."),
    ),
    "unlock": (
        lambda actor, person: users.unlock(by=actor, user=person),
        gettext_lazy("The account has been unlocked."),
    ),
    "reset_second_factor": (
        lambda actor, person: users.reset_second_factor(by=actor, user=person),
        gettext_lazy("The second factor has been removed. The person will set it up again at next sign-in."),
    ),
}


@require_POST
@require_permission(Permission.USERS_MANAGE)
def user_action_view(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """One administrative action on an account, from a button on its page."""
    actor = signed_in_user(request)
    person = selectors.user_for_admin(actor, user_id)
    try:
        if action == "reset_password":
            password = users.reset_password(by=actor, user=person)
            request.session[TEMP_PASSWORD_KEY] = {"user_id": person.pk, "password": password}
            messages.success(request, _("A new one-time password has been made."))
        elif action in ACTIONS:
            run, done = ACTIONS[action]
            run(actor, person)
            messages.success(request, str(done))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("accounts:user_detail", user_id=person.pk)
