"""Information requests between offices: the list, composing one, a request with its timeline and steps, the desk.

Every step is a POST to ``<request>/<step>/``: the form checks what the person typed, the service
checks the rest under a row lock and sends the signed message. A refusal (an impossible step, a
version changed meanwhile, a network without a directory) is shown on the request's page with
what the person typed, and nothing changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases.selectors import cases_visible_to
from vinculo.core.errors import DomainError, NotFound
from vinculo.exchanges import lifecycle, selectors
from vinculo.exchanges.forms.requests import (
    AnswerForm,
    AssignForm,
    ClarifyForm,
    ComposeForm,
    RefuseForm,
    RequestFilterForm,
    VersionForm,
    WithdrawForm,
)
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import Answer, ExchangeFile, InformationRequest, RefusalReason, RequestEvent
from vinculo.exchanges.services import files, requests
from vinculo.exchanges.views import consents as received
from vinculo.exchanges.views.common import (
    NO_DIRECTORY,
    PAGE_SIZE,
    codes_with_meanings,
    evaluation_in_words,
    exchange_staff,
    offices_to_choose,
    refusal,
)
from vinculo.messaging import network
from vinculo.web.downloads import private_download
from vinculo.web.form_errors import show_error_on_form


def _found(user: User, request_id: uuid.UUID) -> InformationRequest:
    try:
        return selectors.request_for(user, request_id)
    except NotFound:
        raise Http404 from None


# --- presentation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    is_overdue: bool
    is_due_soon: bool
    escalated: bool = False  # the deadline check found it overdue and told the focal points


def _deadline(request: InformationRequest, now: datetime) -> Deadline:
    if request.due_at is None:
        return Deadline(None, False, False)
    clock = lifecycle.Clock(request.sent_at or request.created_at, request.deadline_seconds)
    state = State(request.state)
    escalated = request.escalated_at is not None and state in lifecycle.OPEN
    return Deadline(request.due_at, clock.is_overdue(state, now) or escalated, clock.is_due_soon(state, now), escalated)


@dataclass(frozen=True)
class Listed:
    request: InformationRequest
    office: str
    deadline: Deadline


def _listed(found: list[InformationRequest], names: dict[str, Any], now: datetime) -> list[Listed]:
    return [
        Listed(r, names[r.counterpart].name if r.counterpart in names else r.counterpart, _deadline(r, now))
        for r in found
    ]


STEP_LABELS: dict[str, Any] = {
    "draft": gettext_lazy("Draft written"),
    "send": gettext_lazy("Sent"),
    "acknowledge": gettext_lazy("Acknowledged"),
    "assign": gettext_lazy("Assigned to a prosecutor"),
    "answer_partial": gettext_lazy("Partial answer"),
    "answer": gettext_lazy("Answered (complete)"),
    "refuse": gettext_lazy("Refused"),
    "withdraw": gettext_lazy("Withdrawn"),
    "reminder": gettext_lazy("Reminder"),
    "clarification": gettext_lazy("Clarification"),
    "due_soon": gettext_lazy("Due soon: whoever holds it was reminded"),
    "escalation": gettext_lazy("Overdue: escalated to the focal points"),
}
# Steps that carry a state: when one arrives after the copy has moved on, it is only recorded.
LIFECYCLE_STEPS = {step.value for step in lifecycle.Step}


@dataclass(frozen=True)
class Entry:
    event: RequestEvent
    label: str
    who: str
    note: str
    delivery: selectors.Delivery | None
    message_url: str  # the network page of its message, for node administrators
    recorded_only: bool  # a step from the other office that found this copy further on


def _label(event: RequestEvent, request: InformationRequest) -> str:
    if event.step == "deliver":
        return _("Delivered") if request.side == Side.OUTGOING else _("Received")
    if event.step == "assign" and event.by_user_id is not None and not event.changed_state:
        return _("Reassigned")
    if event.step == "refuse" and request.refusal_reason:
        return _("Refused: %(reason)s") % {"reason": RefusalReason(request.refusal_reason).label}
    return str(STEP_LABELS.get(event.step, event.step))


def _timeline(request: InformationRequest, user: User, office_name: str) -> list[Entry]:
    events = list(selectors.timeline_of(request))
    deliveries = selectors.deliveries_of(request, events)
    may_open_messages = user.has_permission(Permission.NODE_MANAGE)
    entries = []
    for event in events:
        delivery = deliveries.get(event.message_id) if event.message_id else None
        if event.step == "send" and delivery is not None and delivery.status == "delivered":
            delivery = None  # the "delivered" entry shows the receipt of this message
        url = ""
        if delivery is not None and may_open_messages:
            url = (
                reverse("messaging:sent_detail", args=[delivery.message_id])
                if delivery.outgoing
                else reverse("messaging:received_detail", args=[delivery.sender, delivery.message_id])
            )
        if event.by_user_id is not None:
            who = event.by_user.full_name if event.by_user else ""
        elif event.by_member:
            who = office_name
        else:
            who = _("Vínculo (automatically)")
        entries.append(
            Entry(
                event=event,
                label=_label(event, request),
                who=who,
                note=requests.event_note(event) if event.note else "",
                delivery=delivery,
                message_url=url,
                recorded_only=event.is_remote and event.step in LIFECYCLE_STEPS and not event.changed_state,
            )
        )
    return entries


# --- the list and the desk ------------------------------------------------------------------------


@require_GET
@exchange_staff
def request_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    offices = selectors.offices_by_code(selectors.counterparts_of(user))
    filters = RequestFilterForm(request.GET or None, offices=[(code, o.name) for code, o in sorted(offices.items())])
    criteria = filters.criteria()
    found = selectors.request_list(
        user, side=criteria["side"], state=criteria["state"], counterpart=criteria["counterpart"]
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "side": criteria["side"],
        "page": page,
        "rows": _listed(list(page.object_list), offices, timezone.now()),
        "may_send": user.has_permission(Permission.EXCHANGE_SEND),
        "may_triage": user.has_permission(Permission.EXCHANGE_TRIAGE),
    }
    template = "exchanges/request_list.html#rows" if request.htmx else "exchanges/request_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@require_permission(Permission.EXCHANGE_TRIAGE)
def desk_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    now = timezone.now()
    desk = selectors.desk(user, now=now)
    offices = selectors.offices_by_code({code for code, _count in desk.by_counterpart})
    context = {
        "to_triage": _listed(desk.to_triage, offices, now),
        "due_soon": _listed(desk.due_soon, offices, now),
        "overdue": _listed(desk.overdue, offices, now),
        "by_counterpart": [
            (code, offices[code].name if code in offices else code, count) for code, count in desk.by_counterpart
        ],
    }
    return render(request, "exchanges/desk.html", context)


# --- composing ------------------------------------------------------------------------------------


def _draft_of(form: ComposeForm) -> requests.Draft:
    data = form.cleaned_data
    return requests.Draft(
        counterpart=data["counterpart"],
        request_type=data["request_type"],
        subject=data["subject"],
        legal_basis=data["legal_basis"],
        urgency=data["urgency"],
        text=data["text"],
        items=data["items"],
        language=data["language"],
        handling=form.codes(),
        purpose=data.get("purpose") or "",
        conditions=data.get("conditions") or "",
        evaluation=form.evaluation(),
        case=data.get("case"),
        hit_reference=(data.get("hit_reference") or "").strip(),
    )


def _compose(
    request: HttpRequest, form: ComposeForm, existing: InformationRequest | None = None
) -> HttpResponse | None:
    """Save the draft (new, or ``existing`` changed) and, when asked, send it; None when the form got
    the refusal to show."""
    user = signed_in_user(request)
    try:
        if existing is None:
            draft = requests.create_draft(by=user, draft=_draft_of(form))
        else:
            draft = requests.edit_draft(
                by=user, request=existing, expected_version=form.cleaned_data.get("version"), draft=_draft_of(form)
            )
    except (DomainError, network.NetworkUnavailable) as error:
        show_error_on_form(form, DomainError(refusal(error)))
        return None
    if request.POST.get("then") != "send":
        messages.success(request, _("The request has been saved as a draft. It leaves only when you send it."))
        return redirect("exchanges:request_detail", request_id=draft.pk)
    try:
        prepared = files.prepare_uploads(form.cleaned_data.get("files") or [])
        requests.send_request(by=user, request=draft, expected_version=draft.version, attachments=prepared)
    except (DomainError, network.NetworkUnavailable) as error:
        messages.error(request, _("The draft has been saved but not sent: %(reason)s") % {"reason": refusal(error)})
    else:
        messages.success(request, _("The request has been sent."))
    return redirect("exchanges:request_detail", request_id=draft.pk)


CROSSMATCH_SUBJECT = gettext_lazy("A person both offices hold, according to the hub's cross-match")


@require_permission(Permission.EXCHANGE_SEND)
def request_create_view(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {
        "language": signed_in_user(request).language,
        "urgency": lifecycle.Urgency.NORMAL.value,
    }
    if request.GET.get("hit"):  # "request information about this hit" on a hit/no-hit answer
        initial.update(
            hit_reference=request.GET["hit"][:64],
            counterpart=request.GET.get("to", "")[:32],
            case=request.GET.get("case", "")[:64],
            request_type="identification",
        )
    elif request.GET.get("to"):  # "request information" where an office is named, e.g. on a cross-match notice
        initial.update(counterpart=request.GET["to"][:32], case=request.GET.get("case", "")[:64])
        if request.GET.get("about") == "crossmatch":
            initial.update(request_type="identification", subject=str(CROSSMATCH_SUBJECT))
    return _composing(request, initial)


@exchange_staff
def request_edit_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Change a draft (and send it, or keep it as a draft); once sent a request only gets later steps."""
    user = signed_in_user(request)
    found = _found(user, request_id)
    if found.side != Side.OUTGOING or found.state != State.DRAFT:
        messages.error(request, requests.NOT_A_DRAFT)
        return redirect("exchanges:request_detail", request_id=found.pk)
    if "send" not in selectors.steps_for(user, found):
        raise PermissionDenied
    return _composing(request, _initial_of(found), existing=found)


def _initial_of(found: InformationRequest) -> dict[str, Any]:
    content = requests.content_of(found)
    return {
        "version": found.version,
        "counterpart": found.counterpart,
        "request_type": found.request_type,
        "subject": found.subject,
        "legal_basis": found.legal_basis,
        "urgency": found.urgency,
        "text": content["text"],
        "items": "\n".join(content["items"]),
        "language": found.language,
        "handling": list(found.handling),
        "purpose": content["purpose"],
        "conditions": content["conditions"],
        "source_grade": found.evaluation[:1],
        "information_grade": found.evaluation[1:],
        "case": found.case.national_number if found.case else "",
        "hit_reference": found.hit_reference,
    }


def _composing(
    request: HttpRequest, initial: dict[str, Any], existing: InformationRequest | None = None
) -> HttpResponse:
    user = signed_in_user(request)
    try:
        offices, directory_missing = selectors.offices_to_ask(user), False
    except network.NetworkUnavailable:
        offices, directory_missing = [], True
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        user=user,
        offices=offices,
        deadlines=selectors.deadlines(),
        initial=initial,
        editing=existing is not None,
    )
    if request.method == "POST" and form.is_valid():
        response = _compose(request, form, existing)
        if response is not None:
            return response
    context = {
        "form": form,
        "found": existing,
        "directory_missing": directory_missing,
        "no_directory": NO_DIRECTORY,
    }
    return render(request, "exchanges/request_form.html", context, status=400 if request.method == "POST" else 200)


# --- one request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepForm:
    """How the page offers one step and how its POST is carried out."""

    form: Callable[[Any, Any, User, InformationRequest], forms.Form]  # (POST data, uploaded files, …)
    act: Callable[[User, InformationRequest, forms.Form], Any]
    done: Callable[[forms.Form], str]


def _version(form: forms.Form) -> int:
    return int(form.cleaned_data["version"])


def _answer(user: User, found: InformationRequest, form: AnswerForm) -> Any:
    return requests.answer(
        by=user,
        request=found,
        expected_version=_version(form),
        text=form.cleaned_data["text"],
        is_complete=form.is_complete,
        language=form.cleaned_data["language"],
        codes=form.codes(),
        conditions=form.cleaned_data.get("conditions") or "",
        evaluation=form.evaluation(),
        attachments=files.prepare_uploads(form.cleaned_data.get("files") or []),
    )


STEPS: dict[str, StepForm] = {
    "send": StepForm(
        form=lambda data, uploads, user, found: VersionForm(data),
        act=lambda user, found, form: requests.send_request(by=user, request=found, expected_version=_version(form)),
        done=lambda form: _("The request has been sent."),
    ),
    "discard": StepForm(
        form=lambda data, uploads, user, found: VersionForm(data),
        act=lambda user, found, form: requests.discard_draft(by=user, request=found, expected_version=_version(form)),
        done=lambda form: _("The draft has been discarded."),
    ),
    "withdraw": StepForm(
        form=lambda data, uploads, user, found: WithdrawForm(data),
        act=lambda user, found, form: requests.withdraw(
            by=user, request=found, expected_version=_version(form), reason=form.cleaned_data["reason"]
        ),
        done=lambda form: _("The request has been withdrawn; the other office is told."),
    ),
    "remind": StepForm(
        form=lambda data, uploads, user, found: forms.Form(data),
        act=lambda user, found, form: requests.remind(by=user, request=found),
        done=lambda form: _("A reminder has been sent to the other office."),
    ),
    "clarify": StepForm(
        form=lambda data, uploads, user, found: ClarifyForm(data),
        act=lambda user, found, form: requests.clarify(by=user, request=found, text=form.cleaned_data["text"]),
        done=lambda form: _("Your message has been sent to the other office."),
    ),
    "acknowledge": StepForm(
        form=lambda data, uploads, user, found: VersionForm(data),
        act=lambda user, found, form: requests.acknowledge(by=user, request=found, expected_version=_version(form)),
        done=lambda form: _("The request has been acknowledged; the other office is told."),
    ),
    "assign": StepForm(
        form=lambda data, uploads, user, found: AssignForm(data, people=selectors.assignable_people(user)),
        act=lambda user, found, form: requests.assign(
            by=user, request=found, expected_version=_version(form), to=form.cleaned_data["person"]
        ),
        done=lambda form: (
            _("The request has been assigned to %(name)s.") % {"name": form.cleaned_data["person"].full_name}
        ),
    ),
    "answer": StepForm(
        form=lambda data, uploads, user, found: AnswerForm(data, uploads, initial={"language": user.language}),
        act=lambda user, found, form: _answer(user, found, cast(AnswerForm, form)),
        done=lambda form: (
            _("The answer has been sent.")
            if cast(AnswerForm, form).is_complete
            else _("The partial answer has been sent.")
        ),
    ),
    "refuse": StepForm(
        form=lambda data, uploads, user, found: RefuseForm(data),
        act=lambda user, found, form: requests.refuse(
            by=user,
            request=found,
            expected_version=_version(form),
            reason=form.cleaned_data["reason"],
            explanation=form.cleaned_data.get("explanation") or "",
        ),
        done=lambda form: _("The request has been refused; the other office is told why."),
    ),
}


def _offered(steps: frozenset[str]) -> list[str]:
    """The forms a page shows, in the order of STEPS (both kinds of answer share one form)."""
    wanted = set(steps) | ({"answer"} if "answer_partial" in steps else set())
    return [name for name in STEPS if name in wanted]


def _answers(
    user: User,
    found: InformationRequest,
    files_of_request: list[ExchangeFile],
    *,
    bound: dict[uuid.UUID, dict[str, forms.Form]] | None = None,
) -> list[dict[str, Any]]:
    """The answers with their content and, on the requesting side, what may be done with each."""
    found_answers = list(selectors.answers_of(found))
    answer_files: dict[uuid.UUID, list[ExchangeFile]] = {}
    for file in files_of_request:
        if file.answer_id is not None:
            answer_files.setdefault(file.answer_id, []).append(file)
    actions: dict[uuid.UUID, Any] = {}
    if found.side == Side.OUTGOING and found_answers:
        offices, _missing = offices_to_choose(user)
        asked = selectors.consents_for_items(user, "answer", [a.answer_id for a in found_answers])
        for answer in found_answers:
            actions[answer.pk] = received.received_actions(
                user, answer, provider=found.counterpart, offices=offices,
                asked=[c for c in asked if c.item_id == answer.answer_id], bound=(bound or {}).get(answer.pk),
            )  # fmt: skip
    return [
        {
            "answer": answer,
            "content": requests.answer_text(answer),
            "codes": codes_with_meanings(answer.handling),
            "evaluation": evaluation_in_words(answer.evaluation),
            "actions": actions.get(answer.pk),
            "files": answer_files.get(answer.pk, []),
        }
        for answer in found_answers
    ]


def _page(
    request: HttpRequest,
    user: User,
    found: InformationRequest,
    *,
    bound: dict[str, forms.Form] | None = None,
    answer_forms: dict[uuid.UUID, dict[str, forms.Form]] | None = None,
) -> HttpResponse:
    now = timezone.now()
    office = selectors.offices_by_code({found.counterpart}).get(found.counterpart)
    office_name = office.name if office else found.counterpart
    content = requests.content_of(found)
    step_forms = {}
    for name in _offered(selectors.steps_for(user, found)):
        form = (bound or {}).get(name) or STEPS[name].form(None, None, user, found)
        if "version" in form.fields and not form.is_bound:
            form.initial["version"] = found.version
        form.auto_id = f"id_{name}_%s"  # several forms on one page: ids stay unique
        step_forms[name] = form
    files_of_request = list(selectors.files_of(found))
    answers = _answers(user, found, files_of_request, bound=answer_forms)
    context = {
        "found": found,
        "is_outgoing": found.side == Side.OUTGOING,
        "office_name": office_name,
        "deadline": _deadline(found, now),
        "content": content,
        "codes": codes_with_meanings(found.handling),
        "evaluation": evaluation_in_words(found.evaluation),
        "may_open_case": found.case_id is not None and cases_visible_to(user).filter(pk=found.case_id).exists(),
        "answers": answers,
        "request_files": [file for file in files_of_request if file.answer_id is None],
        "timeline": _timeline(found, user, office_name),
        "step_forms": step_forms,
        # Who set the handling codes and conditions: the request's writer, and the answering office.
        "request_setter": _("your office") if found.side == Side.OUTGOING else office_name,
        "answer_setter": office_name if found.side == Side.OUTGOING else _("your office"),
        "opened": next(iter(bound), "") if bound else "",
        # The file forms share one list of the person's case numbers.
        "case_numbers_form": next(
            (a["actions"].file_form for a in answers if a["actions"] and a["actions"].file_form), None
        ),
    }
    status = 400 if bound or answer_forms else 200
    return render(request, "exchanges/request_detail.html", context, status=status)


@require_GET
@exchange_staff
def request_detail_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = _found(user, request_id)
    requests.record_request_viewed(by=user, request=found)
    return _page(request, user, found)


@require_POST
@exchange_staff
def request_step_view(request: HttpRequest, request_id: uuid.UUID, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    user = signed_in_user(request)
    found = _found(user, request_id)
    form = STEPS[step].form(request.POST, request.FILES, user, found)
    if form.is_valid():
        try:
            STEPS[step].act(user, found, form)
        except (DomainError, network.NetworkUnavailable) as error:
            messages.error(request, refusal(error))
        else:
            messages.success(request, STEPS[step].done(form))
            if step == "discard":  # nothing left to show
                return redirect("exchanges:request_list")
            return redirect("exchanges:request_detail", request_id=found.pk)
    elif step in _offered(selectors.steps_for(user, found)):
        messages.error(request, _("Nothing was done: correct what is marked below."))
    else:
        messages.error(request, _("This cannot be done on this request now."))
    # Shown again on the request as it is now, with what the person typed and the current version
    # (they now see what changed meanwhile before trying again).
    found = _found(user, request_id)
    data = request.POST.copy()
    if "version" in data:
        data["version"] = str(found.version)
    again = STEPS[step].form(data, None, user, found)  # files are chosen again
    again.is_valid()
    return _page(request, user, found, bound={step: again})


@require_POST
@exchange_staff
def answer_action_view(request: HttpRequest, request_id: uuid.UUID, answer_id: uuid.UUID, action: str) -> HttpResponse:
    """File a received answer into a case, or ask its provider to lift H1 or H2 (views/consents.py)."""
    if action not in received.RECEIVED_ACTIONS:
        raise Http404
    user = signed_in_user(request)
    found = _found(user, request_id)
    try:
        answer = selectors.received_item(user, "answer", answer_id)
    except NotFound:
        raise Http404 from None
    if not isinstance(answer, Answer) or answer.request_id != found.pk:
        raise Http404
    again = received.take_received_action(request, user, answer, action, provider=found.counterpart)
    if again is None:
        return redirect(f"{reverse('exchanges:request_detail', args=[found.pk])}#answer-{answer.pk}")
    return _page(request, user, _found(user, request_id), answer_forms={answer.pk: {action: again}})


@require_GET
@exchange_staff
def request_file_view(request: HttpRequest, request_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponseBase:
    """A file that came with the request or one of its answers, downloaded (verified as it is read); audited."""
    user = signed_in_user(request)
    found = _found(user, request_id)
    file = found.files.filter(pk=file_id).first()
    if file is None:
        raise Http404
    try:
        stream = requests.open_file(by=user, file=file)
    except DomainError as error:
        messages.error(request, refusal(error))
        return redirect("exchanges:request_detail", request_id=found.pk)
    return private_download(stream, name=file.name, media_type=file.media_type)
