"""Who sees which case file: the permission rules of the registry, with personas."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases import selectors
from vinculo.cases.services import case_files as services
from vinculo.cases.tests.factories import open_case


@pytest.fixture
def foreign_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


def _detail(case) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def test_the_lead_sees_their_case_and_reading_it_is_audited(client: Client, prosecutor: User) -> None:
    case = open_case(prosecutor)
    client.force_login(prosecutor)
    assert client.get(_detail(case)).status_code == 200
    assert AuditEntry.objects.filter(action="case.viewed", target_id=str(case.pk), actor=prosecutor).count() == 1


def test_a_team_case_is_invisible_to_a_colleague_outside_the_team(
    client: Client, prosecutor: User, colleague: User
) -> None:
    case = open_case(prosecutor)
    client.force_login(colleague)
    assert client.get(_detail(case)).status_code == 404
    assert case.national_number not in client.get(reverse("cases:case_list")).content.decode()


def test_an_office_case_is_visible_to_colleagues_and_the_focal_point(
    client: Client, prosecutor: User, colleague: User, focal_point: User
) -> None:
    case = open_case(prosecutor, visibility="office")
    for person in (colleague, focal_point):
        assert case in selectors.cases_visible_to(person)
    client.force_login(colleague)
    assert client.get(_detail(case)).status_code == 200
    assert client.get(reverse("cases:case_edit", args=[case.pk])).status_code == 403, "seeing is not editing"


def test_another_offices_prosecutor_never_sees_it(prosecutor: User, foreign_prosecutor: User) -> None:
    case = open_case(prosecutor, visibility="office")
    assert not selectors.cases_visible_to(foreign_prosecutor).exists()
    client = Client()
    client.force_login(foreign_prosecutor)
    assert client.get(_detail(case)).status_code == 404


def test_judges_and_victim_care_see_only_cases_they_are_assigned(
    prosecutor: User, judge: User, victim_care: User
) -> None:
    assigned = open_case(prosecutor, visibility="office")
    other = open_case(prosecutor, visibility="office")
    services.assign(by=prosecutor, case=assigned, person=judge, role="judge")
    services.assign(by=prosecutor, case=assigned, person=victim_care, role="victim_care")
    for person in (judge, victim_care):
        visible = set(selectors.cases_visible_to(person))
        assert visible == {assigned}, person.username
        assert other not in visible


def test_judges_read_but_never_edit(client: Client, prosecutor: User, judge: User) -> None:
    case = open_case(prosecutor)
    services.assign(by=prosecutor, case=case, person=judge, role="judge")
    client.force_login(judge)
    assert client.get(_detail(case)).status_code == 200
    assert client.get(reverse("cases:case_edit", args=[case.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["analyst", "node_admin", "auditor", "trainer"])
def test_roles_without_case_access_are_refused(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("cases:case_list")).status_code == 403
    assert client.get(reverse("cases:case_create")).status_code == 403


def test_a_malformed_case_id_is_simply_not_found(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    assert client.get("/cases/not-a-uuid/").status_code == 404


def test_the_list_stays_within_a_query_budget(client: Client, prosecutor: User, django_assert_max_num_queries) -> None:
    for _ in range(30):
        open_case(prosecutor)
    client.force_login(prosecutor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:case_list"))
    assert response.status_code == 200


def test_the_list_filters_by_form_of_exploitation_and_border_crossing(client: Client, prosecutor: User) -> None:
    from vinculo.cases.services import events, exploitation, parties
    from vinculo.cases.tests.factories import code
    from vinculo.reference.models import BorderCrossing

    labour = open_case(prosecutor, "FGR-F-1")
    other = open_case(prosecutor, "FGR-F-2")
    victim = parties.add_party(
        by=prosecutor, case=labour, role=code("party_role", "VICTIM"), sex=code("sex", "F"), identity=parties.Identity()
    )
    exploitation.record_exploitation(
        by=prosecutor, party=victim, codes={"purposes": [code("exploitation_form", "FORCED_LABOUR_SERVICES")]},
        started_on=None, started_on_precision="day", ended_on=None, ended_on_precision="day", expected_version=None,
    )  # fmt: skip
    crossing = BorderCrossing.objects.get(code="SLV-HND-02")
    events.add_event(
        by=prosecutor, case=other, event_type=code("event_type", "BORDER_CROSSING"), occurred_on=None,
        occurred_on_precision="day", country=None, place="", border_crossing=crossing,
    )  # fmt: skip
    client.force_login(prosecutor)
    by_form = client.get(reverse("cases:case_list"), {"exploitation_form": "FORCED_LABOUR_SERVICES"}).content.decode()
    assert "FGR-F-1" in by_form
    assert "FGR-F-2" not in by_form
    by_crossing = client.get(reverse("cases:case_list"), {"border_crossing": "SLV-HND-02"}).content.decode()
    assert "FGR-F-2" in by_crossing
    assert "FGR-F-1" not in by_crossing
