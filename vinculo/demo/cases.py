"""Synthetic case files for demo nodes, written through the registry's services.

``vinculo.demo.planner`` decides what the caseload holds; this module writes each planned
case with the same services the pages and the API use, so every write is validated and
audited exactly as a person's would be: the case and its team, the people (identities
sealed in the vault), each victim's exploitation, the route's events, protection, services
and consent, charges, links, and the court side (proceedings, decisions, sentences) with a
few documents.

Seeding is idempotent per case: a case whose slot (the sequence number ending its national
number) the office already has is left alone, so running the seed again adds nothing, and a
larger count adds only the missing cases.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.cases.models import Case, CaseParty, TeamRole
from vinculo.cases.services import case_files, charges, events, exploitation, links, parties, support
from vinculo.demo import courts
from vinculo.demo.legal import enter_provisions
from vinculo.demo.planner import plan_office
from vinculo.demo.plans import CasePlan, PartyPlan
from vinculo.demo.routes import Crossing, Geography
from vinculo.reference.models import BorderCrossing, Code, Country, LegalProvision

TEAM_ROLES = {"investigator": TeamRole.MEMBER, "victim_care": TeamRole.VICTIM_CARE, "judge": TeamRole.JUDGE}


def load_geography() -> tuple[Geography, dict[str, BorderCrossing]]:
    """The crossings in use, as the planner's plain records and as rows (their countries prefetched)."""
    rows = {c.code: c for c in BorderCrossing.objects.filter(is_active=True).prefetch_related("countries")}
    plain = [Crossing(code, frozenset(c.iso2 for c in row.countries.all()), row.kind) for code, row in rows.items()]
    return Geography(plain), rows


def slot_of(national_number: str) -> int | None:
    """The slot of a demo case number (``FGR-TIP-2025-00042`` → 42); None for other numbers."""
    tail = national_number.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def seed_cases(
    *,
    lead: User,
    team: dict[str, User],
    count: int,
    node_id: str | None = None,
    admin: User | None = None,
    today: datetime.date | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Write the office's first ``count`` planned cases that it does not have yet; returns how many were made.

    ``team`` holds the colleagues put on cases (``investigator``, ``victim_care``, ``judge``);
    ``admin``, when given, enters the demo legal provisions that charges cite; ``stop`` is asked
    between cases whether to end early (a case is always written whole).
    """
    office = lead.office
    country = Country.objects.get(iso2=office.country)
    if admin is not None:
        enter_provisions(admin=admin, country=country)
    geography, crossings = load_geography()
    plans = plan_office(
        node_id=node_id or office.code,
        country=office.country,
        count=count,
        today=today or timezone.localdate(),
        geography=geography,
    )
    numbers = {
        slot_of(number): number
        for number in Case.objects.filter(office=office).values_list("national_number", flat=True)
    }
    writer = Writer(lead=lead, team=team, crossings=crossings, numbers=numbers)
    made = 0
    for plan in plans:
        if plan.slot in numbers:
            continue
        if stop():
            break
        writer.write(plan)
        numbers[plan.slot] = plan.number
        made += 1
    return made


class Writer:
    """Writes case plans through the services, with the reference rows looked up once."""

    def __init__(
        self, *, lead: User, team: dict[str, User], crossings: dict[str, BorderCrossing], numbers: dict[int | None, str]
    ) -> None:
        self.lead, self.team, self.crossings, self.numbers = lead, team, crossings, numbers
        self.codes = {(c.code_list.key, c.code): c for c in Code.objects.select_related("code_list")}
        self.countries = {c.iso2: c for c in Country.objects.all()}
        self.provisions: dict[str, list[LegalProvision]] = {}
        for provision in (
            LegalProvision.objects.filter(country__iso2=lead.office.country, is_active=True)
            .select_related("country", "crime_family")
            .order_by("instrument", "article")
        ):
            self.provisions.setdefault(provision.crime_family.code, []).append(provision)

    def code(self, list_key: str, value: str) -> Code:
        return self.codes[(list_key, value)]

    def many(self, list_key: str, values: Iterable[str]) -> list[Code]:
        return [self.code(list_key, value) for value in values]

    def write(self, plan: CasePlan) -> Case:
        lead = self.lead
        case = case_files.open_case(
            by=lead,
            national_number=plan.number,
            crime_family=self.code("crime_family", plan.crime_family),
            origin=self.code("case_origin", plan.origin),
            stage=self.code("stage", plan.stage),
            closure_type=self.code("closure_type", plan.closure_type) if plan.closure_type else None,
            closed_on=plan.closed_on,
            reported_on=plan.reported_on,
            reported_on_precision=plan.reported_on_precision,
            organized_crime=self.code("yes_no", plan.organized_crime),
            trafficker_organization=self.code("trafficker_organization", plan.trafficker_organization),
            summary=plan.summary,
            summary_language="es",
            visibility=plan.visibility,
        )
        carer = lead
        for place in plan.team:
            if place in self.team:
                case_files.assign(by=lead, case=case, person=self.team[place], role=TEAM_ROLES[place])
                if place == "victim_care":
                    carer = self.team[place]
        written = [self.write_party(case, party) for party in plan.parties]
        for party_plan, party in zip(plan.parties, written, strict=True):
            self.write_victim_facts(party_plan, party, carer)
        for event in plan.events:
            crossing = self.crossings.get(event.crossing) if event.crossing else None
            events.add_event(
                by=lead,
                case=case,
                event_type=self.code("event_type", event.event_type),
                occurred_on=event.occurred_on,
                occurred_on_precision=event.precision,
                country=self.countries.get(event.country),
                place=event.place,
                border_crossing=crossing,
                transport=self.many("transport_means", event.transport),
                parties=[written[position] for position in event.parties],
                notes=event.notes,
            )
        for party_plan, party in zip(plan.parties, written, strict=True):
            for charge in party_plan.charges:
                provisions = self.provisions.get(charge.crime_family)
                if not provisions:
                    continue
                charges.add_charge(
                    by=lead,
                    party=party,
                    provision=provisions[0],
                    participation=self.code("offence_participation", charge.participation),
                    status=self.code("charge_status", charge.status),
                )
        for link in plan.links:
            other = self.numbers.get(link.other_slot) if link.other_slot else ""
            if link.other_slot and not other:
                continue
            links.link_cases(
                by=lead,
                case=case,
                link_type=self.code("case_link_type", link.link_type),
                other_number=other or "",
                foreign_reference=link.foreign_reference,
            )
        courts.write_court_history(lead=lead, case=case, codes=self.codes)
        courts.write_documents(lead=lead, case=case)
        return case

    def write_party(self, case: Case, plan: PartyPlan) -> CaseParty:
        person = plan.person
        nationality = self.countries.get(person.nationality)
        return parties.add_party(
            by=self.lead,
            case=case,
            role=self.code("party_role", plan.role),
            sex=self.code("sex", person.sex),
            identity=parties.Identity(
                given_names=person.given_names,
                first_surname=person.first_surname,
                second_surname=person.second_surname,
                birth_date=person.birth_date,
                document_numbers=person.document_numbers,
                phones=person.phones,
            ),
            birth_year=person.birth_year,
            citizenships=[nationality] if nationality else [],
            age_at_identification=plan.age,
            identification_status=(
                self.code("identification_status", plan.identification_status) if plan.identification_status else None
            ),
        )

    def write_victim_facts(self, plan: PartyPlan, party: CaseParty, carer: User) -> None:
        facts = plan.exploitation
        if facts is not None:
            exploitation.record_exploitation(
                by=self.lead,
                party=party,
                codes={
                    "purposes": self.many("exploitation_form", facts.purposes),
                    "acts": self.many("act", facts.acts),
                    "means": self.many("means", facts.means),
                    "control_methods": self.many("control_method", facts.control_methods),
                    "recruitment_methods": self.many("recruitment_method", facts.recruitment_methods),
                },
                started_on=facts.started_on,
                started_on_precision=facts.started_on_precision,
                ended_on=facts.ended_on,
                ended_on_precision=facts.ended_on_precision,
                expected_version=None,
            )
        lists = {"protection": "protection_measure", "service": "victim_service"}
        for record in plan.support:
            support.add_support(
                by=carer,
                party=party,
                category=record.category,
                kind=self.code(lists[record.category], record.kind),
                provider=record.provider,
                started_on=record.started_on,
                ended_on=record.ended_on,
            )
        for consent in plan.consents:
            support.record_consent(
                by=carer,
                party=party,
                purpose=consent.purpose,
                decision=consent.decision,
                decided_on=consent.decided_on,
                given_by_guardian=consent.given_by_guardian,
            )
