"""Telling people: a notification in the app for each person, and an e-mail for what cannot wait.

Called inside the transaction of the event; e-mails go after it commits, through the task queue,
in each person's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.notifications import selectors
from vinculo.notifications.kinds import KINDS, text_of
from vinculo.notifications.models import Notification


def notify(*, people: Iterable[User], kind: str, subject: str, office: str, link: str = "") -> list[Notification]:
    """One notification per person (each once); e-mailed when the kind says so."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    created = []
    seen: set[int] = set()
    for person in people:
        if person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        notification = Notification.objects.create(
            user=person, kind=kind, facts={"subject": subject[:160], "office": office[:32]}, link=link[:300]
        )
        created.append(notification)
        if KINDS[kind].by_email and person.email:
            transaction.on_commit(partial(send_notification_email.enqueue, notification.pk))
    return created


def link_to(name: str, *args: object) -> str:
    """The link a notification carries: the path of a named page.

    Empty if the page is not installed, so that a notification never stops the event it tells of
    (it is made inside that event's transaction, often while a message from another office is handled).
    """
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # each module installs its pages with it
        return ""


def office_people_with(office_id: int, *permissions: Permission) -> list[User]:
    """The active people of an office holding any of ``permissions`` (who to tell about an arrival)."""
    people = User.objects.filter(office_id=office_id, is_active=True).order_by("pk")
    return [person for person in people if any(person.has_permission(p) for p in permissions)]


@task()
def send_notification_email(notification_id: int) -> bool:
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.email or notification.emailed:
        return False
    person = notification.user
    with translation.override(person.language or "es"):
        text = text_of(notification.kind, notification.facts, selectors.office_names([notification]))
        body = "\n\n".join([text, _("Open Vínculo to see it."), f"Vínculo {settings.NODE_ID}"])
        send_mail(f"Vínculo: {text}"[:200], body, settings.DEFAULT_FROM_EMAIL, [person.email])
    Notification.objects.filter(pk=notification_id).update(emailed=True)
    return True


def mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
