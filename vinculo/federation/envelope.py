"""The envelope protocol between member nodes, with no Django imports: plain data in and out.

An envelope is signed by the sender, then encrypted to the recipient (nested JOSE): a compact JWS
(Ed25519) over a JSON object holding the whole routing header and the payload, inside a compact
JWE (ECDH-ES with X25519, A256GCM) whose protected header repeats the routing fields a node needs
before it can decrypt. The signature covers the header, so an envelope cannot be re-addressed,
and the inner ``to`` and ``rkid`` name the recipient, so a recipient cannot pass a signed message
on to a third member as if the sender had addressed it there. The receiver answers with a signed
receipt naming the SHA-256 of the envelope exactly as received.

docs/protocol.md is the specification and docs/protocol-vectors.json its test vectors; this
module implements them. What is stateful (duplicates, replay of a message id, the directory's
suspended members and expiry) belongs to the inbox; ``open_envelope`` documents where.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from vinculo.federation.jose import (
    CONTENT_ENC,
    KEY_AGREEMENT_ALG,
    SIGNATURE_ALG,
    CompactJwe,
    JoseFormatError,
    b64decode,
    b64encode,
    canonical_json,
    jwe_decrypt,
    jwe_encrypt,
    jwe_parse,
    jws_sign,
    parse_header,
)
from vinculo.federation.jwk import EncryptionKey, InvalidKey, RecipientKey, SigningKey, VerifyKey, thumbprint
from vinculo.federation.signed import (
    Receipt,
    peek_key_id,
    sign_document,
    sign_receipt,
    verify_document,
    verify_receipt,
)
from vinculo.federation.wire import (
    KEY_ID,
    MEMBER_ID,
    MESSAGE_ID,
    PROTOCOL_VERSION,
    REFUSAL_CODES,
    EnvelopeRefused,
    check_members,
    check_signature,
    check_version,
    is_safe_int,
    matches,
    parse_object,
    parse_signed,
)

# The whole federation core answers from here: keys, envelopes, receipts, signed documents.
__all__ = [
    "PROTOCOL_VERSION",
    "REFUSAL_CODES",
    "EncryptionKey",
    "EnvelopeRefused",
    "Header",
    "InvalidKey",
    "Opened",
    "Receipt",
    "RecipientKey",
    "Routing",
    "SigningKey",
    "VerifyKey",
    "open_envelope",
    "peek_key_id",
    "read_routing",
    "seal",
    "sha256_of",
    "sign_document",
    "sign_receipt",
    "thumbprint",
    "verify_document",
    "verify_receipt",
    "verify_signed_message",
]

DEFAULT_WINDOW = 600

ENVELOPE_TYP = "vinculo-envelope+jwe"
MESSAGE_TYP = "vinculo-envelope+jws"

MESSAGE_TYPE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
CONVERSATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
HANDLING_CODE = re.compile(r"[A-Z][A-Z0-9]{0,7}")
MAX_HANDLING_CODES = 16

INNER_MEMBERS = frozenset({"v", "id", "type", "from", "to", "iat", "cnv", "irt", "hdl", "skid", "rkid", "body"})
OUTER_MEMBERS = frozenset({"alg", "enc", "epk", "typ", "cty", "v", "id", "from", "to", "iat", "kid", "skid"})
# The routing fields the JWE protected header repeats in clear, by their name there and inside.
ROUTING_FIELDS = (("v", "v"), ("id", "id"), ("from", "from"), ("to", "to"), ("iat", "iat"), ("skid", "skid"))


@dataclass(frozen=True)
class Header:
    """The routing header of one envelope, all of it covered by the sender's signature.

    ``created_at`` is when the envelope was sealed (Unix seconds, UTC): a retry after the window
    is sealed again with the same ``id`` and a new ``created_at`` (docs/protocol.md, "Retries").
    """

    id: str
    type: str
    sender: str
    recipient: str
    created_at: int
    sender_key: str
    recipient_key: str
    conversation: str | None = None
    in_reply_to: str | None = None
    handling: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "handling", tuple(self.handling))
        problem = self.problem()
        if problem:
            raise ValueError(f"invalid envelope header: {problem}")

    def problem(self) -> str:
        """What is wrong with this header, or "" (the wire format's rules, docs/protocol.md)."""
        checks = (
            (matches(MESSAGE_ID, self.id), "id must be a UUID in lower-case canonical form"),
            (matches(MESSAGE_TYPE, self.type), "type must be lower-case letters, digits, '_', '.', '-'"),
            (matches(MEMBER_ID, self.sender), "sender must be a member id like SV-FGR"),
            (matches(MEMBER_ID, self.recipient), "recipient must be a member id like SV-FGR"),
            (is_safe_int(self.created_at), "created_at must be a non-negative integer (Unix seconds)"),
            (matches(KEY_ID, self.sender_key), "sender_key must be a key thumbprint"),
            (matches(KEY_ID, self.recipient_key), "recipient_key must be a key thumbprint"),
            (self.conversation is None or matches(CONVERSATION, self.conversation), "conversation is not valid"),
            (self.in_reply_to is None or matches(MESSAGE_ID, self.in_reply_to), "in_reply_to must be a message id"),
            (
                len(self.handling) <= MAX_HANDLING_CODES
                and all(matches(HANDLING_CODE, code) for code in self.handling)
                and len(set(self.handling)) == len(self.handling),
                "handling must be distinct codes like H2",
            ),
        )
        return next((message for ok, message in checks if not ok), "")

    def to_wire(self) -> dict[str, Any]:
        """The header's members in the signed inner object (without ``v`` and ``body``)."""
        return {
            "id": self.id,
            "type": self.type,
            "from": self.sender,
            "to": self.recipient,
            "iat": self.created_at,
            "cnv": self.conversation,
            "irt": self.in_reply_to,
            "hdl": list(self.handling),
            "skid": self.sender_key,
            "rkid": self.recipient_key,
        }

    @classmethod
    def from_wire(cls, inner: Mapping[str, Any]) -> Header:
        """The header of a signed inner object; ``ValueError`` if a member is invalid."""
        handling = inner["hdl"]
        if not isinstance(handling, list):
            raise ValueError("invalid envelope header: hdl must be an array")
        return cls(
            id=inner["id"],
            type=inner["type"],
            sender=inner["from"],
            recipient=inner["to"],
            created_at=inner["iat"],
            sender_key=inner["skid"],
            recipient_key=inner["rkid"],
            conversation=inner["cnv"],
            in_reply_to=inner["irt"],
            handling=tuple(handling),
        )


@dataclass(frozen=True)
class Routing:
    """The routing fields of an envelope as its clear JWE header states them (not yet authenticated)."""

    id: str
    sender: str
    recipient: str
    created_at: int
    sender_key: str
    recipient_key: str


@dataclass(frozen=True)
class Opened:
    """An accepted envelope.

    ``sha256`` is the digest of the envelope exactly as received (it goes in the receipt).
    ``signed`` is the sender's inner JWS: anyone with the sender's public key can check it again
    (``verify_signed_message``), so it is the non-repudiation evidence to keep.
    ``message_digest`` names the message independently of when and with which keys it was sealed
    (it leaves out ``iat``, ``skid`` and ``rkid``): a retry sealed again has a new ``sha256`` but
    the same ``message_digest``, and an id reused for different content has a different one.
    """

    header: Header
    payload: bytes
    sha256: str
    signed: bytes
    message_digest: str


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of an envelope exactly as received."""
    return hashlib.sha256(data).hexdigest()


def _message_digest(inner: Mapping[str, Any]) -> str:
    stable = {name: value for name, value in inner.items() if name not in {"iat", "skid", "rkid"}}
    return hashlib.sha256(canonical_json(stable, checked=True)).hexdigest()


# --- sealing ---------------------------------------------------------------------------------


def seal(
    header: Header,
    payload: bytes,
    *,
    signing_key: SigningKey,
    recipient_key: RecipientKey,
    _ephemeral: EncryptionKey | None = None,
    _iv: bytes | None = None,
) -> bytes:
    """The envelope for ``payload``: signed with ``signing_key``, encrypted to ``recipient_key``.

    ``header.sender_key`` and ``header.recipient_key`` must be those keys' thumbprints.
    ``_ephemeral`` and ``_iv`` fix what is otherwise fresh and random: for test vectors only.
    """
    if header.sender_key != signing_key.thumbprint():
        raise ValueError("header.sender_key is not the thumbprint of the signing key")
    if header.recipient_key != recipient_key.thumbprint():
        raise ValueError("header.recipient_key is not the thumbprint of the recipient's key")
    if not isinstance(payload, bytes):
        raise TypeError("the payload must be bytes")
    inner = {"v": PROTOCOL_VERSION, **header.to_wire(), "body": b64encode(payload)}
    signed = jws_sign(
        {"alg": SIGNATURE_ALG, "kid": header.sender_key, "typ": MESSAGE_TYP},
        canonical_json(inner, checked=True),  # Header checked every value
        signing_key.key,
    )
    outer = {
        "alg": KEY_AGREEMENT_ALG,
        "enc": CONTENT_ENC,
        "typ": ENVELOPE_TYP,
        "cty": MESSAGE_TYP,
        "v": PROTOCOL_VERSION,
        "id": header.id,
        "from": header.sender,
        "to": header.recipient,
        "iat": header.created_at,
        "kid": header.recipient_key,
        "skid": header.sender_key,
    }
    token = jwe_encrypt(
        outer,
        signed.encode("ascii"),
        recipient_key.key,
        ephemeral=_ephemeral.key if _ephemeral is not None else None,
        iv=_iv,
    )
    return token.encode("ascii")


# --- opening ---------------------------------------------------------------------------------


def _parse_outer(data: bytes, max_bytes: int) -> tuple[Routing, CompactJwe, X25519PublicKey]:
    if not isinstance(data, bytes):
        raise TypeError("an envelope is bytes")
    if len(data) > max_bytes:
        raise EnvelopeRefused("too_large", f"{len(data)} bytes; the limit is {max_bytes}")
    try:
        text = data.decode("ascii")
        # The version first, from the first part alone: a later version may change the rest.
        check_version(parse_header(text.split(".", 1)[0]), "envelope header")
        jwe = jwe_parse(text)
    except (UnicodeDecodeError, JoseFormatError) as error:
        raise EnvelopeRefused("malformed", f"not a compact JWE: {error}") from None
    outer = jwe.header
    check_members(outer, OUTER_MEMBERS, "envelope header")
    fixed = (("alg", KEY_AGREEMENT_ALG), ("enc", CONTENT_ENC), ("typ", ENVELOPE_TYP), ("cty", MESSAGE_TYP))
    for name, expected in fixed:
        if outer[name] != expected:
            raise EnvelopeRefused("malformed", f"envelope header: {name} must be {expected!r}")
    checks = (
        (matches(MESSAGE_ID, outer["id"]), "id"),
        (matches(MEMBER_ID, outer["from"]), "from"),
        (matches(MEMBER_ID, outer["to"]), "to"),
        (is_safe_int(outer["iat"]), "iat"),
        (matches(KEY_ID, outer["kid"]), "kid"),
        (matches(KEY_ID, outer["skid"]), "skid"),
    )
    for ok, name in checks:
        if not ok:
            raise EnvelopeRefused("malformed", f"envelope header: {name} is not valid")
    epk = outer["epk"]
    if not (
        isinstance(epk, dict) and set(epk) == {"kty", "crv", "x"} and epk["kty"] == "OKP" and epk["crv"] == "X25519"
    ):
        raise EnvelopeRefused("malformed", "envelope header: epk must be an X25519 OKP public key (kty, crv, x)")
    try:
        epk_raw = b64decode(epk["x"]) if isinstance(epk["x"], str) else b""
    except JoseFormatError:
        epk_raw = b""
    if len(epk_raw) != 32:
        raise EnvelopeRefused("malformed", "envelope header: epk.x must be 32 bytes in base64url")
    routing = Routing(
        id=outer["id"],
        sender=outer["from"],
        recipient=outer["to"],
        created_at=outer["iat"],
        sender_key=outer["skid"],
        recipient_key=outer["kid"],
    )
    return routing, jwe, X25519PublicKey.from_public_bytes(epk_raw)


def read_routing(data: bytes, *, max_bytes: int) -> Routing:
    """The clear routing fields of an envelope, checked for form only (nothing is authenticated).

    For logging a refusal or choosing keys; trust nothing here until ``open_envelope`` accepts.
    Raises ``EnvelopeRefused`` with ``too_large``, ``malformed`` or ``unsupported_version``.
    """
    routing, _jwe, _epk = _parse_outer(data, max_bytes)
    return routing


def open_envelope(
    data: bytes,
    *,
    recipient_id: str,
    recipient_key: EncryptionKey | Iterable[EncryptionKey],
    sender_keys: Callable[[str, str], VerifyKey | None],
    now: int,
    max_bytes: int,
    window: int = DEFAULT_WINDOW,
) -> Opened:
    """Decrypt and verify an envelope addressed to ``recipient_id``, or raise ``EnvelopeRefused``.

    ``recipient_key`` is this node's encryption key, or several during a rotation (the envelope's
    ``kid`` picks one). ``sender_keys(member_id, key_id)`` returns the sender's verify key with
    that thumbprint from the directory in force, or None; it may itself raise ``EnvelopeRefused``
    with the inbox's own codes (a suspended member, an expired directory), which passes through.

    Checks, in this order, each refusing with its code (docs/protocol.md, "Opening an envelope"):
      1. too_large            more than ``max_bytes`` bytes
      2. malformed            not a compact JWE of the protocol's shape
         unsupported_version  ``v`` is not 1
      3. wrong_recipient      ``to`` is not ``recipient_id`` or ``kid`` is none of our keys
      4. stale                ``iat`` more than ``window`` seconds from ``now`` (either way)
      5. unknown_sender       ``sender_keys(from, skid)`` has no key   [inbox: suspended, expired]
      6. undecryptable        the AES-GCM tag fails: ciphertext or clear header altered
      7. malformed            the plaintext is not a compact JWS of the protocol's shape
         header_mismatch      the JWS ``kid`` is not the clear ``skid``
      8. bad_signature        the Ed25519 signature does not verify with the sender's key
      9. malformed            the signed inner object is not of the protocol's shape
         unsupported_version  the inner ``v`` is not 1
     10. header_mismatch      a clear routing field differs from the signed one
    Then the inbox (stateful): the same (from, id) already accepted is a duplicate, answered with
    the original receipt; then it stores the envelope and signs the receipt, all or nothing.
    """
    routing, jwe, epk = _parse_outer(data, max_bytes)
    keys = [recipient_key] if isinstance(recipient_key, EncryptionKey) else list(recipient_key)
    if routing.recipient != recipient_id:
        raise EnvelopeRefused("wrong_recipient", f"addressed to {routing.recipient}, this node is {recipient_id}")
    own_key = next((key for key in keys if key.thumbprint() == routing.recipient_key), None)
    if own_key is None:
        raise EnvelopeRefused(
            "wrong_recipient", f"encrypted to key {routing.recipient_key}, which this node does not hold"
        )
    if abs(routing.created_at - now) > window:
        raise EnvelopeRefused("stale", f"sealed at {routing.created_at}, now is {now}; the window is ±{window} s")
    verify_key = sender_keys(routing.sender, routing.sender_key)
    if verify_key is None or verify_key.thumbprint() != routing.sender_key:
        raise EnvelopeRefused("unknown_sender", f"no key {routing.sender_key} for member {routing.sender}")
    try:
        plaintext = _decrypt(jwe, epk, own_key)
    except InvalidTag:
        raise EnvelopeRefused(
            "undecryptable", "decryption failed: the envelope was altered or not encrypted to us"
        ) from None
    header, payload, inner = _verify_message(plaintext, verify_key, expected_key_id=routing.sender_key)
    for outer_name, inner_name in (*ROUTING_FIELDS, ("kid", "rkid")):
        if jwe.header[outer_name] != inner[inner_name]:
            raise EnvelopeRefused("header_mismatch", f"{outer_name} in clear differs from the signed {inner_name}")
    return Opened(
        header=header,
        payload=payload,
        sha256=sha256_of(data),
        signed=plaintext,
        message_digest=_message_digest(inner),
    )


def _decrypt(jwe: CompactJwe, epk: X25519PublicKey, key: EncryptionKey) -> bytes:
    try:
        return jwe_decrypt(jwe, epk, key.key)
    except JoseFormatError as error:
        raise EnvelopeRefused("malformed", f"envelope header: {error}") from None


def _verify_message(
    signed: bytes, verify_key: VerifyKey, *, expected_key_id: str | None
) -> tuple[Header, bytes, dict[str, Any]]:
    jws = parse_signed(signed, MESSAGE_TYP, "signed message")
    if expected_key_id is not None and jws.header["kid"] != expected_key_id:
        raise EnvelopeRefused("header_mismatch", "the signature's kid differs from skid in clear")
    check_signature(jws, verify_key)
    inner = parse_object(jws.payload, "signed message")
    check_version(inner, "signed message")
    check_members(inner, INNER_MEMBERS, "signed message")
    try:
        header = Header.from_wire(inner)
        body = b64decode(inner["body"]) if isinstance(inner["body"], str) else None
    except (ValueError, TypeError) as error:
        raise EnvelopeRefused("malformed", f"signed message: {error}") from None
    if body is None:
        raise EnvelopeRefused("malformed", "signed message: body must be base64url")
    if header.sender_key != jws.header["kid"]:
        raise EnvelopeRefused("header_mismatch", "the signature's kid differs from the signed skid")
    return header, body, inner


def verify_signed_message(signed: bytes, *, verify_key: VerifyKey) -> tuple[Header, bytes]:
    """Check a kept inner JWS (``Opened.signed``) again, offline: its header and payload.

    Raises ``EnvelopeRefused`` (``malformed``, ``unsupported_version``, ``bad_signature``,
    ``header_mismatch``).
    """
    header, payload, _ = _verify_message(signed, verify_key, expected_key_id=None)
    return header, payload
