"""Authenticated encryption of small secrets stored in the database (e.g. TOTP seeds).

AES-256-GCM with a key derived from SECRET_KEY per purpose (HKDF-SHA256), so a database
dump alone reveals nothing. SECRET_KEY_FALLBACKS keep old values readable after a key
rotation; `unseal` tries them in order. The identity vault has its own keys (cases module).
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"


class UnsealError(Exception):
    """The value was altered, or was sealed with a key this node no longer has."""


def _derive(secret_key: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"vinculo-sealing", info=f"{_VERSION}:{purpose}".encode()
    ).derive(secret_key.encode("utf-8"))


def seal(plaintext: str, *, purpose: str) -> str:
    """Encrypt ``plaintext``; the purpose is bound in, so a value cannot be moved between fields."""
    nonce = os.urandom(12)
    key = _derive(settings.SECRET_KEY, purpose)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())
    return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def unseal(token: str, *, purpose: str) -> str:
    """Decrypt a value made by `seal` with the current key or a fallback."""
    version, _, body = token.partition(":")
    if version != _VERSION or not body:
        raise UnsealError("unknown sealing format")
    raw = base64.urlsafe_b64decode(body.encode("ascii"))
    nonce, ciphertext = raw[:12], raw[12:]
    for secret_key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            plaintext = AESGCM(_derive(secret_key, purpose)).decrypt(nonce, ciphertext, purpose.encode())
        except InvalidTag:
            continue
        return plaintext.decode("utf-8")
    raise UnsealError("cannot decrypt with the current or fallback keys")
