"""This node's federation keys: PEM files in ``VINCULO_FEDERATION_KEY_DIR``, never in the database.

The directory holds the current keys, ``signing.pem`` (Ed25519) and ``encryption.pem`` (X25519),
and, after a rotation, the previous ones as ``signing-<thumbprint>.pem`` and
``encryption-<thumbprint>.pem`` until ``vinculo keys prune`` removes them. ``retired.json`` says
until when each previous key is still used (the overlap window, Unix seconds); it holds no
secret. Every file is created with mode 0600 and refused when others can read it.

Others import ``node_signing_key()``, ``node_encryption_keys()`` and ``node_id()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vinculo.federation.jwk import EncryptionKey, InvalidKey, SigningKey

Use = Literal["signing", "encryption"]
USES: tuple[Use, Use] = ("signing", "encryption")
RETIRED_FILE = "retired.json"
ANNOUNCEMENT_FILE = "announcement.jws"


class KeyStoreError(Exception):
    """A key command cannot do what was asked (keys already exist, nothing to rotate, ...)."""


@dataclass(frozen=True)
class RetiredKey:
    """A previous key kept for its overlap window: still opens (or verifies) until ``not_after``."""

    use: Use
    thumbprint: str
    not_after: int
    path: Path

    def is_valid_at(self, now: int) -> bool:
        return now <= self.not_after


@dataclass(frozen=True)
class Rotation:
    """What ``rotate_keys`` did: the keys before and after, and when the old ones stop being used."""

    old_signing: SigningKey
    old_encryption: EncryptionKey
    new_signing: SigningKey
    new_encryption: EncryptionKey
    not_after: int


def node_id() -> str:
    """This node's member id (``VINCULO_NODE_ID``)."""
    return str(settings.NODE_ID)


def key_dir() -> Path:
    return Path(settings.FEDERATION_KEY_DIR)


def current_path(use: Use) -> Path:
    return key_dir() / f"{use}.pem"


def retired_path(use: Use, thumbprint: str) -> Path:
    return key_dir() / f"{use}-{thumbprint}.pem"


def check_permissions(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write (like the vault keyring)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ImproperlyConfigured(
            f"The federation key file {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )


@lru_cache(maxsize=32)
def _load(path: str, mtime_ns: int, use: Use) -> SigningKey | EncryptionKey:
    data = Path(path).read_bytes()
    try:
        return SigningKey.from_pem(data) if use == "signing" else EncryptionKey.from_pem(data)
    except InvalidKey as error:
        raise ImproperlyConfigured(f"The federation key file {path} does not hold an {use} key: {error}") from None


def _read_signing(path: Path) -> SigningKey:
    check_permissions(path)
    return cast(SigningKey, _load(str(path), path.stat().st_mtime_ns, "signing"))


def _read_encryption(path: Path) -> EncryptionKey:
    check_permissions(path)
    return cast(EncryptionKey, _load(str(path), path.stat().st_mtime_ns, "encryption"))


def _existing_current(use: Use) -> Path:
    path = current_path(use)
    if not path.exists():
        raise ImproperlyConfigured(
            f"This node has no federation {use} key ({path} does not exist). Create the keys with `vinculo keys init`."
        )
    return path


def node_signing_key() -> SigningKey:
    """This node's current signing key (Ed25519): signs envelopes, receipts and announcements."""
    return _read_signing(_existing_current("signing"))


def node_encryption_keys(*, now: int | None = None) -> list[EncryptionKey]:
    """This node's encryption keys: the current one first, then older ones still in their overlap window."""
    current = _read_encryption(_existing_current("encryption"))
    keys = [current]
    moment = int(time.time()) if now is None else now
    for retired in retired_keys():
        if retired.use == "encryption" and retired.is_valid_at(moment) and retired.thumbprint != current.thumbprint():
            keys.append(_read_encryption(retired.path))
    return keys


def has_keys() -> bool:
    return any(current_path(use).exists() for use in USES)


def retired_keys() -> list[RetiredKey]:
    """The previous keys whose files are still here, newest overlap first."""
    found = []
    for thumbprint, entry in _read_retired().items():
        use = entry["use"]
        path = retired_path(use, thumbprint)
        if path.exists():
            found.append(RetiredKey(use=use, thumbprint=thumbprint, not_after=entry["not_after"], path=path))
    return sorted(found, key=lambda key: key.not_after, reverse=True)


def _read_retired() -> dict[str, dict[str, Any]]:
    path = key_dir() / RETIRED_FILE
    if not path.exists():
        return {}
    check_permissions(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        for entry in data.values():
            if entry.get("use") not in USES or not isinstance(entry.get("not_after"), int):
                raise ValueError("each entry needs use and not_after")
    except ValueError as error:
        raise ImproperlyConfigured(f"{path} is damaged ({error}); restore it from a backup.") from None
    return data


def _write_file(path: Path, data: bytes, *, replace: bool) -> None:
    """Write ``data`` to ``path`` (mode 0600) atomically; without ``replace``, fail if ``path`` exists."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # FileExistsError rather than overwriting a key
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def create_keys() -> tuple[SigningKey, EncryptionKey]:
    """Create this node's first signing and encryption keys; refuse if any key file exists."""
    if has_keys():
        raise KeyStoreError(f"{key_dir()} already holds this node's keys; use `vinculo keys rotate` to replace them.")
    signing, encryption = SigningKey.generate(), EncryptionKey.generate()
    try:
        _write_file(current_path("signing"), signing.to_pem(), replace=False)
        _write_file(current_path("encryption"), encryption.to_pem(), replace=False)
    except FileExistsError:
        raise KeyStoreError(f"{key_dir()} already holds this node's keys.") from None
    return signing, encryption


def rotate_keys(*, overlap_seconds: int, now: int | None = None) -> Rotation:
    """Make new current keys; keep the old ones as ``<use>-<thumbprint>.pem`` until the overlap ends.

    Each step leaves a usable state if interrupted: the old key is copied and listed in
    ``retired.json`` before the new one replaces it, so running the rotation again finishes it.
    """
    moment = int(time.time()) if now is None else now
    old_signing, old_encryptions = node_signing_key(), node_encryption_keys(now=moment)
    old_encryption = old_encryptions[0]
    new_signing, new_encryption = SigningKey.generate(), EncryptionKey.generate()
    not_after = moment + overlap_seconds
    retired = _read_retired()
    olds: tuple[tuple[Use, SigningKey | EncryptionKey], ...] = (
        ("signing", old_signing),
        ("encryption", old_encryption),
    )
    for use, old in olds:
        with contextlib.suppress(FileExistsError):
            _write_file(retired_path(use, old.thumbprint()), old.to_pem(), replace=False)
        retired[old.thumbprint()] = {"use": use, "not_after": not_after}
    _write_retired(retired)
    _write_file(current_path("signing"), new_signing.to_pem(), replace=True)
    _write_file(current_path("encryption"), new_encryption.to_pem(), replace=True)
    return Rotation(
        old_signing=old_signing,
        old_encryption=old_encryption,
        new_signing=new_signing,
        new_encryption=new_encryption,
        not_after=not_after,
    )


def _write_retired(retired: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(retired, indent=2, sort_keys=True) + "\n"
    _write_file(key_dir() / RETIRED_FILE, text.encode("utf-8"), replace=True)


def prune_keys(*, now: int | None = None) -> list[RetiredKey]:
    """Delete the previous keys whose overlap window has ended; the removed ones are returned."""
    moment = int(time.time()) if now is None else now
    retired = _read_retired()
    removed = []
    for key in retired_keys():
        if not key.is_valid_at(moment):
            key.path.unlink()
            retired.pop(key.thumbprint, None)
            removed.append(key)
    # Entries whose files are already gone are dropped too.
    for thumbprint in [t for t, entry in retired.items() if not retired_path(entry["use"], t).exists()]:
        retired.pop(thumbprint)
    if (key_dir() / RETIRED_FILE).exists():
        _write_retired(retired)
    return removed


def save_announcement(token: str) -> Path:
    """Keep the last rotation announcement, so that it can be sent again (`vinculo keys announce`)."""
    path = key_dir() / ANNOUNCEMENT_FILE
    _write_file(path, token.encode("ascii") + b"\n", replace=True)
    return path


def saved_announcement() -> str | None:
    path = key_dir() / ANNOUNCEMENT_FILE
    return path.read_text(encoding="ascii").strip() if path.exists() else None
