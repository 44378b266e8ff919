"""Enrolling, using and resetting the TOTP second factor and its recovery codes."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts import totp
from vinculo.accounts.models import RecoveryCode, User
from vinculo.accounts.notices import Notice, notify_after_commit
from vinculo.accounts.services.authentication import TOTP_PURPOSE
from vinculo.audit import services as audit
from vinculo.core.errors import DomainError
from vinculo.core.sealing import seal, unseal

WRONG_CODE = _("That code is not valid. Check the time on your phone and enter the current code.")
ALREADY_ENROLLED = _("A second factor is already set up for this account.")
NOT_ENROLLED = _("This account has no second factor set up yet.")


@transaction.atomic(durable=True)
def begin_enrolment(*, user: User) -> str:
    """Create a new, unconfirmed secret for ``user`` and return it (for the QR code)."""
    if user.has_second_factor:
        raise DomainError(ALREADY_ENROLLED)
    secret = totp.new_secret()
    user.totp_secret_sealed = seal(secret, purpose=TOTP_PURPOSE)
    user.totp_last_step = None
    user.save(update_fields=["totp_secret_sealed", "totp_last_step"])
    return secret


def pending_secret(user: User) -> str | None:
    """The unconfirmed secret being enrolled, if any."""
    if user.has_second_factor or not user.totp_secret_sealed:
        return None
    return unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE)


def _issue_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=totp.recovery_code_digest(c)) for c in codes])
    return codes


@transaction.atomic(durable=True)
def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Check the first code from the app; on success the factor is active. Returns recovery codes."""
    user = User.objects.select_for_update().select_related("office").get(pk=user.pk)
    secret = pending_secret(user)
    if secret is None:
        raise DomainError(ALREADY_ENROLLED if user.has_second_factor else NOT_ENROLLED)
    step = totp.verify(secret, code, unix_time=time.time(), window=settings.TOTP_VALID_WINDOW)
    if step is None:
        raise DomainError(WRONG_CODE, code="wrong_code")
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step
    user.save(update_fields=["totp_confirmed_at", "totp_last_step"])
    codes = _issue_recovery_codes(user)
    audit.record(action="account.second_factor_enrolled", actor=user, target=user)
    notify_after_commit(user, Notice.SECOND_FACTOR_ENROLLED)
    return codes


@transaction.atomic(durable=True)
def regenerate_recovery_codes(*, user: User, code: str) -> list[str]:
    """Replace all recovery codes; needs a current code from the app."""
    user = User.objects.select_for_update().select_related("office").get(pk=user.pk)
    if not user.has_second_factor:
        raise DomainError(NOT_ENROLLED)
    secret = unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE)
    step = totp.verify(
        secret, code, unix_time=time.time(), window=settings.TOTP_VALID_WINDOW, last_step=user.totp_last_step
    )
    if step is None:
        raise DomainError(WRONG_CODE, code="wrong_code")
    user.totp_last_step = step
    user.save(update_fields=["totp_last_step"])
    codes = _issue_recovery_codes(user)
    audit.record(action="account.recovery_codes_regenerated", actor=user, target=user)
    notify_after_commit(user, Notice.RECOVERY_CODES_REGENERATED)
    return codes


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
