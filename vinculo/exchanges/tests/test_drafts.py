"""A draft request can be changed and discarded until it is sent, in the pages and through the API; never after."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.versioning import CHANGED_MEANWHILE
from vinculo.exchanges.lifecycle import State
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services import requests
from vinculo.exchanges.tests.test_pages import compose, es
from vinculo.exchanges.tests.test_requests import deliver_all, draft
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_draft_is_changed_in_its_page_then_sent_as_changed(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    sv = _signed_in(prosecutor)
    with net.as_node("SV-FGR"):
        saved = sv.post(reverse("exchanges:request_create"), compose(then="draft"))
        assert saved.status_code == 302
        found = InformationRequest.objects.get()
        edit = reverse("exchanges:request_edit", args=[found.pk])
        page = sv.get(edit)
        assert page.status_code == 200
        assert page.context["form"].initial["items"] == "Entradas y salidas por El Florido\nDocumento de viaje usado"
        assert edit in sv.get(reverse("exchanges:request_detail", args=[found.pk])).content.decode()
        changed = sv.post(
            edit,
            compose(version=found.version, subject="Movimientos migratorios (corregido)", items="Solo El Florido",
                    urgency="urgent", then="send"),
        )  # fmt: skip
        assert changed.status_code == 302
    found.refresh_from_db()
    assert (found.subject, found.urgency, found.state) == ("Movimientos migratorios (corregido)", "urgent", State.SENT)
    assert requests.content_of(found)["items"] == ["Solo El Florido"]
    assert OutboundMessage.objects.count() == 1  # editing sends nothing; sending sends once
    assert AuditEntry.objects.filter(action="exchange.request_draft_edited", actor=prosecutor).count() == 1
    deliver_all(net)
    incoming = InformationRequest.objects.exclude(pk=found.pk).get()
    assert (incoming.subject, requests.content_of(incoming)["items"]) == (found.subject, ["Solo El Florido"])


def test_a_stale_edit_is_refused_and_changes_nothing(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    sv = _signed_in(prosecutor)
    with net.as_node("SV-FGR"):
        found = requests.create_draft(by=prosecutor, draft=draft())
        requests.edit_draft(by=prosecutor, request=found, expected_version=found.version, draft=draft(subject="Dos"))
        stale = sv.post(
            reverse("exchanges:request_edit", args=[found.pk]),
            compose(version=found.version, subject="Tres", then="draft"),
        )
    assert stale.status_code == 400
    assert es(CHANGED_MEANWHILE) in stale.content.decode()
    found.refresh_from_db()
    assert found.subject == "Dos"


def test_a_draft_is_discarded_and_the_trail_keeps_that_it_existed(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    sv = _signed_in(prosecutor)
    with net.as_node("SV-FGR"):
        found = requests.create_draft(by=prosecutor, draft=draft())
        response = sv.post(reverse("exchanges:request_step", args=[found.pk, "discard"]), {"version": found.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("exchanges:request_list")
    assert not InformationRequest.objects.exists()
    entry = AuditEntry.objects.get(action="exchange.request_draft_discarded")
    assert (entry.actor_id, entry.target_id) == (prosecutor.pk, str(found.pk))
    assert not OutboundMessage.objects.exists()


def test_once_sent_a_request_is_neither_changed_nor_discarded(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    sv = _signed_in(prosecutor)
    with net.as_node("SV-FGR"):
        found = requests.create_draft(by=prosecutor, draft=draft())
        found = requests.send_request(by=prosecutor, request=found, expected_version=found.version)
        for attempt in (
            lambda: requests.edit_draft(by=prosecutor, request=found, expected_version=found.version, draft=draft()),
            lambda: requests.discard_draft(by=prosecutor, request=found, expected_version=found.version),
        ):
            with pytest.raises(DomainError) as refused:
                attempt()
            assert refused.value.code == "not_a_draft"
        page = sv.get(reverse("exchanges:request_edit", args=[found.pk]))
        assert page.status_code == 302
        discard = sv.post(reverse("exchanges:request_step", args=[found.pk, "discard"]), {"version": found.version})
        assert discard.status_code == 400
    found.refresh_from_db()
    assert found.state == State.SENT


def test_only_its_writer_or_the_focal_point_changes_a_draft(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    colleague = UserFactory(username="sv.otro", office_code="SV-FGR", roles=[Role.PROSECUTOR], with_totp=True)
    desk = UserFactory(username="sv.enlace", office_code="SV-FGR", roles=[Role.FOCAL_POINT], with_totp=True)
    with net.as_node("SV-FGR"):
        found = requests.create_draft(by=prosecutor, draft=draft())
        with pytest.raises(AccessDenied):
            requests.discard_draft(by=colleague, request=found, expected_version=found.version)
        requests.edit_draft(by=desk, request=found, expected_version=found.version, draft=draft(subject="Revisado"))
    found.refresh_from_db()
    assert found.subject == "Revisado"


def test_the_api_changes_and_discards_drafts(client: Client, net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    from vinculo.exchanges.tests.test_api import token_for

    headers = token_for(prosecutor)
    body = {
        "counterpart": "GT-MP", "request_type": "identification", "subject": "Identificación", "legal_basis": "MoU",
        "urgency": "normal", "text": "Identificar a la persona.", "items": ["Nombre completo"],
    }  # fmt: skip
    with net.as_node("SV-FGR"):
        created = client.post("/api/v1/exchanges/requests", body, content_type="application/json", headers=headers)
        assert created.status_code == 201
        found = created.json()
        changed = client.put(
            f"/api/v1/exchanges/requests/{found['id']}",
            {**body, "subject": "Identificación (2)", "version": found["version"]},
            content_type="application/json",
            headers=headers,
        )
        assert changed.status_code == 200, changed.content
        assert changed.json()["subject"] == "Identificación (2)"
        stale = client.delete(f"/api/v1/exchanges/requests/{found['id']}?version={found['version']}", headers=headers)
        assert stale.status_code == 400
        gone = client.delete(
            f"/api/v1/exchanges/requests/{found['id']}?version={changed.json()['version']}", headers=headers
        )
        assert gone.status_code == 204
    assert not InformationRequest.objects.exists()
