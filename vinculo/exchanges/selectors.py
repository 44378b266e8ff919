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
from vinculo.cases.models import Case, CaseAssignment
from vinculo.core.errors import NotFound
from vinculo.exchanges import lifecycle
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import (
    Answer,
    Broadcast,
    ConsentRequest,
    ExchangeFile,
    InformationRequest,
    JointTeam,
    RequestEvent,
    TeamItem,
)

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


def files_of(request: InformationRequest) -> QuerySet[ExchangeFile]:
    """The files that came with a request and its answers (``answer`` empty: the request's own)."""
    return request.files.order_by("created_at", "name")


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
        # Escalated: the deadline check (the worker's clock) found it overdue; it stays with the overdue.
        due_soon=[r for r in incoming if r.escalated_at is None and clock[r.pk].is_due_soon(State(r.state), now)],
        overdue=[r for r in incoming if r.escalated_at is not None or clock[r.pk].is_overdue(State(r.state), now)],
        by_counterpart=sorted(Counter(r.counterpart for r in incoming).items()),
    )


def broadcasts_visible_to(user: User) -> QuerySet[Broadcast]:
    """Spontaneous information and alerts: what the office received, for everyone who works on
    exchanges there; what it sent, for whoever sent it and the focal points."""
    if not any(user.has_permission(p) for p in (Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER,
                                                Permission.EXCHANGE_TRIAGE)):  # fmt: skip
        return Broadcast.objects.none()
    scope = Q(side=Side.INCOMING)
    if user.has_permission(Permission.EXCHANGE_TRIAGE):
        scope |= Q(side=Side.OUTGOING)
    else:
        scope |= Q(side=Side.OUTGOING, created_by=user)
    return Broadcast.objects.filter(scope, office_id=user.office_id)


def broadcast_list(user: User, *, side: str = "", kind: str = "", unacknowledged: bool = False) -> QuerySet[Broadcast]:
    broadcasts = broadcasts_visible_to(user)
    if side:
        broadcasts = broadcasts.filter(side=side)
    if kind:
        broadcasts = broadcasts.filter(kind=kind)
    if unacknowledged:
        broadcasts = broadcasts.filter(side=Side.INCOMING, acknowledged_at__isnull=True)
    return broadcasts.prefetch_related("recipients").order_by("-sent_at")


def broadcast_for(user: User, broadcast_id: uuid.UUID | str) -> Broadcast:
    found = (
        broadcasts_visible_to(user)
        .select_related("case", "created_by", "acknowledged_by")
        .prefetch_related("recipients")
        .filter(pk=broadcast_id)
        .first()
    )
    if found is None:
        raise NotFound(_not_found())
    return found


def teams_visible_to(user: User) -> QuerySet[JointTeam]:
    """The joint teams of the user's office, for everyone there who works on exchanges."""
    if not (user.has_permission(Permission.EXCHANGE_SEND) or user.has_permission(Permission.EXCHANGE_ANSWER)):
        return JointTeam.objects.none()
    return JointTeam.objects.filter(office_id=user.office_id)


def team_for(user: User, team_id: uuid.UUID | str) -> JointTeam:
    found = teams_visible_to(user).filter(pk=team_id).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def team_items(team: JointTeam) -> QuerySet[TeamItem]:
    return team.items.order_by("at", "pk")


def consents_visible_to(user: User) -> QuerySet[ConsentRequest]:
    """Consent requests: those this office asked (their asker and the focal points), and those it
    received as provider (the focal points, who answer them)."""
    mine = ConsentRequest.objects.filter(office_id=user.office_id)
    if user.has_permission(Permission.EXCHANGE_TRIAGE):
        return mine
    if user.has_permission(Permission.EXCHANGE_SEND):
        return mine.filter(side=Side.OUTGOING, asked_by=user)
    return ConsentRequest.objects.none()


def consent_list(user: User, *, side: str = "", status: str = "") -> QuerySet[ConsentRequest]:
    consents = consents_visible_to(user)
    if side:
        consents = consents.filter(side=side)
    if status:
        consents = consents.filter(status=status)
    return consents.order_by("-asked_at")


def consent_for(user: User, consent_id: uuid.UUID | str) -> ConsentRequest:
    found = consents_visible_to(user).filter(pk=consent_id).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def consents_for_items(user: User, item_kind: str, item_ids: list[uuid.UUID]) -> list[ConsentRequest]:
    """The consents this office asked for received items, whoever asked them (a grant serves the office).

    For the items' pages: what was asked, what it lifts and how it stands (one query for many items).
    """
    if not user.has_permission(Permission.EXCHANGE_SEND) and not user.has_permission(Permission.EXCHANGE_TRIAGE):
        return []
    found = ConsentRequest.objects.filter(
        office_id=user.office_id, side=Side.OUTGOING, item_kind=item_kind, item_id__in=item_ids
    )
    return list(found.order_by("asked_at"))


def cases_to_file_in(user: User) -> QuerySet[Case]:
    """The cases this person may file received information into: the cases module's rule for adding
    a document (their office's cases whose team they are on as lead or member, with ``case.edit``)."""
    from vinculo.cases.selectors import EDITING_ROLES, cases_visible_to

    if not user.has_permission(Permission.CASE_EDIT):
        return Case.objects.none()
    editing = CaseAssignment.objects.filter(user=user, role__in=EDITING_ROLES).values("case_id")
    return cases_visible_to(user).filter(pk__in=editing)


def consented_item(user: User, consent: ConsentRequest) -> Broadcast | InformationRequest | None:
    """Where the item a consent is about lives on this node, if the user may open it.

    The broadcast (received by the holder, sent by the provider), or the request whose answer it is.
    """
    holder = consent.side == Side.OUTGOING
    if consent.item_kind == ConsentRequest.ItemKind.BROADCAST:
        side = Side.INCOMING if holder else Side.OUTGOING
        return broadcasts_visible_to(user).filter(exchange_id=consent.item_id, side=side).first()
    side = Side.OUTGOING if holder else Side.INCOMING
    return requests_visible_to(user).filter(answers__answer_id=consent.item_id, side=side).first()


def received_item(user: User, item_kind: str, item_id: uuid.UUID | str) -> Answer | Broadcast:
    """An answer to one of the user's visible requests (by its answer_id) or a visible broadcast (by id)."""
    if item_kind == "answer":
        answer = (
            Answer.objects.select_related("request")
            .filter(answer_id=item_id, request__in=requests_visible_to(user))
            .first()
        )
        if answer is not None:
            return answer
    elif item_kind == "broadcast":
        broadcast = broadcasts_visible_to(user).filter(pk=item_id).first()
        if broadcast is not None:
            return broadcast
    raise NotFound(_not_found())


def assignable_people(user: User) -> QuerySet[User]:
    """The people of the office who may answer requests (for the focal point's choice)."""
    people = User.objects.filter(office_id=user.office_id, is_active=True).order_by("full_name")
    return people.filter(pk__in=[p.pk for p in people if p.has_permission(Permission.EXCHANGE_ANSWER)])


# --- for the pages: names, whom to ask, deadlines, what a person may do, delivery evidence ------


def offices_by_code(codes: set[str] | list[str]) -> dict[str, Any]:
    """The offices named by ``codes`` (one query), for their names in the reader's language."""
    from vinculo.accounts.models import Office

    return {office.code: office for office in Office.objects.filter(code__in=set(codes))}


@dataclass(frozen=True)
class OfficeToAsk:
    code: str
    name: str


def offices_to_ask(user: User) -> list[OfficeToAsk]:
    """The offices a request may go to: the directory's active office members except this one.

    Asked through the messaging's door to the directory (``network.peer``), which the services
    ask too, so the form offers exactly what sending accepts. Raises ``NetworkUnavailable``
    when this node holds no directory in force.
    """
    from vinculo.accounts.models import Office
    from vinculo.messaging import network

    offices = Office.objects.filter(is_hub=False).exclude(pk=user.office_id).order_by("code")
    found = []
    for office in offices:
        member = network.peer(office.code)
        if member is not None and member.status == "active" and "office" in getattr(member, "roles", ("office",)):
            found.append(OfficeToAsk(code=office.code, name=office.name))
    return found


def deadlines() -> dict[str, int]:
    """Seconds to answer per urgency, from the network policy in force (the MoU's defaults without one)."""
    from vinculo.federation import directory
    from vinculo.federation.directory_format import DEFAULT_DEADLINE_SECONDS

    try:
        policy = directory.in_force().policy
    except directory.DirectoryUnavailable:
        return dict(DEFAULT_DEADLINE_SECONDS)
    return {urgency.value: int(policy.deadline(urgency.value)) for urgency in lifecycle.Urgency}


# What a person may do on a request, beyond the lifecycle's steps: reminders and clarifications.
REMIND = "remind"
DISCARD = "discard"  # a draft, deleted before it is sent
CLARIFY = "clarify"


def steps_for(user: User, request: InformationRequest) -> frozenset[str]:
    """The steps ``user`` may take now on ``request`` (lifecycle steps, ``remind``, ``clarify``).

    The services check the same rules under a row lock; this only decides which forms a page
    offers.
    """
    if request.office_id != user.office_id:
        return frozenset()
    state = State(request.state)
    triage = user.has_permission(Permission.EXCHANGE_TRIAGE)
    if request.side == Side.OUTGOING:
        may = user.has_permission(Permission.EXCHANGE_SEND) and (request.created_by_id == user.pk or triage)
        if not may:
            return frozenset()
        steps = {str(step) for step in lifecycle.available_steps(state, side=Side.OUTGOING)}
        if state == State.DRAFT:
            steps.add(DISCARD)
        if state in lifecycle.OPEN:
            steps |= {REMIND, CLARIFY}
        return frozenset(steps)
    answering = user.has_permission(Permission.EXCHANGE_ANSWER) and (
        request.assigned_to_id in (None, user.pk) or triage
    )
    desk_steps = {lifecycle.Step.ACKNOWLEDGE, lifecycle.Step.ASSIGN}
    steps = {
        str(step)
        for step in lifecycle.available_steps(state, side=Side.INCOMING)
        if (triage if step in desk_steps else answering)
    }
    if state in lifecycle.OPEN and answering:
        steps.add(CLARIFY)
    return frozenset(steps)


@dataclass(frozen=True)
class Delivery:
    """How one message of a request travelled: sent from here (with the peer's receipt) or received here."""

    message_id: uuid.UUID
    outgoing: bool
    status: str  # outgoing: pending, delivered, failed; incoming: received
    at: datetime | None  # the receipt stored (outgoing), the envelope accepted (incoming)
    sender: str = ""  # incoming: the member that sent it


def deliveries_of(request: InformationRequest, events: list[RequestEvent]) -> dict[uuid.UUID, Delivery]:
    """The delivery evidence of the messages named in a request's timeline (two queries at most).

    A step taken here left in a message of this node's outbox, and the request's delivery is
    recorded under the message that carried it; a step from the other office arrived in the inbox.
    """
    from vinculo.messaging.models import InboundMessage, OutboundMessage

    sent_ids: set[uuid.UUID] = set()
    received_ids: set[uuid.UUID] = set()
    for event in events:
        if event.message_id is None:
            continue
        here = event.by_user_id is not None or (event.step == "deliver" and request.side == Side.OUTGOING)
        (sent_ids if here else received_ids).add(event.message_id)
    found: dict[uuid.UUID, Delivery] = {}
    if sent_ids:
        for message_id, status, delivered_at in OutboundMessage.objects.filter(id__in=sent_ids).values_list(
            "id", "status", "delivered_at"
        ):
            found[message_id] = Delivery(message_id, outgoing=True, status=status, at=delivered_at)
    if received_ids:
        for message_id, received_at in InboundMessage.objects.filter(
            sender=request.counterpart, message_id__in=received_ids
        ).values_list("message_id", "received_at"):
            found[message_id] = Delivery(
                message_id, outgoing=False, status="received", at=received_at, sender=request.counterpart
            )
    return found


def counterparts_of(user: User) -> set[str]:
    """The other offices of the requests this user may see (for the list's filter)."""
    return set(requests_visible_to(user).order_by().values_list("counterpart", flat=True).distinct())
