"""The caseload of a demo office, planned as plain data before anything is written (pure, no Django).

``plan_office`` turns a node id, a case count and the day into the same list of ``CasePlan``
every time: facts, people, each victim's exploitation, protection and consent, the route
over real border crossings, charges and links. ``vinculo.demo.cases`` then writes the plans
through the registry's services. Planning apart from writing keeps the generator
deterministic and testable without a database.
"""

from __future__ import annotations

import datetime
import itertools
import random
from dataclasses import dataclass, field

from vinculo.demo import profiles, stories
from vinculo.demo.persons import PersonPlan, age_on, as_recorded, new_person
from vinculo.demo.plans import (
    CRIME_FAMILY,
    EARLY_CLOSURES,
    ORGANIZATION,
    ORIGIN,
    STAGE_ORDER,
    STAGES,
    CasePlan,
    ChargePlan,
    EventPlan,
    LinkPlan,
    PartyPlan,
    known,
    pick,
)
from vinculo.demo.profiles import ConsentPlan, ExploitationPlan, Profile, SupportPlan
from vinculo.demo.routes import Geography, place, transport_at

CHARGE_STATUS = {
    "REPORTED": "UNDER_INVESTIGATION",
    "PRELIMINARY_INVESTIGATION": "UNDER_INVESTIGATION",
    "FORMAL_CHARGING": "CHARGED",
    "INDICTMENT": "INDICTED",
    "INTERMEDIATE_HEARING": "INDICTED",
    "TRIAL": "INDICTED",
    "FIRST_INSTANCE_JUDGMENT": "ADJUDICATED",
    "APPEAL": "ADJUDICATED",
    "FINAL": "ADJUDICATED",
}
# Where people trafficked into, or smuggled through, each demo country come from (weighted).
INBOUND = {
    "GT": [("HN", 45), ("SV", 35), ("NI", 15), ("MX", 5)],
    "SV": [("HN", 50), ("GT", 30), ("NI", 20)],
    "HN": [("NI", 50), ("SV", 25), ("GT", 25)],
}
OUTBOUND = {
    "GT": [("MX", 60), ("BZ", 15), ("SV", 15), ("HN", 10)],
    "SV": [("GT", 45), ("MX", 35), ("HN", 20)],
    "HN": [("GT", 40), ("MX", 30), ("SV", 30)],
}
SMUGGLED_FROM = {
    "GT": [("GT", 35), ("HN", 25), ("SV", 15), ("NI", 5), ("CO", 20)],
    "SV": [("SV", 50), ("HN", 20), ("NI", 10), ("CO", 20)],
    "HN": [("HN", 50), ("NI", 20), ("CO", 30)],
}
# People who cross the Darién come from much further away.
EXTRA_REGIONAL = [("VE", 45), ("CO", 15), ("EC", 15), ("HT", 15), ("CU", 10)]
COUNTRY_NAMES = {
    "GT": "Guatemala",
    "SV": "El Salvador",
    "HN": "Honduras",
    "MX": "México",
    "NI": "Nicaragua",
    "BZ": "Belice",
    "CR": "Costa Rica",
    "PA": "Panamá",
    "CO": "Colombia",
}
RECRUITED_BY = {
    "ONLINE_SOCIAL_NETWORK": "Captación por redes sociales con una oferta de empleo falsa",
    "ROMANTIC_RELATIONSHIP": "Captación mediante una relación sentimental",
    "FRIENDS_SOCIAL": "Captación por medio de conocidos de la comunidad",
    "ONLINE_ADVERTISEMENT": "Anuncio de empleo en internet",
    "FAMILY": "Entrega de la víctima por un familiar",
    "EMPLOYMENT_AGENCY": "Reclutamiento por un supuesto contratista",
    "PUBLIC_PLACE_APPROACH": "Abordaje en la vía pública",
    "RADIO_ADVERT": "Anuncio de empleo en una radio local",
    "AT_EDUCATIONAL_INSTITUTION": "Captación en las cercanías de un centro educativo",
    "AT_WORK": "Captación en el lugar de trabajo",
}
RELATED_SUMMARIES = [
    "Lavado de dinero de las ganancias de una red de trata: compra de inmuebles y vehículos a nombre de terceros.",
    "Extinción de dominio sobre un bar utilizado para la explotación sexual.",
    "Transferencias de remesas fraccionadas para ocultar el cobro a personas migrantes.",
]


@dataclass
class Network:
    """A group of cases of one office around the same suspect."""

    first_slot: int
    crime_family: str
    suspect: PersonPlan
    stops: list[str]


@dataclass
class Office:
    node_id: str
    country: str
    today: datetime.date
    geography: Geography
    rng: random.Random
    networks: list[Network] = field(default_factory=list)
    tip_slots: list[int] = field(default_factory=list)


def plan_office(
    *, node_id: str, country: str, count: int, today: datetime.date, geography: Geography
) -> list[CasePlan]:
    """The first ``count`` cases of a demo office; a longer list starts with the shorter one."""
    office = Office(node_id, country, today, geography, random.Random(f"vinculo-demo-cases-{node_id}"))  # noqa: S311
    shared = stories.slots(country)
    return [CaseBuilder(office, slot, shared.get(slot)).build() for slot in range(1, count + 1)]


class CaseBuilder:
    """Plans one case: facts first, then the route and its dates, then the people on it."""

    def __init__(self, office: Office, slot: int, story: stories.Story | None) -> None:
        self.office, self.slot, self.story = office, slot, story
        self.rng = office.rng
        self.country = office.country
        self.parties: list[PartyPlan] = []
        self.events: list[EventPlan] = []
        self.links: list[LinkPlan] = []
        self.network: Network | None = None

    # --- Facts -----------------------------------------------------------------------

    def build(self) -> CasePlan:
        rng, today = self.rng, self.office.today
        story = self.story
        family = story.crime_family if story else pick(rng, CRIME_FAMILY)
        if not story and family in ("TIP", "SOM"):
            self.join_or_start_network(family)
        stage = pick(rng, STAGES)
        if story:
            reported = story.reported_on(self.country, today)
        else:
            reported = today - datetime.timedelta(days=rng.randint(20, 4 * 365))
        reported_on, precision = known(rng, reported, [85, 10, 5, 0])
        reported_on = reported_on or reported
        closure, closed_on = None, None
        if stage == "FINAL":
            closure = "JUDGMENT_FINAL"
        elif stage in ("REPORTED", "PRELIMINARY_INVESTIGATION") and rng.random() < 0.25:
            closure = pick(rng, EARLY_CLOSURES)
        if closure:
            closed_on = min(today, reported_on + datetime.timedelta(days=rng.randint(60, 900)))
        origin = pick(rng, ORIGIN[family])
        if story and story.traveller_role == "VICTIM":
            origin = "POLICE_OPERATION" if self.country == story.destination else "COMPLAINT_THIRD_PARTY"
        self.family, self.stage, self.closure, self.origin = family, stage, closure, origin
        self.reported = reported
        summary = self.plan_case_content()
        team = []
        if self.rng.random() < 0.7:
            team.append("investigator")
        if family in ("TIP", "TIP_AND_SOM"):
            team.append("victim_care")
        if STAGE_ORDER.index(stage) >= STAGE_ORDER.index("TRIAL"):
            team.append("judge")
        if family == "TIP" and not story:
            self.office.tip_slots.append(self.slot)
        if story:
            reference = stories.counterpart_reference(story, self.country, today)
            self.links.append(LinkPlan("FOREIGN_COUNTERPART", foreign_reference=reference))
        return CasePlan(
            slot=self.slot,
            number=stories.case_number(self.office.node_id, family, reported_on, self.slot),
            crime_family=family,
            origin=origin,
            stage=stage,
            closure_type=closure,
            closed_on=closed_on,
            reported_on=reported_on,
            reported_on_precision=precision,
            organized_crime=rng.choice(["YES", "NO", "NK"]),
            trafficker_organization=pick(rng, ORGANIZATION),
            summary=summary,
            visibility=rng.choice(["office", "office", "team"]),
            team=tuple(team),
            parties=tuple(self.parties),
            events=tuple(self.events),
            links=tuple(self.links),
        )

    def join_or_start_network(self, family: str) -> None:
        rng = self.rng
        candidates = [n for n in self.office.networks if n.crime_family == family]
        if candidates and rng.random() < 0.12:
            self.network = rng.choice(candidates)
            self.links.append(
                LinkPlan(rng.choice(["SAME_NETWORK", "SAME_SUSPECT"]), other_slot=self.network.first_slot)
            )
        elif rng.random() < 0.05:
            suspect = new_person(rng, country=self.country, age=rng.randint(25, 55), on=self.office.today, sex="M")
            self.network = Network(self.slot, family, suspect, [])
            self.office.networks.append(self.network)

    def plan_case_content(self) -> str:
        if self.family == "RELATED":
            self.plan_related()
            return self.rng.choice(RELATED_SUMMARIES)
        if self.family == "TIP":
            return self.plan_trafficking()
        return self.plan_smuggling()

    # --- Routes ------------------------------------------------------------------------

    def stops_for_trafficking(self) -> list[str]:
        rng, country, story = self.rng, self.country, self.story
        if story:
            return [story.origin, story.destination]
        if self.network and self.network.stops:
            return self.network.stops
        scenario = rng.choices(["domestic", "inbound", "outbound"], weights=[45, 30, 25])[0]
        if scenario == "inbound" and country in INBOUND:
            stops = [pick(rng, INBOUND[country]), country]
        elif scenario == "outbound" and country in OUTBOUND:
            stops = [country, pick(rng, OUTBOUND[country])]
        else:
            stops = [country]
        if self.network:
            self.network.stops = stops
        return stops

    def stops_for_smuggling(self) -> list[str]:
        rng, country, story = self.rng, self.country, self.story
        if story:
            return [story.origin, story.destination, "MX"]
        if self.network and self.network.stops:
            return self.network.stops
        origin = pick(rng, SMUGGLED_FROM.get(country, [(country, 1)]))
        stops = [origin, country, "MX"] if origin != country else [country, "MX"]
        if self.network:
            self.network.stops = stops
        return stops

    def walk(self, stops: list[str], start: datetime.date, end: datetime.date, people: tuple[int, ...]) -> list[str]:
        """Transit and border-crossing events from the first stop to the last, dated between start and end."""
        rng, geography = self.rng, self.office.geography
        route = geography.through(stops, rng)
        hops = len(route) - 1
        for step, (left, right) in enumerate(itertools.pairwise(route), start=1):
            day = start + (end - start) * step // (hops + 1)
            if step > 1 and rng.random() < 0.35:
                occurred, precision = known(rng, day - datetime.timedelta(days=1), [60, 25, 5, 10])
                self.events.append(EventPlan("TRANSIT", occurred, precision, left, place(rng, left), parties=people))
            crossing = geography.crossing(left, right, rng)
            if crossing is None:
                continue
            occurred, precision = known(rng, day, [60, 25, 5, 10])
            self.events.append(
                EventPlan(
                    "BORDER_CROSSING",
                    occurred,
                    precision,
                    right,
                    "",
                    crossing.code,
                    tuple(transport_at(crossing, rng)),
                    people,
                )
            )
        return route

    # --- Trafficking -----------------------------------------------------------------------

    def plan_trafficking(self) -> str:
        rng, today = self.rng, self.office.today
        story = self.story
        profile = stories_profile(story) if story and story.profile else profiles.pick_profile(rng)
        stops = self.stops_for_trafficking()
        if story:
            detected = today - datetime.timedelta(days=story.detected_days_ago)
            recruited = today - datetime.timedelta(days=story.recruited_days_ago)
        else:
            detected = self.reported - datetime.timedelta(days=rng.randint(0, 30))
            recruited = detected - datetime.timedelta(days=rng.randint(20, 600))
        moved_by = recruited + (detected - recruited) // 5
        destination = stops[-1]
        victims = self.add_victims(profile, stops[0], detected, role="VICTIM")
        suspects = self.add_suspects(detected)
        recruiters = victims + (suspects[:1] if suspects and rng.random() < 0.5 else ())
        occurred, precision = known(rng, recruited, [35, 40, 15, 10])
        recruited_by = self.parties[victims[0]].exploitation
        self.events.append(
            EventPlan("RECRUITMENT", occurred, precision, stops[0], place(rng, stops[0]), parties=recruiters)
        )
        if len(stops) == 1 and rng.random() < 0.4:
            occurred, precision = known(rng, moved_by, [50, 30, 5, 15])
            self.events.append(
                EventPlan("TRANSIT", occurred, precision, stops[0], place(rng, stops[0]), parties=victims)
            )
        self.walk(stops, recruited, moved_by, victims)
        exploited_at = place(rng, destination)
        how = rng.choice(profile.exploited_at)
        occurred, precision = known(rng, moved_by, [40, 45, 10, 5])
        self.events.append(
            EventPlan("EXPLOITATION", occurred, precision, destination, exploited_at, parties=victims, notes=how)
        )
        rescued = self.origin != "COMPLAINT_VICTIM"  # a victim who files the complaint got away
        self.close_route(destination, detected, victims, suspects, rescue=rescued, at=exploited_at)
        movement = (
            f"traslado dentro del país a {exploited_at}"
            if len(stops) == 1
            else f"traslado de {country_name(stops[0])} a {exploited_at} ({country_name(destination)})"
        )
        method = recruited_by.recruitment_methods[0] if recruited_by and recruited_by.recruitment_methods else ""
        opening = RECRUITED_BY.get(method, "Captación por medios no establecidos")
        count = len(victims)
        who = "una víctima" if count == 1 else f"{count} víctimas"
        return f"{opening}; {movement}. {how} Se identificó a {who}."

    def add_victims(
        self, profile: Profile, nationality: str, identified: datetime.date, *, role: str
    ) -> tuple[int, ...]:
        rng, story = self.rng, self.story
        many = 6 if profile.key == "labour" else 3
        count = rng.choices(range(1, many + 1), weights=[62, 22, 10, 3, 2, 1][:many])[0]
        positions = []
        for _ in range(count):
            age = rng.randint(*profile.ages)
            sex = "F" if rng.random() < profile.female_share else "M"
            person = new_person(rng, country=nationality, age=age, on=identified, sex=sex)
            positions.append(self.add_victim(person, profile, identified, role=role))
        if story and story.traveller_role == "VICTIM":
            traveller = stories.recorded_traveller(story, self.country, self.office.today)
            positions[0:0] = [self.add_victim(traveller, profile, identified, role=role, identified=True)]
        return tuple(positions)

    def add_victim(
        self, person: PersonPlan, profile: Profile, on: datetime.date, *, role: str, identified: bool = False
    ) -> int:
        rng, today = self.rng, self.office.today
        born = datetime.date.fromisoformat(person.birth_date) if person.birth_date else None
        age = age_on(born, on) if born else on.year - person.birth_year
        is_child = age < 18
        status = "IDENTIFIED" if identified else pick(rng, [("IDENTIFIED", 70), ("POSSIBLE", 25), ("NK", 5)])
        started = on - datetime.timedelta(days=rng.randint(14, 400))
        exploitation = profiles.exploitation(
            rng, profile, is_child=is_child, moved=True, started_on=started, ended_on=on
        )
        exploitation = self.dated(exploitation)
        support: list[SupportPlan] = []
        consents: list[ConsentPlan] = []
        if status == "IDENTIFIED" or rng.random() < 0.4:
            is_foreign = person.nationality != self.country
            support = profiles.support(
                rng,
                profile,
                country=self.country,
                is_child=is_child,
                is_foreign=is_foreign,
                identified_on=on,
                today=today,
            )
            consents = profiles.consents(rng, is_child=is_child, identified_on=on, today=today)
        self.parties.append(
            PartyPlan(role, person, age, status, profile.key, exploitation, tuple(support), tuple(consents))
        )
        return len(self.parties) - 1

    def dated(self, plan: ExploitationPlan) -> ExploitationPlan:
        """The exploitation's dates as the file knows them (month or year precision keeps only that part)."""
        started, started_precision = known(self.rng, plan.started_on, [40, 45, 15, 0])
        ended, ended_precision = known(self.rng, plan.ended_on, [80, 20, 0, 0])
        return ExploitationPlan(
            **{
                **plan.__dict__,
                "started_on": started,
                "started_on_precision": started_precision,
                "ended_on": ended,
                "ended_on_precision": ended_precision,
            }
        )

    def add_suspects(self, arrested: datetime.date) -> tuple[int, ...]:
        rng, story = self.rng, self.story
        count = pick(rng, [("0", 15), ("1", 52), ("2", 23), ("3", 10)])
        people = [
            new_person(
                rng,
                country=self.country if rng.random() < 0.8 else self.route_origin(),
                age=rng.randint(20, 60),
                on=arrested,
                sex="M" if rng.random() < 0.7 else "F",
            )
            for _ in range(int(count))
        ]
        if self.network:
            people.insert(
                0, as_recorded(self.network.suspect, rng, changes=0 if self.network.first_slot == self.slot else 1)
            )
        if story and story.traveller_role == "SUSPECT":
            people.insert(0, stories.recorded_traveller(story, self.country, self.office.today))
        positions = []
        late = STAGE_ORDER.index(self.stage) >= STAGE_ORDER.index("INDICTMENT")
        for index, person in enumerate(people):
            role = "SUSPECT"
            if late:
                role = "COOPERATING_DEFENDANT" if index > 0 and rng.random() < 0.1 else "DEFENDANT"
            born = datetime.date.fromisoformat(person.birth_date) if person.birth_date else None
            age = age_on(born, arrested) if born else arrested.year - person.birth_year
            self.parties.append(PartyPlan(role, person, age, charges=self.charges_for(index)))
            positions.append(len(self.parties) - 1)
        return tuple(positions)

    def route_origin(self) -> str:
        return self.story.origin if self.story else self.country

    def charges_for(self, index: int) -> tuple[ChargePlan, ...]:
        rng = self.rng
        if rng.random() < 0.15:
            return ()
        status = CHARGE_STATUS[self.stage]
        if self.closure in ("ARCHIVED_NO_EVIDENCE", "DISMISSED"):
            status = "DISMISSED"
        if index == 0:
            participation = rng.choice(["PRINCIPAL", "PRINCIPAL", "ORGANIZER_LEADER"])
        else:
            participation = pick(rng, [("CO_PRINCIPAL", 40), ("ACCOMPLICE", 40), ("ACCESSORY", 10), ("INSTIGATOR", 10)])
        families = {"TIP_AND_SOM": ["TIP", "SOM"]}.get(self.family, [self.family])
        return tuple(ChargePlan(family, participation, status) for family in families)

    def close_route(
        self,
        where: str,
        detected: datetime.date,
        victims: tuple[int, ...],
        suspects: tuple[int, ...],
        *,
        rescue: bool,
        at: str = "",
    ) -> None:
        """Rescue or interception (at ``at``, else somewhere in ``where``), arrests, and a return home."""
        rng, today = self.rng, self.office.today
        occurred, precision = known(rng, detected, [85, 10, 0, 5])
        kind = "RESCUE" if rescue and self.family != "SOM" else "DETECTION_INTERCEPTION"
        self.events.append(EventPlan(kind, occurred, precision, where, at or place(rng, where), parties=victims))
        if suspects and STAGE_ORDER.index(self.stage) >= STAGE_ORDER.index("FORMAL_CHARGING") and rng.random() < 0.8:
            arrested = min(today, detected + datetime.timedelta(days=rng.randint(0, 90)))
            occurred, precision = known(rng, arrested, [90, 10, 0, 0])
            self.events.append(
                EventPlan(
                    "ARREST",
                    occurred,
                    precision,
                    self.country,
                    place(rng, self.country),
                    parties=suspects[: rng.randint(1, len(suspects))],
                )
            )
        foreign = tuple(p for p in victims if self.parties[p].person.nationality != where)
        if foreign and self.family != "SOM" and rng.random() < 0.4:
            home = self.parties[foreign[0]].person.nationality
            back = min(today, detected + datetime.timedelta(days=rng.randint(15, 120)))
            occurred, precision = known(rng, back, [80, 20, 0, 0])
            self.events.append(
                EventPlan(
                    "REPATRIATION",
                    occurred,
                    precision,
                    home,
                    place(rng, home),
                    transport=("AIR",) if home not in self.office.geography.neighbours.get(where, ()) else ("BUS",),
                    parties=foreign,
                )
            )

    # --- Smuggling ---------------------------------------------------------------------

    def plan_smuggling(self) -> str:
        rng = self.rng
        story = self.story
        stops = self.stops_for_smuggling()
        route = self.office.geography.through(stops, rng)
        # Most groups are stopped in this country; some further north, with the organisers here.
        cut = route.index(self.country) if self.country in route else None
        if cut is not None and rng.random() < (0.7 if cut > 0 else 0.4):
            route = route[: cut + 1]
        if story:
            detected = self.office.today - datetime.timedelta(days=story.detected_days_ago)
        else:
            detected = self.reported - datetime.timedelta(days=rng.randint(0, 5))
        journey = rng.randint(20, 90) if route[0] == "CO" else rng.randint(2, 30)
        departed = detected - datetime.timedelta(days=journey)
        nationality = pick(rng, EXTRA_REGIONAL) if route[0] == "CO" else route[0]
        trafficked = self.family == "TIP_AND_SOM"
        migrants = []
        for _ in range(rng.choices([1, 2, 3, 4, 6], weights=[30, 28, 20, 14, 8])[0]):
            age = rng.randint(19, 45) if rng.random() < 0.8 else rng.randint(3, 17)
            person = new_person(rng, country=nationality, age=age, on=detected)
            migrants.append(self.add_migrant(person, age, detected))
        victims: tuple[int, ...] = ()
        if trafficked:
            profile = profiles.PROFILES_BY_KEY[rng.choice(["sexual", "labour", "mixed"])]
            victims = self.add_victims(profile, nationality, detected, role="VICTIM_AND_SMUGGLED_MIGRANT")
        suspects = self.add_suspects(detected)
        travellers = tuple(migrants) + victims
        occurred, precision = known(rng, departed, [50, 35, 5, 10])
        self.events.append(
            EventPlan("DEPARTURE", occurred, precision, route[0], place(rng, route[0]), parties=travellers)
        )
        self.walk(route, departed, detected, travellers)
        if len(route) > 2 and rng.random() < 0.5:
            hideout = route[-1]
            occurred, precision = known(rng, detected - datetime.timedelta(days=1), [70, 20, 0, 10])
            self.events.append(
                EventPlan(
                    "HARBOURING",
                    occurred,
                    precision,
                    hideout,
                    place(rng, hideout),
                    parties=travellers,
                    notes="Casa de seguridad de la red.",
                )
            )
        if trafficked:
            occurred, precision = known(rng, detected - datetime.timedelta(days=rng.randint(1, 3)), [50, 40, 10, 0])
            self.events.append(
                EventPlan(
                    "EXPLOITATION",
                    occurred,
                    precision,
                    route[-1],
                    place(rng, route[-1]),
                    parties=victims,
                    notes="Trabajo forzado para pagar la deuda del viaje.",
                )
            )
        self.close_route(route[-1], detected, travellers, suspects, rescue=False)
        where = next(e.place for e in self.events if e.event_type == "DETECTION_INTERCEPTION")
        origin_name = country_name(route[0])
        group = "Persona migrante" if len(travellers) == 1 else f"Grupo de {len(travellers)} personas migrantes"
        how = rng.choice(
            [
                "en un camión de carga",
                "en un autobús de línea",
                "en un vehículo particular",
                "a pie tras cruzar un punto ciego",
                "en una lancha",
            ]
        )
        return f"{group} procedente de {origin_name} interceptado {how} en {where}; se investiga a los organizadores."

    def add_migrant(self, person: PersonPlan, age: int, on: datetime.date) -> int:
        self.parties.append(PartyPlan("SMUGGLED_MIGRANT", person, age))
        return len(self.parties) - 1

    # --- Related offences ------------------------------------------------------------------

    def plan_related(self) -> None:
        rng = self.rng
        self.add_suspects(self.reported)
        if self.office.tip_slots and rng.random() < 0.8:
            self.links.append(LinkPlan("FINANCIAL_OR_ASSET_CASE", other_slot=rng.choice(self.office.tip_slots)))


def country_name(iso2: str) -> str:
    return COUNTRY_NAMES.get(iso2, iso2)


def stories_profile(story: stories.Story) -> Profile:
    return profiles.PROFILES_BY_KEY[story.profile or "sexual"]
