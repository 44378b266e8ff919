"""A kept receipt, decoded and checked against the keys the directory lists (no Django imports).

The outbox checked each receipt when it came; the delivery pages check it again, so that an
administrator or an auditor sees the proof for themselves: who signed it, with which key, for
which envelope. A key the receiver has since retired (past its ``not_after``) still proves what
it signed before; the page says so rather than calling the receipt unverified.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from vinculo.federation.directory_format import Member
from vinculo.federation.jose import JoseFormatError, jws_parse, parse_json
from vinculo.federation.jwk import InvalidKey, VerifyKey
from vinculo.federation.signed import verify_receipt
from vinculo.federation.wire import EnvelopeRefused


class ReceiptStatus(StrEnum):
    NONE = "none"  # no receipt kept
    VERIFIED = "verified"  # signed by the receiver's listed key, naming this message and envelope
    UNCHECKED = "unchecked"  # no directory, or the receiver is not in it: read, not checked
    UNKNOWN_KEY = "unknown_key"  # the directory lists no such key for the receiver
    INVALID = "invalid"  # not a receipt, or the signature does not verify
    MISMATCH = "mismatch"  # a good signature over another message, envelope or members


@dataclass(frozen=True)
class ReceiptCheck:
    status: ReceiptStatus
    message_id: str = ""
    envelope_sha256: str = ""
    received_at: datetime | None = None
    receiver: str = ""
    sender: str = ""
    key_id: str = ""
    problem: str = ""  # what is wrong, for the technically minded (English, like refusal details)
    key_retired: bool = False  # signed with a key the receiver has retired since

    @property
    def is_verified(self) -> bool:
        return self.status is ReceiptStatus.VERIFIED


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value if isinstance(value, str) else ""


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def decode(token: str) -> ReceiptCheck:
    """What a receipt says, read without checking its signature (``UNCHECKED``), or ``INVALID``."""
    if not token:
        return ReceiptCheck(ReceiptStatus.NONE)
    try:
        jws = jws_parse(token)
        claims = parse_json(jws.payload)
    except (JoseFormatError, ValueError) as error:
        return ReceiptCheck(ReceiptStatus.INVALID, problem=f"not a compact JWS: {error}")
    if not isinstance(claims, dict):
        return ReceiptCheck(ReceiptStatus.INVALID, problem="the payload is not a JSON object")
    return ReceiptCheck(
        ReceiptStatus.UNCHECKED,
        message_id=_text(claims, "message_id"),
        envelope_sha256=_text(claims, "envelope_sha256"),
        received_at=_moment(claims.get("received_at")),
        receiver=_text(claims, "receiver"),
        sender=_text(claims, "sender"),
        key_id=str(jws.header.get("kid", "")),
    )


def check_receipt(
    token: str,
    *,
    signer: Member | None,
    message_id: str,
    sender: str,
    receiver: str,
    envelope_digests: Collection[str],
    now: int,
) -> ReceiptCheck:
    """The receipt decoded and checked: signed by ``signer`` (the receiver, as the directory lists it)
    for message ``message_id`` from ``sender`` to ``receiver``, naming one of ``envelope_digests``."""
    read = decode(token)
    if read.status is not ReceiptStatus.UNCHECKED:
        return read
    if signer is None:
        return replace(read, problem=f"{receiver} is not in the directory held by this node")
    listed = next((key for key in signer.signing_keys if key.kid == read.key_id), None)
    if listed is None:
        return replace(read, status=ReceiptStatus.UNKNOWN_KEY, problem=f"{signer.id} has no key {read.key_id}")
    try:
        verified = verify_receipt(token, verify_key=VerifyKey.from_jwk(listed.jwk))
    except (EnvelopeRefused, InvalidKey) as refused:
        return replace(read, status=ReceiptStatus.INVALID, problem=str(refused))
    expected = (
        ("message id", verified.message_id, message_id.lower()),
        ("sender", verified.sender, sender),
        ("receiver", verified.receiver, receiver),
    )
    for name, found, wanted in expected:
        if found != wanted:
            return replace(read, status=ReceiptStatus.MISMATCH, problem=f"the {name} is {found}, not {wanted}")
    if verified.envelope_sha256 not in envelope_digests:
        return replace(read, status=ReceiptStatus.MISMATCH, problem="it names an envelope not sealed for this message")
    return replace(read, status=ReceiptStatus.VERIFIED, key_retired=not listed.is_valid_at(now))
