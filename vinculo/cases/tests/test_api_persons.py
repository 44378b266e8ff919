"""People in cases over the API: a national system reads and adds parties with a token, under the web's rules.

Identities are never listed; a reveal is one audited call, with a reason for a victim. Searching
people covers only the cases the token's account may see, and a bad payload stores nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.services import api_tokens
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case, CaseParty, IdentityIndexEntry, Person, PersonIdentity
from vinculo.cases.services import case_files, parties
from vinculo.cases.tests.factories import code, open_case
from vinculo.reference.models import Country

CHILD = parties.Identity(
    given_names="María José",
    first_surname="López",
    second_surname="Hernández",
    birth_date="2009-04-12",
    document_numbers="DUI 01234567-8",
    phones="+503 7000 0000",
)

NEW_PERSON: dict[str, Any] = {
    "role": "VICTIM",
    "sex": "F",
    "age_at_identification": 24,
    "identification_status": "IDENTIFIED",
    "citizenships": ["gt", "SV"],
    "identity": {
        "given_names": " Rosa Elena ",
        "first_surname": "Quiñónez",
        "birth_date": "2001-08-30",
        "document_numbers": "DPI 2345 67890 0101",
        "phones": "+502 5555 0101",
    },
}


def _bearer(user: User) -> dict[str, str]:
    _token, secret = api_tokens.create_token(by=None, user=user, name=f"system of {user.username}")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def case_with_people(prosecutor: User, victim_care: User, judge: User) -> tuple[Case, CaseParty, CaseParty, CaseParty]:
    """A team-only case of SV led by ``prosecutor``, with victim care and a judge assigned."""
    case = open_case(prosecutor)
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    case_files.assign(by=prosecutor, case=case, person=judge, role="judge")
    child = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", "F"),
        identity=CHILD,
        citizenships=[Country.objects.get(iso2="SV")],
        age_at_identification=16,
        identification_status=code("identification_status", "IDENTIFIED"),
    )
    adult = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="José", first_surname="Pérez"),
        age_at_identification=30,
    )
    suspect = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "SUSPECT"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez", phones="7111 2222"),
        birth_year=1980,
    )
    return case, child, adult, suspect


def _stored_counts() -> tuple[int, int, int, int, int]:
    return (
        Person.objects.count(),
        PersonIdentity.objects.count(),
        IdentityIndexEntry.objects.count(),
        CaseParty.objects.count(),
        AuditEntry.objects.filter(action="case.party_added").count(),
    )


# Reading the people of a case


def test_the_team_reads_the_parties_without_identities_and_the_read_is_audited(
    client: Client, case_with_people, prosecutor: User
) -> None:
    case, child, _adult, suspect = case_with_people
    response = client.get(f"/api/v1/cases/{case.pk}/parties", headers=_bearer(prosecutor))
    assert response.status_code == 200, response.content
    body = response.json()
    assert [party["id"] for party in body] == [child.pk, _adult.pk, suspect.pk]
    first = body[0]
    assert first["role"] == "VICTIM"
    assert first["identification_status"] == "IDENTIFIED"
    assert first["is_victim"] is True
    assert first["is_child"] is True
    assert first["person"] == {"id": str(child.person_id), "sex": "F", "birth_year": 2009, "citizenships": ["SV"]}
    assert body[2]["identification_status"] is None
    assert body[2]["person"]["birth_year"] == 1980
    text = response.content.decode()
    for secret in ("López", "Lopez", "01234567", "Ramírez", "7000", "2009-04-12"):
        assert secret not in text, secret
    assert AuditEntry.objects.filter(action="case.viewed", actor=prosecutor, target_id=str(case.pk)).exists()


def test_victim_care_reads_only_the_victims_and_a_judge_reads_everyone(
    client: Client, case_with_people, victim_care: User, judge: User
) -> None:
    case, child, adult, suspect = case_with_people
    for_victim_care = client.get(f"/api/v1/cases/{case.pk}/parties", headers=_bearer(victim_care)).json()
    assert {party["id"] for party in for_victim_care} == {child.pk, adult.pk}
    for_judge = client.get(f"/api/v1/cases/{case.pk}/parties", headers=_bearer(judge)).json()
    assert {party["id"] for party in for_judge} == {child.pk, adult.pk, suspect.pk}


def test_another_team_and_another_office_see_nobody(
    client: Client, case_with_people, prosecutor: User, colleague: User
) -> None:
    case, child, _adult, _suspect = case_with_people
    guatemala = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR])
    guatemalan_case = open_case(guatemala)
    traveller = parties.add_party(
        by=guatemala,
        case=guatemalan_case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", "F"),
        identity=CHILD,
        age_at_identification=16,
    )
    for outsider, theirs in ((colleague, None), (guatemala, traveller)):
        headers = _bearer(outsider)
        assert client.get(f"/api/v1/cases/{case.pk}/parties", headers=headers).status_code == 404
        assert client.get(f"/api/v1/persons/{child.person_id}", headers=headers).status_code == 404
        reveal = client.post(
            f"/api/v1/cases/{case.pk}/parties/{child.pk}/identity/reveal",
            {"reason": "checking a name across offices"},
            content_type="application/json",
            headers=headers,
        )
        assert reveal.status_code == 404
        found = client.get("/api/v1/persons", {"q": "María López"}, headers=headers).json()
        assert [person["id"] for person in found["items"]] == ([str(theirs.person_id)] if theirs else [])
    assert not AuditEntry.objects.filter(action="identity.revealed").exists()
    # And SV's prosecutor finds only SV's record of the same name, never Guatemala's.
    ours = client.get("/api/v1/persons", {"q": "María López"}, headers=_bearer(prosecutor)).json()
    assert [person["id"] for person in ours["items"]] == [str(child.person_id)]
    assert client.get(f"/api/v1/persons/{traveller.person_id}", headers=_bearer(prosecutor)).status_code == 404
    assert client.get(f"/api/v1/cases/{guatemalan_case.pk}/parties", headers=_bearer(prosecutor)).status_code == 404


def test_accounts_without_case_access_are_refused_and_tokens_are_required(
    client: Client, case_with_people, analyst: User
) -> None:
    case, child, *_ = case_with_people
    urls = (
        f"/api/v1/cases/{case.pk}/parties",
        "/api/v1/persons?q=maria",
        f"/api/v1/persons/{child.person_id}",
    )
    for url in urls:
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"Authorization": "Bearer vnc_not-a-real-token"}).status_code == 401, url
        assert client.get(url, headers=_bearer(analyst)).status_code == 403, url
    before = _stored_counts()
    response = client.post(
        f"/api/v1/cases/{case.pk}/parties", NEW_PERSON, content_type="application/json", headers=_bearer(analyst)
    )
    assert response.status_code == 403
    assert (
        client.post(f"/api/v1/cases/{case.pk}/parties", NEW_PERSON, content_type="application/json").status_code == 401
    )
    assert _stored_counts() == before


# Revealing an identity


def test_a_victims_identity_needs_a_reason_and_the_reveal_is_audited(
    client: Client, case_with_people, prosecutor: User
) -> None:
    case, _child, adult, _suspect = case_with_people
    url = f"/api/v1/cases/{case.pk}/parties/{adult.pk}/identity/reveal"
    headers = _bearer(prosecutor)
    refused = client.post(url, {"reason": "why?"}, content_type="application/json", headers=headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_needed"
    assert not AuditEntry.objects.filter(action="identity.revealed").exists()
    shown = client.post(url, {"reason": "taking the statement"}, content_type="application/json", headers=headers)
    assert shown.status_code == 200, shown.content
    assert shown.json() == {
        "party": adult.pk,
        "person": str(adult.person_id),
        "given_names": "José",
        "first_surname": "Pérez",
        "second_surname": "",
        "birth_date": "",
        "document_numbers": "",
        "phones": "",
        "address": "",
        "vehicle_plates": "",
    }
    assert "no-store" in shown["Cache-Control"]
    entry = AuditEntry.objects.get(action="identity.revealed")
    assert entry.actor == prosecutor
    assert entry.data == {"party": adult.pk, "role": "VICTIM", "child": False, "reason": "taking the statement"}
    assert client.get(url, headers=headers).status_code == 405


def test_reveals_follow_the_permission_matrix(
    client: Client, case_with_people, prosecutor: User, colleague: User, victim_care: User, judge: User
) -> None:
    case, child, adult, suspect = case_with_people
    case_files.assign(by=prosecutor, case=case, person=colleague, role="member")

    def reveal(user: User, party: CaseParty, reason: str = "preparing the protective measures") -> Any:
        return client.post(
            f"/api/v1/cases/{case.pk}/parties/{party.pk}/identity/reveal",
            {"reason": reason},
            content_type="application/json",
            headers=_bearer(user),
        )

    # A judge holds no identity.reveal: a victim stays masked, a suspect is open to the team.
    assert reveal(judge, adult).status_code == 403
    assert reveal(judge, suspect, reason="").json()["first_surname"] == "Ramírez"
    # A child victim: only the lead prosecutor or the team's victim care.
    assert reveal(colleague, child).status_code == 403
    assert reveal(colleague, child).json()["code"] == "access_denied"
    assert reveal(victim_care, child).json()["document_numbers"] == "DUI 01234567-8"
    assert reveal(prosecutor, child).json()["birth_date"] == "2009-04-12"
    # Victim care never reaches the suspects' side.
    assert reveal(victim_care, suspect).status_code == 404
    revealed = AuditEntry.objects.filter(action="identity.revealed")
    assert sorted((entry.actor.username, entry.data["party"]) for entry in revealed) == sorted(
        [(judge.username, suspect.pk), (victim_care.username, child.pk), (prosecutor.username, child.pk)]
    )
    assert all(entry.data["child"] for entry in revealed if entry.data["party"] == child.pk)


def test_an_unknown_party_is_not_found(client: Client, case_with_people, prosecutor: User) -> None:
    case, *_ = case_with_people
    other_case = open_case(prosecutor)
    elsewhere = parties.add_party(
        by=prosecutor, case=other_case, role=code("party_role", "WITNESS"), sex=code("sex", "NK"), identity=CHILD
    )
    url = f"/api/v1/cases/{case.pk}/parties/{elsewhere.pk}/identity/reveal"
    assert client.post(url, {}, content_type="application/json", headers=_bearer(prosecutor)).status_code == 404
    assert not AuditEntry.objects.filter(action="identity.revealed").exists()


# Adding a person


def test_a_token_adds_a_person_whose_identity_is_sealed(client: Client, case_with_people, prosecutor: User) -> None:
    case, *_ = case_with_people
    headers = _bearer(prosecutor)
    response = client.post(
        f"/api/v1/cases/{case.pk}/parties", NEW_PERSON, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "VICTIM"
    assert body["is_child"] is False
    assert body["person"]["birth_year"] == 2001, "the analytic record keeps the year of the birth date"
    assert body["person"]["citizenships"] == ["GT", "SV"]
    assert "Quiñónez" not in response.content.decode()
    party = CaseParty.objects.get(pk=body["id"])
    stored = PersonIdentity.objects.get(person=party.person)
    assert stored.first_surname.startswith("vault1.")
    assert "Quiñónez" not in str(PersonIdentity.objects.filter(person=party.person).values_list())
    entry = AuditEntry.objects.filter(action="case.party_added").latest("pk")
    assert entry.actor == prosecutor
    assert entry.data == {"party": party.pk, "role": "VICTIM"}
    shown = client.post(
        f"/api/v1/cases/{case.pk}/parties/{party.pk}/identity/reveal",
        {"reason": "checking what the system sent"},
        content_type="application/json",
        headers=headers,
    ).json()
    assert (shown["given_names"], shown["first_surname"], shown["birth_date"]) == (
        "Rosa Elena",
        "Quiñónez",
        "2001-08-30",
    )
    found = client.get("/api/v1/persons", {"q": "rosa quinonez"}, headers=headers).json()
    assert [person["id"] for person in found["items"]] == [str(party.person_id)]


def test_a_person_without_identity_or_optional_facts_can_be_added(
    client: Client, case_with_people, prosecutor: User
) -> None:
    case, *_ = case_with_people
    response = client.post(
        f"/api/v1/cases/{case.pk}/parties",
        {"role": "WITNESS", "sex": "NK"},
        content_type="application/json",
        headers=_bearer(prosecutor),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["person"]["birth_year"], body["person"]["citizenships"], body["identification_status"]) == (
        None,
        [],
        None,
    )
    assert not IdentityIndexEntry.objects.filter(person_id=body["person"]["id"]).exists()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"role": "KING"}, 400, "unknown_code"),
        ({"role": "F"}, 400, "wrong_list"),
        ({"sex": "VICTIM"}, 400, "wrong_list"),
        ({"identification_status": "CONVICTED"}, 400, "wrong_list"),
        ({"citizenships": ["SV", "XX"]}, 400, "unknown_country"),
        ({"identity": {"given_names": "Rosa", "birth_date": "2999-01-01"}}, 400, "bad_birth_date"),
        ({"birth_year": 2999, "identity": None}, 400, "invalid"),
        ({"identity": {"birth_date": "2001-13-45"}}, 422, "schema"),
        ({"age_at_identification": 300}, 422, "schema"),
        ({"role": None}, 422, "schema"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(
    client: Client, case_with_people, prosecutor: User, change: dict[str, Any], status: int, code: str
) -> None:
    case, *_ = case_with_people
    before = _stored_counts()
    response = client.post(
        f"/api/v1/cases/{case.pk}/parties",
        {**NEW_PERSON, **change},
        content_type="application/json",
        headers=_bearer(prosecutor),
    )
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    if code == "schema":
        field = next(iter(change))
        assert field in response.json()["message"], "the message names the field it refused"
    assert _stored_counts() == before


def test_only_editors_of_the_case_add_people(
    client: Client, case_with_people, judge: User, victim_care: User, colleague: User
) -> None:
    case, *_ = case_with_people
    before = _stored_counts()
    url = f"/api/v1/cases/{case.pk}/parties"
    for reader, status in ((judge, 403), (victim_care, 403), (colleague, 404)):
        response = client.post(url, NEW_PERSON, content_type="application/json", headers=_bearer(reader))
        assert response.status_code == status, reader.username
    assert _stored_counts() == before


# Finding people


def test_people_search_finds_by_name_document_or_phone_and_is_audited(
    client: Client, case_with_people, prosecutor: User
) -> None:
    case, child, *_ = case_with_people
    headers = _bearer(prosecutor)
    for query in ("maria jose lopez", "LÓPEZ HERNÁNDEZ", "DUI 012345678", "+50370000000"):
        found = client.get("/api/v1/persons", {"q": query}, headers=headers)
        assert found.status_code == 200, found.content
        body = found.json()
        assert body["count"] == 1, query
        person = body["items"][0]
        assert person["id"] == str(child.person_id)
        assert person["appearances"] == [
            {
                "party": child.pk,
                "case": str(case.pk),
                "national_number": case.national_number,
                "role": "VICTIM",
                "identification_status": "IDENTIFIED",
                "age_at_identification": 16,
            }
        ]
        assert "López" not in found.content.decode()
    assert client.get("/api/v1/persons", {"q": "María Pérez"}, headers=headers).json()["count"] == 0
    searches = AuditEntry.objects.filter(action="identity.searched", actor=prosecutor).order_by("pk")
    assert [entry.data for entry in searches] == [
        {"kind": "name", "results": 1},
        {"kind": "name", "results": 1},
        {"kind": "number", "results": 1},
        {"kind": "number", "results": 1},
        {"kind": "name", "results": 0},
    ]
    assert "lopez" not in str([entry.data for entry in searches]).lower()


def test_a_search_needs_two_characters(client: Client, case_with_people, prosecutor: User) -> None:
    for query in ("", " a "):
        response = client.get("/api/v1/persons", {"q": query}, headers=_bearer(prosecutor))
        assert response.status_code == 400
        assert response.json()["code"] == "query_too_short"
    assert not AuditEntry.objects.filter(action="identity.searched").exists()


def test_victim_care_finds_victims_only(client: Client, case_with_people, victim_care: User) -> None:
    _case, child, _adult, suspect = case_with_people
    headers = _bearer(victim_care)
    assert client.get("/api/v1/persons", {"q": "Carlos Ramírez"}, headers=headers).json()["count"] == 0
    assert client.get("/api/v1/persons", {"q": "7111 2222"}, headers=headers).json()["count"] == 0
    assert client.get(f"/api/v1/persons/{suspect.person_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/persons", {"q": "María López"}, headers=headers).json()["count"] == 1
    assert client.get(f"/api/v1/persons/{child.person_id}", headers=headers).status_code == 200


def test_search_results_are_paginated(client: Client, prosecutor: User) -> None:
    case = open_case(prosecutor)
    for n in range(3):
        parties.add_party(
            by=prosecutor,
            case=case,
            role=code("party_role", "SMUGGLED_MIGRANT"),
            sex=code("sex", "M"),
            identity=parties.Identity(given_names=f"Juan {['Antonio', 'Carlos', 'Luis'][n]}", first_surname="Mejía"),
        )
    headers = _bearer(prosecutor)
    pages = [
        client.get("/api/v1/persons", {"q": "juan mejia", "page": page, "page_size": 2}, headers=headers).json()
        for page in (1, 2, 3)
    ]
    assert [page["count"] for page in pages] == [3, 3, 3]
    assert [len(page["items"]) for page in pages] == [2, 1, 0]
    assert len({person["id"] for page in pages for person in page["items"]}) == 3


def test_a_person_shows_only_the_cases_the_caller_may_see(
    client: Client, case_with_people, prosecutor: User, colleague: User
) -> None:
    case, child, *_ = case_with_people
    # The same person in a second case, led by a colleague and open to the team only. No service
    # puts an existing person into another case yet, so the test writes the party itself.
    hidden_case = open_case(colleague)
    CaseParty.objects.create(
        case=hidden_case, person=child.person, role=code("party_role", "WITNESS"), created_by=colleague
    )
    shared_case = open_case(colleague, visibility="office")
    shared = CaseParty.objects.create(
        case=shared_case, person=child.person, role=code("party_role", "COMPLAINANT"), created_by=colleague
    )
    response = client.get(f"/api/v1/persons/{child.person_id}", headers=_bearer(prosecutor))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(child.person_id)
    assert body["sex"] == "F"
    assert body["citizenships"] == ["SV"]
    assert {(a["case"], a["party"], a["role"]) for a in body["appearances"]} == {
        (str(case.pk), child.pk, "VICTIM"),
        (str(shared_case.pk), shared.pk, "COMPLAINANT"),
    }
    assert hidden_case.national_number not in response.content.decode()
    # The colleague sees their own two cases, not the prosecutor's team-only one.
    theirs = client.get(f"/api/v1/persons/{child.person_id}", headers=_bearer(colleague)).json()
    assert {a["case"] for a in theirs["appearances"]} == {str(hidden_case.pk), str(shared_case.pk)}
    assert client.get("/api/v1/persons/not-a-uuid", headers=_bearer(prosecutor)).status_code == 404
