"""Receipts and signed documents (the network directory, key announcements), with no Django imports.

A receipt is the receiver's signed statement that it accepted an envelope (docs/protocol.md §7);
a signed document is any JSON object signed as a named kind (§8). Both are compact JWS objects
signed with Ed25519.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vinculo.federation.jose import SIGNATURE_ALG, JoseFormatError, canonical_json, jws_parse, jws_sign
from vinculo.federation.jwk import SigningKey, VerifyKey
from vinculo.federation.wire import (
    KEY_ID,
    MEMBER_ID,
    MESSAGE_ID,
    PROTOCOL_VERSION,
    SHA256_HEX,
    EnvelopeRefused,
    check_members,
    check_signature,
    check_version,
    is_safe_int,
    matches,
    parse_object,
    parse_signed,
)

RECEIPT_TYP = "vinculo-receipt+jws"
RECEIPT_MEMBERS = frozenset({"v", "message_id", "envelope_sha256", "received_at", "receiver", "sender"})
DOCUMENT_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")
RESERVED_KINDS = frozenset({"envelope", "receipt"})


def peek_key_id(token: bytes | str) -> str:
    """The ``kid`` a receipt or signed document names, unverified: to pick the key during a rotation."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        kid = jws_parse(text).header.get("kid")
    except (UnicodeDecodeError, JoseFormatError) as error:
        raise EnvelopeRefused("malformed", f"not a compact JWS: {error}") from None
    if not matches(KEY_ID, kid):
        raise EnvelopeRefused("malformed", "kid is not a key thumbprint")
    return str(kid)


@dataclass(frozen=True)
class Receipt:
    """The receiver's signed statement that it accepted an envelope."""

    message_id: str
    envelope_sha256: str
    received_at: int
    receiver: str
    sender: str
    key_id: str


def sign_receipt(
    *,
    message_id: str,
    envelope_sha256: str,
    received_at: int,
    receiver: str,
    sender: str,
    signing_key: SigningKey,
) -> str:
    """A compact JWS by the receiver: this envelope (by id and SHA-256) was accepted at ``received_at``.

    Ed25519 signatures are deterministic, so the same fields give the same receipt.
    """
    claims = {
        "v": PROTOCOL_VERSION,
        "message_id": message_id,
        "envelope_sha256": envelope_sha256,
        "received_at": received_at,
        "receiver": receiver,
        "sender": sender,
    }
    problem = _receipt_problem(claims)
    if problem:
        raise ValueError(f"invalid receipt: {problem}")
    header = {"alg": SIGNATURE_ALG, "kid": signing_key.thumbprint(), "typ": RECEIPT_TYP}
    return jws_sign(header, canonical_json(claims), signing_key.key)


def _receipt_problem(claims: Mapping[str, Any]) -> str:
    checks = (
        (matches(MESSAGE_ID, claims["message_id"]), "message_id must be a message id"),
        (matches(SHA256_HEX, claims["envelope_sha256"]), "envelope_sha256 must be 64 lower-case hex digits"),
        (is_safe_int(claims["received_at"]), "received_at must be a non-negative integer"),
        (matches(MEMBER_ID, claims["receiver"]), "receiver must be a member id"),
        (matches(MEMBER_ID, claims["sender"]), "sender must be a member id"),
    )
    return next((message for ok, message in checks if not ok), "")


def verify_receipt(token: bytes | str, *, verify_key: VerifyKey) -> Receipt:
    """The receipt, if ``verify_key`` signed it; else ``EnvelopeRefused``.

    Codes: malformed, unsupported_version (a receipt of another protocol version), bad_signature.
    The caller still compares it with what it sent: message id, SHA-256, receiver.
    """
    jws = parse_signed(token, RECEIPT_TYP, "receipt")
    check_signature(jws, verify_key)
    claims = parse_object(jws.payload, "receipt")
    check_version(claims, "receipt")
    check_members(claims, RECEIPT_MEMBERS, "receipt")
    problem = _receipt_problem(claims)
    if problem:
        raise EnvelopeRefused("malformed", f"receipt: {problem}")
    return Receipt(
        message_id=claims["message_id"],
        envelope_sha256=claims["envelope_sha256"],
        received_at=claims["received_at"],
        receiver=claims["receiver"],
        sender=claims["sender"],
        key_id=jws.header["kid"],
    )


# --- signed documents (the network directory, key announcements) ------------------------------


def _document_typ(kind: str) -> str:
    if not matches(DOCUMENT_KIND, kind) or kind in RESERVED_KINDS:
        raise ValueError(f"invalid document kind {kind!r}")
    return f"vinculo-{kind}+jws"


def sign_document(obj: dict[str, Any], signing_key: SigningKey, *, kind: str = "document") -> str:
    """A compact JWS over the canonical JSON of ``obj``, typed by ``kind`` (e.g. "directory").

    The kind is signed (``typ`` "vinculo-<kind>+jws"), so a document of one kind is never accepted
    as another. Values: strings, integers, booleans, null, arrays, objects (no floats).
    """
    if not isinstance(obj, dict):
        raise TypeError("a signed document is a JSON object")
    header = {"alg": SIGNATURE_ALG, "kid": signing_key.thumbprint(), "typ": _document_typ(kind)}
    return jws_sign(header, canonical_json(obj), signing_key.key)


def verify_document(token: bytes | str, verify_key: VerifyKey, *, kind: str = "document") -> dict[str, Any]:
    """The document, if ``verify_key`` signed it as ``kind``; else ``EnvelopeRefused`` (malformed, bad_signature)."""
    jws = parse_signed(token, _document_typ(kind), kind)
    check_signature(jws, verify_key)
    return parse_object(jws.payload, kind)
