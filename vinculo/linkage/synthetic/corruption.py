"""The corruption model: the same person as another office recorded them."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from vinculo.linkage.synthetic.common import PARTICLES, fold
from vinculo.linkage.synthetic.contacts import phone_number
from vinculo.linkage.synthetic.documents import _Numbers
from vinculo.linkage.synthetic.population import Person
from vinculo.linkage.synthetic.styles import _Draft

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
