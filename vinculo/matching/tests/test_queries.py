"""Hit/no-hit between SV, GT and HN through real envelopes and receipts, in one process."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges.services import requests
from vinculo.matching.models import Hit, IncomingQuery, IndexEntry, Query, QueryRecipient
from vinculo.matching.services import queries
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork
from vinculo.notifications.models import Notification

from .conftest import deliver_all, readable_values

pytestmark = pytest.mark.django_db


def ask(by: User, asked: queries.Asked, members: tuple[str, ...] = ("GT-MP", "HN-MP"), **kwargs: object) -> Query:
    fields: dict[str, object] = {
        "purpose": "investigation",
        "case": None,
        "case_reference": "FGR-2026-014",
        "legal_basis": "Memorando de Entendimiento, art. 4",
        "members": members,
    }
    fields.update(kwargs)
    return queries.ask(by=by, asked=asked, **fields)  # type: ignore[arg-type]


def hit_request(reference: str, counterpart: str = "GT-MP") -> requests.Draft:
    """An information request that follows up the hit ``reference``."""
    return requests.Draft(
        counterpart=counterpart, request_type="identification", subject="Seguimiento de coincidencia",
        legal_basis="Memorando de Entendimiento, art. 4", urgency="priority",
        text="Solicitamos la identidad de la persona de la coincidencia.", items=("Identidad",),
        hit_reference=reference,
    )  # fmt: skip


def answers(query: Query) -> dict[str, QueryRecipient]:
    return {r.member: r for r in QueryRecipient.objects.filter(query=query)}


def test_the_index_holds_suspects_and_victims_not_witnesses(gt_case: Case) -> None:
    entries = IndexEntry.objects.all()
    assert entries.count() == 2
    assert sorted((e.is_suspect, e.is_victim) for e in entries) == [(False, True), (True, False)]
    assert all(len(bytes(e.bloom)) == 128 for e in entries)


def test_a_variant_spelling_with_a_year_only_hits_at_gt_and_not_at_hn(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, gt_focal_point: User
) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(
            prosecutor,
            queries.Asked(kind="person", given_names="Jose Manuel", first_surname="Hernandez",
                          second_surname="Lopez", birth_date="1988", sex="M"),
        )  # fmt: skip
    deliver_all(mnet)
    found = answers(query)
    assert found["GT-MP"].decision == "hit"
    assert len(found["GT-MP"].hit_reference) >= 16
    assert found["GT-MP"].expires_at is not None
    assert found["HN-MP"].decision == "no-hit"
    assert found["HN-MP"].hit_reference == ""
    hit = Hit.objects.get()
    assert hit.reference == found["GT-MP"].hit_reference
    assert hit.incoming.member == "SV-FGR"
    assert hit.incoming.case_reference == "FGR-2026-014"
    assert "Ana Morales Castillo" in hit.incoming.asked_by
    assert [p.pk for p in hit.persons.all()] == [gt_case.parties.get(role__code="SUSPECT").person_id]
    told = Notification.objects.get(user=gt_focal_point)
    assert told.kind == "match.hit_received"
    assert told.facts["office"] == "SV-FGR"
    assert Notification.objects.filter(user=prosecutor, kind="match.hit").count() == 1
    # both sides audited
    assert AuditEntry.objects.filter(action="match.query_sent").count() == 1
    assert AuditEntry.objects.filter(action="match.query_received").count() == 2


def test_an_absent_person_is_a_no_hit_everywhere(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(
            prosecutor,
            queries.Asked(kind="person", given_names="Rigoberto", first_surname="Castañeda",
                          second_surname="Villatoro", birth_date="1975-02-03", sex="M"),
        )  # fmt: skip
    deliver_all(mnet)
    assert {m: r.decision for m, r in answers(query).items()} == {"GT-MP": "no-hit", "HN-MP": "no-hit"}
    assert not Hit.objects.exists()


def test_a_phone_written_differently_hits(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(prosecutor, queries.Asked(kind="phone", phone="(502) 5512-3456"), members=("GT-MP",))
    deliver_all(mnet)
    assert answers(query)["GT-MP"].decision == "hit"


def test_a_victim_is_found_only_by_a_whereabouts_query_from_an_allowed_role(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case
) -> None:
    asked = queries.Asked(kind="person", given_names="María Guadalupe", first_surname="Pérez",
                          second_surname="Ramírez", birth_date="30/09/2004", sex="F")  # fmt: skip
    with mnet.as_node("SV-FGR"):
        investigation = ask(prosecutor, asked, members=("GT-MP",))
        whereabouts = ask(prosecutor, asked, members=("GT-MP",), purpose="victim_whereabouts")
    deliver_all(mnet)
    assert answers(investigation)["GT-MP"].decision == "no-hit"
    assert answers(whereabouts)["GT-MP"].decision == "hit"
    with override_settings(MATCH_VICTIM_QUERY_ROLES=["victim_care"]), mnet.as_node("SV-FGR"):
        refused = ask(prosecutor, asked, members=("GT-MP",), purpose="victim_whereabouts")
    with override_settings(MATCH_VICTIM_QUERY_ROLES=["victim_care"]):
        deliver_all(mnet)
    assert (answers(refused)["GT-MP"].decision, answers(refused)["GT-MP"].refusal) == ("refused", "not_allowed")


def test_what_travels_holds_no_name_number_or_date(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        ask(
            prosecutor,
            queries.Asked(kind="person", given_names="José Manuel", first_surname="Hernández",
                          second_surname="López", birth_date="1988-04-12", sex="M"),
        )  # fmt: skip
        ask(prosecutor, queries.Asked(kind="phone", phone="+502 5512 3456"))
        ask(prosecutor, queries.Asked(kind="document", document_kind="Pasaporte", country="GT", number="G12345678"))
    deliver_all(mnet)
    from vinculo.messaging.services.inbox import payload_of

    seen = [payload_of(m).decode() for m in InboundMessage.objects.filter(type__startswith="match.")]
    assert len(seen) == 3 * 2 + 3 * 2  # three queries to two offices, and their answers
    for text in seen:
        readable = " ".join(readable_values(json.loads(text))).lower()
        for secret in ("hern", "lopez", "lópez", "jose", "josé", "manuel", "1988", "5512", "3456", "g12345678"):
            assert secret not in readable, (secret, text)
        assert "score" not in text.lower()
        assert len(json.loads(text).get("bloom", "")) in (0, 172)  # a filter is 128 bytes, never a name


def test_the_quota_per_person_is_a_clear_error(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    asked = queries.Asked(kind="phone", phone="+502 5512 3456")
    with override_settings(MATCH_QUERIES_PER_USER_HOUR=2), mnet.as_node("SV-FGR"):
        ask(prosecutor, asked, members=("GT-MP",))
        ask(prosecutor, asked, members=("GT-MP",))
        with pytest.raises(DomainError) as refused:
            ask(prosecutor, asked, members=("GT-MP",))
    assert refused.value.code == "rate_limited"
    assert "2" in str(refused.value.message)


def test_an_office_over_its_daily_quota_is_refused_by_the_answering_office(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case
) -> None:
    asked = queries.Asked(kind="phone", phone="+502 5512 3456")
    with mnet.as_node("SV-FGR"):
        first = ask(prosecutor, asked, members=("GT-MP",))
        second = ask(prosecutor, asked, members=("GT-MP",))
    with override_settings(MATCH_INCOMING_PER_MEMBER_DAY=1):
        deliver_all(mnet)
    assert answers(first)["GT-MP"].decision == "hit"
    assert (answers(second)["GT-MP"].decision, answers(second)["GT-MP"].refusal) == ("refused", "quota")


def test_bad_queries_are_refused_with_reasons(mnet: FakeNetwork, prosecutor: User, focal_point: User) -> None:
    with mnet.as_node("SV-FGR"):
        with pytest.raises(DomainError) as no_key:
            ask(prosecutor, queries.Asked(kind="phone", phone="+502 5512 3456"))
        assert no_key.value.code == "no_match_key"
        queries.keys.generate(by=None)
        cases = [
            (queries.Asked(kind="person", given_names="José"), {}, "name_needed"),
            (queries.Asked(kind="phone", phone="12"), {}, "bad_length"),
            (queries.Asked(kind="document", document_kind="DPI", number="2569 87413 0109"), {}, "bad_check_digit"),
            (queries.Asked(kind="phone", phone="+502 5512 3456"), {"case_reference": " "}, "case_needed"),
            (queries.Asked(kind="phone", phone="+502 5512 3456"), {"legal_basis": "x"}, "legal_basis_needed"),
            (queries.Asked(kind="phone", phone="+502 5512 3456"), {"members": ()}, "no_recipients"),
            (queries.Asked(kind="phone", phone="+502 5512 3456"), {"members": ("SV-FGR",)}, "unknown_recipient"),
            (queries.Asked(kind="phone", phone="+502 5512 3456"), {"members": ("XX-NONE",)}, "unknown_recipient"),
        ]
        for asked, changes, expected in cases:
            with pytest.raises(DomainError) as refused:
                ask(prosecutor, asked, **changes)
            assert refused.value.code == expected, (asked, changes)
        with pytest.raises(AccessDenied):
            ask(focal_point, queries.Asked(kind="phone", phone="+502 5512 3456"), purpose="victim_whereabouts")
    assert not Query.objects.exists()


def test_a_hit_leads_to_a_request_answered_only_after_the_focal_point_confirms(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, gt_focal_point: User, gt_prosecutor: User
) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(prosecutor, queries.Asked(kind="phone", phone="5512 3456", country="GT"), members=("GT-MP",))
    deliver_all(mnet)
    reference = answers(query)["GT-MP"].hit_reference
    assert reference
    draft = hit_request(reference)
    with mnet.as_node("SV-FGR"):
        with pytest.raises(DomainError) as unknown:
            requests.create_draft(by=prosecutor, draft=requests.Draft(**{**draft.__dict__, "hit_reference": "x" * 32}))
        assert unknown.value.code == "unknown_hit"
        request = requests.create_draft(by=prosecutor, draft=draft)
        requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(mnet)
    from vinculo.exchanges.models import InformationRequest

    incoming = InformationRequest.objects.get(side="incoming", exchange_id=request.exchange_id)
    assert incoming.hit_reference == reference
    with mnet.as_node("GT-MP"), pytest.raises(DomainError) as not_yet:
        requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                        text="Se trata de José Manuel Hernández López.", is_complete=True)  # fmt: skip
    assert not_yet.value.code == "hit_not_confirmed"
    hit = Hit.objects.get(reference=reference)
    with mnet.as_node("GT-MP"):
        with pytest.raises(AccessDenied):
            queries.decide_hit(by=gt_prosecutor, hit=hit, expected_version=hit.version, confirm=True)
        queries.decide_hit(by=gt_focal_point, hit=hit, expected_version=hit.version, confirm=True, note="Es él")
        with pytest.raises(DomainError):
            queries.decide_hit(by=gt_focal_point, hit=hit, expected_version=None, confirm=False)
        incoming.refresh_from_db()
        requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                        text="Se trata de José Manuel Hernández López.", is_complete=True)  # fmt: skip
    deliver_all(mnet)
    assert answers(query)["GT-MP"].hit_status == "confirmed"
    assert Notification.objects.filter(user=prosecutor, kind="match.hit_confirmed").exists()
    assert AuditEntry.objects.filter(action="match.hit_confirmed").count() == 1


def test_a_query_read_twice_is_answered_once(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        ask(prosecutor, queries.Asked(kind="phone", phone="+502 5512 3456"), members=("GT-MP",))
    deliver_all(mnet)
    message = InboundMessage.objects.get(type="match.query")
    from vinculo.messaging.services.inbox import payload_of

    with mnet.as_node("GT-MP"):
        queries.receive_query(message, payload_of(message))
    assert IncomingQuery.objects.count() == 1
    assert json.loads(payload_of(message))["kind"] == "phone"


def test_a_vehicle_plate_written_differently_hits(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(prosecutor, queries.Asked(kind="vehicle", country="GT", number="p 123 abc"), members=("GT-MP",))
        other = ask(prosecutor, queries.Asked(kind="vehicle", country="SV", number="P-123ABC"), members=("GT-MP",))
    deliver_all(mnet)
    assert answers(query)["GT-MP"].decision == "hit"
    assert answers(other)["GT-MP"].decision == "no-hit"  # the same letters in another country are another plate


def test_a_person_of_a_case_is_encoded_for_a_query_exactly_as_the_index_holds_them(
    gt_prosecutor: User, gt_case: Case
) -> None:
    from vinculo.linkage.normalise import normalise
    from vinculo.matching import records
    from vinculo.matching.services import index, keys
    from vinculo.reference.models import Country

    person = gt_case.parties.get(role__code="SUSPECT").person
    # Recorded first: Guatemala, then El Salvador (which comes first by name).
    person.citizenships.add(Country.objects.get(iso2="GT"))
    person.citizenships.add(Country.objects.get(iso2="SV"))
    index.refresh(office_id=gt_prosecutor.office_id)
    read = index.registry_person_of(person)
    assert read.citizenships == ("GT", "SV"), "the first one recorded is the nationality"
    assert (read.given_names, read.phones) == ("José Manuel", "+502 5512 3456")
    fingerprint, key = keys.require_active_key()
    encoding = index.encoder_for(fingerprint, key).encode(normalise(records.raw_person(read)))
    entry = IndexEntry.objects.get(person=person)
    assert (bytes(entry.bloom), entry.fields) == (encoding.bloom, int(encoding.fields))
