"""The benchmark: index records, queries (half of them absent people, many hard negatives) and the truth."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from vinculo.linkage.record import RawPerson
from vinculo.linkage.synthetic.common import COUNTRIES, COUNTRY_SHARES, GENERATOR_VERSION, REFERENCE_DATE, _rng
from vinculo.linkage.synthetic.corruption import CORRUPTIONS, RATES, CorruptionModel
from vinculo.linkage.synthetic.documents import _permutation
from vinculo.linkage.synthetic.names import _name_tables, given_groups, load_nicknames
from vinculo.linkage.synthetic.population import Person, Population, birth_for_age
from vinculo.linkage.synthetic.styles import _Draft, render

# --------------------------------------------------------------------------------------------
# The benchmark: index, queries, truth
# --------------------------------------------------------------------------------------------

# What the absent half of the queries is made of. Every kind but "absent_random" is a hard negative:
# someone the index does not hold who looks like someone it does (``related`` names that record).
ABSENT_KINDS = {
    "absent_random": 0.35,  # a new person drawn from the same population (common names recur anyway)
    "absent_same_name": 0.25,  # same given names and surnames as an indexed person with a common name
    "absent_sibling": 0.20,  # same two surnames, birth 1-6 years apart, another given name
    "absent_twin": 0.05,  # same two surnames and birth date, another given name
    "absent_parent_or_child": 0.15,  # shares one surname (and, for sons named after fathers, the given names)
}
QUERY_KINDS = ("present", *ABSENT_KINDS)
HOUSEHOLDS = {"single": 0.72, "siblings": 0.18, "parent_child": 0.10}
SAME_OFFICE_SHARE = 0.88  # index records written by an office of the person's own country
COMMON_GIVEN_RANK = 6  # "a very common name": one of the country's 6 commonest given names...
COMMON_SURNAME_RANK = 8  # ...and one of its 8 commonest surnames


@dataclass(frozen=True)
class Query:
    """A query record with its truth: the index record of the same person, or None for someone absent."""

    record: RawPerson
    kind: str  # one of QUERY_KINDS
    truth: str | None
    corruptions: tuple[str, ...]
    related: str | None = None  # for a hard negative, the index record it was made to resemble


@dataclass
class Stats:
    """Counts for the manifest and the report."""

    index_by_country: Counter[str] = field(default_factory=Counter)
    index_by_office: Counter[str] = field(default_factory=Counter)
    index_by_household: Counter[str] = field(default_factory=Counter)  # people in each household kind
    index_twins: int = 0
    index_sharing_name: int = 0  # index records whose exact name (given names and surnames) another one has
    queries_by_kind: Counter[str] = field(default_factory=Counter)
    corruptions_applied: Counter[str] = field(default_factory=Counter)
    corruptions_eligible: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "index_by_country": dict(sorted(self.index_by_country.items())),
            "index_by_office": dict(sorted(self.index_by_office.items())),
            "index_by_household": dict(sorted(self.index_by_household.items())),
            "index_twins": self.index_twins,
            "index_sharing_name": self.index_sharing_name,
            "queries_by_kind": {k: self.queries_by_kind[k] for k in QUERY_KINDS},
            "corruptions_applied": {c.name: self.corruptions_applied[c.name] for c in CORRUPTIONS},
            "corruptions_eligible": {c.name: self.corruptions_eligible[c.name] for c in CORRUPTIONS},
        }


def default_query_count(size: int) -> int:
    """Half the index up to 10 000 queries: enough for false hits per 1 000 absent queries at every size."""
    return min(size // 2, 10_000)


class BenchmarkGenerator:
    """Streams the index records of one benchmark and collects its queries on the way.

    ``index()`` yields the index records one by one (1M records never sit in memory);
    ``queries()`` returns the queries once the index has been streamed (it streams it, discarding
    the records, if that has not happened). ``stats`` holds the counts.
    """

    def __init__(
        self,
        *,
        size: int,
        seed: int,
        queries: int | None = None,
        nicknames: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not 1 <= size <= 5_000_000:
            raise ValueError("size must be between 1 and 5 000 000")
        self.size = size
        self.seed = seed
        self.query_count = default_query_count(size) if queries is None else queries
        if not 0 <= self.query_count <= size:
            raise ValueError("queries must be between 0 and size (half of them are present people)")
        if nicknames is None:
            self.nicknames, self.nickname_source = load_nicknames()
        else:
            self.nicknames, self.nickname_source = {k: tuple(v) for k, v in nicknames.items()}, "given"
        self.stats = Stats()
        self._queries: list[Query] | None = None

    # ---- public
    def index(self) -> Iterator[RawPerson]:
        self.stats = Stats()
        taken: set[str] = set()
        population = Population(self.seed, partition=0, taken=taken)
        absent = Population(self.seed, partition=1, taken=taken)
        model = CorruptionModel(nicknames=self.nicknames, numbers=absent.numbers)
        rng, query_rng, absent_rng = _rng(self.seed, "index"), _rng(self.seed, "queries"), _rng(self.seed, "absent")
        plan_rng = _rng(self.seed, "plan")
        present = self.query_count // 2
        absent_total = self.query_count - present
        kinds = list(ABSENT_KINDS)
        absent_kinds = plan_rng.choices(kinds, weights=list(ABSENT_KINDS.values()), k=absent_total)
        anchored = [k for k in absent_kinds if k != "absent_random"]
        present_at = set(plan_rng.sample(range(self.size), present))
        anchor_at: dict[int, list[str]] = {}
        for kind, position in zip(anchored, plan_rng.choices(range(self.size), k=len(anchored)), strict=True):
            anchor_at.setdefault(position, []).append(kind)
        waiting_same_name = 0  # same-name negatives waiting for an indexed person with a common name
        drafts: list[tuple[_Draft, str, str, str | None, tuple[str, ...], str | None]] = []
        names: Counter[int] = Counter()

        for position, person, office, household in self._people(rng, population):
            record_id = self._record_id(office, position)
            names[int.from_bytes(hashlib.blake2b(person.name_key.encode(), digest_size=8).digest())] += 1
            self._count(person, office, household)
            yield render(_Draft.of(person), office=office, record_id=record_id)
            if position in present_at:
                draft, corruptions = model.corrupt(query_rng, person)
                drafts.append((draft, self._query_office(query_rng, office), "present", record_id, corruptions, None))
            kinds_here = [k for k in anchor_at.get(position, ()) if k != "absent_same_name"]
            waiting_same_name += len(anchor_at.get(position, ())) - len(kinds_here)
            if waiting_same_name and self._is_common(person):
                waiting_same_name -= 1
                kinds_here.append("absent_same_name")
            for kind in kinds_here:
                lookalike = self._lookalike(absent_rng, absent, person, kind, office)
                draft, corruptions = model.corrupt(query_rng, lookalike)
                drafts.append((draft, self._query_office(query_rng, office), kind, None, corruptions, record_id))
        for kind in ["absent_same_name"] * waiting_same_name + ["absent_random"] * absent_kinds.count("absent_random"):
            country = self._country(absent_rng)
            if kind == "absent_same_name":  # the index ended before enough common names: a common name anyway
                stranger = self._common_name_person(absent_rng, absent, country)
            else:
                stranger = absent.person(absent_rng, country=country)
            draft, corruptions = model.corrupt(query_rng, stranger)
            drafts.append((draft, self._query_office(query_rng, country), kind, None, corruptions, None))

        query_rng.shuffle(drafts)
        self._queries = []
        for n, (draft, office, kind, truth, corruptions, related) in enumerate(drafts, start=1):
            record = render(draft, office=office, record_id=f"Q-{office}-{n:06d}")
            self._queries.append(Query(record, kind, truth, corruptions, related))
            self.stats.queries_by_kind[kind] += 1
        self.stats.corruptions_applied = model.applied
        self.stats.corruptions_eligible = model.eligible
        self.stats.index_sharing_name = sum(count for count in names.values() if count > 1)

    def queries(self) -> list[Query]:
        if self._queries is None:
            for _ in self.index():
                pass
        assert self._queries is not None  # noqa: S101 - set by index()
        return self._queries

    # ---- the index population
    def _people(self, rng: random.Random, population: Population) -> Iterator[tuple[int, Person, str, str]]:
        position = 0
        while position < self.size:
            country = self._country(rng)
            office = country if rng.random() < SAME_OFFICE_SHARE else rng.choice([c for c in COUNTRIES if c != country])
            household = rng.choices(list(HOUSEHOLDS), weights=list(HOUSEHOLDS.values()))[0]
            if household == "siblings":
                members = self._siblings(rng, population, country, office)
            elif household == "parent_child":
                members = self._parent_and_children(rng, population, country, office)
            else:
                members = [population.person(rng, country=country, office=office)]
            for person in members:
                if position >= self.size:
                    return
                yield position, person, office, household
                position += 1

    def _siblings(self, rng: random.Random, population: Population, country: str, office: str) -> list[Person]:
        first = population.person(rng, country=country, office=office)
        siblings = [first]
        for _ in range(rng.choice((1, 1, 2))):
            twin = rng.random() < 0.05
            self.stats.index_twins += twin
            siblings.append(self._sibling_of(rng, population, first, office, twin=twin))
        return siblings

    @staticmethod
    def _sibling_of(rng: random.Random, population: Population, person: Person, office: str, *, twin: bool) -> Person:
        if twin:
            birth = person.birth
        else:
            years = rng.choice((-1, 1)) * rng.randint(1, 6)
            age = min(max(person.age + years, 0), 70)
            if age == person.age:
                age = person.age + 1 if person.age < 70 else person.age - 1
            birth = birth_for_age(rng, age)
        return population.person(
            rng,
            country=person.country,
            birth=birth,
            surnames=(person.first_surname, person.second_surname),
            avoid_given=person.given,
            office=office,
        )

    def _parent_and_children(
        self, rng: random.Random, population: Population, country: str, office: str
    ) -> list[Person]:
        parent = population.person(rng, country=country, age=rng.randint(30, 60), office=office)
        members = [parent]
        for _ in range(rng.choice((1, 1, 2))):
            members.append(self._child_of(rng, population, parent, office))
        return members

    @staticmethod
    def _child_of(rng: random.Random, population: Population, parent: Person, office: str) -> Person:
        age = max(parent.age - rng.randint(18, max(18, min(40, parent.age))), 0)
        sex = "F" if rng.random() < 0.5 else "M"
        if parent.sex == "M":
            surnames = (parent.first_surname, population.draw_surname(rng, parent.country, avoid=parent.first_surname))
        elif parent.spouse_surname:
            surnames = (parent.spouse_surname, parent.first_surname)
        else:
            surnames = (parent.first_surname, parent.second_surname)
        if not parent.second_surname:  # one-surname families (most of Belize) stay so
            surnames = (surnames[0], "")
        named_after_father = parent.sex == "M" and sex == "M" and rng.random() < 0.25
        return population.person(
            rng,
            country=parent.country,
            sex=sex,
            age=age,
            surnames=surnames,
            given=parent.given if named_after_father else None,
            spouse_surname="",
            office=office,
        )

    @staticmethod
    def _parent_of(rng: random.Random, population: Population, child: Person, office: str) -> Person:
        age = min(child.age + rng.randint(18, 35), 70)
        if rng.random() < 0.5:  # the father: his first surname is the child's first
            second = (
                population.draw_surname(rng, child.country, avoid=child.first_surname) if child.second_surname else ""
            )
            named = child.given if child.sex == "M" and rng.random() < 0.25 else None
            return population.person(
                rng,
                country=child.country,
                sex="M",
                age=age,
                surnames=(child.first_surname, second),
                given=named,
                office=office,
            )
        first = child.second_surname or child.first_surname
        second = population.draw_surname(rng, child.country, avoid=first) if child.second_surname else ""
        return population.person(
            rng,
            country=child.country,
            sex="F",
            age=age,
            surnames=(first, second),
            spouse_surname=child.first_surname,
            office=office,
        )

    # ---- hard negatives
    def _lookalike(self, rng: random.Random, absent: Population, person: Person, kind: str, office: str) -> Person:
        if kind == "absent_same_name":
            while True:
                stranger = absent.person(
                    rng,
                    country=person.country,
                    sex=person.sex,
                    given=person.given,
                    surnames=(person.first_surname, person.second_surname),
                    office=office,
                )
                if stranger.birth != person.birth:
                    return stranger
        if kind in ("absent_sibling", "absent_twin"):
            return self._sibling_of(rng, absent, person, office, twin=kind == "absent_twin")
        if person.age >= 33 and (person.age > 52 or rng.random() < 0.5):
            return self._child_of(rng, absent, person, office)
        return self._parent_of(rng, absent, person, office)

    def _is_common(self, person: Person) -> bool:
        tables = _name_tables()
        pool = (tables.female if person.sex == "F" else tables.male)[person.country]
        return (
            person.given[0] in pool.names[:COMMON_GIVEN_RANK]
            and person.first_surname in tables.surnames[person.country].names[:COMMON_SURNAME_RANK]
        )

    def _common_name_person(self, rng: random.Random, absent: Population, country: str) -> Person:
        tables = _name_tables()
        sex = "F" if rng.random() < 0.5 else "M"
        pool = (tables.female if sex == "F" else tables.male)[country]
        surnames = tables.surnames[country].names
        first = rng.choice(surnames[:COMMON_SURNAME_RANK])
        second = rng.choice([s for s in surnames[:COMMON_SURNAME_RANK] if s != first])
        return absent.person(
            rng,
            country=country,
            sex=sex,
            given=given_groups(rng.choice(pool.names[:COMMON_GIVEN_RANK])),
            surnames=(first, second),
        )

    # ---- small parts
    @staticmethod
    def _country(rng: random.Random) -> str:
        return rng.choices(COUNTRIES, weights=[COUNTRY_SHARES[c] for c in COUNTRIES])[0]

    @staticmethod
    def _query_office(rng: random.Random, office: str) -> str:
        """The office asking: mostly another one (that is the point of asking), sometimes the same."""
        return office if rng.random() < 0.2 else rng.choice([c for c in COUNTRIES if c != office])

    def _record_id(self, office: str, position: int) -> str:
        # An affine permutation of the position: ids are unique and carry no order (households are adjacent).
        multiplier, offset = _permutation(self.seed, "record-id", 10**7)
        return f"{office}-{(position * multiplier + offset) % 10**7:07d}"

    def _count(self, person: Person, office: str, household: str) -> None:
        self.stats.index_by_country[person.country] += 1
        self.stats.index_by_office[office] += 1
        self.stats.index_by_household[household] += 1


@dataclass
class BenchmarkSet:
    """A benchmark held in memory (10k and 100k; stream 1M with ``write_benchmark``)."""

    seed: int
    index: list[RawPerson]
    queries: list[Query]
    stats: Stats
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def truth(self) -> dict[str, str | None]:
        """Query record id -> the index record id of the same person, or None."""
        return {q.record.record_id: q.truth for q in self.queries}

    @property
    def corruptions(self) -> dict[str, tuple[str, ...]]:
        return {q.record.record_id: q.corruptions for q in self.queries}


def generate_benchmark(
    *, size: int, seed: int, queries: int | None = None, nicknames: Mapping[str, Sequence[str]] | None = None
) -> BenchmarkSet:
    """A whole benchmark in memory: ``size`` index records and ``queries`` queries (half absent)."""
    generator = BenchmarkGenerator(size=size, seed=seed, queries=queries, nicknames=nicknames)
    index = list(generator.index())
    return BenchmarkSet(seed, index, generator.queries(), generator.stats, _manifest(generator))


def _manifest(generator: BenchmarkGenerator) -> dict[str, object]:
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": generator.seed,
        "size": generator.size,
        "queries": generator.query_count,
        "nicknames": generator.nickname_source,
        "reference_date": REFERENCE_DATE.isoformat(),
        "corruption_rates": RATES,
        "stats": generator.stats.as_dict(),
    }
