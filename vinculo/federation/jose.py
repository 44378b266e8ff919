"""The JOSE building blocks of the federation protocol, with no Django imports.

Exactly what docs/protocol.md allows and nothing else: compact JWS signed with Ed25519 (RFC 8037,
``alg`` "Ed25519" as RFC 9864 names it) and compact JWE with direct key agreement ECDH-ES over
X25519 and A256GCM content encryption (RFC 7516, RFC 7518 §4.6 and §5.3, RFC 8037).

The framing is written here on top of ``cryptography`` rather than taken from joserfc for two
reasons: the test vectors must be byte-exact, which needs a fixed ephemeral key and IV that
joserfc does not take from its caller; and a receiver must accept one exact shape (strict
base64url, no duplicate JSON members, bounded header sizes), which is easier to guarantee when
the parser is small and ours. The tests check both directions against joserfc, an independent
implementation.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_ALG = "Ed25519"
KEY_AGREEMENT_ALG = "ECDH-ES"
CONTENT_ENC = "A256GCM"
IV_BYTES = 12
TAG_BYTES = 16
CEK_BYTES = 32
# A protected header is a few hundred characters; anything much longer is not ours, and is
# refused before it reaches the JSON parser.
MAX_HEADER_CHARS = 2048
# JSON integers both ends can hold exactly (IEEE 754 doubles, as in JavaScript).
MAX_SAFE_INTEGER = 2**53 - 1

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


class JoseFormatError(ValueError):
    """A serialisation is not in the one shape the protocol accepts."""


def b64encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict base64url: the alphabet only, no padding, and the unused low bits of the last character zero.

    The last rule makes the encoding canonical: without it two different strings decode to the
    same bytes, so an envelope could be altered in transit and still open (with a different
    SHA-256 than the one its receipt names).
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise JoseFormatError("not base64url (non-ASCII character)") from None
    # The standard alphabet's characters and padding would pass the strict decoder below.
    if b"+" in raw or b"/" in raw or b"=" in raw:
        raise JoseFormatError("not base64url (unexpected character or padding)")
    remainder = len(raw) % 4
    if remainder == 1:
        raise JoseFormatError("not base64url (impossible length)")
    if remainder:
        unused_bits = 4 if remainder == 2 else 2
        last = _ALPHABET.find(text[-1])
        if last < 0:
            raise JoseFormatError("not base64url (unexpected character)")
        if last & ((1 << unused_bits) - 1):
            raise JoseFormatError("not canonical base64url (unused bits set)")
    try:
        return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-remainder % 4), strict_mode=True)
    except binascii.Error:
        raise JoseFormatError("not base64url (unexpected character)") from None


def canonical_json(value: Any, *, checked: bool = False) -> bytes:
    """JSON as the protocol signs it: RFC 8785 (JCS) for the values the protocol allows.

    Sorted member names, no whitespace, UTF-8, only the escapes JSON requires. Floating-point
    numbers are not allowed (JCS would format them differently from Python), nor integers beyond
    what a double holds exactly. Verifiers never re-serialise: they check the bytes received.
    ``checked`` skips the walk over the values when the caller has validated them already.
    """
    if not checked:
        _check_jcs_subset(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _check_jcs_subset(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is too large for the protocol's JSON")
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_jcs_subset(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValueError(f"JSON member names must be ASCII strings; got {key!r}")
            _check_jcs_subset(item)
        return
    raise ValueError(f"{type(value).__name__} values are not allowed in the protocol's JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate member names, no NaN or Infinity."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise JoseFormatError(f"not valid JSON ({error})") from None


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_header(segment: str) -> dict[str, Any]:
    """A protected header segment: bounded, canonical base64url of a JSON object."""
    if len(segment) > MAX_HEADER_CHARS:
        raise JoseFormatError("protected header too long")
    header = parse_json(b64decode(segment))
    if not isinstance(header, dict):
        raise JoseFormatError("protected header is not a JSON object")
    return header


# --- JWS -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactJws:
    """A compact JWS split into its parts; the signature is not checked yet."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


def jws_sign(header: dict[str, Any], payload: bytes, key: Ed25519PrivateKey) -> str:
    """Compact JWS: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(Ed25519 signature)."""
    signing_input = f"{b64encode(canonical_json(header, checked=True))}.{b64encode(payload)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64encode(key.sign(signing_input))}"


def jws_parse(token: str) -> CompactJws:
    """Split a compact JWS; refuses anything but three strict base64url parts with a JSON-object header."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseFormatError(f"a compact JWS has 3 parts, not {len(parts)}")
    header = parse_header(parts[0])
    payload = b64decode(parts[1])
    signature = b64decode(parts[2])
    if len(signature) != 64:
        raise JoseFormatError("an Ed25519 signature is 64 bytes")
    return CompactJws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def jws_verify(jws: CompactJws, key: Ed25519PublicKey) -> bool:
    """Whether the signature over the signing input is the key's."""
    try:
        key.verify(jws.signature, jws.signing_input)
    except InvalidSignature:
        return False
    return True


# --- JWE -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactJwe:
    """A compact JWE split into its parts (direct key agreement: the encrypted key is empty)."""

    header: dict[str, Any]
    protected: str
    iv: bytes
    ciphertext: bytes
    tag: bytes


def derive_cek(shared_secret: bytes) -> bytes:
    """RFC 7518 §4.6.2: Concat KDF with SHA-256 for direct ECDH-ES to A256GCM, apu and apv empty."""
    other_info = (
        _length_prefixed(CONTENT_ENC.encode("ascii"))
        + _length_prefixed(b"")  # PartyUInfo
        + _length_prefixed(b"")  # PartyVInfo
        + struct.pack(">I", CEK_BYTES * 8)  # SuppPubInfo: key length in bits
    )
    return ConcatKDFHash(algorithm=hashes.SHA256(), length=CEK_BYTES, otherinfo=other_info).derive(shared_secret)


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def jwe_encrypt(
    header: dict[str, Any],
    plaintext: bytes,
    recipient: X25519PublicKey,
    *,
    ephemeral: X25519PrivateKey | None = None,
    iv: bytes | None = None,
) -> str:
    """Compact JWE with ECDH-ES (X25519) and A256GCM; ``header`` gets ``epk`` added.

    ``ephemeral`` and ``iv`` are fresh and random unless given (test vectors only: reusing
    either with the same recipient breaks the encryption).
    """
    ephemeral = ephemeral if ephemeral is not None else X25519PrivateKey.generate()
    iv = iv if iv is not None else os.urandom(IV_BYTES)
    if len(iv) != IV_BYTES:
        raise ValueError(f"the IV must be {IV_BYTES} bytes")
    epk = {"crv": "X25519", "kty": "OKP", "x": b64encode(raw_public(ephemeral.public_key()))}
    protected = b64encode(canonical_json({**header, "epk": epk}, checked=True))
    cek = derive_cek(ephemeral.exchange(recipient))
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode("ascii"))
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    return f"{protected}..{b64encode(iv)}.{b64encode(ciphertext)}.{b64encode(tag)}"


def jwe_parse(token: str) -> CompactJwe:
    """Split a compact JWE; the encrypted key must be empty (direct key agreement)."""
    parts = token.split(".")
    if len(parts) != 5:
        raise JoseFormatError(f"a compact JWE has 5 parts, not {len(parts)}")
    protected, encrypted_key, iv_part, ciphertext_part, tag_part = parts
    header = parse_header(protected)
    if encrypted_key:
        raise JoseFormatError("the encrypted key must be empty with ECDH-ES")
    iv = b64decode(iv_part)
    if len(iv) != IV_BYTES:
        raise JoseFormatError(f"the IV must be {IV_BYTES} bytes")
    tag = b64decode(tag_part)
    if len(tag) != TAG_BYTES:
        raise JoseFormatError(f"the tag must be {TAG_BYTES} bytes")
    return CompactJwe(header, protected, iv, b64decode(ciphertext_part), tag)


def jwe_decrypt(jwe: CompactJwe, epk: X25519PublicKey, key: X25519PrivateKey) -> bytes:
    """The plaintext; raises ``cryptography.exceptions.InvalidTag`` when anything was altered.

    Raises ``JoseFormatError`` when the ephemeral key is a low-order point (the shared secret
    would be all zeros).
    """
    try:
        shared = key.exchange(epk)
    except ValueError:
        raise JoseFormatError("the ephemeral key is not usable (low-order point)") from None
    cek = derive_cek(shared)
    return AESGCM(cek).decrypt(jwe.iv, jwe.ciphertext + jwe.tag, jwe.protected.encode("ascii"))


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    """The 32 raw bytes of an OKP public key (the JWK ``x``)."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
