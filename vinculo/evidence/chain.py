"""The evidence chain's entries, hashes and signed heads, with no Django imports.

An entry records one exchange event (an envelope or receipt sent, received or refused, a delivery
given up, a signed head) or a checkpoint of the audit trail. Its hash is the SHA-256 of the
canonical JSON (docs/protocol.md §4: sorted members, no whitespace, UTF-8) of its fields and the
previous entry's hash, so any change to a stored or exported entry shows. The same document,
plus ``"hash"``, is one line of an export: anyone can recompute it without Vínculo.

A signed head is a small document signed by the node (kind ``evidence-head``):
``{"v": 1, "node": ..., "seq": ..., "entry_hash": ..., "signed_at": ...}``. The node records each
head it signs as the entry right after the entry it names, and records the heads its peers send.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vinculo.federation.jose import canonical_json
from vinculo.federation.wire import KEY_ID, MEMBER_ID, MESSAGE_ID, SHA256_HEX, is_safe_int, matches

SCHEME = "vinculo-evidence-v1"
GENESIS_HASH = "0" * 64
HEAD_DOCUMENT_KIND = "evidence-head"
HEAD_VERSION = 1
HEAD_MEMBERS = frozenset({"v", "node", "seq", "entry_hash", "signed_at"})
# Facts are a few codes and counters; a signed head's token (about 400 characters) is the largest.
MAX_FACTS_BYTES = 4096

ENVELOPE_SENT = "envelope_sent"
ENVELOPE_RECEIVED = "envelope_received"
ENVELOPE_REFUSED = "envelope_refused"
RECEIPT_SENT = "receipt_sent"
RECEIPT_RECEIVED = "receipt_received"
RECEIPT_REFUSED = "receipt_refused"
DELIVERY_FAILED = "delivery_failed"
AUDIT_CHECKPOINT = "audit"
HEAD_SIGNED = "head_signed"
HEAD_RECEIVED = "head_received"
ATTACHMENT_SENT = "attachment_sent"
ATTACHMENT_RECEIVED = "attachment_received"
KINDS = (
    ENVELOPE_SENT,
    ENVELOPE_RECEIVED,
    ENVELOPE_REFUSED,
    RECEIPT_SENT,
    RECEIPT_RECEIVED,
    RECEIPT_REFUSED,
    DELIVERY_FAILED,
    AUDIT_CHECKPOINT,
    HEAD_SIGNED,
    HEAD_RECEIVED,
    ATTACHMENT_SENT,
    ATTACHMENT_RECEIVED,
)
# What a reader of an export accepts as a kind: a later version of the node may add kinds.
KIND_SHAPE = re.compile(r"[a-z][a-z0-9_]{0,31}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


class InvalidEntry(ValueError):
    """An entry to record is not well formed (a programming error in the caller)."""


@dataclass(frozen=True)
class ChainEntry:
    """What is hashed for one entry. Absent references are None (null in the document)."""

    seq: int
    recorded_at: datetime
    kind: str
    message_id: str | None
    peer: str | None
    sha256: str | None
    facts: Mapping[str, Any]
    prev_hash: str


def timestamp(moment: datetime) -> str:
    """The entry's time as hashed: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        raise InvalidEntry("evidence times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_references(*, kind: str, message_id: str | None, peer: str | None, sha256: str | None) -> None:
    """Refuse a kind or reference of the wrong shape (message ids are UUIDs, peers member ids, digests hex)."""
    if kind not in KINDS:
        raise InvalidEntry(f"unknown evidence kind {kind!r}")
    if message_id is not None and not matches(MESSAGE_ID, message_id):
        raise InvalidEntry("message_id must be a lower-case UUID")
    if peer is not None and not matches(MEMBER_ID, peer):
        raise InvalidEntry("peer must be a member id such as SV-FGR")
    if sha256 is not None and not matches(SHA256_HEX, sha256):
        raise InvalidEntry("sha256 must be 64 lower-case hex digits")


def check_facts(facts: Mapping[str, Any]) -> None:
    """Facts: a small JSON object of codes and counters (no floats), never payload or personal data."""
    if not isinstance(facts, Mapping):
        raise InvalidEntry("facts must be a JSON object")
    try:
        size = len(canonical_json(dict(facts)))
    except ValueError as error:
        raise InvalidEntry(f"facts: {error}") from None
    if size > MAX_FACTS_BYTES:
        raise InvalidEntry(f"facts take {size} bytes; at most {MAX_FACTS_BYTES}")


def document(entry: ChainEntry) -> dict[str, Any]:
    """The hashed fields under their published names (an export line is this plus ``hash``)."""
    return {
        "scheme": SCHEME,
        "seq": entry.seq,
        "at": timestamp(entry.recorded_at),
        "kind": entry.kind,
        "message_id": entry.message_id,
        "peer": entry.peer,
        "sha256": entry.sha256,
        "facts": dict(entry.facts),
        "prev": entry.prev_hash,
    }


def hash_document(hashed: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's document (without its ``hash``)."""
    return hashlib.sha256(canonical_json(dict(hashed))).hexdigest()


def entry_hash(entry: ChainEntry) -> str:
    return hash_document(document(entry))


# --- signed heads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """A node's signed statement that its evidence chain's entry ``seq`` has hash ``entry_hash``."""

    node: str
    seq: int
    entry_hash: str
    signed_at: int

    def claims(self) -> dict[str, Any]:
        return {
            "v": HEAD_VERSION,
            "node": self.node,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "signed_at": self.signed_at,
        }


def read_head(claims: Mapping[str, Any]) -> Head:
    """The head a verified document states; ``InvalidEntry`` when its members are not exactly a head's."""
    if set(claims) != HEAD_MEMBERS:
        raise InvalidEntry(f"a signed head has exactly the members {', '.join(sorted(HEAD_MEMBERS))}")
    if claims["v"] != HEAD_VERSION:
        raise InvalidEntry(f"signed head version {claims['v']!r} is not {HEAD_VERSION}")
    if not matches(MEMBER_ID, claims["node"]):
        raise InvalidEntry("the signed head's node is not a member id")
    if not is_safe_int(claims["seq"]):
        raise InvalidEntry("the signed head's seq is not a sequence number")
    if not matches(SHA256_HEX, claims["entry_hash"]):
        raise InvalidEntry("the signed head's entry_hash is not a SHA-256")
    if not is_safe_int(claims["signed_at"]):
        raise InvalidEntry("the signed head's signed_at is not a time in Unix seconds")
    return Head(node=claims["node"], seq=claims["seq"], entry_hash=claims["entry_hash"], signed_at=claims["signed_at"])


def is_key_id(value: Any) -> bool:
    return matches(KEY_ID, value)
