"""Synthetic benchmark data: a seeded population of the eight countries and the same people recorded elsewhere.

No person here is real. Names are drawn from ranked lists of frequent name parts
(``data/synthetic_names.json``) with Zipf weights, so that "José Hernández López" and
"María García" recur the way they do in the region's registries and make hard negatives.
Identity numbers are drawn from blocks no registry has issued (see ``DOCUMENT_FORMATS``), phone
numbers from ranges no subscriber holds (the subscriber number starts with 1), e-mail addresses
use the reserved ``example.*`` domains.

The pieces:

- the population model (``Person``): country, sex, given names and surnames, birth date (ages
  0-70, children frequent), nationality, phones, documents with valid check digits, plates,
  e-mail addresses, social-media handles; households of siblings and of a parent with children;
- house styles: each office writes people its own way (upper case, date layout, "F" or
  "Femenino", "GT" or "guatemalteca"); index records are a person written by one office with no
  other change;
- the corruption model (``CORRUPTIONS``): the named changes another office's record of the same
  person shows, each with a rate; the ones applied are recorded per query;
- the benchmark (``BenchmarkGenerator``, ``BenchmarkSet``): index records, queries (half of them
  people the index does not hold, many of them hard negatives), the truth, written to and read
  from JSONL or CSV files (``write_benchmark``, ``read_benchmark``).

Determinism: every draw comes from ``random.Random`` instances seeded from the seed and a
purpose name; no global random state is touched. The same seed, size, query count and nickname
table give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from vinculo.linkage.identifiers import gt_cui_check_digit, luhn_check_digit, ni_cedula_letter, sv_dui_check_digit
from vinculo.linkage.record import RawPerson

GENERATOR_VERSION = "1"
COUNTRIES = ("GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO")
# Share of each country in the population: roughly the offices' case loads, Belize kept big enough to test.
COUNTRY_SHARES = {"GT": 0.20, "SV": 0.13, "HN": 0.16, "NI": 0.10, "CR": 0.09, "PA": 0.09, "BZ": 0.07, "DO": 0.16}
# Ages are counted on this day, not today: the output must not depend on when it is generated.
REFERENCE_DATE = datetime.date(2026, 1, 1)
DATA_DIR = Path(__file__).parent / "data"
NICKNAMES_CSV = DATA_DIR / "nicknames.csv"
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved (RFC 2606): no real mailbox
HANDLE_PLATFORMS = ("facebook", "instagram", "tiktok")
ZIPF_GIVEN = 1.0
ZIPF_SURNAME = 0.9
PARTICLES = ("de", "del", "la", "las", "los", "y")


def fold(text: str) -> str:
    """Without accents or tilde, as records typed on machines without them show ("Peña" -> "Pena")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _rng(seed: int, purpose: str) -> random.Random:
    return random.Random(f"vinculo-synthetic:{GENERATOR_VERSION}:{seed}:{purpose}")  # noqa: S311 - synthetic data


# --------------------------------------------------------------------------------------------
# Identity numbers: valid check digits, from blocks not issued
# --------------------------------------------------------------------------------------------

GT_MUNICIPALITIES = (17, 8, 16, 16, 13, 14, 19, 8, 24, 21, 9, 30, 32, 21, 8, 17, 14, 5, 11, 11, 7, 17)  # per department
HN_MUNICIPALITIES = (8, 10, 21, 23, 12, 16, 19, 28, 6, 17, 4, 19, 28, 16, 23, 28, 9, 11)  # per department
# Nicaraguan municipality codes: the department's two digits, then the municipality's number in it.
NI_MUNICIPALITIES = tuple(
    f"{code:03d}"
    for first, last in (
        (1, 9), (41, 48), (81, 93), (121, 130), (161, 166), (201, 204), (241, 247), (281, 281), (283, 291),
        (321, 329), (361, 366), (401, 409), (441, 454), (481, 493), (521, 526), (561, 570), (601, 608), (610, 612),
    )
    for code in range(first, last + 1)
)  # fmt: skip
DO_SERIES = ("001", "402", "031", "223", "224", "225", "047", "056", "037", "028")
PASSPORT_LETTER = {"GT": "E", "SV": "B", "HN": "F", "NI": "C", "CR": "R", "PA": "P", "BZ": "Z", "DO": "D"}

# How each document is written: its official layout first, then variants seen in records.
DOCUMENT_FORMATS = {
    "GT": "DPI/CUI, 13 digits: serial (8, from 90 000 000 up) + check digit (weights 2-9 from the left, sum mod 11;"
    " 10 is never issued) + department (2) + municipality (2); written '9123 45678 0101'",
    "SV": "DUI, 9 digits: serial (8, from 90 000 000 up) + check digit (weights 9-2, 10 - sum mod 10);"
    " written '91234567-8'",
    "HN": "DNI, 13 digits: department (2) + municipality (2) + year of registration (the birth year here) + serial"
    " (5, from 90 000 up), no check digit; written '0801-1990-90123'",
    "NI": "cédula: municipality (3) + birth date DDMMYY + serial (4, from 9000 up) + letter (the 13 digits mod 23 in"
    " ABCDEFGHJKLMNPQRSTUVWXY); written '001-010190-9001A'",
    "CR": "cédula física, 9 digits: province (1-7) + volume (4, from 9000 up) + entry (4), no check digit;"
    " written '1-9012-0567'",
    "PA": "cédula: province (1-13) - volume (4, from 9000 up) - entry (1-4 digits), no check digit;"
    " written '8-9123-1234'",
    "DO": "cédula, 11 digits: series (3) + sequence (7, from 9 000 000 up) + Luhn check digit; written '001-9123456-7'",
    "BZ": "no national identity number is generated (Belize has no general identity card); passports only",
    "passport": "one letter per country + 8 digits from 99 000 000 up; the printed number has no check digit",
}


class _Numbers:
    """Unique numbers per kind: a counter run through an affine permutation of the kind's space.

    Index people take the first half of each space (``partition`` 0), absent people the second
    (``partition`` 1), so a query for someone absent never carries an indexed person's number.
    """

    def __init__(self, seed: int, partition: int) -> None:
        self._seed = seed
        self._partition = partition
        self._counters: Counter[str] = Counter()

    def next(self, kind: str, space: int) -> int:
        half = space // 2
        count = self._counters[kind]
        if count >= half:
            raise OverflowError(f"synthetic number space for {kind} exhausted ({half} numbers)")
        self._counters[kind] = count + 1
        multiplier, offset = _permutation(self._seed, kind, space)
        return ((count + self._partition * half) * multiplier + offset) % space


@cache
def _permutation(seed: int, kind: str, space: int) -> tuple[int, int]:
    digest = hashlib.sha256(f"{seed}:{kind}".encode()).digest()
    multiplier = int.from_bytes(digest[:8]) % space | 1
    while math.gcd(multiplier, space) != 1:
        multiplier += 2
    return multiplier, int.from_bytes(digest[8:16]) % space


def national_id(rng: random.Random, numbers: _Numbers, *, country: str, birth: datetime.date) -> str | None:
    """A national identity number of ``country`` without separators, or None where none is generated."""
    if country == "GT":
        while True:
            serial = f"9{numbers.next('GT-cui', 10**7):07d}"
            check = gt_cui_check_digit(serial)
            if check is not None:  # a serial whose sum leaves 10 has no valid CUI
                break
        department = rng.randrange(len(GT_MUNICIPALITIES))
        town = rng.randint(1, GT_MUNICIPALITIES[department])
        return f"{serial}{check}{department + 1:02d}{town:02d}"
    if country == "SV":
        serial = f"9{numbers.next('SV-dui', 10**7):07d}"
        return f"{serial}{sv_dui_check_digit(serial)}"
    if country == "HN":
        value = numbers.next("HN-dni", sum(HN_MUNICIPALITIES) * 10**4)
        place, sequence = divmod(value, 10**4)
        for department, count in enumerate(HN_MUNICIPALITIES, start=1):  # noqa: B007 - department used after the loop
            if place < count:
                break
            place -= count
        return f"{department:02d}{place + 1:02d}{birth.year}9{sequence:04d}"
    if country == "NI":
        municipality = rng.choice(NI_MUNICIPALITIES)
        digits = f"{municipality}{birth:%d%m%y}9{rng.randrange(1000):03d}"
        return digits + ni_cedula_letter(digits)
    if country == "CR":
        value = numbers.next("CR-cedula", 7 * 10**7)
        province, rest = divmod(value, 10**7)
        return f"{province + 1}9{rest:07d}"
    if country == "PA":
        province = 8 if rng.random() < 0.5 else rng.randint(1, 13)
        value = numbers.next(f"PA-cedula-{province}", 10**7)
        volume, entry = divmod(value, 10**4)
        return f"{province}-9{volume:03d}-{entry}"
    if country == "DO":
        value = numbers.next("DO-cedula", len(DO_SERIES) * 10**6)
        series, sequence = divmod(value, 10**6)
        digits = f"{DO_SERIES[series]}9{sequence:06d}"
        return f"{digits}{luhn_check_digit(digits)}"
    return None


def passport_number(numbers: _Numbers, *, country: str) -> str:
    return f"{PASSPORT_LETTER[country]}99{numbers.next(f'{country}-passport', 10**6):06d}"


def document_layouts(kind: str, country: str, number: str) -> tuple[str, ...]:
    """How a document number is written: the official layout first, then the variants records show."""
    n = number
    if kind == "passport":
        return (n, n.lower(), f"{n[0]} {n[1:]}", f"{n[0]}-{n[1:]}")
    match country:
        case "GT":
            return (f"{n[:4]} {n[4:9]} {n[9:]}", n, f"{n[:4]}-{n[4:9]}-{n[9:]}", f"{n[:4]} {n[4:]}")
        case "SV":
            return (f"{n[:8]}-{n[8]}", n, f"{n[:8]} {n[8]}", f"{n[:4]} {n[4:8]}-{n[8]}")
        case "HN":
            return (f"{n[:4]}-{n[4:8]}-{n[8:]}", n, f"{n[:4]} {n[4:8]} {n[8:]}", f"{n[:4]}{n[4:8]}-{n[8:]}")
        case "NI":
            return (f"{n[:3]}-{n[3:9]}-{n[9:]}", n, f"{n[:3]} {n[3:9]} {n[9:]}", f"{n[:3]}-{n[3:9]}-{n[9:]}".lower())
        case "CR":
            return (f"{n[0]}-{n[1:5]}-{n[5:]}", n, f"{n[0]} {n[1:5]} {n[5:]}", f"0{n[0]}-{n[1:5]}-{n[5:]}")
        case "PA":
            province, volume, entry = n.split("-")
            return (n, n.replace("-", " "), f"{province:0>2}-{volume}-{entry:0>5}", n.replace("-", "."))
        case _:
            return (f"{n[:3]}-{n[3:10]}-{n[10]}", n, f"{n[:3]} {n[3:10]} {n[10]}", f"{n[:3]}-{n[3:10]}{n[10]}")


# --------------------------------------------------------------------------------------------
# Phones, plates, e-mail addresses, handles
# --------------------------------------------------------------------------------------------

CALLING_CODES = {"GT": "502", "SV": "503", "HN": "504", "NI": "505", "CR": "506", "PA": "507", "BZ": "501", "DO": "1"}
DO_AREA_CODES = ("809", "829", "849")


def phone_number(numbers: _Numbers, *, country: str) -> str:
    """A national number no subscriber holds: it starts with 1 (after the area code in the Dominican Republic)."""
    if country == "DO":
        value = numbers.next("DO-phone", 3 * 10**6)
        area, rest = divmod(value, 10**6)
        return f"{DO_AREA_CODES[area]}1{rest:06d}"
    if country == "BZ":
        return f"1{numbers.next('BZ-phone', 10**6):06d}"
    return f"1{numbers.next(f'{country}-phone', 10**7):07d}"


def phone_layouts(country: str, national: str, *, domestic: bool) -> tuple[str, ...]:
    """How a phone is written: domestic layouts for an office of the same country, else international ones."""
    n, cc = national, CALLING_CODES[country]
    local: tuple[str, ...]
    world: tuple[str, ...]
    if country == "DO":
        local = (f"{n[:3]}-{n[3:6]}-{n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}", n, f"{n[:3]} {n[3:6]} {n[6:]}")
        world = (
            f"+1 {n[:3]}-{n[3:6]}-{n[6:]}",
            f"+1{n}",
            f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
            f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}",
        )
    else:
        cut = 3 if len(n) == 7 else 4
        local = (f"{n[:cut]}-{n[cut:]}", n, f"{n[:cut]} {n[cut:]}")
        world = (
            f"+{cc} {n[:cut]}-{n[cut:]}",
            f"+{cc}{n}",
            f"+{cc} {n[:cut]} {n[cut:]}",
            f"({cc}) {n[:cut]}-{n[cut:]}",
            f"00{cc} {n}",
            f"{cc}-{n[:cut]}-{n[cut:]}",
        )
    return local + world if domestic else world + local


def plate_number(rng: random.Random, *, country: str) -> str:
    """A private-car plate in the country's layout (approximate; plates carry no check digit)."""
    letters = "BCDFGHJKLMNPRSTVWXYZ"

    def pick(k: int) -> str:
        return "".join(rng.choice(letters) for _ in range(k))

    def digits(k: int) -> str:
        return f"{rng.randrange(10**k):0{k}d}"

    match country:
        case "GT":
            return f"P-{digits(3)}{pick(3)}"
        case "SV":
            return f"P {digits(3)}-{digits(3)}"
        case "HN":
            return f"H{pick(2)} {digits(4)}"
        case "NI":
            return f"M {digits(3)}-{digits(3)}"
        case "CR":
            return f"{pick(3)}-{digits(3)}"
        case "PA":
            return f"{pick(2)} {digits(4)}"
        case "BZ":
            return f"{rng.choice(('BZ', 'CY', 'OW', 'CZ', 'SC', 'TL'))} C-{digits(5)}"
        case _:
            return f"A{digits(6)}"


def plate_layouts(plate: str) -> tuple[str, ...]:
    bare = plate.replace("-", "").replace(" ", "")
    return (plate, bare, plate.replace("-", " "), plate.lower())


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    names: tuple[str, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


def _zipf_pool(names: Sequence[str], exponent: float) -> _Pool:
    unique = tuple(dict.fromkeys(names))
    total, cumulative = 0.0, []
    for rank in range(len(unique)):
        total += 1.0 / (rank + 1) ** exponent
        cumulative.append(total)
    return _Pool(unique, tuple(cumulative))


@dataclass(frozen=True)
class _NameTables:
    female: dict[str, _Pool]
    male: dict[str, _Pool]
    surnames: dict[str, _Pool]
    english_female: _Pool
    english_male: _Pool


@cache
def _name_tables() -> _NameTables:
    data = json.loads((DATA_DIR / "synthetic_names.json").read_text(encoding="utf-8"))

    def ranked(local: list[str], tail: list[str], country: str, exponent: float) -> _Pool:
        tail = sorted(tail)  # a fixed, country-specific order for the tail: the list's order is not a ranking
        _rng(0, f"tail:{country}").shuffle(tail)
        return _zipf_pool(local + tail, exponent)

    english_f, english_m = data["english_given_female"], data["english_given_male"]
    return _NameTables(
        female={
            c: ranked(data["given_female"][c], english_f if c == "BZ" else data["shared_given_female"], c, ZIPF_GIVEN)
            for c in COUNTRIES
        },
        male={
            c: ranked(data["given_male"][c], english_m if c == "BZ" else data["shared_given_male"], c, ZIPF_GIVEN)
            for c in COUNTRIES
        },
        surnames={c: ranked(data["surnames"][c], data["shared_surnames"], c, ZIPF_SURNAME) for c in COUNTRIES},
        english_female=_zipf_pool(data["given_female"]["BZ"] + english_f, ZIPF_GIVEN),
        english_male=_zipf_pool(data["given_male"]["BZ"] + english_m, ZIPF_GIVEN),
    )


def name_frequencies(country: str) -> dict[str, dict[str, float]]:
    """The generator's name distribution for ``country``: what a frequency attack on encodings may assume.

    Probabilities of each entry of the given-name lists (female, male; a compound such as
    "María José" is one entry, and a second given name is drawn from the same list) and of each
    surname. For Belize, the English-name list only (drawn for 70 % of people; the rest use the
    Guatemalan or Honduran lists).
    """
    tables = _name_tables()

    def probabilities(pool: _Pool) -> dict[str, float]:
        total, previous, result = pool.cumulative[-1], 0.0, {}
        for name, edge in zip(pool.names, pool.cumulative, strict=True):
            result[name] = (edge - previous) / total
            previous = edge
        return result

    female = tables.english_female if country == "BZ" else tables.female[country]
    male = tables.english_male if country == "BZ" else tables.male[country]
    return {
        "given_female": probabilities(female),
        "given_male": probabilities(male),
        "surnames": probabilities(tables.surnames[country]),
    }


def given_groups(name: str) -> tuple[str, ...]:
    """A given-name entry as given names, particles kept with the next word: "María de los Ángeles" -> 2."""
    groups: list[str] = []
    pending = ""
    for word in name.split():
        if word.lower() in PARTICLES:
            pending = f"{pending} {word}".strip()
            continue
        groups.append(f"{pending} {word}".strip() if pending else word)
        pending = ""
    return tuple(groups)


BUILTIN_NICKNAMES: dict[str, tuple[str, ...]] = {
    "José": ("Chepe", "Pepe"),
    "José María": ("Chema",),
    "Francisco": ("Paco", "Pancho", "Chico"),
    "Jesús": ("Chucho", "Chuy"),
    "Guadalupe": ("Lupe",),
    "Guillermo": ("Memo",),
    "Ignacio": ("Nacho",),
    "Antonio": ("Toño",),
    "Alberto": ("Beto",),
    "Roberto": ("Beto",),
    "Humberto": ("Beto",),
    "Enrique": ("Quique", "Kike"),
    "Vicente": ("Chente",),
    "Lorenzo": ("Lencho",),
    "Gregorio": ("Goyo",),
    "Adolfo": ("Fito",),
    "Rodolfo": ("Fito",),
    "Ramón": ("Moncho",),
    "Manuel": ("Manolo",),
    "Rosario": ("Chayo", "Charo"),
    "Dolores": ("Lola",),
    "Concepción": ("Concha",),
    "Isabel": ("Chabela",),
    "Mercedes": ("Meche",),
    "Consuelo": ("Chelo",),
    "Eduardo": ("Lalo",),
    "Alfredo": ("Fredy",),
    "Wilfredo": ("Wil",),
    "Rafael": ("Rafa",),
    "Fernando": ("Nando",),
    "Alejandro": ("Alex",),
    "Santiago": ("Chago",),
    "Luis": ("Lucho",),
    "Patricia": ("Paty",),
    "Margarita": ("Magui",),
    "Michael": ("Mike",),
    "Robert": ("Bob",),
    "William": ("Bill",),
    "Jennifer": ("Jenny",),
    "Elizabeth": ("Liz",),
}


def load_nicknames(path: Path = NICKNAMES_CSV) -> tuple[dict[str, tuple[str, ...]], str]:
    """Nicknames by canonical name (accent-folded, lower case), and where they come from.

    The shared table (columns nickname,canonical; several canonical names separated by "|" or
    given in several rows; lines starting with "#" are comments) is read when present;
    otherwise the small built-in list is used. The source ("builtin" or "nicknames.csv
    sha256:…") goes into the manifest, because the output depends on it.
    """
    table: dict[str, set[str]] = {}
    if path.is_file():
        raw = path.read_bytes()
        lines = [line for line in raw.decode("utf-8").splitlines() if not line.lstrip().startswith("#")]
        for row in csv.DictReader(lines):
            nickname = (row.get("nickname") or "").strip()
            if not nickname:
                continue
            written = nickname if nickname != nickname.lower() else nickname.title()
            for canonical in (row.get("canonical") or "").split("|"):
                if canonical.strip():
                    table.setdefault(fold(canonical.strip()).lower(), set()).add(written)
        if table:
            return {
                k: tuple(sorted(v)) for k, v in sorted(table.items())
            }, f"nicknames.csv sha256:{hashlib.sha256(raw).hexdigest()[:16]}"
    builtin = {fold(k).lower(): v for k, v in BUILTIN_NICKNAMES.items()}
    return builtin, "builtin"


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


# --------------------------------------------------------------------------------------------
# House styles: how each office writes a person down
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseStyle:
    upper: bool  # names in capitals
    accents: bool  # False: the registry's system drops them
    date: str  # "dmy/" 07/03/1990, "dmy-" 07-03-1990, "iso" 1990-03-07
    sex: tuple[str, str]  # how female and male are written
    nationality: str  # "code" GT, "name" Guatemala, "demonym" guatemalteca


HOUSE_STYLES = {
    "GT": HouseStyle(upper=True, accents=True, date="dmy/", sex=("Femenino", "Masculino"), nationality="demonym"),
    "SV": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="demonym"),
    "HN": HouseStyle(upper=True, accents=True, date="dmy-", sex=("mujer", "hombre"), nationality="name"),
    "NI": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="name"),
    "CR": HouseStyle(upper=True, accents=True, date="iso", sex=("Femenino", "Masculino"), nationality="code"),
    "PA": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="demonym"),
    "BZ": HouseStyle(upper=False, accents=False, date="dmy/", sex=("Female", "Male"), nationality="code"),
    "DO": HouseStyle(upper=True, accents=False, date="dmy/", sex=("F", "M"), nationality="demonym"),
}
COUNTRY_NAMES = {
    "GT": "Guatemala",
    "SV": "El Salvador",
    "HN": "Honduras",
    "NI": "Nicaragua",
    "CR": "Costa Rica",
    "PA": "Panamá",
    "BZ": "Belice",
    "DO": "República Dominicana",
}
DEMONYMS = {  # (female, male)
    "GT": ("guatemalteca", "guatemalteco"),
    "SV": ("salvadoreña", "salvadoreño"),
    "HN": ("hondureña", "hondureño"),
    "NI": ("nicaragüense", "nicaragüense"),
    "CR": ("costarricense", "costarricense"),
    "PA": ("panameña", "panameño"),
    "BZ": ("beliceña", "beliceño"),
    "DO": ("dominicana", "dominicano"),
}


@dataclass
class _Draft:
    """A person on their way to a record: what the writing office knows, in the person's own spelling."""

    given: list[str]
    first: str
    second: str
    sex: str
    nationality: str
    birth: tuple[int, int | None, int | None] | None
    phones: list[tuple[str, str, int]]  # (country, national number, layout)
    documents: list[tuple[str, str, str, int]]  # (kind, country, number, layout)
    plates: list[tuple[str, str, int]]  # (country, plate, layout)
    emails: list[str]
    handles: list[tuple[str, str]]
    full_name_only: bool = False
    surname_first: bool = False  # with full_name_only: "López de Pérez, María"
    accents_lost: bool = False

    @classmethod
    def of(cls, person: Person) -> _Draft:
        born = person.birth
        return cls(
            given=list(person.given),
            first=person.first_surname,
            second=person.second_surname,
            sex=person.sex,
            nationality=person.country,
            birth=(born.year, born.month, born.day),
            phones=[(c, n, 0) for c, n in person.phones],
            documents=[(k, c, n, 0) for k, c, n in person.documents],
            plates=[(c, p, 0) for c, p in person.plates],
            emails=list(person.emails),
            handles=list(person.handles),
        )


def render(draft: _Draft, *, office: str, record_id: str) -> RawPerson:
    """The record ``office`` writes for ``draft``, in its house style."""
    style = HOUSE_STYLES[office]

    def name(text: str) -> str:
        if draft.accents_lost or not style.accents:
            text = fold(text)
        return text.upper() if style.upper else text

    given, first, second = name(" ".join(draft.given)), name(draft.first), name(draft.second)
    full_name = ""
    if draft.full_name_only:
        surnames = " ".join(p for p in (first, second) if p)
        full_name = f"{surnames}, {given}" if draft.surname_first else " ".join(p for p in (given, surnames) if p)
        given, first, second = "", "", ""
    birth = ""
    if draft.birth:
        year, month, day = draft.birth
        if day is not None and month is not None:
            birth = {
                "iso": f"{year:04d}-{month:02d}-{day:02d}",
                "dmy-": f"{day:02d}-{month:02d}-{year:04d}",
            }.get(style.date, f"{day:02d}/{month:02d}/{year:04d}")
        elif month is not None:
            birth = f"{year:04d}-{month:02d}" if style.date == "iso" else f"{month:02d}/{year:04d}"
        else:
            birth = str(year)
    female = draft.sex == "F"
    sex = (style.sex[0] if female else style.sex[1]) if draft.sex else ""
    nationality = ""
    if draft.nationality:
        nationality = {
            "code": draft.nationality,
            "name": COUNTRY_NAMES[draft.nationality],
            "demonym": DEMONYMS[draft.nationality][0 if female else 1],
        }[style.nationality]
    phones = []
    for country, national, layout in draft.phones:
        layouts = phone_layouts(country, national, domestic=country == office)
        phones.append(layouts[layout % len(layouts)])
    documents = []
    for kind, country, number, layout in draft.documents:
        layouts = document_layouts(kind, country, number)
        documents.append((kind, country, layouts[layout % len(layouts)]))
    plates = tuple((country, plate_layouts(plate)[layout % 4]) for country, plate, layout in draft.plates)
    return RawPerson(
        record_id=record_id,
        given_names=given,
        first_surname=first,
        second_surname=second,
        full_name=full_name,
        sex=sex,
        birth_date=birth,
        nationality=nationality,
        phones=tuple(phones),
        documents=tuple(documents),
        plates=plates,
        emails=tuple(draft.emails),
        handles=tuple((platform, f"@{handle}") for platform, handle in draft.handles),
    )


# --------------------------------------------------------------------------------------------
# The corruption model: the same person recorded elsewhere
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corruption:
    name: str
    rate: float  # probability, among the queries it can apply to (``applies_to``)
    applies_to: str
    example: str


CORRUPTIONS = (
    Corruption("married_name", 0.35, "married women", "María López García -> María López de Pérez"),
    Corruption(
        "second_surname_dropped", 0.25, "two surnames, no married form", "José Hernández López -> José Hernández"
    ),
    Corruption("surnames_swapped", 0.03, "two surnames, no married form", "Hernández López -> López Hernández"),
    Corruption("particle_dropped", 0.30, "a surname with de / del / de la", "de la Cruz -> Cruz"),
    Corruption("nickname", 0.12, "a given name with a known nickname", "José -> Chepe; José María -> Chema"),
    Corruption("second_given_dropped", 0.20, "two given names", "María José -> María"),
    Corruption(
        "given_name_abbreviated",
        0.05,
        "two given names, or María / Francisco / José",
        "María -> Ma.; José Luis -> José L.",
    ),
    Corruption(
        "phonetic_spelling",
        0.12,
        "a name part a Spanish homophone rule applies to",
        "Vásquez -> Básquez; Yolanda -> Llolanda",
    ),
    Corruption("typo", 0.10, "a name part of 4+ letters", "insert / delete / keyboard-adjacent substitute / transpose"),
    Corruption("accents_lost", 0.30, "a name with accents or ñ", "Peña Núñez -> Pena Nunez"),
    Corruption("full_name_only", 0.08, "every query", "parts not separated: full_name 'María López de Pérez'"),
    Corruption("surname_first", 0.05, "every query", "parts not separated, surnames first: 'López de Pérez, María'"),
    Corruption("birth_date_missing", 0.05, "every query", "no birth date"),
    Corruption("year_only", 0.05, "every query", "07/03/1990 -> 1990"),
    Corruption("month_year_only", 0.03, "every query", "07/03/1990 -> 03/1990"),
    Corruption("day_month_swapped", 0.04, "day 1-12 and day != month", "07/03/1990 -> 03/07/1990"),
    Corruption("birth_year_off_by_one", 0.02, "every query", "07/03/1990 -> 07/03/1991"),
    Corruption("sex_missing", 0.08, "every query", "no sex"),
    Corruption("nationality_missing", 0.15, "every query", "no nationality"),
    Corruption("phones_missing", 0.35, "people with phones", "no phone"),
    Corruption("phone_changed", 0.08, "people with phones left", "one phone replaced by a new number"),
    Corruption("phone_format_variant", 0.40, "people with phones left", "1555-1234 -> +502 15551234"),
    Corruption("documents_missing", 0.35, "people with documents", "no document"),
    Corruption("document_format_variant", 0.40, "people with documents left", "91234567-8 -> 912345678"),
    Corruption(
        "document_digit_error", 0.02, "people with documents left", "one digit mistyped (the check digit then fails)"
    ),
    Corruption("plates_missing", 0.50, "people with plates", "no plate"),
    Corruption("plate_format_variant", 0.40, "people with plates left", "P-123BCD -> P123BCD"),
    Corruption("emails_missing", 0.50, "people with e-mail addresses", "no e-mail address"),
    Corruption("handles_missing", 0.50, "people with handles", "no handle"),
)
RATES = {c.name: c.rate for c in CORRUPTIONS}
ABBREVIATIONS = {"María": "Ma.", "Francisco": "Fco.", "José": "J.", "Guadalupe": "Gpe.", "Juan": "Jn."}
# Homophones in Latin-American Spanish (seseo, yeísmo, b/v, silent h, j/g, x/j, w/gu, English-influenced
# spellings): (pattern on the lower-case name, replacement).
PHONETIC_RULES = (
    (re.compile(r"v"), "b"),
    (re.compile(r"b"), "v"),
    (re.compile(r"z"), "s"),
    (re.compile(r"s$"), "z"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"s(?=[ei])"), "c"),
    (re.compile(r"ll"), "y"),
    (re.compile(r"y(?=[aeiou])"), "ll"),
    (re.compile(r"^h"), ""),
    (re.compile(r"^(?=[aeiou])"), "h"),
    (re.compile(r"j(?=[ei])"), "g"),
    (re.compile(r"g(?=[ei])"), "j"),
    (re.compile(r"^x"), "j"),
    (re.compile(r"^w"), "gu"),
    (re.compile(r"^jo"), "jho"),
    (re.compile(r"i$"), "y"),
    (re.compile(r"y$"), "i"),
)
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")


@cache
def _adjacent(letter: str) -> str:
    for row_index, row in enumerate(KEYBOARD_ROWS):
        col = row.find(letter)
        if col < 0:
            continue
        near = [row[i] for i in (col - 1, col + 1) if 0 <= i < len(row)]
        for other in (row_index - 1, row_index + 1):
            if 0 <= other < len(KEYBOARD_ROWS):
                near += [KEYBOARD_ROWS[other][i] for i in (col - 1, col) if 0 <= i < len(KEYBOARD_ROWS[other])]
        return "".join(near)
    return "aeiou"


def _same_case(original: str, changed: str) -> str:
    return changed[:1].upper() + changed[1:] if original[:1].isupper() else changed


def phonetic_variant(rng: random.Random, text: str) -> str | None:
    """``text`` with one Spanish homophone substitution, or None when no rule applies."""
    lower = text.lower()
    options = [(rule, m) for rule, _ in PHONETIC_RULES for m in [rule.search(lower)] if m]
    if not options:
        return None
    rule, match = rng.choice(options)
    replacement = dict(PHONETIC_RULES)[rule]
    changed = lower[: match.start()] + replacement + lower[match.end() :]
    return _same_case(text, changed) if changed != lower else None


def typo(rng: random.Random, text: str) -> str:
    """``text`` with one keyboard slip: a letter inserted, deleted, replaced by a neighbour, or two swapped."""
    lower = text.lower()
    i = rng.randrange(1, len(lower) - 1)  # the first letter survives most slips
    base = fold(lower[i]) or lower[i]
    match rng.randrange(4):
        case 0:
            changed = lower[:i] + rng.choice(_adjacent(base)) + lower[i:]
        case 1:
            changed = lower[:i] + lower[i + 1 :]
        case 2:
            changed = lower[:i] + rng.choice(_adjacent(base)) + lower[i + 1 :]
        case _:
            changed = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2 :]
    return _same_case(text, changed)


def _has_particle(surname: str) -> bool:
    return surname.split(" ", 1)[0].lower() in ("de", "del") and " " in surname


def _without_particle(surname: str) -> str:
    words = surname.split()
    while len(words) > 1 and words[0].lower() in PARTICLES:
        words = words[1:]
    return " ".join(words)


def _replace_part(draft: _Draft, old: str, new: str) -> None:
    if old in draft.given:
        draft.given[draft.given.index(old)] = new
    elif draft.first == old:
        draft.first = new
    elif draft.second == old:
        draft.second = new


class CorruptionModel:
    """Applies ``CORRUPTIONS`` to a person; counts, per corruption, the queries it could and did apply to."""

    def __init__(
        self, *, nicknames: Mapping[str, Sequence[str]], numbers: _Numbers, rates: Mapping[str, float] = RATES
    ) -> None:
        self.nicknames = nicknames
        self.numbers = numbers  # for changed phones: the absent people's half, never an indexed number
        self.rates = rates
        self.eligible: Counter[str] = Counter()
        self.applied: Counter[str] = Counter()
        self._done: list[str] = []

    def corrupt(self, rng: random.Random, person: Person) -> tuple[_Draft, tuple[str, ...]]:
        """``person`` as another office recorded them, and the corruptions applied (in the order applied)."""
        self._done = []
        draft = _Draft.of(person)
        self._surnames(rng, draft, person)
        self._given_names(rng, draft)
        self._spelling(rng, draft)
        self._birth(rng, draft)
        if self._roll(rng, "sex_missing"):
            draft.sex = ""
        if self._roll(rng, "nationality_missing"):
            draft.nationality = ""
        self._identifiers(rng, draft)
        return draft, tuple(self._done)

    def _roll(self, rng: random.Random, name: str, applies: bool = True) -> bool:
        if not applies:
            return False
        self.eligible[name] += 1
        if rng.random() < self.rates[name]:
            self._apply(name)
            return True
        return False

    def _apply(self, name: str) -> None:
        self.applied[name] += 1
        self._done.append(name)

    def _exclusive(self, rng: random.Random, names: Sequence[str], applies: Mapping[str, bool]) -> str | None:
        """At most one of ``names``, each with its own rate (their rates add up to well below 1)."""
        for name in names:
            if applies[name]:
                self.eligible[name] += 1
        u, edge = rng.random(), 0.0
        for name in names:
            edge += self.rates[name]
            if u < edge:
                if applies[name]:
                    self._apply(name)
                    return name
                return None
        return None

    def _surnames(self, rng: random.Random, draft: _Draft, person: Person) -> None:
        married = self._roll(rng, "married_name", bool(person.spouse_surname))
        two = bool(draft.second) and not married
        chosen = self._exclusive(
            rng,
            ("second_surname_dropped", "surnames_swapped"),
            {"second_surname_dropped": two, "surnames_swapped": two},
        )
        if chosen == "second_surname_dropped":
            draft.second = ""
        elif chosen == "surnames_swapped":
            draft.first, draft.second = draft.second, draft.first
        has_particle = _has_particle(draft.first) or (_has_particle(draft.second) and not married)
        if self._roll(rng, "particle_dropped", has_particle):
            draft.first = _without_particle(draft.first)
            if not married:
                draft.second = _without_particle(draft.second)
        if married:
            # "María López de Pérez": the mother's surname gives way to the husband's.
            spouse = person.spouse_surname
            draft.second = spouse if _has_particle(spouse) else f"de {spouse}"  # "de León", not "de de León"

    def _given_names(self, rng: random.Random, draft: _Draft) -> None:
        nicknames = self.nicknames.get(fold(" ".join(draft.given)).lower()) or self.nicknames.get(
            fold(draft.given[0]).lower()
        )
        if self._roll(rng, "nickname", bool(nicknames)):
            draft.given = [rng.choice(list(nicknames or ()))]
        if self._roll(rng, "second_given_dropped", len(draft.given) >= 2):
            draft.given = draft.given[:1]
        if self._roll(rng, "given_name_abbreviated", len(draft.given) >= 2 or draft.given[0] in ABBREVIATIONS):
            if draft.given[0] in ABBREVIATIONS and (len(draft.given) == 1 or rng.random() < 0.5):
                draft.given[0] = ABBREVIATIONS[draft.given[0]]
            else:
                draft.given[-1] = draft.given[-1].split()[-1][0] + "."

    def _spelling(self, rng: random.Random, draft: _Draft) -> None:
        parts = [p for p in (*draft.given, draft.first, draft.second) if p and not p.endswith(".")]
        variants = [(p, v) for p in parts for v in [phonetic_variant(rng, p.split()[-1])] if v]
        if self._roll(rng, "phonetic_spelling", bool(variants)):
            part, variant = rng.choice(variants)
            _replace_part(draft, part, " ".join([*part.split()[:-1], variant]))
        parts = [p for p in (*draft.given, draft.first, draft.second) if len(p.split()[-1:][0] if p else "") >= 4]
        if self._roll(rng, "typo", bool(parts)):
            part = rng.choice(parts)
            _replace_part(draft, part, " ".join([*part.split()[:-1], typo(rng, part.split()[-1])]))
        text = " ".join((*draft.given, draft.first, draft.second))
        if self._roll(rng, "accents_lost", fold(text) != text):
            draft.accents_lost = True
        chosen = self._exclusive(
            rng, ("full_name_only", "surname_first"), {"full_name_only": True, "surname_first": True}
        )
        draft.full_name_only = chosen is not None
        draft.surname_first = chosen == "surname_first"

    def _birth(self, rng: random.Random, draft: _Draft) -> None:
        if draft.birth is None:
            return
        year, month, day = draft.birth
        names = ("birth_date_missing", "year_only", "month_year_only", "day_month_swapped", "birth_year_off_by_one")
        applies = dict.fromkeys(names, True)
        applies["day_month_swapped"] = day is not None and day <= 12 and day != month
        chosen = self._exclusive(rng, names, applies)
        if chosen == "birth_date_missing":
            draft.birth = None
        elif chosen == "year_only":
            draft.birth = (year, None, None)
        elif chosen == "month_year_only":
            draft.birth = (year, month, None)
        elif chosen == "day_month_swapped":
            draft.birth = (year, day, month)
        elif chosen == "birth_year_off_by_one":
            draft.birth = (year + rng.choice((-1, 1)), month, 28 if (month, day) == (2, 29) else day)

    def _identifiers(self, rng: random.Random, draft: _Draft) -> None:
        if self._roll(rng, "phones_missing", bool(draft.phones)):
            draft.phones = []
        if self._roll(rng, "phone_changed", bool(draft.phones)):
            i = rng.randrange(len(draft.phones))
            country = draft.phones[i][0]
            draft.phones[i] = (country, phone_number(self.numbers, country=country), 0)
        if self._roll(rng, "phone_format_variant", bool(draft.phones)):
            draft.phones = [(c, n, rng.randint(1, 5)) for c, n, _ in draft.phones]
        if self._roll(rng, "documents_missing", bool(draft.documents)):
            draft.documents = []
        if self._roll(rng, "document_format_variant", bool(draft.documents)):
            draft.documents = [(k, c, n, rng.randint(1, 3)) for k, c, n, _ in draft.documents]
        if self._roll(rng, "document_digit_error", bool(draft.documents)):
            i = rng.randrange(len(draft.documents))
            kind, country, number, layout = draft.documents[i]
            positions = [j for j, ch in enumerate(number) if ch.isdigit()]
            j = rng.choice(positions)
            wrong = rng.choice([d for d in "0123456789" if d != number[j]])
            draft.documents[i] = (kind, country, number[:j] + wrong + number[j + 1 :], layout)
        if self._roll(rng, "plates_missing", bool(draft.plates)):
            draft.plates = []
        if self._roll(rng, "plate_format_variant", bool(draft.plates)):
            draft.plates = [(c, p, rng.randint(1, 3)) for c, p, _ in draft.plates]
        if self._roll(rng, "emails_missing", bool(draft.emails)):
            draft.emails = []
        if self._roll(rng, "handles_missing", bool(draft.handles)):
            draft.handles = []


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


# --------------------------------------------------------------------------------------------
# Files: JSONL (default) or CSV, and a manifest
# --------------------------------------------------------------------------------------------

FORMATS = ("jsonl", "csv")
_LIST_FIELDS = ("phones", "documents", "plates", "emails", "handles")
_CSV_COLUMNS = (
    "record_id",
    "given_names",
    "first_surname",
    "second_surname",
    "full_name",
    "sex",
    "birth_date",
    "nationality",
    *_LIST_FIELDS,
)


def person_to_dict(person: RawPerson) -> dict[str, object]:
    """The record as JSON-ready data: empty fields left out, tuples as lists."""
    data: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        value = getattr(person, name)
        if value:
            data[name] = [list(v) if isinstance(v, tuple) else v for v in value] if name in _LIST_FIELDS else value
    return data


def person_from_dict(data: Mapping[str, object]) -> RawPerson:
    values: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        value = data.get(name)
        if value is None:
            continue
        if name in _LIST_FIELDS:
            assert isinstance(value, list)  # noqa: S101 - our own files
            values[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        else:
            values[name] = value
    return RawPerson(**values)  # type: ignore[arg-type]


def _csv_row(person: RawPerson) -> list[str]:
    # Lists joined with "|", tuple parts with ":" (no generated value contains either).
    row = []
    for name in _CSV_COLUMNS:
        value = getattr(person, name)
        if name in _LIST_FIELDS:
            value = "|".join(":".join(v) if isinstance(v, tuple) else v for v in value)
        row.append(value)
    return row


def _csv_person(row: Mapping[str, str]) -> RawPerson:
    values: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        text = row.get(name) or ""
        if name == "record_id" or name not in _LIST_FIELDS:
            values[name] = text
        elif name == "emails" or name == "phones":
            values[name] = tuple(text.split("|")) if text else ()
        else:
            values[name] = tuple(tuple(item.split(":")) for item in text.split("|")) if text else ()
    return RawPerson(**values)  # type: ignore[arg-type]


def write_benchmark(
    out: Path,
    *,
    size: int,
    seed: int,
    queries: int | None = None,
    fmt: str = "jsonl",
    nicknames: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, object]:
    """Generate a benchmark into ``out`` (index, queries, manifest.json), streaming the index; returns the manifest."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    out.mkdir(parents=True, exist_ok=True)
    generator = BenchmarkGenerator(size=size, seed=seed, queries=queries, nicknames=nicknames)
    with (out / f"index.{fmt}").open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for person in generator.index():
                handle.write(json.dumps(person_to_dict(person), ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(_CSV_COLUMNS)
            writer.writerows(_csv_row(person) for person in generator.index())
    with (out / f"queries.{fmt}").open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for query in generator.queries():
                line = {
                    "record": person_to_dict(query.record),
                    "kind": query.kind,
                    "truth": query.truth,
                    "corruptions": list(query.corruptions),
                    "related": query.related,
                }
                handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow((*_CSV_COLUMNS, "kind", "truth", "corruptions", "related"))
            for query in generator.queries():
                extra = (query.kind, query.truth or "", "|".join(query.corruptions), query.related or "")
                writer.writerow((*_csv_row(query.record), *extra))
    manifest = {**_manifest(generator), "format": fmt}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def iter_index(folder: Path) -> Iterator[RawPerson]:
    """The index records of a written benchmark, one at a time."""
    fmt = read_manifest(folder)["format"]
    with (folder / f"index.{fmt}").open(encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                yield person_from_dict(json.loads(line))
        else:
            yield from (_csv_person(row) for row in csv.DictReader(handle))


def read_queries(folder: Path) -> list[Query]:
    fmt = read_manifest(folder)["format"]
    queries = []
    with (folder / f"queries.{fmt}").open(encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                data = json.loads(line)
                record = person_from_dict(data["record"])
                queries.append(Query(record, data["kind"], data["truth"], tuple(data["corruptions"]), data["related"]))
        else:
            for row in csv.DictReader(handle):
                corruptions = tuple(row["corruptions"].split("|")) if row["corruptions"] else ()
                queries.append(
                    Query(_csv_person(row), row["kind"], row["truth"] or None, corruptions, row["related"] or None)
                )
    return queries


def read_benchmark(folder: Path) -> BenchmarkSet:
    """A written benchmark back in memory (the stats as the manifest recorded them)."""
    manifest = read_manifest(folder)
    stats = Stats()
    recorded = manifest["stats"]
    assert isinstance(recorded, dict)  # noqa: S101 - our own files
    for name, value in recorded.items():
        setattr(stats, name, Counter(value) if isinstance(value, dict) else value)
    seed = manifest["seed"]
    assert isinstance(seed, int)  # noqa: S101 - our own files
    return BenchmarkSet(seed, list(iter_index(folder)), read_queries(folder), stats, manifest)
