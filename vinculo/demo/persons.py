"""Synthetic people in the demo cases: names, birth dates, documents and phones (pure, no Django).

Names come from common name parts (vinculo.demo.people). Document numbers and phones follow
each country's layout but are drawn from ranges no real person holds (``SYNTHETIC_DOCUMENT``,
``SYNTHETIC_PHONE``): identity numbers above the blocks issued so far, phone numbers starting
with a 1, which no subscriber number in the region does. Nothing describes a real person.

The same person written down by another office, or by the same office in another case,
shows the natural variations records have (``as_recorded``): a dropped second surname, a
nickname, capitals without accents, a spelling variant, day and month swapped, another
document, no phone.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import re
import unicodedata
from dataclasses import dataclass

from vinculo.demo.people import GIVEN_FEMALE, GIVEN_MALE, surnames_for
from vinculo.linkage.identifiers import (
    GT_MUNICIPALITIES,  # the engine reads these
    gt_cui_check_digit,
    sv_dui_check_digit,
)

PHONE_PREFIX = {"GT": "+502", "SV": "+503", "HN": "+504", "NI": "+505", "CR": "+506", "PA": "+507", "BZ": "+501"}
PHONE_PREFIX_OTHER = {"MX": "+52", "CO": "+57", "VE": "+58", "EC": "+593", "CU": "+53", "HT": "+509"}
NATIONAL_ID = {"GT", "SV", "HN"}
# What every synthetic document and phone looks like (the tests hold the generator to it).
SYNTHETIC_DOCUMENT = {
    "GT": re.compile(r"DPI 9\d{3} \d{5} \d{4}"),  # CUI blocks from 9000 up: not issued
    "SV": re.compile(r"DUI 9\d{7}-\d"),  # DUI numbers from 90 000 000 up: not issued
    "HN": re.compile(r"DNI \d{4}-\d{4}-9\d{4}"),  # registration numbers from 90 000: beyond any municipality's year
    "passport": re.compile(r"Pasaporte [A-Z]99\d{6}"),
}
SYNTHETIC_PHONE = re.compile(r"\+\d{2,3} 1\d{3}-\d{4}")

NICKNAMES = {
    "José": "Chepe",
    "Francisco": "Paco",
    "Guadalupe": "Lupe",
    "Antonio": "Toño",
    "Rosario": "Chayo",
    "Jesús": "Chuy",
    "Dolores": "Lola",
    "Mercedes": "Meche",
    "Roberto": "Beto",
    "Eduardo": "Lalo",
    "Enrique": "Quique",
    "Ignacio": "Nacho",
    "Alfredo": "Fredy",
    "Wilfredo": "Wil",
    "Margarita": "Magui",
    "Manuel": "Manolo",
}
SPELLINGS = {
    "Vásquez": "Vázquez",
    "Vázquez": "Vásquez",
    "González": "Gonzáles",
    "Rodríguez": "Rodrigues",
    "Chávez": "Chaves",
    "Méndez": "Mendes",
    "Ramírez": "Ramires",
    "Pérez": "Peres",
    "Ortiz": "Ortíz",
    "Mejía": "Megía",
    "Hernández": "Hernándes",
    "Zúniga": "Zúñiga",
    "Xicará": "Xicara",
    "de León": "De León",
}


@dataclass(frozen=True)
class PersonPlan:
    """A synthetic person as one office recorded them."""

    given_names: str
    first_surname: str
    second_surname: str
    sex: str  # "F" or "M": codes of the sex list
    birth_date: str  # ISO date, or "" when the record does not have it
    birth_year: int
    document_numbers: str
    phones: str
    nationality: str  # ISO alpha-2
    traveller: int | None = None  # the shared traveller this is, if one

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.first_surname, self.second_surname) if part)


def plain(text: str) -> str:
    """Without accents (ñ kept as n), as records typed on machines without them show."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years between a birth date and a day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth_date_for(rng: random.Random, *, age: int, on: datetime.date) -> datetime.date:
    """A birth date that makes someone exactly ``age`` on ``on``."""
    latest = on.replace(year=on.year - age) if (on.month, on.day) != (2, 29) else on.replace(year=on.year - age, day=28)
    return latest - datetime.timedelta(days=rng.randint(0, 364))


def national_document(rng: random.Random, country: str) -> str:
    """A national identity number of the country's layout with a valid check digit (serials start with 9).

    Draws as many random numbers as the layout has parts, so the rest of the demo's draws stay where they were.
    """
    if country == "GT":
        department, municipality = rng.randint(1, 22), rng.randint(1, 30)
        serial = f"9{rng.randint(0, 999):03d}{rng.randint(0, 99999):05d}"[:8]
        while gt_cui_check_digit(serial) is None:  # one serial in eleven has no check digit: take the next
            serial = f"{int(serial) + 1:08d}"
        place = f"{department:02d}{1 + (municipality - 1) % GT_MUNICIPALITIES[department - 1]:02d}"
        digits = f"{serial}{gt_cui_check_digit(serial)}"
        return f"DPI {digits[:4]} {digits[4:]} {place}"
    if country == "SV":
        serial = f"9{rng.randint(0, 9999999):07d}"
        rng.randint(0, 9)  # the check digit was drawn once; it is computed now
        return f"DUI {serial}-{sv_dui_check_digit(serial)}"
    if country == "HN":
        place = f"{rng.randint(1, 18):02d}{rng.randint(1, 28):02d}"  # department and municipality
        return f"DNI {place}-{rng.randint(1960, 2008)}-9{rng.randint(0, 9999):04d}"
    return passport(rng)


def passport(rng: random.Random) -> str:
    return f"Pasaporte {rng.choice('ABCEFGHKLMNPRSTUX')}99{rng.randint(0, 999999):06d}"


def phone(rng: random.Random, country: str) -> str:
    prefix = PHONE_PREFIX.get(country) or PHONE_PREFIX_OTHER.get(country, "+502")
    return f"{prefix} 1{rng.randint(0, 999):03d}-{rng.randint(0, 9999):04d}"


def new_person(rng: random.Random, *, country: str, age: int, on: datetime.date, sex: str | None = None) -> PersonPlan:
    """Someone of ``country`` who is ``age`` years old on ``on`` (the day they were identified)."""
    sex = sex or ("F" if rng.random() < 0.55 else "M")
    given = rng.choice(GIVEN_FEMALE if sex == "F" else GIVEN_MALE)
    first, second = rng.sample(surnames_for(country), 2)
    while second == first:  # local surnames are listed twice
        second = rng.choice(surnames_for(country))
    born = birth_date_for(rng, age=age, on=on)
    documents = []
    if age >= 18 and rng.random() < 0.9:
        documents.append(national_document(rng, country) if country in NATIONAL_ID else passport(rng))
        if country in NATIONAL_ID and rng.random() < 0.2:
            documents.append(passport(rng))
    elif age < 18 and rng.random() < 0.35:
        documents.append(passport(rng))
    has_phone = rng.random() < (0.7 if age >= 18 else 0.2)
    return PersonPlan(
        given_names=given,
        first_surname=first,
        second_surname=second,
        sex=sex,
        birth_date=born.isoformat(),
        birth_year=born.year,
        document_numbers="; ".join(documents),
        phones=phone(rng, country) if has_phone else "",
        nationality=country,
    )


def _swap_day_month(iso: str) -> str:
    born = datetime.date.fromisoformat(iso)
    if born.day > 12 or born.day == born.month:
        return ""
    return born.replace(month=born.day, day=born.month).isoformat()


VARIATIONS = (
    "drop_second_surname",
    "nickname",
    "no_accents",
    "spelling",
    "swap_day_month",
    "no_birth_date",
    "other_document",
    "no_phone",
)


def vary(person: PersonPlan, change: str, rng: random.Random) -> PersonPlan:
    """``person`` with one change of the kind records show; unchanged when it does not apply."""
    if change == "drop_second_surname" and person.second_surname:
        return dataclasses.replace(person, second_surname="")
    if change == "nickname":
        first_given = person.given_names.split(" ")[0]
        if person.given_names in NICKNAMES:
            return dataclasses.replace(person, given_names=NICKNAMES[person.given_names])
        if " " in person.given_names:  # "María José" written as "María"
            return dataclasses.replace(person, given_names=first_given)
    if change == "no_accents":
        return dataclasses.replace(
            person,
            given_names=plain(person.given_names).upper(),
            first_surname=plain(person.first_surname).upper(),
            second_surname=plain(person.second_surname).upper(),
        )
    if change == "spelling":
        if person.first_surname in SPELLINGS:
            return dataclasses.replace(person, first_surname=SPELLINGS[person.first_surname])
        if person.second_surname in SPELLINGS:
            return dataclasses.replace(person, second_surname=SPELLINGS[person.second_surname])
    if change == "swap_day_month" and person.birth_date:
        swapped = _swap_day_month(person.birth_date)
        if swapped:
            return dataclasses.replace(person, birth_date=swapped)
    if change == "no_birth_date" and person.birth_date:
        return dataclasses.replace(person, birth_date="")
    if change == "other_document":
        if person.document_numbers and rng.random() < 0.5:
            return dataclasses.replace(person, document_numbers="")
        return dataclasses.replace(person, document_numbers=passport(rng))
    if change == "no_phone" and person.phones:
        return dataclasses.replace(person, phones="")
    return person


def as_recorded(person: PersonPlan, rng: random.Random, *, changes: int) -> PersonPlan:
    """The way another record wrote the same person down: ``changes`` variations (at least that many differ)."""
    recorded = person
    for change in rng.sample(VARIATIONS, len(VARIATIONS)):
        if changes <= 0:
            break
        varied = vary(recorded, change, rng)
        if varied != recorded:
            recorded = varied
            changes -= 1
    return recorded
