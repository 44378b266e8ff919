"""Notifications: one per person and event, e-mailed when urgent, shown in the reader's language, private."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.services import requests
from vinculo.exchanges.tests.test_requests import copies, deliver_all, draft
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.notifications import selectors, services
from vinculo.notifications.models import Notification

pytestmark = pytest.mark.django_db


def at_once() -> mock._patch:  # type: ignore[type-arg]
    """Run on-commit work at once (tests run inside a transaction that never commits)."""
    return mock.patch.object(transaction, "on_commit", lambda callback, *args, **kwargs: callback())


def sign_in(client: Client, user: User) -> None:
    client.force_login(user)


def test_each_person_is_told_once_and_urgent_kinds_are_emailed(prosecutor: User, colleague: User) -> None:
    prosecutor.email = "ana@sv.example"
    prosecutor.save()
    colleague.email = ""
    colleague.save()
    with at_once():
        created = services.notify(
            people=[prosecutor, prosecutor, colleague], kind="alert.received", subject="Niña en riesgo", office="GT-MP"
        )
    assert len(created) == 2
    assert [m.to for m in mail.outbox] == [["ana@sv.example"]]  # the colleague has no address
    assert "ALERTA" in mail.outbox[0].subject or "ALERT" in mail.outbox[0].subject
    with at_once():
        services.notify(people=[prosecutor], kind="team.posted", subject="Equipo", office="GT-MP")
    assert len(mail.outbox) == 1  # not urgent: in the app only
    with pytest.raises(ValueError, match="unknown notification kind"):
        services.notify(people=[prosecutor], kind="no.such.kind", subject="x", office="y")


def test_the_list_is_private_and_opening_marks_read(client: Client, prosecutor: User, colleague: User) -> None:
    mine = services.notify(
        people=[prosecutor], kind="request.received", subject="Movimientos", office="GT-MP", link="/exchanges/"
    )[0]
    theirs = services.notify(people=[colleague], kind="request.received", subject="Otro asunto", office="HN-MP")[0]
    sign_in(client, prosecutor)
    page = client.get("/notifications/")
    assert page.status_code == 200
    text = page.content.decode()
    # The office by its name in the reader's language, not its code.
    assert f"Nueva solicitud de información de {Office.objects.get(code='GT-MP').name_es}: Movimientos" in text
    assert "Otro asunto" not in text
    assert "1 sin leer" in client.get("/notifications/badge").content.decode()
    assert client.post(f"/notifications/{theirs.pk}/open").status_code == 404
    opened = client.post(f"/notifications/{mine.pk}/open")
    assert opened.status_code == 302
    assert opened["Location"] == "/exchanges/"
    assert selectors.unread_count(prosecutor) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "sin leer" not in client.get("/notifications/badge").content.decode()


def test_a_link_elsewhere_is_never_followed(client: Client, prosecutor: User) -> None:
    sneaky = services.notify(
        people=[prosecutor], kind="request.received", subject="x", office="GT-MP", link="https://example.org/"
    )[0]
    sign_in(client, prosecutor)
    assert client.post(f"/notifications/{sneaky.pk}/open")["Location"] == "/notifications/"


def test_exchanges_tell_the_right_people(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    gt_fiscal = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    assert list(Notification.objects.filter(user=gt_desk).values_list("kind", flat=True)) == ["request.received"]
    with net.as_node("GT-MP"):
        incoming = requests.assign(by=gt_desk, request=incoming, expected_version=incoming.version, to=gt_fiscal)
        requests.answer(by=gt_fiscal, request=incoming, expected_version=incoming.version, text="Sí.", is_complete=True)
    deliver_all(net)
    assert list(Notification.objects.filter(user=gt_fiscal).values_list("kind", flat=True)) == ["request.assigned"]
    told = sorted(Notification.objects.filter(user=prosecutor).values_list("kind", flat=True))
    assert told == ["request.answered", "request.in_progress"]


def test_an_alert_notification_links_to_the_alert(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    from vinculo.exchanges.models import Broadcast
    from vinculo.exchanges.services import broadcasts
    from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere

    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    with net.as_node("SV-FGR"):
        broadcasts.send_broadcast(
            by=prosecutor, kind="alert", recipients=["GT-MP"], category="route", subject="Ruta nueva", text="Texto."
        )
    deliver_everywhere(net)
    received = Broadcast.objects.get(office__code="GT-MP")
    told = Notification.objects.get(user=gt_desk)
    assert told.kind == "alert.received"
    assert told.link == f"/exchanges/broadcasts/{received.pk}/"


def test_a_notification_links_to_a_named_page_and_to_nothing_when_there_is_no_such_page() -> None:
    assert services.link_to("matching:crossmatch") == "/matching/crossmatch"
    assert services.link_to("matching:hit_detail", 7) == "/matching/hits/7"
    assert services.link_to("exchanges:no_such_page", 7) == ""
