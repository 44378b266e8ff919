"""What happens to an accepted message: the module that owns its type handles it.

Modules register a handler per message type (``register("exchange.request", handle)``); the
worker hands each accepted message to its handler once, after the receipt has gone out, so a
slow or failing handler never delays or loses a delivery. A message whose type nobody handles
stays in the inbox, visible to the node's administrators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from vinculo.messaging.models import InboundMessage

log = logging.getLogger(__name__)

Handler = Callable[[InboundMessage, bytes], None]
HANDLERS: dict[str, Handler] = {}


def register(message_type: str, handler: Handler) -> None:
    HANDLERS[message_type] = handler


def _ping(message: InboundMessage, payload: bytes) -> None:
    """``system.ping``: a delivery test between two nodes; the receipt is the answer."""


register("system.ping", _ping)


def process_pending(*, limit: int = 50) -> int:
    """Hand accepted messages to their handlers; returns how many were handled."""
    from vinculo.messaging.services.inbox import payload_of

    handled = 0
    pending = InboundMessage.objects.filter(processed_at__isnull=True, processing_error="").order_by("received_at")
    for message in pending[:limit]:
        handler = HANDLERS.get(message.type)
        if handler is None:
            InboundMessage.objects.filter(pk=message.pk).update(processing_error="no handler for this type")
            continue
        try:
            with transaction.atomic():
                locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
                if locked.processed_at is not None:
                    continue
                handler(locked, payload_of(locked))
                InboundMessage.objects.filter(pk=message.pk).update(processed_at=timezone.now())
            handled += 1
        except Exception as error:
            log.exception("handling message %s failed", message.message_id)
            InboundMessage.objects.filter(pk=message.pk).update(processing_error=str(error)[:200] or "error")
    return handled
