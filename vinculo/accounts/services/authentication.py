"""Signing in: password step, second-factor step, lockout, sign-out and expiry."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from vinculo.accounts import totp
from vinculo.accounts.models import RecoveryCode, User
from vinculo.accounts.notices import Notice, notify_after_commit
from vinculo.audit import services as audit
from vinculo.core.sealing import unseal

TOTP_PURPOSE = "accounts.user.totp_secret"


class Outcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    user: User | None = None
    locked_until: datetime | None = None
    method: str = ""


def _lock_if_needed(user: User, *, step: str) -> StepResult:
    """Count a failure; lock the account when the limit is reached."""
    user.failed_login_count += 1
    if user.failed_login_count >= settings.LOGIN_MAX_FAILURES:
        user.locked_until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        attempts = user.failed_login_count
        user.failed_login_count = 0
        user.save(update_fields=["failed_login_count", "locked_until"])
        audit.record(
            action="auth.locked",
            actor=user,
            target=user,
            data={"step": step, "attempts": attempts, "locked_until": user.locked_until.isoformat()},
        )
        notify_after_commit(user, Notice.LOCKED)
        return StepResult(Outcome.LOCKED, user, user.locked_until)
    user.save(update_fields=["failed_login_count"])
    audit.record(action="auth.login_failed", actor=user, target=user, data={"step": step})
    return StepResult(Outcome.INVALID, user)


@transaction.atomic(durable=True)
def check_password(*, username: str, password: str) -> StepResult:
    """First step of signing in. Never says whether the username exists."""
    normalised = username.strip().lower()
    user = User.objects.select_for_update().select_related("office").filter(username=normalised).first()
    if user is None or not user.is_active:
        make_password(password)  # same cost as a real check, so timing does not reveal the account
        audit.record(
            action="auth.login_failed",
            actor=None,
            actor_label="anonymous",
            data={"step": "password", "username": normalised[:64], "reason": "unknown_or_inactive"},
        )
        return StepResult(Outcome.INVALID)
    if user.is_locked():
        audit.record(action="auth.login_refused_locked", actor=user, target=user)
        return StepResult(Outcome.LOCKED, user, user.locked_until)
    if not user.check_password(password):
        return _lock_if_needed(user, step="password")
    return StepResult(Outcome.OK, user)


def _use_recovery_code(user: User, code: str) -> bool:
    digest = totp.recovery_code_digest(code)
    updated = RecoveryCode.objects.filter(user=user, digest=digest, used_at__isnull=True).update(used_at=timezone.now())
    return updated == 1


@transaction.atomic(durable=True)
def check_second_factor(*, user_id: int, code: str) -> StepResult:
    """Second step: a code from the authenticator app, or one unused recovery code."""
    user = User.objects.select_for_update().select_related("office").get(pk=user_id)
    if not user.is_active:
        return StepResult(Outcome.INVALID)
    if user.is_locked():
        audit.record(action="auth.login_refused_locked", actor=user, target=user)
        return StepResult(Outcome.LOCKED, user, user.locked_until)
    cleaned = totp.normalise_code(code)
    if cleaned.isdigit():
        step = None
        if user.totp_secret_sealed and user.totp_confirmed_at:
            secret = unseal(user.totp_secret_sealed, purpose=TOTP_PURPOSE)
            step = totp.verify(
                secret,
                cleaned,
                unix_time=time.time(),
                window=settings.TOTP_VALID_WINDOW,
                last_step=user.totp_last_step,
            )
        if step is None:
            return _lock_if_needed(user, step="second_factor")
        user.totp_last_step = step
        user.save(update_fields=["totp_last_step"])
        return StepResult(Outcome.OK, user, method="totp")
    if user.totp_confirmed_at and _use_recovery_code(user, cleaned):
        remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit.record(action="auth.recovery_code_used", actor=user, target=user, data={"remaining": remaining})
        return StepResult(Outcome.OK, user, method="recovery_code")
    return _lock_if_needed(user, step="second_factor")


@transaction.atomic(durable=True)
def record_login(*, user: User, method: str) -> None:
    """The person is in: clear the failure count and write the audit entry."""
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=timezone.now())
    audit.record(action="auth.login", actor=user, target=user, data={"second_factor": method})


@transaction.atomic(durable=True)
def record_logout(*, user: User) -> None:
    audit.record(action="auth.logout", actor=user, target=user)


@transaction.atomic(durable=True)
def record_session_expired(*, user: User, idle_minutes: int) -> None:
    audit.record(action="auth.session_expired", actor=user, target=user, data={"idle_minutes": idle_minutes})


def second_factor_waived(user: User) -> bool:
    """Demo networks may let their seeded synthetic accounts in without a second factor."""
    return bool(settings.DEMO_MODE and user.is_demo_account)
