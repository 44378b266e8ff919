"""The demo caseload as planned (before any write): deterministic, plausible, and never real data."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from vinculo.cases import palermo
from vinculo.demo import stories
from vinculo.demo.cases import load_geography
from vinculo.demo.persons import NICKNAMES, SPELLINGS, SYNTHETIC_DOCUMENT, SYNTHETIC_PHONE, PersonPlan, plain
from vinculo.demo.planner import plan_office
from vinculo.demo.plans import CasePlan
from vinculo.demo.routes import Geography
from vinculo.reference.models import BorderCrossing

TODAY = datetime.date(2026, 11, 28)
OFFICES = {"GT": "GT-MP", "SV": "SV-FGR", "HN": "HN-MP"}
# Enough cases to hold every shared story's slot in every office.
FULL = 500


@pytest.fixture(scope="session")
def geography(django_db_setup: None, django_db_blocker: Any) -> Geography:
    """The crossings of the reference table, as every demo node loads them."""
    with django_db_blocker.unblock():
        return load_geography()[0]


@pytest.fixture(scope="session")
def caseloads(geography: Geography) -> dict[str, list[CasePlan]]:
    """The three demo offices' full caseloads, planned once for all the tests here."""
    return {
        country: plan_office(node_id=node_id, country=country, count=FULL, today=TODAY, geography=geography)
        for country, node_id in OFFICES.items()
    }


def people(plans: list[CasePlan]) -> Iterator[PersonPlan]:
    for plan in plans:
        for party in plan.parties:
            yield party.person


def test_the_same_office_and_day_give_the_same_caseload(geography: Geography) -> None:
    first = plan_office(node_id="SV-FGR", country="SV", count=60, today=TODAY, geography=geography)
    again = plan_office(node_id="SV-FGR", country="SV", count=60, today=TODAY, geography=geography)
    assert first == again
    # A longer caseload starts with the shorter one, so raising the count only adds cases.
    longer = plan_office(node_id="SV-FGR", country="SV", count=90, today=TODAY, geography=geography)
    assert longer[:60] == first
    other = plan_office(node_id="GT-MP", country="GT", count=60, today=TODAY, geography=geography)
    assert [p.summary for p in other] != [p.summary for p in first]
    assert len({plan.number for plan in first}) == 60


def test_the_caseload_has_a_plausible_mix(caseloads: dict[str, list[CasePlan]]) -> None:
    for plans in caseloads.values():
        assert len(plans) == FULL
        families = Counter(plan.crime_family for plan in plans)
        assert families["TIP"] > families["SOM"] > families["TIP_AND_SOM"] > 0
        forms = Counter(p.exploitation.purposes for plan in plans for p in plan.parties if p.exploitation)
        assert forms[("SEXUAL_EXPLOITATION",)] > forms[("FORCED_LABOUR_SERVICES",)] > forms[("FORCED_BEGGING",)] > 0
        stages = {plan.stage for plan in plans}
        assert {"REPORTED", "TRIAL", "FINAL"} <= stages
        roles = Counter(p.role for plan in plans for p in plan.parties)
        assert roles["VICTIM"]
        assert roles["SMUGGLED_MIGRANT"]
        assert roles["SUSPECT"]
        assert roles["DEFENDANT"]
        assert sum(1 for plan in plans for p in plan.parties if p.support) > 200
        assert sum(1 for plan in plans for p in plan.parties if p.consents) > 200
        assert any(link.link_type == "SAME_NETWORK" for plan in plans for link in plan.links)


def test_routes_cross_only_where_a_crossing_joins_the_two_countries(
    caseloads: dict[str, list[CasePlan]], db: None
) -> None:
    joins = {
        crossing.code: {country.iso2 for country in crossing.countries.all()}
        for crossing in BorderCrossing.objects.prefetch_related("countries")
    }
    used: Counter[str] = Counter()
    for country, plans in caseloads.items():
        for plan in plans:
            assert any(event.country == country for event in plan.events) or plan.crime_family == "RELATED"
            for before, event in zip(plan.events, plan.events[1:], strict=False):
                if event.event_type != "BORDER_CROSSING":
                    continue
                assert event.crossing is not None
                # The crossing joins the country left (the step before) and the country entered.
                assert {before.country, event.country} <= joins[event.crossing], (plan.number, before, event)
                assert before.country != event.country
                used[event.crossing] += 1
    # Routes use many of the real crossings, not one or two.
    assert len(used) >= 15


def test_dates_are_never_in_the_future_and_partial_dates_keep_only_what_is_known(
    caseloads: dict[str, list[CasePlan]],
) -> None:
    for plans in caseloads.values():
        for plan in plans:
            assert plan.reported_on <= TODAY
            assert plan.closed_on is None or plan.reported_on <= plan.closed_on <= TODAY
            for event in plan.events:
                if event.occurred_on is None:
                    continue
                assert event.occurred_on <= TODAY
                if event.precision == "month":
                    assert event.occurred_on.day == 1
                if event.precision == "year":
                    assert (event.occurred_on.month, event.occurred_on.day) == (1, 1)
    precisions = Counter(e.precision if e.occurred_on else "none" for p in caseloads["GT"] for e in p.events)
    assert precisions["day"] > precisions["month"] > precisions["year"] > 0
    assert precisions["none"] > 0


def test_documents_and_phones_come_from_synthetic_ranges(caseloads: dict[str, list[CasePlan]]) -> None:
    documents = 0
    for plans in caseloads.values():
        for person in people(plans):
            for document in filter(None, person.document_numbers.split("; ")):
                assert any(pattern.fullmatch(document) for pattern in SYNTHETIC_DOCUMENT.values()), document
                documents += 1
            if person.phones:
                assert SYNTHETIC_PHONE.fullmatch(person.phones), person.phones
        # Names never leak into the texts anyone may read without revealing an identity.
        for plan in plans:
            text = " ".join([plan.summary, *(event.notes for event in plan.events), *(e.place for e in plan.events)])
            assert not [p for p in plan.parties if f"{p.person.given_names} {p.person.first_surname}" in text]
    assert documents > 1000
    kinds = Counter(
        document.split(" ")[0]
        for plans in caseloads.values()
        for person in people(plans)
        for document in filter(None, person.document_numbers.split("; "))
    )
    assert kinds["DPI"]
    assert kinds["DUI"]
    assert kinds["DNI"]
    assert kinds["Pasaporte"]


def test_names_have_two_surnames_and_local_flavour(caseloads: dict[str, list[CasePlan]]) -> None:
    guatemalans = [p for p in people(caseloads["GT"]) if p.nationality == "GT"]
    assert all(p.first_surname and p.first_surname != p.second_surname for p in guatemalans)
    # Only the records that dropped it (a variation) lack the second surname.
    assert sum(1 for p in guatemalans if p.second_surname) > 0.97 * len(guatemalans)
    assert any(p.first_surname in ("Tzoc", "Xicará", "Cux", "Pop", "Caal", "Choc") for p in guatemalans)


def same_person(a: PersonPlan, b: PersonPlan) -> bool:
    """What a matcher would still see in two records of one person."""

    def words(text: str) -> list[str]:
        return plain(text).lower().split()

    def surname(text: str) -> str:
        return plain(SPELLINGS.get(text, text)).lower()

    def given(person: PersonPlan) -> set[str]:
        return {words(person.given_names)[0], *words(NICKNAMES.get(person.given_names, person.given_names))}

    nickname_of = {plain(nick).lower(): plain(name).lower() for name, nick in NICKNAMES.items()}
    first_names = {nickname_of.get(word, word) for word in given(a)}
    same_surname = surname(a.first_surname) == surname(b.first_surname) or plain(a.first_surname).lower() in (
        surname(b.first_surname),
        plain(b.first_surname).lower(),
    )
    return (
        a.birth_year == b.birth_year and same_surname and bool(first_names & {nickname_of.get(w, w) for w in given(b)})
    )


def test_shared_travellers_appear_in_two_offices_written_differently(caseloads: dict[str, list[CasePlan]]) -> None:
    found: dict[int, dict[str, PersonPlan]] = {}
    for country, plans in caseloads.items():
        for plan in plans:
            for party in plan.parties:
                if party.person.traveller is not None:
                    found.setdefault(party.person.traveller, {})[country] = party.person
    assert len(found) == stories.STORY_COUNT
    for story in stories.stories():
        records = found[story.index]
        assert set(records) == set(story.countries)
        origin, destination = records[story.origin], records[story.destination]
        assert origin != destination
        assert same_person(origin, destination), (origin, destination)
    # Each office names the other office's case of the same story, as a foreign counterpart.
    for country, plans in caseloads.items():
        numbers = {plan.slot: plan.number for plan in plans}
        for slot, story in stories.slots(country).items():
            other = story.other(country)
            mine = next(plan for plan in plans if plan.slot == slot)
            theirs = {p.slot: p.number for p in caseloads[other]}[stories.slot_of(story, other)]
            assert [link.foreign_reference for link in mine.links] == [f"{OFFICES[other]} {theirs}"]
            assert mine.number == numbers[slot]


def test_most_trafficking_victims_show_every_palermo_element(caseloads: dict[str, list[CasePlan]]) -> None:
    for plans in caseloads.values():
        checks = []
        for plan in plans:
            for party in plan.parties:
                facts = party.exploitation
                if facts is None:
                    continue
                is_child = party.age < 18
                assert ("NOT_REQUIRED_CHILD" in facts.means) == is_child, party
                checks.append(
                    palermo.check(acts=facts.acts, means=facts.means, purposes=facts.purposes, is_child=is_child)
                )
        complete = sum(check.is_complete for check in checks)
        assert 0.75 * len(checks) <= complete < len(checks)
        assert any(check.missing == ("means",) for check in checks)


def test_children_consent_through_a_guardian(caseloads: dict[str, list[CasePlan]]) -> None:
    for plans in caseloads.values():
        for plan in plans:
            for party in plan.parties:
                for consent in party.consents:
                    assert consent.given_by_guardian == (party.age < 18)
                    assert consent.decided_on <= TODAY
