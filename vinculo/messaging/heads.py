"""Exchanging evidence-log heads with peers: each node signs its chain head and sends it to every
active member, and keeps the heads it receives, so no node can rewrite its history unseen.
"""

from __future__ import annotations

import json

from django.db import transaction

from vinculo.messaging import handlers, network
from vinculo.messaging.models import InboundMessage

MESSAGE_TYPE = "evidence.head"


def sign_and_send() -> int:
    """Sign the head (when something was added since the last one) and queue it for every active peer."""
    from vinculo.evidence import services as evidence
    from vinculo.federation.directory import in_force
    from vinculo.messaging.services import outbox

    before = evidence.latest_signed_head()
    entry = evidence.sign_head()
    token = entry.facts.get("token") if entry.facts else None
    if not token or token == before:
        return 0
    me = network.node_id()
    peers = [member.id for member in in_force().members if member.id != me and member.is_active]
    with transaction.atomic():
        for peer in peers:
            outbox.send(type=MESSAGE_TYPE, recipient=peer, payload=json.dumps({"head": token}).encode())
    return len(peers)


def _received(message: InboundMessage, payload: bytes) -> None:
    from vinculo.evidence import services as evidence

    token = json.loads(payload.decode("utf-8"))["head"]
    evidence.record_peer_head(token, message.sender)


handlers.register(MESSAGE_TYPE, _received)
