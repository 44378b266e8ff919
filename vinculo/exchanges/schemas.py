"""JSON shapes of the exchanges API (information requests)."""

from __future__ import annotations

import datetime
import uuid

from ninja import Field, Schema


class RequestIn(Schema):
    counterpart: str = Field(description="Member id of the office asked (e.g. GT-MP)")
    request_type: str = Field(
        description="identification, criminal_record, migration_movements, phone_subscriber, financial,"
        " victim_status or other"
    )
    subject: str = Field(min_length=1, max_length=160, description="A short label for lists; no names")
    legal_basis: str = Field(min_length=1, max_length=300)
    urgency: str = Field(pattern="^(urgent|priority|normal)$")
    text: str = Field(min_length=1, max_length=20_000)
    items: list[str] = Field(min_length=1, max_length=50, description="What is asked for, one item each")
    language: str = Field("es", pattern="^(es|en)$", description="The language the text is written in")
    handling: list[str] = Field(default_factory=list, description="Handling codes among H0, H1, H2, H3")
    purpose: str = Field("", max_length=500, description="The stated purpose (H0)")
    conditions: str = Field("", max_length=2000, description="The conditions (H3)")
    evaluation: str = Field("", pattern="^([ABCX][1-4])?$", description="Source and information evaluation (4x4)")
    case: uuid.UUID | None = Field(None, description="One of the caller's cases this request belongs to")
    send: bool = Field(False, description="Send at once instead of keeping a draft")


class VersionIn(Schema):
    version: int = Field(description="The version you last read; a stale one is refused")


class ReasonIn(VersionIn):
    reason: str = Field(min_length=1, max_length=2000)


class TextIn(Schema):
    text: str = Field(min_length=1, max_length=20_000)


class AssignIn(VersionIn):
    user: str = Field(description="Username of the person of the office who answers")


class AnswerIn(VersionIn):
    text: str = Field(min_length=1, max_length=20_000)
    is_complete: bool
    language: str = Field("es", pattern="^(es|en)$")
    handling: list[str] = Field(default_factory=list)
    conditions: str = Field("", max_length=2000)
    evaluation: str = Field("", pattern="^([ABCX][1-4])?$")


class RefuseIn(VersionIn):
    reason: str = Field(
        description="no_legal_basis, needs_mla, not_held, endangers, disproportionate or other (explained)"
    )
    explanation: str = Field("", max_length=2000)


class RequestSummaryOut(Schema):
    id: uuid.UUID
    exchange_id: uuid.UUID
    side: str
    counterpart: str
    request_type: str
    subject: str
    urgency: str
    state: str
    sent_at: datetime.datetime | None
    due_at: datetime.datetime | None
    is_overdue: bool
    assigned_to: str | None
    handling: list[str]
    version: int


class AnswerOut(Schema):
    answer_id: uuid.UUID
    is_complete: bool
    text: str
    language: str
    handling: list[str]
    conditions: str
    evaluation: str
    at: datetime.datetime


class EventOut(Schema):
    step: str
    state_after: str
    changed_state: bool
    by_user: str | None
    by_member: str | None
    message_id: uuid.UUID | None
    note: str
    at: datetime.datetime


class RequestOut(RequestSummaryOut):
    legal_basis: str
    text: str
    items: list[str]
    language: str
    purpose: str
    conditions: str
    evaluation: str
    case: uuid.UUID | None
    refusal_reason: str
    answers: list[AnswerOut]
    timeline: list[EventOut]


class DeskOut(Schema):
    to_triage: list[RequestSummaryOut]
    due_soon: list[RequestSummaryOut]
    overdue: list[RequestSummaryOut]
    by_counterpart: dict[str, int]
