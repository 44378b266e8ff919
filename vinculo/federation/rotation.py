"""Key-rotation announcements: a member's new keys, signed by its old signing key (no Django imports).

A signed document of kind ``key-rotation`` (docs/protocol.md §8 and §15). It carries the old
and new public keys and the end of the overlap, so it can be checked on its own: the signature
proves that whoever holds the old signing key announced the new keys. Whether the old key is one
to trust for that member is the reader's decision (the hub looks it up in its register; a node
walking the hub's own rotations starts from the key it pinned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vinculo.federation.jose import JoseFormatError, jws_parse
from vinculo.federation.jwk import InvalidKey, RecipientKey, SigningKey, VerifyKey
from vinculo.federation.signed import sign_document, verify_document
from vinculo.federation.wire import MEMBER_ID, EnvelopeRefused, is_safe_int, matches, parse_object

ROTATION_KIND = "key-rotation"
ANNOUNCEMENT_MEMBERS = frozenset(
    {
        "kind",
        "member",
        "issued_at",
        "old_signing_key",
        "old_encryption_key",
        "new_signing_key",
        "new_encryption_key",
        "overlap_ends_at",
    }
)


@dataclass(frozen=True)
class Announcement:
    """A checked rotation announcement: ``old_signing`` signed it."""

    member: str
    issued_at: int
    old_signing: VerifyKey
    old_encryption: RecipientKey
    new_signing: VerifyKey
    new_encryption: RecipientKey
    overlap_ends_at: int
    token: str


def announce_rotation(
    *,
    member: str,
    old_signing: SigningKey,
    old_encryption: RecipientKey,
    new_signing: VerifyKey,
    new_encryption: RecipientKey,
    overlap_ends_at: int,
    issued_at: int,
) -> str:
    """The announcement of ``member``'s new keys, signed with its old signing key."""
    document = {
        "kind": ROTATION_KIND,
        "member": member,
        "issued_at": issued_at,
        "old_signing_key": old_signing.public_jwk(),
        "old_encryption_key": old_encryption.public_jwk(),
        "new_signing_key": new_signing.public_jwk(),
        "new_encryption_key": new_encryption.public_jwk(),
        "overlap_ends_at": overlap_ends_at,
    }
    _check(document)
    return sign_document(document, old_signing, kind=ROTATION_KIND)


def open_announcement(token: str) -> Announcement:
    """The announcement, if the old signing key it names signed it; else ``EnvelopeRefused``.

    Codes: malformed (not an announcement, or keys that are not keys), bad_signature.
    """
    try:
        unverified = parse_object(jws_parse(token).payload, ROTATION_KIND)
    except JoseFormatError as error:
        raise EnvelopeRefused("malformed", f"{ROTATION_KIND}: not a compact JWS: {error}") from None
    _check(unverified)
    try:
        old_signing = VerifyKey.from_jwk(unverified["old_signing_key"])
    except InvalidKey as error:
        raise EnvelopeRefused("malformed", f"{ROTATION_KIND}: old_signing_key: {error}") from None
    document = verify_document(token, old_signing, kind=ROTATION_KIND)
    _check(document)
    try:
        return Announcement(
            member=document["member"],
            issued_at=document["issued_at"],
            old_signing=old_signing,
            old_encryption=RecipientKey.from_jwk(document["old_encryption_key"]),
            new_signing=VerifyKey.from_jwk(document["new_signing_key"]),
            new_encryption=RecipientKey.from_jwk(document["new_encryption_key"]),
            overlap_ends_at=document["overlap_ends_at"],
            token=token,
        )
    except InvalidKey as error:
        raise EnvelopeRefused("malformed", f"{ROTATION_KIND}: {error}") from None


def _check(document: dict[str, Any]) -> None:
    if set(document) != ANNOUNCEMENT_MEMBERS:
        missing = ", ".join(sorted(ANNOUNCEMENT_MEMBERS - set(document))) or "none"
        unexpected = ", ".join(sorted(set(document) - ANNOUNCEMENT_MEMBERS)) or "none"
        raise EnvelopeRefused("malformed", f"{ROTATION_KIND}: members missing: {missing}; unexpected: {unexpected}")
    checks = (
        (document["kind"] == ROTATION_KIND, f"kind must be {ROTATION_KIND!r}"),
        (matches(MEMBER_ID, document["member"]), "member must be a member id"),
        (is_safe_int(document["issued_at"]), "issued_at must be Unix seconds"),
        (is_safe_int(document["overlap_ends_at"]), "overlap_ends_at must be Unix seconds"),
        (
            is_safe_int(document["overlap_ends_at"])
            and is_safe_int(document["issued_at"])
            and document["overlap_ends_at"] > document["issued_at"],
            "overlap_ends_at must be after issued_at",
        ),
        (
            isinstance(document["old_signing_key"], dict)
            and isinstance(document["new_signing_key"], dict)
            and document["old_signing_key"].get("x") != document["new_signing_key"].get("x"),
            "the new signing key must differ from the old one",
        ),
    )
    problem = next((message for ok, message in checks if not ok), "")
    if problem:
        raise EnvelopeRefused("malformed", f"{ROTATION_KIND}: {problem}")
