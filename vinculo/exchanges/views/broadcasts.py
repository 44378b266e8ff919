"""Spontaneous information and alerts: the list (received, sent), sending one, and one item.

The sender sees, per office it went to, the signed receipt and the acknowledgement. A receiving
office acknowledges it, may pass it on to other offices (refused under H2 unless the provider
consented to that office), file it into one of its cases, or ask the provider to lift H1 or H2
(views/consents.py). Every action is a POST to ``<item>/<action>/``; a refusal is shown on the
item's page with what the person typed, and nothing changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases.selectors import cases_visible_to
from vinculo.core.errors import DomainError, NotFound
from vinculo.exchanges import selectors
from vinculo.exchanges.forms.broadcasts import BroadcastForm, ForwardForm
from vinculo.exchanges.handling import ConsentKind
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, BroadcastKind, BroadcastRecipient, ConsentRequest
from vinculo.exchanges.services import broadcasts, consents
from vinculo.exchanges.views import consents as received
from vinculo.exchanges.views.common import (
    NO_DIRECTORY,
    PAGE_SIZE,
    codes_with_meanings,
    evaluation_in_words,
    exchange_staff,
    nothing_done,
    office_name,
    offices_to_choose,
    refusal,
)
from vinculo.messaging import network
from vinculo.web.form_errors import show_error_on_form

ACTIONS = ("acknowledge", "forward", *received.RECEIVED_ACTIONS)


def _found(user: User, broadcast_id: uuid.UUID) -> Broadcast:
    try:
        return selectors.broadcast_for(user, broadcast_id)
    except NotFound:
        raise Http404 from None


def _may_acknowledge(user: User, item: Broadcast) -> bool:
    return (
        item.side == Side.INCOMING
        and item.acknowledged_at is None
        and (user.has_permission(Permission.EXCHANGE_TRIAGE) or user.has_permission(Permission.EXCHANGE_ANSWER))
    )


# --- the list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    item: Broadcast
    office: str  # received: who sent it; sent: the offices it went to
    acknowledged: int  # sent: how many offices acknowledged it
    recipients: int


def _unacknowledged_first(found: QuerySet[Broadcast]) -> QuerySet[Broadcast]:
    waiting = ExpressionWrapper(Q(acknowledged_at__isnull=True), output_field=BooleanField())
    return found.order_by(waiting.desc(), "-sent_at")


@require_GET
@exchange_staff
def broadcast_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    may_send = user.has_permission(Permission.EXCHANGE_SEND)
    sent_tab = request.GET.get("side") == Side.OUTGOING and (
        may_send or user.has_permission(Permission.EXCHANGE_TRIAGE)
    )
    if sent_tab:
        found = selectors.broadcast_list(user, side=Side.OUTGOING)
    else:
        found = _unacknowledged_first(selectors.broadcast_list(user, side=Side.INCOMING).prefetch_related(None))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    names = selectors.offices_by_code({b.origin for b in shown} | {m for b in shown for m in b.recipients_named})
    rows = []
    for item in shown:
        if sent_tab:
            went_to: list[BroadcastRecipient] = list(item.recipients.all())
            office = ", ".join(office_name(names, r.member) for r in went_to)
            done = sum(1 for r in went_to if r.acknowledged_at is not None)
            rows.append(Listed(item, office, done, len(went_to)))
        else:
            rows.append(Listed(item, office_name(names, item.origin), 0, 0))
    context = {
        "side": Side.OUTGOING if sent_tab else Side.INCOMING,
        "page": page,
        "rows": rows,
        "may_send": may_send,
    }
    return render(request, "exchanges/broadcast_list.html", context)


# --- sending --------------------------------------------------------------------------------------


@require_permission(Permission.EXCHANGE_SEND)
def broadcast_create_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    offices, directory_missing = offices_to_choose(user)
    kind = request.GET.get("kind", "")
    form = BroadcastForm(
        request.POST if request.method == "POST" else None,
        user=user,
        offices=offices,
        initial={"language": user.language, "kind": kind if kind in BroadcastKind.values else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = broadcasts.send_broadcast(
                by=user, kind=data["kind"], recipients=data["recipients"], subject=data["subject"],
                text=data["text"], language=data["language"], category=data.get("category") or "",
                codes=form.codes(), purpose=data.get("purpose") or "", conditions=data.get("conditions") or "",
                evaluation=form.evaluation(), case=data.get("case"),
            )  # fmt: skip
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            if sent.kind == BroadcastKind.ALERT:
                messages.success(request, _("The alert has been sent; each office is asked to acknowledge it."))
            else:
                messages.success(request, _("The information has been sent."))
            return redirect("exchanges:broadcast_detail", broadcast_id=sent.pk)
    context = {"form": form, "directory_missing": directory_missing, "no_directory": NO_DIRECTORY}
    return render(request, "exchanges/broadcast_form.html", context, status=400 if request.method == "POST" else 200)


# --- one item -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One office the item went to, as its sender sees it."""

    office: str
    row: BroadcastRecipient


def _page(
    request: HttpRequest,
    user: User,
    found: Broadcast,
    *,
    bound: dict[str, forms.Form] | None = None,
    blocked: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The item's page; after a refusal, with the form as typed (``bound``) and, when H2 kept it from
    some offices (``blocked``), the consent request for the first of them ready to send."""
    bound = bound or {}
    incoming = found.side == Side.INCOMING
    offices, directory_missing = offices_to_choose(user) if incoming else ([], False)
    names = selectors.offices_by_code({found.origin, *found.recipients_named, *(blocked or [])} - {""})
    actions = forward_form = None
    if incoming:
        actions = received.received_actions(
            user, found, provider=found.origin, asked=received.consents_of(user, found), offices=offices,
            bound=bound,
            ask_initial={"kind": ConsentKind.ONWARD_TRANSMISSION, "recipient": blocked[0]} if blocked else None,
        )  # fmt: skip
    if actions is not None:
        forward_form = bound.get("forward") or ForwardForm(offices=[o for o in offices if o.code != found.origin])
        forward_form.auto_id = "id_forward_%s"
    context = {
        "found": found,
        "is_incoming": incoming,
        "is_alert": found.kind == BroadcastKind.ALERT,
        "office_name": office_name(names, found.origin) if incoming else _("your office"),
        "sent_to": [office_name(names, code) for code in found.recipients_named],
        "deliveries": [Delivery(office_name(names, row.member), row) for row in found.recipients.all()],
        "content": broadcasts.content_of(found),
        "codes": codes_with_meanings(found.handling),
        "evaluation": evaluation_in_words(found.evaluation),
        "may_open_case": found.case_id is not None and cases_visible_to(user).filter(pk=found.case_id).exists(),
        "may_acknowledge": _may_acknowledge(user, found),
        "actions": actions,
        "forward_form": forward_form,
        "blocked": [office_name(names, code) for code in blocked or []],
        "directory_missing": directory_missing,
        "no_directory": NO_DIRECTORY,
        "opened": next(iter(bound), ""),
    }
    return render(request, "exchanges/broadcast_detail.html", context, status=status)


@require_GET
@exchange_staff
def broadcast_detail_view(request: HttpRequest, broadcast_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = _found(user, broadcast_id)
    broadcasts.record_broadcast_viewed(by=user, broadcast=found)
    return _page(request, user, found)


def _forward(request: HttpRequest, user: User, found: Broadcast) -> forms.Form | None:
    """Pass the item on; None when done, else the form with the service's refusal on it."""
    offices, _missing = offices_to_choose(user)
    form = ForwardForm(request.POST, offices=[o for o in offices if o.code != found.origin])
    if form.is_valid():
        try:
            consents.forward(by=user, item=found, recipients=form.cleaned_data["recipients"],
                             note=form.cleaned_data["note"])  # fmt: skip
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            messages.success(request, _("The information has been passed on, with its provider and codes."))
            return None
    nothing_done(request, form)
    return form


def _blocked(user: User, found: Broadcast, form: forms.Form) -> list[str]:
    """The offices chosen that H2 keeps the item from: its provider has not consented to them."""
    if "H2" not in found.handling:
        return []
    chosen = getattr(form, "cleaned_data", {}).get("recipients") or []
    granted = {
        c.recipient
        for c in received.consents_of(user, found)
        if c.status == ConsentRequest.Status.GRANTED and c.kind == ConsentKind.ONWARD_TRANSMISSION
    }
    return [code for code in chosen if code not in granted]


@require_POST
@exchange_staff
def broadcast_action_view(request: HttpRequest, broadcast_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = signed_in_user(request)
    found = _found(user, broadcast_id)
    if action == "acknowledge":
        try:
            broadcasts.acknowledge(by=user, broadcast=found)
        except (DomainError, network.NetworkUnavailable) as error:
            messages.error(request, refusal(error))
            return _page(request, user, _found(user, broadcast_id), status=400)
        messages.success(request, _("Acknowledged; the sending office is told."))
        return redirect("exchanges:broadcast_detail", broadcast_id=found.pk)
    if action == "forward":
        again = _forward(request, user, found)
    else:
        again = received.take_received_action(request, user, found, action, provider=found.origin)
    if again is None:
        return redirect("exchanges:broadcast_detail", broadcast_id=found.pk)
    blocked = _blocked(user, found, again) if action == "forward" else []
    return _page(request, user, _found(user, broadcast_id), bound={action: again}, blocked=blocked, status=400)
