"""Reads for accounts. Administrators only ever see the accounts of their own office."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.core.errors import AccessDenied


def users_visible_to(actor: User) -> QuerySet[User]:
    """Accounts the actor may administer: those of the actor's office, for node administrators."""
    if not actor.has_permission(Permission.USERS_MANAGE):
        raise AccessDenied("users.manage")
    return User.objects.filter(office=actor.office).select_related("office").prefetch_related("role_assignments")


def user_list(actor: User, *, text: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """The filtered account list of the administration page."""
    users = users_visible_to(actor)
    if text:
        users = users.filter(Q(username__icontains=text) | Q(full_name__icontains=text) | Q(email__icontains=text))
    if role:
        users = users.filter(role_assignments__role=role)
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    elif status == "locked":
        from django.utils import timezone

        users = users.filter(locked_until__gt=timezone.now())
    return users.distinct()


def user_for_admin(actor: User, user_id: int) -> User:
    """One account the actor may administer, or 404 (never reveal other offices' accounts)."""
    user = users_visible_to(actor).filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user
