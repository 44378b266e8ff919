"""The network directory in force on this node: the API the inbox and outbox use.

    directory = in_force()                  # DirectoryUnavailable("no_directory" | "directory_expired")
    member = directory.member("GT-MP")      # Member | None
    member.status, member.endpoint, member.is_active
    member.verify_key(kid)                  # VerifyKey | None, honouring the key's not_after
    member.recipient_key()                  # RecipientKey: the member's current encryption key
    directory.policy                        # Policy: message types, deadlines, limits

The directory is the newest ``SignedDirectory`` row: on the hub, the last one it published; on an
office node, the last one it fetched and verified (``services.refresh_directory``). Rows are
stored only after their signature was checked, so reading them again needs no check.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from vinculo.federation.directory_format import Directory, Member, Policy, PublishedKey, parse_directory
from vinculo.federation.jose import b64decode

__all__ = [
    "Directory",
    "DirectoryUnavailable",
    "Member",
    "Policy",
    "PublishedKey",
    "held_directory",
    "in_force",
]

UNAVAILABLE_MESSAGES = {
    "no_directory": _("This node has no network directory yet; fetch it with `vinculo directory refresh`."),
    "directory_expired": _("The network directory held by this node has expired; the hub must be reached."),
}


class DirectoryUnavailable(Exception):
    """No directory can be used: ``code`` is ``no_directory`` or ``directory_expired``."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail or str(UNAVAILABLE_MESSAGES[code])
        super().__init__(f"{code}: {self.detail}")


# The inbox and the outbox ask for the directory for every message; outside a transaction, which
# row is the newest is remembered this long in each process (a query costs more than the rest of
# the look-up). Storing a directory in this process forgets it at once (signals in models.py);
# another process sees a new directory within this time. Inside a transaction the row is always
# looked up: what the transaction sees is what counts (and tests, which run in one, never see a
# directory from a rolled-back test).
LATEST_CACHE_SECONDS = 1.0


class _Latest:
    """What this process last read: the newest row's identity and its parsed directory."""

    checked_at: float = -1.0
    identity: tuple[Any, ...] | None = None
    directory: Directory | None = None


def forget_cached() -> None:
    """Make the next call look the newest directory up again (after one is stored or removed)."""
    _Latest.checked_at = -1.0


def held_directory() -> Directory | None:
    """The newest directory stored on this node, expired or not (None when there is none)."""
    from vinculo.federation.models import SignedDirectory

    moment = time.monotonic()
    recent = _Latest.checked_at >= 0 and 0 <= moment - _Latest.checked_at <= LATEST_CACHE_SECONDS
    if recent and not connection.in_atomic_block:
        return _Latest.directory
    newest = SignedDirectory.objects.order_by("-version")
    # The row's identity, not only its key: a test database reuses primary keys after a rollback.
    identity = newest.values_list("pk", "version", "signer", "stored_at").first()
    if identity != _Latest.identity:
        _Latest.directory = None if identity is None else _parse(newest.values_list("token", flat=True)[0])
        _Latest.identity = identity
    _Latest.checked_at = moment
    return _Latest.directory


def _parse(token: str) -> Directory:
    header, payload = (json.loads(b64decode(part)) for part in token.split(".")[:2])
    return parse_directory(payload, token=token, signer=header["kid"])


def in_force(*, now: int | None = None) -> Directory:
    """The directory in force; ``DirectoryUnavailable`` when there is none or it has expired.

    An expired directory is kept (it is the last good copy) but not used: nothing is sent or
    accepted on the word of a directory the hub no longer vouches for.
    """
    directory = held_directory()
    if directory is None:
        raise DirectoryUnavailable("no_directory")
    moment = int(time.time()) if now is None else now
    if directory.is_expired(now=moment):
        expired_at = datetime.fromtimestamp(directory.expires_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        raise DirectoryUnavailable(
            "directory_expired", f"directory version {directory.version} expired at {expired_at}"
        )
    return directory
