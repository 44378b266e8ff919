"""Reading and correcting reference data, with personas."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference import services
from vinculo.reference.models import BorderCrossing

EDIT = reverse("reference:crossing_edit", args=["GTM-SLV-01"])


def _form(crossing: BorderCrossing, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": crossing.name,
        "kind": crossing.kind,
        "latitude": crossing.latitude,
        "longitude": crossing.longitude,
        "notes": crossing.notes,
        "is_active": "on",
        "version": crossing.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("persona", ["prosecutor", "analyst", "node_admin"])
def test_everyone_signed_in_may_read(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reference:index")).status_code == 200
    page = client.get(reverse("reference:crossing_list")).content.decode()
    assert "Pedro de Alvarado" in page
    assert ("/reference/crossings/GTM-SLV-01/" in page) is (persona == "node_admin")


def test_anonymous_visitors_may_not_read(client: Client, db: None) -> None:
    assert client.get(reverse("reference:crossing_list")).status_code == 302


def test_filter_by_country_and_verification(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    page = client.get(reverse("reference:crossing_list"), {"country": "BZ"}).content.decode()
    assert "Melchor de Mencos" in page
    assert "Peñas Blancas" not in page
    rows = client.get(reverse("reference:crossing_list"), {"verified": "yes"}, headers={"HX-Request": "true"})
    assert "<html" not in rows.content.decode()
    assert "Pedro de Alvarado" not in rows.content.decode()


def test_only_administrators_correct(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    assert client.post(EDIT, _form(crossing, coordinates_verified="on")).status_code == 403
    crossing.refresh_from_db()
    assert not crossing.coordinates_verified
    with pytest.raises(AccessDenied):
        services.update_border_crossing(
            by=prosecutor,
            crossing=crossing,
            name="x",
            kind=crossing.kind,
            latitude=None,
            longitude=None,
            notes="",
            coordinates_verified=False,
            is_active=True,
            expected_version=crossing.version,
        )


def test_administrator_verifies_coordinates(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    response = client.post(EDIT, _form(crossing, latitude="13.86120", coordinates_verified="on"))
    assert response.status_code == 302
    crossing.refresh_from_db()
    assert crossing.coordinates_verified
    assert crossing.latitude == Decimal("13.86120")
    assert crossing.edited_on_node
    assert crossing.updated_by == node_admin
    entry = AuditEntry.objects.get(action="reference.crossing_updated")
    assert entry.data == {"code": "GTM-SLV-01", "fields": ["coordinates_verified", "latitude"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"latitude": "95"}, "latitude"), ({"longitude": "-200"}, "longitude"), ({"kind": "teleport"}, "kind")],
)
def test_bad_corrections_are_refused(client: Client, node_admin: User, changes: dict[str, str], field: str) -> None:
    client.force_login(node_admin)
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    response = client.post(EDIT, _form(crossing, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not BorderCrossing.objects.get(code="GTM-SLV-01").edited_on_node


def test_verified_needs_coordinates(node_admin: User) -> None:
    crossing = BorderCrossing.objects.get(code="PAN-COL-02")
    with pytest.raises(DomainError):
        services.update_border_crossing(
            by=node_admin,
            crossing=crossing,
            name=crossing.name,
            kind=crossing.kind,
            latitude=None,
            longitude=None,
            notes="",
            coordinates_verified=True,
            is_active=True,
            expected_version=crossing.version,
        )


def test_a_save_over_someone_elses_change_is_refused(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    stale = _form(crossing, notes="first editor")
    fresh = _form(crossing, notes="second editor")
    assert client.post(EDIT, fresh).status_code == 302
    response = client.post(EDIT, stale)
    assert response.status_code == 400
    assert BorderCrossing.objects.get(code="GTM-SLV-01").notes == "second editor"


def test_administrator_rewords_a_code_and_a_reload_keeps_it(client: Client, node_admin: User) -> None:
    from vinculo.reference import loading
    from vinculo.reference.models import Code

    client.force_login(node_admin)
    code = Code.objects.get(code_list__key="stage", code="TRIAL")
    url = reverse("reference:code_edit", args=["stage", "TRIAL"])
    response = client.post(
        url,
        {
            "label_es": "Debate oral y público",
            "label_en": code.label_en,
            "definition_es": code.definition_es,
            "definition_en": code.definition_en,
            "is_active": "on",
            "version": code.version,
        },
    )
    assert response.status_code == 302
    loading.load_reference_data()
    code.refresh_from_db()
    assert code.label_es == "Debate oral y público"
    assert code.edited_on_node
    assert AuditEntry.objects.filter(action="reference.code_updated").count() == 1


def test_code_lists_are_readable_by_a_prosecutor(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    page = client.get(reverse("reference:code_list", args=["exploitation_form"])).content.decode()
    assert "Explotación sexual" in page
    assert "02041" in page
    assert "/reference/codes/exploitation_form/SEXUAL_EXPLOITATION/" not in page
    assert client.get(reverse("reference:code_edit", args=["stage", "TRIAL"])).status_code == 403


def test_the_edit_page_carries_a_version_that_round_trips(client: Client, node_admin: User) -> None:
    import re

    client.force_login(node_admin)
    page = client.get(EDIT).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    response = client.post(EDIT, {**_form(crossing, notes="checked"), "version": version.group(1)})
    assert response.status_code == 302
    assert BorderCrossing.objects.get(code="GTM-SLV-01").version == crossing.version + 1
