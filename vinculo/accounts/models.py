"""Offices, people and their roles on this node."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.roles import Permission, Role, permissions_for, second_factor_required
from vinculo.core.models import BilingualName


class Office(BilingualName, models.Model):
    """A member prosecutor's office of the network (one per node), or the hub's secretariat."""

    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("For example SV-FGR."))
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 alpha-2 code."))
    name_es = models.CharField(_("name in Spanish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    is_hub = models.BooleanField(_("is the hub"), default=False)

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(username=username, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person with an account on this node; belongs to exactly one office."""

    username = models.CharField(
        _("username"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9._-]{2,63}$",
                _("Use 3 to 64 lower-case letters, digits, dots, dashes or underscores."),
            )
        ],
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="users", verbose_name=_("office"))
    language = models.CharField(
        _("language"), max_length=5, choices=[("es", "Español"), ("en", "English")], default="es"
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_demo_account = models.BooleanField(
        _("demo account"), default=False, help_text=_("Seeded synthetic account of a demo network.")
    )
    date_joined = models.DateTimeField(_("created"), default=timezone.now)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    failed_login_count = models.PositiveIntegerField(_("failed attempts"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    totp_secret_sealed = models.TextField(blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(_("second factor enrolled"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering: ClassVar = ["full_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.role_assignments.values_list("role", flat=True))

    @property
    def roles(self) -> list[Role]:
        return [role for role in Role if role.value in self.role_codes]

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.role_codes)

    def has_permission(self, permission: Permission) -> bool:
        return self.is_active and permission in self.permissions

    @property
    def needs_second_factor(self) -> bool:
        return second_factor_required(self.role_codes)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    def is_locked(self, *, at: Any = None) -> bool:
        moment = at or timezone.now()
        return self.locked_until is not None and self.locked_until > moment


class RoleAssignment(models.Model):
    """One role held by one user; the set of a user's rows is their role set."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.user.username}: {self.role}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator app; stored as a digest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["user", "digest"], name="unique_recovery_code")]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class ApiToken(models.Model):
    """A bearer token for a national system that calls the JSON API as one account of the office.

    Only the SHA-256 of the token is stored; the token itself is shown once, when it is made.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. the national case system."))
    prefix = models.CharField(_("starts with"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, *, at: Any = None) -> bool:
        moment = at or timezone.now()
        return self.revoked_at is None and self.expires_at > moment and self.user.is_active
