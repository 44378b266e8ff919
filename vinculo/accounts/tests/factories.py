"""Factories for accounts. ``UserFactory(roles=[...], with_totp=True)`` builds a ready persona."""

from __future__ import annotations

import time
from typing import Any

import factory
from django.conf import settings
from django.utils import timezone

from vinculo.accounts import totp
from vinculo.accounts.models import Office, RoleAssignment, User
from vinculo.accounts.services.authentication import TOTP_PURPOSE
from vinculo.core.sealing import seal

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        office_code = factory.LazyFunction(lambda: settings.NODE_ID)

    username = factory.Sequence(lambda n: f"person{n}")
    full_name = factory.Sequence(lambda n: f"Persona Sintética {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    office = factory.LazyAttribute(lambda o: Office.objects.get(code=o.office_code))
    language = "es"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for role in extracted or []:
            RoleAssignment.objects.create(user=self, role=str(role))
        self.__dict__.pop("role_codes", None)

    @factory.post_generation
    def with_totp(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.totp_secret = totp.new_secret()
            self.totp_secret_sealed = seal(self.totp_secret, purpose=TOTP_PURPOSE)
            self.totp_confirmed_at = timezone.now()
        self.save()


def current_code(user: User, *, offset_steps: int = 0) -> str:
    """The code the person's authenticator shows now (or ``offset_steps`` later)."""
    secret: str = user.totp_secret  # type: ignore[attr-defined]
    return totp.code_at(secret, time.time() + offset_steps * totp.STEP_SECONDS)
