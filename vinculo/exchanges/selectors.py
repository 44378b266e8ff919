"""Who sees which requests: the only door to exchanges data.

A request belongs to one office's copy. In that office, the focal point sees every request
(the desk); a prosecutor sees the requests they drafted or sent, and the incoming ones assigned
to them; nobody else sees any. Another office's copy is never visible, whatever the id.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.core.errors import NotFound
from vinculo.exchanges import lifecycle
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import Answer, InformationRequest, RequestEvent

OPEN_STATES = [state.value for state in lifecycle.OPEN]


def requests_visible_to(user: User) -> QuerySet[InformationRequest]:
    mine = InformationRequest.objects.filter(office_id=user.office_id)
    if user.has_permission(Permission.EXCHANGE_TRIAGE):
        return mine
    scope = Q(pk__in=[])
    if user.has_permission(Permission.EXCHANGE_SEND):
        scope |= Q(side=Side.OUTGOING, created_by=user)
    if user.has_permission(Permission.EXCHANGE_ANSWER):
        scope |= Q(side=Side.INCOMING, assigned_to=user)
    return mine.filter(scope)


def request_list(
    user: User, *, side: str = "", state: str = "", counterpart: str = "", overdue_at: datetime | None = None
) -> QuerySet[InformationRequest]:
    requests = requests_visible_to(user).select_related("assigned_to", "created_by")
    if side:
        requests = requests.filter(side=side)
    if state == "open":
        requests = requests.filter(state__in=OPEN_STATES)
    elif state:
        requests = requests.filter(state=state)
    if counterpart:
        requests = requests.filter(counterpart=counterpart)
    if overdue_at is not None:
        requests = requests.filter(state__in=OPEN_STATES, due_at__lt=overdue_at)
    return requests.order_by("due_at", "-created_at")


def request_for(user: User, request_id: uuid.UUID | str) -> InformationRequest:
    """The request, if this user may see it; ``NotFound`` otherwise (never saying which)."""
    found = requests_visible_to(user).select_related("case", "assigned_to", "created_by").filter(pk=request_id).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def _not_found() -> Any:
    from django.utils.translation import gettext_lazy as _

    return _("There is no such request, or you may not see it.")


def timeline_of(request: InformationRequest) -> QuerySet[RequestEvent]:
    return request.events.select_related("by_user").order_by("at", "id")


def answers_of(request: InformationRequest) -> QuerySet[Answer]:
    return request.answers.select_related("answered_by").order_by("at")


@dataclass(frozen=True)
class Desk:
    """The focal point's view of incoming requests."""

    to_triage: list[InformationRequest]  # delivered, nobody has acknowledged or assigned it
    due_soon: list[InformationRequest]
    overdue: list[InformationRequest]
    by_counterpart: list[tuple[str, int]]  # open incoming requests per office


def desk(user: User, *, now: datetime) -> Desk:
    incoming = list(
        request_list(user, side=Side.INCOMING, state="open").select_related(None).select_related("assigned_to")[:500]
    )
    clock = {r.pk: lifecycle.Clock(r.sent_at or r.created_at, r.deadline_seconds) for r in incoming}
    return Desk(
        to_triage=[r for r in incoming if r.state == State.DELIVERED],
        due_soon=[r for r in incoming if clock[r.pk].is_due_soon(State(r.state), now)],
        overdue=[r for r in incoming if clock[r.pk].is_overdue(State(r.state), now)],
        by_counterpart=sorted(Counter(r.counterpart for r in incoming).items()),
    )


def assignable_people(user: User) -> QuerySet[User]:
    """The people of the office who may answer requests (for the focal point's choice)."""
    people = User.objects.filter(office_id=user.office_id, is_active=True).order_by("full_name")
    return people.filter(pk__in=[p.pk for p in people if p.has_permission(Permission.EXCHANGE_ANSWER)])
