"""People in cases: identities sealed in the vault, masked by default, revealed only with cause."""

from __future__ import annotations

import re

import pytest

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import PersonIdentity
from vinculo.cases.services import case_files, parties
from vinculo.cases.tests.factories import code, open_case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference.models import Country

IDENTITY = parties.Identity(
    given_names="María José",
    first_surname="López",
    second_surname="Hernández",
    birth_date="2009-04-12",
    document_numbers="DUI 01234567-8",
    phones="+503 7000 0000",
)


@pytest.fixture
def case_with_victims(prosecutor: User, colleague: User, victim_care: User, judge: User):
    case = open_case(prosecutor)
    case_files.assign(by=prosecutor, case=case, person=colleague, role="member")
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    case_files.assign(by=prosecutor, case=case, person=judge, role="judge")
    child = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", "F"),
        identity=IDENTITY,
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
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez"),
        birth_year=1980,
    )
    return case, child, adult, suspect


def test_identities_are_stored_only_as_vault_tokens(case_with_victims) -> None:
    _case, child, _adult, _suspect = case_with_victims
    stored = PersonIdentity.objects.get(person=child.person)
    for field in PersonIdentity.SEALED_FIELDS:
        value = getattr(stored, field)
        assert value == "" or value.startswith("vault1."), field
    assert "López" not in str(PersonIdentity.objects.values_list().get(person=child.person))
    assert child.person.birth_year == 2009, "the analytic record keeps only the year"
    entry = AuditEntry.objects.filter(action="case.party_added").first()
    assert "López" not in str(entry.data)


def test_a_child_victims_identity_needs_the_lead_or_victim_care_and_a_reason(
    case_with_victims, prosecutor: User, colleague: User, victim_care: User
) -> None:
    _case, child, _adult, _suspect = case_with_victims
    assert child.is_child
    with pytest.raises(DomainError):
        parties.reveal_identity(by=prosecutor, party=child, reason="")
    with pytest.raises(AccessDenied):
        parties.reveal_identity(by=colleague, party=child, reason="preparing the hearing")
    shown = parties.reveal_identity(by=victim_care, party=child, reason="coordinating the shelter placement")
    assert shown.full_name == "María José López Hernández"
    assert shown.birth_date == "2009-04-12"
    entry = AuditEntry.objects.get(action="identity.revealed")
    assert entry.actor == victim_care
    assert entry.data["child"] is True
    assert entry.data["reason"] == "coordinating the shelter placement"


def test_an_adult_victims_identity_needs_the_reveal_permission_and_a_reason(
    case_with_victims, colleague: User, judge: User
) -> None:
    _case, _child, adult, _suspect = case_with_victims
    with pytest.raises(AccessDenied):
        parties.reveal_identity(by=judge, party=adult, reason="reviewing the file")
    with pytest.raises(DomainError):
        parties.reveal_identity(by=colleague, party=adult, reason="why?")
    assert parties.reveal_identity(by=colleague, party=adult, reason="taking the statement").given_names == "José"


def test_a_suspects_identity_is_open_to_the_team_and_still_audited(case_with_victims, judge: User) -> None:
    _case, _child, _adult, suspect = case_with_victims
    assert parties.reveal_identity(by=judge, party=suspect).first_surname == "Ramírez"
    assert AuditEntry.objects.filter(action="identity.revealed", actor=judge).count() == 1


def test_nobody_outside_the_team_sees_an_identity(case_with_victims, focal_point: User, node_admin: User) -> None:
    _case, _child, _adult, suspect = case_with_victims
    for outsider in (focal_point, node_admin):
        with pytest.raises(AccessDenied):
            parties.reveal_identity(by=outsider, party=suspect)
    assert not AuditEntry.objects.filter(action="identity.revealed").exists()


def test_only_editors_add_people_and_codes_must_fit(case_with_victims, judge: User, prosecutor: User) -> None:
    case, *_ = case_with_victims
    with pytest.raises(AccessDenied):
        parties.add_party(
            by=judge, case=case, role=code("party_role", "WITNESS"), sex=code("sex", "F"), identity=IDENTITY
        )
    with pytest.raises(DomainError):
        parties.add_party(by=prosecutor, case=case, role=code("sex", "F"), sex=code("sex", "F"), identity=IDENTITY)
    with pytest.raises(DomainError):
        parties.add_party(
            by=prosecutor,
            case=case,
            role=code("party_role", "WITNESS"),
            sex=code("sex", "F"),
            identity=parties.Identity(birth_date="2999-01-01"),
        )
    assert case.parties.count() == 3


def test_vault_rotation_covers_identities(case_with_victims, victim_care: User, settings, tmp_path) -> None:
    from io import StringIO

    from django.core.management import call_command

    _case, child, *_ = case_with_victims
    call_command("vault", "rotate", stdout=StringIO())
    shown = parties.reveal_identity(by=victim_care, party=child, reason="coordinating the shelter placement")
    assert shown.first_surname == "López"


def test_pages_add_a_person_and_reveal_with_a_reason(client, prosecutor: User, victim_care: User) -> None:
    from django.urls import reverse

    case = open_case(prosecutor)
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    client.force_login(prosecutor)
    response = client.post(
        reverse("cases:party_add", args=[case.pk]),
        {
            "role": "VICTIM",
            "sex": "F",
            "age_at_identification": "15",
            "identification_status": "IDENTIFIED",
            "citizenships": [Country.objects.get(iso2="GT").pk],
            "given_names": "Ana",
            "first_surname": "Quiñónez",
            "birth_date": "2011-02-03",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Quiñónez" not in page, "identities stay sealed on the case page"
    party = case.parties.get()
    url = reverse("cases:identity_reveal", args=[case.pk, party.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 302
    shown = client.post(url, {"reason": "preparing the protective measures"})
    assert shown.status_code == 200
    assert "Ana Quiñónez" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert client.get(url).status_code == 405
    assert AuditEntry.objects.filter(action="identity.revealed").count() == 1


def test_bad_person_input_is_refused(client, prosecutor: User) -> None:
    from django.urls import reverse

    case = open_case(prosecutor)
    client.force_login(prosecutor)
    response = client.post(
        reverse("cases:party_add", args=[case.pk]),
        {"role": "KING", "sex": "F", "age_at_identification": "300", "birth_date": "2999-01-01"},
    )
    assert response.status_code == 400
    assert {"role", "age_at_identification", "birth_date"} <= set(response.context["form"].errors)
    assert not case.parties.exists()


def test_exploitation_facts_drive_the_palermo_guidance(
    client, case_with_victims, prosecutor: User, judge: User
) -> None:
    from django.urls import reverse

    from vinculo.cases import selectors
    from vinculo.cases.services import exploitation

    case, child, adult, suspect = case_with_victims
    assert selectors.palermo_check(adult).missing == ("act", "means", "purpose")
    exploitation.record_exploitation(
        by=prosecutor,
        party=adult,
        codes={"acts": [code("act", "RECRUITMENT")], "purposes": [code("exploitation_form", "FORCED_LABOUR_SERVICES")]},
        started_on=None,
        started_on_precision="day",
        ended_on=None,
        ended_on_precision="day",
        expected_version=None,
    )
    adult.refresh_from_db()
    assert selectors.palermo_check(adult).missing == ("means",)
    # A child needs no means: act and purpose complete the file.
    client.force_login(prosecutor)
    url = reverse("cases:exploitation_edit", args=[case.pk, child.pk])
    response = client.post(
        url, {"acts": ["HARBOURING"], "purposes": ["SEXUAL_EXPLOITATION"], "started_on_precision": "month",
              "started_on": "2025-06-18", "ended_on_precision": "day"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:500]
    child.refresh_from_db()
    assert selectors.palermo_check(child).is_complete
    assert str(child.exploitation.started_on) == "2025-06-01"
    # A second save must carry the version it was based on.
    stale = client.post(
        url, {"acts": ["RECEIPT"], "started_on_precision": "day", "ended_on_precision": "day", "version": "99"}
    )
    assert stale.status_code == 400
    with pytest.raises(AccessDenied):
        exploitation.record_exploitation(
            by=judge, party=adult, codes={}, started_on=None, started_on_precision="day", ended_on=None,
            ended_on_precision="day", expected_version=1,
        )  # fmt: skip
    with pytest.raises(DomainError):
        exploitation.record_exploitation(
            by=prosecutor, party=suspect, codes={}, started_on=None, started_on_precision="day", ended_on=None,
            ended_on_precision="day", expected_version=None,
        )  # fmt: skip
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Explotación sexual" in page


def test_events_draw_the_route(client, case_with_victims, prosecutor: User, judge: User) -> None:
    from django.urls import reverse

    from vinculo.cases import selectors
    from vinculo.cases.services import events
    from vinculo.reference.models import BorderCrossing

    case, child, *_ = case_with_victims
    sv, gt = Country.objects.get(iso2="SV"), Country.objects.get(iso2="GT")
    events.add_event(
        by=prosecutor, case=case, event_type=code("event_type", "RECRUITMENT"), occurred_on=None,
        occurred_on_precision="day", country=sv, place="San Miguel", border_crossing=None, parties=[child],
    )  # fmt: skip
    crossing = BorderCrossing.objects.get(code="GTM-SLV-01")
    crossing_event = events.add_event(
        by=prosecutor, case=case, event_type=code("event_type", "BORDER_CROSSING"), occurred_on=None,
        occurred_on_precision="day", country=None, place="", border_crossing=crossing,
        transport=[code("transport_means", "BUS")],
    )  # fmt: skip
    assert crossing_event.country in crossing.countries.all(), "the crossing fills in the country"
    events.add_event(
        by=prosecutor, case=case, event_type=code("event_type", "EXPLOITATION"), occurred_on=None,
        occurred_on_precision="day", country=gt, place="Quetzaltenango", border_crossing=None,
    )  # fmt: skip
    assert [c.iso2 for c in selectors.route_of(case)][-1] == "GT"
    with pytest.raises(DomainError):
        events.add_event(
            by=prosecutor, case=case, event_type=code("event_type", "BORDER_CROSSING"), occurred_on=None,
            occurred_on_precision="day", country=Country.objects.get(iso2="PA"), place="", border_crossing=crossing,
        )  # fmt: skip
    with pytest.raises(AccessDenied):
        events.add_event(
            by=judge, case=case, event_type=code("event_type", "RESCUE"), occurred_on=None,
            occurred_on_precision="day", country=gt, place="", border_crossing=None,
        )  # fmt: skip
    client.force_login(prosecutor)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'class="route"' in page
    assert "Transnacional" in page
    assert "coordenadas sin verificar" in page
    response = client.post(
        reverse("cases:event_add", args=[case.pk]),
        {"event_type": "BORDER_CROSSING", "occurred_on_precision": "day", "country": "", "border_crossing": ""},
    )
    assert response.status_code == 400, "a border crossing needs a place"
    before = case.events.count()
    client.post(reverse("cases:event_remove", args=[case.pk, crossing_event.pk]))
    assert case.events.count() == before - 1


def test_people_search_forgives_accents_and_a_missing_surname_and_respects_visibility(
    client, case_with_victims, prosecutor: User, colleague: User, focal_point: User
) -> None:
    from django.urls import reverse

    from vinculo.cases import selectors

    case, child, _adult, _suspect = case_with_victims
    for query in ("maria jose lopez", "MARÍA LÓPEZ", "lopez hernandez", "López"):
        assert child in selectors.people_search(prosecutor, query), query
    assert not selectors.people_search(prosecutor, "María Pérez").exists()
    for query in ("01234567-8", "DUI 012345678", "7000 0000", "+50370000000"):
        assert child in selectors.people_search(prosecutor, query), query
    # The focal point cannot see this team-only case, so finds nobody in it.
    assert not selectors.people_search(focal_point, "López").exists()
    client.force_login(prosecutor)
    page = client.get(reverse("cases:people_search"), {"q": "maria lopez"}).content.decode()
    assert case.national_number in page
    assert "López" not in page.split("<main", 1)[1], "results never show the identity"
    entry = AuditEntry.objects.filter(action="identity.searched").get()
    assert entry.data == {"kind": "name", "results": 1}
    assert "lopez" not in str(entry.data).lower()


def test_the_index_holds_digests_only(case_with_victims) -> None:
    from vinculo.cases.models import IdentityIndexEntry

    _case, child, *_ = case_with_victims
    stored = list(IdentityIndexEntry.objects.filter(person=child.person).values_list("kind", "digest"))
    assert {kind for kind, _ in stored} == {"name", "document", "phone"}
    # Keyed digests, 32 hexadecimal digits each: no name fits in them, and a number would have to be
    # one of its own digests (looking for "0123" inside random hex digits finds it by chance).
    assert all(re.fullmatch(r"[0-9a-f]{32}", digest) for _, digest in stored)
    assert not any("lopez" in digest for _, digest in stored)


def test_victim_care_sees_victims_not_the_suspects_side(client, case_with_victims, victim_care: User) -> None:
    from django.urls import reverse

    from vinculo.cases import selectors
    from vinculo.cases.services import events

    case, child, adult, suspect = case_with_victims
    events.add_event(
        by=case.assignments.get(role="lead").user, case=case, event_type=code("event_type", "ARREST"),
        occurred_on=None, occurred_on_precision="day", country=None, place="Escondite del sospechoso",
        border_crossing=None,
    )  # fmt: skip
    assert set(selectors.parties_of(case, victim_care)) == {child, adult}
    assert not selectors.people_search(victim_care, "Carlos Ramírez").exists()
    assert selectors.people_search(victim_care, "María López").exists()
    client.force_login(victim_care)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Escondite" not in page
    assert code("party_role", "SUSPECT").label_es not in page
    assert code("party_role", "VICTIM").label_es in page
    response = client.post(reverse("cases:identity_reveal", args=[case.pk, suspect.pk]))
    assert response.status_code == 404


def test_victim_care_records_protection_and_services(
    client, case_with_victims, victim_care: User, judge: User, prosecutor: User
) -> None:
    from django.urls import reverse

    from vinculo.cases.services import support

    case, child, _adult, suspect = case_with_victims
    client.force_login(victim_care)
    url = reverse("cases:support_add", args=[case.pk, child.pk, "protection"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "SHELTER", "provider": "Albergue estatal", "started_on": "2025-06-01"})
    assert response.status_code == 302
    assert child.support.get().kind.code == "SHELTER"
    # A service code is not a protection measure.
    assert client.post(url, {"kind": "LEGAL"}).status_code == 400
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Albergue estatal" in page
    with pytest.raises(AccessDenied):
        support.add_support(by=judge, party=child, category="service", kind=code("victim_service", "LEGAL"))
    with pytest.raises(DomainError):
        support.add_support(by=prosecutor, party=suspect, category="service", kind=code("victim_service", "LEGAL"))
    assert client.get(reverse("cases:support_add", args=[case.pk, child.pk, "weapons"])).status_code == 403
    assert AuditEntry.objects.filter(action="case.support_added").count() == 1


def test_consent_decisions_are_recorded_and_the_latest_is_in_force(
    client, case_with_victims, victim_care: User, judge: User
) -> None:
    import datetime

    from django.urls import reverse

    from vinculo.cases.services import support

    case, child, adult, suspect = case_with_victims
    with pytest.raises(DomainError):  # a child consents through a guardian
        support.record_consent(
            by=victim_care, party=child, purpose="share_network", decision="given", decided_on=datetime.date(2025, 5, 1)
        )
    support.record_consent(
        by=victim_care, party=child, purpose="share_network", decision="given",
        decided_on=datetime.date(2025, 5, 1), given_by_guardian=True,
    )  # fmt: skip
    support.record_consent(
        by=victim_care, party=child, purpose="share_network", decision="withdrawn", decided_on=datetime.date(2025, 6, 1)
    )
    assert support.consent_in_force(child)["share_network"].decision == "withdrawn"
    with pytest.raises(AccessDenied):
        support.record_consent(
            by=judge, party=adult, purpose="contact", decision="given", decided_on=datetime.date(2025, 5, 1)
        )
    with pytest.raises(DomainError):
        support.record_consent(
            by=victim_care, party=suspect, purpose="contact", decision="given", decided_on=datetime.date(2025, 5, 1)
        )
    client.force_login(victim_care)
    future = client.post(
        reverse("cases:consent_add", args=[case.pk, adult.pk]),
        {"purpose": "contact", "decision": "given", "decided_on": "2999-01-01"},
    )
    assert future.status_code == 400
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Retirado" in page
    assert AuditEntry.objects.filter(action="case.consent_recorded").count() == 2


def test_charges_cite_the_offices_own_law(
    client, case_with_victims, prosecutor: User, node_admin: User, foreign_admin: User
) -> None:
    from django.urls import reverse

    from vinculo.cases.services import charges
    from vinculo.reference import services as reference_services
    from vinculo.reference.models import LegalProvision

    case, _child, adult, suspect = case_with_victims
    # The node administrator enters the national provision (no citations are shipped).
    client.force_login(node_admin)
    response = client.post(
        reverse("reference:provision_list"),
        {"country": Country.objects.get(iso2="SV").pk, "instrument": "Ley Especial contra la Trata de Personas",
         "article": "54", "title_es": "Trata de personas", "title_en": "Trafficking in persons",
         "iccs_code": "02041", "crime_family": code("crime_family", "TIP").pk},
    )  # fmt: skip
    assert response.status_code == 302
    provision = LegalProvision.objects.get()
    bad = client.post(
        reverse("reference:provision_list"),
        {"country": Country.objects.get(iso2="SV").pk, "instrument": "X", "article": "1", "title_es": "x",
         "title_en": "x", "iccs_code": "2A", "crime_family": code("crime_family", "TIP").pk},
    )  # fmt: skip
    assert bad.status_code == 400
    foreign = reference_services.add_legal_provision(
        by=foreign_admin, instrument="Código Penal", article="202 Ter",
        title_es="Trata de personas", title_en="Trafficking in persons", iccs_code="02041",
        crime_family=code("crime_family", "TIP"),
    )  # fmt: skip
    participation, status = code("offence_participation", "PRINCIPAL"), code("charge_status", "CHARGED")
    charge = charges.add_charge(
        by=prosecutor, party=suspect, provision=provision, participation=participation, status=status
    )
    assert charge.provision.iccs_code == "02041"
    with pytest.raises(DomainError):  # victims are not charged
        charges.add_charge(by=prosecutor, party=adult, provision=provision, participation=participation, status=status)
    with pytest.raises(DomainError):  # another country's law
        charges.add_charge(by=prosecutor, party=suspect, provision=foreign, participation=participation, status=status)
    with pytest.raises(DomainError):  # already charged under it
        charges.add_charge(
            by=prosecutor, party=suspect, provision=provision, participation=participation, status=status
        )
    client.force_login(prosecutor)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "art. 54" in page
    assert client.post(reverse("reference:provision_list"), {}).status_code == 403
    assert AuditEntry.objects.filter(action="case.charge_added").count() == 1


def test_the_search_index_can_be_rebuilt(case_with_victims, prosecutor: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    from vinculo.cases import selectors
    from vinculo.cases.models import IdentityIndexEntry

    _case, child, *_ = case_with_victims
    before = set(IdentityIndexEntry.objects.values_list("person_id", "kind", "digest"))
    IdentityIndexEntry.objects.filter(person=child.person).delete()
    assert not selectors.people_search(prosecutor, "María López").exists()
    out = StringIO()
    call_command("vault", "reindex", stdout=out)
    assert "rebuilt for 3 people" in out.getvalue()
    assert set(IdentityIndexEntry.objects.values_list("person_id", "kind", "digest")) == before
    assert selectors.people_search(prosecutor, "María López").exists()


def test_a_party_is_edited_once_and_a_stale_save_is_refused(client, case_with_victims, prosecutor: User) -> None:
    from django.urls import reverse

    from vinculo.cases.models import CaseParty

    case, _child, _adult, suspect = case_with_victims
    client.force_login(prosecutor)
    url = reverse("cases:party_edit", args=[case.pk, suspect.pk])
    page = client.get(url)
    assert page.status_code == 200
    sv = Country.objects.get(iso2="SV").pk
    form = {"role": "DEFENDANT", "sex": "M", "birth_year": "1981", "citizenships": [sv], "version": "1"}
    assert client.post(url, form).status_code == 302
    suspect.refresh_from_db()
    assert suspect.role.code == "DEFENDANT"
    assert suspect.version == 2
    assert suspect.person.birth_year == 1981
    stale = client.post(url, {**form, "birth_year": "1982"})  # a second editor still on version 1
    assert stale.status_code == 400
    assert "Otra persona cambió este registro" in stale.content.decode()
    assert CaseParty.objects.get(pk=suspect.pk).person.birth_year == 1981
    entry = AuditEntry.objects.filter(action="case.party_updated").get()
    assert sorted(entry.data["fields"]) == ["birth_year", "citizenships", "role"]


def test_a_victim_with_support_cannot_become_a_witness(case_with_victims, prosecutor: User) -> None:
    import datetime

    from vinculo.cases.services import support

    _case, child, _adult, _suspect = case_with_victims
    support.record_consent(
        by=prosecutor, party=child, purpose="contact", decision="given", decided_on=datetime.date(2025, 1, 2),
        given_by_guardian=True,
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        parties.update_party(
            by=prosecutor, party=child, expected_version=1, role=code("party_role", "WITNESS"), sex=code("sex", "F"),
            birth_year=None, citizenships=[], age_at_identification=16, identification_status=None,
        )  # fmt: skip
    assert refused.value.message == parties.STILL_A_VICTIM


def test_correcting_an_identity_needs_the_reveal_rules_and_keeps_search_current(
    client, case_with_victims, prosecutor: User, colleague: User
) -> None:
    from django.urls import reverse

    from vinculo.cases import selectors

    case, child, adult, _suspect = case_with_victims
    fixed = parties.Identity(given_names="José Antonio", first_surname="Pérez", phones="+503 7111 2222")
    with pytest.raises(DomainError):  # a victim's identity: a reason is needed
        parties.correct_identity(by=prosecutor, party=adult, identity=fixed)
    with pytest.raises(AccessDenied):  # a child's: the lead only
        parties.correct_identity(by=colleague, party=child, identity=IDENTITY, reason="Corrección de acta")
    parties.correct_identity(by=prosecutor, party=adult, identity=fixed, reason="Error de digitación en el acta")
    assert parties.unseal_identity(adult.person_id).given_names == "José Antonio"
    assert [p.pk for p in selectors.people_search(prosecutor, "jose antonio perez")] == [adult.pk]
    assert [p.pk for p in selectors.people_search(prosecutor, "71112222")] == [adult.pk]
    entry = AuditEntry.objects.get(action="identity.corrected")
    assert entry.data["fields"] == ["given_names", "phones"]
    assert entry.data["reason"] == "Error de digitación en el acta"
    client.force_login(prosecutor)
    revealed = client.post(
        reverse("cases:identity_reveal", args=[case.pk, adult.pk]), {"reason": "Preparar la audiencia"}
    )
    assert 'name="given_names"' in revealed.content.decode()
    future = client.post(
        reverse("cases:identity_correct", args=[case.pk, adult.pk]),
        {"given_names": "José", "birth_date": "2999-01-01", "reason": "Preparar la audiencia"},
    )
    assert future.status_code == 400
    assert parties.unseal_identity(adult.person_id).given_names == "José Antonio"
