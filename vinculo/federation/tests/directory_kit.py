"""A hub in memory for the directory tests: its keys, members with fresh keys, signed directories.

Keys are generated per test (never the published test-vector keys, never a real node's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vinculo.federation.directory_format import Policy
from vinculo.federation.jwk import EncryptionKey, SigningKey
from vinculo.federation.rotation import announce_rotation
from vinculo.federation.signed import sign_document

HUB_ID = "CCCMP-HUB"
DAY = 24 * 3600


@dataclass
class Office:
    """A member office's keys and how the directory describes it."""

    member_id: str
    signing: SigningKey = field(default_factory=SigningKey.generate)
    encryption: EncryptionKey = field(default_factory=EncryptionKey.generate)
    status: str = "active"
    old_signing: list[tuple[SigningKey, int]] = field(default_factory=list)

    def to_json(self, *, roles: tuple[str, ...] = ("office",)) -> dict[str, Any]:
        country = "SV" if self.member_id.endswith("-HUB") else self.member_id[:2]
        return {
            "id": self.member_id,
            "name": {"es": f"Fiscalía de prueba {self.member_id}", "en": f"Test office {self.member_id}"},
            "country": country,
            "endpoint": f"http://127.0.0.1:8{len(self.member_id)}00/",
            "status": self.status,
            "roles": list(roles),
            "signing_keys": [{"jwk": self.signing.public_jwk(), "not_after": None}]
            + [{"jwk": key.public_jwk(), "not_after": until} for key, until in self.old_signing],
            "encryption_keys": [{"jwk": self.encryption.public_jwk(), "not_after": None}],
        }


@dataclass
class HubKit:
    """The hub: signs directories listing itself and the offices."""

    offices: dict[str, Office]
    hub: Office = field(default_factory=lambda: Office(HUB_ID))
    rotations: list[str] = field(default_factory=list)
    # The hub key's thumbprint as nodes pin it at install (it stays, whatever the hub rotates).
    pinned: str = ""

    def __post_init__(self) -> None:
        self.pinned = self.pinned or self.hub.signing.thumbprint()

    @classmethod
    def with_offices(cls, *member_ids: str) -> HubKit:
        return cls(offices={member_id: Office(member_id) for member_id in member_ids})

    def document(self, *, version: int, issued_at: int, validity: int = 7 * DAY) -> dict[str, Any]:
        return {
            "kind": "directory",
            "format": 1,
            "version": version,
            "issued_at": issued_at,
            "expires_at": issued_at + validity,
            "hub": HUB_ID,
            "members": [self.hub.to_json(roles=("hub",))] + [office.to_json() for office in self.offices.values()],
            "policy": Policy.default().to_json(),
            "hub_rotations": list(self.rotations),
        }

    def sign(self, document: dict[str, Any], *, key: SigningKey | None = None) -> str:
        return sign_document(document, key or self.hub.signing, kind="directory")

    def token(self, *, version: int, issued_at: int, validity: int = 7 * DAY) -> str:
        return self.sign(self.document(version=version, issued_at=issued_at, validity=validity))

    def rotate_hub_key(self, *, now: int, overlap: int = 7 * DAY) -> SigningKey:
        """The hub's new signing key, announced by the old one; returns the old key."""
        old, new = self.hub.signing, SigningKey.generate()
        self.rotations.append(
            announce_rotation(
                member=HUB_ID,
                old_signing=old,
                old_encryption=self.hub.encryption.recipient_key,
                new_signing=new.verify_key,
                new_encryption=self.hub.encryption.recipient_key,
                overlap_ends_at=now + overlap,
                issued_at=now,
            )
        )
        self.hub.old_signing.append((old, now + overlap))
        self.hub.signing = new
        return old
