"""Telling people that a message could not be delivered.

The person who sent it is e-mailed in their language (after the transaction commits, through
the task queue); the delivery page shows every failure to the node's administrators.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from vinculo.accounts.models import User
from vinculo.messaging.models import OutboundMessage


def delivery_failed(message: OutboundMessage, code: str) -> None:
    if message.sent_by_id is None:
        return
    user_id, message_id, recipient = message.sent_by_id, str(message.id), message.recipient
    transaction.on_commit(lambda: send_delivery_failed.enqueue(user_id, message_id, recipient, code))


@task()
def send_delivery_failed(user_id: int, message_id: str, recipient: str, code: str) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    with translation.override(user.language):
        subject = _("A message to %(member)s could not be delivered") % {"member": recipient}
        body = _(
            "Vínculo gave up delivering message %(id)s to %(member)s (reason: %(code)s). "
            "Nothing was received there; send it again or contact the other office."
        ) % {"id": message_id, "member": recipient, "code": code}
    send_mail(subject, f"{body}\n\nVínculo {settings.NODE_ID}", settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
