"""Fixtures for the envelope tests: three office nodes and the hub with the published test keys.

SV-FGR sends, GT-MP receives, HN-MP is a third office that must not be able to read or accept
what was meant for GT-MP. No database: the envelope core is pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from vinculo.federation.envelope import EncryptionKey, SigningKey, VerifyKey

VECTORS_PATH = Path(__file__).resolve().parents[3] / "docs" / "protocol-vectors.json"


@cache
def load_vectors() -> dict[str, Any]:
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Node:
    member: str
    signing: SigningKey
    encryption: EncryptionKey


def node(member: str) -> Node:
    keys = load_vectors()["members"][member]
    return Node(
        member=member,
        signing=SigningKey.from_pem(keys["signing"]["private_pem"].encode("ascii")),
        encryption=EncryptionKey.from_pem(keys["encryption"]["private_pem"].encode("ascii")),
    )


def directory(*nodes: Node) -> Callable[[str, str], VerifyKey | None]:
    """The sender_keys callback of a directory listing these nodes' signing keys."""
    keys = {(n.member, n.signing.thumbprint()): n.signing.verify_key for n in nodes}
    return lambda member, key_id: keys.get((member, key_id))


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return load_vectors()


@pytest.fixture(scope="session")
def sv() -> Node:
    return node("SV-FGR")


@pytest.fixture(scope="session")
def gt() -> Node:
    return node("GT-MP")


@pytest.fixture(scope="session")
def hn() -> Node:
    return node("HN-MP")
