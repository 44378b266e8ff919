"""The synthetic population: persons, ages, households and their identifiers."""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vinculo.linkage.synthetic.common import EMAIL_DOMAINS, HANDLE_PLATFORMS, REFERENCE_DATE, fold
from vinculo.linkage.synthetic.contacts import phone_number, plate_number
from vinculo.linkage.synthetic.documents import _Numbers, national_id, passport_number
from vinculo.linkage.synthetic.names import _name_tables, given_groups

# --------------------------------------------------------------------------------------------
# The population
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic person as they are, before anyone writes them down. Identifiers without separators."""

    country: str  # nationality, and the country whose name lists and registries they come from
    sex: str  # "F" or "M"
    given: tuple[str, ...]  # given names: ("María", "de los Ángeles"), ("José", "Luis")
    first_surname: str
    second_surname: str  # "" for one-surname people (most of Belize)
    birth: datetime.date
    phones: tuple[tuple[str, str], ...] = ()  # (country, national number)
    documents: tuple[tuple[str, str, str], ...] = ()  # (passport | national_id, country, number)
    plates: tuple[tuple[str, str], ...] = ()  # (country, plate in its official layout)
    emails: tuple[str, ...] = ()
    handles: tuple[tuple[str, str], ...] = ()  # (platform, handle without "@")
    spouse_surname: str = ""  # the husband's first surname, for a married woman

    @property
    def age(self) -> int:
        born = self.birth
        return REFERENCE_DATE.year - born.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))

    @property
    def name_key(self) -> str:
        return " ".join((*self.given, self.first_surname, self.second_surname)).strip()


def draw_age(rng: random.Random) -> int:
    """0-70: a third children (most of them adolescents), most adults young: the people TIP cases are about."""
    u = rng.random()
    if u < 0.34:
        return rng.randint(12, 17) if rng.random() < 0.6 else rng.randint(0, 11)
    if u < 0.80:
        return rng.randint(18, 35)
    return rng.randint(36, 70)


def birth_for_age(rng: random.Random, age: int) -> datetime.date:
    latest = REFERENCE_DATE.toordinal() - round(age * 365.25)
    return datetime.date.fromordinal(latest - rng.randrange(365))


class Population:
    """Draws people and households; owns the unique-number spaces and the taken e-mail addresses and handles."""

    def __init__(self, seed: int, *, partition: int, taken: set[str]) -> None:
        self.numbers = _Numbers(seed, partition)
        self.tables = _name_tables()
        self.taken = taken  # e-mail addresses and handles already given to someone

    # ---- names
    def draw_given(self, rng: random.Random, country: str, sex: str, avoid: Sequence[str] = ()) -> tuple[str, ...]:
        english = country == "BZ" and rng.random() < 0.7
        if country == "BZ" and not english:
            country = "GT" if rng.random() < 0.5 else "HN"  # Belize's Mestizo names
        if english:
            pool = self.tables.english_female if sex == "F" else self.tables.english_male
        else:
            pool = self.tables.female[country] if sex == "F" else self.tables.male[country]
        for _ in range(20):
            groups = given_groups(pool.draw(rng))
            if len(groups) == 1 and rng.random() < (0.3 if english else 0.55):
                second = given_groups(pool.draw(rng))
                if second[0] != groups[0]:
                    groups = (groups[0], second[0])
            if groups[0] not in avoid:
                return groups
        return groups

    def draw_surname(self, rng: random.Random, country: str, avoid: str = "") -> str:
        pool = self.tables.surnames[country]
        for _ in range(10):
            surname = pool.draw(rng)
            if surname != avoid:
                return surname
        return surname

    # ---- the person
    def person(
        self,
        rng: random.Random,
        *,
        country: str,
        sex: str | None = None,
        age: int | None = None,
        birth: datetime.date | None = None,
        given: tuple[str, ...] | None = None,
        surnames: tuple[str, str] | None = None,
        avoid_given: Sequence[str] = (),
        spouse_surname: str | None = None,
        office: str | None = None,
    ) -> Person:
        sex = sex or ("F" if rng.random() < 0.55 else "M")
        if birth is None:
            birth = birth_for_age(rng, draw_age(rng) if age is None else age)
        if surnames is None:
            first = self.draw_surname(rng, country)
            one_surname = country == "BZ" and rng.random() < 0.8
            surnames = (first, "" if one_surname else self.draw_surname(rng, country, avoid=first))
        given = given or self.draw_given(rng, country, sex, avoid_given)
        draft = Person(country, sex, given, surnames[0], surnames[1], birth)
        age = draft.age
        if spouse_surname is None:
            married = sex == "F" and age >= 20 and rng.random() < 0.45
            spouse_surname = self.draw_surname(rng, country, avoid=surnames[0]) if married else ""
        return Person(
            country=country,
            sex=sex,
            given=given,
            first_surname=surnames[0],
            second_surname=surnames[1],
            birth=birth,
            phones=self._phones(rng, country, age, office or country),
            documents=self._documents(rng, country, age, birth),
            plates=((country, plate_number(rng, country=country)),) if age >= 21 and rng.random() < 0.15 else (),
            emails=self._emails(rng, given, surnames, birth) if age >= 14 and rng.random() < 0.3 else (),
            handles=self._handles(rng, given, surnames) if age >= 12 and rng.random() < 0.4 else (),
            spouse_surname=spouse_surname,
        )

    def _phones(self, rng: random.Random, country: str, age: int, office: str) -> tuple[tuple[str, str], ...]:
        if age < 12:
            count = 1 if rng.random() < 0.1 else 0
        elif age < 18:
            count = rng.choices((0, 1, 2), weights=(50, 40, 10))[0]
        else:
            count = rng.choices((0, 1, 2, 3), weights=(25, 45, 22, 8))[0]
        phones = []
        for i in range(count):
            where = office if (i > 0 or rng.random() < 0.2) and office != country else country
            phones.append((where, phone_number(self.numbers, country=where)))
        return tuple(phones)

    def _documents(
        self, rng: random.Random, country: str, age: int, birth: datetime.date
    ) -> tuple[tuple[str, str, str], ...]:
        documents = []
        # Identity cards from 18 (16 in Nicaragua); the CUI (Guatemala), the Costa Rican and the
        # Panamanian numbers are given at birth registration, so children often have one too.
        adult = age >= (16 if country == "NI" else 18)
        at_birth = country in ("GT", "CR", "PA")
        if (adult and rng.random() < 0.85) or (not adult and at_birth and rng.random() < 0.45):
            number = national_id(rng, self.numbers, country=country, birth=birth)
            if number:
                documents.append(("national_id", country, number))
        if rng.random() < (0.25 if age >= 18 else 0.08) or (country == "BZ" and rng.random() < 0.3):
            documents.append(("passport", country, passport_number(self.numbers, country=country)))
        return tuple(documents)

    def _unique(self, rng: random.Random, stem: str, suffix: str) -> str:
        for attempt in range(50):
            candidate = (
                stem if attempt == 0 and rng.random() < 0.3 else f"{stem}{rng.randrange(10 ** (2 + attempt // 10))}"
            )
            if candidate + suffix not in self.taken:
                self.taken.add(candidate + suffix)
                return candidate
        raise RuntimeError("no free synthetic address")  # pragma: no cover - 50 attempts over growing ranges

    def _emails(
        self, rng: random.Random, given: tuple[str, ...], surnames: tuple[str, str], birth: datetime.date
    ) -> tuple[str, ...]:
        first, surname = _slug(given[0]), _slug(surnames[0])
        stem = rng.choice((f"{first}.{surname}", f"{first}{surname}", f"{first[0]}{surname}", f"{first}_{surname}"))
        if rng.random() < 0.3:
            stem += f"{birth:%y}"
        domain = rng.choice(EMAIL_DOMAINS)
        return (f"{self._unique(rng, stem, '@' + domain)}@{domain}",)

    def _handles(
        self, rng: random.Random, given: tuple[str, ...], surnames: tuple[str, str]
    ) -> tuple[tuple[str, str], ...]:
        platform = rng.choice(HANDLE_PLATFORMS)
        first, surname = _slug(given[0]), _slug(surnames[0])
        stem = rng.choice(
            (f"{first}.{surname}", f"{first}_{surname}", f"{surname}{first}", f"la_{first}" if first else surname)
        )
        return ((platform, self._unique(rng, stem, ":" + platform)),)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).lower())
