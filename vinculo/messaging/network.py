"""What delivery needs from the rest of the federation, in one place: this node's keys, the
directory in force (peers, their keys and endpoints, the network policy) and the evidence log.

Delivery depends on these only through this module, so tests can give it a network of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vinculo.federation.envelope import EncryptionKey, EnvelopeRefused, RecipientKey, SigningKey, VerifyKey


@dataclass(frozen=True)
class Policy:
    """The parts of the network policy delivery obeys."""

    max_envelope_bytes: int = 1024 * 1024
    replay_window_seconds: int = 600
    max_delivery_age_seconds: int = 7 * 24 * 3600
    message_types: frozenset[str] = frozenset()  # empty: any type
    # Not in the directory's format 1 yet: the protocol's default (docs/protocol.md §16.5).
    max_attachment_bytes: int = 2 * 1024**3

    def allows(self, message_type: str) -> bool:
        """Whether the MoU's policy allows this type; the protocol's own (``system.*``) always are."""
        return message_type.startswith("system.") or not self.message_types or message_type in self.message_types


class Peer(Protocol):
    id: str
    status: str
    endpoint: str

    def verify_key(self, kid: str) -> VerifyKey | None: ...

    def recipient_key(self) -> RecipientKey: ...


class NetworkUnavailable(Exception):
    """No usable directory: nothing can be sent or accepted (``code``: no_directory, directory_expired)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def node_id() -> str:
    from vinculo.federation import keys

    return str(keys.node_id())


def signing_key() -> SigningKey:
    from vinculo.federation import keys

    return keys.node_signing_key()


def encryption_keys() -> list[EncryptionKey]:
    from vinculo.federation import keys

    return list(keys.node_encryption_keys())


def _directory() -> Any:
    from vinculo.federation import directory

    try:
        return directory.in_force()
    except directory.DirectoryUnavailable as unavailable:
        raise NetworkUnavailable(unavailable.code, unavailable.detail) from None


def peer(member_id: str) -> Peer | None:
    member: Peer | None = _directory().member(member_id)
    return member


def members() -> list[Any]:
    """Every member of the directory in force, offices and the hub (each with ``id``, ``status``, ``roles``)."""
    return list(_directory().members)


def hub_id() -> str:
    """The hub's member id in the directory in force."""
    return str(_directory().hub)


def policy() -> Policy:
    return _policy_of(_directory())


def peer_and_policy(member_id: str) -> tuple[Peer | None, Policy]:
    """``peer`` and ``policy`` from one reading of the directory (inside a transaction, each reading is a query)."""
    directory = _directory()
    member: Peer | None = directory.member(member_id)
    return member, _policy_of(directory)


def _policy_of(directory: Any) -> Policy:
    source = directory.policy
    defaults = Policy()
    return Policy(
        max_envelope_bytes=int(getattr(source, "max_envelope_bytes", defaults.max_envelope_bytes)),
        replay_window_seconds=int(getattr(source, "replay_window_seconds", defaults.replay_window_seconds)),
        max_delivery_age_seconds=int(getattr(source, "max_delivery_age_seconds", defaults.max_delivery_age_seconds)),
        message_types=frozenset(getattr(source, "message_types", ()) or ()),
    )


def sender_keys(sender: str, kid: str) -> VerifyKey | None:
    """The envelope core's look-up of a sender's key, refusing what the directory does not vouch for."""
    try:
        member = peer(sender)
    except NetworkUnavailable as unavailable:
        raise EnvelopeRefused(unavailable.code, unavailable.detail) from None
    if member is None:
        return None
    if member.status != "active":
        raise EnvelopeRefused("suspended_sender", f"{sender} is {member.status} in the network directory")
    return member.verify_key(kid)


def evidence(kind: str, **facts: Any) -> None:
    """Append to the evidence log (inside the caller's transaction)."""
    from vinculo.evidence import services

    services.record(kind, **facts)


def evidence_many(entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Append several entries, each ``(kind, facts)`` as for ``evidence``, in this order (one append for all)."""
    from vinculo.evidence import services

    services.record_many([services.Fact(kind, **facts) for kind, facts in entries])
