"""The payloads of the hit/no-hit messages, read strictly (no Django).

A query carries encodings only: keyed, hardened Bloom filters and keyed identifier tokens made
under the network match key (``vinculo.linkage``), never a name, a number or a date. An answer
carries a decision and, for a hit, an opaque reference that expires: never a score, never
anything about the person. A message that does not read is refused by its handler and kept in
the inbox with the error, never half-applied.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from vinculo.federation.wire import MEMBER_ID
from vinculo.linkage.encoding import FILTER_BYTES

QUERY = "match.query"
ANSWER = "match.answer"
HIT_STATUS = "match.hit_status"
KEY = "match.key"
CROSSMATCH_UPLOAD = "match.crossmatch_upload"
CROSSMATCH_NOTICE = "match.crossmatch_notice"

KINDS = ("person", "phone", "document", "vehicle")
PURPOSES = ("investigation", "victim_whereabouts")
DECISIONS = ("hit", "possible", "no-hit", "refused")
HIT_STATUSES = ("confirmed", "rejected")
MAX_TOKENS = 32
MAX_ROLES = 10
MAX_NOTICES = 100_000
_TOKEN = re.compile(r"vinculo-tok-[0-9]+:[0-9a-f]{32}")
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CROSS_REFERENCE = re.compile(r"[0-9a-f]{32}")
_SCHEME = re.compile(r"[a-z0-9;=.-]{1,64}")
_ROLE = re.compile(r"[a-z_]{1,32}")
_REFUSAL = re.compile(r"[a-z_]{1,32}")


ROWS_MAGIC = b"VXM1"
_ROW = struct.Struct(f"<16sB{FILTER_BYTES}s")
ROW_BYTES = _ROW.size
# Rows per upload message: 2,000 rows of 145 bytes is about 390 kB in base64, within the network's
# default envelope limit (1 MiB, and an envelope is about 2.4 times its payload).
ROWS_PER_PART = 2000


class UnreadablePayload(ValueError):
    """The message's content is not what its type promises; the text says where."""


def _object(raw: bytes, keys: frozenset[str], where: str) -> Mapping[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadablePayload(f"{where}: not JSON") from None
    if not isinstance(data, dict) or set(data) != keys:
        found = set(data) if isinstance(data, dict) else set()
        raise UnreadablePayload(f"{where}: missing {sorted(keys - found)}, unexpected {sorted(found - keys)}")
    return data


def _get(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UnreadablePayload(f"{where}.{key}: expected {kind.__name__}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, limit: int, empty_ok: bool = False) -> str:
    value = _get(data, key, str, where)
    if len(value) > limit or (not empty_ok and not value.strip()):
        raise UnreadablePayload(f"{where}.{key}: empty or longer than {limit} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise UnreadablePayload(f"{where}.{key}: control characters")
    return str(value)


def _pattern(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str, *, empty_ok: bool = False) -> str:
    value = _get(data, key, str, where)
    if not (empty_ok and value == "") and not pattern.fullmatch(value):
        raise UnreadablePayload(f"{where}.{key}: not well formed")
    return str(value)


def _choice(data: Mapping[str, Any], key: str, choices: Sequence[str], where: str) -> str:
    value = _get(data, key, str, where)
    if value not in choices:
        raise UnreadablePayload(f"{where}.{key}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _uuid(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _get(data, key, str, where)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UnreadablePayload(f"{where}.{key}: not a UUID") from None


def _time(data: Mapping[str, Any], key: str, where: str, *, empty_ok: bool = False) -> str:
    value = _get(data, key, str, where)
    if empty_ok and value == "":
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UnreadablePayload(f"{where}.{key}: not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise UnreadablePayload(f"{where}.{key}: a time needs its offset")
    return str(value)


def _b64(data: Mapping[str, Any], key: str, where: str, *, size: int | None = None, limit: int = 4096) -> bytes:
    value = _get(data, key, str, where)
    if len(value) > limit:
        raise UnreadablePayload(f"{where}.{key}: too long")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise UnreadablePayload(f"{where}.{key}: not base64") from None
    if size is not None and len(decoded) != size:
        raise UnreadablePayload(f"{where}.{key}: {len(decoded)} bytes, expected {size}")
    return decoded


def dump(value: Any) -> bytes:
    return json.dumps(asdict(value), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class QueryPayload:
    """``match.query``: what is asked, why, by whom, and the encodings to compare; nothing in clear."""

    query_id: str
    kind: str
    purpose: str
    case_reference: str
    legal_basis: str
    asked_by: str  # the asker's name and role, as the asking office signs them
    asker_roles: tuple[str, ...]
    asked_at: str
    scheme: str
    key: str  # fingerprint of the match key the encodings were made with
    bloom: str  # base64 of the filter (person queries), "" for identifier queries
    fields: int
    tokens: tuple[str, ...]

    KEYS = frozenset(
        {
            "query_id",
            "kind",
            "purpose",
            "case_reference",
            "legal_basis",
            "asked_by",
            "asker_roles",
            "asked_at",
            "scheme",
            "key",
            "bloom",
            "fields",
            "tokens",
        }
    )

    @classmethod
    def read(cls, raw: bytes) -> QueryPayload:
        where = QUERY
        data = _object(raw, cls.KEYS, where)
        kind = _choice(data, "kind", KINDS, where)
        roles = _get(data, "asker_roles", list, where)
        if len(roles) > MAX_ROLES or not all(isinstance(r, str) and _ROLE.fullmatch(r) for r in roles):
            raise UnreadablePayload(f"{where}.asker_roles: at most {MAX_ROLES} role codes")
        tokens = _get(data, "tokens", list, where)
        if len(tokens) > MAX_TOKENS or not all(isinstance(t, str) and _TOKEN.fullmatch(t) for t in tokens):
            raise UnreadablePayload(f"{where}.tokens: at most {MAX_TOKENS} identifier tokens")
        bloom = _get(data, "bloom", str, where)
        if kind == "person":
            _b64(data, "bloom", where, size=FILTER_BYTES)
        elif bloom:
            raise UnreadablePayload(f"{where}.bloom: only a person query carries a filter")
        elif not tokens:
            raise UnreadablePayload(f"{where}.tokens: an identifier query needs a token")
        fields = _get(data, "fields", int, where)
        if not 0 <= fields < 256:
            raise UnreadablePayload(f"{where}.fields: out of range")
        return cls(
            query_id=_uuid(data, "query_id", where),
            kind=kind,
            purpose=_choice(data, "purpose", PURPOSES, where),
            case_reference=_text(data, "case_reference", where, limit=64),
            legal_basis=_text(data, "legal_basis", where, limit=300),
            asked_by=_text(data, "asked_by", where, limit=200),
            asker_roles=tuple(sorted(set(roles))),
            asked_at=_time(data, "asked_at", where),
            scheme=_pattern(data, "scheme", _SCHEME, where),
            key=_pattern(data, "key", _FINGERPRINT, where),
            bloom=str(bloom),
            fields=fields,
            tokens=tuple(sorted(set(tokens))),
        )

    def filter_bytes(self) -> bytes:
        return base64.b64decode(self.bloom) if self.bloom else b""


@dataclass(frozen=True)
class AnswerPayload:
    """``match.answer``: the decision, and for a hit or possible hit an opaque reference that expires."""

    query_id: str
    decision: str
    refusal: str = ""  # why a query was refused: quota, key_mismatch, scheme_mismatch, not_allowed, no_key
    hit_reference: str = ""
    expires_at: str = ""

    KEYS = frozenset({"query_id", "decision", "refusal", "hit_reference", "expires_at"})

    @classmethod
    def read(cls, raw: bytes) -> AnswerPayload:
        where = ANSWER
        data = _object(raw, cls.KEYS, where)
        decision = _choice(data, "decision", DECISIONS, where)
        is_hit = decision in ("hit", "possible")
        reference = _pattern(data, "hit_reference", _REFERENCE, where, empty_ok=not is_hit)
        expires = _time(data, "expires_at", where, empty_ok=not is_hit)
        refusal = _pattern(data, "refusal", _REFUSAL, where, empty_ok=decision != "refused")
        if not is_hit and (reference or expires):
            raise UnreadablePayload(f"{where}: only a hit carries a reference")
        if decision != "refused" and refusal:
            raise UnreadablePayload(f"{where}.refusal: only a refused query has a reason")
        return cls(
            query_id=_uuid(data, "query_id", where),
            decision=decision,
            refusal=refusal,
            hit_reference=reference,
            expires_at=expires,
        )


@dataclass(frozen=True)
class HitStatusPayload:
    """``match.hit_status``: the holder's focal point confirmed or rejected a hit."""

    hit_reference: str
    status: str

    KEYS = frozenset({"hit_reference", "status"})

    @classmethod
    def read(cls, raw: bytes) -> HitStatusPayload:
        where = HIT_STATUS
        data = _object(raw, cls.KEYS, where)
        return cls(
            hit_reference=_pattern(data, "hit_reference", _REFERENCE, where),
            status=_choice(data, "status", HIT_STATUSES, where),
        )


@dataclass(frozen=True)
class KeyPayload:
    """``match.key``: the network match key, inside an envelope encrypted for one member."""

    key: str  # base64
    fingerprint: str

    KEYS = frozenset({"key", "fingerprint"})

    @classmethod
    def read(cls, raw: bytes) -> KeyPayload:
        where = KEY
        data = _object(raw, cls.KEYS, where)
        key = _b64(data, "key", where, limit=256)
        if not 32 <= len(key) <= 128:
            raise UnreadablePayload(f"{where}.key: 32 to 128 bytes")
        return cls(key=str(data["key"]), fingerprint=_pattern(data, "fingerprint", _FINGERPRINT, where))

    def key_bytes(self) -> bytes:
        return base64.b64decode(self.key)


@dataclass(frozen=True)
class UploadPayload:
    """``match.crossmatch_upload``: one part of an office's encodings for the hub's cross-match.

    The hub takes no attachments (docs/adr/0018), so an upload travels in parts of at most
    ``ROWS_PER_PART`` rows, each its own message; the hub replaces the office's last upload once
    every part of a new one has arrived.
    """

    scheme: str
    key: str
    upload: str  # one id for all the parts of an upload
    made_at: str  # when the office made it: the hub never replaces a newer upload by an older one
    part: int
    parts: int
    count: int  # rows in this part
    rows: str  # base64 of ``pack_rows`` of this part's rows

    KEYS = frozenset({"scheme", "key", "upload", "made_at", "part", "parts", "count", "rows"})

    @classmethod
    def read(cls, raw: bytes) -> UploadPayload:
        where = CROSSMATCH_UPLOAD
        data = _object(raw, cls.KEYS, where)
        parts = _get(data, "parts", int, where)
        part = _get(data, "part", int, where)
        count = _get(data, "count", int, where)
        if not 1 <= parts <= 10_000 or not 0 <= part < parts or not 0 <= count <= ROWS_PER_PART:
            raise UnreadablePayload(f"{where}: part, parts or count out of range")
        rows = _b64(data, "rows", where, limit=4 * (8 + ROWS_PER_PART * ROW_BYTES) // 3 + 8)
        unpack_rows(rows, count=count)  # a part that does not read is refused whole
        return cls(
            scheme=_pattern(data, "scheme", _SCHEME, where),
            key=_pattern(data, "key", _FINGERPRINT, where),
            upload=_uuid(data, "upload", where),
            made_at=_time(data, "made_at", where),
            part=part,
            parts=parts,
            count=count,
            rows=str(data["rows"]),
        )

    def row_bytes(self) -> bytes:
        return base64.b64decode(self.rows)


@dataclass(frozen=True)
class Notice:
    reference: str  # the receiving office's own opaque reference of the entry
    other: str  # the other office that holds the same person
    decision: str  # "hit": likely the same person; "possible": possibly


@dataclass(frozen=True)
class NoticePayload:
    """``match.crossmatch_notice``: which of this office's entries another office holds too; nothing else."""

    run_at: str
    notices: tuple[Notice, ...]

    KEYS = frozenset({"run_at", "notices"})

    @classmethod
    def read(cls, raw: bytes) -> NoticePayload:
        where = CROSSMATCH_NOTICE
        data = _object(raw, cls.KEYS, where)
        items = _get(data, "notices", list, where)
        if len(items) > MAX_NOTICES:
            raise UnreadablePayload(f"{where}.notices: too many")
        notices = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"reference", "other", "decision"}:
                raise UnreadablePayload(f"{where}.notices: each is {{reference, other, decision}}")
            reference, other, decision = item["reference"], item["other"], item["decision"]
            if decision not in ("hit", "possible"):
                raise UnreadablePayload(f"{where}.notices.decision: hit or possible")
            if not isinstance(reference, str) or not _CROSS_REFERENCE.fullmatch(reference):
                raise UnreadablePayload(f"{where}.notices.reference: not well formed")
            if not isinstance(other, str) or not MEMBER_ID.fullmatch(other):
                raise UnreadablePayload(f"{where}.notices.other: not a member id")
            notices.append(Notice(reference=reference, other=other, decision=decision))
        return cls(run_at=_time(data, "run_at", where), notices=tuple(notices))


# --- the cross-match upload's rows ----------------------------------------------------------------


def pack_rows(rows: Sequence[tuple[bytes, int, bytes]]) -> bytes:
    """(16-byte reference, field flags, filter) rows as the upload's attachment: magic, count, rows."""
    parts = [ROWS_MAGIC, struct.pack("<I", len(rows))]
    parts.extend(_ROW.pack(reference, fields, bloom) for reference, fields, bloom in rows)
    return b"".join(parts)


def unpack_rows(data: bytes, *, count: int) -> tuple[list[bytes], list[int], bytes]:
    """References, field flags and the filters (concatenated) of an upload; ``UnreadablePayload`` if malformed."""
    if data[:4] != ROWS_MAGIC or len(data) < 8:
        raise UnreadablePayload(f"{CROSSMATCH_UPLOAD}: the attachment is not a rows file")
    (found,) = struct.unpack("<I", data[4:8])
    if found != count or len(data) != 8 + found * ROW_BYTES:
        raise UnreadablePayload(f"{CROSSMATCH_UPLOAD}: the attachment does not hold {count} rows")
    references: list[bytes] = []
    fields: list[int] = []
    filters = bytearray()
    for reference, flags, bloom in _ROW.iter_unpack(data[8:]):
        references.append(reference)
        fields.append(flags)
        filters += bloom
    if len(set(references)) != len(references):
        raise UnreadablePayload(f"{CROSSMATCH_UPLOAD}: a reference appears twice")
    return references, fields, bytes(filters)
