"""Field-level encryption for the identity vault, with no Django imports.

AES-256-GCM. Each value is sealed with the keyring's current key and bound (as associated
data) to where it lives — model, field and row — so a ciphertext copied to another field or
person does not decrypt. Tokens name the key that sealed them, so a keyring can hold several
keys during a rotation: new values use the first key, old ones stay readable until they are
re-sealed.

Token: ``vault1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "vault1"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class VaultError(Exception):
    """A token is malformed, was sealed with a key not in the keyring, or was altered."""


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not KEY_ID.fullmatch(self.key_id):
            raise VaultError(f"invalid key id {self.key_id!r}")
        if len(self.secret) != 32:
            raise VaultError(f"key {self.key_id} must be 32 bytes")


@dataclass(frozen=True)
class Keyring:
    """Keys by id; the first is the one that seals new values.

    ``index_key`` keys the blind indexes used for search (vinculo.vault.blind); it does not
    change when the sealing keys rotate, so the indexes stay valid.
    """

    keys: tuple[Key, ...]
    index_key: bytes = b""

    def __post_init__(self) -> None:
        if not self.keys:
            raise VaultError("the keyring is empty")
        ids = [key.key_id for key in self.keys]
        if len(set(ids)) != len(ids):
            raise VaultError("the keyring has two keys with the same id")

    @property
    def current(self) -> Key:
        return self.keys[0]

    def get(self, key_id: str) -> Key:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise VaultError(f"key {key_id} is not in the keyring")

    def to_json(self) -> str:
        entries = [{"id": key.key_id, "key": base64.urlsafe_b64encode(key.secret).decode("ascii")} for key in self.keys]
        document: dict[str, object] = {"keys": entries}
        if self.index_key:
            document["index_key"] = base64.urlsafe_b64encode(self.index_key).decode("ascii")
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            document = json.loads(text)
            entries = document["keys"]
            keys = tuple(Key(str(e["id"]), base64.urlsafe_b64decode(str(e["key"]).encode("ascii"))) for e in entries)
            index_key = base64.urlsafe_b64decode(str(document.get("index_key", "")).encode("ascii"))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise VaultError(f"the keyring is not valid: {error}") from error
        if index_key and len(index_key) != 32:
            raise VaultError("the index key must be 32 bytes")
        return cls(keys, index_key)

    def with_new_key(self, key_id: str) -> Keyring:
        """A keyring whose new current key is a fresh random one (the old keys stay for reading)."""
        return Keyring((Key(key_id, secrets.token_bytes(32)), *self.keys), self.index_key)

    def without(self, key_id: str) -> Keyring:
        if key_id == self.current.key_id:
            raise VaultError("the current key cannot be removed")
        return Keyring(tuple(key for key in self.keys if key.key_id != key_id), self.index_key)


def new_keyring(key_id: str) -> Keyring:
    return Keyring((Key(key_id, secrets.token_bytes(32)),), secrets.token_bytes(32))


def with_index_key(keyring: Keyring) -> Keyring:
    """The same keyring with a fresh index key (for keyrings made before search existed)."""
    return Keyring(keyring.keys, secrets.token_bytes(32))


def seal(plaintext: str, *, keyring: Keyring, context: str) -> str:
    """Encrypt ``plaintext`` for the place named by ``context`` (e.g. ``cases.identity:12:given_names``)."""
    return seal_bytes(plaintext.encode("utf-8"), keyring=keyring, context=context)


def seal_bytes(data: bytes, *, keyring: Keyring, context: str) -> str:
    """Encrypt raw bytes (a document, a photo) into a token like ``seal``'s."""
    key = keyring.current
    nonce = os.urandom(12)
    sealed = AESGCM(key.secret).encrypt(nonce, data, context.encode("utf-8"))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{PREFIX}.{key.key_id}.{body}"


def key_id_of(token: str) -> str:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise VaultError("not a vault token")
    return parts[1]


def unseal(token: str, *, keyring: Keyring, context: str) -> str:
    """Decrypt a token sealed for ``context`` with any key of the keyring."""
    return unseal_bytes(token, keyring=keyring, context=context).decode("utf-8")


def unseal_bytes(token: str, *, keyring: Keyring, context: str) -> bytes:
    """Decrypt a token to its raw bytes (see ``seal_bytes``)."""
    key = keyring.get(key_id_of(token))
    body = token.split(".")[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as error:
        raise VaultError("the token is not valid base64") from error
    if len(raw) < 12 + 16:
        raise VaultError("the token is too short")
    try:
        return AESGCM(key.secret).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    except InvalidTag as error:
        raise VaultError("the token was altered, or belongs to another field or record") from error


def reseal(token: str, *, keyring: Keyring, context: str) -> str:
    """The same value sealed with the current key (used by key rotation); unchanged if already current.

    Works on text and raw bytes alike: the bytes are carried over without decoding.
    """
    if key_id_of(token) == keyring.current.key_id:
        return token
    return seal_bytes(unseal_bytes(token, keyring=keyring, context=context), keyring=keyring, context=context)


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write the keyring file atomically, readable by its owner only (mode 0600)."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(keyring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
