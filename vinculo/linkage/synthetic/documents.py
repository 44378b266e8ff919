"""Identity numbers and passports of the synthetic population: valid check digits, from blocks never issued."""

from __future__ import annotations

import datetime
import hashlib
import math
import random
from collections import Counter
from functools import cache

from vinculo.linkage.identifiers import gt_cui_check_digit, luhn_check_digit, ni_cedula_letter, sv_dui_check_digit

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
