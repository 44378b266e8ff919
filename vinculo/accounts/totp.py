"""Time-based one-time passwords (RFC 6238 over RFC 4226), with no Django imports.

Codes are six digits, 30-second steps, HMAC-SHA1: what every authenticator app accepts.
Verification returns the matched time step so the caller can refuse a code that was
already used (a replayed code is as bad as a stolen one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """A random 160-bit secret, base32 without padding (as authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 HOTP value for ``counter``."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % (10**digits)).zfill(digits)


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    """The code an authenticator shows at ``unix_time``."""
    return hotp(_key(secret), step_at(unix_time))


def normalise_code(code: str) -> str:
    """Remove the spaces and dashes people type or paste into codes."""
    return "".join(ch for ch in code if ch not in " -\u00a0\t")


def verify(secret: str, code: str, *, unix_time: float, window: int = 1, last_step: int | None = None) -> int | None:
    """The time step ``code`` belongs to, or None if wrong, outside the window or already used."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = _key(secret)
    now = step_at(unix_time)
    matched: int | None = None
    # Compare against every candidate step so timing does not reveal which one matched.
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step), code) and matched is None:
            matched = step
    if matched is None or (last_step is not None and matched <= last_step):
        return None
    return matched


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def readable_code(length: int, *, group: int) -> str:
    """A random code from the readable alphabet, with at least one letter, grouped by dashes.

    The letter guarantees it can never be mistaken for a (digits-only) TOTP code.
    """
    while True:
        raw = "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))
        if not raw.isdigit():
            return "-".join(raw[i : i + group] for i in range(0, length, group))


def new_recovery_codes(count: int = 10) -> list[str]:
    """Single-use codes (about 50 bits each), grouped for reading: ``k7q2m-9xw4p``."""
    return [readable_code(10, group=5) for _ in range(count)]


def recovery_code_digest(code: str) -> str:
    """How a recovery code is stored: its SHA-256 (codes are random, so no salt is needed)."""
    return hashlib.sha256(normalise_code(code).lower().encode("ascii", "ignore")).hexdigest()
