"""Who is told what about exchanges (in the app, and by e-mail for what cannot wait).

Called by the exchanges services inside their transactions; the words are the notifications
module's, chosen when shown in each reader's language.
"""

from __future__ import annotations

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.exchanges.lifecycle import Side, Step
from vinculo.exchanges.models import Broadcast, ConsentRequest, InformationRequest, JointTeam
from vinculo.notifications.services import link_to, notify, office_people_with

REMOTE_KINDS = {
    Step.ACKNOWLEDGE: "request.acknowledged",
    Step.ASSIGN: "request.in_progress",
    Step.ANSWER: "request.answered",
    Step.ANSWER_PARTIAL: "request.partly_answered",
    Step.REFUSE: "request.refused",
    Step.WITHDRAW: "request.withdrawn",
    "reminder": "request.reminder",
    "clarification": "request.clarification",
}


def _link(request: InformationRequest) -> str:
    return link_to("exchanges:request_detail", request.pk)


def _focal_points(office_id: int) -> list[User]:
    return office_people_with(office_id, Permission.EXCHANGE_TRIAGE)


def _holders(request: InformationRequest) -> list[User]:
    """Who looks after this office's copy: its author or assignee, else the focal points."""
    person = request.created_by if request.side == Side.OUTGOING else request.assigned_to
    return [person] if person is not None else _focal_points(request.office_id)


def request_arrived(request: InformationRequest) -> None:
    notify(people=_focal_points(request.office_id), kind="request.received", subject=request.subject,
           office=request.counterpart, link=_link(request))  # fmt: skip


def request_assigned(request: InformationRequest) -> None:
    if request.assigned_to is not None:
        notify(people=[request.assigned_to], kind="request.assigned", subject=request.subject,
               office=request.counterpart, link=_link(request))  # fmt: skip


def deadline(request: InformationRequest, people: list[User], kind: str) -> None:
    """A request due soon or escalated, in the app of the people told by e-mail (``deadlines``)."""
    notify(people=people, kind=f"request.{kind}", subject=request.subject, office=request.counterpart,
           link=_link(request))  # fmt: skip


def remote_step(request: InformationRequest, step: Step | str) -> None:
    kind = REMOTE_KINDS.get(step)
    if kind is not None:
        notify(people=_holders(request), kind=kind, subject=request.subject, office=request.counterpart,
               link=_link(request))  # fmt: skip


def broadcast_arrived(broadcast: Broadcast) -> None:
    people = office_people_with(
        broadcast.office_id, Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER, Permission.EXCHANGE_TRIAGE
    )
    kind = "alert.received" if broadcast.kind == "alert" else "information.received"
    notify(people=people, kind=kind, subject=broadcast.subject, office=broadcast.origin,
           link=link_to("exchanges:broadcast_detail", broadcast.pk))  # fmt: skip


def consent_asked(consent: ConsentRequest) -> None:
    notify(people=_focal_points(consent.office_id), kind="consent.requested", subject=consent.item_subject,
           office=consent.counterpart, link=link_to("exchanges:consent_detail", consent.pk))  # fmt: skip


def consent_answered(consent: ConsentRequest) -> None:
    people = [consent.asked_by] if consent.asked_by is not None else _focal_points(consent.office_id)
    notify(people=people, kind="consent.answered", subject=consent.item_subject, office=consent.counterpart,
           link=link_to("exchanges:consent_detail", consent.pk))  # fmt: skip


def team_formed(team: JointTeam) -> None:
    people = office_people_with(team.office_id, Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER)
    notify(people=people, kind="team.formed", subject=team.name, office=team.lead,
           link=link_to("exchanges:team_detail", team.pk))  # fmt: skip
