"""Security notices e-mailed to the account holder (lockout, resets, new second factor).

A person who did not cause the event learns that someone else is trying, or succeeded.
Notices go out after the transaction commits, through the task queue, in the person's language.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from vinculo.accounts.models import User


class Notice(StrEnum):
    LOCKED = "locked"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_RESET = "second_factor_reset"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"


def _text(notice: Notice) -> tuple[str, str]:
    closing = _("If you did not expect this, tell your node administrator at once.")
    texts = {
        Notice.LOCKED: (
            _("Your Vínculo account was locked"),
            _("Your account was locked after too many failed sign-in attempts."),
        ),
        Notice.PASSWORD_RESET: (
            _("Your Vínculo password was reset"),
            _("A node administrator gave your account a new one-time password."),
        ),
        Notice.PASSWORD_CHANGED: (
            _("Your Vínculo password was changed"),
            _("The password of your account was changed."),
        ),
        Notice.SECOND_FACTOR_ENROLLED: (
            _("A second factor was set up on your Vínculo account"),
            _("An authenticator app was linked to your account."),
        ),
        Notice.SECOND_FACTOR_RESET: (
            _("The second factor of your Vínculo account was removed"),
            _("A node administrator removed your authenticator app; you will set it up again at next sign-in."),
        ),
        Notice.RECOVERY_CODES_REGENERATED: (
            _("New recovery codes for your Vínculo account"),
            _("New recovery codes were made for your account; the old ones no longer work."),
        ),
    }
    subject, body = texts[notice]
    return subject, f"{body}\n\n{closing}\n\nVínculo {settings.NODE_ID}"


@task()
def send_security_notice(user_id: int, notice: str) -> bool:
    """E-mail one notice; returns False when the person has no e-mail address."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    with translation.override(user.language):
        subject, body = _text(Notice(notice))
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def notify_after_commit(user: User, notice: Notice) -> None:
    """Queue the notice once the current transaction has committed (never for a rolled-back action)."""
    user_id = user.pk
    transaction.on_commit(lambda: send_security_notice.enqueue(user_id, notice.value))
