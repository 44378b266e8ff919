"""The hub's register of members and its signed publication (hub only).

Members and their public keys are kept in the database; ``publish_directory`` turns them, with
the network policy, into a directory signed with the hub's key. ``accept_rotation`` takes a
member's key-rotation announcement (signed by its current key), lists the new keys, keeps the
old ones until the overlap ends, and publishes at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from vinculo.audit import services as audit
from vinculo.core.errors import DomainError, NotFound
from vinculo.federation import keys
from vinculo.federation.directory_format import (
    Directory,
    DirectoryFormatError,
    Policy,
    PublishedKey,
    parse_directory,
    parse_member,
    parse_policy,
)
from vinculo.federation.jwk import InvalidKey, RecipientKey, VerifyKey
from vinculo.federation.models import (
    KeyAnnouncement,
    KeyUse,
    Member,
    MemberKey,
    MemberStatus,
    NetworkPolicy,
    SignedDirectory,
)
from vinculo.federation.rotation import Announcement, open_announcement
from vinculo.federation.signed import sign_document
from vinculo.federation.wire import EnvelopeRefused

# The longest overlap a member may announce; longer would keep a possibly stolen key valid too long.
MAX_ANNOUNCED_OVERLAP = 90 * 24 * 3600
# How far in the future an announcement's issued_at may be (clock skew).
ANNOUNCEMENT_SKEW = 600


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def require_hub() -> None:
    if settings.NODE_ROLE != "hub":
        raise DomainError(_("Only the hub keeps the network register."), code="not_hub")


@dataclass(frozen=True)
class PublicKeys:
    """A member's public keys as `vinculo keys show --json` prints them."""

    signing: VerifyKey
    encryption: RecipientKey

    @classmethod
    def from_json(cls, data: Any) -> PublicKeys:
        if not isinstance(data, Mapping):
            raise DomainError(_("The keys file must hold a JSON object with signing_key and encryption_key."))
        try:
            return cls(
                signing=VerifyKey.from_jwk(data.get("signing_key") or {}),
                encryption=RecipientKey.from_jwk(data.get("encryption_key") or {}),
            )
        except InvalidKey as error:
            message = _("The keys file does not hold valid public keys: %(problem)s") % {"problem": error}
            raise DomainError(message) from None

    @classmethod
    def of_this_node(cls) -> PublicKeys:
        return cls(signing=keys.node_signing_key().verify_key, encryption=keys.node_encryption_keys()[0].recipient_key)


# --- the register ---------------------------------------------------------------------------------


def _member_json(member: Member, *, now: int) -> dict[str, Any]:
    """The member as the directory lists it: keys whose overlap has ended are left out."""
    listed: dict[str, list[dict[str, Any]]] = {KeyUse.SIGNING: [], KeyUse.ENCRYPTION: []}
    for key in member.keys.all():
        not_after = _seconds(key.not_after) if key.not_after is not None else None
        if not_after is None or now <= not_after:
            listed[key.use].append(PublishedKey(jwk=key.jwk, kid=key.kid, not_after=not_after).to_json())
    return {
        "id": member.member_id,
        "name": {"es": member.name_es, "en": member.name_en},
        "country": member.country,
        "endpoint": member.endpoint,
        "status": member.status,
        "roles": list(member.roles),
        "signing_keys": listed[KeyUse.SIGNING],
        "encryption_keys": listed[KeyUse.ENCRYPTION],
    }


def _check_endpoint(endpoint: str) -> None:
    if settings.IS_PRODUCTION and not endpoint.startswith("https://"):
        raise DomainError(_("In production a member's endpoint must be an https:// address."))


@transaction.atomic(durable=True)
def add_member(
    *,
    member_id: str,
    name_es: str,
    name_en: str,
    country: str,
    endpoint: str,
    roles: Sequence[str],
    public_keys: PublicKeys,
) -> Member:
    """Register a member with its current public keys (the operator at the console acts)."""
    return _add_member(
        member_id=member_id,
        name_es=name_es,
        name_en=name_en,
        country=country,
        endpoint=endpoint,
        roles=roles,
        public_keys=public_keys,
    )


def _add_member(
    *,
    member_id: str,
    name_es: str,
    name_en: str,
    country: str,
    endpoint: str,
    roles: Sequence[str],
    public_keys: PublicKeys,
) -> Member:
    require_hub()
    is_hub = member_id == settings.NODE_ID
    if is_hub != ("hub" in roles):
        raise DomainError(_("Only the hub itself has the role hub, and the hub must have it."))
    if Member.objects.filter(member_id=member_id).exists():
        raise DomainError(_("%(member)s is already a member.") % {"member": member_id}, code="exists")
    for key in (public_keys.signing, public_keys.encryption):
        if MemberKey.objects.filter(kid=key.thumbprint()).exists():
            raise DomainError(_("Key %(kid)s is already listed for another member.") % {"kid": key.thumbprint()})
    candidate = {
        "id": member_id,
        "name": {"es": name_es.strip(), "en": name_en.strip()},
        "country": country,
        "endpoint": endpoint,
        "status": MemberStatus.ACTIVE.value,
        "roles": list(roles),
        "signing_keys": [{"jwk": public_keys.signing.public_jwk(), "not_after": None}],
        "encryption_keys": [{"jwk": public_keys.encryption.public_jwk(), "not_after": None}],
    }
    try:
        parse_member(candidate)
    except DirectoryFormatError as error:
        raise DomainError(_("The member's details are not valid: %(problem)s") % {"problem": error}) from None
    _check_endpoint(endpoint)
    member = Member.objects.create(
        member_id=member_id,
        name_es=name_es.strip(),
        name_en=name_en.strip(),
        country=country,
        endpoint=endpoint,
        roles=list(roles),
    )
    for use, key in ((KeyUse.SIGNING, public_keys.signing), (KeyUse.ENCRYPTION, public_keys.encryption)):
        MemberKey.objects.create(member=member, use=use, kid=key.thumbprint(), jwk=key.public_jwk())
    audit.record(
        action="directory.member_added",
        actor=None,
        target=("federation.member", member_id),
        data={
            "member": member_id,
            "roles": list(roles),
            "endpoint": endpoint,
            "signing_key": public_keys.signing.thumbprint(),
            "encryption_key": public_keys.encryption.thumbprint(),
        },
    )
    return member


@transaction.atomic(durable=True)
def import_members(entries: Any, *, keys_base: Path | None = None) -> list[tuple[str, str]]:
    """Register each member of a JSON list not registered yet; one with the same keys is left as it is.

    An entry: ``{"id", "name": {"es", "en"}, "country", "endpoint", "roles"?, "keys" | "keys_file"}``
    (``keys`` as `vinculo keys show --json` prints them; the hub's own entry may leave them out).
    Returns (member id, "added" or "unchanged") in order. A member registered with other keys is
    refused: a key change is a rotation. All or nothing: a bad entry registers no one.
    """
    require_hub()
    if not isinstance(entries, list):
        raise DomainError(_("The members file must hold a JSON array of members."))
    done = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), Mapping):
            raise DomainError(_("Each member needs at least id, name, country and endpoint."))
        member_id = str(entry.get("id", ""))
        if "keys_file" in entry:
            path = Path(str(entry["keys_file"]))
            path = path if path.is_absolute() or keys_base is None else keys_base / path
            try:
                public_keys = PublicKeys.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:
                raise DomainError(_("Cannot read %(path)s: %(problem)s") % {"path": path, "problem": error}) from None
        elif "keys" in entry:
            public_keys = PublicKeys.from_json(entry["keys"])
        elif member_id == settings.NODE_ID:
            public_keys = PublicKeys.of_this_node()
        else:
            raise DomainError(_("%(member)s: give keys or keys_file.") % {"member": member_id})
        if Member.objects.filter(member_id=member_id).exists():
            if not has_same_keys(member_id, public_keys):
                raise DomainError(
                    _("%(member)s is registered with other keys; a key change is a rotation.") % {"member": member_id}
                )
            done.append((member_id, "unchanged"))
            continue
        _add_member(
            member_id=member_id,
            name_es=str(entry["name"].get("es", "")),
            name_en=str(entry["name"].get("en", "")),
            country=str(entry.get("country", "")),
            endpoint=str(entry.get("endpoint", "")),
            roles=list(entry.get("roles") or (["hub"] if member_id == settings.NODE_ID else ["office"])),
            public_keys=public_keys,
        )
        done.append((member_id, "added"))
    return done


def has_same_keys(member_id: str, public_keys: PublicKeys) -> bool:
    """Whether ``member_id`` is registered with exactly these current keys (for idempotent set-up scripts)."""
    current = set(
        MemberKey.objects.filter(member__member_id=member_id, not_after__isnull=True).values_list("kid", flat=True)
    )
    return current == {public_keys.signing.thumbprint(), public_keys.encryption.thumbprint()}


@transaction.atomic(durable=True)
def set_member_status(*, member_id: str, status: str, reason: str) -> Member:
    """Suspend or reinstate a member; the next publication tells the network."""
    require_hub()
    if not reason.strip():
        raise DomainError(_("Give the reason (it is kept in the audit trail)."))
    member = Member.objects.select_for_update().filter(member_id=member_id).first()
    if member is None:
        raise NotFound(_("%(member)s is not a member.") % {"member": member_id})
    if member.member_id == settings.NODE_ID:
        raise DomainError(_("The hub cannot suspend itself."))
    if member.status == status:
        raise DomainError(_("%(member)s is already %(status)s.") % {"member": member_id, "status": status})
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    audit.record(
        action="directory.member_suspended" if status == MemberStatus.SUSPENDED else "directory.member_reinstated",
        actor=None,
        target=("federation.member", member_id),
        data={"member": member_id, "reason": reason.strip()},
    )
    return member


@transaction.atomic(durable=True)
def replace_member_keys(*, member_id: str, public_keys: PublicKeys, reason: str, now: int | None = None) -> Member:
    """Replace a member's keys by the operator's word (a key may be stolen): the old ones end now, no overlap."""
    require_hub()
    if not reason.strip():
        raise DomainError(_("Give the reason (it is kept in the audit trail)."))
    member = Member.objects.select_for_update().filter(member_id=member_id).first()
    if member is None:
        raise NotFound(_("%(member)s is not a member.") % {"member": member_id})
    new_kids = [public_keys.signing.thumbprint(), public_keys.encryption.thumbprint()]
    if MemberKey.objects.filter(kid__in=new_kids).exists():
        raise DomainError(_("A new key is already listed in the register."))
    # A second ago: the next publication no longer lists the old keys at all.
    moment = _moment(_now(now) - 1)
    old = list(member.keys.filter(not_after__isnull=True).values_list("kid", flat=True))
    member.keys.filter(not_after__isnull=True).update(not_after=moment)
    member.keys.filter(not_after__gt=moment).update(not_after=moment)
    for use, key in ((KeyUse.SIGNING, public_keys.signing), (KeyUse.ENCRYPTION, public_keys.encryption)):
        MemberKey.objects.create(member=member, use=use, kid=key.thumbprint(), jwk=key.public_jwk())
    audit.record(
        action="directory.keys_replaced",
        actor=None,
        target=("federation.member", member_id),
        data={"member": member_id, "old_keys": old, "new_keys": new_kids, "reason": reason.strip()},
    )
    return member


def current_policy() -> Policy:
    row = NetworkPolicy.objects.filter(pk=1).first()
    return parse_policy(row.document) if row is not None else Policy.default()


@transaction.atomic(durable=True)
def set_policy(document: Mapping[str, Any]) -> Policy:
    """Replace the network policy (checked strictly); the next publication carries it."""
    require_hub()
    try:
        policy = parse_policy(dict(document))
    except DirectoryFormatError as error:
        raise DomainError(_("The policy is not valid: %(problem)s") % {"problem": error}) from None
    NetworkPolicy.objects.update_or_create(pk=1, defaults={"document": policy.to_json()})
    audit.record(action="directory.policy_changed", actor=None, data={"policy": policy.to_json()})
    return policy


# --- publication ----------------------------------------------------------------------------------


def build_directory(*, version: int, now: int) -> Directory:
    """The directory the register describes now (not signed)."""
    policy = current_policy()
    members = [_member_json(member, now=now) for member in Member.objects.prefetch_related("keys")]
    rotations = list(KeyAnnouncement.objects.filter(member__member_id=settings.NODE_ID).values_list("token", flat=True))
    document = {
        "kind": "directory",
        "format": 1,
        "version": version,
        "issued_at": now,
        "expires_at": now + policy.directory_validity_seconds,
        "hub": settings.NODE_ID,
        "members": members,
        "policy": policy.to_json(),
        "hub_rotations": rotations,
    }
    try:
        return parse_directory(document)
    except DirectoryFormatError as error:
        raise DomainError(_("The register cannot be published: %(problem)s") % {"problem": error}) from None


def _publish(*, now: int) -> SignedDirectory:
    require_hub()
    signing_key = keys.node_signing_key()
    latest = SignedDirectory.objects.aggregate(latest=Max("version"))["latest"] or 0
    directory = build_directory(version=latest + 1, now=now)
    hub = directory.member(settings.NODE_ID)
    if hub is None or hub.current_signing_kid() != signing_key.thumbprint():
        raise DomainError(
            _(
                "The register does not list this hub's current signing key %(kid)s; register the hub itself with "
                "`vinculo directory member add %(hub)s --role hub ...`."
            )
            % {"kid": signing_key.thumbprint(), "hub": settings.NODE_ID}
        )
    token = sign_document(directory.to_json(), signing_key, kind="directory")
    row = SignedDirectory.objects.create(
        version=directory.version,
        token=token,
        signer=signing_key.thumbprint(),
        issued_at=_moment(directory.issued_at),
        expires_at=_moment(directory.expires_at),
    )
    audit.record(
        action="directory.published",
        actor=None,
        target=("federation.directory", str(directory.version)),
        data={
            "version": directory.version,
            "members": len(directory.members),
            "expires_at": directory.expires_at,
            "signer": signing_key.thumbprint(),
        },
    )
    return row


@transaction.atomic(durable=True)
def publish_directory(*, now: int | None = None) -> SignedDirectory:
    """Sign the register and the policy as a new directory version (issued now, valid for the policy's period)."""
    return _publish(now=_now(now))


def latest_published() -> SignedDirectory | None:
    return SignedDirectory.objects.order_by("-version").first()


def republish_if_due(*, now: int | None = None) -> SignedDirectory | None:
    """Publish again once half the validity of the latest directory has passed (none yet: nothing).

    So that nodes always hold a directory with at least half its validity left, and a hub outage
    shorter than that never expires it.
    """
    moment = _now(now)
    latest = latest_published()
    if settings.NODE_ROLE != "hub" or latest is None:
        return None
    half = (_seconds(latest.expires_at) - _seconds(latest.issued_at)) // 2
    if moment < _seconds(latest.issued_at) + half:
        return None
    return publish_directory(now=moment)


# --- key rotation ---------------------------------------------------------------------------------


class RotationRefused(DomainError):
    """A key-rotation announcement is not accepted; ``code`` says why (see docs/protocol.md §15)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, code=code)
        self.detail = detail


@dataclass(frozen=True)
class AcceptedRotation:
    member: str
    directory_version: int
    already_known: bool


def _check_announcement(announcement: Announcement, member: Member | None, now: int) -> Member:
    if member is None:
        raise RotationRefused("unknown_member", f"{announcement.member} is not a member")
    old_kid = announcement.old_signing.thumbprint()
    current = member.keys.filter(use=KeyUse.SIGNING, not_after__isnull=True).values_list("kid", flat=True).first()
    if old_kid != current:
        raise RotationRefused(
            "unknown_key", f"{old_kid} is not the current signing key of {member.member_id} in the register"
        )
    if member.status != MemberStatus.ACTIVE:
        raise RotationRefused("suspended_member", f"{member.member_id} is suspended")
    if announcement.issued_at > now + ANNOUNCEMENT_SKEW:
        raise RotationRefused("bad_time", "the announcement is dated in the future")
    if announcement.overlap_ends_at > announcement.issued_at + MAX_ANNOUNCED_OVERLAP:
        raise RotationRefused("bad_overlap", "the overlap is longer than 90 days")
    new_kids = [announcement.new_signing.thumbprint(), announcement.new_encryption.thumbprint()]
    if MemberKey.objects.filter(kid__in=new_kids).exists():
        raise RotationRefused("key_in_use", "a new key is already listed in the register")
    return member


@transaction.atomic(durable=True)
def accept_rotation(token: str, *, now: int | None = None) -> AcceptedRotation:
    """List a member's announced keys, end the old ones' validity at the overlap's end, and publish."""
    require_hub()
    moment = _now(now)
    try:
        announcement = open_announcement(token.strip())
    except EnvelopeRefused as error:
        raise RotationRefused(error.code, error.detail) from None
    member = Member.objects.select_for_update().filter(member_id=announcement.member).first()
    known = KeyAnnouncement.objects.filter(member=member, new_signing_kid=announcement.new_signing.thumbprint()).first()
    if member is not None and known is not None:
        latest = latest_published()
        return AcceptedRotation(member.member_id, latest.version if latest else 0, already_known=True)
    member = _check_announcement(announcement, member, moment)
    overlap_ends = _moment(announcement.overlap_ends_at)
    member.keys.filter(not_after__isnull=True).update(not_after=overlap_ends)
    for use, key in ((KeyUse.SIGNING, announcement.new_signing), (KeyUse.ENCRYPTION, announcement.new_encryption)):
        MemberKey.objects.create(member=member, use=use, kid=key.thumbprint(), jwk=key.public_jwk())
    KeyAnnouncement.objects.create(
        member=member,
        token=announcement.token,
        old_signing_kid=announcement.old_signing.thumbprint(),
        new_signing_kid=announcement.new_signing.thumbprint(),
        new_encryption_kid=announcement.new_encryption.thumbprint(),
        overlap_ends_at=overlap_ends,
    )
    audit.record(
        action="directory.keys_rotated",
        actor=None,
        target=("federation.member", member.member_id),
        data={
            "member": member.member_id,
            "old_signing_key": announcement.old_signing.thumbprint(),
            "new_signing_key": announcement.new_signing.thumbprint(),
            "new_encryption_key": announcement.new_encryption.thumbprint(),
            "overlap_ends_at": announcement.overlap_ends_at,
        },
    )
    published = _publish(now=moment)
    return AcceptedRotation(member.member_id, published.version, already_known=False)
