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


class DraftIn(RequestIn):
    version: int = Field(description="The draft's version you last read; a stale one is refused")


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


class FileOut(Schema):
    id: uuid.UUID
    name: str
    media_type: str
    size: int
    sha256: str
    received: bool = Field(description="True when the file came from the other office and can be downloaded here")


class AnswerOut(Schema):
    answer_id: uuid.UUID
    is_complete: bool
    text: str
    language: str
    handling: list[str]
    conditions: str
    evaluation: str
    at: datetime.datetime
    files: list[FileOut]


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
    files: list[FileOut] = Field(description="The files that came with the request itself")
    answers: list[AnswerOut]
    timeline: list[EventOut]


class DeskOut(Schema):
    to_triage: list[RequestSummaryOut]
    due_soon: list[RequestSummaryOut]
    overdue: list[RequestSummaryOut]
    by_counterpart: dict[str, int]


class BroadcastIn(Schema):
    kind: str = Field(pattern="^(information|alert)$")
    recipients: list[str] = Field(min_length=1, max_length=50, description='Member ids; ["*"] for every office')
    subject: str = Field(min_length=1, max_length=160)
    text: str = Field(min_length=1, max_length=20_000)
    language: str = Field("es", pattern="^(es|en)$")
    category: str = Field("", description="For alerts: child_at_risk, victim_moved, suspect_movement, route, other")
    handling: list[str] = Field(default_factory=list)
    purpose: str = Field("", max_length=500)
    conditions: str = Field("", max_length=2000)
    evaluation: str = Field("", pattern="^([ABCX][1-4])?$")


class RecipientOut(Schema):
    member: str
    delivered_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None


class BroadcastOut(Schema):
    id: uuid.UUID
    exchange_id: uuid.UUID
    kind: str
    side: str
    origin: str
    category: str
    subject: str
    text: str
    language: str
    handling: list[str]
    purpose: str
    conditions: str
    evaluation: str
    sent_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    recipients: list[RecipientOut]


class ForwardIn(Schema):
    recipients: list[str] = Field(min_length=1, max_length=50)
    note: str = Field("", max_length=2000)


class ConsentIn(Schema):
    item_kind: str = Field(pattern="^(answer|broadcast)$")
    item: uuid.UUID = Field(description="The answer's answer_id, or the broadcast's id on this node")
    kind: str = Field(pattern="^(evidence|onward)$")
    recipient: str = Field("", description="With onward: the office to pass it on to")
    reason: str = Field(min_length=1, max_length=4000)


class ConsentAnswerIn(Schema):
    granted: bool
    note: str = Field("", max_length=4000)


class ConsentOut(Schema):
    id: uuid.UUID
    consent_id: uuid.UUID
    side: str
    counterpart: str
    item_kind: str
    item_id: uuid.UUID
    item_subject: str
    kind: str
    recipient: str
    reason: str
    status: str
    answer_note: str
    asked_at: datetime.datetime
    answered_at: datetime.datetime | None


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=160)
    members: list[str] = Field(min_length=1, max_length=20)
    case: uuid.UUID | None = None


class TeamPostIn(Schema):
    text: str = Field(min_length=1, max_length=20_000)
    language: str = Field("es", pattern="^(es|en)$")
    handling: list[str] = Field(default_factory=list)
    conditions: str = Field("", max_length=2000)
    task_owner: str = Field("", description="An office of the team: makes the post a task for it")
    task_due_on: datetime.date | None = None


class TeamDocumentIn(Schema):
    text: str = Field(min_length=1, max_length=20_000, description="What the document is")
    language: str = Field("es", pattern="^(es|en)$")
    handling: list[str] = Field(default_factory=list)
    conditions: str = Field("", max_length=2000)


class TeamFileOut(Schema):
    name: str
    media_type: str
    size: int
    sha256: str
    received: bool = Field(description="True when the file came with the item and can be downloaded here")


class TeamItemOut(Schema):
    id: uuid.UUID = Field(description="This node's copy of the item (for the document's download)")
    item_id: uuid.UUID
    kind: str
    author_office: str
    author_name: str
    text: str
    conditions: str = Field(description="The H3 conditions set by the author (empty without H3)")
    language: str
    handling: list[str]
    task_owner_office: str
    task_due_on: datetime.date | None
    task_status: str
    at: datetime.datetime
    file: TeamFileOut | None = Field(None, description="A document's file")


class TeamSummaryOut(Schema):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    lead: str
    members: list[str]
    withheld_items: int


class TeamOut(TeamSummaryOut):
    items: list[TeamItemOut]


class MemberIn(Schema):
    member: str


class TaskStatusIn(Schema):
    done: bool
