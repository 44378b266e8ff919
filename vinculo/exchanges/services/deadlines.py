"""Deadlines of incoming requests: remind whoever holds one before it is due, escalate it once when overdue.

Run by the worker (``vinculo exchanges deadlines``, or every pass of a periodic task). Each
reminder and each escalation is recorded once (``reminded_at``, ``escalated_at``), in the
request's timeline and the audit trail, and told to the people concerned by e-mail; running it
again sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.exchanges import lifecycle
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import InformationRequest, RequestEvent
from vinculo.exchanges.services import notices

DUE_SOON_SUBJECT = _("Vínculo: an information request is due soon")
OVERDUE_SUBJECT = _("Vínculo: an information request is overdue")
DUE_SOON_BODY = _("The request “%(subject)s” from %(office)s is due on %(due)s (UTC). Open Vínculo to answer it.")
OVERDUE_BODY = _(
    "The request “%(subject)s” from %(office)s was due on %(due)s (UTC) and has not been answered."
    " It has been escalated to the focal points of your office."
)


@dataclass(frozen=True)
class Checked:
    reminded: int
    escalated: int


def check_deadlines(*, now: datetime) -> Checked:
    """Remind and escalate what is due; returns how many of each were done."""
    reminded = escalated = 0
    open_incoming = InformationRequest.objects.filter(
        side=Side.INCOMING, state__in=[s.value for s in lifecycle.OPEN], due_at__isnull=False
    )
    for request in open_incoming.filter(escalated_at__isnull=True).select_related("assigned_to", "office"):
        clock = lifecycle.Clock(request.sent_at or request.created_at, request.deadline_seconds)
        state = State(request.state)
        if lifecycle.escalation_due(clock, state, now, escalated=False):
            escalated += _escalate(request, now)
        elif request.reminded_at is None and clock.is_due_soon(state, now):
            reminded += _remind(request, now)
    return Checked(reminded=reminded, escalated=escalated)


@transaction.atomic
def _remind(request: InformationRequest, now: datetime) -> int:
    locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.reminded_at is not None:
        return 0
    InformationRequest.objects.filter(pk=request.pk).update(reminded_at=now)
    RequestEvent.objects.create(request=locked, step="due_soon", state_after=locked.state, changed_state=False, at=now)
    audit.record(action="exchange.request_due_soon", actor=None, target=locked)
    people = [locked.assigned_to] if locked.assigned_to else _focal_points(locked)
    _tell(people, "due_soon", locked)
    return 1


@transaction.atomic
def _escalate(request: InformationRequest, now: datetime) -> int:
    locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.escalated_at is not None:
        return 0
    InformationRequest.objects.filter(pk=request.pk).update(escalated_at=now)
    RequestEvent.objects.create(
        request=locked, step="escalation", state_after=locked.state, changed_state=False, at=now
    )
    audit.record(action="exchange.request_escalated", actor=None, target=locked)
    people = _focal_points(locked)
    if locked.assigned_to is not None and locked.assigned_to not in people:
        people.append(locked.assigned_to)
    _tell(people, "overdue", locked)
    return 1


def _focal_points(request: InformationRequest) -> list[User]:
    office_people = User.objects.filter(office_id=request.office_id, is_active=True).order_by("pk")
    return [person for person in office_people if person.has_permission(Permission.EXCHANGE_TRIAGE)]


def _tell(people: list[User], kind: str, request: InformationRequest) -> None:
    notices.deadline(request, people, kind)
    request_id = str(request.pk)
    for person in people:
        if person.email:
            transaction.on_commit(partial(send_deadline_notice.enqueue, person.pk, request_id, kind))


@task()
def send_deadline_notice(user_id: int, request_id: str, kind: str) -> bool:
    """E-mail one deadline notice in the person's language; False when there is nobody to write to."""
    person = User.objects.filter(pk=user_id, is_active=True).first()
    request = InformationRequest.objects.filter(pk=request_id).first()
    if person is None or not person.email or request is None:
        return False
    subject, body = (DUE_SOON_SUBJECT, DUE_SOON_BODY) if kind == "due_soon" else (OVERDUE_SUBJECT, OVERDUE_BODY)
    with translation.override(person.language or "es"):
        text = str(body) % {
            "subject": request.subject,
            "office": request.counterpart,
            "due": request.due_at.strftime("%Y-%m-%d %H:%M") if request.due_at else "",
        }
        send_mail(str(subject), f"{text}\n\nVínculo {settings.NODE_ID}", settings.DEFAULT_FROM_EMAIL, [person.email])
    return True
