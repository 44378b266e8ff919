"""Whether a node may accept a signed directory (no Django imports): docs/adr/0015.

A node trusts the hub key it pinned at install (``VINCULO_HUB_KEY``, a thumbprint) and, once it
holds a directory, the hub's signing keys that directory lists. A thumbprint is a SHA-256 of the
public key, so the key itself can come from anywhere (the new directory's hub entry, an
announcement): only the key with that thumbprint matches. When the hub has rotated its key, the
directory carries the hub's rotation announcements (each signed by the previous key), and the
node follows them from a key it trusts to the key that signed the directory.

Then: the signature must verify, the version must not go back, and the directory must not have
expired.
"""

from __future__ import annotations

from dataclasses import dataclass

from vinculo.federation.directory_format import DIRECTORY_KIND, Directory, DirectoryFormatError, parse_directory
from vinculo.federation.jose import JoseFormatError, jws_parse
from vinculo.federation.jwk import InvalidKey, VerifyKey
from vinculo.federation.rotation import open_announcement
from vinculo.federation.signed import peek_key_id, verify_document
from vinculo.federation.wire import EnvelopeRefused, parse_object

# In the order verify_directory checks them.
DIRECTORY_REFUSALS = ("malformed", "untrusted_signer", "bad_signature", "rollback", "expired")


class DirectoryRefused(Exception):
    """A signed directory is not accepted; ``code`` is one of DIRECTORY_REFUSALS."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Verified:
    """A directory that passed every check; ``is_new`` is false when it is the one already held."""

    directory: Directory
    is_new: bool


def _unverified(token: str) -> Directory:
    try:
        kid = peek_key_id(token)
        obj = parse_object(jws_parse(token).payload, DIRECTORY_KIND)
        return parse_directory(obj, token=token, signer=kid)
    except (EnvelopeRefused, JoseFormatError, DirectoryFormatError) as error:
        raise DirectoryRefused("malformed", str(error)) from None


def trusted_hub_keys(*, pinned: str, held: Directory | None, now: int) -> dict[str, VerifyKey | None]:
    """The hub keys this node trusts before looking at a new directory: thumbprint -> key (None: not seen yet)."""
    trusted: dict[str, VerifyKey | None] = {}
    listed: set[str] = set()
    if held is not None:
        hub = held.member(held.hub)
        for entry in hub.signing_keys if hub is not None else ():
            listed.add(entry.kid)
            if entry.is_valid_at(now):
                trusted[entry.kid] = VerifyKey.from_jwk(entry.jwk)
    # The pin counts unless the held directory retired that very key; a pin the held directory
    # does not mention at all is an operator's new pin, which wins.
    if pinned and pinned not in listed:
        trusted[pinned] = None
    return trusted


def _follow_rotations(candidate: Directory, trusted: dict[str, VerifyKey | None], now: int) -> None:
    """Add to ``trusted`` the hub keys announced by keys already trusted; drop those whose overlap ended."""
    for entry in candidate.hub_member().signing_keys:
        if entry.kid in trusted and trusted[entry.kid] is None:
            trusted[entry.kid] = VerifyKey.from_jwk(entry.jwk)
    announcements = []
    for token in candidate.hub_rotations:
        try:
            announcement = open_announcement(token)
        except EnvelopeRefused as error:
            raise DirectoryRefused("malformed", f"hub_rotations: {error}") from None
        if announcement.member != candidate.hub:
            raise DirectoryRefused("malformed", f"hub_rotations: an announcement of {announcement.member}")
        announcements.append(announcement)
    retired: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for announcement in announcements:
            old, new = announcement.old_signing.thumbprint(), announcement.new_signing.thumbprint()
            if old in trusted and trusted.get(new) is None:
                trusted[old] = trusted[old] or announcement.old_signing
                trusted[new] = announcement.new_signing
                retired[old] = max(retired.get(old, 0), announcement.overlap_ends_at)
                changed = True
    for kid, not_after in retired.items():
        if now > not_after:
            trusted.pop(kid, None)


def verify_directory(token: str, *, pinned: str, held: Directory | None, now: int) -> Verified:
    """Accept ``token`` as the new directory, or raise ``DirectoryRefused`` with the first failing check.

    ``pinned`` is the hub's signing-key thumbprint configured at install; ``held`` the directory
    this node holds now (None at the first fetch).
    """
    candidate = _unverified(token.strip())
    trusted = trusted_hub_keys(pinned=pinned, held=held, now=now)
    _follow_rotations(candidate, trusted, now)
    key = trusted.get(candidate.signer)
    if key is None:
        raise DirectoryRefused(
            "untrusted_signer",
            f"signed with {candidate.signer}, which is not the pinned hub key {pinned} nor a hub key it vouches for",
        )
    try:
        verify_document(candidate.token, key, kind=DIRECTORY_KIND)
    except EnvelopeRefused as error:
        raise DirectoryRefused("bad_signature", error.detail) from None
    except InvalidKey as error:  # pragma: no cover - keys were parsed already
        raise DirectoryRefused("malformed", str(error)) from None
    if candidate.hub_member().verify_key(candidate.signer, now=now) is None:
        raise DirectoryRefused("untrusted_signer", "the directory does not list the hub key that signed it")
    if held is not None and candidate.version < held.version:
        raise DirectoryRefused("rollback", f"version {candidate.version} is older than the held {held.version}")
    if held is not None and candidate.version == held.version and candidate.token != held.token:
        raise DirectoryRefused("rollback", f"another directory with the held version {held.version}")
    if candidate.is_expired(now=now):
        raise DirectoryRefused("expired", f"version {candidate.version} expired at {candidate.expires_at}")
    is_new = held is None or candidate.version > held.version
    return Verified(directory=candidate, is_new=is_new)
