"""The node's vault keyring (a file, never the database) and the registry of vault fields.

Production names the file with VINCULO_VAULT_KEYRING_FILE and it must already exist with
mode 0600; development creates ``var/vault-keyring.json`` on first use.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vinculo.vault import crypto


def keyring_path() -> Path:
    return Path(settings.VAULT_KEYRING_FILE)


def check_permissions(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ImproperlyConfigured(
            f"The vault keyring {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )


@lru_cache(maxsize=1)
def _load(path: str, mtime_ns: int) -> crypto.Keyring:
    return crypto.Keyring.from_json(Path(path).read_text(encoding="utf-8"))


def current_keyring() -> crypto.Keyring:
    """The keyring from its file (re-read when the file changes, e.g. after a rotation)."""
    path = keyring_path()
    if not path.exists():
        if settings.IS_PRODUCTION:
            raise ImproperlyConfigured(
                f"The vault keyring {path} does not exist. Create it with `vinculo vault init` and back it up."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        crypto.write_keyring(path, crypto.new_keyring("dev1"))
    check_permissions(path)
    keyring = _load(str(path), path.stat().st_mtime_ns)
    if not keyring.index_key:
        keyring = crypto.with_index_key(keyring)
        crypto.write_keyring(path, keyring)
    return keyring


@dataclass(frozen=True)
class VaultField:
    """A model field that holds vault tokens, and how to name its place (the sealing context)."""

    model: Callable[[], Any]
    field: str
    context: Callable[[Any], str]
    # Rows re-sealed per transaction by a rotation; small for large values (documents).
    batch: int = 500


# Modules holding identity data register their fields here (see vinculo.cases when persons arrive).
VAULT_FIELDS: list[VaultField] = []


def register(field: VaultField) -> None:
    VAULT_FIELDS.append(field)
