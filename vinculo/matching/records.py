"""From what the case registry and the query form hold to the matching engine's input (no Django).

The registry keeps a person's documents and phones as free text ("DPI 2569 87413 0101;
Pasaporte C12345678", "+502 5555-1234 / 4444 1234"); these functions split them into the
items the engine normalises (``vinculo.linkage.normalise``). What cannot be read is left for the
engine to name as a problem; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vinculo.linkage.identifiers import is_passport_kind
from vinculo.linkage.record import RawPerson

SUSPECT_ROLES = frozenset({"SUSPECT", "DEFENDANT", "COOPERATING_DEFENDANT", "VICTIM_AND_SUSPECT"})
VICTIM_ROLES = frozenset({"VICTIM", "SMUGGLED_MIGRANT", "VICTIM_AND_SMUGGLED_MIGRANT", "VICTIM_AND_SUSPECT"})
INDEXED_ROLES = SUSPECT_ROLES | VICTIM_ROLES

_ITEM_SEPARATORS = re.compile(r"[;\n]+")
_PHONE_SEPARATORS = re.compile(r"[;,/\n]+")
# A document written as "<kind> <number>": the kind is the leading words without digits.
_KIND_AND_NUMBER = re.compile(r"^\s*([^\d:#]*?)\s*(?:[:#]|n[o°º]\.?|num\.?|número)?\s*([A-Za-z]*\d[\w\s./-]*)$", re.I)


@dataclass(frozen=True)
class RegistryPerson:
    """A person as the case registry holds them, identity unsealed (in memory only)."""

    person_id: str
    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: str = ""  # ISO date, exact
    birth_year: int | None = None  # the analytic record's year, when no exact date
    sex_code: str = ""  # F, M, X, NK
    citizenships: tuple[str, ...] = ()  # ISO alpha-2
    document_numbers: str = ""
    phones: str = ""
    vehicle_plates: str = ""


def split_documents(text: str, *, nationality: str = "") -> tuple[tuple[str, str, str], ...]:
    """(kind, issuing country, number) for each document written in ``text``.

    "DPI 2569 87413 0101" → ("DPI", "", "2569 87413 0101"); "Pasaporte C12345678" → a passport
    issued by ``nationality``; a bare number is taken as the national identity number.
    """
    out = []
    for chunk in _ITEM_SEPARATORS.split(text[:2000]):
        chunk = chunk.strip()
        if not chunk:
            continue
        found = _KIND_AND_NUMBER.match(chunk)
        kind, number = (found.group(1).strip(), found.group(2).strip()) if found else ("", chunk)
        if not kind:
            kind = "national id"
        issuer = nationality if is_passport_kind(kind) else ""
        out.append((kind, issuer, number))
    return tuple(out)


def split_phones(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _PHONE_SEPARATORS.split(text[:2000]) if part.strip())


def split_plates(text: str) -> tuple[tuple[str, str], ...]:
    """(country, plate) for each plate written as "GT P-123ABC" or "P-123ABC" (country left to the engine)."""
    out = []
    for chunk in _ITEM_SEPARATORS.split(text[:2000]):
        chunk = chunk.strip()
        if not chunk:
            continue
        head, _, rest = chunk.partition(" ")
        if len(head) == 2 and head.isalpha() and head.isupper() and rest.strip():
            out.append((head, rest.strip()))
        else:
            out.append(("", chunk))
    return tuple(out)


def raw_person(person: RegistryPerson) -> RawPerson:
    """The engine's input for a person of the registry."""
    nationality = person.citizenships[0] if person.citizenships else ""
    birth = person.birth_date or (str(person.birth_year) if person.birth_year else "")
    return RawPerson(
        record_id=person.person_id,
        given_names=person.given_names,
        first_surname=person.first_surname,
        second_surname=person.second_surname,
        sex=person.sex_code if person.sex_code in ("F", "M") else "",
        birth_date=birth,
        nationality=nationality,
        phones=split_phones(person.phones),
        documents=split_documents(person.document_numbers, nationality=nationality),
        plates=split_plates(person.vehicle_plates),
    )


def roles_flags(roles: Sequence[str]) -> tuple[bool, bool]:
    """(is a suspect somewhere, is a victim somewhere) from a person's role codes in all their cases."""
    codes = set(roles)
    return bool(codes & SUSPECT_ROLES), bool(codes & VICTIM_ROLES)
