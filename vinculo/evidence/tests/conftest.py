"""Fixtures for the evidence tests: this node's (SV-FGR) keys in a temporary folder, a short log,
the table without its triggers, exports, and a network directory signed by a test hub."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from vinculo.evidence import services, triggers
from vinculo.evidence.chain import DELIVERY_FAILED, ENVELOPE_RECEIVED, ENVELOPE_SENT, RECEIPT_RECEIVED
from vinculo.evidence.models import EvidenceEntry
from vinculo.federation import keys
from vinculo.federation.directory_format import Directory, Member, Policy, PublishedKey
from vinculo.federation.envelope import EncryptionKey, SigningKey, sha256_of
from vinculo.federation.signed import sign_document

HUB = "CCCMP-HUB"


@pytest.fixture(autouse=True)
def _key_dir(settings: Any, tmp_path: Path) -> None:
    # Each test gets its own (empty) key folder, never the checkout's var/keys.
    settings.FEDERATION_KEY_DIR = tmp_path / "keys"


@pytest.fixture
def node_key(_key_dir: None) -> SigningKey:
    """This node's signing key, created the way `vinculo keys init` does."""
    keys.create_keys()
    return keys.node_signing_key()


def exchange(step: int, *, peer: str = "GT-MP") -> list[EvidenceEntry]:
    """What one message to ``peer`` leaves in the log: the envelope sent and the receipt kept."""
    message_id = str(uuid.UUID(int=step))
    return [
        services.record(ENVELOPE_SENT, message_id=message_id, peer=peer, sha256=sha256_of(b"env%d" % step)),
        services.record(
            RECEIPT_RECEIVED, message_id=message_id, peer=peer, sha256=sha256_of(b"rct%d" % step), facts={"attempt": 1}
        ),
    ]


def write_log(count: int) -> list[EvidenceEntry]:
    """``count`` exchanges (two entries each), then an envelope from HN-MP and a failed delivery."""
    entries = [entry for step in range(1, count + 1) for entry in exchange(step)]
    entries.append(services.record(ENVELOPE_RECEIVED, message_id=str(uuid.UUID(int=99)), peer="HN-MP", sha256="a" * 64))
    entries.append(
        services.record(DELIVERY_FAILED, message_id=str(uuid.UUID(int=98)), peer="GT-MP", facts={"attempts": 12})
    )
    return entries


@pytest.fixture
def unguarded(db: None) -> Iterator[BaseDatabaseWrapper]:
    """The evidence table as the database owner sees it: triggers dropped (and put back after)."""
    triggers.remove(connection)
    try:
        yield connection
    finally:
        triggers.install(connection)


def export_to(path: Path, *args: str) -> Path:
    call_command("evidence", "export", str(path), *args, stderr=io.StringIO())
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n" for obj in objects))
    return path


def signed_directory(hub: SigningKey, members: dict[str, SigningKey], *, version: int = 3) -> str:
    """A network directory listing ``members`` (with their signing keys) and the hub, signed by ``hub``."""
    now = int(time.time())

    def member(member_id: str, key: SigningKey) -> Member:
        country = "XX" if member_id.endswith("-HUB") else member_id[:2]
        encryption = EncryptionKey.generate()
        return Member(
            id=member_id,
            name_es=f"Miembro {member_id}",
            name_en=f"Member {member_id}",
            country=country,
            endpoint=f"https://{member_id.lower()}.example.org/",
            status="active",
            roles=("hub",) if member_id == HUB else ("office",),
            signing_keys=(PublishedKey(jwk=key.public_jwk(), kid=key.thumbprint()),),
            encryption_keys=(PublishedKey(jwk=encryption.public_jwk(), kid=encryption.thumbprint()),),
        )

    directory = Directory(
        version=version,
        issued_at=now - 60,
        expires_at=now + 86400,
        hub=HUB,
        members=(member(HUB, hub), *(member(member_id, key) for member_id, key in members.items())),
        policy=Policy.default(),
    )
    return sign_document(directory.to_json(), hub, kind="directory")


@pytest.fixture
def node_id() -> str:
    return str(settings.NODE_ID)
