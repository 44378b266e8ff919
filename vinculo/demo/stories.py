"""Stories the demo offices share: one traveller recorded by two offices (pure, no Django).

A victim recruited in Honduras and rescued in Guatemala appears in both offices' files; so
does a recruiter or a smuggler who works both sides of a border. The stories come from one
network-wide seed, so every node draws the same list and finds its own share of it: each
office files its story cases under fixed case slots, and can therefore name the
counterpart's case number in a link. Each office writes the traveller down its own way
(``recorded_traveller``): the two records of one person always differ a little.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from dataclasses import dataclass
from functools import cache

from vinculo.demo.persons import PersonPlan, as_recorded, new_person, vary
from vinculo.demo.profiles import pick_profile

DEMO_OFFICES = {"GT": "GT-MP", "SV": "SV-FGR", "HN": "HN-MP"}
STORY_SEED = "vinculo-demo-travellers"
STORY_COUNT = 45
FIRST_SLOT, SLOT_SPACING = 3, 7
# (origin, destination) of the stories, weighted like the region's flows.
PAIRS = [
    (("HN", "GT"), 25),
    (("SV", "GT"), 20),
    (("HN", "SV"), 15),
    (("GT", "SV"), 10),
    (("SV", "HN"), 10),
    (("GT", "HN"), 10),
]


@dataclass(frozen=True)
class Story:
    index: int
    origin: str  # ISO alpha-2
    destination: str
    crime_family: str  # "TIP" or "SOM"
    traveller_role: str  # "VICTIM" or "SUSPECT"
    profile: str | None  # how a victim traveller was exploited
    age: int  # at identification
    traveller: PersonPlan  # as the person really is (on the shared anchor day)
    recruited_days_ago: int
    detected_days_ago: int
    reported_days_ago: tuple[tuple[str, int], ...]  # per office country
    changes: tuple[tuple[str, int], ...]  # how many variations each office's record shows

    @property
    def countries(self) -> tuple[str, str]:
        return (self.origin, self.destination)

    def reported_on(self, country: str, today: datetime.date) -> datetime.date:
        return today - datetime.timedelta(days=dict(self.reported_days_ago)[country])

    def other(self, country: str) -> str:
        return self.destination if country == self.origin else self.origin


# Travellers are drawn as if identified on this day; ``traveller_on`` moves them to the real day.
ANCHOR = datetime.date(2026, 1, 1)


@cache
def stories() -> tuple[Story, ...]:
    """The shared list: the same on every node (it depends on the network-wide seed only)."""
    rng = random.Random(STORY_SEED)  # noqa: S311 - synthetic data
    pairs, weights = zip(*PAIRS, strict=True)
    made = []
    for index in range(STORY_COUNT):
        origin, destination = rng.choices(pairs, weights=weights)[0]
        kind = rng.choices(["tip_victim", "tip_suspect", "som_suspect"], weights=[60, 15, 25])[0]
        detected = rng.randint(60, 1100)
        recruited = detected + rng.randint(20, 400)
        if kind == "tip_victim":
            profile = pick_profile(rng)
            age = rng.randint(max(profile.ages[0], 12), profile.ages[1])
            sex = "F" if rng.random() < profile.female_share else "M"
            person = new_person(rng, country=origin, age=age, on=ANCHOR, sex=sex)
        else:
            profile = None
            age = rng.randint(22, 55)
            person = new_person(
                rng,
                country=rng.choice([origin, origin, destination]),
                age=age,
                on=ANCHOR,
                sex="M" if rng.random() < 0.75 else "F",
            )
        reported_destination = max(1, detected - rng.randint(0, 5))
        if rng.random() < 0.5:  # the family reported the disappearance before the rescue
            reported_origin = max(1, recruited - rng.randint(20, max(21, recruited - detected)))
        else:
            reported_origin = max(1, detected - rng.randint(10, 90))
        first_changes = rng.choice([0, 1])
        made.append(
            Story(
                index=index,
                origin=origin,
                destination=destination,
                crime_family="SOM" if kind == "som_suspect" else "TIP",
                traveller_role="VICTIM" if kind == "tip_victim" else "SUSPECT",
                profile=profile.key if profile else None,
                age=age,
                traveller=person,
                recruited_days_ago=recruited,
                detected_days_ago=detected,
                reported_days_ago=((origin, reported_origin), (destination, reported_destination)),
                changes=((origin, first_changes), (destination, rng.choice([1, 1, 2]))),
            )
        )
    return tuple(made)


def slots(country: str) -> dict[int, Story]:
    """The case slots (case sequence numbers) of ``country``'s office that tell a shared story."""
    mine = [story for story in stories() if country in story.countries]
    return {FIRST_SLOT + position * SLOT_SPACING: story for position, story in enumerate(mine)}


def slot_of(story: Story, country: str) -> int:
    return next(slot for slot, told in slots(country).items() if told.index == story.index)


def case_number(node_id: str, family: str, reported_on: datetime.date, slot: int) -> str:
    """The national number a demo office gives a case: ``<office>-<crime>-<year>-<slot>``."""
    prefix = node_id.split("-")[1] if "-" in node_id else node_id
    return f"{prefix}-{family.split('_')[0]}-{reported_on.year}-{slot:05d}"


def counterpart_reference(story: Story, country: str, today: datetime.date) -> str:
    """How ``country``'s office names the other office's case of the same story: node id and number."""
    other = story.other(country)
    node_id = DEMO_OFFICES[other]
    number = case_number(node_id, story.crime_family, story.reported_on(other, today), slot_of(story, other))
    return f"{node_id} {number}"


def traveller_on(story: Story, today: datetime.date) -> PersonPlan:
    """The traveller with their birth date placed so that they are ``story.age`` when identified."""
    detected = today - datetime.timedelta(days=story.detected_days_ago)
    born = datetime.date.fromisoformat(story.traveller.birth_date) + (detected - ANCHOR)
    return dataclasses.replace(story.traveller, birth_date=born.isoformat(), birth_year=born.year)


def recorded_traveller(story: Story, country: str, today: datetime.date) -> PersonPlan:
    """The traveller as ``country``'s office wrote them down (never quite as the other office did)."""
    return dataclasses.replace(_as_written(story, country, today), traveller=story.index)


def _as_written(story: Story, country: str, today: datetime.date) -> PersonPlan:
    rng = random.Random(f"{STORY_SEED}-{story.index}-{country}")  # noqa: S311 - synthetic data
    mine = as_recorded(traveller_on(story, today), rng, changes=dict(story.changes)[country])
    if country == story.destination:
        theirs = _as_written(story, story.origin, today)
        while mine == theirs:
            mine = vary(mine, "other_document", rng)
    return mine
