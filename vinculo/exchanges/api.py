"""The exchanges API: every step of an information request, for national systems (token) and the web (session)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.api.auth import TOKEN_OR_SESSION
from vinculo.api.schemas import ErrorOut
from vinculo.core.errors import DomainError
from vinculo.exchanges import lifecycle, selectors
from vinculo.exchanges.lifecycle import State
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.schemas import (
    AnswerIn,
    AssignIn,
    DeskOut,
    ReasonIn,
    RefuseIn,
    RequestIn,
    RequestOut,
    RequestSummaryOut,
    TextIn,
    VersionIn,
)
from vinculo.exchanges.services import requests

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


def _full(request: InformationRequest) -> dict[str, Any]:
    content = requests.content_of(request)
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
    """The requests as API rows, made for the page asked for only (the paginator slices, then counts)."""

    def __init__(self, rows: QuerySet[InformationRequest]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [_summary(row) for row in self.rows[page]]


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
    case = None
    if payload.case is not None:
        from vinculo.cases.selectors import cases_visible_to

        case = cases_visible_to(user).filter(pk=payload.case).first()
        if case is None:
            raise DomainError(requests.CASE_ELSEWHERE, code="case_not_visible")
    draft = requests.Draft(
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
    created = requests.create_draft(by=user, draft=draft)
    if payload.send:
        created = requests.send_request(by=user, request=created, expected_version=created.version)
    return Status(201, _full(created))


@router.post("/exchanges/requests/{request_id}/send", response={200: RequestOut, **ERRORS}, summary="Send a draft")
def send(request: HttpRequest, request_id: str, payload: VersionIn) -> Any:
    user, found = _read(request, request_id)
    return _full(requests.send_request(by=user, request=found, expected_version=payload.version))


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
    user, found = _read(request, request_id)
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
    )
    return _full(selectors.request_for(user, request_id))


@router.post("/exchanges/requests/{request_id}/refuse", response={200: RequestOut, **ERRORS}, summary="Refuse")
def refuse(request: HttpRequest, request_id: str, payload: RefuseIn) -> Any:
    user, found = _read(request, request_id)
    refused = requests.refuse(
        by=user, request=found, expected_version=payload.version, reason=payload.reason,
        explanation=payload.explanation,
    )  # fmt: skip
    return _full(refused)
