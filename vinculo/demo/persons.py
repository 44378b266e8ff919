"""Synthetic people in the demo cases: victims and suspects with sealed identities.

Names come from common name parts (vinculo.demo.people); document numbers follow each
country's format but are random; nothing describes a real person. A pool of "travellers" is
drawn from one network-wide seed, so each office node finds some of the same people in its
own records, written with the natural variations records show: a dropped second surname, a
nickname, lost accents, another document format.
"""

from __future__ import annotations

import random
import unicodedata

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.cases.services import parties
from vinculo.demo.people import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from vinculo.reference.models import Code, Country

NICKNAMES = {"José": "Chepe", "Francisco": "Paco", "Guadalupe": "Lupe", "Antonio": "Toño", "Rosario": "Chayo"}
PHONE_PREFIX = {"GT": "+502", "SV": "+503", "HN": "+504"}
TRAVELLER_POOL = 30
TRAVELLER_SEED = "vinculo-demo-travellers"


def _document(rng: random.Random, country: str) -> str:
    if country == "GT":
        return f"DPI {rng.randint(1000, 9999)} {rng.randint(10000, 99999)} {rng.randint(101, 2299):04d}"
    if country == "SV":
        return f"DUI {rng.randint(0, 99999999):08d}-{rng.randint(0, 9)}"
    if country == "HN":
        return f"DNI {rng.randint(101, 1899):04d}-{rng.randint(1970, 2010)}-{rng.randint(0, 99999):05d}"
    return f"Pasaporte {rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(0, 9999999):07d}"


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _person(rng: random.Random, country: str) -> dict[str, str | int]:
    female = rng.random() < 0.6
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    first, second = rng.sample(SURNAMES, 2)
    year = rng.randint(1975, 2010)
    return {
        "given_names": given,
        "first_surname": first,
        "second_surname": second,
        "sex": "F" if female else "M",
        "birth_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "document_numbers": _document(rng, country),
        "phones": f"{PHONE_PREFIX.get(country, '+502')} {rng.randint(2000, 7999)}-{rng.randint(0, 9999):04d}",
        "nationality": country,
    }


def travellers() -> list[dict[str, str | int]]:
    """The shared pool: the same list on every node (it depends on a network-wide seed only)."""
    rng = random.Random(TRAVELLER_SEED)  # noqa: S311 - synthetic data
    pool = []
    for index in range(TRAVELLER_POOL):
        person = _person(rng, rng.choice(["GT", "SV", "HN"]))
        person["countries"] = ",".join(sorted(rng.sample(["GT", "SV", "HN"], 2)))
        person["index"] = index
        pool.append(person)
    return pool


def _as_recorded(person: dict[str, str | int], rng: random.Random) -> dict[str, str | int]:
    """The way another office wrote the same person down."""
    varied = dict(person)
    change = rng.choice(["drop_second_surname", "nickname", "no_accents", "none"])
    if change == "drop_second_surname":
        varied["second_surname"] = ""
    elif change == "nickname" and person["given_names"] in NICKNAMES:
        varied["given_names"] = NICKNAMES[str(person["given_names"])]
    elif change == "no_accents":
        for field in ("given_names", "first_surname", "second_surname"):
            varied[field] = _plain(str(varied[field])).upper()
    return varied


def add_people(*, lead: User, cases: list[Case], country: str, rng: random.Random) -> int:
    """Victims and suspects for the seeded cases, some of them shared travellers; returns how many."""
    codes = {(c.code_list.key, c.code): c for c in Code.objects.select_related("code_list")}
    countries = {c.iso2: c for c in Country.objects.filter(iso2__in=["GT", "SV", "HN", "MX", "NI"])}
    shared = [p for p in travellers() if country in str(p["countries"]).split(",")]
    added = 0
    for index, case in enumerate(cases):
        people: list[tuple[str, dict[str, str | int]]] = []
        family = case.crime_family.code
        victim_role = "SMUGGLED_MIGRANT" if family == "SOM" else "VICTIM"
        for _ in range(rng.randint(1, 3)):
            people.append((victim_role, _person(rng, rng.choice([country, country, "NI", "MX"]))))
        for _ in range(rng.randint(0, 2)):
            people.append(("SUSPECT", _person(rng, country)))
        if shared and index % 3 == 0:
            traveller = shared[(index // 3) % len(shared)]
            people.append(
                ("SUSPECT" if int(traveller["index"]) % 4 == 0 else victim_role, _as_recorded(traveller, rng))
            )
        for role, person in people:
            born = int(str(person["birth_date"])[:4])
            reported_year = case.reported_on.year if case.reported_on else 2025
            parties.add_party(
                by=lead,
                case=case,
                role=codes[("party_role", role)],
                sex=codes[("sex", str(person["sex"]))],
                identity=parties.Identity(
                    given_names=str(person["given_names"]),
                    first_surname=str(person["first_surname"]),
                    second_surname=str(person["second_surname"]),
                    birth_date=str(person["birth_date"]),
                    document_numbers=str(person["document_numbers"]),
                    phones=str(person["phones"]),
                ),
                citizenships=[countries[str(person["nationality"])]] if person["nationality"] in countries else [],
                age_at_identification=max(0, reported_year - born),
                identification_status=codes[("identification_status", "IDENTIFIED")] if role == "VICTIM" else None,
            )
            added += 1
    return added
