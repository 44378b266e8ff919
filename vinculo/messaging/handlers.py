"""What happens to an accepted message: the module that owns its type handles it.

Modules register a handler per message type (``register("exchange.request", handle)``); the
worker hands each accepted message to its handler once, after the receipt has gone out, so a
slow or failing handler never delays or loses a delivery. A message whose type nobody handles
stays in the inbox, visible to the node's administrators.

The module that sends a type may also register what to do when one of its messages is
delivered (``on_delivered``) or given up (``on_given_up``), to move its own record on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vinculo.messaging.models import InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

Handler = Callable[[InboundMessage, bytes], None]
HANDLERS: dict[str, Handler] = {}
# Called when a message this node sent is delivered (its signed receipt accepted), inside the
# transaction that records the receipt: the sending module moves its own record on.
DeliveredHandler = Callable[[OutboundMessage], None]
ON_DELIVERED: dict[str, DeliveredHandler] = {}
# Called when the outbox gives up on a message this node sent (refused for good, or no receipt
# before the policy's maximum age), inside the transaction that records the give-up: the sending
# module stops waiting for it.
GivenUpHandler = Callable[[OutboundMessage], None]
ON_GIVEN_UP: dict[str, GivenUpHandler] = {}


def register(
    message_type: str,
    handler: Handler,
    *,
    on_delivered: DeliveredHandler | None = None,
    on_given_up: GivenUpHandler | None = None,
) -> None:
    HANDLERS[message_type] = handler
    if on_delivered is not None:
        ON_DELIVERED[message_type] = on_delivered
    if on_given_up is not None:
        ON_GIVEN_UP[message_type] = on_given_up


def run_on_delivered(message: OutboundMessage) -> None:
    callback = ON_DELIVERED.get(message.type)
    if callback is not None:
        callback(message)


def run_on_given_up(message: OutboundMessage) -> None:
    """Tell the sending module that ``message`` was given up (inside the give-up's transaction).

    A failing callback is rolled back on its own (a savepoint) and logged, and the give-up is
    recorded all the same. Unlike a receipt, whose recording is retried when the module's hook
    fails, a give-up is final: holding it back would only post the message again.
    """
    callback = ON_GIVEN_UP.get(message.type)
    if callback is None:
        return
    try:
        with transaction.atomic():
            callback(message)
    except Exception:
        log.exception("the %s module's hook on giving up message %s failed", message.type, message.id)


def _ping(message: InboundMessage, payload: bytes) -> None:
    """``system.ping``: a delivery test between two nodes; the receipt is the answer."""


register("system.ping", _ping)


class NotYet(Exception):
    """The message depends on one that has not been handled yet (messages may arrive out of order).

    The message stays in the inbox and is offered again after a pause; one still waiting after
    ``WAIT_AT_MOST`` is set aside with the reason, for the administrator.
    """


RETRY_AFTER = timedelta(seconds=30)
WAIT_AT_MOST = timedelta(days=7)
# Messages that raised NotYet, and when to offer them again (per worker process: another worker
# may offer them sooner, which is harmless).
_waiting: dict[int, datetime] = {}


def process_pending(*, limit: int = 50, sender: str | None = None) -> int:
    """Hand accepted messages (only ``sender``'s, if given) to their handlers; returns how many were handled."""
    from vinculo.messaging.services.inbox import payload_of

    handled = 0
    now = timezone.now()
    for pk, until in list(_waiting.items()):
        if until <= now:
            del _waiting[pk]
    pending = InboundMessage.objects.filter(processed_at__isnull=True, processing_error="").order_by("received_at")
    if sender is not None:
        pending = pending.filter(sender=sender)
    if _waiting:
        pending = pending.exclude(pk__in=list(_waiting))
    for message in pending[:limit]:
        handler = HANDLERS.get(message.type)
        if handler is None:
            InboundMessage.objects.filter(pk=message.pk).update(processing_error="no handler for this type")
            continue
        try:
            with transaction.atomic():
                # Taking the message is marking it handled, in the transaction the handler runs in
                # (one statement, not a locked read and an update): another worker's update finds it
                # taken (on PostgreSQL after waiting for this transaction), and a handler that fails
                # or is not ready yet rolls the mark back.
                taken = InboundMessage.objects.filter(pk=message.pk, processed_at__isnull=True).update(
                    processed_at=timezone.now()
                )
                if not taken:
                    continue
                handler(message, payload_of(message))
            handled += 1
        except NotYet as waiting:
            if now - message.received_at > WAIT_AT_MOST:
                reason = f"waited too long for an earlier message: {waiting}"
                InboundMessage.objects.filter(pk=message.pk).update(processing_error=reason[:200])
            else:
                _waiting[message.pk] = now + RETRY_AFTER
        except Exception as error:
            log.exception("handling message %s failed", message.message_id)
            InboundMessage.objects.filter(pk=message.pk).update(processing_error=str(error)[:200] or "error")
    return handled
