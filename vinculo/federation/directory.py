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
from functools import lru_cache

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


@lru_cache(maxsize=4)
def _parsed(pk: int, token: str) -> Directory:
    payload = b64decode(token.split(".")[1])
    header = json.loads(b64decode(token.split(".")[0]))
    return parse_directory(json.loads(payload), token=token, signer=header["kid"])


def held_directory() -> Directory | None:
    """The newest directory stored on this node, expired or not (None when there is none)."""
    from vinculo.federation.models import SignedDirectory

    row = SignedDirectory.objects.order_by("-version").values_list("pk", "token").first()
    if row is None:
        return None
    return _parsed(row[0], row[1])


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
        raise DirectoryUnavailable(
            "directory_expired", f"directory version {directory.version} expired at {directory.expires_at}"
        )
    return directory
