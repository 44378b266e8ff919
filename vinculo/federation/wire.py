"""What every signed object of the protocol shares, with no Django imports.

The version, the refusal codes and their exception, the shapes of ids, and the strict reading of
a compact JWS signed with Ed25519 (the inner message of an envelope, a receipt, a document).
docs/protocol.md is the specification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vinculo.federation.jose import (
    MAX_SAFE_INTEGER,
    SIGNATURE_ALG,
    CompactJws,
    JoseFormatError,
    jws_parse,
    jws_verify,
    parse_json,
)
from vinculo.federation.jwk import VerifyKey

PROTOCOL_VERSION = 1

# In the order open_envelope checks them (docs/protocol.md, "Opening an envelope").
REFUSAL_CODES = (
    "too_large",
    "malformed",
    "unsupported_version",
    "wrong_recipient",
    "stale",
    "unknown_sender",
    "undecryptable",
    "header_mismatch",
    "bad_signature",
)

# Same shape as config.env.NODE_ID_PATTERN (a test keeps them equal): SV-FGR, CCCMP-HUB.
MEMBER_ID = re.compile(r"[A-Z]{2}-[A-Z0-9]{2,10}|[A-Z0-9]{2,8}-HUB")
MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEY_ID = re.compile(r"[A-Za-z0-9_-]{43}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
JWS_MEMBERS = frozenset({"alg", "kid", "typ"})


class EnvelopeRefused(Exception):
    """An envelope, receipt or signed document is not accepted; ``code`` is one of REFUSAL_CODES.

    ``detail`` says why in English, for logs and the sender's diagnosis; it never holds payload.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def is_safe_int(value: Any) -> bool:
    """A JSON integer the protocol accepts: not a boolean, 0 ≤ value ≤ 2**53 - 1."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE_INTEGER


def matches(pattern: re.Pattern[str], value: Any) -> bool:
    """Whether ``value`` is a string the whole of which ``pattern`` matches."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def check_version(obj: Mapping[str, Any], where: str) -> None:
    """``v`` is this protocol's version: else malformed (not an integer) or unsupported_version."""
    version = obj.get("v")
    if not is_safe_int(version):
        raise EnvelopeRefused("malformed", f"{where}: v must be an integer")
    if version != PROTOCOL_VERSION:
        raise EnvelopeRefused(
            "unsupported_version", f"{where}: protocol version {version}; this node speaks {PROTOCOL_VERSION}"
        )


def check_members(obj: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    """The object has exactly the ``expected`` members: else malformed."""
    if set(obj) != expected:
        missing = ", ".join(sorted(expected - set(obj))) or "none"
        unexpected = ", ".join(sorted(set(obj) - expected)) or "none"
        raise EnvelopeRefused("malformed", f"{where}: members missing: {missing}; unexpected: {unexpected}")


def parse_signed(token: bytes | str, typ: str, where: str) -> CompactJws:
    """A compact JWS of type ``typ`` with exactly ``alg`` Ed25519, ``kid`` and ``typ``; not verified yet."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = jws_parse(text)
    except (UnicodeDecodeError, JoseFormatError) as error:
        raise EnvelopeRefused("malformed", f"{where}: not a compact JWS: {error}") from None
    check_members(jws.header, JWS_MEMBERS, f"{where} signature header")
    if jws.header["alg"] != SIGNATURE_ALG:
        raise EnvelopeRefused("malformed", f"{where}: alg must be {SIGNATURE_ALG!r}")
    if jws.header["typ"] != typ:
        raise EnvelopeRefused("malformed", f"{where}: typ is {jws.header['typ']!r}, expected {typ!r}")
    if not matches(KEY_ID, jws.header["kid"]):
        raise EnvelopeRefused("malformed", f"{where}: kid is not a key thumbprint")
    return jws


def check_signature(jws: CompactJws, verify_key: VerifyKey) -> None:
    """``verify_key`` made the signature (its thumbprint is the ``kid``): else bad_signature."""
    if jws.header["kid"] != verify_key.thumbprint():
        raise EnvelopeRefused(
            "bad_signature", f"signed with key {jws.header['kid']}, expected {verify_key.thumbprint()}"
        )
    if not jws_verify(jws, verify_key.key):
        raise EnvelopeRefused("bad_signature", "the signature does not verify")


def parse_object(payload: bytes, where: str) -> dict[str, Any]:
    """A signed payload as a JSON object, read strictly: else malformed."""
    try:
        obj = parse_json(payload)
    except JoseFormatError as error:
        raise EnvelopeRefused("malformed", f"{where}: {error}") from None
    if not isinstance(obj, dict):
        raise EnvelopeRefused("malformed", f"{where}: not a JSON object")
    return obj
