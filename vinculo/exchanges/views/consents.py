"""What an office does with information it received, and the consent requests that go with it.

A received item (an answer to one of the office's requests, or spontaneous information or an
alert) may be filed into one of the office's cases, and its provider asked to lift H1 (use as
evidence) or H2 (pass it on to one named office). The item's own page offers those forms
(``received_actions``) and its POST view carries them out here (``take_received_action``). The
consents pages list what the office asked and what it was asked; the focal point answers the latter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_any_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.core.errors import DomainError, NotFound
from vinculo.exchanges import handling, selectors
from vinculo.exchanges.forms.consents import ConsentAnswerForm, ConsentAskForm, FileForm
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Answer, Broadcast, ConsentRequest
from vinculo.exchanges.services import consents
from vinculo.exchanges.views.common import PAGE_SIZE, nothing_done, office_name, offices_to_choose, refusal
from vinculo.messaging import network
from vinculo.web.form_errors import show_error_on_form

consent_staff = require_any_permission(Permission.EXCHANGE_SEND, Permission.EXCHANGE_TRIAGE)
RECEIVED_ACTIONS = ("file", "consent")


# --- a received item: what it allows, and the forms to file it or ask for consent ---------------


def item_key(item: Answer | Broadcast) -> tuple[str, uuid.UUID]:
    """The item as consents name it: its kind and the id it has on both nodes."""
    if isinstance(item, Answer):
        return ConsentRequest.ItemKind.ANSWER, item.answer_id
    return ConsentRequest.ItemKind.BROADCAST, item.exchange_id


@dataclass(frozen=True)
class Asked:
    """A consent the office asked for this item, as the item's page lists it."""

    consent: ConsentRequest
    lifts: Any
    recipient: str  # the office's name, for a consent to pass it on
    may_open: bool


@dataclass(frozen=True)
class ReceivedActions:
    """What the page offers for one received item."""

    key: str  # unique on the page: the forms' ids and anchors
    provider: str
    is_evidence_blocked: bool  # H1, and its provider has not consented
    forward_allowed_to: list[str] | None  # H2: the offices its provider consented to (None: no H2)
    asked: list[Asked]
    file_form: forms.Form | None
    consent_form: forms.Form | None
    opened: str


def _restrictions(item: Answer | Broadcast, granted: list[ConsentRequest]) -> handling.Restrictions:
    # The page fetched the office's consents for all its items at once (selectors.consents_for_items);
    # the rule is the service's, without a query per item and without unsealing the content.
    return consents.restrictions_given(item, granted, with_content=False)


def _kinds(item: Answer | Broadcast, allowed: handling.Restrictions) -> list[str]:
    """The consents worth asking for: H1 not yet lifted, and H2 (each consent names one office)."""
    kinds = []
    if "H1" in item.handling and not allowed.may_use_as_evidence:
        kinds.append(handling.ConsentKind.USE_AS_EVIDENCE.value)
    if "H2" in item.handling:
        kinds.append(handling.ConsentKind.ONWARD_TRANSMISSION.value)
    return kinds


def _onward_offices(offices: list[selectors.OfficeToAsk], provider: str) -> list[selectors.OfficeToAsk]:
    return [office for office in offices if office.code != provider]


def _may_file(user: User) -> bool:
    return user.has_permission(Permission.EXCHANGE_SEND) and user.has_permission(Permission.CASE_EDIT)


def received_actions(
    user: User,
    item: Answer | Broadcast,
    *,
    provider: str,
    asked: list[ConsentRequest],
    offices: list[selectors.OfficeToAsk],
    bound: dict[str, forms.Form] | None = None,
    ask_initial: dict[str, str] | None = None,
) -> ReceivedActions | None:
    """The item's restrictions, the consents asked for it, and the forms this user may use (None: none).

    ``asked`` are the office's consents for the item (``selectors.consents_for_items``), ``offices``
    the network's active offices (for their names and the consent's recipient); ``ask_initial``
    fills the consent request in (the office a forward was refused for).
    """
    if not user.has_permission(Permission.EXCHANGE_SEND):
        return None
    bound = bound or {}
    names = {office.code: office.name for office in offices}
    granted = [c for c in asked if c.status == ConsentRequest.Status.GRANTED]
    allowed = _restrictions(item, granted)
    key = item_key(item)[1].hex[:12]
    file_form = bound.get("file") or (FileForm(user=user) if _may_file(user) else None)
    kinds = _kinds(item, allowed)
    consent_form = bound.get("consent")
    if consent_form is None and kinds:
        consent_form = ConsentAskForm(kinds=kinds, offices=_onward_offices(offices, provider), initial=ask_initial)
    for name, form in (("file", file_form), ("consent", consent_form)):
        if form is not None:
            form.auto_id = f"id_{name}_{key}_%s"  # several items on one page: ids stay unique
    may_triage = user.has_permission(Permission.EXCHANGE_TRIAGE)
    return ReceivedActions(
        key=key,
        provider=names.get(provider, provider),
        is_evidence_blocked=not allowed.may_use_as_evidence,
        forward_allowed_to=(
            None
            if allowed.forward_allowed_to is None
            else sorted(names.get(code, code) for code in allowed.forward_allowed_to)
        ),
        asked=[
            Asked(
                consent=c,
                lifts=ConsentRequest.KIND_LABELS.get(c.kind, c.kind),
                recipient=names.get(c.recipient, c.recipient),
                may_open=may_triage or c.asked_by_id == user.pk,
            )
            for c in asked
        ],
        file_form=file_form,
        consent_form=consent_form,
        opened="consent" if ask_initial else next(iter(bound), ""),
    )


def take_received_action(
    request: HttpRequest, user: User, item: Answer | Broadcast, action: str, *, provider: str
) -> forms.Form | None:
    """File the item or ask its provider for consent; None when done (a message says so), else the
    form to show again with what was typed and why nothing was done."""
    form: forms.Form
    if action == "file":
        form = FileForm(request.POST, user=user)
        if form.is_valid():
            case = form.cleaned_data["case"]
            try:
                consents.file_in_case(by=user, item=item, case=case)
            except DomainError as error:
                show_error_on_form(form, error)
            else:
                messages.success(
                    request,
                    _("Filed in case %(number)s with its provider and handling codes.")
                    % {"number": case.national_number},
                )
                return None
    else:
        offices, _missing = offices_to_choose(user)
        granted = [
            c for c in selectors.consents_for_items(user, *_one(item)) if c.status == ConsentRequest.Status.GRANTED
        ]
        form = ConsentAskForm(
            request.POST, kinds=_kinds(item, _restrictions(item, granted)), offices=_onward_offices(offices, provider)
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                consents.ask_consent(
                    by=user, item=item, kind=data["kind"], reason=data["reason"], recipient=data.get("recipient") or ""
                )
            except (DomainError, network.NetworkUnavailable) as error:
                show_error_on_form(form, DomainError(refusal(error)))
            else:
                messages.success(request, _("Your request for consent has been sent to the provider's focal point."))
                return None
    nothing_done(request, form)
    return form


def _one(item: Answer | Broadcast) -> tuple[str, list[uuid.UUID]]:
    kind, item_id = item_key(item)
    return kind, [item_id]


def consents_of(user: User, item: Broadcast) -> list[ConsentRequest]:
    """The office's consents for one received broadcast."""
    return selectors.consents_for_items(user, *_one(item))


# --- the consents pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedConsent:
    consent: ConsentRequest
    office: str  # the provider (asked by us) or the holder (asked of us)
    lifts: Any
    recipient: str


def _pending_first(found: QuerySet[ConsentRequest]) -> QuerySet[ConsentRequest]:
    pending = ExpressionWrapper(Q(status=ConsentRequest.Status.PENDING), output_field=BooleanField())
    return found.order_by(pending.desc(), "-asked_at")


@require_GET
@consent_staff
def consent_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    may_triage = user.has_permission(Permission.EXCHANGE_TRIAGE)
    side = request.GET.get("side", "")
    if side not in (Side.OUTGOING, Side.INCOMING) or (side == Side.INCOMING and not may_triage):
        side = Side.INCOMING if may_triage else Side.OUTGOING
    found = _pending_first(selectors.consent_list(user, side=side).select_related("asked_by", "answered_by"))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    names = selectors.offices_by_code({c.counterpart for c in shown} | {c.recipient for c in shown if c.recipient})
    rows = [
        ListedConsent(
            consent=c,
            office=office_name(names, c.counterpart),
            lifts=ConsentRequest.KIND_LABELS.get(c.kind, c.kind),
            recipient=office_name(names, c.recipient) if c.recipient else "",
        )
        for c in shown
    ]
    context = {"side": side, "page": page, "rows": rows, "may_triage": may_triage}
    return render(request, "exchanges/consent_list.html", context)


def _consent_found(user: User, consent_id: uuid.UUID) -> ConsentRequest:
    try:
        return selectors.consent_for(user, consent_id)
    except NotFound:
        raise Http404 from None


def _may_answer(user: User, consent: ConsentRequest) -> bool:
    return (
        consent.side == Side.INCOMING
        and consent.status == ConsentRequest.Status.PENDING
        and user.has_permission(Permission.EXCHANGE_TRIAGE)
    )


def _consent_page(
    request: HttpRequest, user: User, consent: ConsentRequest, *, form: ConsentAnswerForm | None = None
) -> HttpResponse:
    names = selectors.offices_by_code({consent.counterpart, consent.recipient} - {""})
    may_answer = _may_answer(user, consent)
    context = {
        "consent": consent,
        "is_outgoing": consent.side == Side.OUTGOING,
        "office_name": office_name(names, consent.counterpart),
        "recipient_name": office_name(names, consent.recipient) if consent.recipient else "",
        "lifts": ConsentRequest.KIND_LABELS.get(consent.kind, consent.kind),
        "code": "H1" if consent.kind == handling.ConsentKind.USE_AS_EVIDENCE else "H2",
        "item": selectors.consented_item(user, consent),
        "form": (form or ConsentAnswerForm()) if may_answer else None,
    }
    return render(request, "exchanges/consent_detail.html", context, status=400 if form is not None else 200)


@require_GET
@consent_staff
def consent_detail_view(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    return _consent_page(request, user, _consent_found(user, consent_id))


@require_POST
@consent_staff
def consent_answer_view(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    consent = _consent_found(user, consent_id)
    form = ConsentAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was done: correct what is marked below."))
        return _consent_page(request, user, consent, form=form)
    try:
        consents.answer_consent(by=user, consent=consent, granted=form.is_granted, note=form.cleaned_data["note"])
    except (DomainError, network.NetworkUnavailable) as error:
        messages.error(request, refusal(error))
        return _consent_page(request, user, _consent_found(user, consent_id), form=form)
    if form.is_granted:
        messages.success(request, _("Consent granted; the other office is told."))
    else:
        messages.success(request, _("Consent refused; the other office is told why."))
    return redirect("exchanges:consent_detail", consent_id=consent.pk)
