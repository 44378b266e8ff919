"""The network directory's content: members, their public keys, the network policy (no Django imports).

The hub signs this object as a document of kind ``directory`` (docs/protocol.md §8 and §14).
``parse_directory`` reads it strictly: every object has exactly its members, every value its
shape, so a directory either means one thing or is refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from vinculo.federation.envelope import HANDLING_CODE, MESSAGE_TYPE
from vinculo.federation.jwk import InvalidKey, RecipientKey, VerifyKey
from vinculo.federation.wire import KEY_ID, MEMBER_ID, is_safe_int, matches

DIRECTORY_KIND = "directory"
DIRECTORY_FORMAT = 1
MEMBER_STATUSES = ("active", "suspended")
MEMBER_ROLES = ("office", "hub")
URGENCIES = ("urgent", "priority", "normal")
COUNTRY = re.compile(r"[A-Z]{2}")
ENDPOINT = re.compile(r"https?://[^\s/?#@]+(/[^\s?#]*)?")
MAX_NAME = 200

DIRECTORY_MEMBERS = frozenset(
    {"kind", "format", "version", "issued_at", "expires_at", "hub", "members", "policy", "hub_rotations"}
)
MEMBER_MEMBERS = frozenset({"id", "name", "country", "endpoint", "status", "roles", "signing_keys", "encryption_keys"})
KEY_MEMBERS = frozenset({"jwk", "not_after"})
POLICY_MEMBERS = frozenset(
    {
        "message_types",
        "deadline_seconds",
        "handling_codes",
        "max_envelope_bytes",
        "replay_window_seconds",
        "max_delivery_age_seconds",
        "directory_validity_seconds",
    }
)


class DirectoryFormatError(ValueError):
    """The directory object is not well formed; the message says where."""


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


@dataclass(frozen=True)
class PublishedKey:
    """A member's public key as the directory lists it; ``not_after`` ends its overlap after a rotation."""

    jwk: Mapping[str, str]
    kid: str
    not_after: int | None = None

    def is_valid_at(self, now: int) -> bool:
        return self.not_after is None or now <= self.not_after

    def to_json(self) -> dict[str, Any]:
        return {"jwk": dict(self.jwk), "not_after": self.not_after}


@dataclass(frozen=True)
class Member:
    """A member office (or the hub) as the directory describes it."""

    id: str
    name_es: str
    name_en: str
    country: str
    endpoint: str
    status: str
    roles: tuple[str, ...]
    signing_keys: tuple[PublishedKey, ...]
    encryption_keys: tuple[PublishedKey, ...]

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def name(self, language: str) -> str:
        return self.name_en if language.startswith("en") else self.name_es

    @cached_property
    def _verify_keys(self) -> dict[str, tuple[VerifyKey, PublishedKey]]:
        return {key.kid: (VerifyKey.from_jwk(key.jwk), key) for key in self.signing_keys}

    @cached_property
    def _recipient_key(self) -> RecipientKey:
        current = next(key for key in self.encryption_keys if key.not_after is None)
        return RecipientKey.from_jwk(current.jwk)

    def verify_key(self, kid: str, *, now: int | None = None) -> VerifyKey | None:
        """The member's signing key named ``kid``, if it is listed and not past its ``not_after``."""
        found = self._verify_keys.get(kid)
        if found is None or not found[1].is_valid_at(_now(now)):
            return None
        return found[0]

    def verify_keys(self, *, now: int | None = None) -> list[VerifyKey]:
        moment = _now(now)
        return [VerifyKey.from_jwk(key.jwk) for key in self.signing_keys if key.is_valid_at(moment)]

    def recipient_key(self) -> RecipientKey:
        """The member's current encryption key: the one without ``not_after`` (a directory has exactly one)."""
        return self._recipient_key

    def current_signing_kid(self) -> str:
        return next(key.kid for key in self.signing_keys if key.not_after is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": {"es": self.name_es, "en": self.name_en},
            "country": self.country,
            "endpoint": self.endpoint,
            "status": self.status,
            "roles": list(self.roles),
            "signing_keys": [key.to_json() for key in self.signing_keys],
            "encryption_keys": [key.to_json() for key in self.encryption_keys],
        }


HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Policy:
    """The network policy: what may be sent, how fast it must be answered, the protocol's limits (seconds)."""

    message_types: tuple[str, ...]
    deadline_seconds: Mapping[str, int]
    handling_codes: tuple[str, ...] = ("H0", "H1", "H2", "H3")
    max_envelope_bytes: int = 1024 * 1024
    replay_window_seconds: int = 600
    max_delivery_age_seconds: int = 7 * DAY
    directory_validity_seconds: int = 7 * DAY

    @classmethod
    def default(cls) -> Policy:
        return cls(message_types=DEFAULT_MESSAGE_TYPES, deadline_seconds=dict(DEFAULT_DEADLINE_SECONDS))

    def deadline(self, urgency: str) -> int:
        """Seconds allowed to answer a request of this urgency."""
        return self.deadline_seconds[urgency]

    def allows(self, message_type: str) -> bool:
        return message_type in self.message_types

    def to_json(self) -> dict[str, Any]:
        return {
            "message_types": list(self.message_types),
            "deadline_seconds": {urgency: self.deadline_seconds[urgency] for urgency in URGENCIES},
            "handling_codes": list(self.handling_codes),
            "max_envelope_bytes": self.max_envelope_bytes,
            "replay_window_seconds": self.replay_window_seconds,
            "max_delivery_age_seconds": self.max_delivery_age_seconds,
            "directory_validity_seconds": self.directory_validity_seconds,
        }


# The exchanges of the MoU (information requests and their answers, spontaneous information,
# alerts, joint teams, consent, hit/no-hit queries and the hub's cross-match, the network match key,
# statistical reports to the hub, evidence heads); the network may change it.
DEFAULT_MESSAGE_TYPES: tuple[str, ...] = (
    "request.information",
    "request.acknowledgement",
    "request.progress",
    "request.clarification",
    "request.answer",
    "request.refusal",
    "request.withdrawal",
    "request.reminder",
    "information.spontaneous",
    "information.acknowledgement",
    "alert",
    "alert.acknowledgement",
    "team.message",
    "consent.request",
    "consent.answer",
    "match.query",
    "match.answer",
    "match.hit_status",
    "match.key",
    "match.crossmatch_upload",
    "match.crossmatch_notice",
    "statistics.report",
    "evidence.head",
)
DEFAULT_DEADLINE_SECONDS: Mapping[str, int] = {"urgent": 8 * HOUR, "priority": 3 * DAY, "normal": 7 * DAY}


@dataclass(frozen=True)
class Directory:
    """A network directory: who the members are, their keys, and the policy; valid until ``expires_at``."""

    version: int
    issued_at: int
    expires_at: int
    hub: str
    members: tuple[Member, ...]
    policy: Policy
    hub_rotations: tuple[str, ...] = ()
    # The signed token this directory was read from and the key that signed it (empty when unsigned).
    token: str = field(default="", compare=False)
    signer: str = field(default="", compare=False)
    _by_id: Mapping[str, Member] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {member.id: member for member in self.members})

    def member(self, member_id: str) -> Member | None:
        return self._by_id.get(member_id)

    def hub_member(self) -> Member:
        member = self._by_id.get(self.hub)
        if member is None:  # parse_directory refuses such a directory
            raise DirectoryFormatError(f"the hub {self.hub} is not a member")
        return member

    def is_expired(self, *, now: int | None = None) -> bool:
        return _now(now) > self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": DIRECTORY_KIND,
            "format": DIRECTORY_FORMAT,
            "version": self.version,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "hub": self.hub,
            "members": [member.to_json() for member in self.members],
            "policy": self.policy.to_json(),
            "hub_rotations": list(self.hub_rotations),
        }


# --- strict reading ------------------------------------------------------------------------------


def _require(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise DirectoryFormatError(f"{where}: {problem}")


def _object(value: Any, members: frozenset[str], where: str) -> Mapping[str, Any]:
    _require(isinstance(value, dict), where, "must be an object")
    missing = ", ".join(sorted(members - set(value))) or "none"
    unexpected = ", ".join(sorted(set(value) - members)) or "none"
    _require(set(value) == members, where, f"members missing: {missing}; unexpected: {unexpected}")
    return value


def _positive(value: Any, where: str) -> int:
    _require(is_safe_int(value) and value > 0, where, "must be a positive integer")
    return int(value)


def _strings(value: Any, pattern: re.Pattern[str], where: str, *, empty_ok: bool = False) -> tuple[str, ...]:
    _require(isinstance(value, list), where, "must be an array")
    _require(empty_ok or bool(value), where, "must not be empty")
    _require(all(matches(pattern, item) for item in value), where, f"each item must match {pattern.pattern}")
    _require(len(set(value)) == len(value), where, "items must be distinct")
    return tuple(value)


def _name(value: Any, where: str) -> str:
    _require(isinstance(value, str) and 0 < len(value.strip()) <= MAX_NAME, where, "must be a non-empty string")
    return str(value)


def _keys(value: Any, key_type: type[VerifyKey] | type[RecipientKey], where: str) -> tuple[PublishedKey, ...]:
    _require(isinstance(value, list) and bool(value), where, "must be a non-empty array")
    keys = []
    for index, entry in enumerate(value):
        here = f"{where}[{index}]"
        entry = _object(entry, KEY_MEMBERS, here)
        jwk = entry["jwk"]
        try:
            key = key_type.from_jwk(jwk)
        except InvalidKey as error:
            raise DirectoryFormatError(f"{here}.jwk: {error}") from None
        _require(jwk.get("kid") == key.thumbprint() and matches(KEY_ID, jwk.get("kid")), here, "jwk needs its kid")
        not_after = entry["not_after"]
        _require(not_after is None or is_safe_int(not_after), here, "not_after must be null or Unix seconds")
        keys.append(PublishedKey(jwk=dict(jwk), kid=key.thumbprint(), not_after=not_after))
    _require(len({key.kid for key in keys}) == len(keys), where, "a key is listed twice")
    _require(sum(key.not_after is None for key in keys) == 1, where, "exactly one key must be current (no not_after)")
    return tuple(keys)


def parse_member(value: Any, where: str = "member") -> Member:
    obj = _object(value, MEMBER_MEMBERS, where)
    member_id = obj["id"]
    _require(matches(MEMBER_ID, member_id), f"{where}.id", "must be a member id such as SV-FGR")
    where = f"member {member_id}"
    names = _object(obj["name"], frozenset({"es", "en"}), f"{where}.name")
    _require(matches(COUNTRY, obj["country"]), f"{where}.country", "must be an ISO 3166 alpha-2 code")
    _require(
        member_id.endswith("-HUB") or member_id.startswith(obj["country"] + "-"),
        f"{where}.country",
        "must be the country code the id starts with",
    )
    _require(matches(ENDPOINT, obj["endpoint"]), f"{where}.endpoint", "must be an http(s) URL")
    _require(obj["status"] in MEMBER_STATUSES, f"{where}.status", f"must be one of {', '.join(MEMBER_STATUSES)}")
    roles = obj["roles"]
    _require(
        isinstance(roles, list) and bool(roles) and set(roles) <= set(MEMBER_ROLES) and len(set(roles)) == len(roles),
        f"{where}.roles",
        f"must be distinct values among {', '.join(MEMBER_ROLES)}",
    )
    return Member(
        id=member_id,
        name_es=_name(names["es"], f"{where}.name.es"),
        name_en=_name(names["en"], f"{where}.name.en"),
        country=obj["country"],
        endpoint=obj["endpoint"],
        status=obj["status"],
        roles=tuple(roles),
        signing_keys=_keys(obj["signing_keys"], VerifyKey, f"{where}.signing_keys"),
        encryption_keys=_keys(obj["encryption_keys"], RecipientKey, f"{where}.encryption_keys"),
    )


def parse_policy(value: Any) -> Policy:
    obj = _object(value, POLICY_MEMBERS, "policy")
    deadline_seconds = _object(obj["deadline_seconds"], frozenset(URGENCIES), "policy.deadline_seconds")
    return Policy(
        message_types=_strings(obj["message_types"], MESSAGE_TYPE, "policy.message_types"),
        deadline_seconds={
            urgency: _positive(deadline_seconds[urgency], f"policy.deadline_seconds.{urgency}") for urgency in URGENCIES
        },
        handling_codes=_strings(obj["handling_codes"], HANDLING_CODE, "policy.handling_codes"),
        max_envelope_bytes=_positive(obj["max_envelope_bytes"], "policy.max_envelope_bytes"),
        replay_window_seconds=_positive(obj["replay_window_seconds"], "policy.replay_window_seconds"),
        max_delivery_age_seconds=_positive(obj["max_delivery_age_seconds"], "policy.max_delivery_age_seconds"),
        directory_validity_seconds=_positive(obj["directory_validity_seconds"], "policy.directory_validity_seconds"),
    )


def parse_directory(value: Any, *, token: str = "", signer: str = "") -> Directory:
    """The directory an object describes; ``DirectoryFormatError`` naming the first problem otherwise."""
    obj = _object(value, DIRECTORY_MEMBERS, "directory")
    _require(obj["kind"] == DIRECTORY_KIND, "directory.kind", f"must be {DIRECTORY_KIND!r}")
    _require(obj["format"] == DIRECTORY_FORMAT and is_safe_int(obj["format"]), "directory.format", "must be 1")
    version = _positive(obj["version"], "directory.version")
    issued_at = _positive(obj["issued_at"], "directory.issued_at")
    expires_at = _positive(obj["expires_at"], "directory.expires_at")
    _require(expires_at > issued_at, "directory.expires_at", "must be after issued_at")
    _require(matches(MEMBER_ID, obj["hub"]) and obj["hub"].endswith("-HUB"), "directory.hub", "must be a hub's id")
    raw_members = obj["members"]
    _require(isinstance(raw_members, list), "directory.members", "must be an array")
    members = tuple(parse_member(item, f"directory.members[{index}]") for index, item in enumerate(raw_members))
    ids = [member.id for member in members]
    _require(len(set(ids)) == len(ids), "directory.members", "a member is listed twice")
    hubs = [member.id for member in members if "hub" in member.roles]
    _require(hubs == [obj["hub"]], "directory.members", f"exactly the hub {obj['hub']} must have the role hub")
    rotations = obj["hub_rotations"]
    _require(
        isinstance(rotations, list) and all(isinstance(item, str) for item in rotations),
        "directory.hub_rotations",
        "must be an array of signed announcements",
    )
    return Directory(
        version=version,
        issued_at=issued_at,
        expires_at=expires_at,
        hub=obj["hub"],
        members=members,
        policy=parse_policy(obj["policy"]),
        hub_rotations=tuple(rotations),
        token=token,
        signer=signer,
    )
