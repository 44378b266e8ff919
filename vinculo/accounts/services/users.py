"""User administration by the node administrator, and a person's own profile changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts import totp
from vinculo.accounts.models import Office, RecoveryCode, RoleAssignment, User
from vinculo.accounts.notices import Notice, notify_after_commit
from vinculo.accounts.roles import Role, roles_for_node
from vinculo.audit import services as audit
from vinculo.core.errors import DomainError

USERNAME_TAKEN = _("That username is already in use on this node.")
ROLE_NOT_ALLOWED = _("The role “%(role)s” cannot be assigned on this node.")
NO_ROLES = _("Give the account at least one role.")
NOT_ON_SELF = _("You cannot do this to your own account; ask another node administrator.")
WRONG_PASSWORD = _("Your current password is not correct.")
UNKNOWN_LANGUAGE = _("Unknown language.")
OFFICE_MISSING = _(
    "This node's office %(code)s is not in the offices table. Check VINCULO_NODE_ID and run the migrations."
)


def local_office() -> Office:
    """The office this node belongs to (from VINCULO_NODE_ID)."""
    office = Office.objects.filter(code=settings.NODE_ID).first()
    if office is None:
        raise DomainError(OFFICE_MISSING % {"code": settings.NODE_ID}, code="office_missing")
    return office


def _checked_roles(roles: Iterable[str]) -> list[Role]:
    allowed = roles_for_node(settings.NODE_ROLE)
    chosen: list[Role] = []
    for code in roles:
        try:
            role = Role(code)
        except ValueError:
            raise DomainError(ROLE_NOT_ALLOWED % {"role": code}) from None
        if role not in allowed:
            raise DomainError(ROLE_NOT_ALLOWED % {"role": role.label})
        chosen.append(role)
    if not chosen:
        raise DomainError(NO_ROLES)
    return sorted(set(chosen), key=list(Role).index)


def temporary_password() -> str:
    """A one-time password (about 79 bits) that is easy to read out: ``k7q2-m9xw-4pzr-h3ty``."""
    return totp.readable_code(16, group=4)


def _replace_roles(user: User, roles: list[Role], by: User | None) -> tuple[list[str], list[str]]:
    current = set(user.role_assignments.values_list("role", flat=True))
    wanted = {role.value for role in roles}
    added = sorted(wanted - current)
    removed = sorted(current - wanted)
    if removed:
        user.role_assignments.filter(role__in=removed).delete()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=code, granted_by=by) for code in added])
    user.__dict__.pop("role_codes", None)
    return added, removed


@transaction.atomic(durable=True)
def create_user(
    *,
    by: User | None,
    username: str,
    full_name: str,
    email: str,
    roles: Iterable[str],
    language: str = "es",
    password: str | None = None,
    is_demo_account: bool = False,
) -> tuple[User, str]:
    """Open an account in this node's office. Returns the user and the one-time password."""
    username = username.strip().lower()
    if User.objects.filter(username=username).exists():
        raise DomainError(USERNAME_TAKEN, code="username_taken")
    if language not in dict(settings.LANGUAGES):
        raise DomainError(UNKNOWN_LANGUAGE)
    checked = _checked_roles(roles)
    initial = password or temporary_password()
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        office=local_office(),
        language=language,
        must_change_password=password is None,
        is_demo_account=is_demo_account,
    )
    user.full_clean(exclude=["password"])
    user.set_password(initial)
    user.save()
    _replace_roles(user, checked, by)
    audit.record(
        action="user.created",
        actor=by,
        target=user,
        data={"username": user.username, "roles": [r.value for r in checked]},
    )
    return user, initial


@transaction.atomic(durable=True)
def update_user(*, by: User, user: User, full_name: str, email: str, language: str, roles: Iterable[str]) -> User:
    """Change a person's details and roles."""
    checked = _checked_roles(roles)
    if user.pk == by.pk and {role.value for role in checked} != set(user.role_codes):
        # Separation of duties: nobody grants themselves case access (or drops their own admin role).
        raise DomainError(NOT_ON_SELF)
    changes = {}
    for field, value in (("full_name", full_name.strip()), ("email", email.strip()), ("language", language)):
        if getattr(user, field) != value:
            changes[field] = value
            setattr(user, field, value)
    user.full_clean(exclude=["password"])
    if changes:
        user.save(update_fields=list(changes))
    added, removed = _replace_roles(user, checked, by)
    if changes or added or removed:
        audit.record(
            action="user.updated",
            actor=by,
            target=user,
            data={"fields": sorted(changes), "roles_added": added, "roles_removed": removed},
        )
    return user


@transaction.atomic(durable=True)
def set_active(*, by: User, user: User, is_active: bool) -> User:
    """Deactivate (or reactivate) an account. Accounts are never deleted: the audit trail names them."""
    if user.pk == by.pk:
        raise DomainError(NOT_ON_SELF)
    if user.is_active != is_active:
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        audit.record(action="user.reactivated" if is_active else "user.deactivated", actor=by, target=user)
    return user


@transaction.atomic(durable=True)
def unlock(*, by: User, user: User) -> User:
    """Lift a lockout before it runs out."""
    user.locked_until = None
    user.failed_login_count = 0
    user.save(update_fields=["locked_until", "failed_login_count"])
    audit.record(action="user.unlocked", actor=by, target=user)
    return user


@transaction.atomic(durable=True)
def reset_second_factor(*, by: User, user: User) -> User:
    """Remove a person's authenticator and recovery codes; they enrol again at next sign-in."""
    if user.pk == by.pk:
        raise DomainError(NOT_ON_SELF)
    user.totp_secret_sealed = ""
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.save(update_fields=["totp_secret_sealed", "totp_confirmed_at", "totp_last_step"])
    RecoveryCode.objects.filter(user=user).delete()
    audit.record(action="user.second_factor_reset", actor=by, target=user)
    notify_after_commit(user, Notice.SECOND_FACTOR_RESET)
    return user


@transaction.atomic(durable=True)
def reset_password(*, by: User, user: User) -> str:
    """Give a person a new one-time password (they must change it at next sign-in)."""
    if user.pk == by.pk:
        raise DomainError(NOT_ON_SELF)
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(action="user.password_reset", actor=by, target=user)
    notify_after_commit(user, Notice.PASSWORD_RESET)
    return password


@transaction.atomic(durable=True)
def change_own_password(*, user: User, current_password: str, new_password: str) -> User:
    """A person changes their own password (validated by the node's password rules)."""
    if not user.check_password(current_password):
        raise DomainError(WRONG_PASSWORD, code="wrong_password")
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(action="account.password_changed", actor=user, target=user)
    notify_after_commit(user, Notice.PASSWORD_CHANGED)
    return user


@transaction.atomic(durable=True)
def set_language(*, user: User, language: str) -> User:
    """Remember the language a person reads the node in."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(UNKNOWN_LANGUAGE)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        audit.record(action="account.language_changed", actor=user, target=user, data={"language": language})
    return user
