"""The network match key: made by one member, sent to the others inside encrypted envelopes.

Every member encodes with the same key, so the same person gives comparable encodings at every
office; the hub never receives it (it is sent only to offices, and the hub's cross-match compares
encodings without it). A node installs a key it receives when it has none; a different key
arriving later waits, offered, until a node administrator accepts it (``vinculo matching key
accept``): a member cannot silently swap another office's key. Changing the key re-encodes the
whole index at the next refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.core.errors import DomainError
from vinculo.matching import wire
from vinculo.matching.models import MatchKey
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import outbox
from vinculo.vault import crypto, keys

KEY_BYTES = 32
ALREADY_ACTIVE = _("This node already has a match key in use; the network uses one key.")
NO_KEY = _("This node has no match key yet: generate one or receive it from another member.")
NOT_OFFERED = _("No offered match key has that fingerprint.")
NOT_AN_OFFICE = _("%(member)s is not a member office of the network.")


def fingerprint(key: bytes) -> str:
    """What names a key everywhere without revealing it: HMAC-SHA256 of a fixed label, 128 bits in hex."""
    return hmac.new(key, b"vinculo match key fingerprint", hashlib.sha256).hexdigest()[:32]


class _Active(threading.local):
    fingerprint: str = ""
    key: bytes = b""


_active = _Active()


def active_key() -> tuple[str, bytes] | None:
    """(fingerprint, key) of the key in use, or None; unsealed once per thread and key."""
    row = MatchKey.objects.filter(state=MatchKey.State.ACTIVE).values_list("fingerprint", "sealed_key").first()
    if row is None:
        return None
    found, sealed = row
    if _active.fingerprint != found:
        key = crypto.unseal_bytes(sealed, keyring=keys.current_keyring(), context=MatchKey.context(found))
        _active.fingerprint, _active.key = found, key
    return _active.fingerprint, _active.key


def require_active_key() -> tuple[str, bytes]:
    found = active_key()
    if found is None:
        raise DomainError(NO_KEY, code="no_match_key")
    return found


def _store(key: bytes, *, state: str, source: str) -> MatchKey:
    found = fingerprint(key)
    sealed = crypto.seal_bytes(key, keyring=keys.current_keyring(), context=MatchKey.context(found))
    now = timezone.now()
    return MatchKey.objects.create(
        fingerprint=found,
        sealed_key=sealed,
        state=state,
        source=source,
        activated_at=now if state == MatchKey.State.ACTIVE else None,
    )


@transaction.atomic(durable=True)
def generate(*, by: User | None) -> MatchKey:
    """A new network match key for this node; refused when one is already in use."""
    if MatchKey.objects.filter(state=MatchKey.State.ACTIVE).exists():
        raise DomainError(ALREADY_ACTIVE, code="match_key_exists")
    created = _store(secrets.token_bytes(KEY_BYTES), state=MatchKey.State.ACTIVE, source="")
    audit.record(action="match.key_generated", actor=by, target=created, data={"fingerprint": created.fingerprint})
    return created


@transaction.atomic(durable=True)
def share(*, by: User | None, members: list[str]) -> int:
    """Send the key in use to each of ``members`` (offices only), each in its own encrypted envelope."""
    found, key = require_active_key()
    payload = wire.dump(wire.KeyPayload(key=wire.b64(key), fingerprint=found))
    for member in members:
        peer = network.peer(member)
        if peer is None or "office" not in getattr(peer, "roles", ("office",)):
            raise DomainError(NOT_AN_OFFICE % {"member": member}, code="unknown_recipient")
        outbox.send(type=wire.KEY, recipient=member, payload=payload, sent_by=by)
    audit.record(action="match.key_shared", actor=by, data={"fingerprint": found, "members": sorted(members)})
    return len(members)


@transaction.atomic(durable=True)
def accept(*, by: User | None, fingerprint_: str) -> MatchKey:
    """Put an offered key in use; the key in use until now is retired."""
    offered = (
        MatchKey.objects.select_for_update().filter(fingerprint=fingerprint_, state=MatchKey.State.OFFERED).first()
    )
    if offered is None:
        raise DomainError(NOT_OFFERED, code="not_offered")
    MatchKey.objects.filter(state=MatchKey.State.ACTIVE).update(state=MatchKey.State.RETIRED)
    offered.state, offered.activated_at = MatchKey.State.ACTIVE, timezone.now()
    offered.save(update_fields=["state", "activated_at"])
    audit.record(action="match.key_accepted", actor=by, target=offered, data={"fingerprint": offered.fingerprint})
    return offered


def _install(key: bytes, *, source: str) -> MatchKey | None:
    """In use when this node has none, else offered; None when the node has it already."""
    if MatchKey.objects.filter(fingerprint=fingerprint(key)).exists():
        return None  # already here (in use, offered or retired)
    has_active = MatchKey.objects.filter(state=MatchKey.State.ACTIVE).exists()
    state = MatchKey.State.OFFERED if has_active else MatchKey.State.ACTIVE
    stored = _store(key, state=state, source=source)
    if state == MatchKey.State.ACTIVE:  # the first key: index the registry at once, not at the next round
        from vinculo.matching.services import index

        transaction.on_commit(index.refresh_this_office)
    return stored


def receive_key(message: InboundMessage, payload: bytes) -> None:
    """``match.key``: installed when this node has none, else kept as offered for the administrator."""
    data = wire.KeyPayload.read(payload)
    key = data.key_bytes()
    if fingerprint(key) != data.fingerprint:
        raise wire.UnreadablePayload(f"{wire.KEY}: the fingerprint does not match the key")
    stored = _install(key, source=message.sender)
    if stored is not None:
        audit.record(
            action="match.key_received", actor=None, target=stored,
            data={"fingerprint": stored.fingerprint, "from": message.sender, "state": stored.state},
        )  # fmt: skip


BAD_KEY = _("A network match key is 32 to 128 bytes written in hexadecimal.")


@transaction.atomic(durable=True)
def restore(*, by: User | None, key_hex: str) -> MatchKey | None:
    """Install the key from the office's own backup (a node rebuilt from scratch): as a received key is."""
    try:
        key = bytes.fromhex(key_hex.strip())
    except ValueError:
        raise DomainError(BAD_KEY, code="bad_key") from None
    if not 32 <= len(key) <= 128:
        raise DomainError(BAD_KEY, code="bad_key")
    stored = _install(key, source="backup")
    if stored is not None:
        audit.record(
            action="match.key_restored", actor=by, target=stored,
            data={"fingerprint": stored.fingerprint, "state": stored.state},
        )  # fmt: skip
    return stored
