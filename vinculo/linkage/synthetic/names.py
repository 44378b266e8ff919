"""Names of the synthetic population: ranked name lists with Zipf weights, name frequencies, nicknames."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vinculo.linkage.synthetic.common import (
    COUNTRIES,
    DATA_DIR,
    NICKNAMES_CSV,
    PARTICLES,
    ZIPF_GIVEN,
    ZIPF_SURNAME,
    _rng,
    fold,
)

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
