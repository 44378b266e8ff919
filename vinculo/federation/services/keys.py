"""This node's key events: create, rotate (and announce to the hub), prune; each one audited.

The key files change first (they are not in the database); the audit entry follows in its own
transaction. A rotation's announcement is kept in the key directory so it can be sent again
when the hub was not reachable (`vinculo keys announce`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from vinculo.audit import services as audit
from vinculo.federation import client, keys
from vinculo.federation.jwk import EncryptionKey, SigningKey
from vinculo.federation.rotation import announce_rotation

KEYS_PATH = "federation/keys"


class AnnouncementNotDelivered(Exception):
    """The hub did not accept the announcement (or could not be reached); ``code`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class RotatedKeys:
    rotation: keys.Rotation
    announcement: str


def init_keys() -> tuple[SigningKey, EncryptionKey]:
    """Create this node's first keys (refused when it has some)."""
    signing, encryption = keys.create_keys()
    with transaction.atomic(durable=True):
        audit.record(
            action="federation.keys_created",
            actor=None,
            data={"signing_key": signing.thumbprint(), "encryption_key": encryption.thumbprint()},
        )
    return signing, encryption


def rotate_node_keys(*, now: int | None = None) -> RotatedKeys:
    """New current keys, the old ones valid for ``VINCULO_KEY_OVERLAP_DAYS``, an announcement signed by the old key."""
    moment = int(time.time()) if now is None else now
    rotation = keys.rotate_keys(overlap_seconds=settings.KEY_OVERLAP_DAYS * 24 * 3600, now=moment)
    token = announce_rotation(
        member=keys.node_id(),
        old_signing=rotation.old_signing,
        old_encryption=rotation.old_encryption.recipient_key,
        new_signing=rotation.new_signing.verify_key,
        new_encryption=rotation.new_encryption.recipient_key,
        overlap_ends_at=rotation.not_after,
        issued_at=moment,
    )
    keys.save_announcement(token)
    with transaction.atomic(durable=True):
        audit.record(
            action="federation.keys_rotated",
            actor=None,
            data={
                "old_signing_key": rotation.old_signing.thumbprint(),
                "new_signing_key": rotation.new_signing.thumbprint(),
                "old_encryption_key": rotation.old_encryption.thumbprint(),
                "new_encryption_key": rotation.new_encryption.thumbprint(),
                "overlap_ends_at": rotation.not_after,
            },
        )
    return RotatedKeys(rotation=rotation, announcement=token)


def prune_node_keys(*, now: int | None = None) -> list[keys.RetiredKey]:
    """Delete the previous keys whose overlap has ended."""
    removed = keys.prune_keys(now=now)
    if removed:
        with transaction.atomic(durable=True):
            audit.record(
                action="federation.keys_pruned",
                actor=None,
                data={"keys": [f"{key.use}:{key.thumbprint}" for key in removed]},
            )
    return removed


def send_announcement(token: str) -> int:
    """Give the announcement to the hub (on the hub: accept it); the directory version that lists the new keys."""
    if settings.NODE_ROLE == "hub":
        from vinculo.federation.services import hub

        try:
            return hub.accept_rotation(token).directory_version
        except hub.RotationRefused as refused:
            raise AnnouncementNotDelivered(refused.code, refused.detail) from None
    if not settings.HUB_URL:
        raise AnnouncementNotDelivered("not_configured", "VINCULO_HUB_URL is not set")
    url = client.hub_url(KEYS_PATH)
    try:
        status, body = client.http_request(url, data=token.encode("ascii"))
    except client.HubUnreachable as error:
        raise AnnouncementNotDelivered("hub_unreachable", str(error)) from None
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status != 200:
        raise AnnouncementNotDelivered(str(answer.get("code", "hub_error")), str(answer.get("message", status)))
    return int(answer.get("directory_version", 0))
