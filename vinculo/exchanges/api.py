"""The exchanges API: every step of an information request, for national systems (token) and the web (session)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.api.auth import TOKEN_OR_SESSION
from vinculo.api.schemas import ErrorOut
from vinculo.core.errors import DomainError, NotFound
from vinculo.exchanges import lifecycle, selectors
from vinculo.exchanges.forms.common import FilesField
from vinculo.exchanges.lifecycle import State
from vinculo.exchanges.models import Broadcast, ConsentRequest, ExchangeFile, InformationRequest, JointTeam, TeamItem
from vinculo.exchanges.schemas import (
    AnswerIn,
    AssignIn,
    BroadcastIn,
    BroadcastOut,
    ConsentAnswerIn,
    ConsentIn,
    ConsentOut,
    DeskOut,
    DraftIn,
    ForwardIn,
    MemberIn,
    ReasonIn,
    RefuseIn,
    RequestIn,
    RequestOut,
    RequestSummaryOut,
    TaskStatusIn,
    TeamDocumentIn,
    TeamIn,
    TeamItemOut,
    TeamOut,
    TeamPostIn,
    TeamSummaryOut,
    TextIn,
    VersionIn,
)
from vinculo.exchanges.services import broadcasts, consents, files, requests, teams
from vinculo.web.downloads import private_download

router = Router(tags=["exchanges"], auth=TOKEN_OR_SESSION)
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
EXCHANGE_PERMISSIONS = (Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER, Permission.EXCHANGE_TRIAGE)


def _exchange_staff(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not any(user.has_permission(permission) for permission in EXCHANGE_PERMISSIONS):
        raise PermissionDenied("exchange")
    return user


def _summary(request: InformationRequest) -> dict[str, Any]:
    clock = lifecycle.Clock(request.sent_at or request.created_at, request.deadline_seconds)
    return {
        "id": request.pk,
        "exchange_id": request.exchange_id,
        "side": request.side,
        "counterpart": request.counterpart,
        "request_type": request.request_type,
        "subject": request.subject,
        "urgency": request.urgency,
        "state": request.state,
        "sent_at": request.sent_at,
        "due_at": request.due_at,
        "is_overdue": request.due_at is not None and clock.is_overdue(State(request.state), timezone.now()),
        "assigned_to": request.assigned_to.username if request.assigned_to else None,
        "handling": list(request.handling),
        "version": request.version,
    }


def _file(file: ExchangeFile) -> dict[str, Any]:
    return {
        "id": file.pk,
        "name": file.name,
        "media_type": file.media_type,
        "size": file.size,
        "sha256": file.sha256,
        "received": file.is_received,
    }


def _full(request: InformationRequest) -> dict[str, Any]:
    content = requests.content_of(request)
    all_files = list(selectors.files_of(request))
    return {
        **_summary(request),
        "legal_basis": request.legal_basis,
        "text": content.get("text", ""),
        "items": content.get("items", []),
        "language": request.language,
        "purpose": content.get("purpose", ""),
        "conditions": content.get("conditions", ""),
        "evaluation": request.evaluation,
        "case": request.case_id,
        "refusal_reason": request.refusal_reason,
        "files": [_file(f) for f in all_files if f.answer_id is None],
        "answers": [
            {
                "answer_id": answer.answer_id,
                "is_complete": answer.is_complete,
                "text": requests.answer_text(answer).get("text", ""),
                "language": answer.language,
                "handling": list(answer.handling),
                "conditions": requests.answer_text(answer).get("conditions", ""),
                "evaluation": answer.evaluation,
                "at": answer.at,
                "files": [_file(f) for f in all_files if f.answer_id == answer.pk],
            }
            for answer in selectors.answers_of(request)
        ],
        "timeline": [
            {
                "step": event.step,
                "state_after": event.state_after,
                "changed_state": event.changed_state,
                "by_user": event.by_user.username if event.by_user else None,
                "by_member": event.by_member or None,
                "message_id": event.message_id,
                "note": requests.event_note(event) if event.note else "",
                "at": event.at,
            }
            for event in selectors.timeline_of(request)
        ],
    }


class _Rows:
    """Rows made for the page asked for only (the paginator slices, then counts)."""

    def __init__(self, rows: QuerySet[Any], shape: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.rows = rows
        self.shape = shape or _summary

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [self.shape(row) for row in self.rows[page]]


def _read(request: HttpRequest, request_id: str) -> tuple[User, InformationRequest]:
    user = _exchange_staff(request)
    return user, selectors.request_for(user, request_id)


@router.get("/exchanges/requests", response=list[RequestSummaryOut], summary="Requests the caller may see")
@paginate(PageNumberPagination, page_size=50)
def list_requests(request: HttpRequest, side: str = "", state: str = "", counterpart: str = "") -> Any:
    user = _exchange_staff(request)
    return _Rows(selectors.request_list(user, side=side, state=state, counterpart=counterpart))


@router.get("/exchanges/desk", response={200: DeskOut, 403: ErrorOut}, summary="The focal point's desk")
def desk(request: HttpRequest) -> Any:
    user = _exchange_staff(request)
    if not user.has_permission(Permission.EXCHANGE_TRIAGE):
        raise PermissionDenied("exchange.triage")
    found = selectors.desk(user, now=timezone.now())
    return {
        "to_triage": [_summary(r) for r in found.to_triage],
        "due_soon": [_summary(r) for r in found.due_soon],
        "overdue": [_summary(r) for r in found.overdue],
        "by_counterpart": dict(found.by_counterpart),
    }


@router.get(
    "/exchanges/requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="One request (reading is audited)"
)
def get_request(request: HttpRequest, request_id: str) -> Any:
    user, found = _read(request, request_id)
    requests.record_request_viewed(by=user, request=found)
    return _full(found)


@router.post("/exchanges/requests", response={201: RequestOut, **ERRORS}, summary="Draft a request (and send it)")
def create_request(request: HttpRequest, payload: RequestIn) -> Any:
    user = _exchange_staff(request)
    created = requests.create_draft(by=user, draft=_draft_from(user, payload))
    if payload.send:
        created = requests.send_request(by=user, request=created, expected_version=created.version)
    return Status(201, _full(created))


@router.put("/exchanges/requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="Change a draft")
def edit_request(request: HttpRequest, request_id: str, payload: DraftIn) -> Any:
    user, found = _read(request, request_id)
    changed = requests.edit_draft(
        by=user, request=found, expected_version=payload.version, draft=_draft_from(user, payload)
    )
    if payload.send:
        changed = requests.send_request(by=user, request=changed, expected_version=changed.version)
    return _full(changed)


@router.delete("/exchanges/requests/{request_id}", response={204: None, **ERRORS}, summary="Discard a draft")
def discard_request(request: HttpRequest, request_id: str, version: int) -> Any:
    user, found = _read(request, request_id)
    requests.discard_draft(by=user, request=found, expected_version=version)
    return Status(204, None)


def _draft_from(user: User, payload: RequestIn) -> requests.Draft:
    case = None
    if payload.case is not None:
        from vinculo.cases.selectors import cases_visible_to

        case = cases_visible_to(user).filter(pk=payload.case).first()
        if case is None:
            raise DomainError(requests.CASE_ELSEWHERE, code="case_not_visible")
    return requests.Draft(
        counterpart=payload.counterpart,
        request_type=payload.request_type,
        subject=payload.subject,
        legal_basis=payload.legal_basis,
        urgency=payload.urgency,
        text=payload.text,
        items=tuple(payload.items),
        language=payload.language,
        handling=tuple(payload.handling),
        purpose=payload.purpose,
        conditions=payload.conditions,
        evaluation=payload.evaluation,
        case=case,
    )


@router.get("/exchanges/requests/{request_id}/files/{file_id}", response={200: None, **ERRORS}, summary="A file")
def get_file(request: HttpRequest, request_id: str, file_id: str) -> Any:
    """The file's content as it arrived (verified chunk by chunk while it is read); audited."""
    user, found = _read(request, request_id)
    file = found.files.filter(pk=file_id).first()
    if file is None:
        raise NotFound(requests.FILE_NOT_FOUND)
    stream = requests.open_file(by=user, file=file)
    return private_download(stream, name=file.name, media_type=file.media_type)


@router.post("/exchanges/requests/{request_id}/send", response={200: RequestOut, **ERRORS}, summary="Send a draft")
def send(request: HttpRequest, request_id: str, payload: VersionIn) -> Any:
    return _send(request, request_id, payload, [])


@router.post(
    "/exchanges/requests/{request_id}/send-with-files",
    response={200: RequestOut, **ERRORS},
    summary="Send a draft with files (multipart/form-data: `version` and one or more `files`)",
)
def send_with_files(
    request: HttpRequest, request_id: str, payload: Form[VersionIn], files: File[list[UploadedFile]]
) -> Any:
    return _send(request, request_id, payload, files)


def _send(request: HttpRequest, request_id: str, payload: VersionIn, uploads: list[UploadedFile]) -> Any:
    user, found = _read(request, request_id)
    _check_uploads(uploads)
    sent = requests.send_request(
        by=user, request=found, expected_version=payload.version, attachments=files.prepare_uploads(uploads)
    )
    return _full(sent)


@router.post("/exchanges/requests/{request_id}/withdraw", response={200: RequestOut, **ERRORS}, summary="Withdraw")
def withdraw(request: HttpRequest, request_id: str, payload: ReasonIn) -> Any:
    user, found = _read(request, request_id)
    return _full(requests.withdraw(by=user, request=found, expected_version=payload.version, reason=payload.reason))


@router.post("/exchanges/requests/{request_id}/remind", response={200: RequestOut, **ERRORS}, summary="Remind")
def remind(request: HttpRequest, request_id: str) -> Any:
    user, found = _read(request, request_id)
    return _full(requests.remind(by=user, request=found))


@router.post("/exchanges/requests/{request_id}/clarify", response={200: RequestOut, **ERRORS}, summary="Ask or clarify")
def clarify(request: HttpRequest, request_id: str, payload: TextIn) -> Any:
    user, found = _read(request, request_id)
    return _full(requests.clarify(by=user, request=found, text=payload.text))


@router.post(
    "/exchanges/requests/{request_id}/acknowledge", response={200: RequestOut, **ERRORS}, summary="Acknowledge"
)
def acknowledge(request: HttpRequest, request_id: str, payload: VersionIn) -> Any:
    user, found = _read(request, request_id)
    return _full(requests.acknowledge(by=user, request=found, expected_version=payload.version))


@router.post("/exchanges/requests/{request_id}/assign", response={200: RequestOut, **ERRORS}, summary="Assign")
def assign(request: HttpRequest, request_id: str, payload: AssignIn) -> Any:
    user, found = _read(request, request_id)
    person = selectors.assignable_people(user).filter(username=payload.user).first()
    if person is None:
        raise DomainError(requests.ASSIGNEE_CANNOT_ANSWER, code="assignee")
    return _full(requests.assign(by=user, request=found, expected_version=payload.version, to=person))


@router.post("/exchanges/requests/{request_id}/answer", response={200: RequestOut, **ERRORS}, summary="Answer")
def answer(request: HttpRequest, request_id: str, payload: AnswerIn) -> Any:
    return _answer(request, request_id, payload, [])


@router.post(
    "/exchanges/requests/{request_id}/answer-with-files",
    response={200: RequestOut, **ERRORS},
    summary="Answer with files (multipart/form-data: the answer's fields and one or more `files`)",
)
def answer_with_files(
    request: HttpRequest, request_id: str, payload: Form[AnswerIn], files: File[list[UploadedFile]]
) -> Any:
    return _answer(request, request_id, payload, files)


def _answer(request: HttpRequest, request_id: str, payload: AnswerIn, uploads: list[UploadedFile]) -> Any:
    user, found = _read(request, request_id)
    _check_uploads(uploads)
    requests.answer(
        by=user,
        request=found,
        expected_version=payload.version,
        text=payload.text,
        is_complete=payload.is_complete,
        language=payload.language,
        codes=tuple(payload.handling),
        conditions=payload.conditions,
        evaluation=payload.evaluation,
        attachments=files.prepare_uploads(uploads),
    )
    return _full(selectors.request_for(user, request_id))


def _check_uploads(uploads: list[UploadedFile]) -> None:
    """The web form's checks (count, empty files, the network's size limit), as coded API errors."""
    try:
        FilesField().clean(uploads)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="invalid_files") from None


@router.post("/exchanges/requests/{request_id}/refuse", response={200: RequestOut, **ERRORS}, summary="Refuse")
def refuse(request: HttpRequest, request_id: str, payload: RefuseIn) -> Any:
    user, found = _read(request, request_id)
    refused = requests.refuse(
        by=user, request=found, expected_version=payload.version, reason=payload.reason,
        explanation=payload.explanation,
    )  # fmt: skip
    return _full(refused)


# --- spontaneous information and alerts ---------------------------------------------------------


def _broadcast_out(item: Broadcast) -> dict[str, Any]:
    content = broadcasts.content_of(item)
    return {
        "id": item.pk, "exchange_id": item.exchange_id, "kind": item.kind, "side": item.side, "origin": item.origin,
        "category": item.category, "subject": item.subject, "text": content.get("text", ""),
        "language": item.language, "handling": list(item.handling), "purpose": content.get("purpose", ""),
        "conditions": content.get("conditions", ""), "evaluation": item.evaluation, "sent_at": item.sent_at,
        "acknowledged_at": item.acknowledged_at,
        "recipients": [
            {"member": r.member, "delivered_at": r.delivered_at, "acknowledged_at": r.acknowledged_at}
            for r in item.recipients.all()
        ],
    }  # fmt: skip


@router.get("/exchanges/broadcasts", response=list[BroadcastOut], summary="Spontaneous information and alerts")
@paginate(PageNumberPagination, page_size=50)
def list_broadcasts(request: HttpRequest, side: str = "", kind: str = "", unacknowledged: bool = False) -> Any:
    user = _exchange_staff(request)
    rows = selectors.broadcast_list(user, side=side, kind=kind, unacknowledged=unacknowledged)
    return _Rows(rows, _broadcast_out)


@router.post("/exchanges/broadcasts", response={201: BroadcastOut, **ERRORS}, summary="Send information or an alert")
def send_broadcast(request: HttpRequest, payload: BroadcastIn) -> Any:
    user = _exchange_staff(request)
    recipients = broadcasts.active_offices() if payload.recipients == ["*"] else payload.recipients
    sent = broadcasts.send_broadcast(
        by=user, kind=payload.kind, recipients=recipients, subject=payload.subject, text=payload.text,
        language=payload.language, category=payload.category, codes=payload.handling, purpose=payload.purpose,
        conditions=payload.conditions, evaluation=payload.evaluation,
    )  # fmt: skip
    return Status(201, _broadcast_out(sent))


@router.get("/exchanges/broadcasts/{broadcast_id}", response={200: BroadcastOut, **ERRORS}, summary="One item")
def get_broadcast(request: HttpRequest, broadcast_id: str) -> Any:
    user = _exchange_staff(request)
    found = selectors.broadcast_for(user, broadcast_id)
    broadcasts.record_broadcast_viewed(by=user, broadcast=found)
    return _broadcast_out(found)


@router.post(
    "/exchanges/broadcasts/{broadcast_id}/acknowledge", response={200: BroadcastOut, **ERRORS}, summary="Acknowledge"
)
def acknowledge_broadcast(request: HttpRequest, broadcast_id: str) -> Any:
    user = _exchange_staff(request)
    done = broadcasts.acknowledge(by=user, broadcast=selectors.broadcast_for(user, broadcast_id))
    return _broadcast_out(selectors.broadcast_for(user, done.pk))


@router.post(
    "/exchanges/broadcasts/{broadcast_id}/forward",
    response={201: BroadcastOut, **ERRORS},
    summary="Pass received information on (refused under H2 without the provider's consent)",
)
def forward_broadcast(request: HttpRequest, broadcast_id: str, payload: ForwardIn) -> Any:
    user = _exchange_staff(request)
    item = selectors.broadcast_for(user, broadcast_id)
    return Status(201, _broadcast_out(consents.forward(by=user, item=item, recipients=payload.recipients,
                                                       note=payload.note)))  # fmt: skip


# --- consents -----------------------------------------------------------------------------------


def _consent_out(consent: ConsentRequest) -> dict[str, Any]:
    return {
        "id": consent.pk, "consent_id": consent.consent_id, "side": consent.side, "counterpart": consent.counterpart,
        "item_kind": consent.item_kind, "item_id": consent.item_id, "item_subject": consent.item_subject,
        "kind": consent.kind, "recipient": consent.recipient, "reason": consent.reason, "status": consent.status,
        "answer_note": consent.answer_note, "asked_at": consent.asked_at, "answered_at": consent.answered_at,
    }  # fmt: skip


@router.get("/exchanges/consents", response=list[ConsentOut], summary="Consent requests asked and received")
@paginate(PageNumberPagination, page_size=50)
def list_consents(request: HttpRequest, side: str = "", status: str = "") -> Any:
    user = _exchange_staff(request)
    return _Rows(selectors.consent_list(user, side=side, status=status), _consent_out)


@router.post("/exchanges/consents", response={201: ConsentOut, **ERRORS}, summary="Ask the provider to lift H1 or H2")
def ask_consent(request: HttpRequest, payload: ConsentIn) -> Any:
    user = _exchange_staff(request)
    item = selectors.received_item(user, payload.item_kind, payload.item)
    asked = consents.ask_consent(
        by=user, item=item, kind=payload.kind, reason=payload.reason, recipient=payload.recipient
    )
    return Status(201, _consent_out(asked))


@router.post("/exchanges/consents/{consent_id}/answer", response={200: ConsentOut, **ERRORS}, summary="Grant or refuse")
def answer_consent(request: HttpRequest, consent_id: str, payload: ConsentAnswerIn) -> Any:
    user = _exchange_staff(request)
    consent = selectors.consent_for(user, consent_id)
    return _consent_out(consents.answer_consent(by=user, consent=consent, granted=payload.granted, note=payload.note))


# --- joint teams --------------------------------------------------------------------------------


def _team_summary(team: JointTeam) -> dict[str, Any]:
    return {
        "id": team.pk, "team_id": team.team_id, "name": team.name, "lead": team.lead, "members": list(team.members),
        "withheld_items": team.withheld_items,
    }  # fmt: skip


def _team_item(item: TeamItem) -> dict[str, Any]:
    content = teams.content_of(item)
    file = None
    if item.kind == TeamItem.Kind.DOCUMENT:
        file = {
            "name": item.file_name, "media_type": item.file_media_type, "size": item.file_size,
            "sha256": item.file_sha256, "received": item.attachment_id is not None,
        }  # fmt: skip
    return {
        "id": item.pk, "file": file, "item_id": item.item_id, "kind": item.kind, "author_office": item.author_office,
        "author_name": item.author_name, "text": content["text"], "conditions": content["conditions"],
        "language": item.language, "handling": list(item.handling), "task_owner_office": item.task_owner_office,
        "task_due_on": item.task_due_on, "task_status": item.task_status, "at": item.at,
    }  # fmt: skip


def _team_out(team: JointTeam) -> dict[str, Any]:
    return {**_team_summary(team), "items": [_team_item(item) for item in selectors.team_items(team)]}


@router.get(
    "/exchanges/teams", response=list[TeamSummaryOut], summary="The office's joint teams (their items: one team)"
)
@paginate(PageNumberPagination, page_size=20)
def list_teams(request: HttpRequest) -> Any:
    user = _exchange_staff(request)
    return _Rows(selectors.teams_visible_to(user).order_by("-created_at"), _team_summary)


@router.post("/exchanges/teams", response={201: TeamOut, **ERRORS}, summary="Form a joint team (this office leads)")
def form_team(request: HttpRequest, payload: TeamIn) -> Any:
    user = _exchange_staff(request)
    case = None
    if payload.case is not None:
        from vinculo.cases.selectors import cases_visible_to

        case = cases_visible_to(user).filter(pk=payload.case).first()
        if case is None:
            raise DomainError(teams.CASE_ELSEWHERE, code="case_not_visible")
    return Status(201, _team_out(teams.form_team(by=user, name=payload.name, members=payload.members, case=case)))


@router.get("/exchanges/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="A team and its items")
def get_team(request: HttpRequest, team_id: str) -> Any:
    """The team's thread, documents and tasks: an audited read, like its page."""
    user = _exchange_staff(request)
    team = selectors.team_for(user, team_id)
    teams.record_team_viewed(by=user, team=team)
    return _team_out(team)


@router.post("/exchanges/teams/{team_id}/items", response={201: TeamItemOut, **ERRORS}, summary="Post or add a task")
def post_in_team(request: HttpRequest, team_id: str, payload: TeamPostIn) -> Any:
    user = _exchange_staff(request)
    team = selectors.team_for(user, team_id)
    item = teams.post(
        by=user, team=team, text=payload.text, codes=tuple(payload.handling), conditions=payload.conditions,
        language=payload.language, task_owner=payload.task_owner, task_due_on=payload.task_due_on,
    )  # fmt: skip
    return Status(201, _team_item(item))


@router.post(
    "/exchanges/teams/{team_id}/documents",
    response={201: TeamItemOut, **ERRORS},
    summary="Share a document (multipart/form-data: its description and one `file`)",
)
def share_document(request: HttpRequest, team_id: str, payload: Form[TeamDocumentIn], file: File[UploadedFile]) -> Any:
    user = _exchange_staff(request)
    team = selectors.team_for(user, team_id)
    _check_uploads([file])
    item = teams.post(
        by=user, team=team, text=payload.text, codes=tuple(payload.handling), conditions=payload.conditions,
        language=payload.language, document=files.prepare_uploads([file])[0],
    )  # fmt: skip
    return Status(201, _team_item(item))


@router.get(
    "/exchanges/teams/{team_id}/documents/{item_id}", response={200: None, **ERRORS}, summary="A team document's file"
)
def get_team_document(request: HttpRequest, team_id: str, item_id: str) -> Any:
    """The file as it arrived (verified chunk by chunk while it is read); audited."""
    user = _exchange_staff(request)
    team = selectors.team_for(user, team_id)
    item = selectors.team_items(team).filter(pk=item_id).first()
    if item is None:
        raise NotFound(teams.NO_SUCH_DOCUMENT)
    stream = teams.open_document(by=user, item=item)
    return private_download(stream, name=item.file_name, media_type=item.file_media_type)


@router.post("/exchanges/teams/{team_id}/members", response={200: TeamOut, **ERRORS}, summary="Add an office")
def add_team_member(request: HttpRequest, team_id: str, payload: MemberIn) -> Any:
    user = _exchange_staff(request)
    return _team_out(teams.add_member(by=user, team=selectors.team_for(user, team_id), member=payload.member))


@router.post(
    "/exchanges/teams/{team_id}/items/{item_id}/status", response={200: TeamItemOut, **ERRORS}, summary="Task done"
)
def set_task_status(request: HttpRequest, team_id: str, item_id: str, payload: TaskStatusIn) -> Any:
    user = _exchange_staff(request)
    team = selectors.team_for(user, team_id)
    item = team.items.filter(item_id=item_id).first()
    if item is None:
        raise DomainError(teams.NOT_A_TASK, code="not_a_task")
    return _team_item(teams.set_task_status(by=user, item=item, done=payload.done))
