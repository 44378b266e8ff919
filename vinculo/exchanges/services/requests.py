"""Information requests: compose, send, acknowledge, assign, answer, refuse, withdraw — and receive each step.

A step taken here changes this office's copy, writes the timeline and the audit trail, and
queues the signed message that carries it to the other office, all in one transaction: the
message exists if and only if the step happened. A step that arrives from the other office is
applied to this office's copy by the handler of its message type (``receive``), which never
moves a copy back (see ``lifecycle``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.core.versioning import lock_at_version
from vinculo.exchanges import handling, hooks, lifecycle, wire
from vinculo.exchanges.lifecycle import Side, State, Step
from vinculo.exchanges.models import Answer, ExchangeFile, InformationRequest, RefusalReason, RequestEvent
from vinculo.exchanges.services import notices
from vinculo.exchanges.services.refusals import handling_refusal
from vinculo.messaging import handlers, network
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import attachments as attachment_store
from vinculo.messaging.services import outbox
from vinculo.vault import crypto, keys

MAY_NOT_SEND = _("You may not send information requests.")
MAY_NOT_ANSWER = _("You may not answer information requests.")
MAY_NOT_TRIAGE = _("Only the focal point acknowledges and assigns incoming requests.")
NOT_ASSIGNED = _("This request is assigned to someone else.")
NOT_A_MEMBER = _("%(member)s is not an office of the network.")
TO_OWN_OFFICE = _("A request goes to another office, not to your own.")
CASE_ELSEWHERE = _("The linked case must be one of your office's cases you may see.")
NO_ITEMS = _("List what you are asking for (at least one item).")
ASSIGNEE_CANNOT_ANSWER = _("That person cannot answer requests in this office.")
REFUSAL_NEEDS_REASON = _("Choose why the request is refused.")
EXPLAIN_OTHER = _("Explain the refusal (at least 10 characters).")
WITHDRAW_REASON = _("Say why the request is withdrawn (at least 10 characters).")
EMPTY_ANSWER = _("Write the answer.")
FILE_NOT_FOUND = _("There is no such file in this request.")
NOT_KEPT_HERE = _("This file was sent from this office; the original is in your own records, not kept here.")
EMPTY_CLARIFICATION = _("Write the question or the clarification.")
NOT_A_DRAFT = _("This request has already been sent: it can no longer be changed or discarded, only withdrawn.")
STEP_REFUSED: dict[str, Any] = {
    "final": _("This request is concluded (%(state)s): nothing more can be done to it."),
    "not_yet": _("This cannot be done while the request is %(state)s."),
    "other_side": _("Only the other office can do this."),
}


def _user_facing_state(state: str) -> str:
    return str(InformationRequest.STATE_LABELS.get(State(state), state)).lower()


def _seal(value: dict[str, Any], context: str) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return crypto.seal_bytes(data, keyring=keys.current_keyring(), context=context)


def _unseal(token: str, context: str) -> dict[str, Any]:
    if not token:
        return {}
    value = json.loads(crypto.unseal_bytes(token, keyring=keys.current_keyring(), context=context).decode("utf-8"))
    return dict(value)


@dataclass(frozen=True)
class Draft:
    counterpart: str
    request_type: str
    subject: str
    legal_basis: str
    urgency: str
    text: str
    items: tuple[str, ...]
    language: str = "es"
    handling: tuple[str, ...] = ()
    purpose: str = ""
    conditions: str = ""
    evaluation: str = ""
    case: Case | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    hit_reference: str = ""  # the hit this request follows up (vinculo.matching), checked by exchanges.hooks


@transaction.atomic(durable=True)
def record_request_viewed(*, by: User, request: InformationRequest) -> None:
    """Reading a request's content is audited, like reading a case file."""
    audit.record(action="exchange.request_viewed", actor=by, target=request)


def content_of(request: InformationRequest) -> dict[str, Any]:
    """The sealed part of a request (text, items, purpose, conditions); the caller checked access."""
    return _unseal(request.content, InformationRequest.context(request.pk))


def answer_text(answer: Answer) -> dict[str, Any]:
    return _unseal(answer.content, Answer.context(answer.pk))


# --- the requesting office -----------------------------------------------------------------------


def _check_draft(by: User, draft: Draft) -> tuple[str, ...]:
    if not by.has_permission(Permission.EXCHANGE_SEND):
        raise AccessDenied(MAY_NOT_SEND)
    if draft.counterpart == by.office.code:
        raise DomainError(TO_OWN_OFFICE, code="to_own_office")
    member = network.peer(draft.counterpart)
    if member is None or "office" not in getattr(member, "roles", ("office",)):
        raise DomainError(NOT_A_MEMBER % {"member": draft.counterpart}, code="unknown_recipient")
    if draft.case is not None:
        from vinculo.cases.selectors import cases_visible_to

        if not cases_visible_to(by).filter(pk=draft.case.pk).exists():
            raise DomainError(CASE_ELSEWHERE, code="case_not_visible")
    if not [item for item in draft.items if item.strip()]:
        raise DomainError(NO_ITEMS, code="no_items")
    if draft.hit_reference:
        for check in hooks.cited_hit_checks:
            check(by, draft.counterpart, draft.hit_reference)
    try:
        handling.check_evaluation(draft.evaluation[:1], draft.evaluation[1:])
        return handling.check_codes(draft.handling, conditions=draft.conditions)
    except handling.InvalidHandling as error:
        raise handling_refusal(error) from None


@transaction.atomic(durable=True)
def create_draft(*, by: User, draft: Draft) -> InformationRequest:
    """A request this office will send, kept as a draft until it is sent."""
    codes = _check_draft(by, draft)
    request = InformationRequest(
        side=Side.OUTGOING,
        office=by.office,
        counterpart=draft.counterpart,
        request_type=draft.request_type,
        subject=draft.subject.strip(),
        legal_basis=draft.legal_basis.strip(),
        urgency=draft.urgency,
        language=draft.language,
        handling=list(codes),
        evaluation=draft.evaluation,
        case=draft.case,
        hit_reference=draft.hit_reference,
        created_by=by,
    )
    request.content = _seal(_draft_content(draft), InformationRequest.context(request.pk))
    validate(request)
    request.save(force_insert=True)
    _event(request, "draft", by=by)
    audit.record(action="exchange.request_drafted", actor=by, target=request, data={"to": draft.counterpart})
    return request


@transaction.atomic(durable=True)
def edit_draft(
    *, by: User, request: InformationRequest, expected_version: int | None, draft: Draft
) -> InformationRequest:
    """Change a draft before it is sent (it never left the office: nothing travels)."""
    request = _lock(request, expected_version)
    _may_change_draft(by, request)
    codes = _check_draft(by, draft)
    request.counterpart = draft.counterpart
    request.request_type = draft.request_type
    request.subject = draft.subject.strip()
    request.legal_basis = draft.legal_basis.strip()
    request.urgency = draft.urgency
    request.language = draft.language
    request.handling = list(codes)
    request.evaluation = draft.evaluation
    request.case = draft.case
    request.hit_reference = draft.hit_reference
    request.content = _seal(_draft_content(draft), InformationRequest.context(request.pk))
    validate(request)
    _save(request)
    audit.record(action="exchange.request_draft_edited", actor=by, target=request, data={"to": draft.counterpart})
    return request


@transaction.atomic(durable=True)
def discard_draft(*, by: User, request: InformationRequest, expected_version: int | None) -> None:
    """Delete a draft that will not be sent; the audit trail keeps that it existed and who discarded it."""
    request = _lock(request, expected_version)
    _may_change_draft(by, request)
    audit.record(action="exchange.request_draft_discarded", actor=by, target=request, data={"to": request.counterpart})
    request.delete()


def _draft_content(draft: Draft) -> dict[str, Any]:
    return {
        "text": draft.text.strip(),
        "items": [item.strip() for item in draft.items if item.strip()],
        "purpose": draft.purpose.strip(),
        "conditions": draft.conditions.strip(),
    }


def _may_change_draft(by: User, request: InformationRequest) -> None:
    if request.side != Side.OUTGOING:
        raise AccessDenied(MAY_NOT_SEND)
    _may_act_as_requester(by, request)
    if request.state != State.DRAFT:
        raise DomainError(NOT_A_DRAFT, code="not_a_draft")


@transaction.atomic(durable=True)
def send_request(
    *,
    by: User,
    request: InformationRequest,
    expected_version: int | None,
    attachments: Sequence[attachment_store.Prepared] = (),
) -> InformationRequest:
    """Send a draft: the deadline starts now, and the request leaves in a signed message.

    ``attachments`` are files encrypted beforehand (``files.prepare_uploads``, outside this
    transaction); they travel with the request and are verified on arrival.
    """
    request = _lock(request, expected_version)
    if request.created_by_id != by.pk and not by.has_permission(Permission.EXCHANGE_TRIAGE):
        raise AccessDenied(MAY_NOT_SEND)
    if not by.has_permission(Permission.EXCHANGE_SEND):
        raise AccessDenied(MAY_NOT_SEND)
    state = _take(request, Step.SEND)
    deadline = _deadline_seconds(request.urgency)
    now = timezone.now()
    content = content_of(request)
    payload = wire.RequestPayload(
        exchange_id=str(request.exchange_id),
        request_type=request.request_type,
        subject=request.subject,
        legal_basis=request.legal_basis,
        urgency=request.urgency,
        deadline_seconds=deadline,
        text=content["text"],
        items=tuple(content["items"]),
        language=request.language,
        handling=tuple(request.handling),
        purpose=content["purpose"],
        conditions=content["conditions"],
        evaluation=request.evaluation,
        attachments=tuple(prepared.sha256 for prepared in attachments),
        hit_reference=request.hit_reference,
    )
    message = outbox.send(
        type=wire.REQUEST,
        recipient=request.counterpart,
        payload=wire.dump(payload),
        conversation=str(request.exchange_id),
        handling=request.handling,
        sent_by=by,
        attachments=attachments,
    )
    _record_sent_files(request, None, attachments)
    request.state, request.sent_at, request.deadline_seconds = state, now, deadline
    request.due_at = now + timedelta(seconds=deadline)
    _save(request)
    _event(request, Step.SEND, by=by, message_id=message.id)
    audit.record(
        action="exchange.request_sent", actor=by, target=request,
        data={"to": request.counterpart, "message": str(message.id), "urgency": request.urgency},
    )  # fmt: skip
    return request


def _deadline_seconds(urgency: str) -> int:
    from vinculo.federation import directory

    try:
        return int(directory.in_force().policy.deadline(urgency))
    except Exception:  # no directory in force here (tests with a fake network): the MoU's defaults
        from vinculo.federation.directory_format import DEFAULT_DEADLINE_SECONDS

        return int(DEFAULT_DEADLINE_SECONDS[urgency])


@transaction.atomic(durable=True)
def withdraw(*, by: User, request: InformationRequest, expected_version: int | None, reason: str) -> InformationRequest:
    """The requester no longer needs the information; the other office is told."""
    request = _lock(request, expected_version)
    _may_act_as_requester(by, request)
    if len(reason.strip()) < 10:
        raise DomainError(WITHDRAW_REASON, code="reason_needed")
    request.state = _take(request, Step.WITHDRAW)
    message = _send_step(by, request, Step.WITHDRAW, note=reason.strip())
    _save(request)
    _event(request, Step.WITHDRAW, by=by, message_id=message.id, note=reason.strip())
    audit.record(action="exchange.request_withdrawn", actor=by, target=request, data={"message": str(message.id)})
    return request


@transaction.atomic(durable=True)
def remind(*, by: User, request: InformationRequest) -> InformationRequest:
    """Remind the other office of an open request (the requester's side); recorded in both timelines."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    _may_act_as_requester(by, request)
    if request.state not in lifecycle.OPEN:
        raise DomainError(STEP_REFUSED["final"] % {"state": _user_facing_state(request.state)}, code="impossible_step")
    message = _send_step(by, request, "reminder", message_type=wire.REMINDER)
    request.reminded_at = timezone.now()
    _save(request)
    _event(request, "reminder", by=by, message_id=message.id, changed=False)
    audit.record(action="exchange.request_reminded", actor=by, target=request)
    return request


@transaction.atomic(durable=True)
def clarify(*, by: User, request: InformationRequest, text: str) -> InformationRequest:
    """A question about the request, or the answer to one, from either office."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if request.side == Side.OUTGOING:
        _may_act_as_requester(by, request)
    else:
        _may_answer(by, request)
    if request.state not in lifecycle.OPEN:
        raise DomainError(STEP_REFUSED["final"] % {"state": _user_facing_state(request.state)}, code="impossible_step")
    if len(text.strip()) < 3:
        raise DomainError(EMPTY_CLARIFICATION, code="empty")
    message = _send_step(by, request, "clarification", note=text.strip(), message_type=wire.CLARIFICATION)
    _save(request)
    _event(request, "clarification", by=by, message_id=message.id, note=text.strip(), changed=False)
    audit.record(action="exchange.request_clarified", actor=by, target=request)
    return request


# --- the requested office ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def acknowledge(*, by: User, request: InformationRequest, expected_version: int | None) -> InformationRequest:
    request = _lock(request, expected_version)
    _may_triage(by, request)
    request.state = _take(request, Step.ACKNOWLEDGE)
    message = _send_step(by, request, Step.ACKNOWLEDGE)
    _save(request)
    _event(request, Step.ACKNOWLEDGE, by=by, message_id=message.id)
    audit.record(action="exchange.request_acknowledged", actor=by, target=request)
    return request


@transaction.atomic(durable=True)
def assign(*, by: User, request: InformationRequest, expected_version: int | None, to: User) -> InformationRequest:
    """The focal point gives the request to a prosecutor of the office; the requester sees it is in progress."""
    request = _lock(request, expected_version)
    _may_triage(by, request)
    if to.office_id != request.office_id or not to.has_permission(Permission.EXCHANGE_ANSWER):
        raise DomainError(ASSIGNEE_CANNOT_ANSWER, code="assignee")
    first = request.state != State.IN_PROGRESS
    request.state = _take(request, Step.ASSIGN)
    request.assigned_to = to
    message = _send_step(by, request, Step.ASSIGN) if first else None
    _save(request)
    _event(request, Step.ASSIGN, by=by, message_id=message.id if message else None, changed=first)
    notices.request_assigned(request)
    audit.record(action="exchange.request_assigned", actor=by, target=request, data={"to": to.username})
    return request


@transaction.atomic(durable=True)
def answer(
    *,
    by: User,
    request: InformationRequest,
    expected_version: int | None,
    text: str,
    is_complete: bool,
    language: str = "es",
    codes: tuple[str, ...] = (),
    conditions: str = "",
    evaluation: str = "",
    attachments: Sequence[attachment_store.Prepared] = (),
) -> Answer:
    """Give the requester what was found: in parts, the last one complete, with files if any.

    ``attachments`` are files encrypted beforehand with ``attachments.prepare`` (outside this
    transaction); they travel with the answer and are verified on arrival.
    """
    request = _lock(request, expected_version)
    _may_answer(by, request)
    if request.hit_reference:
        for check in hooks.answer_checks:
            check(request.hit_reference, request.counterpart)
    if not text.strip():
        raise DomainError(EMPTY_ANSWER, code="empty")
    try:
        checked = handling.check_codes(codes, conditions=conditions)
        handling.check_evaluation(evaluation[:1], evaluation[1:])
    except handling.InvalidHandling as error:
        raise handling_refusal(error) from None
    step = Step.ANSWER if is_complete else Step.ANSWER_PARTIAL
    request.state = _take(request, step)
    given = Answer(
        request=request, is_complete=is_complete, language=language, handling=list(checked),
        evaluation=evaluation, answered_by=by,
    )  # fmt: skip
    given.content = _seal({"text": text.strip(), "conditions": conditions.strip()}, Answer.context(given.pk))
    body = {
        "answer_id": str(given.answer_id), "text": text.strip(), "language": language, "handling": list(checked),
        "conditions": conditions.strip(), "evaluation": evaluation, "is_complete": is_complete,
        "attachments": [prepared.sha256 for prepared in attachments],
    }  # fmt: skip
    message = _send_step(by, request, step, answer=body, codes=checked, attachments=attachments)
    given.message_id = message.id
    given.save(force_insert=True)
    _record_sent_files(request, given, attachments)
    _save(request)
    _event(request, step, by=by, message_id=message.id)
    audit.record(
        action="exchange.request_answered", actor=by, target=request,
        data={"complete": is_complete, "message": str(message.id)},
    )  # fmt: skip
    return given


@transaction.atomic(durable=True)
def refuse(
    *, by: User, request: InformationRequest, expected_version: int | None, reason: str, explanation: str = ""
) -> InformationRequest:
    request = _lock(request, expected_version)
    _may_answer(by, request)
    if reason not in RefusalReason.values:
        raise DomainError(REFUSAL_NEEDS_REASON, code="reason_needed")
    if reason == RefusalReason.OTHER and len(explanation.strip()) < 10:
        raise DomainError(EXPLAIN_OTHER, code="reason_needed")
    request.state = _take(request, Step.REFUSE)
    request.refusal_reason = reason
    message = _send_step(by, request, Step.REFUSE, note=explanation.strip(), refusal_reason=reason)
    _save(request)
    _event(request, Step.REFUSE, by=by, message_id=message.id, note=explanation.strip())
    audit.record(action="exchange.request_refused", actor=by, target=request, data={"reason": reason})
    return request


# --- receiving -----------------------------------------------------------------------------------


def receive_request(message: InboundMessage, payload: bytes) -> None:
    """``request.information``: this office's incoming copy, delivered, waiting for the focal point."""
    data = wire.RequestPayload.read(payload)
    office = Office.objects.get(code=network.node_id())
    exists = InformationRequest.objects.filter(
        exchange_id=data.exchange_id, side=Side.INCOMING, counterpart=message.sender
    ).exists()
    if exists:
        return  # the same request again under another message id: already here
    sent_at = message.received_at
    request = InformationRequest(
        exchange_id=uuid.UUID(data.exchange_id),
        side=Side.INCOMING,
        office=office,
        counterpart=message.sender,
        request_type=data.request_type,
        subject=data.subject,
        legal_basis=data.legal_basis,
        urgency=data.urgency,
        language=data.language,
        handling=list(data.handling),
        evaluation=data.evaluation,
        hit_reference=data.hit_reference,
        state=State.DELIVERED,
        deadline_seconds=data.deadline_seconds,
        sent_at=sent_at,
        due_at=sent_at + timedelta(seconds=data.deadline_seconds),
    )
    request.content = _seal(
        {"text": data.text, "items": list(data.items), "purpose": data.purpose, "conditions": data.conditions},
        InformationRequest.context(request.pk),
    )
    request.save(force_insert=True)
    _keep_files(request, None, data.attachments, message)
    _event(request, Step.DELIVER, member=message.sender, message_id=message.message_id)
    notices.request_arrived(request)


def request_delivered(message: OutboundMessage) -> None:
    """The requested office's node signed a receipt for the request: this office's copy is delivered."""
    sent = RequestEvent.objects.filter(message_id=message.id, step=Step.SEND).select_related("request").first()
    if sent is None:
        return
    request = InformationRequest.objects.select_for_update().get(pk=sent.request_id)
    new_state, changed = lifecycle.apply_remote(State(request.state), Step.DELIVER)
    if changed:
        request.state = new_state
        _save(request, remote=True)
    _event(request, Step.DELIVER, member=request.counterpart, message_id=message.id, changed=changed)


def receive_step(message: InboundMessage, payload: bytes) -> None:
    """Any later step from the other office, applied to this office's copy if it moves it forward."""
    data = wire.StepPayload.read(payload, where=message.type)
    # This office's copy is the one whose other office sent the message (in a laboratory where
    # both offices share a database, the other copy names the other office).
    request = (
        InformationRequest.objects.select_for_update()
        .filter(exchange_id=data.exchange_id, counterpart=message.sender)
        .first()
    )
    if request is None:
        # The request itself may not have been handled yet (messages can arrive out of order).
        raise handlers.NotYet(f"{message.type}: no request {data.exchange_id} with {message.sender} yet")
    if data.step in ("reminder", "clarification"):
        _event(request, data.step, member=message.sender, message_id=message.message_id, note=data.note,
               changed=False)  # fmt: skip
        notices.remote_step(request, data.step)
        return
    step = Step(data.step)
    new_state, changed = lifecycle.apply_remote(State(request.state), step)
    if step in (Step.ANSWER, Step.ANSWER_PARTIAL):
        body = wire.AnswerPayload.read(data.answer)
        if not request.answers.filter(answer_id=body.answer_id).exists():
            given = Answer(
                answer_id=uuid.UUID(body.answer_id), request=request, is_complete=body.is_complete,
                language=body.language, handling=list(body.handling), evaluation=body.evaluation,
                message_id=message.message_id,
            )  # fmt: skip
            given.content = _seal({"text": body.text, "conditions": body.conditions}, Answer.context(given.pk))
            given.save(force_insert=True)
            _keep_files(request, given, body.attachments, message)
    if step == Step.REFUSE and changed:
        request.refusal_reason = data.refusal_reason if data.refusal_reason in RefusalReason.values else "other"
    if changed:
        request.state = new_state
        _save(request, remote=True)
    _event(request, step, member=message.sender, message_id=message.message_id, note=data.note, changed=changed)
    if changed or step == Step.ANSWER_PARTIAL:
        notices.remote_step(request, step)


# --- helpers -------------------------------------------------------------------------------------


def _record_sent_files(
    request: InformationRequest, given: Answer | None, attachments: Sequence[attachment_store.Prepared]
) -> None:
    """What this office sent with the request or an answer (the original stays in its own systems)."""
    for prepared in attachments:
        ExchangeFile.objects.create(
            request=request, answer=given, name=prepared.manifest.name, media_type=prepared.manifest.media_type,
            size=prepared.manifest.size, sha256=prepared.sha256,
        )  # fmt: skip


def _keep_files(
    request: InformationRequest, given: Answer | None, digests: tuple[str, ...], message: InboundMessage
) -> None:
    """The files of a request or an answer: the message's verified attachments, named by digest in it."""
    arrived = {attachment.sha256: attachment for attachment in attachment_store.attachments_of(message)}
    for digest in digests:
        attachment = arrived.get(digest)
        if attachment is None:
            raise wire.UnreadablePayload(f"{message.type}: the payload names a file that did not come with it")
        ExchangeFile.objects.create(
            request=request, answer=given, name=attachment.name, media_type=attachment.media_type,
            size=attachment.size or 0, sha256=digest, attachment=attachment,
        )  # fmt: skip


@transaction.atomic(durable=True)
def open_file(*, by: User, file: ExchangeFile) -> Any:
    """A received file as a stream, for someone who may see its request (the caller checked); audited."""
    if file.attachment is None:
        raise DomainError(NOT_KEPT_HERE, code="not_kept_here")
    audit.record(
        action="exchange.file_opened", actor=by, target=file.request, data={"file": str(file.pk), "sha256": file.sha256}
    )
    return attachment_store.open_attachment(file.attachment)


def _lock(request: InformationRequest, expected_version: int | None) -> InformationRequest:
    return lock_at_version(InformationRequest, request.pk, expected_version)


def _take(request: InformationRequest, step: Step) -> State:
    try:
        return lifecycle.take(State(request.state), step, side=Side(request.side))
    except lifecycle.ImpossibleStep as refused:
        message = STEP_REFUSED[refused.reason]
        raise DomainError(message % {"state": _user_facing_state(request.state)}, code="impossible_step") from None


def _save(request: InformationRequest, *, remote: bool = False) -> None:
    # The version guards what people edit here; a step from the other office moves the state
    # without it, so a page open during a receipt is not refused (each step still checks the
    # state it finds under the row lock).
    if not remote:
        request.version += 1
    request.updated_at = timezone.now()
    request.save()


def _may_act_as_requester(by: User, request: InformationRequest) -> None:
    if request.office_id != by.office_id or not by.has_permission(Permission.EXCHANGE_SEND):
        raise AccessDenied(MAY_NOT_SEND)
    if request.created_by_id != by.pk and not by.has_permission(Permission.EXCHANGE_TRIAGE):
        raise AccessDenied(MAY_NOT_SEND)


def _may_triage(by: User, request: InformationRequest) -> None:
    if request.office_id != by.office_id or not by.has_permission(Permission.EXCHANGE_TRIAGE):
        raise AccessDenied(MAY_NOT_TRIAGE)


def _may_answer(by: User, request: InformationRequest) -> None:
    if request.office_id != by.office_id or not by.has_permission(Permission.EXCHANGE_ANSWER):
        raise AccessDenied(MAY_NOT_ANSWER)
    if request.assigned_to_id not in (None, by.pk) and not by.has_permission(Permission.EXCHANGE_TRIAGE):
        raise AccessDenied(NOT_ASSIGNED)


def _send_step(
    by: User,
    request: InformationRequest,
    step: Step | str,
    *,
    message_type: str = "",
    note: str = "",
    refusal_reason: str = "",
    answer: dict[str, Any] | None = None,
    codes: tuple[str, ...] = (),
    attachments: Sequence[attachment_store.Prepared] = (),
) -> Any:
    payload = wire.StepPayload(
        exchange_id=str(request.exchange_id),
        step=str(step),
        note=note,
        language=by.language if getattr(by, "language", "") in wire.LANGUAGES else "es",
        refusal_reason=refusal_reason,
        answer=answer or {},
    )
    return outbox.send(
        type=message_type or wire.STEP_TYPES[Step(step)],
        recipient=request.counterpart,
        payload=wire.dump(payload),
        conversation=str(request.exchange_id),
        handling=codes,
        sent_by=by,
        attachments=attachments,
    )


def _event(
    request: InformationRequest,
    step: Step | str,
    *,
    by: User | None = None,
    member: str = "",
    message_id: uuid.UUID | None = None,
    note: str = "",
    changed: bool = True,
) -> RequestEvent:
    event = RequestEvent(
        request=request,
        step=str(step),
        state_after=request.state,
        changed_state=changed,
        by_user=by,
        by_member=member,
        message_id=message_id,
    )
    if note:
        event.note = _seal({"note": note}, RequestEvent.context(request.pk))
    event.save()
    return event


def overdue(requests: list[InformationRequest], now: datetime) -> list[InformationRequest]:
    """The open requests past their deadline."""
    return [
        r
        for r in requests
        if r.due_at is not None
        and lifecycle.Clock(r.sent_at or r.created_at, r.deadline_seconds).is_overdue(State(r.state), now)
    ]


def event_note(event: RequestEvent) -> str:
    """The free text of a timeline entry (a clarification, a reason); the caller checked access."""
    return str(_unseal(event.note, RequestEvent.context(event.request_id)).get("note", ""))
