"""The payloads of the exchange messages, read strictly (no Django).

What a peer sends is checked field by field before anything is stored: a message that does
not read is refused by its handler (the inbox keeps it with the error, for the administrator),
never half-applied.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from vinculo.exchanges.handling import CODES, INFORMATION_GRADES, SOURCE_GRADES
from vinculo.exchanges.lifecycle import Step, Urgency

REQUEST = "request.information"
STEP_TYPES: dict[Step, str] = {
    Step.SEND: REQUEST,
    Step.ACKNOWLEDGE: "request.acknowledgement",
    Step.ASSIGN: "request.progress",
    Step.ANSWER_PARTIAL: "request.answer",
    Step.ANSWER: "request.answer",
    Step.REFUSE: "request.refusal",
    Step.WITHDRAW: "request.withdrawal",
}
REMINDER = "request.reminder"
CLARIFICATION = "request.clarification"
REQUEST_TYPES = (
    "identification",
    "criminal_record",
    "migration_movements",
    "phone_subscriber",
    "financial",
    "victim_status",
    "other",
)
LANGUAGES = ("es", "en")
MAX_TEXT = 20_000
MAX_ITEMS = 50


class UnreadablePayload(ValueError):
    """The message's content is not what its type promises; the text says where."""


def _get(data: Mapping[str, Any], key: str, kind: type, *, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UnreadablePayload(f"{where}.{key}: expected {kind.__name__}")
    return value


def _text(data: Mapping[str, Any], key: str, *, where: str, limit: int = MAX_TEXT, empty_ok: bool = True) -> str:
    value = _get(data, key, str, where=where)
    if len(value) > limit or (not empty_ok and not value.strip()):
        raise UnreadablePayload(f"{where}.{key}: empty or longer than {limit} characters")
    return str(value)


def _uuid(data: Mapping[str, Any], key: str, *, where: str) -> str:
    value = _get(data, key, str, where=where)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UnreadablePayload(f"{where}.{key}: not a UUID") from None


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], *, where: str, empty_ok: bool = False) -> str:
    value = _get(data, key, str, where=where)
    if value not in choices and not (empty_ok and value == ""):
        raise UnreadablePayload(f"{where}.{key}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _codes(data: Mapping[str, Any], *, where: str) -> tuple[str, ...]:
    value = _get(data, "handling", list, where=where)
    if not all(isinstance(code, str) and code in CODES for code in value) or len(set(value)) != len(value):
        raise UnreadablePayload(f"{where}.handling: unknown or repeated codes")
    return tuple(sorted(value))


def is_sha256(value: object) -> bool:
    """A SHA-256 digest as the payloads name files: 64 lower-case hexadecimal digits."""
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _digests(data: Mapping[str, Any], *, where: str) -> tuple[str, ...]:
    value = _get(data, "attachments", list, where=where)
    if len(value) > 20 or not all(is_sha256(d) for d in value):
        raise UnreadablePayload(f"{where}.attachments: at most 20 SHA-256 digests in hex")
    return tuple(value)


def _evaluation(data: Mapping[str, Any], *, where: str) -> str:
    value = _get(data, "evaluation", str, where=where)
    if value and not (len(value) == 2 and value[0] in SOURCE_GRADES and value[1] in INFORMATION_GRADES):
        raise UnreadablePayload(f"{where}.evaluation: not a 4x4 grade")
    return str(value)


def _object(
    raw: bytes, keys: frozenset[str], where: str, *, optional: frozenset[str] = frozenset()
) -> Mapping[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadablePayload(f"{where}: not JSON") from None
    if not isinstance(data, dict):
        raise UnreadablePayload(f"{where}: not an object")
    if not keys - optional <= set(data) <= keys:
        missing, extra = sorted(keys - optional - set(data)), sorted(set(data) - keys)
        raise UnreadablePayload(f"{where}: missing {missing}, unexpected {extra}")
    return data


def dump(value: Any) -> bytes:
    return json.dumps(asdict(value), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class RequestPayload:
    """``request.information``: everything the requested office needs, in one message."""

    exchange_id: str
    request_type: str
    subject: str
    legal_basis: str
    urgency: str
    deadline_seconds: int
    text: str
    items: tuple[str, ...]
    language: str
    handling: tuple[str, ...]
    purpose: str
    conditions: str
    evaluation: str
    attachments: tuple[str, ...] = ()  # SHA-256 of each attached file (docs/protocol.md §16)
    hit_reference: str = ""  # the hit/no-hit reference the request follows up

    KEYS = frozenset(
        {
            "attachments",
            "hit_reference",
            "exchange_id",
            "request_type",
            "subject",
            "legal_basis",
            "urgency",
            "deadline_seconds",
            "text",
            "items",
            "language",
            "handling",
            "purpose",
            "conditions",
            "evaluation",
        }
    )

    @classmethod
    def read(cls, raw: bytes) -> RequestPayload:
        where = REQUEST
        # Requests sent before files could go with them have no "attachments": read as none.
        # Requests that follow up no hit may leave "hit_reference" out.
        data = _object(raw, cls.KEYS, where, optional=frozenset({"attachments", "hit_reference"}))
        hit_reference = _text(data, "hit_reference", where=where, limit=64) if "hit_reference" in data else ""
        if hit_reference and not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", hit_reference):
            raise UnreadablePayload(f"{where}.hit_reference: not a hit reference")
        items = _get(data, "items", list, where=where)
        if len(items) > MAX_ITEMS or not all(isinstance(item, str) and 0 < len(item) <= 500 for item in items):
            raise UnreadablePayload(f"{where}.items: at most {MAX_ITEMS} non-empty texts of 500 characters")
        deadline = _get(data, "deadline_seconds", int, where=where)
        if not 0 < deadline <= 365 * 86400:
            raise UnreadablePayload(f"{where}.deadline_seconds: out of range")
        return cls(
            exchange_id=_uuid(data, "exchange_id", where=where),
            request_type=_choice(data, "request_type", REQUEST_TYPES, where=where),
            subject=_text(data, "subject", where=where, limit=160, empty_ok=False),
            legal_basis=_text(data, "legal_basis", where=where, limit=300, empty_ok=False),
            urgency=_choice(data, "urgency", tuple(u.value for u in Urgency), where=where),
            deadline_seconds=deadline,
            text=_text(data, "text", where=where, empty_ok=False),
            items=tuple(items),
            language=_choice(data, "language", LANGUAGES, where=where),
            handling=_codes(data, where=where),
            purpose=_text(data, "purpose", where=where, limit=500),
            conditions=_text(data, "conditions", where=where, limit=2000),
            evaluation=_evaluation(data, where=where),
            attachments=_digests(data, where=where) if "attachments" in data else (),
            hit_reference=hit_reference,
        )


@dataclass(frozen=True)
class StepPayload:
    """Every later step of a request: which request, which step, and what comes with it."""

    exchange_id: str
    step: str
    note: str = ""  # a refusal's explanation, a withdrawal's reason, a clarification
    language: str = "es"
    refusal_reason: str = ""
    answer: Mapping[str, Any] = field(default_factory=dict)  # for answers: AnswerPayload fields

    KEYS = frozenset({"exchange_id", "step", "note", "language", "refusal_reason", "answer"})
    STEPS = (*(step.value for step in Step if step not in (Step.SEND, Step.DELIVER)), "reminder", "clarification")

    @classmethod
    def read(cls, raw: bytes, *, where: str) -> StepPayload:
        data = _object(raw, cls.KEYS, where)
        answer = _get(data, "answer", dict, where=where)
        step = _choice(data, "step", cls.STEPS, where=where)
        if step in (Step.ANSWER, Step.ANSWER_PARTIAL):
            AnswerPayload.read(answer)  # checked here; the handler reads it again into its fields
        elif answer:
            raise UnreadablePayload(f"{where}.answer: only answers carry one")
        return cls(
            exchange_id=_uuid(data, "exchange_id", where=where),
            step=step,
            note=_text(data, "note", where=where),
            language=_choice(data, "language", LANGUAGES, where=where),
            refusal_reason=_text(data, "refusal_reason", where=where, limit=20),
            answer=answer,
        )


@dataclass(frozen=True)
class AnswerPayload:
    answer_id: str
    text: str
    language: str
    handling: tuple[str, ...]
    conditions: str
    evaluation: str
    is_complete: bool
    attachments: tuple[str, ...] = ()  # SHA-256 of each attached file (docs/protocol.md §16)

    KEYS = frozenset(
        {"answer_id", "text", "language", "handling", "conditions", "evaluation", "is_complete", "attachments"}
    )

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> AnswerPayload:
        where = "request.answer.answer"
        if set(data) != cls.KEYS:
            raise UnreadablePayload(f"{where}: members {sorted(data)}")
        return cls(
            answer_id=_uuid(data, "answer_id", where=where),
            text=_text(data, "text", where=where, empty_ok=False),
            language=_choice(data, "language", LANGUAGES, where=where),
            handling=_codes(data, where=where),
            conditions=_text(data, "conditions", where=where, limit=2000),
            evaluation=_evaluation(data, where=where),
            is_complete=_get(data, "is_complete", bool, where=where),
            attachments=_digests(data, where=where),
        )


BROADCAST_TYPES = {"information": "information.spontaneous", "alert": "alert"}
ACKNOWLEDGEMENT_TYPES = {"information": "information.acknowledgement", "alert": "alert.acknowledgement"}
ALERT_CATEGORIES = ("child_at_risk", "victim_moved", "suspect_movement", "route", "other")
MEMBER_ID = r"^[A-Z]{2,5}-[A-Z0-9]{2,12}$"


@dataclass(frozen=True)
class BroadcastPayload:
    """``information.spontaneous`` and ``alert``: the item, and every office it was sent to."""

    exchange_id: str
    kind: str
    category: str
    subject: str
    text: str
    language: str
    handling: tuple[str, ...]
    purpose: str
    conditions: str
    evaluation: str
    recipients: tuple[str, ...]

    KEYS = frozenset(
        {
            "exchange_id",
            "kind",
            "category",
            "subject",
            "text",
            "language",
            "handling",
            "purpose",
            "conditions",
            "evaluation",
            "recipients",
        }
    )

    @classmethod
    def read(cls, raw: bytes, *, where: str) -> BroadcastPayload:
        data = _object(raw, cls.KEYS, where)
        kind = _choice(data, "kind", tuple(BROADCAST_TYPES), where=where)
        if BROADCAST_TYPES[kind] != where:
            raise UnreadablePayload(f"{where}.kind: {kind} does not travel as {where}")
        recipients = _get(data, "recipients", list, where=where)
        if (
            not recipients
            or len(recipients) > 50
            or not all(isinstance(member, str) and re.fullmatch(MEMBER_ID, member) for member in recipients)
        ):
            raise UnreadablePayload(f"{where}.recipients: one to fifty member ids")
        return cls(
            exchange_id=_uuid(data, "exchange_id", where=where),
            kind=kind,
            category=_choice(data, "category", ALERT_CATEGORIES, where=where, empty_ok=kind == "information"),
            subject=_text(data, "subject", where=where, limit=160, empty_ok=False),
            text=_text(data, "text", where=where, empty_ok=False),
            language=_choice(data, "language", LANGUAGES, where=where),
            handling=_codes(data, where=where),
            purpose=_text(data, "purpose", where=where, limit=500),
            conditions=_text(data, "conditions", where=where, limit=2000),
            evaluation=_evaluation(data, where=where),
            recipients=tuple(recipients),
        )


@dataclass(frozen=True)
class AcknowledgementPayload:
    exchange_id: str

    KEYS = frozenset({"exchange_id"})

    @classmethod
    def read(cls, raw: bytes, *, where: str) -> AcknowledgementPayload:
        return cls(exchange_id=_uuid(_object(raw, cls.KEYS, where), "exchange_id", where=where))
