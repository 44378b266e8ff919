"""What a demo case is made of, as plain data (pure, no Django): the plans that
``vinculo.demo.planner`` draws and ``vinculo.demo.cases`` writes through the services."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from vinculo.demo.persons import PersonPlan
from vinculo.demo.profiles import ConsentPlan, ExploitationPlan, SupportPlan

# (code, weight): roughly the shape of a prosecutor's office TIP/SOM caseload.
CRIME_FAMILY = [("TIP", 60), ("SOM", 30), ("TIP_AND_SOM", 5), ("RELATED", 5)]
ORIGIN = {
    "TIP": [
        ("COMPLAINT_VICTIM", 18),
        ("COMPLAINT_THIRD_PARTY", 16),
        ("POLICE_OPERATION", 22),
        ("HOTLINE", 8),
        ("NGO_REFERRAL", 10),
        ("CHILD_PROTECTION_REFERRAL", 8),
        ("LABOUR_INSPECTION", 5),
        ("REFERRAL_OTHER_COUNTRY", 6),
        ("EX_OFFICIO_PROSECUTOR", 5),
        ("NK", 2),
    ],
    "SOM": [
        ("MIGRATION_CONTROL", 45),
        ("POLICE_OPERATION", 30),
        ("COMPLAINT_THIRD_PARTY", 5),
        ("REFERRAL_OTHER_COUNTRY", 8),
        ("EX_OFFICIO_PROSECUTOR", 10),
        ("NK", 2),
    ],
    "RELATED": [("EX_OFFICIO_PROSECUTOR", 60), ("POLICE_OPERATION", 30), ("NK", 10)],
}
ORIGIN["TIP_AND_SOM"] = ORIGIN["SOM"]
STAGES = [
    ("REPORTED", 10),
    ("PRELIMINARY_INVESTIGATION", 35),
    ("FORMAL_CHARGING", 15),
    ("INDICTMENT", 10),
    ("INTERMEDIATE_HEARING", 5),
    ("TRIAL", 6),
    ("FIRST_INSTANCE_JUDGMENT", 7),
    ("APPEAL", 4),
    ("FINAL", 8),
]
STAGE_ORDER = [code for code, _weight in STAGES]
EARLY_CLOSURES = [
    ("ARCHIVED_NO_EVIDENCE", 5),
    ("DISMISSED", 3),
    ("OPPORTUNITY_CRITERION", 1),
    ("TRANSFERRED_JURISDICTION", 1),
]
ORGANIZATION = [
    ("INDIVIDUAL", 25),
    ("OPPORTUNISTIC_ASSOCIATION", 20),
    ("FAMILY_BASED", 10),
    ("BUSINESS_TYPE_OCG", 15),
    ("GOVERNANCE_TYPE_OCG", 8),
    ("NK", 22),
]


@dataclass(frozen=True)
class ChargePlan:
    crime_family: str  # which of the office's provisions: the one for this crime
    participation: str
    status: str


@dataclass(frozen=True)
class PartyPlan:
    role: str
    person: PersonPlan
    age: int  # at identification
    identification_status: str | None = None
    profile: str | None = None
    exploitation: ExploitationPlan | None = None
    support: tuple[SupportPlan, ...] = ()
    consents: tuple[ConsentPlan, ...] = ()
    charges: tuple[ChargePlan, ...] = ()


@dataclass(frozen=True)
class EventPlan:
    event_type: str
    occurred_on: datetime.date | None
    precision: str
    country: str
    place: str
    crossing: str | None = None
    transport: tuple[str, ...] = ()
    parties: tuple[int, ...] = ()  # positions in the case's parties
    notes: str = ""


@dataclass(frozen=True)
class LinkPlan:
    link_type: str
    other_slot: int | None = None  # a case of this office, by its slot
    foreign_reference: str = ""


@dataclass(frozen=True)
class CasePlan:
    slot: int  # the sequence number ending the national number
    number: str
    crime_family: str
    origin: str
    stage: str
    closure_type: str | None
    closed_on: datetime.date | None
    reported_on: datetime.date
    reported_on_precision: str
    organized_crime: str
    trafficker_organization: str
    summary: str
    visibility: str
    team: tuple[str, ...]  # "investigator", "victim_care", "judge"
    parties: tuple[PartyPlan, ...]
    events: tuple[EventPlan, ...]
    links: tuple[LinkPlan, ...] = ()


def pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights=weights)[0]


def known(rng: random.Random, day: datetime.date | None, weights: Sequence[int]) -> tuple[datetime.date | None, str]:
    """A date as a record knows it: exact, month, year, or not at all (weights in that order)."""
    precision = rng.choices(["day", "month", "year", "none"], weights=weights)[0]
    if day is None or precision == "none":
        return None, "day"
    if precision == "month":
        return day.replace(day=1), "month"
    if precision == "year":
        return day.replace(month=1, day=1), "year"
    return day, "day"
